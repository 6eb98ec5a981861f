/* Writing token datasets (see dataset_writer.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "data/dataset_writer.h"
#include "data/token_dataset.h"

int eiw_shard_complete(const eiw_shard_settings *s, uint64_t shard, uint64_t key,
                       eiw_sidecar *sc)
{
    char path[EIW_DATASET_PATH_MAX];
    eiw_dataset_error ignored;   /* a missing or damaged shard is simply not complete */
    if (eiw_shard_sidecar_read(s->prefix, shard, sc, NULL, &ignored) != EIW_OK) {
        eiw_sidecar_free(sc);
        return 0;
    }
    uint64_t h, size;
    int ok = sc->key == key && sc->model_id == s->m->id && sc->shard == shard &&
             sc->window_bits == s->wp.window_bits && sc->token_bits == s->wp.token_bits &&
             sc->window_end == s->wp.end_rule;
    eiw_shard_path(path, s->prefix, shard, ".bin");
    ok = ok && eiw_hash_file(path, &h, &size) == 0 && h == sc->bin_xxh3 && size == sc->bin_bytes;
    eiw_shard_path(path, s->prefix, shard, ".idx");
    ok = ok && eiw_hash_file(path, &h, &size) == 0 && h == sc->idx_xxh3;
    if (!ok)
        eiw_sidecar_free(sc);
    return ok;
}

/* The sidecar's records of the coded documents, the .bin's parts and the index's sizes. */
static void gather(const eiw_shard_settings *s, eiw_shard_buffer *sb, eiw_sidecar *sc,
                   eiw_span *parts, uint32_t *sizes)
{
    const unsigned tb = s->wp.token_bits / 8;
    size_t k = 0;
    for (size_t i = 0; i < sb->ndocs; i++) {
        eiw_shard_doc *d = &sb->docs[i];
        if (d->status != EIW_OK)
            continue;
        if (tb == 2)
            eiw_tokens_swap16(d->tokens, d->tok_len);
        parts[k].data = d->tokens;
        parts[k].len = d->tok_len;
        sizes[k] = (uint32_t)(d->tok_len / tb);
        sc->docs[k].bytes = d->len;
        sc->docs[k].xxh3 = d->xxh3;
        sc->docs[k].flags = d->flags;
        sc->input_bytes += d->len;
        sc->tokens += d->tok_len / tb;
        k++;
    }
    sc->ndocs = k;
    sc->bad_records = sb->bad + (sb->ndocs - k);
    sc->bin_bytes = sc->tokens * tb;
}

static uint64_t parts_xxh3(const eiw_span *parts, size_t n)
{
    XXH3_state_t *h = XXH3_createState();
    if (!h)
        return 0;
    XXH3_64bits_reset(h);
    for (size_t i = 0; i < n; i++)
        XXH3_64bits_update(h, parts[i].data, parts[i].len);
    uint64_t v = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return v;
}

static eiw_status write_file(eiw_file_writer w, void *ctx, const char *prefix, uint64_t shard,
                             const char *ext, const eiw_span *parts, size_t n,
                             eiw_dataset_error *e)
{
    char path[EIW_DATASET_PATH_MAX];
    eiw_shard_path(path, prefix, shard, ext);
    int err = w(ctx, path, parts, n);
    return err ? eiw_dataset_fail(e, EIW_ERR_IO, path, "%s", strerror(err)) : EIW_OK;
}

