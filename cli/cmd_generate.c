/* `eiw generate`: text from an M2 (a transformer trained on Equal-Info Windows tokens). The
 * prompt is coded into windows with M1, its tokens are M2's context; M2 then samples a window's
 * tokens one by one, M1 decodes the window on its own and its bytes are printed at once. A
 * window no greedy encoder writes (eiw_window_decode: EIW_ERR_CORRUPT) is discarded and
 * sampled again from its start, up to --max-retries times. Details: docs/generate.md. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "eiw.h"
#include "eiw_train.h"
#include "model/m2_sample.h"
#include "cli/model_arg.h"
#include "cli/file_io.h"
#include "model/tensor_ops.h"

#define TEXT_MAX (1u << 16)      /* bytes one window can hold (the codec's bound) */
#define SEED_BYTES_MAX 4096      /* M1 bytes sampled to cut the first window of an empty prompt */

typedef struct {
    const char *m2_path, *prompt, *model_arg, *windows_out;
    uint64_t bytes, seed;
    double temperature;
    uint64_t top_k, max_retries;
    unsigned window_bits, window_end;
    int threads, quiet;
} gen_args;

typedef struct {
    const gen_args *a;
    const eiw_model *m1;
    void *m1_state, *enc_state;
    eiw_m2 *m2;
    eiw_window_params wp;
    size_t wbytes, tpw, vocab, cap;
    float *logits, *start_logits, *scratch;
    unsigned *hist;              /* accepted tokens, the last cap..2*cap of them */
    size_t hist_len;
    uint8_t *win, *text;
    uint64_t rng;
    uint8_t *saved;              /* --windows-out: the windows after the prompt */
    size_t saved_len, saved_cap;
    uint64_t windows, invalid, bytes, steps, seed_bytes;
    double t_m2, t_m1;
} gen_state;

static void print_help(void)
{
    printf("usage: eiw generate --m2 CKPT [OPTIONS]\n"
           "Samples text from an M2, a transformer trained with eiw train on Equal-Info Windows\n"
           "tokens: the prompt is coded into windows with M1 and becomes M2's context, M2\n"
           "samples the tokens of one window at a time, and each window is decoded with M1 and\n"
           "printed at once. A window no encoder would write is sampled again (counted). Details:\n"
           "docs/generate.md.\n\n"
           "  --m2 CKPT              M2 checkpoint (vocab 256: 8-bit tokens, 65536: 16-bit), required\n"
           "  --prompt TEXT          text to continue (default empty: the first window is sampled\n"
           "                         from M1, then M2 continues)\n"
           "  --bytes N              stop once N bytes are generated, K/M suffixes (default 1000);\n"
           "                         the last window is printed whole\n"
           "  --temperature T        softmax temperature, > 0 (default 1.0)\n"
           "  --top-k K              sample among the K likeliest tokens (default 0: all)\n"
           "  --seed S               random seed; same seed and options, same text (default 1)\n"
           "  --window-bits N        window size the M2's tokens were made with (default 16)\n"
           "  --window-end RULE      tight|implicit|marker, as the M2's tokens were made\n"
           "                         (default tight; implicit: datasets of eiw 0.3, marker:\n"
           "                         of eiw 0.2)\n"
           "  --model NAME|FILE      M1 the tokens were made with, a model file or built-in:\n"
           "                         %s\n"
           "  --max-retries N        resamples of one window before giving up (default 100)\n"
           "  --windows-out FILE     also write the generated windows (b/8 bytes each, tokens MSB\n"
           "                         first; the prompt's not included)\n"
           "  -T, --threads N        threads of M2's matrix products (default 1)\n"
           "  -q, --quiet            no statistics on stderr\n"
           "  -h, --help             this help\n"
           "Statistics (stderr): windows, invalid windows (resampled), bytes, M2 steps (tokens\n"
           "sampled, rejected ones included), bytes per M2 step, time. Exit status 1 when a window\n"
           "stays invalid after --max-retries resamples (the text so far is printed).\n",
           eiw_model_builtin_names());
}

