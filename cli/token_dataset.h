/* Token datasets written by `eiw tokenize` (PREFIX.json + PREFIX-NNNNN.{bin,idx,eiwd}), read
 * back with every check: the sidecar's own checksum, the xxh3 of .bin and .idx, the index
 * against the .bin, and each shard against the manifest. Shared by detokenize, inspect, train
 * and eval. Every function prints its error (one line naming the file) and returns nonzero. */
#ifndef EIW_CLI_TOKEN_DATASET_H
#define EIW_CLI_TOKEN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "data/shard.h"
#include "cli/tokenize_util.h"

typedef struct {
    eiw_sidecar sc;
    eiw_mmidx ix;
    uint8_t *bin;
    size_t bin_len;
} shard_data;

/* Loads and checks shard s of the dataset (with_bin: also its .bin). */
int shard_load(const char *prefix, const tok_manifest *mf, uint64_t s, int with_bin,
               shard_data *d);
void shard_free(shard_data *d);

/* Does PREFIX name a token dataset (PREFIX.json exists and PREFIX itself does not)? */
int token_dataset_exists(const char *prefix);

/* A growing array of tokens (for training and evaluation data). */
typedef struct {
    uint16_t *tok;
    size_t n, cap;
} tokbuf;
/* Room for `extra` more tokens; 0, or -1 when out of memory. */
int tokbuf_reserve(tokbuf *b, size_t extra);

/* All tokens of a dataset, in shard and document order, appended to b. *bytes += the
 * documents' original bytes, *docs += their count; *token_bits receives the dataset's token
 * size. */
int token_dataset_read(const char *prefix, tokbuf *b, uint64_t *bytes, uint64_t *docs,
                       unsigned *token_bits);

#endif
