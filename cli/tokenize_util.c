/* Helpers for the token-shard commands (see tokenize_util.h). The manifest is read back only
 * for the fields eiw itself wrote in its own layout; it is not a general JSON reader. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/file_io.h"
#include "cli/tokenize_util.h"

void tok_shard_path(char *path, const char *prefix, uint64_t shard, const char *ext)
{
    snprintf(path, TOK_PATH_MAX, "%s-%05" PRIu64 "%s", prefix, shard, ext);
}

uint8_t *tok_read_all(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;
    int e = 0;
    if (!f) {
        e = errno;
        goto done;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 65536;
            uint8_t *nb = realloc(b, nc);
            if (!nb) {
                e = ENOMEM;
                break;
            }
            b = nb;
            cap = nc;
        } else if (!b && !(b = malloc(cap))) {
            e = ENOMEM;
            break;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                e = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
done:
    if (e) {
        free(b);
        if (err)
            *err = e;
        return NULL;
    }
    if (!b)
        b = malloc(1);
    *len = n;
    return b;
}

int tok_hash_file(const char *path, uint64_t *h, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    XXH3_state_t *s = XXH3_createState();
    uint8_t *buf = malloc(1u << 20);
    int e = 0;
    if (!s || !buf) {
        e = ENOMEM;
    } else {
        XXH3_64bits_reset(s);
        *size = 0;
        size_t got;
        while ((got = fread(buf, 1, 1u << 20, f)) > 0) {
            XXH3_64bits_update(s, buf, got);
            *size += got;
        }
        if (ferror(f))
            e = errno ? errno : EIO;
        *h = XXH3_64bits_digest(s);
    }
    free(buf);
    XXH3_freeState(s);
    fclose(f);
    return e;
}

int tok_write_atomic(const char *path, const uint8_t *buf, size_t len)
{
    cli_out_file of;
    int e = cli_out_open(&of, path, 1, NULL);
    if (e == 0) {
        if (len && fwrite(buf, 1, len, of.f) != len) {
            e = errno ? errno : EIO;
            cli_out_abort(&of);
        } else {
            e = cli_out_commit(&of, 1);
        }
    }
    if (e) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(e));
        return -1;
    }
    return 0;
}

void tok_swap16(uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint8_t t = p[i];
        p[i] = p[i + 1];
        p[i + 1] = t;
    }
}

void tok_remove_stale_shards(const char *prefix, uint64_t from)
{
    static const char *const exts[] = { ".eiwd", ".bin", ".idx" };
    char path[TOK_PATH_MAX];
    for (uint64_t s = from;; s++) {
        int any = 0;
        for (int i = 0; i < 3; i++) {
            tok_shard_path(path, prefix, s, exts[i]);
            any |= unlink(path) == 0;
        }
        if (!any)
            break;
    }
}

/* ------------------------------------------------------------------------------------------ */

void tok_str_init(tok_str *t)
{
    memset(t, 0, sizeof *t);
}

static int tok_str_reserve(tok_str *t, size_t more)
{
    if (t->failed)
        return -1;
    if (t->len + more + 1 <= t->cap)
        return 0;
    size_t nc = t->cap ? t->cap : 4096;
    while (nc < t->len + more + 1)
        nc *= 2;
    char *ns = realloc(t->s, nc);
    if (!ns) {
        t->failed = 1;
        free(t->s);
        t->s = NULL;
        return -1;
    }
    t->s = ns;
    t->cap = nc;
    return 0;
}

void tok_str_printf(tok_str *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || tok_str_reserve(t, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void tok_str_json(tok_str *t, const uint8_t *s, size_t n)
{
    if (tok_str_reserve(t, 6 * n) != 0)
        return;
    char *o = t->s + t->len;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        switch (c) {
        case '"': *o++ = '\\'; *o++ = '"'; break;
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\b': *o++ = '\\'; *o++ = 'b'; break;
        case '\f': *o++ = '\\'; *o++ = 'f'; break;
        default:
            if (c < 0x20) {
                snprintf(o, 7, "\\u%04x", c);
                o += 6;
            } else {
                *o++ = (char)c;
            }
        }
    }
    *o = 0;
    t->len = (size_t)(o - t->s);
}

void tok_str_free(tok_str *t)
{
    free(t->s);
    tok_str_init(t);
}

/* ------------------------------------------------------------------------------------------ */

/* The value text after "key": in eiw's own manifest, or NULL. */
static const char *mf_value(const char *js, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\n  \"%s\": ", key);
    const char *p = strstr(js, pat);
    return p ? p + strlen(pat) : NULL;
}

static int mf_string(const char *js, const char *key, char *out, size_t cap)
{
    const char *v = mf_value(js, key);
    if (!v || *v != '"')
        return -1;
    const char *e = strchr(v + 1, '"');
    if (!e || (size_t)(e - v - 1) >= cap || memchr(v + 1, '\\', (size_t)(e - v - 1)))
        return -1;
    memcpy(out, v + 1, (size_t)(e - v - 1));
    out[e - v - 1] = 0;
    return 0;
}

