/* Input walk and document cutting for `eiw tokenize` (see docs.h). A file is read as a byte
 * stream (plain, or zstd-decoded in 64 KiB steps, never whole) and cut into pieces: at a
 * delimiter ("\n" for JSON Lines, the user's for text) or at the end of the file. Only the
 * current piece is held in memory, bounded by max_record; a longer one is skipped up to its
 * end and reported once as a bad record. The JSON reader validates a whole record but keeps
 * only the text field; it does not build a document tree. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "data/docs.h"

#define READ_STEP (64u << 10)
#define DIR_DEPTH_MAX 64
#define JSON_DEPTH_MAX 128

typedef struct {
    char *path;
    int jsonl, zst, is_stdin;
    uint64_t size;             /* as stored; 0 for stdin and non-regular files */
} input_file;

struct eiw_docs {
    eiw_docs_options o;
    input_file *files;
    size_t nfiles, cap_files;
    size_t cur;                /* file being read; == nfiles: done */
    int started;               /* files[cur] is open */
    FILE *f;
    ZSTD_DStream *zd;
    uint8_t *zin;              /* compressed input buffer (zstd files) */
    ZSTD_inBuffer zib;
    size_t zret;               /* last ZSTD_decompressStream result: 0 = frame complete */
    int file_eof;              /* no more bytes from the current file */
    int file_done;             /* its last piece was returned */
    uint8_t *buf;              /* the current piece (and read-ahead) */
    size_t len, cap, drop;     /* bytes held, capacity, bytes of the last piece to drop */
    int discarding;            /* the current piece is over-long: skipping to its end */
    int prev_delimited;
    uint64_t pieces;           /* pieces returned from the current file */
    uint8_t *text;             /* a JSON record's unescaped text */
    size_t text_cap;
    uint64_t read_before;      /* stored bytes of the files already finished */
    uint64_t total;
    int inexact;
    char bad_msg[128];
};

/* ------------------------------------------------------------------------------------------
 * UTF-8 */

ptrdiff_t eiw_utf8_check(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; min = 0x10000; }
        else return (ptrdiff_t)i;
        if (n - i <= k)
            return (ptrdiff_t)i;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return (ptrdiff_t)i;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (ptrdiff_t)i;
        i += k + 1;
    }
    return -1;
}

