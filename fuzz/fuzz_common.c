/* Helpers shared by the fuzz targets, and the table of targets. */
#include "fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "common/byte_order.h"

const eiw_fuzz_target eiw_fuzz_targets[] = {
    { "container", eiw_fuzz_container },
    { "window", eiw_fuzz_window },
    { "model", eiw_fuzz_model },
    { "checkpoint", eiw_fuzz_checkpoint },
    { "shard", eiw_fuzz_shard },
    { "jsonl", eiw_fuzz_jsonl },
    { "manifest", eiw_fuzz_manifest },
    { NULL, NULL },
};

static const eiw_model *tiny_model(void)
{
    static const eiw_model *tiny;
    static int tried;
    if (tried)
        return tiny;
    tried = 1;
    const char *path = getenv("EIW_FUZZ_TINY_MODEL");
    FILE *f = fopen(path && *path ? path : "tests/golden/tiny_m1.eiwm", "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    eiw_model *m = NULL;
    if (buf && eiw_model_from_bytes(buf, len, &m) == EIW_OK)
        tiny = m;
    free(buf);
    return tiny;
}

const eiw_model *eiw_fuzz_pick_model(unsigned which)
{
    static const char *const names[] = { "uniform", "order0", "order1" };
    which %= 4;
    if (which == 3) {
        const eiw_model *m = tiny_model();
        if (m)
            return m;
        which = 2;
    }
    return eiw_model_builtin(names[which]);
}

void eiw_fuzz_fix_xxh3_tail(uint8_t *buf, size_t len)
{
    if (len < 8)
        return;
    put64(buf + len - 8, XXH3_64bits(buf, len - 8));
}

void eiw_fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz invariant broken: %s\n", what);
        abort();
    }
}
