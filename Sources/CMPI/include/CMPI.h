#ifndef BENCH_CMPI_H
#define BENCH_CMPI_H

// Open MPI, loaded at run time (dlopen) instead of linked: the package builds and its tests run on a
// machine without MPI, one binary serves both, and `--distributed mpi` names what is missing when
// libmpi is absent. The handles below are Open MPI's ABI (libmpi.so.40: MPI_COMM_WORLD is the address
// of `ompi_mpi_comm_world`, and so on); MPICH's integer handles are a different ABI and not supported.

#include <stddef.h>

/// Loads libmpi.so.40 (or libmpi.so) and resolves the functions and handles used here. Returns 0, or
/// -1 with a message in `error` naming what could not be loaded.
int bench_mpi_load(char *error, size_t errorCapacity);

/// MPI_Init_thread (MPI_THREAD_FUNNELED: only the main thread calls MPI), then this process's rank and
/// the world size. Returns the MPI error code (0 = success).
int bench_mpi_init(int *rank, int *size);

/// MPI_Allreduce(MPI_IN_PLACE, ..., MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), in pieces of at most INT_MAX.
int bench_mpi_allreduce_sum_float(float *buffer, size_t count);

/// MPI_Bcast(..., MPI_FLOAT, root, MPI_COMM_WORLD), in pieces of at most INT_MAX.
int bench_mpi_broadcast_float(float *buffer, size_t count, int root);

int bench_mpi_finalize(void);

/// MPI_Abort(MPI_COMM_WORLD, code): ends every rank of the job.
void bench_mpi_abort(int code);

#endif
