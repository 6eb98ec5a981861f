/* The online context-mixing model behind the compression levels (include/eiw.h, eiw_mix_*):
 * hashed order-n, word, sparse and column contexts with adaptive counters, a match model for
 * long repeats, and optionally the byte model's (M1's) distribution cut into the 8 binary
 * decisions of the byte; mixed in the logistic domain by gated mixers, refined by APMs.
 * Everything learns while coding, from the block's own bytes only.
 *
 * A block is cut into `lanes` contiguous segments coded in an interleaved, fixed order (byte t
 * of lane 0, byte t of lane 1, ...), so a decoder can advance the lanes' byte models in
 * lockstep; all lanes share the tables, each keeps its own recent history. The order never
 * depends on threads. Integer arithmetic only. Not here: the coder and the byte model.
 *
 * Two revisions of the mixing, both part of the format: revision 1 (format 2, eiw 0.2-0.5)
 * and revision 2 (format 5, eiw 0.6: three more mixers at levels 2-9, chosen by the previous
 * byte, the byte before it, and the column with the partial byte). */
#include <stdlib.h>
#include <string.h>
#include "model/cm_model.h"
#include "model/cm_primitives.h"
#include "eiw.h"


enum {
    CTX_O1, CTX_O2, CTX_O3, CTX_O4, CTX_O5, CTX_O6, CTX_O7,
    CTX_WORD, CTX_WORD2, CTX_SPARSE1, CTX_SPARSE2, CTX_COLUMN,
    CTX_KINDS
};

typedef struct {
    uint32_t contexts;      /* bit set of CTX_* */
    int hash_bits;          /* log2 of the number of 64-byte buckets */
    int match_bits;         /* log2 of the match table's entries */
    int full;               /* 0: one mixer and one APM (fast); 1: three mixers (six from
                             * revision 2), two APMs */
    int byte_model;         /* mixes the byte model's distribution */
    int block_log2;         /* default block size: longer history against more parallel blocks */
    int no_match;           /* ablations only: the match model's input stays 0 */
} mix_config;

/* Tuned on the dev split (bench/cm_tune.sh): mixer learning rates in 1/16 units, APM rates as
 * shifts, the counters' count limit. */
#define MIX_LR 8
#define FINAL_LR 2          /* revision 1 */
#define FINAL_LR_R2 1       /* revision 2 */
#define APM_RATE 6
#define CTR_LIMIT 255
#define BYTE_SSE_BITS 16

#define COLUMN_CLASSES 28   /* columns 0..23 each, then 24-39, 40-59, 60-79, 80 on */
#define MIXERS_MAX 6
/* Weight sets of each mixer, in the order of eiw_mix_p1's selectors: by the partial byte; by
 * match length class and bit position; by the byte model's confidence and bit position; from
 * revision 2, by the previous byte, by the byte before it, by column class and partial byte. */
static const int mixer_sets[MIXERS_MAX] = { 256, 4 * 8, 8 * 8, 256, 256, COLUMN_CLASSES * 256 };
#define MATCH_MIN 6
#define MATCH_LEN_MAX 65535

typedef struct {
    size_t start, pos;          /* the lane's first byte; pos is the next one to code */
    uint64_t c8;                /* last 8 bytes of the lane, newest in the low byte */
    uint32_t word0, word1;      /* hashes of the current and the previous word */
    size_t line, prev_line;     /* starts of the current and previous line */
    uint64_t h[CTX_KINDS];      /* context hashes at the byte boundary */
    size_t mptr;                /* match: position of the predicted byte */
    uint32_t mlen;              /* match length, 0 = none */
} lane_state;

struct eiw_mix {
    mix_config cfg;
    int nctx;
    uint8_t kinds[CTX_KINDS];   /* the active context kinds, in order */
    const uint8_t *buf;
    size_t n, lane_len;
    unsigned lanes;
    lane_state *ls;             /* (lanes) */
    uint32_t *ht;               /* (2^hash_bits, 16) context counters; [0] = tag */
    size_t ht_mask;
    uint32_t *mt;               /* (2^match_bits) match positions + 1 */
    uint32_t o0[256];
    uint32_t match_ctr[64 * 2];
    int nmix;                   /* 1 (level 1), else feeding the final one: 3, or 6 (revision 2) */
    cm_mixer mix[MIXERS_MAX], final;
    cm_apm apm[3];              /* order 1, order 2, the byte model's SSE */
    /* the byte being coded */
    lane_state *cur;
    uint64_t pre[257];          /* prefix sums of the byte model's weights */
    int has_weights, conf;
    int column_sel;             /* the lane's column class times 256 (revision 2) */
    const int16_t *path;        /* tuning: the byte model's stretched P(1) along the byte */
    uint32_t c0;                /* partial byte with a leading 1 */
    int bitpos, nib;
    uint32_t *bucket[CTX_KINDS];
    int miss;
    /* the bit being coded */
    uint32_t *ctr[CTX_KINDS];
    int x[CM_MIX_MAX_INPUTS], nx;
    int match_idx;
    int fx[MIXERS_MAX];
    int pr_mix, pr;
};

