/* Linked by `make test` against libeiw.a with zstd, xxhash and OpenMP only (no OpenBLAS, no
 * libeiw_train.a): a program that compresses and decompresses needs nothing of the trainer.
 * It also round-trips a text with the defaults (level 6, the embedded M1) and a stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"

int main(void)
{
    static const char text[] = "A program that only compresses and decompresses should not "
                               "pull in a linear algebra library. ";
    char src[2 * sizeof text], back[sizeof src];
    memcpy(src, text, sizeof text - 1);
    memcpy(src + sizeof text - 1, text, sizeof text - 1);
    size_t n = 2 * (sizeof text - 1), cap = eiw_compress_bound(n, NULL, NULL);
    unsigned char *c = malloc(cap);
    ptrdiff_t clen = c ? eiw_compress(c, cap, src, n, NULL, NULL) : EIW_ERR_NOMEM;
    ptrdiff_t dlen = clen > 0 ? eiw_decompress(back, sizeof back, c, (size_t)clen, NULL, NULL)
                              : clen;
    free(c);
    if (dlen != (ptrdiff_t)n || memcmp(back, src, n) != 0) {
        fprintf(stderr, "codec_link_check: round trip failed: %s\n",
                eiw_strerror(dlen < 0 ? (int)dlen : EIW_ERR_CORRUPT));
        return 1;
    }
    printf("codec_link_check: libeiw.a alone round-trips %zu bytes in %td\n", n, clen);
    return 0;
}
