/* Data-parallel training over MPI for `eiw train` (see train_parallel.h). The library does the
 * arithmetic (eiw_trainer_compute_grads on this rank's slice, scaled so that the slices add up
 * to the batch; eiw_trainer_apply); this file only sums over the ranks. An MPI_SUM all-reduce
 * gives every rank the same sums (Open MPI reduces each element once and shares it, or in
 * commutative pairs), so the ranks' weights stay identical; par_same_weights checks that at
 * every checkpoint. */
#include "train_parallel.h"

#include <limits.h>
#include <unistd.h>
#include <xxhash.h>

#ifdef EIW_MPI
#include <mpi.h>
#endif

static int rank_ = 0, size_ = 1;

void par_init(int *argc, char ***argv)
{
#ifdef EIW_MPI
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
    (void)argc;
    (void)argv;
#endif
}

void par_finalize(void)
{
#ifdef EIW_MPI
    MPI_Finalize();
#endif
}

int par_rank(void)
{
    return rank_;
}

int par_size(void)
{
    return size_;
}

int par_threads(int threads)
{
    if (threads > 0 || size_ == 1)
        return threads;
    int local = 1;
#ifdef EIW_MPI
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &local);
    MPI_Comm_free(&node);
#endif
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long t = cpus > 0 ? cpus / local : 1;
    return t < 1 ? 1 : t > 1024 ? 1024 : (int)t;
}

int par_partition(eiw_trainer *tr)
{
    return eiw_trainer_set_partition(tr, rank_, size_);
}

int par_step(eiw_trainer *tr, float *loss)
{
    if (size_ == 1)
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

int par_any(int flag)
{
    int any = flag != 0;
#ifdef EIW_MPI
    if (size_ > 1)
        MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#endif
    return any;
}

int par_from_root(int value)
{
#ifdef EIW_MPI
    if (size_ > 1)
        MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    return value;
}

int par_same_weights(const eiw_trainer *tr)
{
    if (size_ == 1)
        return 1;
    size_t n;
    const float *w = eiw_trainer_params(tr, &n);
    unsigned long long h = XXH3_64bits(w, n * sizeof *w), root = h;
#ifdef EIW_MPI
    MPI_Bcast(&root, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
#endif
    return !par_any(h != root);
}
