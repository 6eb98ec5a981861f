/* The token manifest (data/manifest.c): the bytes built for format version 1 are those of the
 * golden file, any JSON layout of the same members parses the same, a built manifest parses
 * back to its settings, and what is not an eiw manifest of version 1 is refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/manifest.h"
#include "tests/test_util.h"

#define GOLDEN "tests/golden/formats/ds.json"

static const eiw_manifest_shard golden_shard = { 5, 0, 243, 91, 182, 0xef8069d8d19cda4bu,
                                                 0xa0db2369cb2f8c83u, 0xa5a7e28524606076u };
static const char *const golden_inputs[] = { "docs.jsonl" };

/* The settings of the golden dataset, as `eiw tokenize` gives them to the builder. */
static eiw_manifest golden_settings(void)
{
    eiw_manifest m;
    memset(&m, 0, sizeof m);
    m.shard_count = 1;
    m.window_bits = 16;
    m.token_bits = 16;
    m.window_end = EIW_WINDOW_END_MARKER;   /* written by eiw 0.1: version 1 */
    strcpy(m.model_name, "order1");
    m.model_id = 0xb3e41a1944975e39u;
    strcpy(m.input_format, "jsonl");
    strcpy(m.text_field, "text");
    m.prefix_name = "ds";
    m.shard_size = 64u << 20;
    m.max_record = 64u << 20;
    m.inputs = golden_inputs;
    m.ninputs = 1;
    m.shards = &golden_shard;
    return m;
}

/* The fields parse reads agree (and so do the ones it leaves zero). */
static void assert_same_description(const eiw_manifest *a, const eiw_manifest *b, const char *what)
{
    cr_assert_eq(a->format_version, b->format_version, "%s", what);
    cr_assert_eq(a->shard_count, b->shard_count, "%s", what);
    cr_assert_eq(a->window_bits, b->window_bits, "%s", what);
    cr_assert_eq(a->token_bits, b->token_bits, "%s", what);
    cr_assert_eq(a->window_end, b->window_end, "%s", what);
    cr_assert_str_eq(a->model_name, b->model_name, "%s", what);
    cr_assert_eq(a->model_id, b->model_id, "%s", what);
    cr_assert_str_eq(a->input_format, b->input_format, "%s", what);
    cr_assert_str_eq(a->text_field, b->text_field, "%s", what);
    cr_assert_eq(a->delimiter_len, b->delimiter_len, "%s", what);
    cr_assert(memcmp(a->delimiter, b->delimiter, a->delimiter_len) == 0, "%s", what);
}

static eiw_status parse_str(const char *js, eiw_manifest *m)
{
    return eiw_manifest_parse((const uint8_t *)js, strlen(js), m);
}

Test(manifest, the_golden_manifest_parses)
{
    size_t n;
    uint8_t *js = test_read_file(GOLDEN, &n);
    cr_assert_not_null(js, "run from the tree root");
    eiw_manifest m, want = golden_settings();
    cr_assert_eq(eiw_manifest_parse(js, n, &m), EIW_OK);
    want.format_version = 1;
    assert_same_description(&m, &want, "golden");
    cr_assert_null(m.shards);
    free(js);
}

Test(manifest, building_gives_the_bytes_of_format_version_1)
{
    size_t n;
    char *golden = (char *)test_read_file(GOLDEN, &n);
    cr_assert_not_null(golden);
    /* the golden file was written by eiw 0.1.0: only that value may differ */
    char want[4096];
    const char *v = strstr(golden, "\"eiw_version\": \"0.1.0\"");
    cr_assert_not_null(v);
    int k = snprintf(want, sizeof want, "%.*s\"eiw_version\": \"%s\"%.*s", (int)(v - golden),
                     golden, EIW_VERSION_STRING, (int)(n - (size_t)(v - golden) - 22), v + 22);
    eiw_manifest m = golden_settings();
    char *js;
    size_t len;
    cr_assert_eq(eiw_manifest_build(&m, &js, &len), EIW_OK);
    cr_assert_eq(len, (size_t)k, "%s", js);
    cr_assert(memcmp(js, want, len) == 0, "%s", js);
    free(js);
    free(golden);
}

