/* Token datasets written by `eiw tokenize` (PREFIX.json + PREFIX-NNNNN.{bin,idx,eiwd}), read
 * back with every check: the manifest, the sidecar's own checksum, the xxh3 of .bin and .idx,
 * the index against the .bin, each shard against the manifest, and each decoded document
 * against its recorded xxh3. Used by detokenize, inspect, train and eval. A failing function
 * fills an eiw_dataset_error (one line naming the file) and prints nothing. */
#ifndef EIW_DATA_TOKEN_DATASET_H
#define EIW_DATA_TOKEN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset_io.h"
#include "data/manifest.h"
#include "data/shard.h"

/* Reads and parses PREFIX.json. */
eiw_status eiw_dataset_manifest_load(const char *prefix, eiw_manifest *mf, eiw_dataset_error *e);

/* Does PREFIX name a token dataset (PREFIX.json exists and PREFIX itself does not)? */
int eiw_dataset_exists(const char *prefix);

typedef struct {
    eiw_sidecar sc;
    eiw_mmidx ix;
    uint8_t *bin;              /* the .bin (tokens: uint8, or little-endian uint16) */
    size_t bin_len;
} eiw_shard_data;

/* Reads and parses shard s's sidecar (its own checksum included); *file_xxh3 (may be NULL)
 * receives the xxh3-64 of the file. *sc is to be freed with eiw_sidecar_free. */
eiw_status eiw_shard_sidecar_read(const char *prefix, uint64_t s, eiw_sidecar *sc,
                                  uint64_t *file_xxh3, eiw_dataset_error *e);

/* Loads and checks shard s of the dataset (with_bin: also its .bin). */
eiw_status eiw_shard_load(const char *prefix, const eiw_manifest *mf, uint64_t s, int with_bin,
                          eiw_shard_data *d, eiw_dataset_error *e);
void eiw_shard_data_free(eiw_shard_data *d);

/* The tokens of a loaded .bin as numbers into dst (room for bin_len / (token_bits / 8));
 * returns their count. */
size_t eiw_shard_tokens(const eiw_shard_data *d, unsigned token_bits, uint16_t *dst);

/* The windows of document i as the coder reads them (tokens MSB-first), malloc'd, or NULL. */
uint8_t *eiw_shard_doc_windows(const eiw_shard_data *d, const eiw_manifest *mf, uint64_t i,
                               size_t *len);
/* Decodes document i and checks its xxh3: its bytes (malloc'd) or NULL with *st set. */
uint8_t *eiw_shard_doc_decode(const eiw_shard_data *d, const eiw_manifest *mf,
                              const eiw_model *m, uint64_t i, eiw_status *st);
/* Decodes window j of document i on its own into out (cap bytes; a window decodes to at most
 * 65536): its length, or a negative eiw_status; *nwin receives the document's window count
 * (EIW_ERR_PARAM when j is not below it). */
ptrdiff_t eiw_shard_window_decode(const eiw_shard_data *d, const eiw_manifest *mf,
                                  const eiw_model *m, uint64_t i, uint64_t j, uint8_t *out,
                                  size_t cap, uint64_t *nwin);

/* What `eiw inspect` shows of a dataset: the sums over its shards' sidecars and indexes. */
typedef struct {
    uint64_t documents, bad_records, input_bytes, tokens;
    uint64_t windows_min, windows_max;   /* windows per document (0, 0 without documents) */
} eiw_dataset_stats;
eiw_status eiw_dataset_stats_read(const char *prefix, const eiw_manifest *mf,
                                  eiw_dataset_stats *st, eiw_dataset_error *e);

#endif