enum { OPT_M2 = 256, OPT_PROMPT, OPT_BYTES, OPT_TEMPERATURE, OPT_TOP_K, OPT_SEED, OPT_WINDOW_BITS,
       OPT_MODEL, OPT_MAX_RETRIES, OPT_WINDOWS_OUT, OPT_WINDOW_END };

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, gen_args *a)
{
    static const struct option longopts[] = {
        { "m2", required_argument, NULL, OPT_M2 },
        { "prompt", required_argument, NULL, OPT_PROMPT },
        { "bytes", required_argument, NULL, OPT_BYTES },
        { "temperature", required_argument, NULL, OPT_TEMPERATURE },
        { "top-k", required_argument, NULL, OPT_TOP_K },
        { "seed", required_argument, NULL, OPT_SEED },
        { "window-bits", required_argument, NULL, OPT_WINDOW_BITS },
        { "window-end", required_argument, NULL, OPT_WINDOW_END },
        { "model", required_argument, NULL, OPT_MODEL },
        { "max-retries", required_argument, NULL, OPT_MAX_RETRIES },
        { "windows-out", required_argument, NULL, OPT_WINDOWS_OUT },
        { "threads", required_argument, NULL, 'T' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":T:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help();
            return fflush(stdout) == 0 ? EIW_EXIT_OK : EIW_EXIT_ERROR;
        case 'q': a->quiet = 1; break;
        case 'T':
            if (!cli_parse_threads(optarg, &a->threads)) {
                cli_usage("generate", "--threads: '%s' is not a number from 1 to %d", optarg,
                          CLI_THREADS_MAX);
                return EIW_EXIT_USAGE;
            }
            break;
        case OPT_M2: a->m2_path = optarg; break;
        case OPT_PROMPT: a->prompt = optarg; break;
        case OPT_MODEL: a->model_arg = optarg; break;
        case OPT_WINDOWS_OUT: a->windows_out = optarg; break;
        case OPT_BYTES:
            if (!cli_parse_size(optarg, UINT64_MAX >> 1, &a->bytes)) {
                cli_usage("generate", "--bytes: '%s' is not a size (e.g. 1000 or 4K)",
                                optarg);
                return EIW_EXIT_USAGE;
            }
            break;
        case OPT_TEMPERATURE: {
            char *end;
            errno = 0;
            a->temperature = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(a->temperature > 0.0) ||
                a->temperature > 1e6) {
                cli_usage("generate", "--temperature: '%s' is not a number > 0", optarg);
                return EIW_EXIT_USAGE;
            }
            break;
        }
        case OPT_TOP_K:
            if (!cli_parse_size(optarg, 1u << 16, &a->top_k)) {
                cli_usage("generate", "--top-k: '%s' is not a number from 0 (off) to 65536",
                                optarg);
                return EIW_EXIT_USAGE;
            }
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            a->seed = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                cli_usage("generate", "--seed: '%s' is not a number from 0 to 2^64-1",
                                optarg);
                return EIW_EXIT_USAGE;
            }
            break;
        }
        case OPT_WINDOW_BITS:
            if (!cli_parse_size(optarg, EIW_WINDOW_BITS_MAX, &v) || v < EIW_WINDOW_BITS_MIN) {
                cli_usage("generate", "--window-bits: '%s' is not a number from %d to %d",
                          optarg, EIW_WINDOW_BITS_MIN, EIW_WINDOW_BITS_MAX);
                return EIW_EXIT_USAGE;
            }
            a->window_bits = (unsigned)v;
            break;
        case OPT_WINDOW_END:
            if (!cli_parse_window_end(optarg, &a->window_end)) {
                cli_usage("generate", "--window-end: '%s' must be tight, implicit or marker", optarg);
                return EIW_EXIT_USAGE;
            }
            break;
        case OPT_MAX_RETRIES:
            if (!cli_parse_size(optarg, 1u << 30, &a->max_retries)) {
                cli_usage("generate", "--max-retries: '%s' is not a number from 0 to 2^30",
                                optarg);
                return EIW_EXIT_USAGE;
            }
            break;
        case ':':
            cli_usage("generate", "option '%s' needs a value", argv[optind - 1]);
            return EIW_EXIT_USAGE;
        default:
            cli_usage("generate", "unknown option '%s'", argv[optind - 1]);
            return EIW_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_usage("generate", "unexpected argument '%s'", argv[optind]);
        return EIW_EXIT_USAGE;
    }
    if (!a->m2_path) {
        cli_usage("generate", "--m2 CKPT is required");
        return EIW_EXIT_USAGE;
    }
    return -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Token i of a window (MSB first) and back. */
static unsigned window_token(const gen_state *g, const uint8_t *w, size_t i)
{
    return g->wp.token_bits == 8 ? w[i] : (unsigned)w[2 * i] << 8 | w[2 * i + 1];
}

static void set_window_token(const gen_state *g, uint8_t *w, size_t i, unsigned tok)
{
    if (g->wp.token_bits == 8) {
        w[i] = (uint8_t)tok;
    } else {
        w[2 * i] = (uint8_t)(tok >> 8);
        w[2 * i + 1] = (uint8_t)tok;
    }
}