Test(manifest, any_json_layout_of_the_members_parses_the_same)
{
    eiw_manifest want = golden_settings(), m;
    want.format_version = 1;
    static const char *const layouts[] = {
        /* python3 -m json.tool: four spaces, every value on its own line */
        "{\n    \"format\": \"eiw-tokens\",\n    \"format_version\": 1,\n"
        "    \"shard_count\": 1,\n    \"window_bits\": 16,\n    \"token_bits\": 16,\n"
        "    \"model\": {\n        \"name\": \"order1\",\n        \"id\": \"b3e41a1944975e39\"\n"
        "    },\n    \"input_format\": \"jsonl\",\n    \"text_field\": \"text\",\n"
        "    \"delimiter_hex\": \"\",\n    \"shards\": [\n        {\n"
        "            \"prefix\": \"ds-00000\"\n        }\n    ]\n}\n",
        /* compact, keys sorted, \u escapes, upper-case hex */
        "{\"delimiter_hex\":\"\",\"format\":\"eiw-\\u0074okens\",\"format_version\":1,"
        "\"input_format\":\"jsonl\",\"model\":{\"id\":\"B3E41A1944975E39\",\"name\":\"order\\u0031\"},"
        "\"shard_count\":1,\"text_field\":\"text\",\"token_bits\":16,\"window_bits\":16}",
        /* CRLF, tabs, members this eiw does not know */
        "{\r\n\t\"format\" : \"eiw-tokens\" ,\r\n\t\"format_version\" : 1,\r\n\t\"note\": [1, {}],"
        "\t\"shard_count\": 1, \"window_bits\": 16, \"token_bits\": 16, \"model\": {\"id\": "
        "\"b3e41a1944975e39\", \"name\": \"order1\", \"extra\": null}, \"input_format\": "
        "\"jsonl\", \"text_field\": \"text\", \"delimiter_hex\": \"\"\r\n}\r\n",
    };
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        char what[32];
        snprintf(what, sizeof what, "layout %zu", i);
        cr_assert_eq(parse_str(layouts[i], &m), EIW_OK, "%s", what);
        assert_same_description(&m, &want, what);
    }
}

Test(manifest, a_built_manifest_parses_back_to_its_settings)
{
    eiw_manifest_shard shards[3] = { { 1, 2, 3, 4, 8, 5, 6, 7 }, { 0 }, { 9, 0, 9, 9, 9, 1, 1, 1 } };
    const char *inputs[] = { "a \"quoted\"\\name\n", "dir/", "not utf-8 \xff\xfe here", "-" };
    eiw_manifest m = golden_settings();
    m.shard_count = 3;
    m.shards = shards;
    m.window_bits = 4096;
    m.token_bits = 8;
    strcpy(m.input_format, "mixed");
    strcpy(m.text_field, "caf\xc3\xa9 field");
    for (int i = 0; i < 256; i++)
        m.delimiter[i] = (uint8_t)(255 - i);
    m.delimiter_len = 256;
    m.prefix_name = "out";
    m.inputs = inputs;
    m.ninputs = 4;
    char *js;
    size_t len;
    cr_assert_eq(eiw_manifest_build(&m, &js, &len), EIW_OK);
    cr_assert_eq(strlen(js), len);
    cr_assert(strstr(js, "\"inputs\": [\"a \\\"quoted\\\"\\\\name\\n\", \"dir/\", "
                         "\"not utf-8 \xef\xbf\xbd\xef\xbf\xbd here\", \"-\"],"),
              "%s", js);
    cr_assert(strstr(js, "\"documents\": 10,\n  \"bad_records\": 2,\n"), "%s", js);
    cr_assert(strstr(js, "\"prefix\": \"out-00002\""), "%s", js);
    eiw_manifest back;
    cr_assert_eq(eiw_manifest_parse((const uint8_t *)js, len, &back), EIW_OK, "%s", js);
    m.format_version = 1;
    assert_same_description(&back, &m, "round trip");
    free(js);
    /* the implicit window end: version 2, with "window_end" */
    m.window_end = EIW_WINDOW_END_IMPLICIT;
    cr_assert_eq(eiw_manifest_build(&m, &js, &len), EIW_OK);
    cr_assert(strstr(js, "\"format_version\": 2,") &&
              strstr(js, "\"token_bits\": 8,\n  \"window_end\": \"implicit\","), "%s", js);
    cr_assert_eq(eiw_manifest_parse((const uint8_t *)js, len, &back), EIW_OK, "%s", js);
    m.format_version = 2;
    assert_same_description(&back, &m, "round trip, implicit end");
    free(js);
    m.window_end = EIW_WINDOW_END_MARKER;
    /* settings no manifest can hold */
    m.window_bits = 24;
    m.token_bits = 16;
    cr_assert_eq(eiw_manifest_build(&m, &js, &len), EIW_ERR_PARAM);
    cr_assert_null(js);
}