static int mf_uint(const char *js, const char *key, uint64_t *out)
{
    const char *v = mf_value(js, key);
    char *end;
    if (!v || *v < '0' || *v > '9')
        return -1;
    errno = 0;
    *out = strtoull(v, &end, 10);
    return errno || (*end != ',' && *end != '\n') ? -1 : 0;
}

int tok_manifest_load(const char *prefix, tok_manifest *mf)
{
    char path[TOK_PATH_MAX];
    snprintf(path, sizeof path, "%s.json", prefix);
    memset(mf, 0, sizeof *mf);
    size_t len;
    int err = 0;
    uint8_t *b = tok_read_all(path, &len, &err);
    if (!b) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(err));
        return -1;
    }
    char *js = realloc(b, len + 1);
    if (!js) {
        free(b);
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(ENOMEM));
        return -1;
    }
    js[len] = 0;
    uint64_t wb = 0, tb = 0;
    char hex[600], id[32];
    const char *model = mf_value(js, "model");
    int bad = strncmp(js, "{\n  \"format\": \"eiw-tokens\",", 27) != 0 ||
              mf_uint(js, "shard_count", &mf->shard_count) || mf_uint(js, "window_bits", &wb) ||
              mf_uint(js, "token_bits", &tb) ||
              mf_string(js, "input_format", mf->input_format, sizeof mf->input_format) ||
              mf_string(js, "text_field", mf->text_field, sizeof mf->text_field) ||
              mf_string(js, "delimiter_hex", hex, sizeof hex) || !model ||
              sscanf(model, "{\"name\": \"%79[^\"]\", \"id\": \"%16[0-9a-f]\"}", mf->model_name,
                     id) != 2 ||
              strlen(hex) % 2 || strlen(hex) / 2 > sizeof mf->delimiter ||
              mf->shard_count > 99999999;
    if (!bad) {
        mf->window_bits = (unsigned)wb;
        mf->token_bits = (unsigned)tb;
        mf->model_id = strtoull(id, NULL, 16);
        mf->delimiter_len = strlen(hex) / 2;
        for (size_t i = 0; i < mf->delimiter_len; i++) {
            unsigned v;
            if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                bad = 1;
            mf->delimiter[i] = (uint8_t)v;
        }
    }
    uint64_t version = 0;
    int newer = !bad && (mf_uint(js, "format_version", &version) || version != 1);
    free(js);
    if (newer) {   /* docs/compatibility.md: a newer format is refused, never guessed at */
        fprintf(stderr, "eiw: %s: token manifest format version %" PRIu64 " (this eiw reads 1)\n",
                path, version);
        return -1;
    }
    if (bad) {
        fprintf(stderr, "eiw: %s: not an eiw token manifest (or a damaged one)\n", path);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tok_progress_init(tok_progress *p, const char *name, uint64_t total, int quiet)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    p->total = total;
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->start = p->last = now_seconds();
}

static void fmt_eta(char *buf, size_t cap, double s)
{
    if (s < 0 || s > 1e7)
        snprintf(buf, cap, "?");
    else if (s >= 3600)
        snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

static void draw(tok_progress *p)
{
    double t = now_seconds();
    if (t - p->last < 0.25)
        return;
    p->last = t;
    double el = t - p->start, rate = el > 0 ? (double)p->coded / el : 0.0;
    double mb = (double)p->done / 1e6;
    if (p->total != UINT64_MAX && p->total > 0) {
        char eta[32];
        uint64_t left = p->total > p->done ? p->total - p->done : 0;
        fmt_eta(eta, sizeof eta, rate > 0 ? (double)left / rate : -1.0);
        int prec = p->total < 10000000 ? 2 : 1;
        fprintf(stderr, "\r\033[Keiw: %s: %3.0f%% %.*f/%.*f MB, %.3f MB/s, ETA %s, %" PRIu64
                        " bad records",
                p->name, 100.0 * (double)p->done / (double)p->total, prec, mb, prec,
                (double)p->total / 1e6, rate / 1e6, eta, p->bad);
    } else {
        fprintf(stderr, "\r\033[Keiw: %s: %.1f MB, %.3f MB/s, %" PRIu64 " bad records", p->name,
                mb, rate / 1e6, p->bad);
    }
    fflush(stderr);
    p->drawn = 1;
}

void tok_progress_add(tok_progress *p, uint64_t bytes, int skipped)
{
#pragma omp critical(eiw_tok_progress)
    {
        p->done += bytes;
        if (!skipped)
            p->coded += bytes;
        if (p->enabled)
            draw(p);
    }
}

void tok_progress_show(tok_progress *p)
{
    if (p->enabled)
        tok_progress_add(p, 0, 1);
}

void tok_progress_clear(tok_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}

double tok_progress_elapsed(const tok_progress *p)
{
    return now_seconds() - p->start;
}
