/* Fuzz target: an .eiw container, read as `eiw decompress` reads it (header, then the blocks
 * with every check, then what follows), and walked by eiw_decompressed_size. The header
 * checksum is recomputed on a copy so that mutations reach the fields behind it; the model is
 * the small one the header names (or the tiny M1 for any other name), so decoding stays fast.
 * Block sizes above 4 KiB (1 KiB for the tiny M1) are only read as headers: decoding megabytes
 * per input would make every run slow. */
#include "fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "common/byte_order.h"

static const eiw_model *model_named(const char *name)
{
    const char *const small[] = { "uniform", "order0", "order1" };
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(name, small[i]) == 0)
            return eiw_fuzz_pick_model(i);
    return eiw_fuzz_pick_model(3);
}

static void decode(const uint8_t *data, size_t size)
{
    FILE *in = fmemopen((void *)data, size, "rb");
    if (!in)
        return;
    eiw_header h;
    if (eiw_header_read(in, &h) == EIW_OK) {
        const eiw_model *m = model_named(h.model_name);
        const int needs_model = h.level == 0 || eiw_level_uses_model(h.level);
        if (m && h.block_size <= (m->builtin || !needs_model ? 4096u : 1024u)) {
            eiw_fuzz_check(h.header_bytes <= size, "header longer than the input");
            if (needs_model) {
                long at = ftell(in);
                eiw_status wrong = eiw_decompress_body(in, NULL, &h, NULL, NULL, NULL);
                eiw_fuzz_check(wrong == EIW_ERR_MODEL, "decoding without the model");
                fseek(in, at, SEEK_SET);
                h.model_id = m->id;
            }
            eiw_options o;
            eiw_options_default(&o);
            o.threads = 1 + (int)(size & 1);
            eiw_stats st;
            if (eiw_decompress_body(in, NULL, &h, m, &o, &st) == EIW_OK) {
                /* it stops at its end record: what follows is the end of the input, another
                 * container or trailing garbage */
                eiw_fuzz_check(st.in_bytes <= size, "read beyond the input");
                int next = eiw_header_read_next(in, &h);
                eiw_fuzz_check(next != 0 || st.in_bytes == size, "input left over at the end");
                eiw_fuzz_check(next != EIW_ERR_TRAILING || st.in_bytes < size,
                               "trailing garbage where nothing follows");
                uint64_t total;
                if (next == 0)   /* the block walk agrees with the decoder */
                    eiw_fuzz_check(eiw_decompressed_size(data, size, &total) == EIW_OK &&
                                   total == st.out_bytes, "eiw_decompressed_size disagrees");
            }
        }
    }
    fclose(in);
}

int eiw_fuzz_container(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    /* the header's 4-byte checksum follows the 32 fixed bytes, the model name and, in
     * formats 2 and 5 (the levels), the 4 bytes of the level */
    size_t extra = size > 4 && (copy[4] == 2 || copy[4] == 5) ? 4 : 0;
    if (size >= 36 && copy[10] > 0 && (size_t)copy[10] + 36 + extra <= size) {
        size_t at = 32 + copy[10] + extra;
        put32(copy + at, (uint32_t)XXH3_64bits(copy, at));
    }
    decode(copy, size);
    free(copy);
    return 0;
}
