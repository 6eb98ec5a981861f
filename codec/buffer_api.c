/* The buffer-to-buffer API (eiw_compress, eiw_decompress, eiw_compress_bound,
 * eiw_decompressed_size), as zstd and lz4 offer it, on top of the FILE* one: the caller's
 * buffers are wrapped in stdio streams (fopencookie), so both APIs run the same container code
 * and nothing is copied through an intermediate buffer. It adds no format of its own. */
#define _GNU_SOURCE   /* fopencookie: glibc and musl */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "eiw.h"

typedef struct {
    const uint8_t *src;
    size_t n, at;
} mem_reader;

typedef struct {
    uint8_t *dst;
    size_t cap, at;
    int overflow;        /* a write went past cap */
} mem_writer;

static ssize_t mem_read(void *cookie, char *buf, size_t size)
{
    mem_reader *r = cookie;
    size_t k = r->n - r->at < size ? r->n - r->at : size;
    if (k)
        memcpy(buf, r->src + r->at, k);
    r->at += k;
    return (ssize_t)k;
}

static ssize_t mem_write(void *cookie, const char *buf, size_t size)
{
    mem_writer *w = cookie;
    if (size > w->cap - w->at) {
        w->overflow = 1;
        errno = ENOSPC;
        return 0;   /* fopencookie: 0 is a write error */
    }
    if (size)
        memcpy(w->dst + w->at, buf, size);
    w->at += size;
    return (ssize_t)size;
}

/* Seeks within the buffer (eiw_container_walk skips payloads); not past its end. */
static int mem_seek(void *cookie, off64_t *offset, int whence)
{
    mem_reader *r = cookie;
    off64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (off64_t)r->at : (off64_t)r->n;
    if (*offset < -base || *offset > (off64_t)r->n - base)
        return -1;
    r->at = (size_t)(base + *offset);
    *offset = (off64_t)r->at;
    return 0;
}

static FILE *open_reader(mem_reader *r, const void *src, size_t n)
{
    static const cookie_io_functions_t fns = { mem_read, NULL, mem_seek, NULL };
    r->src = src;
    r->n = n;
    r->at = 0;
    return fopencookie(r, "rb", fns);
}

/* Unbuffered: a write past the end fails at once, so compression stops there. */
static FILE *open_writer(mem_writer *w, void *dst, size_t cap)
{
    static const cookie_io_functions_t fns = { NULL, mem_write, NULL, NULL };
    w->dst = dst;
    w->cap = cap;
    w->at = 0;
    w->overflow = 0;
    FILE *f = fopencookie(w, "wb", fns);
    if (f && setvbuf(f, NULL, _IONBF, 0) != 0) {
        fclose(f);
        f = NULL;
    }
    return f;
}

/* The model a level needs when the caller gives none: the default, as `eiw` uses. Sets *m to
 * NULL for a level without a model. */
static eiw_status model_for(const eiw_options *o, const eiw_model **m)
{
    if (o->level > 0 && !eiw_level_uses_model(o->level)) {
        *m = NULL;
        return EIW_OK;
    }
    if (!*m && !(*m = eiw_model_default()))
        return EIW_ERR_NOMEM;
    return EIW_OK;
}

size_t eiw_compress_bound(size_t n, const eiw_model *m, const eiw_options *o)
{
    eiw_options opt;
    if (o)
        opt = *o;
    else
        eiw_options_default(&opt);
    if (opt.level < 0 || opt.level > EIW_LEVEL_MAX || model_for(&opt, &m) != EIW_OK)
        return 0;
    uint32_t bs = eiw_block_size_for(m, &opt);
    if (bs < EIW_BLOCK_SIZE_MIN || bs > EIW_BLOCK_SIZE_MAX)
        return 0;
    size_t name_len = m ? strnlen(m->name, EIW_MODEL_NAME_MAX) : strlen("none");
    size_t fixed = 36 + name_len + (opt.level > 0 ? 4 : 0) + EIW_END_RECORD_SIZE;
    size_t blocks = n / bs + (n % bs != 0);
    if (blocks > (SIZE_MAX - fixed) / EIW_BLOCK_HEADER_SIZE ||
        n > SIZE_MAX - fixed - EIW_BLOCK_HEADER_SIZE * blocks)
        return 0;
    return n + fixed + EIW_BLOCK_HEADER_SIZE * blocks;
}

