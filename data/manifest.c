/* PREFIX.json built and parsed with jansson (see manifest.h). jansson encodes every value;
 * the layout around them (a member per line, indented by two, a shard per line, ratios with
 * six decimals) is the one eiw has written since format version 1, kept byte for byte so that
 * runs stay byte-identical and an earlier eiw, which read only that layout, still reads the
 * manifests of this one. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/manifest.h"
#include "data/shard.h"
#include "data/utf8.h"

#define SHARD_COUNT_MAX 99999999u   /* as eiw has always read it */
#define SHARD_NAME_MAX 4096

/* ------------------------------------------------------------------------------------------
 * Building */

/* A JSON string of s[0..n), each byte that is not UTF-8 as U+FFFD. */
static json_t *string_or_repaired(const char *s, size_t n)
{
    if (eiw_utf8_check((const uint8_t *)s, n) < 0)
        return json_stringn(s, n);
    char *fixed = malloc(3 * n + 1);
    if (!fixed)
        return NULL;
    size_t k = 0;
    while (n) {
        ptrdiff_t bad = eiw_utf8_check((const uint8_t *)s, n);
        size_t good = bad < 0 ? n : (size_t)bad;
        memcpy(fixed + k, s, good);
        k += good;
        if (bad < 0)
            break;
        memcpy(fixed + k, "\xef\xbf\xbd", 3);
        k += 3;
        s += good + 1;
        n -= good + 1;
    }
    json_t *j = json_stringn(fixed, k);
    free(fixed);
    return j;
}

static json_t *hex64(uint64_t v)
{
    char s[17];
    snprintf(s, sizeof s, "%016" PRIx64, v);
    return json_string(s);
}

/* Sets key to v (taking it); a NULL v (failed allocation) marks *ok. */
static void set(json_t *o, const char *key, json_t *v, int *ok)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        *ok = 0;
}

static json_t *count(uint64_t v, int *ok)
{
    if (v > INT64_MAX) {
        *ok = 0;
        return NULL;
    }
    return json_integer((json_int_t)v);
}

static json_t *shard_object(const eiw_manifest *m, uint64_t k, int *ok)
{
    const eiw_manifest_shard *s = &m->shards[k];
    json_t *o = json_object();
    char name[SHARD_NAME_MAX];
    snprintf(name, sizeof name, "%s-%05" PRIu64, m->prefix_name, k);
    if (!o) {
        *ok = 0;
        return NULL;
    }
    set(o, "prefix", string_or_repaired(name, strlen(name)), ok);
    set(o, "documents", count(s->documents, ok), ok);
    set(o, "bad_records", count(s->bad_records, ok), ok);
    set(o, "input_bytes", count(s->input_bytes, ok), ok);
    set(o, "tokens", count(s->tokens, ok), ok);
    set(o, "bin_bytes", count(s->bin_bytes, ok), ok);
    set(o, "bin_xxh3", hex64(s->bin_xxh3), ok);
    set(o, "idx_xxh3", hex64(s->idx_xxh3), ok);
    set(o, "eiwd_xxh3", hex64(s->eiwd_xxh3), ok);
    return o;
}

