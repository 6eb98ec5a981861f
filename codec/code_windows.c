/* Equal-Info Windows: windows of exactly window_bits (b) bits, coder and model reset at every
 * window. Every window but a document's last is decoded from both ends of an interval D of
 * codes, in lockstep, until the two ends disagree; no side information says where it ends.
 * (The paper's rule -- shortest code, keep the longest prefix that re-encodes to the window --
 * is ambiguous: a window for "t" also re-encodes as "t " when a likely space codes to zero
 * bits.) Three ways to read a window (eiw_window_params.end_rule):
 * - implicit end (eiw 0.3): D is the window itself, W followed by anything: the interval
 *   [W, W + 2^-b). The window stops where the ends disagree. The encoder ends a window after
 *   the longest prefix P whose interval holds a block of size 2^-b that straddles a boundary
 *   of the next byte's partition, and writes the leftmost such block (the "stop block").
 * - tight end (the default): D as above. Where the ends disagree after k >= 1 bytes, the
 *   window stops if W is the stop block of those k bytes; any other W takes one byte more, the
 *   one D's low end decodes to, and stops. So a block that straddles also ends a window when
 *   its low end lies in the next byte's interval and it reaches past that interval's top
 *   (within the k bytes' interval; the top grid point below the interval's top is the only
 *   candidate): that byte costs only as much as it takes for its interval to hold a grid
 *   point, not a whole block. The encoder takes the longest window either kind allows, and
 *   the one-more kind when both end after the same bytes. Every stop block of the implicit end
 *   still ends its window, so a window can end wherever the implicit end's can: the same
 *   guarantee below, and never fewer bytes per window. On the dev split at b = 16 it holds
 *   ~10% more bytes than the implicit end (bench/results/windows.md).
 * - marker end (eiw 0.1-0.2): D = [c, c + 2^-j) for a code c of j bits; the window holds c, a
 *   1 bit, then zeros, and the decoder strips the zeros and the 1. The encoder takes the
 *   shortest straddling c (then the leftmost) with j + 1 <= b. This costs the 1 bit and, as
 *   D must be twice the implicit block, about one more.
 * The decoder accepts only the window the encoder writes for the bytes it decodes (canonical
 * check), so every content has one window and no two windows decode to the same bytes.
 * A document's last window uses its byte count instead: its plain shortest code, or with the
 * tight end, when that does not fit in b bits, the one-more block of its last byte (it is
 * decoded from the low end, which lies in that byte's interval).
 * Why a window can end: the first byte is quantized to 13 bits and coded exactly, so its
 * interval is a union of aligned 2^-13 blocks, at least 2^-13 wide. The next byte's partition
 * has 255 distinct boundaries inside it (every frequency is >= 1 of 2^24 and the coder's range
 * >= 2^24). Marker end: the 2^-13 block around a boundary not on a block edge straddles it:
 * 13 + 1 bits <= b. Implicit and tight end, b <= 31: the coder holds at least 32 bits after
 * one byte, so a boundary inside the interval but not on the 2^-b grid has its 2^-b block
 * inside the interval, straddling it; an interval narrower than 2^-8 has fewer than 255 grid
 * points inside, so such a boundary exists. Either rule fails only for a partition with every
 * boundary on a block edge, which EIW_ERR_AMBIGUOUS reports. b >= 32: a one-byte window may be
 * too coarse for a 2^-b block to straddle (the coder may hold only 32 bits), so the window
 * ends later, once the coder holds more than b bits; no proof covers every input there: a
 * document whose window cannot end is EIW_ERR_AMBIGUOUS, which the container turns into a
 * zstd block and tokenize into a bad record (measured: none on the dev split and the broad
 * samples, bench/results/windows.md). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "codec/model_run.h"
#include "codec/range_coder.h"
#include "codec/windows_feed.h"

#define WBYTES_MAX (EIW_WINDOW_BITS_MAX / 8)
#define SCRATCH (WBYTES_MAX + 16)   /* one rejected symbol can shift out at most 3 bytes */

eiw_status eiw_window_params_check(const eiw_window_params *p)
{
    if (!p || (p->token_bits != 8 && p->token_bits != 16) ||
        (p->end_rule != EIW_WINDOW_END_IMPLICIT && p->end_rule != EIW_WINDOW_END_MARKER &&
         p->end_rule != EIW_WINDOW_END_TIGHT))
        return EIW_ERR_PARAM;
    if (p->window_bits < EIW_WINDOW_BITS_MIN || p->window_bits > EIW_WINDOW_BITS_MAX ||
        p->window_bits % p->token_bits)
        return EIW_ERR_PARAM;
    return EIW_OK;
}

