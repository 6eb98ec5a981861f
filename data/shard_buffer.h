/* The shard `eiw tokenize` is filling: its documents (their bytes kept only by the process
 * that codes the shard), coded into Equal-Info windows all at once, and the key that says
 * whether a shard already on disk was made from the same documents and settings. */
#ifndef EIW_DATA_SHARD_BUFFER_H
#define EIW_DATA_SHARD_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include "eiw.h"
#include "data/docs.h"

typedef struct {
    size_t off, len;           /* in the shard's text buffer */
    uint64_t xxh3;             /* of its bytes */
    uint32_t flags;            /* EIW_DOC_* */
    const char *source;        /* input file and record, for messages */
    uint64_t line;
    uint8_t *tokens;           /* window bytes after coding (malloc'd) */
    size_t tok_len;
    eiw_status status;         /* of the coding */
} eiw_shard_doc;

typedef struct {
    eiw_shard_doc *docs;
    size_t ndocs, cap_docs;
    uint8_t *text;
    size_t text_len, text_cap;
    uint64_t bytes;            /* document bytes */
    uint64_t bad;              /* bad records met while this shard was being filled */
} eiw_shard_buffer;

/* What the shards of a dataset are coded with, and where they go. */
typedef struct {
    const char *prefix;
    const eiw_model *m;
    eiw_window_params wp;
} eiw_shard_settings;

/* Adds a document (keep_text: its bytes and hash too, for the process that codes the shard);
 * d->source must outlive the shard. EIW_OK or EIW_ERR_NOMEM. */
eiw_status eiw_shard_buffer_add(eiw_shard_buffer *sb, const eiw_doc *d, int keep_text);
/* Empties it for the next shard (the tokens are freed, the buffers kept). */
void eiw_shard_buffer_reset(eiw_shard_buffer *sb);
void eiw_shard_buffer_free(eiw_shard_buffer *sb);

/* xxh3-64 of the settings, the shard index, each document's length, hash and flags, and the
 * bad-record count: the sidecar records it, and a rerun compares it. */
uint64_t eiw_shard_key(const eiw_shard_settings *s, const eiw_shard_buffer *sb, uint64_t shard);

/* Codes every document (docs[i].tokens and .status); progress as in eiw_docs_encode. */
void eiw_shard_encode(const eiw_shard_settings *s, eiw_shard_buffer *sb, int threads,
                      void (*progress)(void *ctx, uint64_t bytes), void *progress_ctx);

#endif
