/* Fuzz target: Equal-Info windows. Input: a settings byte (model, token size, whether the
 * window is a document's last and how long that is, end rule), a window size byte, then bytes used two
 * ways: as one window to decode on its own (eiw_window_decode, as `eiw detokenize` and
 * `eiw inspect` do), and as text to encode into windows, each of which must then decode alone
 * to exactly its bytes, and all together to the text. */
#include "fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 512

static void roundtrip(const eiw_model *m, const eiw_window_params *p, void *state,
                      const uint8_t *text, size_t n)
{
    const size_t wbytes = p->window_bits / 8;
    const size_t cap = (n + 1) * wbytes;   /* every window holds at least one byte */
    uint8_t *win = malloc(cap), *back = malloc(n + 1);
    uint32_t *counts = malloc((n + 1) * sizeof *counts);
    if (!win || !back || !counts)
        goto done;
    ptrdiff_t r = eiw_windows_encode(m, p, state, text, n, win, cap, counts);
    eiw_fuzz_check(r >= 0 || r == EIW_ERR_AMBIGUOUS, "window encoding failed");
    if (r < 0)
        goto done;
    eiw_fuzz_check((size_t)r % wbytes == 0 && (size_t)r <= cap, "window output size");
    size_t nw = (size_t)r / wbytes, at = 0;
    eiw_fuzz_check(n == 0 || nw > 0, "text without windows");
    for (size_t i = 0; i < nw; i++) {
        ptrdiff_t known = i + 1 == nw ? (ptrdiff_t)counts[i] : -1;
        ptrdiff_t got = eiw_window_decode(m, p, state, win + i * wbytes, known, back, n + 1);
        eiw_fuzz_check(got == (ptrdiff_t)counts[i], "a window does not decode alone");
        eiw_fuzz_check(at + counts[i] <= n && memcmp(back, text + at, counts[i]) == 0,
                       "a window decodes to other bytes");
        at += counts[i];
    }
    eiw_fuzz_check(at == n, "windows do not cover the text");
    eiw_fuzz_check(eiw_windows_decode(m, p, NULL, win, (size_t)r, back, n) == EIW_OK &&
                   memcmp(back, text, n) == 0, "windows do not decode to the text");
done:
    free(win);
    free(back);
    free(counts);
}

int eiw_fuzz_window(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    const unsigned sel = data[0];
    const eiw_model *m = eiw_fuzz_pick_model(sel & 3);
    if (!m)
        return 0;
    eiw_window_params p;
    p.token_bits = sel & 4 ? 16 : 8;
    static const unsigned ends[4] = { EIW_WINDOW_END_IMPLICIT, EIW_WINDOW_END_MARKER,
                                      EIW_WINDOW_END_TIGHT, EIW_WINDOW_END_TIGHT };
    p.end_rule = ends[sel >> 4 & 3];
    unsigned kmin = EIW_WINDOW_BITS_MIN / p.token_bits, kmax = EIW_WINDOW_BITS_MAX / p.token_bits;
    p.window_bits = p.token_bits * (kmin + data[1] % (kmax - kmin + 1));
    ptrdiff_t known = sel & 8 ? (ptrdiff_t)data[2] : -1;
    data += 3;
    size -= 3;
    const size_t wbytes = p.window_bits / 8, cap = m->builtin ? 8192 : 1024;
    uint8_t *window = calloc(1, wbytes), *dst = malloc(cap);
    void *state = calloc(1, m->state_size);
    if (window && dst && state) {
        memcpy(window, data, size < wbytes ? size : wbytes);
        ptrdiff_t r = eiw_window_decode(m, &p, state, window, known, dst, cap);
        eiw_fuzz_check(r <= (ptrdiff_t)cap, "decoded more than the capacity");
        eiw_fuzz_check(r < 0 || known < 0 || r == known, "last window of another length");
        size_t n = size < TEXT_MAX ? size : TEXT_MAX;
        if (!m->builtin && n > 64)
            n = 64;
        roundtrip(m, &p, state, data, n);
    }
    free(window);
    free(dst);
    free(state);
    return 0;
}
