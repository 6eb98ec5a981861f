/* JSON Lines records with jansson (see jsonl.h). A record is parsed whole (every value is
 * checked, as RFC 8259 and Python's json module want it) and kept until the next one, so the
 * text is not copied again. Options: NUL escapes (\u0000) are allowed in strings, as JSON
 * allows them; integers too large for 64 bits are read as reals rather than refused. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/jsonl.h"
#include "data/utf8.h"

#define LOAD_FLAGS (JSON_ALLOW_NUL | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL)

void eiw_jsonl_reader_clear(eiw_jsonl_reader *r)
{
    json_decref(r->record);
    r->record = NULL;
}

/* jansson's reason, on one line of printable characters. */
static const char *invalid_json(eiw_jsonl_reader *r, const json_error_t *e)
{
    int n = snprintf(r->why, sizeof r->why, "invalid JSON: %s", e->text);
    for (int i = 0; i < n && r->why[i]; i++)
        if ((unsigned char)r->why[i] < 0x20 || r->why[i] == 0x7f)
            r->why[i] = '?';
    return r->why;
}

const char *eiw_jsonl_text(eiw_jsonl_reader *r, const uint8_t *line, size_t n, const char *field,
                           const uint8_t **text, size_t *len)
{
    eiw_jsonl_reader_clear(r);
    ptrdiff_t bad = eiw_utf8_check(line, n);
    if (bad >= 0) {
        snprintf(r->why, sizeof r->why, "invalid UTF-8 at byte %td of the line", bad);
        return r->why;
    }
    size_t start = 0;   /* JSON white space; the line has no "\n" */
    while (start < n && (line[start] == ' ' || line[start] == '\t' || line[start] == '\r'))
        start++;
    if (start == n)
        return "empty line";
    if (line[start] != '{')
        return "invalid JSON: not an object";
    json_error_t e;
    json_t *o = json_loadb((const char *)line, n, LOAD_FLAGS, &e);
    if (!o)
        return invalid_json(r, &e);
    r->record = o;
    const json_t *v = json_object_get(o, field);
    if (!v) {
        snprintf(r->why, sizeof r->why, "no field '%.64s'", field);
        return r->why;
    }
    if (!json_is_string(v)) {
        snprintf(r->why, sizeof r->why, "field '%.64s' is not a string", field);
        return r->why;
    }
    *text = (const uint8_t *)json_string_value(v);
    *len = json_string_length(v);
    return NULL;
}

eiw_status eiw_jsonl_record(const char *field, const uint8_t *text, size_t n, char **out,
                            size_t *len)
{
    *out = NULL;
    *len = 0;
    json_t *s = json_stringn((const char *)text, n), *o = json_object();
    if (!s || !o || json_object_set_new(o, field, s) != 0) {   /* it takes s, even failing */
        if (!o)
            json_decref(s);
        json_decref(o);
        return s || eiw_utf8_check(text, n) < 0 ? EIW_ERR_NOMEM : EIW_ERR_PARAM;
    }
    char *j = json_dumps(o, 0);
    json_decref(o);
    size_t k = j ? strlen(j) : 0;
    char *line = j ? realloc(j, k + 2) : NULL;
    if (!line) {
        free(j);
        return EIW_ERR_NOMEM;
    }
    line[k] = '\n';
    line[k + 1] = 0;
    *out = line;
    *len = k + 1;
    return EIW_OK;
}
