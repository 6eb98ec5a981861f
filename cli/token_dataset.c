/* Reading token datasets back (see token_dataset.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "cli/token_dataset.h"

void shard_free(shard_data *d)
{
    eiw_sidecar_free(&d->sc);
    eiw_mmidx_free(&d->ix);
    free(d->bin);
    memset(d, 0, sizeof *d);
}

/* Loads and checks shard s of the dataset; prints the error and returns nonzero on failure. */
int shard_load(const char *prefix, const tok_manifest *mf, uint64_t s, int with_bin,
               shard_data *d)
{
    char path[TOK_PATH_MAX];
    memset(d, 0, sizeof *d);
    size_t len;
    int err = 0;
    tok_shard_path(path, prefix, s, ".eiwd");
    uint8_t *b = tok_read_all(path, &len, &err);
    eiw_status st = b ? eiw_sidecar_parse(b, len, &d->sc) : EIW_ERR_IO;
    free(b);
    if (st != EIW_OK) {
        fprintf(stderr, "eiw: %s: %s\n", path, st == EIW_ERR_IO ? strerror(err) : eiw_strerror(st));
        return -1;
    }
    if (d->sc.window_bits != mf->window_bits || d->sc.token_bits != mf->token_bits ||
        d->sc.model_id != mf->model_id || d->sc.shard != s) {
        fprintf(stderr, "eiw: %s: does not belong to %s.json\n", path, prefix);
        shard_free(d);
        return -1;
    }
    tok_shard_path(path, prefix, s, ".idx");
    b = tok_read_all(path, &len, &err);
    if (!b) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(err));
        shard_free(d);
        return -1;
    }
    int bad = XXH3_64bits(b, len) != d->sc.idx_xxh3;
    st = bad ? EIW_ERR_CHECKSUM : eiw_mmidx_parse(b, len, d->sc.bin_bytes, &d->ix);
    free(b);
    unsigned tb = mf->token_bits / 8, wbytes = mf->window_bits / 8;
    if (st == EIW_OK && (d->ix.sequences != d->sc.ndocs ||
                         d->ix.dtype != (tb == 1 ? EIW_MMIDX_UINT8 : EIW_MMIDX_UINT16)))
        st = EIW_ERR_CORRUPT;
    for (uint64_t i = 0; st == EIW_OK && i < d->ix.sequences; i++)
        if (((uint64_t)d->ix.sizes[i] * tb) % wbytes)
            st = EIW_ERR_CORRUPT;
    if (st != EIW_OK) {
        fprintf(stderr, "eiw: %s: %s\n", path, eiw_strerror(st));
        shard_free(d);
        return -1;
    }
    if (!with_bin)
        return 0;
    tok_shard_path(path, prefix, s, ".bin");
    d->bin = tok_read_all(path, &d->bin_len, &err);
    if (!d->bin) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(err));
        shard_free(d);
        return -1;
    }
    if (d->bin_len != d->sc.bin_bytes || XXH3_64bits(d->bin, d->bin_len) != d->sc.bin_xxh3) {
        fprintf(stderr, "eiw: %s: %s\n", path, eiw_strerror(EIW_ERR_CHECKSUM));
        shard_free(d);
        return -1;
    }
    return 0;
}

int token_dataset_exists(const char *prefix)
{
    char path[TOK_PATH_MAX];
    struct stat sb;
    if (stat(prefix, &sb) == 0 || strlen(prefix) + 6 > sizeof path)
        return 0;
    snprintf(path, sizeof path, "%s.json", prefix);
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int tokbuf_reserve(tokbuf *b, size_t extra)
{
    if (b->n + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1 << 20;
    while (cap < b->n + extra)
        cap *= 2;
    uint16_t *t = realloc(b->tok, cap * sizeof *t);
    if (!t)
        return -1;
    b->tok = t;
    b->cap = cap;
    return 0;
}

int token_dataset_read(const char *prefix, tokbuf *b, uint64_t *bytes, uint64_t *docs,
                       unsigned *token_bits)
{
    tok_manifest mf;
    if (tok_manifest_load(prefix, &mf) != 0)
        return -1;
    *token_bits = mf.token_bits;
    for (uint64_t s = 0; s < mf.shard_count; s++) {
        shard_data d;
        if (shard_load(prefix, &mf, s, 1, &d) != 0)
            return -1;
        size_t count = d.bin_len / (mf.token_bits / 8);
        if (tokbuf_reserve(b, count) != 0) {
            fprintf(stderr, "eiw: %s: %s\n", prefix, strerror(ENOMEM));
            shard_free(&d);
            return -1;
        }
        uint16_t *dst = b->tok + b->n;
        for (size_t i = 0; i < count; i++)   /* .bin: uint8, or little-endian uint16 */
            dst[i] = mf.token_bits == 8 ? d.bin[i]
                                        : (uint16_t)(d.bin[2 * i] | (unsigned)d.bin[2 * i + 1] << 8);
        b->n += count;
        *bytes += d.sc.input_bytes;
        *docs += d.sc.ndocs;
        shard_free(&d);
    }
    return 0;
}
