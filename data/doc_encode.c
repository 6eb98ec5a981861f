/* Parallel Equal-Info Windows coding of documents with the windows of sequential coding.
 * A window depends only on where it starts (the coder and the model reset there) and on the
 * document's bytes after that (its end decides the last window). So each document is cut into
 * segments of `segment` bytes; segment k is coded from its start, a guess that is generally no
 * window boundary, through `overlap` bytes of segment k+1, dropping the window cut by that end.
 * All segments of all documents are coded at once: each thread codes up to LANES of them in
 * lockstep (eiw_windows_encode_feed: one batched model call per step), and a lane that finishes
 * its segment takes the next one left, biggest first. Then each document is
 * stitched: follow segment 0's windows (its start is a true boundary); at the first boundary
 * that segment k+1 also has, its windows from there on are the true ones too. Where segments
 * never meet (rare: long windows, a failed guess), the document is coded on from the last true
 * boundary until it meets one. The result is byte-identical to one eiw_windows_encode per
 * document, whatever the threads, lanes, segment and overlap. */
#include <stdlib.h>
#include <string.h>

#include "codec/windows_feed.h"
#include "data/doc_encode.h"

#define LANES 32   /* segments per thread, coded in lockstep (batched model calls) */

typedef struct {
    size_t job, start, len;    /* piece [start, start + len) of the job's document */
    size_t seg_len;            /* bytes of progress it stands for */
    int reaches_end;
    uint8_t *win;              /* kept windows */
    uint32_t *cnt;             /* bytes per kept window */
    size_t nwin;
    eiw_status st;
} seg_item;

/* Windows of src[0..len) alone into win and cnt (malloc'd): all of them, or all but the last when
 * the piece does not reach the document's end. */
static eiw_status encode_alone(const eiw_model *m, const eiw_window_params *wp, void *state,
                               const uint8_t *src, size_t len, int reaches_end, uint8_t **win,
                               uint32_t **cnt, size_t *nwin)
{
    const size_t wbytes = wp->window_bits / 8;
    size_t cap = len * 12 / wp->window_bits + 64;
    *win = NULL;
    *cnt = NULL;
    *nwin = 0;
    for (;;) {
        if (cap > len)
            cap = len;
        uint8_t *w = malloc(cap * wbytes + 1);
        uint32_t *c = malloc(cap * sizeof *c + 1);
        if (!w || !c) {
            free(w);
            free(c);
            return EIW_ERR_NOMEM;
        }
        ptrdiff_t r = eiw_windows_encode(m, wp, state, src, len, w, cap * wbytes, c);
        if (r == EIW_ERR_DST_TOO_SMALL && cap < len) {
            free(w);
            free(c);
            cap *= 2;
            continue;
        }
        if (r < 0) {
            free(w);
            free(c);
            return (eiw_status)r;
        }
        size_t nw = (size_t)r / wbytes;
        *win = w;
        *cnt = c;
        *nwin = reaches_end || nw == 0 ? nw : nw - 1;
        return EIW_OK;
    }
}

static int cmp_items(const void *a, const void *b, const seg_item *items)
{
    const seg_item *x = &items[*(const size_t *)a], *y = &items[*(const size_t *)b];
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    return i < j ? -1 : i > j;
}

static const seg_item *sort_items;   /* qsort has no context in C11; set under one thread */
static int cmp_items_q(const void *a, const void *b)
{
    return cmp_items(a, b, sort_items);
}

/* Phase 1: the segments, taken by the threads' lanes one at a time, biggest first. */
typedef struct {
    const eiw_model *m;
    const eiw_window_params *wp;
    const eiw_doc_job *jobs;
    seg_item *items;
    const size_t *order;
    size_t nitems;
    size_t *next;              /* shared by the threads: the next entry of order */
    void *spare;               /* this thread's state for a segment coded again alone */
    const eiw_doc_encode_options *o;
} seg_feed;

static int seg_next(void *ctx, eiw_window_job *job)
{
    seg_feed *f = ctx;
    const size_t wbytes = f->wp->window_bits / 8;
    for (;;) {
        size_t g;
#pragma omp atomic capture
        g = (*f->next)++;
        if (g >= f->nitems)
            return 0;
        seg_item *it = &f->items[f->order[g]];
        /* worst case guessed from the window size; a segment that needs more is coded again */
        size_t cap = it->len * 12 / f->wp->window_bits + 64;
        cap = cap > it->len ? it->len : cap;
        it->win = malloc(cap * wbytes + 1);
        it->cnt = malloc(cap * sizeof *it->cnt + 1);
        if (!it->win || !it->cnt) {
            it->st = EIW_ERR_NOMEM;
            continue;
        }
        job->src = f->jobs[it->job].src + it->start;
        job->n = it->len;
        job->dst = it->win;
        job->cap = cap * wbytes;
        job->counts = it->cnt;
        job->id = f->order[g];
        return 1;
    }
}

