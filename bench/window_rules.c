/* Equal-Info window end rules side by side on real files (each file one document), same model,
 * same coder, same quantization: bits/byte, bytes per window, and windows that do not decode.
 *   tight     eiw's default: the window is the code, read as [W, W + 2^-b); where its two ends
 *             disagree it stops, or takes the byte its low end decodes to (codec/code_windows.c)
 *   implicit  eiw 0.3's: the same interval, and the window always stops there
 *   marker    eiw 0.2's: code, a 1 bit, zeros
 *   paper     the rule as the paper publishes it: add bytes while the shortest code of the window's
 *             bytes fits in b bits, zero padding; the decoder keeps the longest prefix whose
 *             re-encoding, zero padded, equals the window. Implemented here only, to measure it:
 *             a window it decodes to another byte count than the encoder put in is undecodable.
 * The last window of a document is decoded with its byte count under every rule.
 * Usage: window_rules MODEL|FILE.eiwm FILE...   Prints a Markdown table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "bench/bench_files.h"
#include "codec/range_coder.h"

static void quantize_at(size_t k, const uint32_t *w, uint32_t freq[256], uint32_t cum[257])
{
    if (k == 0)
        eiw_quantize_window_start(w, freq, cum);
    else
        eiw_quantize(w, EIW_FLOOR_DEFAULT, freq, cum);
}

/* The shortest code of what e holds, zero padded to wbytes. */
static void padded_code(const rc_encoder *e, uint8_t *out, size_t wbytes)
{
    uint8_t buf[600];
    rc_encoder fin = *e;
    memcpy(buf, e->out, e->pos);
    fin.out = buf;
    fin.cap = sizeof buf;
    uint64_t bits = rc_enc_finish(&fin);
    size_t used = (size_t)((bits + 7) / 8);
    memset(out, 0, wbytes);
    memcpy(out, buf, used < wbytes ? used : wbytes);
}

typedef struct {
    double bytes, windows, bad_windows, bad_docs, failed_docs;
} tally;

/* The paper's rule on one document: encodes window by window, decodes each window as the
 * paper's decoder does and counts the windows that come out with another byte count. */
static void paper_rule(const eiw_model *m, const uint8_t *d, size_t n, unsigned b, tally *t)
{
    const size_t wbytes = b / 8, chunk_max = 4096;
    uint32_t *w = malloc(sizeof(uint32_t) * 256 * chunk_max), freq[256], cum[257], one[256];
    void *st = calloc(1, m->state_size), *st2 = calloc(1, m->state_size);
    uint8_t scratch[600], win[512], dec[4096];
    size_t pos = 0, avg = 4, bad = 0, nwin = 0;
    while (pos < n) {
        /* encoder: model rows for the window's candidate bytes, more when they run out */
        size_t chunk = avg + 4, k = 0;
        rc_encoder e;
        for (;;) {
            if (chunk > chunk_max)
                chunk = chunk_max;
            if (chunk > n - pos)
                chunk = n - pos;
            m->ops->reset(m, st);
            m->ops->predict_run(m, st, d + pos, chunk, w);
            rc_enc_init(&e, scratch, sizeof scratch);
            for (k = 0; k < chunk; k++) {
                rc_encoder before = e;
                quantize_at(k, w + 256 * k, freq, cum);
                rc_enc_put(&e, cum[d[pos + k]], freq[d[pos + k]]);
                if (rc_enc_code_bits(&e) > b) {
                    e = before;
                    break;
                }
            }
            if (k < chunk || chunk == n - pos || chunk == chunk_max)
                break;
            chunk *= 2;
        }
        padded_code(&e, win, wbytes);
        nwin++;
        avg = (avg * 7 + k) / 8;
        if (pos + k < n) {   /* not the last window: decode it as the paper does */
            rc_decoder lo;
            rc_enc_init(&e, scratch, sizeof scratch);
            rc_dec_init(&lo, win, wbytes);
            m->ops->reset(m, st2);
            size_t best = 0;
            for (size_t j = 0; j < sizeof dec; j++) {
                const uint32_t *row = w + 256 * j;
                if (j >= k) {   /* past the encoder's bytes: the model on what was decoded */
                    void *s1[1] = { st2 };
                    if (j == k)
                        m->ops->advance(m, st2, d + pos, k);
                    m->ops->predict(m, s1, 1, one);
                    row = one;
                }
                quantize_at(j, row, freq, cum);
                unsigned x = rc_dec_symbol(&lo, cum);
                rc_dec_take(&lo, cum[x], freq[x]);
                rc_enc_put(&e, cum[x], freq[x]);
                if (rc_enc_code_bits(&e) > b)
                    break;
                dec[j] = (uint8_t)x;
                if (j >= k)
                    m->ops->advance(m, st2, dec + j, 1);
                uint8_t again[512];
                padded_code(&e, again, wbytes);
                if (memcmp(again, win, wbytes) == 0)
                    best = j + 1;
            }
            bad += best != k;
        }
        pos += k;
    }
    t->bytes += (double)n;
    t->windows += (double)nwin;
    t->bad_windows += (double)bad;
    t->bad_docs += bad > 0;
    free(w);
    free(st);
    free(st2);
}