/* Level table: part of the format (a file records its level; this table must not change
 * within a format version). */
#define CTX_FAST ((1u << CTX_O1) | (1u << CTX_O2) | (1u << CTX_O3) | (1u << CTX_O4) | \
                  (1u << CTX_O6) | (1u << CTX_WORD))
#define CTX_ALL ((1u << CTX_KINDS) - 1)
static const mix_config level_configs[EIW_LEVEL_MAX + 1] = {
    [1] = { CTX_FAST, 19, 20, 0, 0, 19 },
    [2] = { CTX_ALL, 21, 22, 1, 0, 24 },
    [3] = { CTX_ALL, 21, 22, 1, 0, 24 },
    [4] = { CTX_ALL, 21, 22, 1, 0, 24 },
    [5] = { CTX_ALL, 21, 22, 1, 0, 24 },
    [6] = { CTX_ALL, 21, 22, 1, 1, 24 },
    [7] = { CTX_ALL, 21, 22, 1, 1, 24 },
    [8] = { CTX_ALL, 21, 22, 1, 1, 24 },
    [9] = { CTX_ALL, 21, 22, 1, 1, 24 },
};

int eiw_level_uses_model(int level)
{
    return level >= EIW_LEVEL_MIN && level <= EIW_LEVEL_MAX && level_configs[level].byte_model;
}

uint32_t eiw_level_block_size(int level)
{
    if (level < EIW_LEVEL_MIN || level > EIW_LEVEL_MAX)
        return EIW_BLOCK_SIZE_DEFAULT;
    return 1u << level_configs[level].block_log2;
}

static inline uint64_t mix64(uint64_t v)
{
    v ^= v >> 31;
    v *= 0x9E3779B97F4A7C15ull;
    v ^= v >> 29;
    v *= 0xBF58476D1CE4E5B9ull;
    v ^= v >> 32;
    return v;
}

/* The bucket of 15 node counters for hash h: two candidates in one 128-byte pair; a miss
 * takes the one whose first node has seen less. */
static uint32_t *bucket_get(eiw_mix *x, uint64_t h)
{
    size_t i = (size_t)h & x->ht_mask & ~(size_t)1;
    uint32_t tag = (uint32_t)(h >> 32) | 1u;
    uint32_t *b0 = x->ht + i * 16, *b1 = b0 + 16;
    if (b0[0] == tag)
        return b0;
    if (b1[0] == tag)
        return b1;
    uint32_t *v = (b0[1] & 1023) <= (b1[1] & 1023) ? b0 : b1;
    v[0] = tag;
    for (int j = 1; j < 16; j++)
        v[j] = CM_CTR_INIT;
    return v;
}

/* Starts loading the buckets of all contexts at once, so their cache misses overlap. */
static void buckets_fetch(eiw_mix *x, const uint64_t *h)
{
    for (int k = 0; k < x->nctx; k++) {
        const uint32_t *b = x->ht + ((size_t)h[k] & x->ht_mask & ~(size_t)1) * 16;
        __builtin_prefetch(b);
        __builtin_prefetch(b + 16);
    }
}

static int is_letter(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 128; }

