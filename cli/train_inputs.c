/* Reading `eiw train` / `eiw eval` inputs (see train_inputs.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/token_dataset.h"
#include "cli/train_inputs.h"

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

static int read_input(tokbuf *b, const char *path, int token_bytes, input_kind *k)
{
    if (!token_dataset_exists(path)) {
        k->others++;
        return read_path(b, path, token_bytes, 0);
    }
    unsigned tb;
    uint64_t docs = 0;
    if (token_dataset_read(path, b, &k->bytes, &docs, &tb))
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

