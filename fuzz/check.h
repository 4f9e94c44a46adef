/* The invariant check of every fuzz target: on violation, say which one and
 * where, then abort (the engines record the input as a crash). */
#ifndef SHIMCHECK_FUZZ_CHECK_H
#define SHIMCHECK_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                                   \
  do                                                                                               \
    {                                                                                              \
      if (!(c))                                                                                    \
        {                                                                                          \
          fprintf (stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #c);             \
          abort ();                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* A target's own bookkeeping is not the code under test: its branches are
 * left out of the coverage map (clang; other compilers do not instrument) */
#if defined(__clang__)
#define SC_FUZZ_NO_COVERAGE __attribute__ ((no_sanitize ("coverage")))
#else
#define SC_FUZZ_NO_COVERAGE
#endif

#endif