/* Context hashes of a lane after its last byte. */
static void lane_hashes(eiw_mix *x, lane_state *L)
{
    const uint64_t c8 = L->c8;
    const size_t col = L->pos - L->line;
    int above = 0;
    if (L->prev_line + col < L->line)
        above = x->buf[L->prev_line + col];
    for (int k = 0; k < x->nctx; k++) {
        int kind = x->kinds[k];
        uint64_t v;
        switch (kind) {
        case CTX_O1: v = c8 & 0xFF; break;
        case CTX_O2: v = c8 & 0xFFFF; break;
        case CTX_O3: v = c8 & 0xFFFFFF; break;
        case CTX_O4: v = c8 & 0xFFFFFFFF; break;
        case CTX_O5: v = c8 & 0xFFFFFFFFFFull; break;
        case CTX_O6: v = c8 & 0xFFFFFFFFFFFFull; break;
        case CTX_O7: v = c8 & 0xFFFFFFFFFFFFFFull; break;
        case CTX_WORD: v = L->word0 ? L->word0 : 0x100000000ull | (c8 & 0xFF); break;
        case CTX_WORD2: v = (uint64_t)L->word0 << 32 | L->word1; break;
        case CTX_SPARSE1: v = c8 & 0xFFFF00; break;
        case CTX_SPARSE2: v = c8 & 0xFFFF0000; break;
        default: /* CTX_COLUMN */
            v = (uint64_t)above << 16 | (uint64_t)(col < 255 ? col : 255) << 8 | (c8 & 0xFF);
            break;
        }
        L->h[k] = mix64(v + ((uint64_t)(kind + 1) << 56) * 0x9Dull);
    }
}

static int position_known(const eiw_mix *x, size_t p)
{
    if (p >= x->n)
        return 0;
    size_t lane = p / x->lane_len;
    return p < x->ls[lane].pos;
}

static void lane_reset(eiw_mix *x, lane_state *L, size_t start)
{
    memset(L, 0, sizeof *L);
    L->start = L->pos = L->line = L->prev_line = start;
    lane_hashes(x, L);
}

/* Prefix sums of the byte model's 256 weights (pre[i] = weights of bytes below i); returns the
 * model's confidence class, 0..7: eighths of the most likely byte's share. */
static int weights_prefix(const uint32_t *weights, uint64_t pre[257])
{
    uint64_t s = 0, mx = 0;
    pre[0] = 0;
    for (int i = 0; i < 256; i++) {
        s += weights[i];
        mx = weights[i] > mx ? weights[i] : mx;
        pre[i + 1] = s;
    }
    return s ? (int)(mx * 8 / (s + 1)) : 0;
}

/* The byte model's stretched P(1) at node c0 of bit `bit` (0 = most significant): the weight of
 * the node's upper half over the node's weight, in 1..4095 out of 4096. */
static int node_stretch(const uint64_t pre[257], unsigned c0, int bit)
{
    unsigned size = 256u >> bit;
    size_t lo = (size_t)(c0 - (1u << bit)) * size, mid = lo + size / 2;
    uint64_t s0 = pre[mid] - pre[lo], s1 = pre[lo + size] - pre[mid], tot = s0 + s1;
    int p = tot ? (int)((s1 * 4096 + tot / 2) / tot) : 2048;
    return cm_stretch(p < 1 ? 1 : p > 4095 ? 4095 : p);
}

void eiw_mix_free(eiw_mix *x)
{
    if (!x)
        return;
    free(x->ls);
    free(x->ht);
    free(x->mt);
    for (int i = 0; i < MIXERS_MAX; i++)
        cm_mixer_free(&x->mix[i]);
    for (int i = 0; i < 3; i++)
        cm_apm_free(&x->apm[i]);
    cm_mixer_free(&x->final);
    free(x);
}

static eiw_status mix_new(const mix_config *cfg, int revision, eiw_mix **out)
{
    *out = NULL;
    cm_tables_init();
    eiw_mix *x = calloc(1, sizeof *x);
    if (!x)
        return EIW_ERR_NOMEM;
    x->cfg = *cfg;
    for (int k = 0; k < CTX_KINDS; k++)
        if (x->cfg.contexts >> k & 1)
            x->kinds[x->nctx++] = (uint8_t)k;
    x->ht_mask = ((size_t)1 << x->cfg.hash_bits) - 1;
    /* huge-page aligned, so every 128-byte bucket pair is two whole cache lines */
    x->ht = cm_alloc_tables(sizeof(uint32_t) * ((size_t)16 << x->cfg.hash_bits));
    x->mt = cm_alloc_tables(sizeof(uint32_t) << x->cfg.match_bits);
    /* inputs: contexts, order 0, match, byte model (if any), bias */
    int ni = x->nctx + 3 + (x->cfg.byte_model ? 2 : 0);
    int32_t w0[CM_MIX_MAX_INPUTS];
    for (int i = 0; i < ni; i++)
        w0[i] = x->cfg.byte_model ? 1 << 13 : 1 << 14;
    if (x->cfg.byte_model)
        w0[ni - 2] = 1 << 16;   /* start as the byte model (refined by its SSE) alone */
    int bad = !x->ht || !x->mt;
    x->nmix = !x->cfg.full ? 1 : revision >= 2 ? 6 : 3;
    for (int i = 0; i < x->nmix; i++)
        bad |= cm_mixer_init(&x->mix[i], ni, mixer_sets[i], MIX_LR, w0);
    if (x->cfg.full) {
        /* the final mixer starts as the mean of its inputs, times 1.5 (revision 1) or 0.75 */
        int32_t f0[MIXERS_MAX];
        for (int i = 0; i < MIXERS_MAX; i++)
            f0[i] = revision >= 2 ? 1 << 13 : 1 << 15;
        bad |= cm_mixer_init(&x->final, x->nmix, 8, revision >= 2 ? FINAL_LR_R2 : FINAL_LR, f0);
        bad |= cm_apm_init(&x->apm[1], 65536, APM_RATE);
        if (x->cfg.byte_model)
            bad |= cm_apm_init(&x->apm[2], 1 << BYTE_SSE_BITS, APM_RATE);
    }
    bad |= cm_apm_init(&x->apm[0], 65536, APM_RATE);
    if (bad) {
        eiw_mix_free(x);
        return EIW_ERR_NOMEM;
    }
    *out = x;
    return EIW_OK;
}