/* Appends tokens to the history, keeping at least the last cap of them. */
static void hist_add(gen_state *g, unsigned tok)
{
    if (g->hist_len == 2 * g->cap) {
        memmove(g->hist, g->hist + g->cap, g->cap * sizeof *g->hist);
        g->hist_len = g->cap;
    }
    g->hist[g->hist_len++] = tok;
}

/* M2's context from the history: its last cap tokens; logits of the next token. */
static void m2_prefill(gen_state *g)
{
    size_t n = g->hist_len < g->cap ? g->hist_len : g->cap;
    eiw_m2_reset(g->m2);
    for (size_t i = g->hist_len - n; i < g->hist_len; i++)
        eiw_m2_push(g->m2, g->hist[i], i + 1 == g->hist_len ? g->logits : NULL);
}

static int save_window(gen_state *g, const uint8_t *w)
{
    if (!g->a->windows_out)
        return 0;
    if (g->saved_len + g->wbytes > g->saved_cap) {
        size_t ncap = g->saved_cap ? 2 * g->saved_cap : 64 * g->wbytes;
        uint8_t *p = realloc(g->saved, ncap);
        if (!p)
            return -1;
        g->saved = p;
        g->saved_cap = ncap;
    }
    memcpy(g->saved + g->saved_len, w, g->wbytes);
    g->saved_len += g->wbytes;
    return 0;
}

static int emit(const uint8_t *p, size_t n)
{
    if ((n && fwrite(p, 1, n, stdout) != n) || fflush(stdout) != 0) {
        fprintf(stderr, "eiw: stdout: %s\n", strerror(errno));
        return EIW_EXIT_ERROR;
    }
    return EIW_EXIT_OK;
}

/* Accepts a valid window of k bytes (in g->text): prints it, adds its tokens to the history. */
static int accept_window(gen_state *g, const uint8_t *w, size_t k)
{
    for (size_t i = 0; i < g->tpw; i++)
        hist_add(g, window_token(g, w, i));
    if (save_window(g, w) != 0) {
        fprintf(stderr, "eiw: generate: %s\n", eiw_strerror(EIW_ERR_NOMEM));
        return EIW_EXIT_ERROR;
    }
    return emit(g->text, k);
}

/* Empty prompt: M2 has no token to start from (no BOS), so the first window comes from M1
 * itself: bytes sampled from M1 (same temperature and top-k) until the greedy encoder has cut
 * a whole window off them; that window starts the text. */
static int seed_window(gen_state *g)
{
    uint8_t *s = malloc(SEED_BYTES_MAX), *dst = malloc(g->wbytes * SEED_BYTES_MAX);
    uint32_t *counts = malloc(sizeof *counts * SEED_BYTES_MAX), w[256];
    float lg[256], scr[256];
    int rc = EIW_EXIT_ERROR;
    if (!s || !dst || !counts) {
        fprintf(stderr, "eiw: generate: %s\n", eiw_strerror(EIW_ERR_NOMEM));
        goto done;
    }
    const eiw_model *m1 = g->m1;
    void *st = g->m1_state;
    m1->ops->reset(m1, st);
    for (size_t n = 1; n <= SEED_BYTES_MAX; n++) {
        m1->ops->predict(m1, &st, 1, w);
        for (int i = 0; i < 256; i++)
            lg[i] = w[i] ? logf((float)w[i]) : -INFINITY;
        s[n - 1] = (uint8_t)eiw_sample_logits(lg, 256, g->a->temperature, (size_t)g->a->top_k,
                                             &g->rng, scr);
        m1->ops->advance(m1, st, s + n - 1, 1);
        ptrdiff_t r = eiw_windows_encode(m1, &g->wp, g->enc_state, s, n, dst,
                                         g->wbytes * SEED_BYTES_MAX, counts);
        if (r < 0) {
            fprintf(stderr, "eiw: generate: the first window from M1: %s\n", eiw_strerror((int)r));
            goto done;
        }
        if ((size_t)r >= 2 * g->wbytes) {   /* the first window is complete */
            memcpy(g->win, dst, g->wbytes);
            ptrdiff_t k = eiw_window_decode(m1, &g->wp, st, g->win, -1, g->text, TEXT_MAX);
            if (k != (ptrdiff_t)counts[0] || memcmp(g->text, s, counts[0]) != 0) {
                fprintf(stderr, "eiw: generate: the first window from M1 does not decode to its "
                        "bytes (internal error)\n");
                goto done;
            }
            g->seed_bytes = counts[0];
            g->bytes += counts[0];
            rc = accept_window(g, g->win, counts[0]);
            if (rc == EIW_EXIT_OK)
                m2_prefill(g);
            goto done;
        }
    }
    fprintf(stderr, "eiw: generate: M1 produced %d bytes without completing a window\n",
            SEED_BYTES_MAX);
done:
    free(s);
    free(dst);
    free(counts);
    return rc;
}

