// Cairo (2-D vector graphics) for the figures: image surfaces written as PNG, PDF surfaces.
#ifndef DIGS_CCAIRO_SHIM_H
#define DIGS_CCAIRO_SHIM_H
#include <cairo.h>
#include <cairo-pdf.h>
#endif