eiw_status eiw_mix_start(eiw_mix *x, const uint8_t *buf, size_t n, unsigned lanes)
{
    if (lanes < 1 || lanes > EIW_LANES_MAX)
        return EIW_ERR_PARAM;
    lane_state *ls = realloc(x->ls, sizeof *ls * lanes);
    if (!ls)
        return EIW_ERR_NOMEM;
    x->ls = ls;
    x->buf = buf;
    x->n = n;
    x->lanes = lanes;
    x->lane_len = EIW_LANE_LEN(n, lanes);
    if (!x->lane_len)
        x->lane_len = 1;
    memset(x->ht, 0, sizeof(uint32_t) * ((size_t)16 << x->cfg.hash_bits));
    memset(x->mt, 0, sizeof(uint32_t) * ((size_t)1 << x->cfg.match_bits));
    for (int i = 0; i < 256; i++)
        x->o0[i] = CM_CTR_INIT;
    for (int i = 0; i < 128; i++)
        x->match_ctr[i] = CM_CTR_INIT;
    for (int i = 0; i < x->nmix; i++)
        cm_mixer_reset(&x->mix[i]);
    for (int i = 0; i < 3; i++)
        if (x->apm[i].t)
            cm_apm_reset(&x->apm[i]);
    if (x->final.w)
        cm_mixer_reset(&x->final);
    for (unsigned k = 0; k < lanes; k++) {
        size_t s = (size_t)k * x->lane_len;
        s = s < n ? s : n;
        lane_reset(x, &ls[k], s);
    }
    x->cur = NULL;
    return EIW_OK;
}

eiw_status eiw_mix_new_revision(int level, int revision, eiw_mix **out)
{
    *out = NULL;
    if (level < EIW_LEVEL_MIN || level > EIW_LEVEL_MAX || revision < 1 ||
        revision > EIW_MIX_REVISION)
        return EIW_ERR_PARAM;
    return mix_new(&level_configs[level], revision, out);
}

eiw_status eiw_mix_new(int level, eiw_mix **out)
{
    return eiw_mix_new_revision(level, EIW_MIX_REVISION, out);
}

eiw_status eiw_mix_new_ablation(int level, uint32_t contexts, int match, eiw_mix **out)
{
    *out = NULL;
    if (level < EIW_LEVEL_MIN || level > EIW_LEVEL_MAX)
        return EIW_ERR_PARAM;
    mix_config c = level_configs[level];
    c.contexts = contexts & CTX_ALL;
    c.no_match = !match;
    return mix_new(&c, EIW_MIX_REVISION, out);
}

void eiw_mix_byte_begin(eiw_mix *x, unsigned lane, const uint32_t *weights)
{
    lane_state *L = &x->ls[lane];
    x->cur = L;
    x->c0 = 1;
    x->bitpos = 0;
    x->nib = 1;
    x->miss = 0;
    x->path = NULL;
    x->has_weights = weights != NULL && x->cfg.byte_model;
    x->conf = x->has_weights ? weights_prefix(weights, x->pre) : 0;
    const size_t col = L->pos - L->line;
    x->column_sel = 256 * (col < 24 ? (int)col : 24 + (col >= 40) + (col >= 60) + (col >= 80));
    buckets_fetch(x, L->h);
    for (int k = 0; k < x->nctx; k++)
        x->bucket[k] = bucket_get(x, L->h[k]);
    if (L->mlen && !position_known(x, L->mptr))
        L->mlen = 0;
}