static void seg_done(void *ctx, const eiw_window_job *job, ptrdiff_t res)
{
    seg_feed *f = ctx;
    const size_t wbytes = f->wp->window_bits / 8;
    seg_item *it = &f->items[job->id];
    if (res == EIW_ERR_DST_TOO_SMALL) {
        free(it->win);
        free(it->cnt);
        it->st = encode_alone(f->m, f->wp, f->spare, job->src, job->n, it->reaches_end,
                              &it->win, &it->cnt, &it->nwin);
    } else if (res < 0) {
        it->st = (eiw_status)res;   /* a guess that leads nowhere: stitching goes around */
    } else {
        size_t nw = (size_t)res / wbytes;
        it->nwin = it->reaches_end || nw == 0 ? nw : nw - 1;
        /* the buffers were sized for the worst case; keep what stitching needs */
        uint8_t *w = realloc(it->win, it->nwin * wbytes + 1);
        uint32_t *c = realloc(it->cnt, it->nwin * sizeof *c + 1);
        if (w)
            it->win = w;
        if (c)
            it->cnt = c;
    }
    if (it->st != EIW_OK)
        it->nwin = 0;
    if (f->o->progress)
        f->o->progress(f->o->progress_ctx, it->seg_len);
}

typedef struct {
    uint8_t *buf;
    size_t len, cap;
} out_buf;

static int out_put(out_buf *b, const uint8_t *w, size_t wbytes)
{
    if (b->len + wbytes > b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 256;
        while (nc < b->len + wbytes)
            nc *= 2;
        uint8_t *nb = realloc(b->buf, nc);
        if (!nb)
            return -1;
        b->buf = nb;
        b->cap = nc;
    }
    memcpy(b->buf + b->len, w, wbytes);
    b->len += wbytes;
    return 0;
}

/* Does a later segment have a window starting at pos? Moves *k and *w to it. */
static int meet(seg_item *it, size_t nseg, size_t *bptr, size_t *bpos, size_t pos, size_t *k,
                size_t *w)
{
    for (size_t j = *k + 1; j < nseg && it[j].start <= pos; j++) {
        while (bpos[j] < pos && bptr[j] < it[j].nwin)
            bpos[j] += it[j].cnt[bptr[j]++];
        if (bpos[j] == pos && bptr[j] < it[j].nwin) {
            *k = j;
            *w = bptr[j];
            return 1;
        }
    }
    return 0;
}

/* Phase 2: the true windows of one document from its segments. */
static eiw_status stitch(const eiw_model *m, const eiw_window_params *wp, void *state,
                         eiw_doc_job *job, seg_item *it, size_t nseg, size_t segment)
{
    const size_t wbytes = wp->window_bits / 8, n = job->n;
    size_t *bptr = calloc(nseg ? nseg : 1, sizeof *bptr);
    size_t *bpos = malloc((nseg ? nseg : 1) * sizeof *bpos);
    out_buf ob = { NULL, 0, 0 };
    eiw_status st = EIW_OK;
    if (!bptr || !bpos) {
        st = EIW_ERR_NOMEM;
        goto done;
    }
    for (size_t j = 0; j < nseg; j++)
        bpos[j] = it[j].start;
    size_t pos = 0, k = 0, w = 0;
    while (pos < n && st == EIW_OK) {
        if (w < it[k].nwin) {
            if (out_put(&ob, it[k].win + w * wbytes, wbytes) != 0) {
                st = EIW_ERR_NOMEM;
                break;
            }
            pos += it[k].cnt[w++];
            meet(it, nseg, bptr, bpos, pos, &k, &w);
            continue;
        }
        /* no segment window here: code on from this true boundary until one meets */
        for (size_t want = segment;; want *= 2) {
            size_t len = n - pos < want ? n - pos : want;
            uint8_t *rw;
            uint32_t *rc;
            size_t nw;
            st = encode_alone(m, wp, state, job->src + pos, len, pos + len == n, &rw, &rc, &nw);
            if (st != EIW_OK)
                break;
            int met = 0;
            for (size_t i = 0; i < nw && !met; i++) {
                if (out_put(&ob, rw + i * wbytes, wbytes) != 0) {
                    st = EIW_ERR_NOMEM;
                    break;
                }
                pos += rc[i];
                met = meet(it, nseg, bptr, bpos, pos, &k, &w);
            }
            free(rw);
            free(rc);
            if (nw > 0 || st != EIW_OK)
                break;
            /* one window longer than the piece: take a longer piece */
        }
    }
done:
    free(bptr);
    free(bpos);
    if (st != EIW_OK) {
        free(ob.buf);
        return st;
    }
    /* a shard holds the windows of all its documents until it is written: keep what is used
     * (a 4 KiB buffer per short document made tokenize's peak ~16x the shard size) */
    if (ob.buf && ob.len < ob.cap) {
        uint8_t *fit = realloc(ob.buf, ob.len ? ob.len : 1);
        if (fit)
            ob.buf = fit;
    }
    job->out = ob.buf;
    job->out_len = ob.len;
    return EIW_OK;
}

