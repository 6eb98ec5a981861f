/* Megatron .idx and eiw sidecar serialization (see shard.h and docs/tokenize.md). Every
 * integer is little-endian, written byte by byte, so the files are the same on any host. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/byte_order.h"
#include "data/shard.h"

static const uint8_t mmidx_magic[9] = { 'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0 };
static const uint8_t sidecar_magic[8] = { 'E', 'I', 'W', 'D', 'O', 'C', 'S', 0 };

static unsigned dtype_size(int dtype)
{
    return dtype == EIW_MMIDX_UINT8 ? 1 : dtype == EIW_MMIDX_UINT16 ? 2 : 0;
}

eiw_status eiw_mmidx_build(int dtype, const uint32_t *sizes, size_t n, uint8_t **out, size_t *len)
{
    *out = NULL;
    unsigned isz = dtype_size(dtype);
    if (!isz || n > (SIZE_MAX - EIW_MMIDX_HEADER_SIZE - 8) / 28)
        return EIW_ERR_PARAM;
    for (size_t i = 0; i < n; i++)
        if (sizes[i] > INT32_MAX)
            return EIW_ERR_PARAM;
    size_t total = EIW_MMIDX_HEADER_SIZE + 4 * n + 8 * n + 8 * (n + 1);
    uint8_t *b = malloc(total), *p = b;
    if (!b)
        return EIW_ERR_NOMEM;
    memcpy(p, mmidx_magic, 9);
    put64(p + 9, 1);               /* version */
    p[17] = (uint8_t)dtype;
    put64(p + 18, n);              /* sequences */
    put64(p + 26, n + 1);          /* document boundaries: 0, then the end of each */
    p += EIW_MMIDX_HEADER_SIZE;
    for (size_t i = 0; i < n; i++, p += 4)
        put32(p, sizes[i]);
    uint64_t ptr = 0;
    for (size_t i = 0; i < n; i++, p += 8) {
        put64(p, ptr);
        ptr += (uint64_t)sizes[i] * isz;
    }
    for (size_t i = 0; i <= n; i++, p += 8)
        put64(p, i);
    *out = b;
    *len = total;
    return EIW_OK;
}

void eiw_mmidx_free(eiw_mmidx *x)
{
    if (!x)
        return;
    free(x->sizes);
    free(x->pointers);
    free(x->doc_idx);
    x->sizes = NULL;
    x->pointers = x->doc_idx = NULL;
}

eiw_status eiw_mmidx_parse(const uint8_t *buf, size_t len, uint64_t bin_size, eiw_mmidx *x)
{
    memset(x, 0, sizeof *x);
    if (len < EIW_MMIDX_HEADER_SIZE)
        return EIW_ERR_TRUNCATED;
    if (memcmp(buf, mmidx_magic, 9) != 0)
        return EIW_ERR_MAGIC;
    if (get64(buf + 9) != 1)
        return EIW_ERR_VERSION;
    x->dtype = buf[17];
    unsigned isz = dtype_size(x->dtype);
    if (!isz)
        return EIW_ERR_CORRUPT;
    uint64_t ns = get64(buf + 18), nd = get64(buf + 26);
    uint64_t body = len - EIW_MMIDX_HEADER_SIZE;
    if (ns > body / 12 || nd > body / 8 || 12 * ns + 8 * nd != body)
        return EIW_ERR_CORRUPT;
    if (nd == 0)
        return EIW_ERR_CORRUPT;
    x->sequences = ns;
    x->doc_count = nd;
    x->sizes = malloc(ns ? 4 * ns : 1);
    x->pointers = malloc(ns ? 8 * ns : 1);
    x->doc_idx = malloc(8 * nd);
    if (!x->sizes || !x->pointers || !x->doc_idx) {
        eiw_mmidx_free(x);
        return EIW_ERR_NOMEM;
    }
    const uint8_t *p = buf + EIW_MMIDX_HEADER_SIZE;
    for (uint64_t i = 0; i < ns; i++, p += 4)
        x->sizes[i] = (int32_t)get32(p);
    for (uint64_t i = 0; i < ns; i++, p += 8)
        x->pointers[i] = (int64_t)get64(p);
    for (uint64_t i = 0; i < nd; i++, p += 8)
        x->doc_idx[i] = (int64_t)get64(p);
    /* eiw writes one sequence per document, back to back */
    uint64_t at = 0;
    eiw_status st = EIW_OK;
    for (uint64_t i = 0; i < ns && st == EIW_OK; i++) {
        if (x->sizes[i] < 0 || (uint64_t)x->pointers[i] != at)
            st = EIW_ERR_CORRUPT;
        at += (uint64_t)x->sizes[i] * isz;
    }
    if (st == EIW_OK && at != bin_size)
        st = at > bin_size ? EIW_ERR_TRUNCATED : EIW_ERR_CORRUPT;
    for (uint64_t i = 0; i < nd && st == EIW_OK; i++)
        if ((uint64_t)x->doc_idx[i] != (i < ns ? i : ns) || (i == nd - 1 && x->doc_idx[i] != (int64_t)ns))
            st = EIW_ERR_CORRUPT;
    if (st != EIW_OK)
        eiw_mmidx_free(x);
    return st;
}

void eiw_tokens_swap16(uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint8_t t = p[i];
        p[i] = p[i + 1];
        p[i + 1] = t;
    }
}

