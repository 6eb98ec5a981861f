/* Reading token datasets back (see token_dataset.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "common/byte_order.h"
#include "data/token_dataset.h"

eiw_status eiw_dataset_manifest_load(const char *prefix, eiw_manifest *mf, eiw_dataset_error *e)
{
    char path[EIW_DATASET_PATH_MAX];
    eiw_manifest_path(path, prefix);
    memset(mf, 0, sizeof *mf);
    size_t len;
    int err = 0;
    uint8_t *b = eiw_read_file(path, &len, &err);
    if (!b)
        return eiw_dataset_fail(e, EIW_ERR_IO, path, "%s", strerror(err));
    eiw_status st = eiw_manifest_parse(b, len, mf);
    free(b);
    if (st == EIW_ERR_VERSION)
        return eiw_dataset_fail(e, st, path,
                                "token manifest format version %" PRIu64 " (this eiw reads %d)",
                                mf->format_version, EIW_MANIFEST_VERSION);
    if (st != EIW_OK)
        return eiw_dataset_fail(e, st, path, "not an eiw token manifest (or a damaged one)");
    return EIW_OK;
}

int eiw_dataset_exists(const char *prefix)
{
    char path[EIW_DATASET_PATH_MAX];
    struct stat sb;
    if (stat(prefix, &sb) == 0 || strlen(prefix) + 6 > sizeof path)
        return 0;
    eiw_manifest_path(path, prefix);
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

void eiw_shard_data_free(eiw_shard_data *d)
{
    eiw_sidecar_free(&d->sc);
    eiw_mmidx_free(&d->ix);
    free(d->bin);
    memset(d, 0, sizeof *d);
}

/* PREFIX-NNNNN.ext, whole (malloc'd), or NULL with e filled. */
static uint8_t *read_shard_file(const char *prefix, uint64_t s, const char *ext, size_t *len,
                                eiw_dataset_error *e)
{
    char path[EIW_DATASET_PATH_MAX];
    eiw_shard_path(path, prefix, s, ext);
    int err = 0;
    uint8_t *b = eiw_read_file(path, len, &err);
    if (!b)
        eiw_dataset_fail(e, EIW_ERR_IO, path, "%s", strerror(err));
    return b;
}

static eiw_status shard_file_fail(eiw_dataset_error *e, eiw_status st, const char *prefix,
                                  uint64_t s, const char *ext)
{
    char path[EIW_DATASET_PATH_MAX];
    eiw_shard_path(path, prefix, s, ext);
    return eiw_dataset_fail(e, st, path, "%s", eiw_strerror(st));
}

eiw_status eiw_shard_sidecar_read(const char *prefix, uint64_t s, eiw_sidecar *sc,
                                  uint64_t *file_xxh3, eiw_dataset_error *e)
{
    size_t len;
    memset(sc, 0, sizeof *sc);
    uint8_t *b = read_shard_file(prefix, s, ".eiwd", &len, e);
    if (!b)
        return EIW_ERR_IO;
    eiw_status st = eiw_sidecar_parse(b, len, sc);
    if (file_xxh3)
        *file_xxh3 = XXH3_64bits(b, len);
    free(b);
    return st == EIW_OK ? EIW_OK : shard_file_fail(e, st, prefix, s, ".eiwd");
}

/* The index, checked against its hash, the .bin's size and the window size. */
static eiw_status load_index(const char *prefix, const eiw_manifest *mf, uint64_t s,
                             eiw_shard_data *d, eiw_dataset_error *e)
{
    size_t len;
    uint8_t *b = read_shard_file(prefix, s, ".idx", &len, e);
    if (!b)
        return EIW_ERR_IO;
    eiw_status st = XXH3_64bits(b, len) != d->sc.idx_xxh3
                        ? EIW_ERR_CHECKSUM
                        : eiw_mmidx_parse(b, len, d->sc.bin_bytes, &d->ix);
    free(b);
    unsigned tb = mf->token_bits / 8, wbytes = mf->window_bits / 8;
    if (st == EIW_OK && (d->ix.sequences != d->sc.ndocs ||
                         d->ix.dtype != (tb == 1 ? EIW_MMIDX_UINT8 : EIW_MMIDX_UINT16)))
        st = EIW_ERR_CORRUPT;
    for (uint64_t i = 0; st == EIW_OK && i < d->ix.sequences; i++)
        if (((uint64_t)d->ix.sizes[i] * tb) % wbytes)
            st = EIW_ERR_CORRUPT;
    return st == EIW_OK ? EIW_OK : shard_file_fail(e, st, prefix, s, ".idx");
}

