/* Files of a token dataset (PREFIX.json and PREFIX-NNNNN.{bin,idx,eiwd}): their names, whole
 * reads and hashes, the writer the program lends for output files, and the error a dataset
 * function leaves for the program to print. Nothing in data/ prints: a failing function fills
 * an eiw_dataset_error, which the program prints as one line, "eiw: PATH: WHAT". */
#ifndef EIW_DATA_DATASET_IO_H
#define EIW_DATA_DATASET_IO_H

#include <stddef.h>
#include <stdint.h>
#include "eiw.h"

#define EIW_DATASET_PATH_MAX 4096

typedef struct {
    char path[EIW_DATASET_PATH_MAX];   /* the file (or prefix) the error is about */
    char what[256];                    /* what went wrong */
} eiw_dataset_error;

/* Sets both parts; what is printf-style. Returns status, for `return eiw_dataset_fail(...)`. */
eiw_status eiw_dataset_fail(eiw_dataset_error *e, eiw_status status, const char *path,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* PREFIX-NNNNN.ext */
void eiw_shard_path(char *path, const char *prefix, uint64_t shard, const char *ext);
/* PREFIX.json */
void eiw_manifest_path(char *path, const char *prefix);

/* The whole file (malloc'd), or NULL with *err = errno. */
uint8_t *eiw_read_file(const char *path, size_t *len, int *err);
/* xxh3-64 and size of a file; 0 or an errno value. */
int eiw_hash_file(const char *path, uint64_t *h, uint64_t *size);

/* Output files are the program's business (a temporary renamed into place, removed when the
 * process is interrupted): a dataset function that writes is given this. It writes the parts,
 * in order, as the whole content of path, so that the file appears complete or not at all,
 * replacing an older one; returns 0 or an errno value. */
typedef struct {
    const void *data;
    size_t len;
} eiw_span;
typedef int (*eiw_file_writer)(void *ctx, const char *path, const eiw_span *parts, size_t n);

#endif