/* eiw's rules through the library: encode, then decode and compare. */
static void eiw_rule(const eiw_model *m, const uint8_t *d, size_t n, unsigned b, unsigned rule,
                     tally *t)
{
    eiw_window_params p = { b, 16, rule };
    void *st = calloc(1, m->state_size);
    size_t cap = n * (b / 8) + 64;
    uint8_t *enc = malloc(cap), *back = malloc(n + 1);
    ptrdiff_t r = eiw_windows_encode(m, &p, st, d, n, enc, cap, NULL);
    if (r < 0) {
        t->failed_docs++;
    } else {
        t->bytes += (double)n;
        t->windows += (double)r / (b / 8);
        if (eiw_windows_decode(m, &p, st, enc, (size_t)r, back, n) != EIW_OK ||
            memcmp(back, d, n) != 0) {
            t->bad_docs++;
            t->bad_windows += 1;   /* at least one */
        }
    }
    free(enc);
    free(back);
    free(st);
}

static const unsigned bs[] = { 16, 32, 64, 128 };
static const char *const rules[] = { "implicit (eiw 0.3)", "marker (eiw 0.2)", "paper",
                                     "tight (eiw default)" };
#define NRULES 4

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: window_rules MODEL|FILE.eiwm FILE...\n");
        return 2;
    }
    eiw_model *loaded;
    const eiw_model *m = bench_model("window_rules", argv[1], &loaded);
    if (!m)
        return 2;
    if (!m->ops->predict_run) {
        fprintf(stderr, "window_rules: %s: the model has no predict_run\n", m->name);
        return 2;
    }
    const int nf = argc - 2, nt = 4 * NRULES;
    tally *per = calloc((size_t)nf * nt, sizeof *per);
    uint8_t **data = calloc((size_t)nf, sizeof *data);
    size_t *len = calloc((size_t)nf, sizeof *len);
    for (int f = 0; f < nf; f++)
        if (!(data[f] = bench_read_file(argv[f + 2], &len[f]))) {
            fprintf(stderr, "window_rules: %s: cannot read\n", argv[f + 2]);
            return 1;
        }
    /* every (file, b, rule) on its own: the sums do not depend on the order */
    #pragma omp parallel for schedule(dynamic, 1)
    for (int job = 0; job < nf * nt; job++) {
        int f = job / nt, i = job % nt / NRULES, r = job % NRULES;
        tally *t = &per[job];
        if (r == 2)
            paper_rule(m, data[f], len[f], bs[i], t);
        else
            eiw_rule(m, data[f], len[f], bs[i],
                     r == 0 ? EIW_WINDOW_END_IMPLICIT
                     : r == 1 ? EIW_WINDOW_END_MARKER : EIW_WINDOW_END_TIGHT, t);
    }
    double total = 0;
    for (int f = 0; f < nf; f++)
        total += (double)len[f];
    printf("model %s, %d documents, %.0f bytes, 16-bit tokens\n\n", m->name, nf, total);
    printf("| b | end rule | windows | bytes/window | bits/byte | undecodable windows | "
           "documents with one | documents no window could end |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < 4; i++)
        for (int r = 0; r < NRULES; r++) {
            tally s = { 0 };
            for (int f = 0; f < nf; f++) {
                const tally *t = &per[f * nt + i * NRULES + r];
                s.bytes += t->bytes;
                s.windows += t->windows;
                s.bad_windows += t->bad_windows;
                s.bad_docs += t->bad_docs;
                s.failed_docs += t->failed_docs;
            }
            char badw[64];
            if (r == 2)
                snprintf(badw, sizeof badw, "%.0f (%.3f%%)", s.bad_windows,
                         100.0 * s.bad_windows / s.windows);
            else
                snprintf(badw, sizeof badw, "%s", s.bad_docs ? "some" : "0");
            printf("| %u | %s | %.0f | %.3f | %.3f | %s | %.0f of %d | %.0f |\n", bs[i], rules[r],
                   s.windows, s.bytes / s.windows, s.windows * bs[i] / s.bytes, badw, s.bad_docs,
                   nf, s.failed_docs);
        }
    for (int f = 0; f < nf; f++)
        free(data[f]);
    free(data);
    free(len);
    free(per);
    eiw_model_free(loaded);
    return 0;
}
