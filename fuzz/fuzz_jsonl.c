/* Fuzz target: documents as `eiw tokenize` reads them (data/docs.c): JSON Lines records or
 * text cut at a delimiter, plain or zstd-compressed. Input: a settings byte (format, zstd,
 * UTF-8 check, delimiter, record limit), a field byte, then the file's content. The file goes
 * to a temporary (the reader takes paths); with zstd it is compressed first unless settings
 * bit 7 asks for the raw bytes as a damaged .zst. */
#include "fuzz/fuzz.h"
#include "data/docs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

static int write_input(const char *path, const uint8_t *data, size_t size, int compress)
{
    uint8_t *z = NULL;
    if (compress) {
        size_t cap = ZSTD_compressBound(size);
        z = malloc(cap);
        if (!z)
            return -1;
        size = ZSTD_compress(z, cap, data, size, 1);
        if (ZSTD_isError(size)) {
            free(z);
            return -1;
        }
        data = z;
    }
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, size, f) == size;
    if (f && fclose(f) != 0)
        ok = 0;
    free(z);
    return ok ? 0 : -1;
}

int eiw_fuzz_jsonl(const uint8_t *data, size_t size)
{
    static const char *const delims[] = { NULL, "\n", "\n\n", "<|endoftext|>" };
    static const size_t limits[] = { 16, 300, 70000, 1u << 20 };
    static const char *const fields[] = { "text", "t", "content", "\xc3\xa9" };
    if (size < 2)
        return 0;
    const unsigned sel = data[0];
    const int jsonl = !(sel & 1), zst = (sel >> 1) & 1;
    eiw_docs_options o;
    memset(&o, 0, sizeof o);
    o.format = jsonl ? EIW_DOCS_JSONL : EIW_DOCS_TEXT;
    o.text_field = fields[data[1] & 3];
    o.check_utf8 = (sel >> 2) & 1;
    const char *delim = delims[(sel >> 3) & 3];
    o.delimiter = (const uint8_t *)delim;
    o.delimiter_len = delim ? strlen(delim) : 0;
    o.max_record = limits[(sel >> 5) & 3];
    char path[64];
    snprintf(path, sizeof path, "/tmp/eiw-fuzz-%ld.%s%s", (long)getpid(),
             jsonl ? "jsonl" : "txt", zst ? ".zst" : "");
    if (write_input(path, data + 2, size - 2, zst && !(sel & 0x80)) != 0)
        return 0;
    const char *inputs[1] = { path }, *bad_path;
    eiw_docs *r = NULL;
    if (eiw_docs_open(inputs, 1, &o, &r, &bad_path) == EIW_OK) {
        eiw_doc d;
        uint64_t docs = 0, bytes = 0;
        int got;
        while ((got = eiw_docs_next(r, &d)) == 1) {
            docs++;
            bytes += d.len;
            eiw_fuzz_check(d.len <= o.max_record, "a document beyond the record limit");
            eiw_fuzz_check(!d.bad || d.len == 0, "a bad record with bytes");
            eiw_fuzz_check(d.bad || !(jsonl || o.check_utf8) ||
                           eiw_utf8_check(d.data, d.len) < 0, "a document of invalid UTF-8");
            eiw_fuzz_check(d.line == docs, "record numbers");
        }
        eiw_fuzz_check(got <= 0, "reader result");
        eiw_fuzz_check(zst || bytes <= size, "more document bytes than input");
        eiw_docs_free(r);
    }
    unlink(path);
    return 0;
}