eiw_status eiw_shard_load(const char *prefix, const eiw_manifest *mf, uint64_t s, int with_bin,
                          eiw_shard_data *d, eiw_dataset_error *e)
{
    memset(d, 0, sizeof *d);
    eiw_status st = eiw_shard_sidecar_read(prefix, s, &d->sc, NULL, e);
    if (st == EIW_OK && (d->sc.window_bits != mf->window_bits ||
                         d->sc.token_bits != mf->token_bits || d->sc.window_end != mf->window_end ||
                         d->sc.model_id != mf->model_id ||
                         d->sc.shard != s)) {
        char path[EIW_DATASET_PATH_MAX];
        eiw_shard_path(path, prefix, s, ".eiwd");
        st = eiw_dataset_fail(e, EIW_ERR_CORRUPT, path, "does not belong to %s.json", prefix);
    }
    if (st == EIW_OK)
        st = load_index(prefix, mf, s, d, e);
    if (st == EIW_OK && with_bin) {
        d->bin = read_shard_file(prefix, s, ".bin", &d->bin_len, e);
        if (!d->bin)
            st = EIW_ERR_IO;
        else if (d->bin_len != d->sc.bin_bytes ||
                 XXH3_64bits(d->bin, d->bin_len) != d->sc.bin_xxh3)
            st = shard_file_fail(e, EIW_ERR_CHECKSUM, prefix, s, ".bin");
    }
    if (st != EIW_OK)
        eiw_shard_data_free(d);
    return st;
}

size_t eiw_shard_tokens(const eiw_shard_data *d, unsigned token_bits, uint16_t *dst)
{
    size_t count = d->bin_len / (token_bits / 8);
    for (size_t i = 0; i < count; i++)
        dst[i] = token_bits == 8 ? d->bin[i] : (uint16_t)get16(d->bin + 2 * i);
    return count;
}

uint8_t *eiw_shard_doc_windows(const eiw_shard_data *d, const eiw_manifest *mf, uint64_t i,
                               size_t *len)
{
    unsigned tb = mf->token_bits / 8;
    *len = (size_t)d->ix.sizes[i] * tb;
    uint8_t *w = malloc(*len ? *len : 1);
    if (!w)
        return NULL;
    memcpy(w, d->bin + d->ix.pointers[i], *len);
    if (tb == 2)
        eiw_tokens_swap16(w, *len);
    return w;
}

uint8_t *eiw_shard_doc_decode(const eiw_shard_data *d, const eiw_manifest *mf,
                              const eiw_model *m, uint64_t i, eiw_status *st)
{
    eiw_window_params wp = { mf->window_bits, mf->token_bits, mf->window_end };
    size_t wlen, n = (size_t)d->sc.docs[i].bytes;
    uint8_t *w = eiw_shard_doc_windows(d, mf, i, &wlen), *out = malloc(n ? n : 1);
    *st = !w || !out ? EIW_ERR_NOMEM : eiw_windows_decode(m, &wp, NULL, w, wlen, out, n);
    if (*st == EIW_OK && XXH3_64bits(out, n) != d->sc.docs[i].xxh3)
        *st = EIW_ERR_CHECKSUM;
    free(w);
    if (*st != EIW_OK) {
        free(out);
        return NULL;
    }
    return out;
}

ptrdiff_t eiw_shard_window_decode(const eiw_shard_data *d, const eiw_manifest *mf,
                                  const eiw_model *m, uint64_t i, uint64_t j, uint8_t *out,
                                  size_t cap, uint64_t *nwin)
{
    eiw_window_params wp = { mf->window_bits, mf->token_bits, mf->window_end };
    size_t wlen, wbytes = mf->window_bits / 8;
    uint8_t *w = eiw_shard_doc_windows(d, mf, i, &wlen);
    void *state = calloc(1, m->state_size);
    ptrdiff_t r = EIW_ERR_NOMEM;
    *nwin = w ? wlen / wbytes : 0;
    if (!w || !state)
        goto done;
    r = EIW_ERR_PARAM;
    if (j >= *nwin)
        goto done;
    ptrdiff_t known = -1;
    if (j == *nwin - 1) {
        /* the last window ends where the document does: its length is what the others leave */
        uint64_t before = 0;
        for (size_t k = 0; k + 1 < *nwin; k++) {
            r = eiw_window_decode(m, &wp, state, w + k * wbytes, -1, out, cap);
            if (r < 0)
                goto done;
            before += (uint64_t)r;
        }
        known = (ptrdiff_t)(d->sc.docs[i].bytes - before);
    }
    r = eiw_window_decode(m, &wp, state, w + j * wbytes, known, out, cap);
done:
    free(w);
    free(state);
    return r;
}

eiw_status eiw_dataset_stats_read(const char *prefix, const eiw_manifest *mf,
                                  eiw_dataset_stats *st, eiw_dataset_error *e)
{
    const unsigned wtok = mf->window_bits / mf->token_bits;
    memset(st, 0, sizeof *st);
    st->windows_min = UINT64_MAX;
    for (uint64_t s = 0; s < mf->shard_count; s++) {
        eiw_shard_data d;
        eiw_status rc = eiw_shard_load(prefix, mf, s, 0, &d, e);
        if (rc != EIW_OK)
            return rc;
        st->documents += d.sc.ndocs;
        st->bad_records += d.sc.bad_records;
        st->input_bytes += d.sc.input_bytes;
        st->tokens += d.sc.tokens;
        for (uint64_t i = 0; i < d.sc.ndocs; i++) {
            uint64_t nw = (uint64_t)d.ix.sizes[i] / wtok;
            st->windows_min = nw < st->windows_min ? nw : st->windows_min;
            st->windows_max = nw > st->windows_max ? nw : st->windows_max;
        }
        eiw_shard_data_free(&d);
    }
    if (!st->documents)
        st->windows_min = 0;
    return EIW_OK;
}
