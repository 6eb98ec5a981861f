/* The MPI ranks of one eiw command (see mpi_ranks.h). */
#include "cli/mpi_ranks.h"

#include <unistd.h>

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

int par_max(int value)
{
#ifdef EIW_MPI
    if (size_ > 1)
        MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#endif
    return value;
}

int par_any(int flag)
{
    return par_max(flag != 0);
}

int par_from_root(int value)
{
#ifdef EIW_MPI
    if (size_ > 1)
        MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    return value;
}