/* The prompt: its windows (the last one coded as a document's end, holding exactly the rest
 * of the prompt) become M2's context; the prompt itself is printed. */
static int prompt_context(gen_state *g, const uint8_t *p, size_t n)
{
    uint8_t *dst = malloc(n * g->wbytes);
    if (!dst) {
        fprintf(stderr, "eiw: generate: %s\n", eiw_strerror(EIW_ERR_NOMEM));
        return EIW_EXIT_ERROR;
    }
    ptrdiff_t r = eiw_windows_encode(g->m1, &g->wp, g->enc_state, p, n, dst, n * g->wbytes, NULL);
    if (r < 0) {
        fprintf(stderr, "eiw: generate: --prompt: %s\n", eiw_strerror((int)r));
        free(dst);
        return EIW_EXIT_ERROR;
    }
    for (size_t i = 0; i < (size_t)r / g->wbytes * g->tpw; i++)
        hist_add(g, window_token(g, dst, i));
    free(dst);
    m2_prefill(g);
    return emit(p, n);
}

/* One window from M2: samples its tokens; on an invalid window rewinds M2 to the window's
 * start and samples again. */
static int generate_window(gen_state *g)
{
    size_t start = eiw_m2_len(g->m2);
    memcpy(g->start_logits, g->logits, g->vocab * sizeof(float));
    for (uint64_t attempt = 0;; attempt++) {
        int slid = 0;
        double t0 = now();
        for (size_t i = 0; i < g->tpw; i++) {
            unsigned tok = eiw_sample_logits(g->logits, g->vocab, g->a->temperature,
                                             (size_t)g->a->top_k, &g->rng, g->scratch);
            set_window_token(g, g->win, i, tok);
            g->steps++;
            if (i + 1 < g->tpw)
                slid |= eiw_m2_push(g->m2, tok, g->logits);
        }
        double t1 = now();
        ptrdiff_t k = eiw_window_decode(g->m1, &g->wp, g->m1_state, g->win, -1, g->text, TEXT_MAX);
        double t2 = now();
        g->t_m2 += t1 - t0;
        g->t_m1 += t2 - t1;
        if (k > 0) {
            eiw_m2_push(g->m2, window_token(g, g->win, g->tpw - 1), g->logits);
            g->t_m2 += now() - t2;
            g->windows++;
            g->bytes += (uint64_t)k;
            return accept_window(g, g->win, (size_t)k);
        }
        if (k != EIW_ERR_CORRUPT) {
            fprintf(stderr, "eiw: generate: window %" PRIu64 ": %s\n", g->windows + 1,
                    eiw_strerror((int)k));
            return EIW_EXIT_ERROR;
        }
        g->invalid++;
        if (slid) {
            m2_prefill(g);
        } else {
            eiw_m2_truncate(g->m2, start);
            memcpy(g->logits, g->start_logits, g->vocab * sizeof(float));
        }
        g->t_m2 += now() - t2;
        if (attempt == g->a->max_retries) {
            fprintf(stderr, "eiw: generate: window %" PRIu64 ": still invalid after %" PRIu64
                    " resamples (a higher --temperature or a better trained M2 may help)\n",
                    g->windows + 1, g->a->max_retries);
            return EIW_EXIT_ERROR;
        }
    }
}

static void print_stats(const gen_state *g, double secs)
{
    if (g->seed_bytes)
        fprintf(stderr, "eiw: generate: empty prompt: the first window (%" PRIu64
                " bytes) was sampled from M1\n", g->seed_bytes);
    uint64_t m2_bytes = g->bytes - g->seed_bytes;
    fprintf(stderr, "eiw: generate: windows %" PRIu64 ", invalid %" PRIu64 ", bytes %" PRIu64
            ", M2 steps %" PRIu64 ", bytes/step %.3f, %.2f s (M2 %.2f s, M1 %.2f s), "
            "%.1f steps/s\n", g->windows, g->invalid, m2_bytes, g->steps,
            g->steps ? (double)m2_bytes / (double)g->steps : 0.0, secs, g->t_m2, g->t_m1,
            g->t_m2 > 0 ? (double)g->steps / g->t_m2 : 0.0);
}

