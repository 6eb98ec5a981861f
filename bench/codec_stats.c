/* Coding statistics on real files: stream-mode coder overhead against the ideal code length,
 * and Equal-Info Window statistics (bytes per window, bits/byte, and how the gap to stream
 * mode splits into context resets and padding) for several window sizes, with the default
 * window end, or with each of the end rules given (bench/window_rules.c compares the rules
 * with the paper's).
 * Usage: codec_stats [--window-end RULE[,RULE...]] MODEL FILE...   (each file is one
 * document; rules: tight (the default), implicit, marker). Prints a Markdown table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "bench/bench_files.h"

/* Sum of -log2 p over the bytes, model reset at every window start (counts), p from the
 * quantized coder frequencies (floor as the codec uses them) and from the raw weights. Runs of
 * known bytes go to the model in one batched call (predict_run) where it has one. */
#define RUN 64
static void ideal_bits(const eiw_model *m, void *state, const uint8_t *d, size_t n,
                       const uint32_t *counts, size_t nwin, double *quant, double *raw)
{
    uint32_t *w = malloc(sizeof(uint32_t) * 256 * RUN), freq[256], cum[257];
    size_t pos = 0, win = 0;
    *quant = *raw = 0;
    while (pos < n) {
        size_t seg = counts && win < nwin ? counts[win] : n - pos;   /* one window or the rest */
        win++;
        m->ops->reset(m, state);
        for (size_t at = 0; at < seg; at += RUN) {
            size_t len = seg - at < RUN ? seg - at : RUN;
            const uint8_t *b = d + pos + at;
            if (m->ops->predict_run) {
                m->ops->predict_run(m, state, b, len, w);
            } else {
                void *states[1] = { state };
                for (size_t i = 0; i < len; i++) {
                    m->ops->predict(m, states, 1, w + 256 * i);
                    m->ops->advance(m, state, b + i, 1);
                }
            }
            for (size_t i = 0; i < len; i++) {
                const uint32_t *wi = w + 256 * i;
                uint64_t total = 0;
                for (int s = 0; s < 256; s++)
                    total += wi[s];
                if (counts && at + i == 0)
                    eiw_quantize_window_start(wi, freq, cum);
                else
                    eiw_quantize(wi, EIW_FLOOR_DEFAULT, freq, cum);
                *quant -= log2((double)freq[b[i]] / EIW_FREQ_TOTAL);
                *raw -= log2((double)(wi[b[i]] ? wi[b[i]] : 1) / (double)total);
            }
        }
        pos += seg;
    }
    free(w);
}

#define NB 4         /* window sizes */
#define RULES_MAX 3  /* end rules */
#define NW (NB * RULES_MAX)

typedef struct {
    double bytes, s_bits, s_quant, s_raw, w_bits[NW], w_win[NW], w_reset[NW];
    long ambiguous[NW];
    int bad;
} sums;

static const unsigned bs[NB] = { 16, 32, 64, 128 };
static unsigned rules[RULES_MAX] = { EIW_WINDOW_END_TIGHT }, nrules = 1;

