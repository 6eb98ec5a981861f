/* Integer range coder: 32-bit range, 33-bit low with carry propagation (cache + pending 0xFF
 * bytes), frequencies summing to 2^EIW_FREQ_BITS. The sub-interval of a symbol is
 * [range*cum >> 24, range*(cum+freq) >> 24), so partitions tile the range with no waste.
 * The range starts at exactly 2^32, so the first symbol's interval is exactly [cum, cum+freq)
 * * 2^-24 (Equal-Info Windows rely on that alignment).
 * Output is a bit string whose exact running length is known at any time; termination writes
 * the shortest string whose dyadic interval lies inside the final interval. No models here. */
#ifndef EIW_RANGE_CODER_H
#define EIW_RANGE_CODER_H

#include <stddef.h>
#include <stdint.h>
#include "eiw.h"

#define RC_TOP (1u << 24)

/* Encoder state. The output buffer is shared: copying the struct gives a cheap snapshot
 * (used to try a symbol and take it back); bytes written past the snapshot's position are
 * rewritten by whatever the snapshot does next. */
typedef struct {
    uint64_t low;       /* 33 significant bits: bit 32 is a carry into emitted bytes */
    uint64_t range;     /* 2^24 <= range <= 2^32 (2^32 only before the first symbol) */
    uint8_t cache;      /* last byte shifted out, still subject to a carry */
    uint8_t have_cache;
    uint64_t pending;   /* 0xFF bytes after cache, still subject to a carry */
    uint64_t shifted;   /* bytes shifted out of low: written + have_cache + pending */
    uint64_t nsym;      /* symbols coded */
    uint8_t *out;
    size_t cap;
    size_t pos;         /* bytes written to out */
    int overflow;       /* set when a write went past cap; the state is then useless */
} rc_encoder;

typedef struct {
    uint64_t range;
    uint32_t code;      /* value - low, always < range for valid input */
    const uint8_t *in;
    size_t len, pos;    /* reads past len give `fill` bytes (0: the zero padding) */
    uint8_t fill;
} rc_decoder;

void rc_enc_init(rc_encoder *e, uint8_t *out, size_t cap);
void rc_enc_shift(rc_encoder *e);
/* Bits the output would take if terminated now (0 when nothing was coded). */
uint64_t rc_enc_code_bits(const rc_encoder *e);
/* Terminates with the shortest code; returns its length in bits. Bytes written: ceil(bits/8)
 * (check e->overflow). The last byte's unused low bits are zero. */
uint64_t rc_enc_finish(rc_encoder *e);

void rc_dec_init(rc_decoder *d, const uint8_t *in, size_t len);
/* Same, reading `fill` past the end (0xFF: the top end of a dyadic interval). */
void rc_dec_init_fill(rc_decoder *d, const uint8_t *in, size_t len, uint8_t fill);
/* Terminates at a caller-chosen point: the value v << s (v odd, s < 32) relative to the
 * current 32-bit window, which must lie inside [low, low + range). Returns the code bits. */
uint64_t rc_enc_finish_at(rc_encoder *e, uint64_t v, unsigned s);
/* Returns the symbol whose interval holds the code; cum has 257 entries. */
unsigned rc_dec_symbol(const rc_decoder *d, const uint32_t cum[257]);

static inline void rc_enc_put(rc_encoder *e, uint32_t cum, uint32_t freq)
{
    uint64_t lo = (e->range * cum) >> EIW_FREQ_BITS;
    uint64_t hi = (e->range * (cum + freq)) >> EIW_FREQ_BITS;
    e->low += lo;
    e->range = hi - lo;
    e->nsym++;
    while (e->range < RC_TOP) {
        e->range <<= 8;
        rc_enc_shift(e);
    }
}

static inline uint8_t rc_dec_byte(rc_decoder *d)
{
    return d->pos < d->len ? d->in[d->pos++] : (d->pos++, d->fill);
}

static inline void rc_dec_take(rc_decoder *d, uint32_t cum, uint32_t freq)
{
    uint64_t lo = (d->range * cum) >> EIW_FREQ_BITS;
    uint64_t hi = (d->range * (cum + freq)) >> EIW_FREQ_BITS;
    d->code -= (uint32_t)lo;
    d->range = hi - lo;
    while (d->range < RC_TOP) {
        d->range <<= 8;
        d->code = (d->code << 8) | rc_dec_byte(d);
    }
}

#endif
