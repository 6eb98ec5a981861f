/* Equal-Info Windows: windows of exactly window_bits bits, coder and model reset at every
 * window. A window holds a code c of j bits, then a 1 bit, then zero padding; c names the
 * dyadic interval D = [c, c + 2^-j). The decoder strips the padding and the 1, decodes from
 * both ends of D in lockstep and stops where they disagree. The encoder ends a window after
 * the longest prefix P for which some D inside P's interval also straddles a boundary of the
 * next byte's partition, so the two ends disagree exactly after P: no side information and
 * no ambiguity. (The paper's rule -- shortest code, keep the longest prefix that re-encodes
 * to the window -- is ambiguous: a window for "t" also re-encodes as "t " when a likely space
 * codes to zero bits.) Only a document's last window uses its byte count instead, and its
 * plain shortest code.
 * Why a window never gets stuck: the first byte is quantized to 13 bits and coded exactly, so
 * its interval is a union of aligned 2^-13 blocks; the next byte's partition has 255 distinct
 * boundaries inside it, and the 2^-13 block around any one not on a block edge straddles it:
 * 13 + 1 bits <= 16. Only a partition with every boundary on a block edge (all 255 next-byte
 * frequencies multiples of 2^11) could fail; EIW_ERR_AMBIGUOUS reports that. */
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "model_run.h"
#include "range_coder.h"

#define WBYTES_MAX (EIW_WINDOW_BITS_MAX / 8)
#define SCRATCH (WBYTES_MAX + 16)   /* one rejected symbol can shift out at most 3 bytes */

eiw_status eiw_window_params_check(const eiw_window_params *p)
{
    if (!p || (p->token_bits != 8 && p->token_bits != 16))
        return EIW_ERR_PARAM;
    if (p->window_bits < EIW_WINDOW_BITS_MIN || p->window_bits > EIW_WINDOW_BITS_MAX ||
        p->window_bits % p->token_bits)
        return EIW_ERR_PARAM;
    return EIW_OK;
}

/* Coder frequencies for position k of a window. */
static inline void quantize_at(size_t k, const uint32_t *w, uint32_t freq[256], uint32_t cum[257])
{
    if (k == 0)
        eiw_quantize_window_start(w, freq, cum);
    else
        eiw_quantize(w, EIW_FLOOR_DEFAULT, freq, cum);
}

/* Positions per predict_run call: about twice the bytes a window has been holding, so a
 * transformer evaluates a window's candidates in one pass without much wasted work. */
static size_t next_chunk(size_t bytes_done, size_t windows_done)
{
    size_t avg = windows_done ? bytes_done / windows_done : 4;
    size_t c = 2 * avg + 4;
    return c > EIW_RUN_CHUNK ? EIW_RUN_CHUNK : c;
}

/* Position of boundary t (first unit of symbol t) in the encoder's current 32-bit window. */
static inline uint64_t boundary(const rc_encoder *e, const uint32_t cum[257], unsigned t)
{
    return e->low + (((uint64_t)e->range * cum[t]) >> EIW_FREQ_BITS);
}

/* Does block v at level s (units [v<<s, (v+1)<<s)) contain a boundary strictly inside? */
static int straddles(const rc_encoder *e, const uint32_t cum[257], uint64_t v, unsigned s)
{
    uint64_t a = v << s, z = ((v + 1) << s) - 1;
    unsigned lo = 1, hi = 256;   /* first t in [1, 256) with boundary > a; 256 = none */
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (boundary(e, cum, mid) > a)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo < 256 && boundary(e, cum, lo) <= z;
}

/* Finds the shortest code (plus its 1 bit, at most max_bits in all) whose dyadic interval lies
 * in the encoder's interval and straddles a boundary of the partition cum: block v at level s. */
static int find_straddling_code(const rc_encoder *e, const uint32_t cum[257], uint64_t max_bits,
                                uint64_t *v_out, unsigned *s_out)
{
    uint64_t fixed = 8 * e->shifted;
    if (fixed + 2 > max_bits)
        return 0;
    /* code bits j = fixed + 32 - s, plus the 1 bit: s >= fixed + 33 - max_bits, and s >= 1 */
    unsigned s_min = max_bits - fixed >= 32 ? 1 : (unsigned)(33 - (max_bits - fixed));
    for (int s = 31; s >= (int)s_min; s--) {
        uint64_t vlo = (e->low + ((1ull << s) - 1)) >> s;
        uint64_t vhi = (e->low + e->range) >> s;   /* blocks vlo .. vhi-1 lie inside */
        if (vlo >= vhi)
            continue;
        if (vhi - vlo <= 32) {
            for (uint64_t v = vlo; v < vhi; v++)
                if (straddles(e, cum, v, (unsigned)s)) {
                    *v_out = v;
                    *s_out = (unsigned)s;
                    return 1;
                }
            continue;
        }
        uint64_t mask = (1ull << s) - 1;
        for (unsigned t = 1; t < 256; t++) {
            uint64_t q = boundary(e, cum, t), v = q >> s;
            if ((q & mask) && v >= vlo && v < vhi) {
                *v_out = v;
                *s_out = (unsigned)s;
                return 1;
            }
        }
    }
    return 0;
}