static void one_file(const eiw_model *m, const char *path, sums *t)
{
    memset(t, 0, sizeof *t);
    size_t n;
    uint8_t *d = bench_read_file(path, &n);
    void *state = calloc(1, m->state_size);
    if (!d || !state) {
        fprintf(stderr, "codec_stats: %s: cannot read\n", path);
        t->bad = 1;
        free(d);
        free(state);
        return;
    }
    t->bytes = (double)n;
    size_t cap = n * 16 + 64;
    uint8_t *enc = malloc(cap);
    ptrdiff_t r = eiw_stream_encode(m, state, d, n, enc, cap);
    double q, raw;
    ideal_bits(m, state, d, n, NULL, 0, &q, &raw);
    t->s_bits = 8.0 * (double)r;
    t->s_quant = q;
    t->s_raw = raw;
    uint32_t *counts = malloc(sizeof(uint32_t) * (n + 1));
    for (unsigned i = 0; i < NB * nrules; i++) {
        eiw_window_params p = { bs[i % NB], 16, rules[i / NB] };
        size_t wcap = n * (p.window_bits / 8) + 64;
        uint8_t *wenc = malloc(wcap);
        r = eiw_windows_encode(m, &p, state, d, n, wenc, wcap, counts);
        if (r < 0) {   /* count it; the container would code this document with zstd */
            t->ambiguous[i]++;
            free(wenc);
            continue;
        }
        size_t nwin = (size_t)r / (p.window_bits / 8);
        t->w_bits[i] = 8.0 * (double)r;
        t->w_win[i] = (double)nwin;
        ideal_bits(m, state, d, n, counts, nwin, &q, &raw);
        t->w_reset[i] = q;
        free(wenc);
    }
    free(counts);
    free(enc);
    free(d);
    free(state);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--window-end") == 0) {
        char list[64];
        snprintf(list, sizeof list, "%s", argv[2]);
        nrules = 0;
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            if (nrules == RULES_MAX || !eiw_window_end_parse(tok, &rules[nrules])) {
                fprintf(stderr, "codec_stats: --window-end: '%s' is not tight, implicit or "
                        "marker (at most %d)\n", tok, RULES_MAX);
                return 2;
            }
            nrules++;
        }
        argc -= 2;
        argv += 2;
    }
    if (argc < 3 || !nrules) {
        fprintf(stderr, "usage: codec_stats [--window-end RULE[,RULE...]] MODEL|FILE.eiwm FILE...\n");
        return 2;
    }
    eiw_model *loaded;
    const eiw_model *m = bench_model("codec_stats", argv[1], &loaded);
    if (!m)
        return 2;
    const int nf = argc - 2;
    sums *per = calloc((size_t)nf, sizeof *per);
    /* files in parallel (one model state each); the sums do not depend on the order */
    #pragma omp parallel for schedule(dynamic, 1)
    for (int f = 0; f < nf; f++)
        one_file(m, argv[f + 2], &per[f]);
    sums t;
    memset(&t, 0, sizeof t);
    for (int f = 0; f < nf; f++) {
        if (per[f].bad)
            return 1;
        t.bytes += per[f].bytes;
        t.s_bits += per[f].s_bits;
        t.s_quant += per[f].s_quant;
        t.s_raw += per[f].s_raw;
        for (int i = 0; i < NW; i++) {
            t.w_bits[i] += per[f].w_bits[i];
            t.w_win[i] += per[f].w_win[i];
            t.w_reset[i] += per[f].w_reset[i];
            t.ambiguous[i] += per[f].ambiguous[i];
        }
    }
    printf("model %s, %d files, %.0f bytes\n\n", m->name, nf, t.bytes);
    printf("stream mode: %.4f bits/byte; ideal with quantized freqs %.4f; with raw weights %.4f\n",
           t.s_bits / t.bytes, t.s_quant / t.bytes, t.s_raw / t.bytes);
    printf("coder overhead %.4f%%, quantization overhead %.4f%%\n\n",
           100 * (t.s_bits - t.s_quant) / t.s_quant, 100 * (t.s_quant - t.s_raw) / t.s_raw);
    printf("| b | window end | windows | bytes/window | bits/byte | from resets | from padding | "
           "ambiguous docs |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    for (unsigned j = 0; j < NB * nrules; j++) {
        unsigned i = j % nrules * NB + j / nrules;   /* by b, then by rule */
        printf("| %u | %s | %.0f | %.3f | %.3f | %.3f | %.3f | %ld |\n", bs[i % NB],
               eiw_window_end_name(rules[i / NB]), t.w_win[i], t.bytes / t.w_win[i],
               t.w_bits[i] / t.bytes, (t.w_reset[i] - t.s_quant) / t.bytes,
               (t.w_bits[i] - t.w_reset[i]) / t.bytes, t.ambiguous[i]);
    }
    eiw_model_free(loaded);
    free(per);
    return 0;
}