static int match_bucket(uint32_t len)
{
    if (len < 16)
        return (int)len;
    if (len < 64)
        return 16 + (int)(len - 16) / 4;
    return len < 512 ? 28 + (int)(len - 64) / 128 : 31;
}

unsigned eiw_mix_p1(eiw_mix *x)
{
    lane_state *L = x->cur;
    int *in = x->x, n = 0;
    /* the APM rows of this bit are known now: load them while the mixers work */
    const uint32_t c1 = (uint32_t)(L->c8 & 0xFF), c2 = (uint32_t)(L->c8 >> 8 & 0xFF);
    const int actx1 = (int)(x->c0 | c1 << 8);
    const int actx2 = (int)((x->c0 ^ (c1 << 8 | c2) * 0x9Bu) & 0xFFFF);
    const int actx3 = (int)((x->c0 | ((uint32_t)(L->c8 & 0xFFFF) * 0x2C9277B5u >> 16) << 8) &
                            ((1u << BYTE_SSE_BITS) - 1));
    __builtin_prefetch(x->apm[0].t + (size_t)actx1 * 33);
    __builtin_prefetch(x->apm[0].t + (size_t)actx1 * 33 + 32);
    if (x->cfg.full) {
        __builtin_prefetch(x->apm[1].t + (size_t)actx2 * 33);
        __builtin_prefetch(x->apm[1].t + (size_t)actx2 * 33 + 32);
        if (x->cfg.byte_model) {
            __builtin_prefetch(x->apm[2].t + (size_t)actx3 * 33);
            __builtin_prefetch(x->apm[2].t + (size_t)actx3 * 33 + 32);
        }
    }
    for (int k = 0; k < x->nctx; k++) {
        x->ctr[k] = x->bucket[k] + x->nib;
        in[n++] = cm_stretch(cm_ctr_p12(*x->ctr[k]));
    }
    in[n++] = cm_stretch(cm_ctr_p12(x->o0[x->c0]));
    /* match model */
    x->match_idx = -1;
    int mstate = 0;
    if (L->mlen && !x->miss && !x->cfg.no_match) {
        int eb = x->buf[L->mptr];
        int bit = (eb + 256) >> (7 - x->bitpos) & 1;
        int mb = match_bucket(L->mlen);
        x->match_idx = mb * 2 + bit;
        in[n++] = cm_stretch(cm_ctr_p12(x->match_ctr[x->match_idx]));
        mstate = L->mlen < 16 ? 1 : L->mlen < 32 ? 2 : 3;
    } else {
        in[n++] = 0;
    }
    /* the byte model's probability of a 1 at this node of the byte's binary tree */
    if (x->cfg.byte_model && x->path) {
        in[n++] = x->path[x->bitpos];
    } else if (x->cfg.byte_model) {
        in[n++] = x->has_weights ? node_stretch(x->pre, x->c0, x->bitpos) : cm_stretch(2048);
    }
    if (x->cfg.byte_model) {
        /* the byte model refined by the order-2 context: what it gets wrong in this file */
        int pm = cm_squash(in[n - 1]);
        in[n++] = cm_stretch(cm_apm_predict(&x->apm[2], pm, actx3));
    }
    in[n++] = 256;
    x->nx = n;
    int p;
    if (!x->cfg.full) {
        p = cm_mixer_predict(&x->mix[0], in, (int)x->c0);
        int a1 = cm_apm_predict(&x->apm[0], p, actx1);
        p = (p + 3 * a1 + 2) >> 2;
    } else {
        const int sel[MIXERS_MAX] = { (int)x->c0, mstate * 8 + x->bitpos,
                                      x->conf * 8 + x->bitpos, (int)c1, (int)c2,
                                      x->column_sel + (int)x->c0 };
        for (int i = 0; i < x->nmix; i++) {
            cm_mixer_predict(&x->mix[i], in, sel[i]);
            x->fx[i] = x->mix[i].st;
        }
        p = cm_mixer_predict(&x->final, x->fx, x->bitpos);
        int a1 = cm_apm_predict(&x->apm[0], p, actx1);
        int a2 = cm_apm_predict(&x->apm[1], p, actx2);
        p = (2 * p + 3 * a1 + 3 * a2 + 4) >> 3;
    }
    x->pr = p < 1 ? 1 : p > 4095 ? 4095 : p;
    return (unsigned)x->pr;
}

