// Shim for cfitsio 4.x: its long names (fits_open_file, …) are macros; DIGS calls the short
// names (ffopentest, ffmahd, …) directly. The datatype codes and CFITSIO_SONAME are plain
// integer macros that Swift imports, wrapped here for clarity.
#ifndef DIGS_CFITSIO_SHIM_H
#define DIGS_CFITSIO_SHIM_H
#include <fitsio.h>

static inline int digs_fits_soname(void) { return CFITSIO_SONAME; }
#endif
