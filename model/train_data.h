/* Training-data order: the token stream cut into pages, pages visited in a seeded random order
 * per epoch, samples read consecutively from that order. State = (epoch, cursor): resumable. */
#ifndef EIW_TRAIN_DATA_H
#define EIW_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint16_t *tok;   /* (n) borrowed */
    size_t n;
    size_t page;           /* tokens per page */
    size_t npages;
    uint32_t *perm;        /* (npages) page order of the current epoch */
    uint64_t seed;
    int64_t epoch;
    uint64_t cursor;       /* position in the current epoch's virtual stream */
} eiw_train_data;

/* max_sample: longest sample ever read; the data must hold it. */
int eiw_train_data_init(eiw_train_data *d, const uint16_t *tok, size_t n, uint64_t seed,
                        size_t max_sample);
void eiw_train_data_free(eiw_train_data *d);
void eiw_train_data_seek(eiw_train_data *d, int64_t epoch, uint64_t cursor);
/* One sample of K*(T+1) tokens: inp (T*K) = first T patches, tgt (T*K) = patches 1..T.
 * Advances the cursor by T*K so the next sample's first patch is this one's last.
 * With bos >= 0 (K = 1 only): inp = [bos, t0..t(T-2)], tgt = [t0..t(T-1)], cursor += T. */
void eiw_train_data_next(eiw_train_data *d, int *inp, int *tgt, int T, int K, int bos);

#endif