/* One buffer call: its options and the streams over the caller's buffers. */
typedef struct {
    eiw_options opt;
    mem_reader r;
    mem_writer w;
    FILE *in, *out;
} buffer_call;

/* What both buffer calls start with: the options (the defaults for NULL), the checks of the
 * buffers (the capacity is capped so that a size always fits the return type) and the streams.
 * buffer_end follows in every case. */
static eiw_status buffer_begin(buffer_call *c, const eiw_options *o, void *dst, size_t cap,
                               const void *src, size_t n)
{
    memset(c, 0, sizeof *c);
    if (o)
        c->opt = *o;
    else
        eiw_options_default(&c->opt);
    if ((!dst && cap) || (!src && n))
        return EIW_ERR_PARAM;
    c->in = open_reader(&c->r, src, n);
    c->out = open_writer(&c->w, dst, cap > PTRDIFF_MAX ? PTRDIFF_MAX : cap);
    return c->in && c->out ? EIW_OK : EIW_ERR_NOMEM;
}

/* What both buffer calls end with: the output flushed, the streams closed; the bytes written,
 * or the error. */
static ptrdiff_t buffer_end(buffer_call *c, eiw_status st)
{
    if (st == EIW_OK && fflush(c->out) != 0)
        st = EIW_ERR_IO;
    if (c->in)
        fclose(c->in);
    if (c->out)
        fclose(c->out);
    if (c->w.overflow)
        return EIW_ERR_DST_TOO_SMALL;
    return st == EIW_OK ? (ptrdiff_t)c->w.at : st;
}

ptrdiff_t eiw_compress(void *dst, size_t cap, const void *src, size_t n, const eiw_model *m,
                       const eiw_options *o)
{
    buffer_call c;
    eiw_status st = buffer_begin(&c, o, dst, cap, src, n);
    if (st == EIW_OK)
        st = model_for(&c.opt, &m);
    if (st == EIW_OK)
        st = eiw_compress_stream(c.in, c.out, m, &c.opt, n, NULL);
    return buffer_end(&c, st);
}

ptrdiff_t eiw_decompress(void *dst, size_t cap, const void *src, size_t n, const eiw_model *m,
                         const eiw_options *o)
{
    buffer_call c;
    eiw_status st = buffer_begin(&c, o, dst, cap, src, n);
    eiw_header h;
    if (st == EIW_OK)
        st = eiw_header_read(c.in, &h);
    while (st == EIW_OK) {
        /* each container names its model: the built-in one of that id, unless m is given */
        const eiw_model *pm = NULL;
        if (h.level == 0 || eiw_level_uses_model(h.level)) {
            pm = m ? m : eiw_model_builtin_by_id(h.model_id);
            if (!pm) {
                st = EIW_ERR_MODEL;
                break;
            }
        }
        if ((st = eiw_decompress_body(c.in, c.out, &h, pm, &c.opt, NULL)) != EIW_OK)
            break;
        int next = eiw_header_read_next(c.in, &h);
        if (next <= 0) {
            st = (eiw_status)next;
            break;
        }
    }
    return buffer_end(&c, st);
}

eiw_status eiw_decompressed_size(const void *src, size_t n, uint64_t *size)
{
    if (!size || (!src && n))
        return EIW_ERR_PARAM;
    *size = 0;
    mem_reader r;
    FILE *in = open_reader(&r, src, n);
    if (!in)
        return EIW_ERR_NOMEM;
    uint64_t sum = 0;
    eiw_header h;
    eiw_status st = eiw_header_read(in, &h);
    while (st == EIW_OK) {
        eiw_stats stats;
        if ((st = eiw_container_walk(in, &h, &stats)) != EIW_OK)
            break;
        if (stats.out_bytes > UINT64_MAX - sum) {
            st = EIW_ERR_CORRUPT;
            break;
        }
        sum += stats.out_bytes;
        int next = eiw_header_read_next(in, &h);
        if (next <= 0) {
            st = (eiw_status)next;
            break;
        }
    }
    fclose(in);
    if (st == EIW_OK)
        *size = sum;
    return st;
}
