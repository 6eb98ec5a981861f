/* Coding statistics on real files: stream-mode coder overhead against the ideal code length,
 * and Equal-Info Window statistics (bytes per window, bits/byte, and how the gap to stream
 * mode splits into context resets and padding) for several window sizes.
 * Usage: codec_stats MODEL FILE...   (each file is one document). Prints a Markdown table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* Sum of -log2 p over the bytes, model reset at every window start (counts), p from the
 * quantized coder frequencies (floor as the codec uses them) and from the raw weights. */
static void ideal_bits(const eiw_model *m, void *state, const uint8_t *d, size_t n,
                       const uint32_t *counts, size_t nwin, double *quant, double *raw)
{
    uint32_t w[256], freq[256], cum[257];
    void *states[1] = { state };
    size_t pos = 0, win = 0, in_win = 0;
    *quant = *raw = 0;
    m->ops->reset(m, state);
    for (; pos < n; pos++) {
        if (counts && win < nwin && in_win == counts[win]) {
            win++;
            in_win = 0;
            m->ops->reset(m, state);
        }
        m->ops->predict(m, states, 1, w);
        uint64_t total = 0;
        for (int s = 0; s < 256; s++)
            total += w[s];
        if (counts && in_win == 0)
            eiw_quantize_window_start(w, freq, cum);
        else
            eiw_quantize(w, EIW_FLOOR_DEFAULT, freq, cum);
        *quant -= log2((double)freq[d[pos]] / EIW_FREQ_TOTAL);
        *raw -= log2((double)(w[d[pos]] ? w[d[pos]] : 1) / (double)total);
        m->ops->advance(m, state, d + pos, 1);
        in_win++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: codec_stats MODEL FILE...\n");
        return 2;
    }
    const eiw_model *m = eiw_model_builtin(argv[1]);
    if (!m) {
        fprintf(stderr, "codec_stats: unknown model %s\n", argv[1]);
        return 2;
    }
    static const unsigned bs[] = { 16, 32, 64, 128 };
    double bytes = 0, s_bits = 0, s_quant = 0, s_raw = 0;
    double w_bits[4] = { 0 }, w_win[4] = { 0 }, w_reset[4] = { 0 };
    long ambiguous[4] = { 0 };
    void *state = calloc(1, m->state_size);
    for (int f = 2; f < argc; f++) {
        size_t n;
        uint8_t *d = read_all(argv[f], &n);
        if (!d) {
            fprintf(stderr, "codec_stats: %s: cannot read\n", argv[f]);
            return 1;
        }
        bytes += (double)n;
        size_t cap = n * 2 + 64;
        uint8_t *enc = malloc(cap > n * 16 + 64 ? cap : n * 16 + 64);
        ptrdiff_t r = eiw_stream_encode(m, state, d, n, enc, cap);
        double q, raw;
        ideal_bits(m, state, d, n, NULL, 0, &q, &raw);
        s_bits += 8.0 * (double)r;
        s_quant += q;
        s_raw += raw;
        uint32_t *counts = malloc(sizeof(uint32_t) * (n + 1));
        for (int i = 0; i < 4; i++) {
            eiw_window_params p = { bs[i], 16 };
            size_t wcap = n * (bs[i] / 8) + 64;
            uint8_t *wenc = malloc(wcap);
            r = eiw_windows_encode(m, &p, state, d, n, wenc, wcap, counts);
            if (r < 0) {   /* count it; the container would code this document with zstd */
                ambiguous[i]++;
                free(wenc);
                continue;
            }
            size_t nwin = (size_t)r / (bs[i] / 8);
            w_bits[i] += 8.0 * (double)r;
            w_win[i] += (double)nwin;
            ideal_bits(m, state, d, n, counts, nwin, &q, &raw);
            w_reset[i] += q;
            free(wenc);
        }
        free(counts);
        free(enc);
        free(d);
    }
    printf("model %s, %d files, %.0f bytes\n\n", m->name, argc - 2, bytes);
    printf("stream mode: %.4f bits/byte; ideal with quantized freqs %.4f; with raw weights %.4f\n",
           s_bits / bytes, s_quant / bytes, s_raw / bytes);
    printf("coder overhead %.4f%%, quantization overhead %.4f%%\n\n",
           100 * (s_bits - s_quant) / s_quant, 100 * (s_quant - s_raw) / s_raw);
    printf("| b | windows | bytes/window | bits/byte | from resets | from padding | ambiguous docs |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < 4; i++)
        printf("| %u | %.0f | %.3f | %.3f | %.3f | %.3f | %ld |\n", bs[i], w_win[i],
               bytes / w_win[i], w_bits[i] / bytes, (w_reset[i] - s_quant) / bytes,
               (w_bits[i] - w_reset[i]) / bytes, ambiguous[i]);
    free(state);
    return 0;
}
