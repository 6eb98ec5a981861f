/* Stream mode: one coder stream over a whole block, the model keeping all the context it can
 * use. Encoding evaluates the model over known bytes in chunks (predict_run), decoding goes
 * byte by byte. No windows, no padding beyond the last byte. */
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "codec/model_run.h"
#include "codec/range_coder.h"

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

/* One stream being decoded, one byte per step. */
typedef struct {
    rc_decoder d;
    rc_encoder e;        /* re-codes the decoded symbols: the stream must be exactly its output */
    uint8_t *canon;
    const uint8_t *src;
    size_t src_len, n, i;
    uint8_t *dst;
    void *state;
    eiw_status st;
    int done;
} stream_decoder;

static void sd_finish(stream_decoder *sd)
{
    if (sd->st == EIW_OK) {
        rc_enc_finish(&sd->e);
        if (sd->e.overflow || sd->e.pos != sd->src_len ||
            memcmp(sd->canon, sd->src, sd->src_len) != 0)
            sd->st = EIW_ERR_CORRUPT;
    }
    sd->done = 1;
}

static void sd_init(stream_decoder *sd, const eiw_model *m, void *state, const uint8_t *src,
                    size_t src_len, uint8_t *dst, size_t n)
{
    sd->canon = malloc(src_len + 16);
    sd->src = src;
    sd->src_len = src_len;
    sd->n = n;
    sd->i = 0;
    sd->dst = dst;
    sd->state = state;
    sd->st = sd->canon ? EIW_OK : EIW_ERR_NOMEM;
    sd->done = 0;
    rc_enc_init(&sd->e, sd->canon, src_len + 16);
    rc_dec_init(&sd->d, src, src_len);
    m->ops->reset(m, state);
    if (!sd->canon || n == 0)
        sd_finish(sd);
}

static void sd_step(stream_decoder *sd, const eiw_model *m, const uint32_t *w)
{
    uint32_t freq[256], cum[257];
    eiw_quantize(w, EIW_FLOOR_DEFAULT, freq, cum);
    unsigned s = rc_dec_symbol(&sd->d, cum);
    rc_dec_take(&sd->d, cum[s], freq[s]);
    rc_enc_put(&sd->e, cum[s], freq[s]);
    sd->dst[sd->i] = (uint8_t)s;
    /* A valid stream never reads more than a few bytes past its end (the zero padding). */
    if (sd->d.pos > sd->src_len + 8 || sd->e.overflow) {
        sd->st = EIW_ERR_CORRUPT;
        sd_finish(sd);
        return;
    }
    if (++sd->i == sd->n) {
        sd_finish(sd);
        return;
    }
    m->ops->advance(m, sd->state, sd->dst + sd->i - 1, 1);
}

/* Streams per lockstep group: each step asks the model about all of them in one call. */
#define STREAM_LANES 16

void eiw_stream_decode_many(const eiw_model *m, size_t count, void *const *states,
                            const uint8_t *const *src, const size_t *src_len,
                            uint8_t *const *dst, const size_t *n, eiw_status *status)
{
    stream_decoder sd[STREAM_LANES];
    uint32_t *w = malloc(sizeof(uint32_t) * 256 * STREAM_LANES);
    for (size_t g = 0; g < count; g += STREAM_LANES) {
        size_t k = count - g < STREAM_LANES ? count - g : STREAM_LANES;
        if (!w) {
            for (size_t i = 0; i < k; i++)
                status[g + i] = EIW_ERR_NOMEM;
            continue;
        }
        for (size_t i = 0; i < k; i++)
            sd_init(&sd[i], m, states[g + i], src[g + i], src_len[g + i], dst[g + i], n[g + i]);
        for (;;) {
            void *act_states[STREAM_LANES];
            size_t act[STREAM_LANES], na = 0;
            for (size_t i = 0; i < k; i++)
                if (!sd[i].done) {
                    act[na] = i;
                    act_states[na++] = sd[i].state;
                }
            if (!na)
                break;
            m->ops->predict(m, act_states, na, w);
            for (size_t a = 0; a < na; a++)
                sd_step(&sd[act[a]], m, w + 256 * a);
        }
        for (size_t i = 0; i < k; i++) {
            status[g + i] = sd[i].st;
            free(sd[i].canon);
        }
    }
    free(w);
}

eiw_status eiw_stream_decode(const eiw_model *m, void *state, const uint8_t *src,
                             size_t src_len, uint8_t *dst, size_t n)
{
    eiw_status st;
    void *states[1] = { state };
    eiw_stream_decode_many(m, 1, states, &src, &src_len, &dst, &n, &st);
    return st;
}
