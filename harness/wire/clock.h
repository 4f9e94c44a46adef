/* Clocks in nanoseconds: monotonic for deadlines, wall for what a shim
 * reports (exit times, event timestamps). */
#ifndef SHIMCHECK_CLOCK_H
#define SHIMCHECK_CLOCK_H

#include <stdint.h>

int64_t sc_now_mono_ns (void);
int64_t sc_now_wall_ns (void);

#endif
