/* Documents for `eiw tokenize`: walks the inputs (files, directories recursively in sorted
 * order, '-' for stdin), decompresses .zst inputs as a stream with libzstd, and cuts them into
 * documents: one per text file (or per delimiter-separated piece), one per JSON Lines record
 * (its text field). Bad records (invalid JSON, missing field, invalid UTF-8, over-long) come
 * back as such, with file and line, never dropped silently. Nothing here prints or exits. */
#ifndef EIW_DATA_DOCS_H
#define EIW_DATA_DOCS_H

#include <stddef.h>
#include <stdint.h>
#include "eiw.h"
#include "data/utf8.h"   /* eiw_utf8_check, for the readers of documents */

enum { EIW_DOCS_AUTO = 0, EIW_DOCS_TEXT = 1, EIW_DOCS_JSONL = 2 };

typedef struct {
    int format;                /* EIW_DOCS_AUTO: JSONL for *.jsonl, *.ndjson (also .zst), else text */
    const char *text_field;    /* JSONL: the field holding the text ("text") */
    const uint8_t *delimiter;  /* text: split documents on these bytes (removed); NULL: one per file */
    size_t delimiter_len;
    int check_utf8;            /* text documents must be valid UTF-8 (JSONL text always must) */
    size_t max_record;         /* longest JSONL line or text document, bytes */
} eiw_docs_options;

typedef struct {
    const uint8_t *data;       /* the document's bytes; valid until the next eiw_docs_next */
    size_t len;
    const char *source;        /* input file (as named or found), "stdin" for '-' */
    uint64_t line;             /* JSONL: line number; text: document number in the file (1-based) */
    int delimited;             /* text: the delimiter followed this document in the input */
    const char *bad;           /* NULL, or why this record is bad (then data/len are empty) */
} eiw_doc;

typedef struct eiw_docs eiw_docs;

/* Expands the inputs (directories: regular files below them, sorted by name, names starting
 * with '.' skipped). On EIW_ERR_IO, *bad_path (static until the next call) names the input
 * that could not be opened and errno is set. Inputs are opened one at a time, lazily. */
eiw_status eiw_docs_open(const char *const *inputs, size_t n, const eiw_docs_options *o,
                         eiw_docs **out, const char **bad_path);
/* The next document or bad record: 1, or 0 at the end, or a negative eiw_status
 * (EIW_ERR_IO: read error, errno set; EIW_ERR_CORRUPT: invalid zstd data) with
 * eiw_docs_source naming the file. */
int eiw_docs_next(eiw_docs *r, eiw_doc *d);
const char *eiw_docs_source(const eiw_docs *r);
/* Sum of the input files' sizes as stored (compressed sizes for .zst), and how much of that
 * has been read; both exclude stdin. For progress only. */
uint64_t eiw_docs_total_bytes(const eiw_docs *r);
uint64_t eiw_docs_read_bytes(const eiw_docs *r);
/* Whether any input is stdin or a .zst file (so the total above is not the text size). */
int eiw_docs_total_is_exact(const eiw_docs *r);
/* EIW_DOCS_TEXT or EIW_DOCS_JSONL when every input is of that kind, else EIW_DOCS_AUTO. */
int eiw_docs_format(const eiw_docs *r);
void eiw_docs_free(eiw_docs *r);

#endif
