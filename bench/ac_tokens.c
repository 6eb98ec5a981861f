/* Arithmetic coding with no windows, as M2 training data: codes one file in stream mode with an
 * M1 (one coder stream, the model sees up to its whole context) and writes the code bytes as
 * they are (8-bit tokens). The learnability experiment's "AC, no windows" row
 * (bench/m2_experiments.sh).
 * usage: ac_tokens IN OUT [MODEL]   (MODEL: a built-in name or a model file; default the default
 *        M1; prints bytes in, bytes out) */
#include "eiw.h"

#include <stdio.h>
#include <stdlib.h>

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger) { free(buf); buf = NULL; }
            buf = bigger;
        }
    }
    fclose(f);
    *n = len;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) { fprintf(stderr, "usage: ac_tokens IN OUT [MODEL]\n"); return 2; }
    size_t n;
    uint8_t *src = read_all(argv[1], &n);
    if (!src) { fprintf(stderr, "ac_tokens: %s: cannot read\n", argv[1]); return 1; }
    const eiw_model *m = argc == 4 ? eiw_model_builtin(argv[3]) : eiw_model_default();
    if (argc == 4 && !m) {
        size_t mlen;
        uint8_t *mb = read_all(argv[3], &mlen);
        eiw_model *loaded = NULL;
        int rc = mb ? eiw_model_from_bytes(mb, mlen, &loaded) : EIW_ERR_IO;
        free(mb);
        if (rc != EIW_OK) {
            fprintf(stderr, "ac_tokens: %s: not a built-in model or a model file (%s)\n", argv[3],
                    eiw_strerror(rc));
            return 1;
        }
        m = loaded;
    }
    size_t cap = n + n / 2 + 64;
    uint8_t *dst = malloc(cap), *state = m ? malloc(m->state_size) : NULL;
    if (!dst || !state) { fprintf(stderr, "ac_tokens: out of memory\n"); return 1; }
    ptrdiff_t len = eiw_stream_encode(m, state, src, n, dst, cap);
    if (len < 0) { fprintf(stderr, "ac_tokens: %s: %s\n", argv[1], eiw_strerror((int)len)); return 1; }
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(dst, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0) {
        fprintf(stderr, "ac_tokens: %s: cannot write\n", argv[2]);
        return 1;
    }
    printf("%s: %zu bytes -> %td (%.4f bits/byte)\n", argv[1], n, len, 8.0 * (double)len / (double)n);
    free(src); free(dst); free(state);
    eiw_model_free(m);
    return 0;
}
