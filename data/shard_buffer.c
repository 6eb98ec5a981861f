/* The shard being filled (see shard_buffer.h). */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/byte_order.h"
#include "data/doc_encode.h"
#include "data/shard.h"
#include "data/shard_buffer.h"

static eiw_status keep_bytes(eiw_shard_buffer *sb, const eiw_doc *d, eiw_shard_doc *x)
{
    if (sb->text_len + d->len > sb->text_cap) {
        size_t nc = sb->text_cap ? sb->text_cap : (1u << 20);
        while (nc < sb->text_len + d->len)
            nc *= 2;
        uint8_t *nt = realloc(sb->text, nc);
        if (!nt)
            return EIW_ERR_NOMEM;
        sb->text = nt;
        sb->text_cap = nc;
    }
    if (d->len)
        memcpy(sb->text + sb->text_len, d->data, d->len);
    x->off = sb->text_len;
    x->xxh3 = XXH3_64bits(d->data, d->len);
    sb->text_len += d->len;
    return EIW_OK;
}

eiw_status eiw_shard_buffer_add(eiw_shard_buffer *sb, const eiw_doc *d, int keep_text)
{
    if (sb->ndocs == sb->cap_docs) {
        size_t nc = sb->cap_docs ? 2 * sb->cap_docs : 256;
        eiw_shard_doc *nd = realloc(sb->docs, nc * sizeof *nd);
        if (!nd)
            return EIW_ERR_NOMEM;
        sb->docs = nd;
        sb->cap_docs = nc;
    }
    eiw_shard_doc *x = &sb->docs[sb->ndocs];
    memset(x, 0, sizeof *x);
    x->len = d->len;
    x->source = d->source;
    x->line = d->line;
    x->flags = d->delimited ? EIW_DOC_DELIMITED : 0;
    if (keep_text && keep_bytes(sb, d, x) != EIW_OK)
        return EIW_ERR_NOMEM;
    sb->ndocs++;
    sb->bytes += d->len;
    return EIW_OK;
}

void eiw_shard_buffer_reset(eiw_shard_buffer *sb)
{
    for (size_t i = 0; i < sb->ndocs; i++)
        free(sb->docs[i].tokens);
    sb->ndocs = 0;
    sb->text_len = 0;
    sb->bytes = 0;
    sb->bad = 0;
}

void eiw_shard_buffer_free(eiw_shard_buffer *sb)
{
    eiw_shard_buffer_reset(sb);
    free(sb->docs);
    free(sb->text);
    memset(sb, 0, sizeof *sb);
}

uint64_t eiw_shard_key(const eiw_shard_settings *s, const eiw_shard_buffer *sb, uint64_t shard)
{
    XXH3_state_t *h = XXH3_createState();
    if (!h)
        return 0;
    XXH3_64bits_reset(h);
    uint8_t head[32];
    put64(head, s->m->id);
    put64(head + 8, s->wp.window_bits);
    put64(head + 16, s->wp.token_bits);
    put64(head + 24, shard);
    XXH3_64bits_update(h, head, sizeof head);
    if (s->wp.end_rule != EIW_WINDOW_END_MARKER) {   /* marker keys stay those of eiw 0.2 */
        uint8_t rule[8];
        put64(rule, s->wp.end_rule + 1);
        XXH3_64bits_update(h, rule, sizeof rule);
    }
    for (size_t i = 0; i < sb->ndocs; i++) {
        uint8_t rec[20];
        put64(rec, sb->docs[i].len);
        put64(rec + 8, sb->docs[i].xxh3);
        put32(rec + 16, sb->docs[i].flags);
        XXH3_64bits_update(h, rec, sizeof rec);
    }
    uint8_t tail[8];
    put64(tail, sb->bad);
    XXH3_64bits_update(h, tail, sizeof tail);
    uint64_t k = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return k;
}

void eiw_shard_encode(const eiw_shard_settings *s, eiw_shard_buffer *sb, int threads,
                      void (*progress)(void *ctx, uint64_t bytes), void *progress_ctx)
{
    size_t n = sb->ndocs;
    eiw_doc_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    eiw_status st = EIW_ERR_NOMEM;
    if (jobs) {
        for (size_t i = 0; i < n; i++) {
            jobs[i].src = sb->docs[i].len ? sb->text + sb->docs[i].off : NULL;
            jobs[i].n = sb->docs[i].len;
        }
        eiw_doc_encode_options o = { threads, 0, 0, progress, progress_ctx };
        st = eiw_docs_encode(s->m, &s->wp, jobs, n, &o);
    }
    for (size_t i = 0; i < n; i++) {
        sb->docs[i].status = st != EIW_OK ? st : jobs[i].status;
        sb->docs[i].tokens = st != EIW_OK ? NULL : jobs[i].out;
        sb->docs[i].tok_len = st != EIW_OK ? 0 : jobs[i].out_len;
    }
    free(jobs);
}