eiw_status eiw_shard_write(const eiw_shard_settings *s, eiw_shard_buffer *sb, uint64_t shard,
                           uint64_t key, eiw_file_writer w, void *ctx, eiw_sidecar *sc,
                           eiw_dataset_error *e)
{
    size_t ok_docs = 0;
    for (size_t i = 0; i < sb->ndocs; i++)
        ok_docs += sb->docs[i].status == EIW_OK;
    memset(sc, 0, sizeof *sc);
    sc->docs = malloc((ok_docs ? ok_docs : 1) * sizeof *sc->docs);
    uint32_t *sizes = malloc((ok_docs ? ok_docs : 1) * sizeof *sizes);
    eiw_span *parts = malloc((ok_docs ? ok_docs : 1) * sizeof *parts);
    uint8_t *idx = NULL, *side = NULL;
    size_t idx_len = 0, side_len = 0;
    eiw_status st = EIW_ERR_NOMEM;
    if (sc->docs && sizes && parts) {
        gather(s, sb, sc, parts, sizes);
        sc->window_bits = s->wp.window_bits;
        sc->token_bits = s->wp.token_bits;
        sc->window_end = s->wp.end_rule;
        sc->model_id = s->m->id;
        sc->shard = shard;
        sc->key = key;
        sc->bin_xxh3 = parts_xxh3(parts, ok_docs);
        st = eiw_mmidx_build(s->wp.token_bits == 8 ? EIW_MMIDX_UINT8 : EIW_MMIDX_UINT16, sizes,
                             ok_docs, &idx, &idx_len);
    }
    if (st == EIW_OK) {
        sc->idx_xxh3 = XXH3_64bits(idx, idx_len);
        st = eiw_sidecar_build(sc, &side, &side_len);
    }
    if (st != EIW_OK) {
        eiw_dataset_fail(e, st, s->prefix, "%s", st == EIW_ERR_NOMEM ? strerror(ENOMEM)
                                                                      : eiw_strerror(st));
    } else {
        eiw_span idx_part = { idx, idx_len }, side_part = { side, side_len };
        st = write_file(w, ctx, s->prefix, shard, ".bin", parts, ok_docs, e);
        if (st == EIW_OK)
            st = write_file(w, ctx, s->prefix, shard, ".idx", &idx_part, 1, e);
        if (st == EIW_OK)
            st = write_file(w, ctx, s->prefix, shard, ".eiwd", &side_part, 1, e);
    }
    free(sizes);
    free(parts);
    free(idx);
    free(side);
    if (st != EIW_OK)
        eiw_sidecar_free(sc);
    return st;
}

/* Shard s as the manifest lists it. */
static eiw_status manifest_shard(const char *prefix, uint64_t s, eiw_manifest_shard *out,
                                 eiw_dataset_error *e)
{
    eiw_sidecar sc;
    eiw_status st = eiw_shard_sidecar_read(prefix, s, &sc, &out->eiwd_xxh3, e);
    if (st == EIW_OK) {
        out->documents = sc.ndocs;
        out->bad_records = sc.bad_records;
        out->input_bytes = sc.input_bytes;
        out->tokens = sc.tokens;
        out->bin_bytes = sc.bin_bytes;
        out->bin_xxh3 = sc.bin_xxh3;
        out->idx_xxh3 = sc.idx_xxh3;
    }
    eiw_sidecar_free(&sc);
    return st;
}

eiw_status eiw_dataset_manifest_write(const char *prefix, eiw_manifest *mf, eiw_file_writer w,
                                      void *ctx, eiw_dataset_error *e)
{
    const uint64_t n = mf->shard_count;
    eiw_manifest_shard *shards = calloc(n ? n : 1, sizeof *shards);
    if (!shards)
        return eiw_dataset_fail(e, EIW_ERR_NOMEM, prefix, "%s", strerror(ENOMEM));
    eiw_status st = EIW_OK;
    for (uint64_t s = 0; s < n && st == EIW_OK; s++)
        st = manifest_shard(prefix, s, &shards[s], e);
    const char *base = strrchr(prefix, '/');
    mf->prefix_name = base ? base + 1 : prefix;
    mf->shards = shards;
    char *js = NULL;
    size_t len = 0;
    if (st == EIW_OK) {
        st = eiw_manifest_build(mf, &js, &len);
        if (st != EIW_OK)
            eiw_dataset_fail(e, st, prefix, "%s", st == EIW_ERR_NOMEM ? strerror(ENOMEM)
                                                                      : eiw_strerror(st));
    }
    if (st == EIW_OK) {
        char path[EIW_DATASET_PATH_MAX];
        eiw_manifest_path(path, prefix);
        eiw_span part = { js, len };
        int err = w(ctx, path, &part, 1);
        if (err)
            st = eiw_dataset_fail(e, EIW_ERR_IO, path, "%s", strerror(err));
    }
    mf->shards = NULL;
    free(shards);
    free(js);
    return st;
}

void eiw_dataset_remove_shards_from(const char *prefix, uint64_t from)
{
    static const char *const exts[] = { ".eiwd", ".bin", ".idx" };
    char path[EIW_DATASET_PATH_MAX];
    for (uint64_t s = from;; s++) {
        int any = 0;
        for (int i = 0; i < 3; i++) {
            eiw_shard_path(path, prefix, s, exts[i]);
            any |= unlink(path) == 0;
        }
        if (!any)
            break;
    }
}
