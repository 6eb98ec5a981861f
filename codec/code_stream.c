/* Stream mode: one coder stream over a whole block, the model keeping all the context it can
 * use. Encoding evaluates the model over known bytes in chunks (predict_run), decoding goes
 * byte by byte. No windows, no padding beyond the last byte. */
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "model_run.h"
#include "range_coder.h"

ptrdiff_t eiw_stream_encode(const eiw_model *m, void *state, const uint8_t *src, size_t n,
                            uint8_t *dst, size_t dst_cap)
{
    uint32_t *w = malloc(sizeof(uint32_t) * 256 * EIW_RUN_CHUNK);
    if (!w)
        return EIW_ERR_NOMEM;
    uint32_t freq[256], cum[257];
    rc_encoder e;
    rc_enc_init(&e, dst, dst_cap);
    m->ops->reset(m, state);
    for (size_t pos = 0; pos < n && !e.overflow; pos += EIW_RUN_CHUNK) {
        size_t len = n - pos < EIW_RUN_CHUNK ? n - pos : EIW_RUN_CHUNK;
        model_run(m, state, src + pos, len, w);
        for (size_t i = 0; i < len; i++) {
            eiw_quantize(w + 256 * i, EIW_FLOOR_DEFAULT, freq, cum);
            rc_enc_put(&e, cum[src[pos + i]], freq[src[pos + i]]);
        }
    }
    free(w);
    if (!e.overflow)
        rc_enc_finish(&e);
    return e.overflow ? EIW_ERR_DST_TOO_SMALL : (ptrdiff_t)e.pos;
}

eiw_status eiw_stream_decode(const eiw_model *m, void *state, const uint8_t *src,
                             size_t src_len, uint8_t *dst, size_t n)
{
    uint32_t w[256], freq[256], cum[257];
    /* A second encoder re-codes the decoded symbols: the stream must be exactly its output,
     * so every content has one encoding and no bit (padding included) goes unchecked. */
    uint8_t *canon = malloc(src_len + 16);
    if (!canon)
        return EIW_ERR_NOMEM;
    rc_encoder e;
    rc_enc_init(&e, canon, src_len + 16);
    rc_decoder d;
    rc_dec_init(&d, src, src_len);
    eiw_status st = EIW_OK;
    m->ops->reset(m, state);
    for (size_t i = 0; i < n; i++) {
        model_predict1(m, state, w);
        eiw_quantize(w, EIW_FLOOR_DEFAULT, freq, cum);
        unsigned s = rc_dec_symbol(&d, cum);
        rc_dec_take(&d, cum[s], freq[s]);
        rc_enc_put(&e, cum[s], freq[s]);
        dst[i] = (uint8_t)s;
        m->ops->advance(m, state, dst + i, 1);
        /* A valid stream never reads more than a few bytes past its end (the zero padding). */
        if (d.pos > src_len + 8 || e.overflow) {
            st = EIW_ERR_CORRUPT;
            break;
        }
    }
    if (st == EIW_OK) {
        rc_enc_finish(&e);
        if (e.overflow || e.pos != src_len || memcmp(canon, src, src_len) != 0)
            st = EIW_ERR_CORRUPT;
    }
    free(canon);
    return st;
}
