/* Token shard files of `eiw tokenize` (layouts in docs/tokenize.md): the Megatron-LM / GPT-NeoX
 * indexed dataset index (.idx, "MMIDIDX", version 1), whose .bin holds the tokens, and eiw's
 * sidecar (.eiwd) with what that format cannot hold. Serialization to and from memory only;
 * parsing treats the bytes as untrusted. Nothing here does file I/O or prints. */
#ifndef EIW_DATA_SHARD_H
#define EIW_DATA_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include "eiw.h"

/* Megatron's DType codes (megatron/core/datasets/indexed_dataset.py) for eiw's two token sizes. */
#define EIW_MMIDX_UINT8 1
#define EIW_MMIDX_UINT16 8
#define EIW_MMIDX_HEADER_SIZE 34   /* magic 9, version 8, dtype 1, sequence and document counts 16 */

typedef struct {
    int dtype;                 /* EIW_MMIDX_UINT8 or EIW_MMIDX_UINT16 */
    uint64_t sequences;        /* one per document here */
    uint64_t doc_count;        /* entries of doc_idx: documents + 1 */
    int32_t *sizes;            /* (sequences) tokens per sequence */
    int64_t *pointers;         /* (sequences) byte offset of each sequence in the .bin */
    int64_t *doc_idx;          /* (doc_count) 0, 1, ..., sequences */
} eiw_mmidx;

/* The .idx bytes for n documents of sizes[i] tokens each (one sequence per document). *out is
 * malloc'd (caller frees). EIW_ERR_PARAM if a size exceeds INT32_MAX. */
eiw_status eiw_mmidx_build(int dtype, const uint32_t *sizes, size_t n, uint8_t **out, size_t *len);
/* Parses and checks an .idx against its .bin's size (pointers contiguous, in bounds, the
 * document index 0..sequences). Arrays are malloc'd in *x; free with eiw_mmidx_free. */
eiw_status eiw_mmidx_parse(const uint8_t *buf, size_t len, uint64_t bin_size, eiw_mmidx *x);
void eiw_mmidx_free(eiw_mmidx *x);

/* Swaps each byte pair: the coder's 16-bit tokens (most significant byte first) <-> the .bin's
 * little-endian uint16. */
void eiw_tokens_swap16(uint8_t *p, size_t len);

/* 1: marker-end windows (eiw 0.2), 2: implicit-end windows; the version is the rule */
#define EIW_SIDECAR_VERSION 3
#define EIW_SIDECAR_HEADER_SIZE 104
#define EIW_SIDECAR_DOC_SIZE 24
#define EIW_DOC_DELIMITED 1u   /* the input's delimiter followed this document */

typedef struct {
    uint64_t bytes;            /* original length of the document */
    uint64_t xxh3;             /* xxh3-64 of its bytes */
    uint32_t flags;            /* EIW_DOC_* */
} eiw_sidecar_doc;

typedef struct {
    unsigned window_bits, token_bits;
    unsigned window_end;   /* EIW_WINDOW_END_*: version 1 marker, version 2 implicit */
    uint64_t model_id;
    uint64_t shard;            /* index of the shard */
    uint64_t ndocs;
    uint64_t input_bytes;      /* sum of the documents' bytes */
    uint64_t tokens;
    uint64_t bad_records;      /* skipped while this shard was being filled */
    uint64_t key;              /* identity of the shard's input and settings (for resuming) */
    uint64_t bin_bytes, bin_xxh3, idx_xxh3;
    eiw_sidecar_doc *docs;     /* (ndocs) */
} eiw_sidecar;

/* Serializes s; *out is malloc'd. */
eiw_status eiw_sidecar_build(const eiw_sidecar *s, uint8_t **out, size_t *len);
/* Parses and checks (magic, version, sizes, trailing checksum); s->docs is malloc'd
 * (free with eiw_sidecar_free). */
eiw_status eiw_sidecar_parse(const uint8_t *buf, size_t len, eiw_sidecar *s);
void eiw_sidecar_free(eiw_sidecar *s);

#endif