/* ------------------------------------------------------------------------------------------
 * Input list */

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static eiw_status add_file(eiw_docs *r, const char *path, int is_stdin, const struct stat *st)
{
    if (r->nfiles == r->cap_files) {
        size_t nc = r->cap_files ? 2 * r->cap_files : 16;
        input_file *nf = realloc(r->files, nc * sizeof *nf);
        if (!nf)
            return EIW_ERR_NOMEM;
        r->files = nf;
        r->cap_files = nc;
    }
    input_file *f = &r->files[r->nfiles];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(is_stdin ? "stdin" : path)))
        return EIW_ERR_NOMEM;
    r->nfiles++;
    size_t n = strlen(path);
    f->is_stdin = is_stdin;
    f->zst = !is_stdin && ends_with(path, n, ".zst");
    if (f->zst)
        n -= 4;
    if (r->o.format == EIW_DOCS_AUTO)
        f->jsonl = !is_stdin && (ends_with(path, n, ".jsonl") || ends_with(path, n, ".ndjson"));
    else
        f->jsonl = r->o.format == EIW_DOCS_JSONL;
    if (st && S_ISREG(st->st_mode))
        f->size = (uint64_t)st->st_size;
    if (is_stdin || f->zst || !st || !S_ISREG(st->st_mode))
        r->inexact = 1;
    r->total += f->size;
    return EIW_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static eiw_status walk_dir(eiw_docs *r, const char *dir, int depth, const char **bad_path)
{
    static char bad[4096];
    if (depth > DIR_DEPTH_MAX) {
        errno = ELOOP;
        snprintf(bad, sizeof bad, "%s", dir);
        *bad_path = bad;
        return EIW_ERR_IO;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(bad, sizeof bad, "%s", dir);
        *bad_path = bad;
        return EIW_ERR_IO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    eiw_status st = EIW_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                st = EIW_ERR_NOMEM;
                break;
            }
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len))) {
            st = EIW_ERR_NOMEM;
            break;
        }
        snprintf(names[n++], len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                 e->d_name);
    }
    closedir(d);
    if (st == EIW_OK && n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && st == EIW_OK; i++) {
        struct stat sb;
        if (stat(names[i], &sb) != 0) {
            snprintf(bad, sizeof bad, "%s", names[i]);
            *bad_path = bad;
            st = EIW_ERR_IO;
        } else if (S_ISDIR(sb.st_mode)) {
            st = walk_dir(r, names[i], depth + 1, bad_path);
        } else if (S_ISREG(sb.st_mode)) {
            st = add_file(r, names[i], 0, &sb);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

eiw_status eiw_docs_open(const char *const *inputs, size_t n, const eiw_docs_options *o,
                         eiw_docs **out, const char **bad_path)
{
    *out = NULL;
    *bad_path = NULL;
    if (!o || (o->delimiter && o->delimiter_len == 0) || o->max_record == 0 ||
        (o->max_record > SIZE_MAX / 2 - 4 * READ_STEP - o->delimiter_len))
        return EIW_ERR_PARAM;
    eiw_docs *r = calloc(1, sizeof *r);
    if (!r)
        return EIW_ERR_NOMEM;
    r->o = *o;
    if (!r->o.text_field)
        r->o.text_field = "text";
    eiw_status st = EIW_OK;
    for (size_t i = 0; i < n && st == EIW_OK; i++) {
        struct stat sb;
        if (strcmp(inputs[i], "-") == 0) {
            st = add_file(r, inputs[i], 1, NULL);
        } else if (stat(inputs[i], &sb) != 0) {
            *bad_path = inputs[i];
            st = EIW_ERR_IO;
        } else if (S_ISDIR(sb.st_mode)) {
            st = walk_dir(r, inputs[i], 0, bad_path);
        } else {
            st = add_file(r, inputs[i], 0, &sb);
        }
    }
    if (st != EIW_OK) {
        int e = errno;
        eiw_docs_free(r);
        errno = e;
        return st;
    }
    *out = r;
    return EIW_OK;
}

void eiw_docs_free(eiw_docs *r)
{
    if (!r)
        return;
    if (r->f && r->f != stdin)
        fclose(r->f);
    ZSTD_freeDStream(r->zd);
    for (size_t i = 0; i < r->nfiles; i++)
        free(r->files[i].path);
    free(r->files);
    free(r->zin);
    free(r->buf);
    free(r->text);
    free(r);
}

const char *eiw_docs_source(const eiw_docs *r)
{
    return r->cur < r->nfiles ? r->files[r->cur].path : "";
}

uint64_t eiw_docs_total_bytes(const eiw_docs *r)
{
    return r->total;
}

uint64_t eiw_docs_read_bytes(const eiw_docs *r)
{
    uint64_t b = r->read_before;
    if (r->started && r->f && !r->files[r->cur].is_stdin && r->files[r->cur].size) {
        off_t pos = ftello(r->f);
        if (pos > 0)
            b += (uint64_t)pos < r->files[r->cur].size ? (uint64_t)pos : r->files[r->cur].size;
    }
    return b;
}

int eiw_docs_format(const eiw_docs *r)
{
    size_t j = 0;
    for (size_t i = 0; i < r->nfiles; i++)
        j += r->files[i].jsonl != 0;
    return j == r->nfiles && j ? EIW_DOCS_JSONL : j == 0 ? EIW_DOCS_TEXT : EIW_DOCS_AUTO;
}

int eiw_docs_total_is_exact(const eiw_docs *r)
{
    return !r->inexact;
}

/* ------------------------------------------------------------------------------------------
 * Byte stream of the current file */

static eiw_status file_start(eiw_docs *r)
{
    input_file *in = &r->files[r->cur];
    if (in->is_stdin) {
        r->f = stdin;
    } else if (!(r->f = fopen(in->path, "rb"))) {
        return EIW_ERR_IO;
    }
    if (in->zst) {
        if (!r->zd && !(r->zd = ZSTD_createDStream()))
            return EIW_ERR_NOMEM;
        if (!r->zin && !(r->zin = malloc(ZSTD_DStreamInSize())))
            return EIW_ERR_NOMEM;
        ZSTD_initDStream(r->zd);
        r->zib.src = r->zin;
        r->zib.size = r->zib.pos = 0;
        r->zret = 0;
    }
    r->started = 1;
    r->file_eof = r->file_done = 0;
    r->len = r->drop = 0;
    r->discarding = r->prev_delimited = 0;
    r->pieces = 0;
    return EIW_OK;
}

static void file_finish(eiw_docs *r)
{
    if (r->f && r->f != stdin)
        fclose(r->f);
    r->f = NULL;
    r->read_before += r->files[r->cur].size;
    r->started = 0;
    r->cur++;
}

/* Appends up to READ_STEP decoded bytes to buf. Returns the count (0: end of file) or an error. */
static ptrdiff_t file_read(eiw_docs *r)
{
    input_file *in = &r->files[r->cur];
    uint8_t *dst = r->buf + r->len;
    if (!in->zst) {
        size_t got = fread(dst, 1, READ_STEP, r->f);
        if (got == 0 && ferror(r->f))
            return EIW_ERR_IO;
        return (ptrdiff_t)got;
    }
    ZSTD_outBuffer ob = { dst, READ_STEP, 0 };
    while (ob.pos == 0) {
        if (r->zib.pos == r->zib.size) {
            size_t got = fread(r->zin, 1, ZSTD_DStreamInSize(), r->f);
            if (got == 0) {
                if (ferror(r->f))
                    return EIW_ERR_IO;
                /* a stream cut inside a frame is an error, not a short document */
                return r->zret != 0 ? EIW_ERR_TRUNCATED : 0;
            }
            r->zib.size = got;
            r->zib.pos = 0;
        }
        size_t ret = ZSTD_decompressStream(r->zd, &ob, &r->zib);
        if (ZSTD_isError(ret))
            return EIW_ERR_CORRUPT;
        r->zret = ret;
    }
    return (ptrdiff_t)ob.pos;
}

static eiw_status reserve(eiw_docs *r, size_t need)
{
    if (need <= r->cap)
        return EIW_OK;
    size_t nc = r->cap ? r->cap : READ_STEP * 2;
    while (nc < need)
        nc *= 2;
    uint8_t *nb = realloc(r->buf, nc);
    if (!nb)
        return EIW_ERR_NOMEM;
    r->buf = nb;
    r->cap = nc;
    return EIW_OK;
}

static const uint8_t *find_bytes(const uint8_t *h, size_t hn, const uint8_t *nd, size_t nn)
{
    if (nn > hn)
        return NULL;
    const uint8_t *end = h + hn - nn + 1;
    while (h < end) {
        const uint8_t *p = memchr(h, nd[0], (size_t)(end - h));
        if (!p)
            return NULL;
        if (memcmp(p, nd, nn) == 0)
            return p;
        h = p + 1;
    }
    return NULL;
}

typedef struct {
    const uint8_t *data;
    size_t len;
    int delimited, overlong;
} piece;

/* The next piece of the current file: 1, 0 at its end, or an error. */
static int next_piece(eiw_docs *r, const uint8_t *delim, size_t dlen, piece *pc)
{
    if (r->file_done)
        return 0;
    if (r->drop) {
        memmove(r->buf, r->buf + r->drop, r->len - r->drop);
        r->len -= r->drop;
        r->drop = 0;
    }
    size_t scan = 0;
    for (;;) {
        if (delim && r->len > scan) {   /* r->buf is NULL before the first read */
            const uint8_t *p = find_bytes(r->buf + scan, r->len - scan, delim, dlen);
            if (p) {
                size_t at = (size_t)(p - r->buf);
                pc->data = r->buf;
                pc->len = at;
                pc->delimited = 1;
                pc->overlong = r->discarding || at > r->o.max_record;
                r->discarding = 0;
                r->drop = at + dlen;
                r->prev_delimited = 1;
                r->pieces++;
                return 1;
            }
            scan = r->len >= dlen ? r->len - dlen + 1 : 0;
        }
        if (r->len > r->o.max_record + dlen) {
            /* over-long: forget it but the tail that may start a delimiter */
            size_t keep = delim ? dlen - 1 : 0;
            memmove(r->buf, r->buf + r->len - keep, keep);
            r->len = keep;
            scan = 0;
            r->discarding = 1;
        }
        if (r->file_eof) {
            r->file_done = 1;
            /* nothing after a final delimiter (or in an empty JSON Lines file): no piece */
            if (r->len == 0 && !r->discarding && (r->prev_delimited || r->files[r->cur].jsonl))
                return 0;
            pc->data = r->buf;
            pc->overlong = r->discarding || r->len > r->o.max_record;
            pc->len = pc->overlong ? 0 : r->len;
            pc->delimited = 0;
            r->discarding = 0;
            r->drop = r->len;
            r->pieces++;
            return 1;
        }
        eiw_status st = reserve(r, r->len + READ_STEP);
        if (st != EIW_OK)
            return st;
        ptrdiff_t got = file_read(r);
        if (got < 0)
            return (int)got;
        if (got == 0)
            r->file_eof = 1;
        r->len += (size_t)got;
    }
}

/* ------------------------------------------------------------------------------------------
 * JSON: one object per line; returns NULL and the text field's bytes, or why it is bad. */

typedef struct {
    const uint8_t *p, *end;
    uint8_t *out;              /* unescaped string goes here when not NULL */
    size_t out_len;
} json_in;

static void json_ws(json_in *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(const uint8_t *p, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        uint32_t d = c >= '0' && c <= '9'   ? (uint32_t)(c - '0')
                     : c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (uint32_t)(c - 'A' + 10)
                                            : 16u;
        if (d == 16)
            return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

static void put_utf8(json_in *j, uint32_t cp)
{
    uint8_t *o = j->out + j->out_len;
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        j->out_len += 1;
    } else if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        j->out_len += 2;
    } else if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        j->out_len += 3;
    } else {
        o[0] = (uint8_t)(0xF0 | cp >> 18);
        o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (uint8_t)(0x80 | (cp & 0x3F));
        j->out_len += 4;
    }
}

/* A string at j->p (the opening quote); unescaped into j->out when set. The line is valid
 * UTF-8 already, and unescaping never makes a string longer. */
static const char *json_string(json_in *j)
{
    j->p++;
    j->out_len = 0;
    for (;;) {
        if (j->p >= j->end)
            return "invalid JSON: unterminated string";
        uint8_t c = *j->p++;
        if (c == '"')
            return NULL;
        if (c < 0x20)
            return "invalid JSON: control character in a string";
        if (c != '\\') {
            if (j->out)
                j->out[j->out_len++] = c;
            continue;
        }
        if (j->p >= j->end)
            return "invalid JSON: unterminated string";
        uint8_t e = *j->p++, lit = 0;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (j->end - j->p < 4 || !hex4(j->p, &cp))
                return "invalid JSON: bad \\u escape";
            j->p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return "invalid UTF-8: lone surrogate escape";
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
                    !hex4(j->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return "invalid UTF-8: lone surrogate escape";
                j->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (j->out)
                put_utf8(j, cp);
            continue;
        }
        default:
            return "invalid JSON: bad escape";
        }
        if (j->out)
            j->out[j->out_len++] = lit;
    }
}

