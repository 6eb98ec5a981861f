/* Fuzz target: a token dataset's manifest (PREFIX.json), the first file `eiw detokenize`,
 * `inspect`, `train` and `eval` parse (data/manifest.c, with jansson). Input: the file's bytes.
 * What parses must be a usable dataset description, and building a manifest from it and
 * parsing that again must give the same description (the build/parse pair agrees). */
#include "fuzz/fuzz.h"
#include "data/manifest.h"

#include <stdlib.h>
#include <string.h>

#define ROUND_TRIP_SHARDS_MAX 4096   /* more shards: the description is checked, not rebuilt */

static int same_description(const eiw_manifest *a, const eiw_manifest *b)
{
    return a->format_version == b->format_version && a->shard_count == b->shard_count &&
           a->window_bits == b->window_bits && a->token_bits == b->token_bits &&
           a->window_end == b->window_end &&
           strcmp(a->model_name, b->model_name) == 0 && a->model_id == b->model_id &&
           strcmp(a->input_format, b->input_format) == 0 &&
           strcmp(a->text_field, b->text_field) == 0 && a->delimiter_len == b->delimiter_len &&
           memcmp(a->delimiter, b->delimiter, a->delimiter_len) == 0;
}

int eiw_fuzz_manifest(const uint8_t *data, size_t size)
{
    eiw_manifest m;
    eiw_status st = eiw_manifest_parse(data, size, &m);
    if (st == EIW_ERR_VERSION)
        eiw_fuzz_check(m.format_version > EIW_MANIFEST_VERSION, "a version refused as newer");
    if (st != EIW_OK)
        return 0;
    eiw_window_params wp = { m.window_bits, m.token_bits, m.window_end };
    eiw_fuzz_check(eiw_window_params_check(&wp) == EIW_OK, "window settings of a manifest");
    eiw_fuzz_check(m.format_version == (m.window_end == EIW_WINDOW_END_MARKER ? 1u : 2u),
                   "format version and window end");
    eiw_fuzz_check(m.delimiter_len <= sizeof m.delimiter, "delimiter length");
    if (m.shard_count > ROUND_TRIP_SHARDS_MAX)
        return 0;
    eiw_manifest_shard *shards = calloc(m.shard_count ? m.shard_count : 1, sizeof *shards);
    if (!shards)
        return 0;
    static const char *const inputs[] = { "in.jsonl" };
    m.prefix_name = "ds";
    m.shards = shards;
    m.inputs = inputs;
    m.ninputs = 1;
    char *js;
    size_t len;
    st = eiw_manifest_build(&m, &js, &len);   /* parsed strings are UTF-8: nothing is replaced */
    eiw_fuzz_check(st == EIW_OK, "building a manifest from a parsed one");
    eiw_manifest back;
    st = eiw_manifest_parse((const uint8_t *)js, len, &back);
    eiw_fuzz_check(st == EIW_OK, "parsing a built manifest");
    eiw_fuzz_check(same_description(&m, &back), "build and parse disagree");
    free(js);
    free(shards);
    return 0;
}
