/* Model weights -> coder frequencies. Integer only, so the result is the same on every
 * machine: a floor for every symbol, the rest shared in proportion to the weights through
 * one fixed-point reciprocal, and the rounding remainder given to the first largest weight. */
#include "eiw.h"

void eiw_quantize(const uint32_t weights[256], uint32_t floor_freq, uint32_t freq[256],
                  uint32_t cum[257])
{
    uint64_t total = 0;
    for (int s = 0; s < 256; s++)
        total += weights[s];
    unsigned shift = 0;
    while ((total >> shift) > 0xFFFFFFFFu)   /* contract says sum < 2^32; stay safe anyway */
        shift++;
    uint64_t sum = 0;
    int best = 0;
    for (int s = 0; s < 256; s++) {
        uint32_t w = shift ? weights[s] >> shift : weights[s];
        sum += w;
        if (w > (shift ? weights[best] >> shift : weights[best]))
            best = s;
    }
    if (floor_freq < 1)
        floor_freq = 1;
    uint64_t avail = EIW_FREQ_TOTAL - 256ull * floor_freq;
    if (sum == 0) {
        for (int s = 0; s < 256; s++)
            freq[s] = EIW_FREQ_TOTAL / 256;
    } else {
        /* w * mult <= avail << 32 < 2^56: no overflow; each share rounds down. */
        uint64_t mult = (avail << 32) / sum;
        uint64_t given = 0;
        for (int s = 0; s < 256; s++) {
            uint32_t w = shift ? weights[s] >> shift : weights[s];
            uint32_t share = (uint32_t)(((uint64_t)w * mult) >> 32);
            freq[s] = floor_freq + share;
            given += share;
        }
        freq[best] += (uint32_t)(avail - given);
    }
    cum[0] = 0;
    for (int s = 0; s < 256; s++)
        cum[s + 1] = cum[s] + freq[s];
}
