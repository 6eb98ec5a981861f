/* Input walk and document cutting for `eiw tokenize` (see docs.h). A file is read as a byte
 * stream (plain, or zstd-decoded in 64 KiB steps, never whole) and cut into pieces: at a
 * delimiter ("\n" for JSON Lines, the user's for text) or at the end of the file. Only the
 * current piece is held in memory, bounded by max_record; a longer one is skipped up to its
 * end and reported once as a bad record. A JSON Lines record goes to data/jsonl.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "data/docs.h"
#include "data/jsonl.h"

#define READ_STEP (64u << 10)
#define DIR_DEPTH_MAX 64

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
    eiw_jsonl_reader json;     /* holds the last record's text */
    uint64_t read_before;      /* stored bytes of the files already finished */
    uint64_t total;
    int inexact;
    char bad_msg[128];
};

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
    eiw_jsonl_reader_clear(&r->json);
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
            d->bad = eiw_jsonl_text(&r->json, pc.data, pc.len, r->o.text_field, &d->data,
                                    &d->len);
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
