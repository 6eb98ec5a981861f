/* Data-parallel `eiw train` over MPI (make MPI=1; mpirun -np N build-mpi/eiw train ...): every
 * rank reads the same data and builds the same trainer, computes the gradient of its slice of each
 * batch, and the slices' gradients and losses are summed over the ranks before the update, so N
 * ranks follow the one-process run up to float summation order. Only rank 0 evaluates and writes
 * checkpoints. The rank helpers are in mpi_ranks.h. */
#ifndef EIW_TRAIN_PARALLEL_H
#define EIW_TRAIN_PARALLEL_H

#include "eiw_train.h"
#include "cli/mpi_ranks.h"

/* eiw_trainer_set_partition for this rank (EIW_TRAIN_ERR_CONFIG: more ranks than samples). */
int par_partition(eiw_trainer *tr);
/* One optimizer step, gradients and loss summed over the ranks; *loss as eiw_trainer_step. */
int par_step(eiw_trainer *tr, float *loss);
/* 1 when every rank holds bitwise the same weights (they must, after summed updates). */
int par_same_weights(const eiw_trainer *tr);

#endif
