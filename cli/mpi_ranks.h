/* The MPI ranks of one eiw command (make MPI=1; mpirun -np N build-mpi/eiw ...), for
 * `eiw tokenize` and `eiw train`. Without EIW_MPI (the default build), or under one rank, every
 * function here is the one-process operation and no MPI header is needed. */
#ifndef EIW_CLI_MPI_RANKS_H
#define EIW_CLI_MPI_RANKS_H

void par_init(int *argc, char ***argv);   /* MPI_Init under EIW_MPI */
void par_finalize(void);
int par_rank(void);                       /* 0 without MPI */
int par_size(void);                       /* 1 without MPI */
/* Threads per rank: threads when given (> 0); else 0 (the OpenMP default) for one rank, and the
 * node's online CPUs shared among its ranks (at least 1) for several. */
int par_threads(int threads);
/* The largest of the ranks' values, on every rank (e.g. the worst exit status). */
int par_max(int value);
/* 1 on every rank when flag is non-zero on any rank (e.g. a SIGINT seen by one of them). */
int par_any(int flag);
/* Rank 0's value on every rank: the result of work only rank 0 does (evaluation, saving). */
int par_from_root(int value);

#endif
