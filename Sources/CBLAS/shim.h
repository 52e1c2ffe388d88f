// Shim for OpenBLAS's CBLAS interface (Debian: libopenblas-dev; there is no cblas.pc, the
// openblas pkg-config entry provides the flags). openblas_set_num_threads lets DIGS run BLAS
// single-threaded and parallelise across galaxies itself.
#ifndef DIGS_CBLAS_SHIM_H
#define DIGS_CBLAS_SHIM_H
#include <cblas.h>
#endif