static const char *json_value(json_in *j, int depth);

static const char *json_number(json_in *j)
{
    const uint8_t *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return "invalid JSON: bad value";
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return "invalid JSON: bad number";
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return "invalid JSON: bad number";
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    return j->p > s ? NULL : "invalid JSON: bad value";
}

static const char *json_container(json_in *j, int depth, uint8_t close)
{
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return NULL;
    }
    for (;;) {
        const char *e;
        if (close == '}') {
            if (j->p >= j->end || *j->p != '"')
                return "invalid JSON: expected a key";
            uint8_t *save = j->out;
            j->out = NULL;
            e = json_string(j);
            j->out = save;
            if (e)
                return e;
            json_ws(j);
            if (j->p >= j->end || *j->p != ':')
                return "invalid JSON: expected ':'";
            j->p++;
            json_ws(j);
        }
        if ((e = json_value(j, depth + 1)) != NULL)
            return e;
        json_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            json_ws(j);
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return NULL;
        }
        return "invalid JSON: expected ',' or a closing bracket";
    }
}

static int json_lit(json_in *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return 0;
    j->p += n;
    return 1;
}

static const char *json_value(json_in *j, int depth)
{
    if (depth > JSON_DEPTH_MAX)
        return "invalid JSON: nested too deeply";
    if (j->p >= j->end)
        return "invalid JSON: missing value";
    switch (*j->p) {
    case '"': {
        uint8_t *save = j->out;
        j->out = NULL;
        const char *e = json_string(j);
        j->out = save;
        return e;
    }
    case '{': return json_container(j, depth, '}');
    case '[': return json_container(j, depth, ']');
    case 't': return json_lit(j, "true") ? NULL : "invalid JSON: bad value";
    case 'f': return json_lit(j, "false") ? NULL : "invalid JSON: bad value";
    case 'n': return json_lit(j, "null") ? NULL : "invalid JSON: bad value";
    default: return json_number(j);
    }
}