/* The members in their order, as a jansson object (which keeps the order of insertion). */
static json_t *manifest_object(const eiw_manifest *m)
{
    const unsigned tb = m->token_bits / 8;
    uint64_t docs = 0, bad = 0, bytes = 0, tokens = 0;
    for (uint64_t k = 0; k < m->shard_count; k++) {
        docs += m->shards[k].documents;
        bad += m->shards[k].bad_records;
        bytes += m->shards[k].input_bytes;
        tokens += m->shards[k].tokens;
    }
    int ok = 1;
    json_t *o = json_object(), *model = json_object(), *inputs = json_array(),
           *shards = json_array();
    char hex[2 * sizeof m->delimiter + 1];
    for (size_t i = 0; i < m->delimiter_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", m->delimiter[i]);
    hex[2 * m->delimiter_len] = 0;
    for (size_t i = 0; inputs && i < m->ninputs; i++)
        if (json_array_append_new(inputs, string_or_repaired(m->inputs[i],
                                                             strlen(m->inputs[i]))) != 0)
            ok = 0;
    for (uint64_t k = 0; shards && k < m->shard_count; k++)
        if (json_array_append_new(shards, shard_object(m, k, &ok)) != 0)
            ok = 0;
    if (!o || !model) {
        json_decref(model);
        json_decref(inputs);
        json_decref(shards);
        json_decref(o);
        return NULL;
    }
    set(model, "name", string_or_repaired(m->model_name, strlen(m->model_name)), &ok);
    set(model, "id", hex64(m->model_id), &ok);
    set(o, "format", json_string("eiw-tokens"), &ok);
    /* a marker-end dataset is written as version 1, byte for byte as eiw 0.2 wrote it */
    /* 1: marker end, 2: implicit end (eiw 0.3), 3: tight end */
    set(o, "format_version",
        json_integer(m->window_end == EIW_WINDOW_END_MARKER     ? 1
                     : m->window_end == EIW_WINDOW_END_IMPLICIT ? 2
                                                                : 3),
        &ok);
    set(o, "eiw_version", json_string(EIW_VERSION_STRING), &ok);
    set(o, "shard_count", count(m->shard_count, &ok), &ok);
    set(o, "window_bits", json_integer(m->window_bits), &ok);
    set(o, "token_bits", json_integer(m->token_bits), &ok);
    if (m->window_end != EIW_WINDOW_END_MARKER)
        set(o, "window_end", json_string(eiw_window_end_name(m->window_end)), &ok);
    set(o, "dtype", json_string(tb == 1 ? "uint8" : "uint16"), &ok);
    set(o, "megatron_dtype_code", json_integer(tb == 1 ? EIW_MMIDX_UINT8 : EIW_MMIDX_UINT16),
        &ok);
    set(o, "model", model, &ok);
    set(o, "input_format", string_or_repaired(m->input_format, strlen(m->input_format)), &ok);
    set(o, "text_field", string_or_repaired(m->text_field, strlen(m->text_field)), &ok);
    set(o, "delimiter_hex", json_string(hex), &ok);
    set(o, "shard_size", count(m->shard_size, &ok), &ok);
    set(o, "max_record", count(m->max_record, &ok), &ok);
    set(o, "check_utf8", json_boolean(m->check_utf8), &ok);
    set(o, "inputs", inputs, &ok);
    set(o, "documents", count(docs, &ok), &ok);
    set(o, "bad_records", count(bad, &ok), &ok);
    set(o, "input_bytes", count(bytes, &ok), &ok);
    set(o, "tokens", count(tokens, &ok), &ok);
    set(o, "token_bytes", count(tokens * tb, &ok), &ok);
    set(o, "compression_ratio",
        json_real(tokens ? (double)bytes / (double)(tokens * tb) : 0.0), &ok);
    set(o, "bits_per_byte", json_real(bytes ? 8.0 * (double)(tokens * tb) / (double)bytes : 0.0),
        &ok);
    set(o, "bytes_per_token", json_real(tokens ? (double)bytes / (double)tokens : 0.0), &ok);
    set(o, "shards", shards, &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The version-1 layout around jansson's values. */
static int write_layout(FILE *f, json_t *o)
{
    const char *key;
    json_t *v;
    int first = 1, rc = 0;
    fputs("{\n", f);
    json_object_foreach(o, key, v) {
        fprintf(f, "%s  \"%s\": ", first ? "" : ",\n", key);   /* keys: the constants above */
        first = 0;
        if (json_is_real(v)) {
            fprintf(f, "%.6f", json_real_value(v));
        } else if (json_is_array(v) && strcmp(key, "shards") == 0) {
            size_t i;
            json_t *s;
            fputs("[\n", f);
            json_array_foreach(v, i, s) {
                fputs(i ? ",\n    " : "    ", f);
                rc |= json_dumpf(s, f, 0);
            }
            fputs("\n  ]", f);
        } else {
            rc |= json_dumpf(v, f, JSON_ENCODE_ANY);
        }
    }
    fputs("\n}\n", f);
    return rc;
}

eiw_status eiw_manifest_build(const eiw_manifest *m, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    eiw_window_params wp = { m->window_bits, m->token_bits, m->window_end };
    if (eiw_window_params_check(&wp) != EIW_OK || m->shard_count > SHARD_COUNT_MAX ||
        m->delimiter_len > sizeof m->delimiter || !m->prefix_name ||
        strlen(m->prefix_name) + 16 > SHARD_NAME_MAX || (m->shard_count && !m->shards))
        return EIW_ERR_PARAM;
    json_t *o = manifest_object(m);
    if (!o)
        return EIW_ERR_NOMEM;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    int rc = f ? write_layout(f, o) : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    json_decref(o);
    if (rc != 0) {
        free(buf);
        return EIW_ERR_NOMEM;
    }
    *out = buf;
    *len = n;
    return EIW_OK;
}

/* ------------------------------------------------------------------------------------------
 * Parsing */

static int get_uint(const json_t *o, const char *key, uint64_t max, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* A string member without NUL bytes that fits cap with its terminator. */
static int get_string(const json_t *o, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n >= cap || memchr(s, 0, n))
        return -1;
    memcpy(out, s, n + 1);
    return 0;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static eiw_status parse_members(const json_t *o, eiw_manifest *m)
{
    const char *format = json_string_value(json_object_get(o, "format"));
    if (!format || strcmp(format, "eiw-tokens") != 0)
        return EIW_ERR_CORRUPT;
    if (get_uint(o, "format_version", INT64_MAX, &m->format_version) != 0 ||
        m->format_version < 1)
        return EIW_ERR_CORRUPT;
    if (m->format_version > EIW_MANIFEST_VERSION)
        return EIW_ERR_VERSION;   /* docs/compatibility.md: refused, never guessed at */
    uint64_t wb, tb;
    char id[17], hex[2 * sizeof m->delimiter + 1];
    const json_t *model = json_object_get(o, "model");
    if (get_uint(o, "shard_count", SHARD_COUNT_MAX, &m->shard_count) ||
        get_uint(o, "window_bits", EIW_WINDOW_BITS_MAX, &wb) ||
        get_uint(o, "token_bits", 16, &tb) || !json_is_object(model) ||
        get_string(model, "name", m->model_name, sizeof m->model_name) ||
        get_string(model, "id", id, sizeof id) ||
        get_string(o, "input_format", m->input_format, sizeof m->input_format) ||
        get_string(o, "text_field", m->text_field, sizeof m->text_field) ||
        get_string(o, "delimiter_hex", hex, sizeof hex))
        return EIW_ERR_CORRUPT;
    m->window_bits = (unsigned)wb;
    m->token_bits = (unsigned)tb;
    m->window_end = EIW_WINDOW_END_MARKER;
    if (m->format_version >= 2) {
        char end[16];
        if (get_string(o, "window_end", end, sizeof end))
            return EIW_ERR_CORRUPT;
        /* version 2 is the implicit end and 3 the tight end, and only that */
        m->window_end = m->format_version == 2 ? EIW_WINDOW_END_IMPLICIT : EIW_WINDOW_END_TIGHT;
        if (strcmp(end, eiw_window_end_name(m->window_end)) != 0)
            return EIW_ERR_CORRUPT;
    }
    eiw_window_params wp = { m->window_bits, m->token_bits, m->window_end };
    if (eiw_window_params_check(&wp) != EIW_OK || !id[0])
        return EIW_ERR_CORRUPT;
    for (const char *p = id; *p; p++) {
        if (hex_digit(*p) < 0)
            return EIW_ERR_CORRUPT;
        m->model_id = m->model_id << 4 | (uint64_t)hex_digit(*p);
    }
    size_t hn = strlen(hex);
    if (hn % 2)
        return EIW_ERR_CORRUPT;
    m->delimiter_len = hn / 2;
    for (size_t i = 0; i < m->delimiter_len; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return EIW_ERR_CORRUPT;
        m->delimiter[i] = (uint8_t)(hi << 4 | lo);
    }
    return EIW_OK;
}

eiw_status eiw_manifest_parse(const uint8_t *buf, size_t len, eiw_manifest *m)
{
    memset(m, 0, sizeof *m);
    json_error_t err;
    json_t *o = json_loadb((const char *)buf, len, 0, &err);
    if (!o)
        return EIW_ERR_CORRUPT;
    eiw_status st = json_is_object(o) ? parse_members(o, m) : EIW_ERR_CORRUPT;
    json_decref(o);
    if (st != EIW_OK) {
        uint64_t version = m->format_version;
        memset(m, 0, sizeof *m);
        m->format_version = version;
    }
    return st;
}