static const char *const end_names[] = { "implicit", "marker", "tight" };

const char *eiw_window_end_name(unsigned end_rule)
{
    return end_rule < sizeof end_names / sizeof *end_names ? end_names[end_rule] : NULL;
}

int eiw_window_end_parse(const char *name, unsigned *end_rule)
{
    for (unsigned r = 0; r < sizeof end_names / sizeof *end_names; r++)
        if (strcmp(name, end_names[r]) == 0) {
            *end_rule = r;
            return 1;
        }
    return 0;
}

/* Coder frequencies for position k of a window. */
static inline void quantize_at(size_t k, const uint32_t *w, uint32_t freq[256], uint32_t cum[257])
{
    if (k == 0)
        eiw_quantize_window_start(w, freq, cum);
    else
        eiw_quantize(w, EIW_FLOOR_DEFAULT, freq, cum);
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

/* Implicit end: the leftmost block of size 2^-b (level s = 8 * shifted + 32 - b of the coder's
 * window) that lies in the encoder's interval and straddles a boundary of cum. */
static int find_straddling_block(const rc_encoder *e, const uint32_t cum[257], uint64_t b,
                                 uint64_t *v_out, unsigned *s_out)
{
    uint64_t prec = 8 * e->shifted + 32;   /* bits the coder's interval is known to */
    if (prec <= b || prec - b > 31)
        return 0;
    unsigned s = (unsigned)(prec - b);
    uint64_t vlo = (e->low + ((1ull << s) - 1)) >> s;
    uint64_t vhi = (e->low + e->range) >> s;   /* blocks vlo .. vhi-1 lie inside */
    uint64_t mask = (1ull << s) - 1, best = UINT64_MAX;
    if (vlo >= vhi)
        return 0;
    for (unsigned t = 1; t < 256; t++) {   /* boundaries rise with t: the first one found wins */
        uint64_t q = boundary(e, cum, t), v = q >> s;
        if ((q & mask) && v >= vlo && v < vhi) {
            best = v;
            break;
        }
    }
    if (best == UINT64_MAX)
        return 0;
    *v_out = best;
    *s_out = s;
    return 1;
}

/* Tight end, a window that takes one byte more: after the k >= 1 bytes coded into e, the
 * block of size 2^-b inside e's interval whose low end lies in the next byte x's interval and
 * that reaches past that interval's top -- unless it is the block the implicit end would stop
 * at (stop: whether there is one, stop_v: its index), which keeps meaning "stop". At most one
 * such block: the top grid point below x's interval's top. */
static int find_tight_extra(const rc_encoder *e, const uint32_t cum[257], uint64_t b, size_t k,
                            unsigned x, int stop, uint64_t stop_v, uint64_t *v_out,
                            unsigned *s_out)
{
    uint64_t prec = 8 * e->shifted + 32;
    if (k < 1 || x == 255 || prec <= b || prec - b > 31)
        return 0;
    unsigned s = (unsigned)(prec - b);
    uint64_t mask = (1ull << s) - 1;
    uint64_t lo = boundary(e, cum, x), hi = boundary(e, cum, x + 1);
    uint64_t w = hi & ~mask;
    if (!(hi & mask) || w < lo || w + mask + 1 > e->low + e->range || (stop && stop_v == w >> s))
        return 0;
    *v_out = w >> s;
    *s_out = s;
    return 1;
}

/* find_tight_extra with the stop block found here (the encoder has it already). */
static int tight_extra_block(const rc_encoder *e, const uint32_t cum[257], uint64_t b, size_t k,
                             unsigned x, uint64_t *v, unsigned *s)
{
    uint64_t sv;
    unsigned ss;
    int stop = find_straddling_block(e, cum, b, &sv, &ss);
    return find_tight_extra(e, cum, b, k, x, stop, sv, v, s);
}

/* Can the window end here (after the bytes coded into e, next-byte partition cum)? The code's
 * block v at level s, for window_finish. */
static int find_window_end(const rc_encoder *e, const uint32_t cum[257], uint64_t b,
                           unsigned rule, uint64_t *v, unsigned *s)
{
    return rule != EIW_WINDOW_END_MARKER ? find_straddling_block(e, cum, b, v, s)
                                         : find_straddling_code(e, cum, b, v, s);
}

/* Writes the window's code for block v at level s; returns its bits. */
static uint64_t window_finish(rc_encoder *e, unsigned rule, uint64_t v, unsigned s)
{
    if (rule != EIW_WINDOW_END_MARKER)
        return rc_enc_finish_at(e, v, s);         /* the block itself: b bits */
    return rc_enc_finish_at(e, 2 * v + 1, s - 1);   /* c, then a 1 */
}

/* Most bytes one window may hold: keeps windows (and the decoder's work) bounded even for a
 * model that is nearly certain of long runs. */
#define WINDOW_BYTES_MAX (1u << 16)

/* Positions one lockstep round should give the model: below about this many a batched call
 * costs clearly more per position (bench/tokenize_positions.c). With at least this many lanes
 * each lane asks only for the next row, so the model evaluates no position a window does not
 * need: a window ending after the first byte that does not fit in it (K bytes) costs exactly
 * K positions. Fewer lanes ask for rows ahead, about as far as windows have been needing.
 * (Speed only: the output never depends on how rows are asked for.) */
#define ROUND_TARGET 16

/* What the lanes of one call share. */
typedef struct {
    const eiw_model *m;
    uint64_t b;
    unsigned rule;
    size_t needed, windows;             /* positions windows needed, windows ended */
    uint32_t freq0[256], cum0[257];     /* position 0: after a reset, the same for every window */
} wenc_shared;

/* One piece being cut into windows. The lanes of a call advance in lockstep: a lane runs until
 * it needs the model's row for its next byte, and one batched call answers every lane that
 * asked, so a neural model evaluates many windows per pass. */
typedef struct {
    eiw_window_job job;
    void *state;
    size_t pos, out, nwin;
    size_t k, best_k, limit;
    size_t fwd;                 /* bytes of the window the model has seen: it holds row fwd */
    size_t ask;                 /* bytes asked for in this round: rows fwd+1 .. fwd+ask */
    size_t run_at;              /* `run` holds rows run_at .. fwd-1 (run_at = fwd - ask) */
    const uint32_t *run, *last; /* last: row fwd */
    rc_encoder e, best;
    uint64_t best_v;
    unsigned best_s;
    int in_window;
    ptrdiff_t ret;
    uint8_t scratch[SCRATCH];
} wenc_lane;

static void lane_start(wenc_lane *l, const eiw_window_job *job)
{
    memset(l, 0, offsetof(wenc_lane, scratch));
    l->job = *job;
}

/* How many bytes the lane gives the model this round, `active` lanes asking. */
static size_t lane_ask(const wenc_shared *sh, const wenc_lane *l, size_t active)
{
    size_t full = (ROUND_TARGET + active - 1) / active;
    size_t avg = sh->windows ? (sh->needed + sh->windows - 1) / sh->windows : 4;
    size_t guess = l->fwd < avg ? avg - l->fwd : avg / 4 + 1;
    size_t ask = full < guess ? full : guess;
    size_t room = l->limit - 1 - l->fwd;   /* rows past limit - 1 are never needed */
    return ask > room ? room : ask;
}

/* Runs a lane until it needs model rows (returns 1: the model is to see l->ask more bytes of
 * the window, src[pos + fwd ..]) or its piece is done (returns 0; ret < 0 on error). */
static int lane_work(wenc_shared *sh, wenc_lane *l, size_t active)
{
    const eiw_model *m = sh->m;
    const uint64_t b = sh->b;
    const size_t wbytes = (size_t)(b / 8);
    uint32_t freq[256], cum[257];
    for (;;) {
        if (!l->in_window) {
            if (l->pos >= l->job.n || l->ret < 0)
                return 0;
            if (l->job.cap - l->out < wbytes) {
                l->ret = EIW_ERR_DST_TOO_SMALL;
                return 0;
            }
            rc_enc_init(&l->e, l->scratch, sizeof l->scratch);
            m->ops->reset(m, l->state);
            l->k = l->best_k = l->fwd = 0;
            l->limit = l->job.n - l->pos > WINDOW_BYTES_MAX ? WINDOW_BYTES_MAX
                                                              : l->job.n - l->pos;
            l->best_v = 0;
            l->best_s = 0;
            l->in_window = 1;
        }
        for (;;) {
            if (l->k == l->limit)
                break;
            const uint32_t *fq = sh->freq0, *cm = sh->cum0;
            if (l->k > 0) {
                if (l->k > l->fwd) {   /* the model has not seen byte k-1 yet */
                    l->ask = lane_ask(sh, l, active);
                    return 1;
                }
                eiw_quantize(l->k == l->fwd ? l->last : l->run + 256 * (l->k - l->run_at),
                             EIW_FLOOR_DEFAULT, freq, cum);
                fq = freq;
                cm = cum;
            }
            /* Can the window end after the k bytes coded so far? */
            uint64_t v;
            unsigned sv;
            int stop = l->k > 0 && find_window_end(&l->e, cm, b, sh->rule, &v, &sv);
            if (stop && l->k > l->best_k) {   /* (not over a tight end with one byte more,
                                                 found one step earlier: that one is preferred) */
                l->best = l->e;
                l->best_k = l->k;
                l->best_v = v;
                l->best_s = sv;
            }
            uint8_t x = l->job.src[l->pos + l->k];
            /* Tight end: can the window end with byte k as the decoder's one more? (If that
             * is the document's last byte and the window's code does not fit in b bits, it is
             * the last window, and the decoder checks that block against its byte count.) */
            if (sh->rule == EIW_WINDOW_END_TIGHT &&
                find_tight_extra(&l->e, cm, b, l->k, x, stop, v, &l->best_v, &l->best_s)) {
                l->best = l->e;
                l->best_k = l->k + 1;
            }
            rc_encoder before = l->e;
            rc_enc_put(&l->e, cm[x], fq[x]);
            if (rc_enc_code_bits(&l->e) > b) {
                l->e = before;
                break;
            }
            l->k++;
        }
        sh->needed += l->k;
        sh->windows++;
        uint64_t bits;
        size_t k = l->k;
        if (l->pos + k == l->job.n) {   /* last window, all of it fits: its shortest code */
            bits = rc_enc_finish(&l->e);
        } else if (l->best_k > 0) {     /* (the last window too if a tight end reaches there) */
            k = l->best_k;
            bits = window_finish(&l->best, sh->rule, l->best_v, l->best_s);
        } else {
            l->ret = EIW_ERR_AMBIGUOUS;
            return 0;
        }
        size_t used = (size_t)((bits + 7) / 8);
        memcpy(l->job.dst + l->out, l->scratch, used);
        memset(l->job.dst + l->out + used, 0, wbytes - used);
        if (l->job.counts)
            l->job.counts[l->nwin] = (uint32_t)k;
        l->nwin++;
        l->out += wbytes;
        l->pos += k;
        l->in_window = 0;
    }
}

eiw_status eiw_windows_encode_feed(const eiw_model *m, const eiw_window_params *p, size_t lanes,
                                   void *const *states, const eiw_window_feed *feed)
{
    if (eiw_window_params_check(p) != EIW_OK || lanes < 1 || lanes > EIW_WINDOW_LANES_MAX)
        return EIW_ERR_PARAM;
    wenc_shared *sh = malloc(sizeof *sh);
    wenc_lane *l = malloc(sizeof *l * lanes);
    /* rows asked for ahead: a lane asks for more than one only when fewer than ROUND_TARGET
     * lanes ask, at most ceil(ROUND_TARGET / active) each */
    uint32_t *run_rows = malloc(sizeof(uint32_t) * 256 * (ROUND_TARGET + lanes));
    uint32_t *last_rows = malloc(sizeof(uint32_t) * 256 * lanes);
    eiw_status st = sh && l && run_rows && last_rows ? EIW_OK : EIW_ERR_NOMEM;
    if (st != EIW_OK)
        goto done;
    sh->m = m;
    sh->b = p->window_bits;
    sh->rule = p->end_rule;
    sh->needed = sh->windows = 0;
    m->ops->reset(m, states[0]);
    model_predict1(m, states[0], last_rows);
    eiw_quantize_window_start(last_rows, sh->freq0, sh->cum0);

    void *run_states[EIW_WINDOW_LANES_MAX], *ask_states[EIW_WINDOW_LANES_MAX];
    const uint8_t *runs[EIW_WINDOW_LANES_MAX];
    size_t run_lens[EIW_WINDOW_LANES_MAX];
    wenc_lane *run_lane[EIW_WINDOW_LANES_MAX], *ask_lane[EIW_WINDOW_LANES_MAX];
    size_t active = 0;
    int dry = 0;
    for (size_t i = 0; i < lanes; i++) {
        eiw_window_job job;
        l[i].state = NULL;
        if (!dry && feed->next(feed->ctx, &job)) {
            lane_start(&l[i], &job);
            l[i].state = states[i];
            active++;
        } else {
            dry = 1;
        }
    }
    while (active) {
        size_t nr = 0, na = 0, asking = active;
        for (size_t i = 0; i < lanes; i++) {
            while (l[i].state) {
                if (lane_work(sh, &l[i], asking)) {
                    wenc_lane *x = &l[i];
                    const uint8_t *at = x->job.src + x->pos + x->fwd;
                    if (x->ask == 1) {   /* the next row only: a byte for the batched predict */
                        m->ops->advance(m, x->state, at, 1);
                    } else {             /* rows fwd .. fwd+ask-1 in one run, then fwd+ask */
                        run_states[nr] = x->state;
                        runs[nr] = at;
                        run_lens[nr] = x->ask;
                        run_lane[nr++] = x;
                    }
                    ask_states[na] = x->state;
                    ask_lane[na++] = x;
                    break;
                }
                feed->done(feed->ctx, &l[i].job, l[i].ret < 0 ? l[i].ret : (ptrdiff_t)l[i].out);
                eiw_window_job job;
                if (!dry && feed->next(feed->ctx, &job)) {
                    void *s = l[i].state;
                    lane_start(&l[i], &job);
                    l[i].state = s;
                } else {
                    dry = 1;
                    l[i].state = NULL;
                    active--;
                }
            }
        }
        if (!na)
            break;
        model_runs(m, run_states, runs, run_lens, nr, run_rows);
        m->ops->predict(m, ask_states, na, last_rows);
        const uint32_t *at = run_rows;
        for (size_t r = 0; r < nr; r++) {
            run_lane[r]->run = at;
            run_lane[r]->run_at = run_lane[r]->fwd;
            at += 256 * run_lens[r];
        }
        for (size_t a = 0; a < na; a++) {
            ask_lane[a]->fwd += ask_lane[a]->ask;
            ask_lane[a]->last = last_rows + 256 * a;
        }
    }
done:
    free(sh);
    free(l);
    free(run_rows);
    free(last_rows);
    return st;
}

/* eiw_windows_encode_many's pieces: the arrays, in order. */
typedef struct {
    size_t count, at;
    const uint8_t *const *srcs;
    const size_t *ns;
    uint8_t *const *dsts;
    const size_t *caps;
    uint32_t *const *counts;
    ptrdiff_t *results;
} many_feed;

static int many_next(void *ctx, eiw_window_job *job)
{
    many_feed *f = ctx;
    if (f->at == f->count)
        return 0;
    size_t i = f->at++;
    job->src = f->srcs[i];
    job->n = f->ns[i];
    job->dst = f->dsts[i];
    job->cap = f->caps[i];
    job->counts = f->counts ? f->counts[i] : NULL;
    job->id = i;
    return 1;
}

static void many_done(void *ctx, const eiw_window_job *job, ptrdiff_t result)
{
    ((many_feed *)ctx)->results[job->id] = result;
}

void eiw_windows_encode_many(const eiw_model *m, const eiw_window_params *p, size_t count,
                             void *const *states, const uint8_t *const *srcs, const size_t *ns,
                             uint8_t *const *dsts, const size_t *caps,
                             uint32_t *const *window_counts, ptrdiff_t *results)
{
    if (!count)
        return;
    many_feed f = { count, 0, srcs, ns, dsts, caps, window_counts, results };
    eiw_window_feed feed = { many_next, many_done, &f };
    size_t lanes = count < EIW_WINDOW_LANES_MAX ? count : EIW_WINDOW_LANES_MAX;
    eiw_status st = eiw_windows_encode_feed(m, p, lanes, states, &feed);
    for (size_t i = 0; st != EIW_OK && i < count; i++)
        results[i] = st;
}

ptrdiff_t eiw_windows_encode(const eiw_model *m, const eiw_window_params *p, void *state,
                             const uint8_t *src, size_t n, uint8_t *dst, size_t dst_cap,
                             uint32_t *window_counts)
{
    ptrdiff_t r;
    eiw_windows_encode_many(m, p, 1, &state, &src, &n, &dst, &dst_cap, &window_counts, &r);
    return r;
}

/* Is the window exactly what the encoder writes for the k bytes coded into e? cum: the next
 * byte's partition where the window stops; NULL for a document's last window (its shortest
 * code, or with the tight end, when that does not fit, the one-more block of its last byte).
 * With the tight end, extra >= 0 is the byte the window takes one more (e and cum are then
 * those before it), and prev_e, prev_cum and last describe the step before e's last byte
 * (prev_cum NULL when e holds one byte or none): a window that stops where a one-more window
 * of the same bytes exists is not canonical. Rejects any other bits, padding included, so
 * every valid content has one encoding. */
static int window_is_canonical(const rc_encoder *e, const uint32_t *cum, uint64_t b,
                               unsigned rule, size_t k, int extra, const rc_encoder *prev_e,
                               const uint32_t *prev_cum, unsigned last, const uint8_t *window,
                               size_t wbytes)
{
    uint8_t canon[SCRATCH];
    rc_encoder fin = *e;
    fin.out = canon;
    fin.cap = sizeof canon;
    memcpy(canon, e->out, e->pos);
    uint64_t bits, v;
    unsigned s;
    if (extra >= 0) {
        if (!tight_extra_block(e, cum, b, k, (unsigned)extra, &v, &s))
            return 0;
        bits = window_finish(&fin, rule, v, s);
    } else if (cum) {
        if (rule == EIW_WINDOW_END_TIGHT && prev_cum &&   /* no one-more window of these bytes */
            tight_extra_block(prev_e, prev_cum, b, k - 1, last, &v, &s))
            return 0;
        if (!find_window_end(e, cum, b, rule, &v, &s))
            return 0;
        bits = window_finish(&fin, rule, v, s);
    } else if (rc_enc_code_bits(e) <= b) {   /* a last window: its shortest code ... */
        bits = rc_enc_finish(&fin);
    } else {   /* ... or, when that does not fit, the tight end's block for its last byte */
        if (rule != EIW_WINDOW_END_TIGHT || !prev_cum ||
            !tight_extra_block(prev_e, prev_cum, b, k - 1, last, &v, &s))
            return 0;
        fin = *prev_e;
        fin.out = canon;
        fin.cap = sizeof canon;
        bits = window_finish(&fin, rule, v, s);
    }
    size_t used = (size_t)((bits + 7) / 8);
    if (bits > b || fin.overflow)
        return 0;
    memset(canon + used, 0, wbytes - used);
    return memcmp(canon, window, wbytes) == 0;
}

/* Decoding one window, one byte per step, so that many windows can advance in lockstep and
 * share each batched model call. */
typedef struct {
    const uint8_t *window;
    uint64_t b;
    unsigned rule;
    size_t wbytes;
    ptrdiff_t known_len;     /* -1: find the end from the window itself */
    uint8_t *dst;
    size_t cap, k;
    void *state;
    ptrdiff_t result;        /* >= 0 when done: bytes; < 0: error */
    int done;
    rc_decoder lo, hi;       /* both ends of the window's dyadic interval */
    rc_encoder e;            /* re-encodes what is decoded, to check the window is canonical */
    rc_encoder e_prev;       /* tight end: e before the last byte */
    uint32_t cums[2][257];   /* the partitions of bytes k (cums[k & 1]) and k - 1 */
    uint8_t bottom[WBYTES_MAX], top[WBYTES_MAX], scratch[SCRATCH];
} window_decoder;

static void wd_finish(window_decoder *wd, ptrdiff_t result)
{
    wd->result = result;
    wd->done = 1;
}

static void wd_init(window_decoder *wd, const eiw_model *m, const eiw_window_params *p,
                    void *state, const uint8_t *window, ptrdiff_t known_len, uint8_t *dst,
                    size_t cap)
{
    wd->window = window;
    wd->b = p->window_bits;
    wd->rule = p->end_rule;
    wd->wbytes = p->window_bits / 8;
    wd->known_len = known_len;
    wd->dst = dst;
    wd->cap = cap;
    wd->k = 0;
    wd->state = state;
    wd->done = 0;
    size_t last = wd->wbytes;   /* the byte holding the last 1 bit: the end of the code */
    while (last && window[last - 1] == 0)
        last--;
    if (last == 0 && known_len < 0 && wd->rule == EIW_WINDOW_END_MARKER) {   /* no marker */
        wd_finish(wd, EIW_ERR_CORRUPT);
        return;
    }
    if (known_len >= 0 && (size_t)known_len > cap) {
        wd_finish(wd, EIW_ERR_DST_TOO_SMALL);
        return;
    }
    /* Both ends of D: the code followed by zeros, and the code followed by ones (with the
     * implicit end the code is the whole window). A last window is decoded from the window as
     * it is: its code is the shortest one of its bytes. */
    memcpy(wd->bottom, window, wd->wbytes);
    memcpy(wd->top, window, wd->wbytes);
    if (known_len < 0 && wd->rule == EIW_WINDOW_END_MARKER) {
        uint8_t one = (uint8_t)(window[last - 1] & -window[last - 1]);   /* lowest set bit */
        wd->bottom[last - 1] = (uint8_t)(window[last - 1] & ~one);
        wd->top[last - 1] = (uint8_t)(window[last - 1] | (one - 1));
        memset(wd->top + last, 0xFF, wd->wbytes - last);
    }
    rc_dec_init(&wd->lo, wd->bottom, wd->wbytes);
    rc_dec_init_fill(&wd->hi, wd->top, wd->wbytes, 0xFF);
    rc_enc_init(&wd->e, wd->scratch, sizeof wd->scratch);
    m->ops->reset(m, state);
    if (known_len == 0)
        wd_finish(wd, window_is_canonical(&wd->e, NULL, wd->b, wd->rule, 0, -1, NULL, NULL, 0,
                                          window, wd->wbytes)
                          ? 0 : EIW_ERR_CORRUPT);
}

/* Consumes the model's weights for the next position; on going on, advances the model. */
static void wd_step(window_decoder *wd, const eiw_model *m, const uint32_t *weights)
{
    uint32_t freq[256];
    size_t k = wd->k;
    uint32_t *cum = wd->cums[k & 1];
    const uint32_t *cum_prev = wd->cums[(k + 1) & 1];   /* valid for k >= 1 */
    quantize_at(k, weights, freq, cum);
    unsigned x = rc_dec_symbol(&wd->lo, cum);
    if (wd->known_len < 0) {
        unsigned y = rc_dec_symbol(&wd->hi, cum);
        if (y != x) {
            /* the ends disagree: the window stops here, or (tight end, unless the window is
             * the block that means stop) takes the low end's byte first */
            int tight = wd->rule == EIW_WINDOW_END_TIGHT;
            const uint32_t *prev = tight && k > 1 ? cum_prev : NULL;
            unsigned last = k ? wd->dst[k - 1] : 0;
            if (k > 0 && window_is_canonical(&wd->e, cum, wd->b, wd->rule, k, -1, &wd->e_prev,
                                             prev, last, wd->window, wd->wbytes)) {
                wd_finish(wd, (ptrdiff_t)k);
            } else if (tight && k > 0 && k < wd->cap && k < WINDOW_BYTES_MAX &&
                       window_is_canonical(&wd->e, cum, wd->b, wd->rule, k, (int)x, NULL, NULL,
                                           0, wd->window, wd->wbytes)) {
                wd->dst[k] = (uint8_t)x;
                wd_finish(wd, (ptrdiff_t)k + 1);
            } else {
                wd_finish(wd, EIW_ERR_CORRUPT);
            }
            return;
        }
    }
    if (k == wd->cap || k == WINDOW_BYTES_MAX) {
        wd_finish(wd, wd->known_len < 0 ? EIW_ERR_CORRUPT : EIW_ERR_DST_TOO_SMALL);
        return;
    }
    int tight = wd->rule == EIW_WINDOW_END_TIGHT;
    if (tight)
        wd->e_prev = wd->e;
    rc_dec_take(&wd->lo, cum[x], freq[x]);
    if (wd->known_len < 0)
        rc_dec_take(&wd->hi, cum[x], freq[x]);
    rc_enc_put(&wd->e, cum[x], freq[x]);
    /* (a last window's last byte may be a tight end's one more: the check below sees to it) */
    if (rc_enc_code_bits(&wd->e) > wd->b && !(tight && (ptrdiff_t)k + 1 == wd->known_len)) {
        wd_finish(wd, EIW_ERR_CORRUPT);
        return;
    }
    wd->dst[k] = (uint8_t)x;
    wd->k = k + 1;
    if (wd->known_len >= 0 && wd->k == (size_t)wd->known_len) {
        wd_finish(wd, window_is_canonical(&wd->e, NULL, wd->b, wd->rule, wd->k, -1, &wd->e_prev,
                                          tight && wd->k > 1 ? cum : NULL, x,
                                          wd->window, wd->wbytes)
                          ? wd->known_len : EIW_ERR_CORRUPT);
        return;
    }
    m->ops->advance(m, wd->state, wd->dst + k, 1);
}

ptrdiff_t eiw_window_decode(const eiw_model *m, const eiw_window_params *p, void *state,
                            const uint8_t *window, ptrdiff_t known_len, uint8_t *dst,
                            size_t dst_cap)
{
    if (eiw_window_params_check(p) != EIW_OK)
        return EIW_ERR_PARAM;
    window_decoder *wd = malloc(sizeof *wd);
    if (!wd)
        return EIW_ERR_NOMEM;
    uint32_t w[256];
    wd_init(wd, m, p, state, window, known_len, dst, dst_cap);
    while (!wd->done) {
        model_predict1(m, state, w);
        wd_step(wd, m, w);
    }
    ptrdiff_t r = wd->result;
    free(wd);
    return r;
}

/* Windows decoded together: each lockstep step asks the model about every unfinished window
 * in one call. A lane's bytes wait in its own buffer until the group is done. */
#define LANES 32

eiw_status eiw_windows_decode(const eiw_model *m, const eiw_window_params *p, void *state,
                              const uint8_t *src, size_t src_len, uint8_t *dst, size_t n)
{
    (void)state;
    if (eiw_window_params_check(p) != EIW_OK)
        return EIW_ERR_PARAM;
    const size_t wbytes = p->window_bits / 8;
    if (src_len % wbytes)
        return EIW_ERR_CORRUPT;
    size_t nwin = src_len / wbytes, done = 0;
    if ((nwin == 0) != (n == 0) || nwin > n)
        return EIW_ERR_CORRUPT;
    if (nwin == 0)
        return EIW_OK;
    size_t lanes = nwin - 1 < LANES ? nwin - 1 : LANES;
    size_t lane_cap = n < WINDOW_BYTES_MAX ? n : WINDOW_BYTES_MAX;
    window_decoder *wd = malloc(sizeof *wd * (lanes ? lanes : 1));
    uint8_t *bufs = malloc(lane_cap * (lanes ? lanes : 1));
    uint8_t *states = calloc(lanes ? lanes : 1, m->state_size);
    uint32_t *w = malloc(sizeof(uint32_t) * 256 * LANES);
    void *act_states[LANES];
    size_t act[LANES];
    eiw_status st = wd && bufs && states && w ? EIW_OK : EIW_ERR_NOMEM;
    /* all windows but the last, a group of lanes at a time */
    for (size_t w0 = 0; st == EIW_OK && w0 + 1 < nwin; w0 += lanes) {
        size_t g = nwin - 1 - w0 < lanes ? nwin - 1 - w0 : lanes;
        for (size_t i = 0; i < g; i++)
            wd_init(&wd[i], m, p, states + i * m->state_size, src + (w0 + i) * wbytes, -1,
                    bufs + i * lane_cap, lane_cap);
        for (;;) {
            size_t na = 0;
            for (size_t i = 0; i < g; i++)
                if (!wd[i].done) {
                    act[na] = i;
                    act_states[na++] = wd[i].state;
                }
            if (!na)
                break;
            m->ops->predict(m, act_states, na, w);
            for (size_t a = 0; a < na; a++)
                wd_step(&wd[act[a]], m, w + 256 * a);
        }
        for (size_t i = 0; i < g && st == EIW_OK; i++) {
            size_t windows_after = nwin - (w0 + i) - 1;
            if (wd[i].result < 0)
                st = wd[i].result == EIW_ERR_DST_TOO_SMALL ? EIW_ERR_CORRUPT
                                                           : (eiw_status)wd[i].result;
            else if ((size_t)wd[i].result + windows_after > n - done)
                st = EIW_ERR_CORRUPT;   /* every later window holds at least one byte */
            else {
                memcpy(dst + done, bufs + i * lane_cap, (size_t)wd[i].result);
                done += (size_t)wd[i].result;
            }
        }
    }
    if (st == EIW_OK) {   /* the last window holds what is left */
        uint8_t *last_state = lanes ? states : NULL;
        void *ls = last_state ? (void *)last_state : calloc(1, m->state_size);
        if (!ls) {
            st = EIW_ERR_NOMEM;
        } else {
            ptrdiff_t got = eiw_window_decode(m, p, ls, src + (nwin - 1) * wbytes,
                                              (ptrdiff_t)(n - done), dst + done, n - done);
            if (got < 0)
                st = got == EIW_ERR_DST_TOO_SMALL ? EIW_ERR_CORRUPT : (eiw_status)got;
            if (!last_state)
                free(ls);
        }
    }
    free(wd);
    free(bufs);
    free(states);
    free(w);
    return st;
}
