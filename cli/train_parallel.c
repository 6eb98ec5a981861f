/* Data-parallel training over MPI for `eiw train` (see train_parallel.h). The library does the
 * arithmetic (eiw_trainer_compute_grads on this rank's slice, scaled so that the slices add up
 * to the batch; eiw_trainer_apply); this file only sums over the ranks. An MPI_SUM all-reduce
 * gives every rank the same sums (Open MPI reduces each element once and shares it, or in
 * commutative pairs), so the ranks' weights stay identical; par_same_weights checks that at
 * every checkpoint. */
#include "cli/train_parallel.h"

#include <limits.h>
#include <xxhash.h>

#ifdef EIW_MPI
#include <mpi.h>
#endif

int par_partition(eiw_trainer *tr)
{
    return eiw_trainer_set_partition(tr, par_rank(), par_size());
}

int par_step(eiw_trainer *tr, float *loss)
{
    if (par_size() == 1)
        return eiw_trainer_step(tr, loss);
    float *g;
    size_t n;
    double part, sum = 0.0;
    int rc = eiw_trainer_compute_grads(tr, &g, &n, &part);
    if (rc != EIW_TRAIN_OK)
        return rc;
#ifdef EIW_MPI
    for (size_t off = 0; off < n; off += (size_t)INT_MAX / 2) {
        size_t len = n - off < (size_t)INT_MAX / 2 ? n - off : (size_t)INT_MAX / 2;
        MPI_Allreduce(MPI_IN_PLACE, g + off, (int)len, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    MPI_Allreduce(&part, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#endif
    *loss = (float)sum;
    return eiw_trainer_apply(tr);
}

int par_same_weights(const eiw_trainer *tr)
{
    if (par_size() == 1)
        return 1;
    size_t n;
    const float *w = eiw_trainer_params(tr, &n);
    unsigned long long h = XXH3_64bits(w, n * sizeof *w), root = h;
#ifdef EIW_MPI
    MPI_Bcast(&root, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
#endif
    return !par_any(h != root);
}
