/* The manifest of a token dataset, PREFIX.json (fields in docs/tokenize.md), built and parsed
 * with jansson. Building gives the bytes eiw has always written for format version 1 (members
 * one per line, each shard on one line); parsing reads any valid JSON layout of the same
 * members (a file reformatted by a JSON tool reads the same) and treats the bytes as
 * untrusted. Memory only: no file I/O, nothing printed. */
#ifndef EIW_DATA_MANIFEST_H
#define EIW_DATA_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "eiw.h"

/* 1: marker-end windows (eiw 0.2); 2: implicit-end windows, with "window_end": "implicit" */
#define EIW_MANIFEST_VERSION 3

/* A shard as the manifest lists it (from its sidecar, and the hashes of its three files). */
typedef struct {
    uint64_t documents, bad_records, input_bytes, tokens, bin_bytes;
    uint64_t bin_xxh3, idx_xxh3, eiwd_xxh3;
} eiw_manifest_shard;

typedef struct {
    /* What the dataset is: written by build, read back by parse. */
    uint64_t format_version;   /* parse: the file's (EIW_ERR_VERSION when newer) */
    uint64_t shard_count;
    unsigned window_bits, token_bits;
    unsigned window_end;       /* EIW_WINDOW_END_*; version 1 is always the marker end */
    char model_name[80];
    uint64_t model_id;
    char input_format[16];     /* "text", "jsonl" or "mixed" */
    char text_field[80];
    uint8_t delimiter[256];
    size_t delimiter_len;
    /* How it was made and what each shard holds: written by build only (for people and
     * tools; parse leaves them zero). */
    const char *prefix_name;   /* the prefix without its directory: shard k is NAME-0000k */
    uint64_t shard_size, max_record;
    int check_utf8;
    const char *const *inputs; /* as given on the command line */
    size_t ninputs;
    const eiw_manifest_shard *shards;   /* shard_count of them */
} eiw_manifest;

/* The manifest's bytes (malloc'd, *len of them, NUL-terminated). Totals and ratios come from
 * the shards. Strings that are not UTF-8 (an input's name can be any bytes) are written with
 * U+FFFD for each invalid byte. EIW_ERR_PARAM for impossible settings, EIW_ERR_NOMEM. */
eiw_status eiw_manifest_build(const eiw_manifest *m, char **out, size_t *len);

/* Reads the first block of fields from any layout. EIW_ERR_VERSION: "format" is right but
 * "format_version" is a newer one (in m->format_version); EIW_ERR_CORRUPT: not JSON, not an
 * eiw token manifest, or a field missing or out of range. */
eiw_status eiw_manifest_parse(const uint8_t *buf, size_t len, eiw_manifest *m);

#endif