eiw_status eiw_docs_encode(const eiw_model *m, const eiw_window_params *wp, eiw_doc_job *jobs,
                           size_t njobs, const eiw_doc_encode_options *o)
{
    if (eiw_window_params_check(wp) != EIW_OK || !o || o->threads < 1)
        return EIW_ERR_PARAM;
    /* A segment coded from a guessed start meets the true windows after a few windows; each
     * byte of overlap is coded twice, and a miss codes on from the last true boundary on one
     * lane. Measured (M1, dev files): met within 35 bytes at b = 16, 95 at b = 32; at b = 64
     * some meet only after 1.6 KB. */
    size_t overlap = o->overlap ? o->overlap : 8 * (size_t)wp->window_bits;
    if (!o->overlap && overlap < 1024)
        overlap = 16 * (size_t)wp->window_bits < 1024 ? 16 * (size_t)wp->window_bits : 1024;
    size_t segment = o->segment ? o->segment : 16 * overlap;
    if (!o->segment && segment < (32u << 10))
        segment = 32u << 10;
    size_t total = 0;
    for (size_t i = 0; i < njobs; i++)
        total += jobs[i].n;
    /* A little text: shorter segments (down to 16 x the overlap), so that each thread has
     * about 16 lanes; with fewer, lanes ask the model for rows ahead that windows may not
     * need (M1, b = 16: 1.17 positions per byte with 9 lanes a thread, 1.02 with 30). */
    size_t fill = total / (16 * (size_t)o->threads);
    if (!o->segment && fill < segment)
        segment = fill > 16 * overlap ? fill : 16 * overlap;
    size_t nitems = 0;
    for (size_t i = 0; i < njobs; i++) {
        jobs[i].out = NULL;
        jobs[i].out_len = 0;
        jobs[i].status = EIW_OK;
        nitems += (jobs[i].n + segment - 1) / segment;
    }
    seg_item *items = calloc(nitems ? nitems : 1, sizeof *items);
    size_t *first = malloc((njobs + 1) * sizeof *first);
    size_t *order = malloc((nitems ? nitems : 1) * sizeof *order);
    if (!items || !first || !order) {
        free(items);
        free(first);
        free(order);
        return EIW_ERR_NOMEM;
    }
    size_t t = 0;
    for (size_t i = 0; i < njobs; i++) {
        first[i] = t;
        size_t n = jobs[i].n;
        for (size_t s = 0; s < n; s += segment, t++) {
            size_t end = s + segment >= n ? n : s + segment + overlap < n ? s + segment + overlap : n;
            items[t].job = i;
            items[t].start = s;
            items[t].len = end - s;
            items[t].seg_len = n - s < segment ? n - s : segment;
            items[t].reaches_end = end == n;
            order[t] = t;
        }
    }
    first[njobs] = t;
    /* biggest first, so that a thread is not left with a long piece at the end */
    sort_items = items;
    qsort(order, nitems, sizeof *order, cmp_items_q);
    size_t next = 0;
    /* few segments: spread them over the threads rather than fill one thread's lanes */
    size_t lanes = (nitems + (size_t)o->threads - 1) / (size_t)o->threads;
    lanes = lanes > LANES ? LANES : lanes ? lanes : 1;
#pragma omp parallel num_threads(o->threads)
    {
        void *states[LANES + 1];   /* the lanes', then the spare */
        int ok = 1;
        for (size_t i = 0; i <= lanes; i++)
            ok &= (states[i] = calloc(1, m->state_size)) != NULL;
        seg_feed f = { m, wp, jobs, items, order, nitems, &next, states[lanes], o };
        eiw_window_feed feed = { seg_next, seg_done, &f };
        if (!ok || eiw_windows_encode_feed(m, wp, lanes, states, &feed) != EIW_OK) {
            eiw_window_job job;
            while (seg_next(&f, &job))   /* nothing taken yet: what is left fails */
                items[job.id].st = EIW_ERR_NOMEM;
            ok = 0;
        }
#pragma omp barrier
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < njobs; i++) {
            if (!ok)
                jobs[i].status = EIW_ERR_NOMEM;
            else
                jobs[i].status = stitch(m, wp, states[0], &jobs[i], items + first[i],
                                        first[i + 1] - first[i], segment);
        }
        for (size_t i = 0; i <= lanes; i++)
            free(states[i]);
    }
    for (size_t i = 0; i < nitems; i++) {
        free(items[i].win);
        free(items[i].cnt);
    }
    free(items);
    free(first);
    free(order);
    return EIW_OK;
}
