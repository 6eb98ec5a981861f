/* Checkpoint file I/O (format in docs/checkpoint.md): header, weights, optional AdamW moments,
 * xxh3-64 footer. Reading validates everything before trusting any field. */
#ifndef EIW_CHECKPOINT_H
#define EIW_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "eiw_train.h"

#define EIW_CKPT_VERSION 1u
#define EIW_CKPT_HEADER_SIZE 192u
#define EIW_CKPT_FLAG_TRAIN_STATE 1u

typedef struct {
    eiw_train_options opt;   /* model + stored hyperparameters (threads not stored) */
    uint32_t flags;
    int64_t step;
    int64_t epoch;
    uint64_t cursor;
    uint64_t rng;
    uint64_t data_len;
    uint64_t data_hash;
    size_t n_params;
    const float *params;     /* (n_params) */
    const float *m, *v;      /* (n_params) each, only with EIW_CKPT_FLAG_TRAIN_STATE */
} eiw_ckpt_view;

/* Writes path.tmp, fsyncs, renames onto path. */
int eiw_ckpt_write(const char *path, const eiw_ckpt_view *v);

/* Reads and validates a whole checkpoint. On success *buf owns the file bytes (free() it) and the
 * pointers in *v point into it (aligned copies are not needed: payload starts 4-byte aligned at
 * offset 192 of a malloc'd buffer). */
int eiw_ckpt_read(const char *path, eiw_ckpt_view *v, void **buf);
/* Validates a whole checkpoint held in memory (untrusted bytes; buf 4-byte aligned, e.g.
 * malloc'd); on success the pointers in *v point into buf. */
int eiw_ckpt_parse(const uint8_t *buf, size_t len, eiw_ckpt_view *v);

#endif
