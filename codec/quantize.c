/* Model weights -> coder frequencies. Integer only, so the result is the same on every
 * machine: a floor for every symbol, the rest shared in proportion to the weights through
 * one fixed-point reciprocal, and the rounding remainder given to the first largest weight. */
#include "eiw.h"

/* Frequencies summing to `total` (<= 2^24), each >= floor_freq. */
static void quantize_to(const uint32_t weights[256], uint32_t total, uint32_t floor_freq,
                        uint32_t freq[256])
{
    uint64_t sum = 0;
    for (int s = 0; s < 256; s++)
        sum += weights[s];
    unsigned shift = 0;
    while ((sum >> shift) > 0xFFFFFFFFu)   /* contract says sum < 2^32; stay safe anyway */
        shift++;
    sum = 0;
    int best = 0;
    for (int s = 0; s < 256; s++) {
        uint32_t w = weights[s] >> shift;
        sum += w;
        if (w > (weights[best] >> shift))
            best = s;
    }
    if (floor_freq < 1)
        floor_freq = 1;
    uint64_t avail = total - 256ull * floor_freq;
    if (sum == 0) {
        for (int s = 0; s < 256; s++)
            freq[s] = total / 256;
        return;
    }
    /* w * mult <= avail << 32 < 2^56: no overflow; each share rounds down. */
    uint64_t mult = (avail << 32) / sum;
    uint64_t given = 0;
    for (int s = 0; s < 256; s++) {
        uint32_t share = (uint32_t)(((uint64_t)(weights[s] >> shift) * mult) >> 32);
        freq[s] = floor_freq + share;
        given += share;
    }
    freq[best] += (uint32_t)(avail - given);
}

static void cumulate(const uint32_t freq[256], uint32_t cum[257])
{
    cum[0] = 0;
    for (int s = 0; s < 256; s++)
        cum[s + 1] = cum[s] + freq[s];
}

void eiw_quantize(const uint32_t weights[256], uint32_t floor_freq, uint32_t freq[256],
                  uint32_t cum[257])
{
    quantize_to(weights, EIW_FREQ_TOTAL, floor_freq, freq);
    cumulate(freq, cum);
}

void eiw_quantize_window_start(const uint32_t weights[256], uint32_t freq[256], uint32_t cum[257])
{
    /* 13-bit frequencies scaled to 24 bits: every symbol's interval is a whole number of
     * aligned 2^-13 blocks, because the coder's first symbol is coded exactly. */
    enum { SCALE = EIW_FLOOR_WINDOW_START };
    quantize_to(weights, EIW_FREQ_TOTAL / SCALE, 1, freq);
    for (int s = 0; s < 256; s++)
        freq[s] *= SCALE;
    cumulate(freq, cum);
}
