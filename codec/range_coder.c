/* Range coder: byte shifting with carry propagation, exact code length, shortest termination.
 * The hot per-symbol steps are inline in range_coder.h. */
#include "codec/range_coder.h"

void rc_enc_init(rc_encoder *e, uint8_t *out, size_t cap)
{
    e->low = 0;
    e->range = 1ull << 32;
    e->cache = 0;
    e->have_cache = 0;
    e->pending = 0;
    e->shifted = 0;
    e->nsym = 0;
    e->out = out;
    e->cap = cap;
    e->pos = 0;
    e->overflow = 0;
}

static void put_byte(rc_encoder *e, uint8_t b)
{
    if (e->pos < e->cap)
        e->out[e->pos++] = b;
    else
        e->overflow = 1;
}

/* Moves the top byte of low out. A byte that is 0xFF might still receive a carry, so it waits
 * in `pending`; the byte before the 0xFF run waits in `cache`. Without a cache byte a carry is
 * impossible: the interval never leaves [0, 1). */
void rc_enc_shift(rc_encoder *e)
{
    if ((uint32_t)e->low < 0xFF000000u || (e->low >> 32) != 0) {
        uint8_t carry = (uint8_t)(e->low >> 32);
        if (e->have_cache)
            put_byte(e, (uint8_t)(e->cache + carry));
        for (; e->pending; e->pending--)
            put_byte(e, (uint8_t)(0xFF + carry));
        e->cache = (uint8_t)(e->low >> 24);
        e->have_cache = 1;
    } else {
        e->pending++;
    }
    e->low = (e->low << 8) & 0xFFFFFFFFu;
    e->shifted++;
}

/* Fewest extra bits j (beyond the shifted bytes) such that the dyadic interval
 * [v, v+1) * 2^(32-j) lies inside [low, low + range); *v_out receives v << (32-j). */
static unsigned shortest_tail(const rc_encoder *e, uint64_t *v_out)
{
    uint64_t end = e->low + e->range;
    for (unsigned j = 1; j <= 32; j++) {
        unsigned s = 32 - j;
        uint64_t v = (e->low + ((1ull << s) - 1)) >> s;
        if (((v + 1) << s) <= end) {
            *v_out = v << s;
            return j;
        }
    }
    *v_out = e->low;  /* unreachable: range >= 2^24 always admits j <= 9 */
    return 32;
}

uint64_t rc_enc_code_bits(const rc_encoder *e)
{
    uint64_t v;
    if (e->nsym == 0)
        return 0;
    return 8 * e->shifted + shortest_tail(e, &v);
}

uint64_t rc_enc_finish(rc_encoder *e)
{
    uint64_t v;
    if (e->nsym == 0)
        return 0;
    unsigned j = shortest_tail(e, &v);
    return rc_enc_finish_at(e, v >> (32 - j), 32 - j);
}

uint64_t rc_enc_finish_at(rc_encoder *e, uint64_t v, unsigned s)
{
    unsigned j = 32 - s;
    uint64_t bits = 8 * e->shifted + j;
    e->low = v << s;
    /* Shift out the bytes that hold the j tail bits (the first shift also settles any carry
     * and the pending bytes), then flush the cache byte. */
    unsigned nbytes = (j + 7) / 8;
    for (unsigned i = 0; i < nbytes; i++)
        rc_enc_shift(e);
    if (e->have_cache)
        put_byte(e, e->cache);
    for (; e->pending; e->pending--)
        put_byte(e, 0xFF);
    e->have_cache = 0;
    return bits;
}

void rc_dec_init(rc_decoder *d, const uint8_t *in, size_t len)
{
    rc_dec_init_fill(d, in, len, 0);
}

void rc_dec_init_fill(rc_decoder *d, const uint8_t *in, size_t len, uint8_t fill)
{
    d->fill = fill;
    d->in = in;
    d->len = len;
    d->pos = 0;
    d->range = 1ull << 32;
    d->code = 0;
    for (int i = 0; i < 4; i++)
        d->code = (d->code << 8) | rc_dec_byte(d);
}

unsigned rc_dec_symbol(const rc_decoder *d, const uint32_t cum[257])
{
    /* Largest c with (range * c) >> 24 <= code, then the symbol whose [cum, cum+freq) holds it. */
    uint64_t c = ((((uint64_t)d->code + 1) << EIW_FREQ_BITS) - 1) / d->range;
    unsigned lo = 0, hi = 256;   /* invariant: cum[lo] <= c < cum[hi] */
    while (hi - lo > 1) {
        unsigned mid = (lo + hi) / 2;
        if (cum[mid] <= c)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