/* Loads M2 and checks it is one: token vocab, no BOS. Sets the token bits. */
static int load_m2(gen_state *g)
{
    int32_t bos;
    int st = eiw_m2_load(&g->m2, g->a->m2_path, &bos);
    if (st != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: %s: %s\n", g->a->m2_path,
                st == EIW_TRAIN_ERR_IO ? strerror(errno) : eiw_train_strerror(st));
        return EIW_EXIT_ERROR;
    }
    const eiw_model_config *c = eiw_m2_config(g->m2);
    if (bos >= 0) {
        fprintf(stderr, "eiw: %s: a model with a BOS token (vocab %" PRId32 ", BOS %" PRId32
                "): a byte model like M1, not an M2 (token vocab 256 or 65536, no BOS)\n",
                g->a->m2_path, c->vocab, bos);
        return EIW_EXIT_ERROR;
    }
    if (c->vocab != 256 && c->vocab != 65536) {
        fprintf(stderr, "eiw: %s: vocab %" PRId32 " is not an M2's (256: 8-bit tokens, 65536: "
                "16-bit tokens)\n", g->a->m2_path, c->vocab);
        return EIW_EXIT_ERROR;
    }
    g->vocab = (size_t)c->vocab;
    g->cap = (size_t)c->ctx;
    g->wp.token_bits = c->vocab == 256 ? 8 : 16;
    if (eiw_window_params_check(&g->wp) != EIW_OK) {
        fprintf(stderr, "eiw: %s: --window-bits %u is not a multiple of the M2's %u-bit tokens\n",
                g->a->m2_path, g->wp.window_bits, g->wp.token_bits);
        return EIW_EXIT_USAGE;
    }
    return EIW_EXIT_OK;
}

static int generate(gen_state *g)
{
    const gen_args *a = g->a;
    double t0 = now();
    int rc = cli_model_arg(a->model_arg, "--model", "generate", &g->m1);
    if (rc != EIW_EXIT_OK)
        return rc;
    if ((rc = load_m2(g)) != EIW_EXIT_OK)
        return rc;
    eiw_ops_set_threads(a->threads);
    g->wbytes = g->wp.window_bits / 8;
    g->tpw = g->wp.window_bits / g->wp.token_bits;
    g->m1_state = calloc(1, g->m1->state_size);
    g->enc_state = calloc(1, g->m1->state_size);
    g->logits = malloc(3 * g->vocab * sizeof(float));
    g->hist = malloc(2 * g->cap * sizeof *g->hist);
    g->win = malloc(g->wbytes);
    g->text = malloc(TEXT_MAX);
    if (!g->m1_state || !g->enc_state || !g->logits || !g->hist || !g->win || !g->text) {
        fprintf(stderr, "eiw: generate: %s\n", eiw_strerror(EIW_ERR_NOMEM));
        return EIW_EXIT_ERROR;
    }
    g->start_logits = g->logits + g->vocab;
    g->scratch = g->start_logits + g->vocab;
    g->rng = a->seed;
    size_t plen = a->prompt ? strlen(a->prompt) : 0;
    if (plen)
        rc = prompt_context(g, (const uint8_t *)a->prompt, plen);
    else if (a->bytes > 0)
        rc = seed_window(g);
    while (rc == EIW_EXIT_OK && g->bytes < a->bytes)
        rc = generate_window(g);
    if (rc == EIW_EXIT_OK && a->windows_out) {
        eiw_span saved = { g->saved, g->saved_len };
        int e = cli_write_file(NULL, a->windows_out, &saved, 1);
        if (e) {
            fprintf(stderr, "eiw: %s: %s\n", a->windows_out, strerror(e));
            rc = EIW_EXIT_ERROR;
        }
    }
    if (!a->quiet)
        print_stats(g, now() - t0);
    return rc;
}

int eiw_cli_generate(int argc, char **argv)
{
    gen_args a = { .bytes = 1000, .seed = 1, .temperature = 1.0, .max_retries = 100,
                   .window_bits = 16, .window_end = EIW_WINDOW_END_TIGHT, .threads = 1 };
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    gen_state g;
    memset(&g, 0, sizeof g);
    g.a = &a;
    g.wp.window_bits = a.window_bits;
    g.wp.end_rule = a.window_end;
    rc = generate(&g);
    eiw_model_free(g.m1);
    eiw_m2_free(g.m2);
    free(g.m1_state);
    free(g.enc_state);
    free(g.logits);
    free(g.hist);
    free(g.win);
    free(g.text);
    free(g.saved);
    return rc;
}