/* The text field of the object on this line: sets text and len (in r->text), or returns why not.
 * A key given twice counts the last time, as Python's json module does. */
static const char *json_record(eiw_docs *r, const uint8_t *line, size_t n, const uint8_t **text,
                               size_t *len)
{
    ptrdiff_t bad = eiw_utf8_check(line, n);
    if (bad >= 0) {
        snprintf(r->bad_msg, sizeof r->bad_msg, "invalid UTF-8 at byte %td of the line", bad);
        return r->bad_msg;
    }
    if (n + 1 > r->text_cap) {
        uint8_t *t = realloc(r->text, n + 1);
        if (!t)
            return "out of memory";
        r->text = t;
        r->text_cap = n + 1;
    }
    uint8_t key[256];
    json_in j = { line, line + n, NULL, 0 };
    json_ws(&j);
    if (j.p == j.end)
        return "empty line";
    if (*j.p != '{')
        return "invalid JSON: not an object";
    j.p++;
    json_ws(&j);
    int found = 0;
    const char *e = NULL;
    if (j.p < j.end && *j.p == '}') {
        j.p++;
    } else {
        const char *field = r->o.text_field;
        size_t flen = strlen(field);
        for (;;) {
            if (j.p >= j.end || *j.p != '"')
                return "invalid JSON: expected a key";
            /* keys are compared after unescaping; long keys cannot be the field */
            const uint8_t *kstart = j.p;
            j.out = NULL;
            if ((e = json_string(&j)) != NULL)
                return e;
            size_t raw = (size_t)(j.p - kstart);
            int is_field = 0;
            if (raw - 2 <= sizeof key && flen <= sizeof key) {
                json_in k = { kstart, j.p, key, 0 };
                json_string(&k);
                is_field = k.out_len == flen && memcmp(key, field, flen) == 0;
            }
            json_ws(&j);
            if (j.p >= j.end || *j.p != ':')
                return "invalid JSON: expected ':'";
            j.p++;
            json_ws(&j);
            if (is_field) {
                if (j.p >= j.end || *j.p != '"') {
                    if ((e = json_value(&j, 1)) != NULL)
                        return e;
                    snprintf(r->bad_msg, sizeof r->bad_msg, "field '%.64s' is not a string",
                             field);
                    return r->bad_msg;
                }
                j.out = r->text;
                if ((e = json_string(&j)) != NULL)
                    return e;
                *len = j.out_len;
                j.out = NULL;
                found = 1;
            } else if ((e = json_value(&j, 1)) != NULL) {
                return e;
            }
            json_ws(&j);
            if (j.p < j.end && *j.p == ',') {
                j.p++;
                json_ws(&j);
                continue;
            }
            if (j.p < j.end && *j.p == '}') {
                j.p++;
                break;
            }
            return "invalid JSON: expected ',' or '}'";
        }
    }
    json_ws(&j);
    if (j.p != j.end)
        return "invalid JSON: text after the object";
    if (!found) {
        snprintf(r->bad_msg, sizeof r->bad_msg, "no field '%.64s'", r->o.text_field);
        return r->bad_msg;
    }
    *text = r->text;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */

int eiw_docs_next(eiw_docs *r, eiw_doc *d)
{
    memset(d, 0, sizeof *d);
    while (r->cur < r->nfiles) {
        input_file *in = &r->files[r->cur];
        if (!r->started) {
            eiw_status st = file_start(r);
            if (st != EIW_OK)
                return st;
        }
        const uint8_t *delim = in->jsonl ? (const uint8_t *)"\n" : r->o.delimiter;
        size_t dlen = in->jsonl ? 1 : r->o.delimiter ? r->o.delimiter_len : 0;
        piece pc = { NULL, 0, 0, 0 };
        int got = next_piece(r, delim, dlen, &pc);
        if (got < 0)
            return got;
        if (got == 0) {
            file_finish(r);
            continue;
        }
        d->source = in->path;
        d->line = r->pieces;
        d->delimited = pc.delimited;
        if (pc.overlong) {
            snprintf(r->bad_msg, sizeof r->bad_msg, "%s longer than %zu bytes",
                     in->jsonl ? "line" : "document", r->o.max_record);
            d->bad = r->bad_msg;
            return 1;
        }
        if (in->jsonl) {
            size_t n = pc.len;
            d->bad = json_record(r, pc.data, n, &d->data, &d->len);
            if (d->bad) {
                d->data = NULL;
                d->len = 0;
            }
            return 1;
        }
        if (r->o.check_utf8) {
            ptrdiff_t bad = eiw_utf8_check(pc.data, pc.len);
            if (bad >= 0) {
                snprintf(r->bad_msg, sizeof r->bad_msg, "invalid UTF-8 at byte %td", bad);
                d->bad = r->bad_msg;
                return 1;
            }
        }
        d->data = pc.data;
        d->len = pc.len;
        return 1;
    }
    return 0;
}
