/* Reading `eiw train` / `eiw eval` inputs (see train_inputs.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/train_inputs.h"
#include "data/token_dataset.h"

/* Room for `extra` more tokens; 0, or -1 when out of memory. */
static int tokbuf_reserve(tokbuf *b, size_t extra)
{
    if (b->n + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1 << 20;
    while (cap < b->n + extra)
        cap *= 2;
    uint16_t *t = realloc(b->tok, cap * sizeof *t);
    if (!t)
        return -1;
    b->tok = t;
    b->cap = cap;
    return 0;
}

/* token_bytes: 0 = text (one token per byte), 1 = uint8 tokens, 2 = little-endian uint16 */
static int read_file(tokbuf *b, const char *path, int token_bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned char buf[1 << 16];
    unsigned char carry = 0;
    int have_carry = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (tokbuf_reserve(b, got)) {
            fprintf(stderr, "eiw: %s: out of memory\n", path);
            fclose(f);
            return -1;
        }
        for (size_t i = 0; i < got; i++) {
            if (token_bytes == 2) {
                if (have_carry) {
                    b->tok[b->n++] = (uint16_t)(carry | (unsigned)buf[i] << 8);
                    have_carry = 0;
                } else {
                    carry = buf[i];
                    have_carry = 1;
                }
            } else {
                b->tok[b->n++] = buf[i];
            }
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "eiw: %s: read error\n", path);
        return -1;
    }
    if (have_carry) {
        fprintf(stderr, "eiw: %s: odd length for a uint16 token file\n", path);
        return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files and directories (recursively, sorted by name so the data order is reproducible). */
static int read_path(tokbuf *b, const char *path, int token_bytes, int depth)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        /* inside directories only regular files count (no FIFOs, sockets, devices) */
        if (depth > 0 && !S_ISREG(sb.st_mode))
            return 0;
        return read_file(b, path, token_bytes);
    }
    if (depth > 32) {
        fprintf(stderr, "eiw: %s: directories nested too deeply\n", path);
        return -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) {
            rc = -1;
            break;
        }
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    if (rc)
        fprintf(stderr, "eiw: %s: out of memory\n", path);
    else
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = read_path(b, names[i], token_bytes, depth + 1);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* All tokens of a token dataset, in shard and document order; *bytes += its documents'
 * original bytes; *token_bits receives its token size. */
static int read_dataset(tokbuf *b, const char *prefix, uint64_t *bytes, unsigned *token_bits)
{
    eiw_manifest mf;
    eiw_dataset_error err;
    if (eiw_dataset_manifest_load(prefix, &mf, &err) != EIW_OK) {
        fprintf(stderr, "eiw: %s: %s\n", err.path, err.what);
        return -1;
    }
    *token_bits = mf.token_bits;
    for (uint64_t s = 0; s < mf.shard_count; s++) {
        eiw_shard_data d;
        if (eiw_shard_load(prefix, &mf, s, 1, &d, &err) != EIW_OK) {
            fprintf(stderr, "eiw: %s: %s\n", err.path, err.what);
            return -1;
        }
        if (tokbuf_reserve(b, d.bin_len / (mf.token_bits / 8)) != 0) {
            fprintf(stderr, "eiw: %s: %s\n", prefix, strerror(ENOMEM));
            eiw_shard_data_free(&d);
            return -1;
        }
        b->n += eiw_shard_tokens(&d, mf.token_bits, b->tok + b->n);
        *bytes += d.sc.input_bytes;
        eiw_shard_data_free(&d);
    }
    return 0;
}

static int read_input(tokbuf *b, const char *path, int token_bytes, input_kind *k)
{
    if (!eiw_dataset_exists(path)) {
        k->others++;
        return read_path(b, path, token_bytes, 0);
    }
    unsigned tb;
    if (read_dataset(b, path, &k->bytes, &tb))
        return -1;
    if (k->datasets && tb != k->token_bits) {
        fprintf(stderr, "eiw: %s: %u-bit tokens, but an earlier dataset has %u-bit ones\n", path,
                tb, k->token_bits);
        return -1;
    }
    k->token_bits = tb;
    k->datasets++;
    return 0;
}

int read_inputs(tokbuf *b, const char **paths, int n, int *token_bytes, input_kind *k)
{
    for (int i = 0; i < n; i++)
        if (read_input(b, paths[i], *token_bytes, k))
            return -1;
    if (k->datasets && k->others) {
        fprintf(stderr, "eiw: train: %s: token datasets cannot be mixed with other files\n",
                paths[0]);
        return -1;
    }
    if (k->datasets) {
        int tb = (int)k->token_bits / 8;
        if (*token_bytes && *token_bytes != tb) {
            fprintf(stderr, "eiw: %s: a dataset of %u-bit tokens, but --token-bytes %d\n",
                    paths[0], k->token_bits, *token_bytes);
            return -1;
        }
        *token_bytes = tb;
    }
    return 0;
}

