/* JSON Lines records through jansson (data/jsonl.c): which records give a document and which
 * are bad, with a reason on one printable line, and the records detokenize writes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/jsonl.h"
#include "data/utf8.h"

/* The text of a record, or NULL with *why set. */
static const char *why;
static size_t text_len;
static const uint8_t *text_of(eiw_jsonl_reader *r, const char *line, const char *field)
{
    const uint8_t *t = NULL;
    text_len = 0;
    why = eiw_jsonl_text(r, (const uint8_t *)line, strlen(line), field, &t, &text_len);
    return why ? NULL : t;
}

Test(jsonl, records_give_their_text_field)
{
    eiw_jsonl_reader r = { 0 };
    static const struct { const char *line, *field, *text; } ok[] = {
        { "{\"text\": \"plain\"}", "text", "plain" },
        { "  {\"text\":\"a\\nb \\\"q\\\" \\u00e9\\ud83d\\ude00\"}\r", "text", "a\nb \"q\" \xc3\xa9\xf0\x9f\x98\x80" },
        { "{\"text\": \"first\", \"text\": \"last wins\"}", "text", "last wins" },
        { "{\"t\\u0065xt\": \"keys are unescaped\"}", "text", "keys are unescaped" },
        { "{\"id\": 123456789012345678901234567890, \"text\": \"a big integer\"}", "text",
          "a big integer" },
        { "{\"x\": 1e-400, \"y\": -0.0e+5, \"z\": [true, false, null, {}], \"text\": \"\"}", "text", "" },
        { "{\"content\": \"other field\", \"text\": 5}", "content", "other field" },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const uint8_t *t = text_of(&r, ok[i].line, ok[i].field);
        cr_assert_not_null(t, "case %zu: %s", i, why);
        cr_assert(text_len == strlen(ok[i].text) && memcmp(t, ok[i].text, text_len) == 0,
                  "case %zu", i);
    }
    /* \u0000 is a character like any other in a document */
    const uint8_t *t = text_of(&r, "{\"text\": \"a\\u0000b\"}", "text");
    cr_assert(t && text_len == 3 && memcmp(t, "a\0b", 3) == 0);
    /* nesting: deep is fine, absurdly deep is a bad record */
    char deep[8192];
    size_t n = (size_t)snprintf(deep, sizeof deep, "{\"text\": \"deep\", \"n\": ");
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = 0;
    cr_assert_not_null(text_of(&r, deep, "text"), "%s", why);
    eiw_jsonl_reader_clear(&r);
}

Test(jsonl, bad_records_say_why_on_one_printable_line)
{
    eiw_jsonl_reader r = { 0 };
    static const struct { const char *line, *why; } bad[] = {
        { "", "empty line" },
        { " \t\r", "empty line" },
        { "[\"an array\"]", "invalid JSON: not an object" },
        { "\"a string\"", "invalid JSON: not an object" },
        { "{\"other\": \"x\"}", "no field 'text'" },
        { "{\"text\": 42}", "field 'text' is not a string" },
        { "{\"text\": null}", "field 'text' is not a string" },
        { "{\"text\": \"bad \xff byte\"}", "invalid UTF-8 at byte 14 of the line" },
        { "{\"text\": \"unterminated}", "invalid JSON: " },
        { "{\"text\": \"lone \\udc00\"}", "invalid JSON: " },
        { "{\"text\": \"a\"} trailing", "invalid JSON: " },
        { "{\"text\": \"a\",}", "invalid JSON: " },
        { "{\"text\": NaN}", "invalid JSON: " },
        { "{\"text\": \"tab\there\"}", "invalid JSON: " },
        { "{\"text\": \"x\", \"n\": 1e400}", "invalid JSON: " },
        { "{\"k\\u0000\": 1, \"text\": \"x\"}", "invalid JSON: " },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_null(text_of(&r, bad[i].line, "text"), "case %zu", i);
        cr_assert(strncmp(why, bad[i].why, strlen(bad[i].why)) == 0, "case %zu: %s", i, why);
        for (const char *p = why; *p; p++)
            cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f, "case %zu: %s", i, why);
    }
    eiw_jsonl_reader_clear(&r);
}

Test(jsonl, written_records_read_back)
{
    static const char text[] = "line\nbreak \"quoted\" back\\slash \x01\x1f caf\xc3\xa9 \0 end";
    char *line;
    size_t len;
    cr_assert_eq(eiw_jsonl_record("text", (const uint8_t *)text, sizeof text - 1, &line, &len),
                 EIW_OK);
    cr_assert_str_eq(line, "{\"text\": \"line\\nbreak \\\"quoted\\\" back\\\\slash \\u0001\\u001F "
                           "caf\xc3\xa9 \\u0000 end\"}\n");
    cr_assert_eq(len, strlen(line));
    eiw_jsonl_reader r = { 0 };
    const uint8_t *t;
    size_t n;
    cr_assert_null(eiw_jsonl_text(&r, (const uint8_t *)line, len - 1, "text", &t, &n));
    cr_assert(n == sizeof text - 1 && memcmp(t, text, n) == 0);
    eiw_jsonl_reader_clear(&r);
    free(line);
    cr_assert_eq(eiw_jsonl_record("text", (const uint8_t *)"\xff", 1, &line, &len), EIW_ERR_PARAM);
    cr_assert_null(line);
}
