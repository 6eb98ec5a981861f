/* The records after a container's header: block records (a 17-byte header and a payload) and
 * the end record, parsed and checked in one place (layout in docs/format.md). */
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include "codec/block_records.h"
#include "common/byte_order.h"

eiw_status eiw_block_record_parse(const eiw_header *h, const uint8_t rec[EIW_BLOCK_HEADER_SIZE],
                                  eiw_block_record *r)
{
    r->method = rec[0];
    r->raw_size = get32(rec + 1);
    r->payload_size = get32(rec + 5);
    r->hash = get64(rec + 9);
    const int adaptive_ok = h->level > 0 && eiw_level_uses_model(h->level);
    if ((r->method > EIW_METHOD_MODEL && !(r->method == EIW_METHOD_ADAPTIVE && adaptive_ok)) ||
        r->raw_size == 0 || r->raw_size > h->block_size || r->payload_size == 0 ||
        r->payload_size > r->raw_size ||
        (r->method == EIW_METHOD_STORED) != (r->payload_size == r->raw_size))
        return EIW_ERR_CORRUPT;
    if (r->method == EIW_METHOD_MODEL && h->mode == EIW_MODE_WINDOWS &&
        r->payload_size % (h->win.window_bits / 8))
        return EIW_ERR_CORRUPT;
    return EIW_OK;
}

/* Reads exactly n bytes (buf NULL: skips them). EIW_ERR_TRUNCATED when the input ends first. */
static eiw_status read_exact(FILE *in, uint8_t *buf, uint64_t n)
{
    if (!buf && n <= (uint64_t)INT64_MAX && fseeko(in, (off_t)n, SEEK_CUR) == 0)
        return EIW_OK;
    uint8_t skip[4096];
    while (n > 0) {
        size_t want = buf ? (size_t)n : n < sizeof skip ? (size_t)n : sizeof skip;
        size_t got = fread(buf ? buf : skip, 1, want, in);
        if (got == 0)
            return ferror(in) ? EIW_ERR_IO : EIW_ERR_TRUNCATED;
        n -= got;
        if (buf)
            buf += got;
    }
    return EIW_OK;
}

int eiw_record_read(FILE *in, const eiw_header *h, uint8_t rec[EIW_RECORD_SIZE],
                    eiw_block_record *r, uint8_t *payload)
{
    eiw_status st = read_exact(in, rec, EIW_RECORD_SIZE);
    if (st != EIW_OK)
        return st;
    if (rec[0] == EIW_METHOD_END)
        return 0;
    if (eiw_block_record_parse(h, rec, r) != EIW_OK)
        return EIW_ERR_CORRUPT;
    st = read_exact(in, payload, r->payload_size);
    return st == EIW_OK ? 1 : st;
}

eiw_status eiw_end_record_check(const eiw_header *h, const uint8_t rec[EIW_RECORD_SIZE],
                                uint64_t total)
{
    if (get64(rec + 1) != total || (h->size_known && h->original_size != total))
        return EIW_ERR_CORRUPT;
    return EIW_OK;
}

eiw_status eiw_container_walk(FILE *in, const eiw_header *h, eiw_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    stats->in_bytes = h->header_bytes;
    uint8_t rec[EIW_RECORD_SIZE];
    eiw_block_record r;
    int k;
    while ((k = eiw_record_read(in, h, rec, &r, NULL)) == 1) {
        stats->blocks[r.method]++;
        if (r.method == EIW_METHOD_MODEL && h->mode == EIW_MODE_WINDOWS)
            stats->windows += r.payload_size / (h->win.window_bits / 8);
        stats->out_bytes += r.raw_size;
        stats->in_bytes += EIW_BLOCK_HEADER_SIZE + r.payload_size;
    }
    if (k < 0)
        return (eiw_status)k;
    stats->in_bytes += EIW_END_RECORD_SIZE;
    return eiw_end_record_check(h, rec, stats->out_bytes);
}
