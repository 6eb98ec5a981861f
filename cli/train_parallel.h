/* Data-parallel `eiw train` over MPI (make MPI=1; mpirun -np N build-mpi/eiw train ...): every
 * rank reads the same data and builds the same trainer, computes the gradient of its slice of each
 * batch, and the slices' gradients and losses are summed over the ranks before the update, so N
 * ranks follow the one-process run up to float summation order. Only rank 0 evaluates and writes
 * checkpoints. Without EIW_MPI (the default build), or under one rank, every function here is
 * the one-process operation and no MPI header is needed. */
#ifndef EIW_TRAIN_PARALLEL_H
#define EIW_TRAIN_PARALLEL_H

#include "eiw_train.h"

void par_init(int *argc, char ***argv);   /* MPI_Init under EIW_MPI */
void par_finalize(void);
int par_rank(void);                       /* 0 without MPI */
int par_size(void);                       /* 1 without MPI */
/* Threads per rank: threads when given (> 0); else 0 (the OpenMP default) for one rank, and the
 * node's online CPUs shared among its ranks (at least 1) for several. */
int par_threads(int threads);
/* eiw_trainer_set_partition for this rank (EIW_TRAIN_ERR_CONFIG: more ranks than samples). */
int par_partition(eiw_trainer *tr);
/* One optimizer step, gradients and loss summed over the ranks; *loss as eiw_trainer_step. */
int par_step(eiw_trainer *tr, float *loss);
/* 1 on every rank when flag is non-zero on any rank (e.g. a SIGINT seen by one of them). */
int par_any(int flag);
/* Rank 0's value on every rank: the result of work only rank 0 does (evaluation, saving). */
int par_from_root(int value);
/* 1 when every rank holds bitwise the same weights (they must, after summed updates). */
int par_same_weights(const eiw_trainer *tr);

#endif
