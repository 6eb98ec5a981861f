/* Fuzz target: a token shard's sidecar (.eiwd) and Megatron index (.idx), the two files
 * `eiw detokenize` and `eiw inspect` parse before touching the .bin. Input: a settings byte,
 * the sidecar's length (4 bytes, little-endian), the .bin size the index is checked against
 * (8 bytes), the sidecar, then the index. With settings bit 0 the sidecar's checksum is
 * recomputed, so that mutations reach the fields behind it. */
#include "fuzz/fuzz.h"
#include "common/byte_order.h"
#include "data/shard.h"

#include <stdlib.h>
#include <string.h>

int eiw_fuzz_shard(const uint8_t *data, size_t size)
{
    if (size < 13)
        return 0;
    const unsigned sel = data[0];
    size_t split = get32(data + 1);
    uint64_t bin_size = get64(data + 5);
    data += 13;
    size -= 13;
    if (split > size)
        split = size;
    uint8_t *side = malloc(split ? split : 1);
    if (!side)
        return 0;
    memcpy(side, data, split);
    if (sel & 1)
        eiw_fuzz_fix_xxh3_tail(side, split);
    eiw_sidecar sc;
    eiw_status st = eiw_sidecar_parse(side, split, &sc);
    if (st == EIW_OK) {
        eiw_fuzz_check(sc.ndocs <= split / EIW_SIDECAR_DOC_SIZE, "sidecar document count");
        bin_size = sel & 2 ? sc.bin_bytes : bin_size;
        eiw_sidecar_free(&sc);
    }
    free(side);
    eiw_mmidx ix;
    if (eiw_mmidx_parse(data + split, size - split, bin_size, &ix) == EIW_OK) {
        eiw_fuzz_check(ix.doc_count >= 1 && ix.sequences <= size / 12, "index counts");
        eiw_mmidx_free(&ix);
    }
    return 0;
}
