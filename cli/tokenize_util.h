/* Helpers shared by `eiw tokenize`, `detokenize` and `inspect`: shard file names, whole-file
 * reads and atomic writes, a growable string for JSON, the manifest's few machine-read fields,
 * and the progress line (bytes done/total, MB/s, ETA, bad records). */
#ifndef EIW_CLI_TOKENIZE_UTIL_H
#define EIW_CLI_TOKENIZE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define TOK_PATH_MAX 4096

/* PREFIX-NNNNN.ext */
void tok_shard_path(char *path, const char *prefix, uint64_t shard, const char *ext);
/* The whole file (malloc'd), or NULL with *err = errno (err may be NULL). */
uint8_t *tok_read_all(const char *path, size_t *len, int *err);
/* xxh3-64 and size of a file; 0 or an errno value. */
int tok_hash_file(const char *path, uint64_t *h, uint64_t *size);
/* Writes buf to path through a temporary + rename, replacing it; prints the error; 0 or -1. */
int tok_write_atomic(const char *path, const uint8_t *buf, size_t len);
/* Swaps each byte pair (MSB-first tokens <-> little-endian uint16). */
void tok_swap16(uint8_t *p, size_t len);
/* Removes PREFIX-NNNNN.{bin,idx,eiwd} for NNNNN >= from, as long as they exist. */
void tok_remove_stale_shards(const char *prefix, uint64_t from);

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} tok_str;
void tok_str_init(tok_str *t);
void tok_str_printf(tok_str *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends bytes escaped for the inside of a JSON string. */
void tok_str_json(tok_str *t, const uint8_t *s, size_t n);
void tok_str_free(tok_str *t);   /* after a failure, t->s is NULL */

/* What detokenize and inspect need from PREFIX.json. */
typedef struct {
    uint64_t shard_count;
    unsigned window_bits, token_bits;
    char model_name[80];
    uint64_t model_id;
    char input_format[16];
    char text_field[80];
    uint8_t delimiter[256];
    size_t delimiter_len;
} tok_manifest;
/* Reads PREFIX.json; prints the error and returns nonzero on failure. */
int tok_manifest_load(const char *prefix, tok_manifest *mf);

typedef struct {
    const char *name;
    uint64_t total;            /* bytes, UINT64_MAX if unknown */
    uint64_t done;             /* bytes coded or passed over */
    uint64_t coded;            /* bytes this process coded */
    uint64_t bad;
    int enabled, drawn;
    double start, last;
} tok_progress;
void tok_progress_init(tok_progress *p, const char *name, uint64_t total, int quiet);
/* Thread-safe; skipped: bytes passed over (another rank's or a complete shard). */
void tok_progress_add(tok_progress *p, uint64_t bytes, int skipped);
void tok_progress_show(tok_progress *p);
void tok_progress_clear(tok_progress *p);
double tok_progress_elapsed(const tok_progress *p);

#endif