/* Most bytes one window may hold: keeps windows (and the decoder's work) bounded even for a
 * model that is nearly certain of long runs. */
#define WINDOW_BYTES_MAX (1u << 16)

ptrdiff_t eiw_windows_encode(const eiw_model *m, const eiw_window_params *p, void *state,
                             const uint8_t *src, size_t n, uint8_t *dst, size_t dst_cap,
                             uint32_t *window_counts)
{
    if (eiw_window_params_check(p) != EIW_OK)
        return EIW_ERR_PARAM;
    const uint64_t b = p->window_bits;
    const size_t wbytes = p->window_bits / 8;
    uint32_t *w = malloc(sizeof(uint32_t) * 256 * EIW_RUN_CHUNK);
    if (!w)
        return EIW_ERR_NOMEM;
    uint8_t scratch[SCRATCH];
    uint32_t freq[256], cum[257];
    size_t pos = 0, out = 0, nwin = 0;
    ptrdiff_t ret = 0;

    while (pos < n) {
        if (dst_cap - out < wbytes) {
            ret = EIW_ERR_DST_TOO_SMALL;
            break;
        }
        rc_encoder e, best;
        rc_enc_init(&e, scratch, sizeof scratch);
        m->ops->reset(m, state);
        size_t k = 0, best_k = 0, chunk_at = 0, chunk_len = 0, limit = n - pos;
        uint64_t best_v = 0;
        unsigned best_s = 0;
        if (limit > WINDOW_BYTES_MAX)
            limit = WINDOW_BYTES_MAX;
        for (;;) {
            if (k == limit)
                break;
            if (k == chunk_at + chunk_len) {   /* model output for the next positions */
                chunk_at = k;
                chunk_len = next_chunk(pos, nwin);
                if (chunk_len > limit - k)
                    chunk_len = limit - k;
                model_run(m, state, src + pos + k, chunk_len, w);
            }
            quantize_at(k, w + 256 * (k - chunk_at), freq, cum);
            /* Can the window end after the k bytes coded so far? */
            if (k > 0 && find_straddling_code(&e, cum, b, &best_v, &best_s)) {
                best = e;
                best_k = k;
            }
            rc_encoder before = e;
            uint8_t x = src[pos + k];
            rc_enc_put(&e, cum[x], freq[x]);
            if (rc_enc_code_bits(&e) > b) {
                e = before;
                break;
            }
            k++;
        }
        uint64_t bits;
        if (pos + k == n) {                /* last window: its byte count is known */
            bits = rc_enc_finish(&e);
        } else if (best_k > 0) {
            k = best_k;
            bits = rc_enc_finish_at(&best, 2 * best_v + 1, best_s - 1);   /* c, then a 1 */
        } else {
            ret = EIW_ERR_AMBIGUOUS;
            break;
        }
        size_t used = (size_t)((bits + 7) / 8);
        memcpy(dst + out, scratch, used);
        memset(dst + out + used, 0, wbytes - used);
        if (window_counts)
            window_counts[nwin] = (uint32_t)k;
        nwin++;
        out += wbytes;
        pos += k;
    }
    free(w);
    return ret < 0 ? ret : (ptrdiff_t)out;
}

/* Is the window exactly what the encoder writes for the coded prefix held by e (next-byte
 * partition cum, or the last window's shortest code when cum is NULL)? Rejects any other bits,
 * padding included, so every valid content has one encoding. */
static int window_is_canonical(const rc_encoder *e, const uint32_t *cum, uint64_t b,
                               const uint8_t *window, size_t wbytes)
{
    uint8_t canon[SCRATCH];
    rc_encoder fin = *e;
    fin.out = canon;
    fin.cap = sizeof canon;
    memcpy(canon, e->out, e->pos);
    uint64_t bits;
    if (cum) {
        uint64_t v;
        unsigned s;
        if (!find_straddling_code(e, cum, b, &v, &s))
            return 0;
        bits = rc_enc_finish_at(&fin, 2 * v + 1, s - 1);
    } else {
        bits = rc_enc_finish(&fin);
    }
    size_t used = (size_t)((bits + 7) / 8);
    if (bits > b || fin.overflow)
        return 0;
    memset(canon + used, 0, wbytes - used);
    return memcmp(canon, window, wbytes) == 0;
}