eiw_status eiw_sidecar_build(const eiw_sidecar *s, uint8_t **out, size_t *len)
{
    *out = NULL;
    if (s->ndocs > (SIZE_MAX - EIW_SIDECAR_HEADER_SIZE - 8) / EIW_SIDECAR_DOC_SIZE)
        return EIW_ERR_PARAM;
    size_t total = EIW_SIDECAR_HEADER_SIZE + EIW_SIDECAR_DOC_SIZE * (size_t)s->ndocs + 8;
    uint8_t *b = calloc(1, total);
    if (!b)
        return EIW_ERR_NOMEM;
    memcpy(b, sidecar_magic, 8);
    /* version: 1 marker end (eiw 0.2), 2 implicit end (0.3), 3 tight end */
    put32(b + 8, s->window_end == EIW_WINDOW_END_MARKER     ? 1
                 : s->window_end == EIW_WINDOW_END_IMPLICIT ? 2
                                                            : 3);
    b[12] = (uint8_t)s->window_bits;
    b[13] = (uint8_t)(s->window_bits >> 8);
    b[14] = (uint8_t)s->token_bits;
    b[15] = (uint8_t)(s->token_bits >> 8);
    put64(b + 16, s->model_id);
    put64(b + 24, s->shard);
    put64(b + 32, s->ndocs);
    put64(b + 40, s->input_bytes);
    put64(b + 48, s->tokens);
    put64(b + 56, s->bad_records);
    put64(b + 64, s->key);
    put64(b + 72, s->bin_bytes);
    put64(b + 80, s->bin_xxh3);
    put64(b + 88, s->idx_xxh3);
    /* 96..103 reserved, zero */
    uint8_t *p = b + EIW_SIDECAR_HEADER_SIZE;
    for (uint64_t i = 0; i < s->ndocs; i++, p += EIW_SIDECAR_DOC_SIZE) {
        put64(p, s->docs[i].bytes);
        put64(p + 8, s->docs[i].xxh3);
        put32(p + 16, s->docs[i].flags);
    }
    put64(p, XXH3_64bits(b, total - 8));
    *out = b;
    *len = total;
    return EIW_OK;
}

void eiw_sidecar_free(eiw_sidecar *s)
{
    if (!s)
        return;
    free(s->docs);
    s->docs = NULL;
}

eiw_status eiw_sidecar_parse(const uint8_t *buf, size_t len, eiw_sidecar *s)
{
    memset(s, 0, sizeof *s);
    if (len < EIW_SIDECAR_HEADER_SIZE + 8)
        return len >= 8 && memcmp(buf, sidecar_magic, 8) != 0 ? EIW_ERR_MAGIC : EIW_ERR_TRUNCATED;
    if (memcmp(buf, sidecar_magic, 8) != 0)
        return EIW_ERR_MAGIC;
    if (get32(buf + 8) == 0 || get32(buf + 8) > EIW_SIDECAR_VERSION)
        return EIW_ERR_VERSION;
    uint64_t nd = get64(buf + 32);
    if (nd > (len - EIW_SIDECAR_HEADER_SIZE - 8) / EIW_SIDECAR_DOC_SIZE)
        return EIW_ERR_TRUNCATED;
    if (EIW_SIDECAR_HEADER_SIZE + EIW_SIDECAR_DOC_SIZE * nd + 8 != len)
        return EIW_ERR_CORRUPT;
    if (XXH3_64bits(buf, len - 8) != get64(buf + len - 8))
        return EIW_ERR_CHECKSUM;
    s->window_bits = (unsigned)buf[12] | (unsigned)buf[13] << 8;
    s->token_bits = (unsigned)buf[14] | (unsigned)buf[15] << 8;
    s->window_end = get32(buf + 8) == 1   ? EIW_WINDOW_END_MARKER
                    : get32(buf + 8) == 2 ? EIW_WINDOW_END_IMPLICIT
                                          : EIW_WINDOW_END_TIGHT;
    eiw_window_params wp = { s->window_bits, s->token_bits, s->window_end };
    if (eiw_window_params_check(&wp) != EIW_OK)
        return EIW_ERR_CORRUPT;
    s->model_id = get64(buf + 16);
    s->shard = get64(buf + 24);
    s->ndocs = nd;
    s->input_bytes = get64(buf + 40);
    s->tokens = get64(buf + 48);
    s->bad_records = get64(buf + 56);
    s->key = get64(buf + 64);
    s->bin_bytes = get64(buf + 72);
    s->bin_xxh3 = get64(buf + 80);
    s->idx_xxh3 = get64(buf + 88);
    if (s->bin_bytes != s->tokens * (s->token_bits / 8))
        return EIW_ERR_CORRUPT;
    s->docs = malloc(nd ? nd * sizeof *s->docs : 1);
    if (!s->docs)
        return EIW_ERR_NOMEM;
    const uint8_t *p = buf + EIW_SIDECAR_HEADER_SIZE;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < nd; i++, p += EIW_SIDECAR_DOC_SIZE) {
        s->docs[i].bytes = get64(p);
        s->docs[i].xxh3 = get64(p + 8);
        s->docs[i].flags = get32(p + 16);
        sum += s->docs[i].bytes;
    }
    if (sum != s->input_bytes) {
        eiw_sidecar_free(s);
        return EIW_ERR_CORRUPT;
    }
    return EIW_OK;
}

