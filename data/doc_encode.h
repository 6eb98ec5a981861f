/* Coding many documents into Equal-Info Windows fast, with exactly the windows that one
 * eiw_windows_encode call per document gives. Documents are cut into segments that are coded
 * at the same time (threads, and lanes of one batched model call within a thread), each from a
 * guessed start, and stitched where their window boundaries meet (see doc_encode.c). */
#ifndef EIW_DATA_DOC_ENCODE_H
#define EIW_DATA_DOC_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include "eiw.h"

typedef struct {
    const uint8_t *src;        /* the document */
    size_t n;
    uint8_t *out;              /* its windows (malloc'd, NULL when empty; caller frees) */
    size_t out_len;
    eiw_status status;         /* EIW_OK, or as eiw_windows_encode fails on it */
} eiw_doc_job;

typedef struct {
    int threads;               /* OpenMP threads, >= 1 */
    size_t segment;            /* bytes per segment (0: default, from the window size) */
    size_t overlap;            /* bytes a segment runs into the next (0: default) */
    void (*progress)(void *ctx, uint64_t bytes);   /* may be NULL; called from any thread */
    void *progress_ctx;
} eiw_doc_encode_options;

/* Codes jobs[i].src into jobs[i].out for every job. Returns EIW_OK, or EIW_ERR_NOMEM when
 * nothing could be done; per-document failures are in jobs[i].status. */
eiw_status eiw_docs_encode(const eiw_model *m, const eiw_window_params *wp, eiw_doc_job *jobs,
                           size_t njobs, const eiw_doc_encode_options *o);

#endif
