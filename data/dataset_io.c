/* Names, whole reads and hashes of dataset files (see dataset_io.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "data/dataset_io.h"

eiw_status eiw_dataset_fail(eiw_dataset_error *e, eiw_status status, const char *path,
                            const char *fmt, ...)
{
    snprintf(e->path, sizeof e->path, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->what, sizeof e->what, fmt, ap);
    va_end(ap);
    return status;
}

void eiw_shard_path(char *path, const char *prefix, uint64_t shard, const char *ext)
{
    snprintf(path, EIW_DATASET_PATH_MAX, "%s-%05" PRIu64 "%s", prefix, shard, ext);
}

void eiw_manifest_path(char *path, const char *prefix)
{
    snprintf(path, EIW_DATASET_PATH_MAX, "%s.json", prefix);
}

uint8_t *eiw_read_file(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    uint8_t *b = NULL;
    size_t n = 0, cap = 65536;
    int e = 0;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;   /* one byte more: the end shows without a regrowth */
    for (;;) {
        if (!b || n == cap) {
            size_t nc = b ? 2 * cap : cap;
            uint8_t *nb = realloc(b, nc);
            if (!nb) {
                e = ENOMEM;
                break;
            }
            b = nb;
            cap = nc;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                e = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (e) {
        free(b);
        *err = e;
        return NULL;
    }
    *len = n;
    return b;
}

int eiw_hash_file(const char *path, uint64_t *h, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    XXH3_state_t *s = XXH3_createState();
    uint8_t *buf = malloc(1u << 20);
    int e = 0;
    if (!s || !buf) {
        e = ENOMEM;
    } else {
        XXH3_64bits_reset(s);
        *size = 0;
        size_t got;
        while ((got = fread(buf, 1, 1u << 20, f)) > 0) {
            XXH3_64bits_update(s, buf, got);
            *size += got;
        }
        if (ferror(f))
            e = errno ? errno : EIO;
        *h = XXH3_64bits_digest(s);
    }
    free(buf);
    XXH3_freeState(s);
    fclose(f);
    return e;
}