/* After the byte's 8th bit: history, contexts and the match model of its lane. */
static void byte_end(eiw_mix *x, int c)
{
    lane_state *L = x->cur;
    const size_t p = L->pos;
    L->c8 = L->c8 << 8 | (uint64_t)c;
    if (is_letter(c)) {
        int lc = c >= 'A' && c <= 'Z' ? c + 32 : c;
        L->word0 = (L->word0 + (uint32_t)lc + 1) * 0x2F0F3u;
    } else if (L->word0) {
        L->word1 = L->word0;
        L->word0 = 0;
    }
    L->pos = p + 1;
    if (c == '\n') {
        L->prev_line = L->line;
        L->line = L->pos;
    }
    /* match model: follow the match, or look a new one up by the last MATCH_MIN bytes */
    if (L->mlen) {
        if (!x->miss && x->buf[L->mptr] == c) {
            L->mlen += L->mlen < MATCH_LEN_MAX;
            L->mptr++;
        } else {
            L->mlen = 0;
        }
    }
    if (L->pos - L->start >= MATCH_MIN) {
        size_t hi = (size_t)(mix64(L->c8 & 0xFFFFFFFFFFFFull) >> (64 - x->cfg.match_bits));
        if (!L->mlen && x->mt[hi]) {
            size_t cand = x->mt[hi];   /* position after an earlier occurrence */
            size_t a = cand - 1, cstart = a / x->lane_len * x->lane_len;
            uint32_t len = 0;
            while (len < 64 && len <= a - cstart && len <= p - L->start &&
                   x->buf[a - len] == x->buf[p - len])
                len++;
            if (len >= MATCH_MIN) {
                L->mlen = len;
                L->mptr = cand;
            }
        }
        x->mt[hi] = (uint32_t)(p + 1);
    }
    lane_hashes(x, L);
    /* the lane's next byte starts with these buckets; with several lanes, the other lanes'
     * bytes are coded meanwhile */
    if (x->lanes > 1)
        buckets_fetch(x, L->h);
}

void eiw_mix_update(eiw_mix *x, unsigned bit)
{
    const int y = (int)(bit & 1);
    const int limit = CTR_LIMIT;
    for (int k = 0; k < x->nctx; k++)
        cm_ctr_update(x->ctr[k], y, limit);
    cm_ctr_update(&x->o0[x->c0], y, limit);
    if (x->match_idx >= 0) {
        cm_ctr_update(&x->match_ctr[x->match_idx], y, 1023);
        if ((x->match_idx & 1) != y)
            x->miss = 1;
    }
    for (int i = 0; i < x->nmix; i++)
        cm_mixer_update(&x->mix[i], x->x, y);
    cm_apm_update(&x->apm[0], y);
    if (x->cfg.full) {
        cm_mixer_update(&x->final, x->fx, y);
        cm_apm_update(&x->apm[1], y);
        if (x->cfg.byte_model)
            cm_apm_update(&x->apm[2], y);
    }
    x->c0 = x->c0 << 1 | (uint32_t)y;
    x->nib = x->nib << 1 | y;
    x->bitpos++;
    if (x->bitpos == 4) {
        x->nib = 1;
        uint64_t h[CTX_KINDS];
        for (int k = 0; k < x->nctx; k++)
            h[k] = mix64(x->cur->h[k] + x->c0 * 0xA54FF53A5F1D36F1ull);
        buckets_fetch(x, h);
        for (int k = 0; k < x->nctx; k++)
            x->bucket[k] = bucket_get(x, h[k]);
    } else if (x->bitpos == 8) {
        byte_end(x, (int)(x->c0 & 0xFF));
    }
}

void eiw_mix_byte_begin_path(eiw_mix *x, unsigned lane, const int16_t st[8], int conf)
{
    eiw_mix_byte_begin(x, lane, NULL);
    x->path = st;
    x->conf = conf;
}

void eiw_mix_path_of(const uint32_t *weights, unsigned c, int16_t st[8], int *conf)
{
    cm_tables_init();
    uint64_t pre[257];
    *conf = weights_prefix(weights, pre);
    unsigned c0 = 1;
    for (int j = 0; j < 8; j++) {
        st[j] = (int16_t)node_stretch(pre, c0, j);
        c0 = c0 << 1 | (c >> (7 - j) & 1);
    }
}