Test(manifest, other_files_and_newer_versions_are_refused)
{
    eiw_manifest m;
    cr_assert_eq(parse_str("{\"format\": \"eiw-tokens\", \"format_version\": 4}", &m),
                 EIW_ERR_VERSION);
    cr_assert_eq(m.format_version, 4);
    static const char *const bad[] = {
        "", "{}", "[]", "\"eiw-tokens\"", "{\"format\": \"eiw-tokens\"}",
        "{\"format\": \"eiw-tokens\", \"format_version\": 1}",
        "{\"format\": \"eiw-tokens\", \"format_version\": 1.0}",
        "{\"format\": \"eiw-tokens\", \"format_version\": -3}",
        "{\"format\": \"eiw-token\", \"format_version\": 2}",
        "{\"format\": \"eiw-tokens\", \"format_version\": 2, \"shard_count\": 1, "
        "\"window_bits\": 16, \"token_bits\": 16, \"model\": {\"name\": \"x\", \"id\": \"1\"}, "
        "\"input_format\": \"text\", \"text_field\": \"text\", \"delimiter_hex\": \"\"}",
        "{\"format\": \"eiw-tokens\", \"format_version\": 2, \"shard_count\": 1, "
        "\"window_bits\": 16, \"token_bits\": 16, \"window_end\": \"marker\", \"model\": "
        "{\"name\": \"x\", \"id\": \"1\"}, \"input_format\": \"text\", \"text_field\": \"text\", "
        "\"delimiter_hex\": \"\"}",
        "{\"format\": \"eiw-tokens\", \"format_version\": 1, \"shard_count\": 1, "
        "\"window_bits\": 16, \"token_bits\": 16, \"model\": {\"name\": \"x\", \"id\": \"\"}, "
        "\"input_format\": \"text\", \"text_field\": \"text\", \"delimiter_hex\": \"\"}",
        "{\"format\": \"eiw-tokens\", \"format_version\": 1, \"shard_count\": 1, "
        "\"window_bits\": 16, \"token_bits\": 16, \"model\": {\"name\": \"x\", \"id\": "
        "\"12345678901234567\"}, \"input_format\": \"text\", \"text_field\": \"text\", "
        "\"delimiter_hex\": \"\"}",
        "{\"format\": \"eiw-tokens\", \"format_version\": 1, \"shard_count\": 100000000, "
        "\"window_bits\": 16, \"token_bits\": 16, \"model\": {\"name\": \"x\", \"id\": \"1\"}, "
        "\"input_format\": \"text\", \"text_field\": \"text\", \"delimiter_hex\": \"\"}",
        "{\"format\": \"eiw-tokens\", \"format_version\": 1, \"shard_count\": 1, "
        "\"window_bits\": 16, \"token_bits\": 16, \"model\": {\"name\": \"x\", \"id\": \"1\"}, "
        "\"input_format\": \"text\", \"text_field\": \"text\", \"delimiter_hex\": \"0g\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(parse_str(bad[i], &m), EIW_ERR_CORRUPT, "case %zu", i);
        cr_assert_eq(m.shard_count, 0, "case %zu: nothing half-read", i);
    }
}
