/* Seeded, resumable data order for the trainer (see train_data.h). Pages of 1024 tokens are
 * small enough that a batch mixes many places of the corpus and large enough to keep samples
 * contiguous text. A tail shorter than a page is never used. */
#include "model/train_data.h"
#include "model/transformer.h"

#include <stdlib.h>

#define PAGE_TOKENS 1024

static void make_perm(eiw_train_data *d)
{
    uint64_t st = d->seed * 0x9E3779B97F4A7C15ull + (uint64_t)d->epoch + 0xDA7Aull;
    for (size_t i = 0; i < d->npages; i++)
        d->perm[i] = (uint32_t)i;
    for (size_t i = d->npages; i > 1; i--) {
        size_t j = (size_t)(eiw_rng_next(&st) % i);
        uint32_t t = d->perm[i - 1];
        d->perm[i - 1] = d->perm[j];
        d->perm[j] = t;
    }
}

int eiw_train_data_init(eiw_train_data *d, const uint16_t *tok, size_t n, uint64_t seed,
                        size_t max_sample)
{
    d->perm = NULL;
    d->tok = tok;
    d->n = n;
    d->page = n >= 64 * PAGE_TOKENS ? PAGE_TOKENS : n;
    d->npages = d->page ? n / d->page : 0;
    d->seed = seed;
    if (!tok || d->npages * d->page < max_sample || d->npages > UINT32_MAX)
        return EIW_TRAIN_ERR_DATA;
    d->perm = malloc(d->npages * sizeof *d->perm);
    if (!d->perm)
        return EIW_TRAIN_ERR_NOMEM;
    eiw_train_data_seek(d, 0, 0);
    return EIW_TRAIN_OK;
}

void eiw_train_data_free(eiw_train_data *d)
{
    if (d) {
        free(d->perm);
        d->perm = NULL;
    }
}

void eiw_train_data_seek(eiw_train_data *d, int64_t epoch, uint64_t cursor)
{
    d->epoch = epoch;
    d->cursor = cursor;
    make_perm(d);
}

static int tok_at(const eiw_train_data *d, uint64_t vpos)
{
    size_t pg = d->perm[vpos / d->page];
    return d->tok[pg * d->page + vpos % d->page];
}

void eiw_train_data_next(eiw_train_data *d, int *inp, int *tgt, int T, int K, int bos)
{
    uint64_t len = (uint64_t)K * ((uint64_t)T + 1), total = (uint64_t)d->npages * d->page;
    if (d->cursor + len > total)
        eiw_train_data_seek(d, d->epoch + 1, 0);
    if (bos >= 0 && K == 1) {
        for (int i = 0; i < T; i++) {
            inp[i] = i ? tok_at(d, d->cursor + (uint64_t)i - 1) : bos;
            tgt[i] = tok_at(d, d->cursor + (uint64_t)i);
        }
        d->cursor += (uint64_t)T;
        return;
    }
    for (uint64_t i = 0; i < (uint64_t)T * K; i++) {
        inp[i] = tok_at(d, d->cursor + i);
        tgt[i] = tok_at(d, d->cursor + K + i);
    }
    d->cursor += (uint64_t)T * K;
}
