/* The catalogue table, built from SC_CASES in cases.h. */
#include "cases.h"

#define SC_ENTRY(fn, id, level, timeout, title, ref) { id, level, title, ref, fn, timeout },

const sc_case sc_catalogue[] = { SC_CASES (SC_ENTRY) };
const int sc_catalogue_len = (int) (sizeof (sc_catalogue) / sizeof (sc_catalogue[0]));
