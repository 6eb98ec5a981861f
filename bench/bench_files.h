/* What the benchmark programs share: reading a whole file, and a model named on the command
 * line (a built-in name or a model file). Header-only: each bench program is one file built
 * by its script against libeiw.a. */
#ifndef EIW_BENCH_FILES_H
#define EIW_BENCH_FILES_H
#include <stdio.h>
#include <stdlib.h>
#include "eiw.h"

/* The whole file (one spare byte allocated), or NULL. */
static inline uint8_t *bench_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    uint8_t *b = len >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)len + 1) : NULL;
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = b ? (size_t)len : 0;
    return b;
}

/* A built-in model by name, else a model file (*loaded set: free it with eiw_model_free).
 * Prints a one-line error naming prog and the argument and returns NULL if it is neither. */
static inline const eiw_model *bench_model(const char *prog, const char *arg, eiw_model **loaded)
{
    *loaded = NULL;
    const eiw_model *m = eiw_model_builtin(arg);
    if (m)
        return m;
    size_t len;
    uint8_t *b = bench_read_file(arg, &len);
    if (!b || eiw_model_from_bytes(b, len, loaded) != EIW_OK) {
        fprintf(stderr, "%s: %s: not a built-in model nor a model file\n", prog, arg);
        free(b);
        return NULL;
    }
    free(b);
    return *loaded;
}
#endif
