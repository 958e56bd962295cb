#include "CMPI.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>

// Open MPI's handles are pointers to its predefined objects; functions take them as such.
typedef void *Handle;
typedef int (*InitThread)(int *, char ***, int, int *);
typedef int (*CommQuery)(Handle, int *);
typedef int (*Allreduce)(const void *, void *, int, Handle, Handle, Handle);
typedef int (*Bcast)(void *, int, Handle, int, Handle);
typedef int (*Finalize)(void);
typedef int (*Abort)(Handle, int);

enum { OMPI_THREAD_FUNNELED = 1 };
#define OMPI_IN_PLACE ((void *)1)   // Open MPI's MPI_IN_PLACE

static struct {
    InitThread initThread;
    CommQuery commRank, commSize;
    Allreduce allreduce;
    Bcast bcast;
    Finalize finalize;
    Abort abort;
    Handle world, floatType, sum;
} mpi;

int bench_mpi_load(char *error, size_t errorCapacity) {
    if (mpi.allreduce) return 0;
    // RTLD_GLOBAL: Open MPI's own plugins (mca_*.so) resolve libmpi's symbols from the global scope.
    void *library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!library) library = dlopen("libmpi.so", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(error, errorCapacity, "cannot load Open MPI (libmpi.so.40 or libmpi.so): %s", dlerror());
        return -1;
    }
    const char *names[] = {"MPI_Init_thread", "MPI_Comm_rank", "MPI_Comm_size", "MPI_Allreduce", "MPI_Bcast",
                           "MPI_Finalize", "MPI_Abort", "ompi_mpi_comm_world", "ompi_mpi_float", "ompi_mpi_op_sum"};
    void *found[10];
    for (int i = 0; i < 10; i++) {
        found[i] = dlsym(library, names[i]);
        if (!found[i]) {
            snprintf(error, errorCapacity, "the loaded libmpi has no %s (only Open MPI's libmpi.so.40 is supported)", names[i]);
            return -1;
        }
    }
    mpi.initThread = (InitThread)found[0];
    mpi.commRank = (CommQuery)found[1];
    mpi.commSize = (CommQuery)found[2];
    mpi.bcast = (Bcast)found[4];
    mpi.finalize = (Finalize)found[5];
    mpi.abort = (Abort)found[6];
    mpi.world = found[7];
    mpi.floatType = found[8];
    mpi.sum = found[9];
    mpi.allreduce = (Allreduce)found[3];
    return 0;
}

int bench_mpi_init(int *rank, int *size) {
    int provided = 0;
    int status = mpi.initThread(NULL, NULL, OMPI_THREAD_FUNNELED, &provided);
    if (status != 0) return status;
    status = mpi.commRank(mpi.world, rank);
    if (status != 0) return status;
    return mpi.commSize(mpi.world, size);
}

int bench_mpi_allreduce_sum_float(float *buffer, size_t count) {
    for (size_t start = 0; start < count; start += INT_MAX) {
        size_t piece = count - start < INT_MAX ? count - start : INT_MAX;
        int status = mpi.allreduce(OMPI_IN_PLACE, buffer + start, (int)piece, mpi.floatType, mpi.sum, mpi.world);
        if (status != 0) return status;
    }
    return 0;
}

int bench_mpi_broadcast_float(float *buffer, size_t count, int root) {
    for (size_t start = 0; start < count; start += INT_MAX) {
        size_t piece = count - start < INT_MAX ? count - start : INT_MAX;
        int status = mpi.bcast(buffer + start, (int)piece, mpi.floatType, root, mpi.world);
        if (status != 0) return status;
    }
    return 0;
}

int bench_mpi_finalize(void) { return mpi.finalize(); }

void bench_mpi_abort(int code) { mpi.abort(mpi.world, code); }