ptrdiff_t eiw_window_decode(const eiw_model *m, const eiw_window_params *p, void *state,
                            const uint8_t *window, ptrdiff_t known_len, uint8_t *dst,
                            size_t dst_cap)
{
    if (eiw_window_params_check(p) != EIW_OK)
        return EIW_ERR_PARAM;
    const uint64_t b = p->window_bits;
    const size_t wbytes = p->window_bits / 8;
    size_t last = wbytes;   /* the byte holding the last 1 bit: the end of the code */
    while (last && window[last - 1] == 0)
        last--;
    if (last == 0 && known_len < 0)   /* only a last window may be all zero bits */
        return EIW_ERR_CORRUPT;
    if (known_len >= 0 && (size_t)known_len > dst_cap)
        return EIW_ERR_DST_TOO_SMALL;
    /* Both ends of D: the code followed by zeros, and the code followed by ones. A last window
     * has no 1 bit after its code; it is decoded from the window as it is. */
    uint8_t bottom[WBYTES_MAX], top[WBYTES_MAX], scratch[SCRATCH];
    memcpy(bottom, window, wbytes);
    memcpy(top, window, wbytes);
    if (known_len < 0) {
        uint8_t one = (uint8_t)(window[last - 1] & -window[last - 1]);   /* lowest set bit */
        bottom[last - 1] = (uint8_t)(window[last - 1] & ~one);
        top[last - 1] = (uint8_t)(window[last - 1] | (one - 1));
        memset(top + last, 0xFF, wbytes - last);
    }
    uint32_t wt[256], freq[256], cum[257];
    rc_decoder lo, hi;
    rc_encoder e;   /* re-encodes what is decoded, to check the window is canonical */
    rc_dec_init(&lo, bottom, wbytes);
    rc_dec_init_fill(&hi, top, wbytes, 0xFF);
    rc_enc_init(&e, scratch, sizeof scratch);
    m->ops->reset(m, state);
    for (size_t k = 0;; k++) {
        if (known_len >= 0 && k == (size_t)known_len)
            return window_is_canonical(&e, NULL, b, window, wbytes) ? known_len : EIW_ERR_CORRUPT;
        model_predict1(m, state, wt);
        quantize_at(k, wt, freq, cum);
        unsigned x = rc_dec_symbol(&lo, cum);
        if (known_len < 0 && rc_dec_symbol(&hi, cum) != x)
            return k > 0 && window_is_canonical(&e, cum, b, window, wbytes) ? (ptrdiff_t)k
                                                                           : EIW_ERR_CORRUPT;
        if (k == dst_cap || k == WINDOW_BYTES_MAX)
            return known_len < 0 ? EIW_ERR_CORRUPT : EIW_ERR_DST_TOO_SMALL;
        rc_dec_take(&lo, cum[x], freq[x]);
        if (known_len < 0)
            rc_dec_take(&hi, cum[x], freq[x]);
        rc_enc_put(&e, cum[x], freq[x]);
        if (rc_enc_code_bits(&e) > b)
            return EIW_ERR_CORRUPT;
        dst[k] = (uint8_t)x;
        m->ops->advance(m, state, dst + k, 1);
    }
}

eiw_status eiw_windows_decode(const eiw_model *m, const eiw_window_params *p, void *state,
                              const uint8_t *src, size_t src_len, uint8_t *dst, size_t n)
{
    if (eiw_window_params_check(p) != EIW_OK)
        return EIW_ERR_PARAM;
    const size_t wbytes = p->window_bits / 8;
    if (src_len % wbytes)
        return EIW_ERR_CORRUPT;
    size_t nwin = src_len / wbytes, done = 0;
    if ((nwin == 0) != (n == 0) || nwin > n)
        return EIW_ERR_CORRUPT;
    for (size_t i = 0; i < nwin; i++) {
        size_t windows_after = nwin - i - 1;
        size_t remaining = n - done;
        if (remaining <= windows_after)   /* every window holds at least one byte */
            return EIW_ERR_CORRUPT;
        ptrdiff_t got = eiw_window_decode(m, p, state, src + i * wbytes,
                                          windows_after ? -1 : (ptrdiff_t)remaining,
                                          dst + done, remaining - windows_after);
        if (got < 0)
            return got == EIW_ERR_DST_TOO_SMALL ? EIW_ERR_CORRUPT : (eiw_status)got;
        done += (size_t)got;
    }
    return done == n ? EIW_OK : EIW_ERR_CORRUPT;
}
