/* Token data for `eiw train` and `eiw eval`: text files and directories (one token per byte),
 * raw uint8 / little-endian uint16 token files, and `eiw tokenize` datasets (PREFIX with a
 * PREFIX.json manifest, read with all their checks). Errors are printed (one line naming the
 * file); functions return 0 or -1. */
#ifndef EIW_CLI_TRAIN_INPUTS_H
#define EIW_CLI_TRAIN_INPUTS_H

#include <stddef.h>
#include <stdint.h>

/* A growing array of tokens. */
typedef struct {
    uint16_t *tok;
    size_t n, cap;
} tokbuf;

/* What one list of inputs turned out to be. */
typedef struct {
    int datasets, others;
    unsigned token_bits;   /* of the datasets */
    uint64_t bytes;        /* original bytes of the datasets' documents */
} input_kind;

/* Appends the tokens of paths[0..n) to b. *token_bytes: 0 = text, 1 = uint8, 2 = uint16 for
 * files that are not datasets; datasets set it to their token size (and must not be mixed with
 * other files or disagree with a given size). */
int read_inputs(tokbuf *b, const char **paths, int n, int *token_bytes, input_kind *k);

#endif
