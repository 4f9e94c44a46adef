/* Run results and the reports written from them: TAP, JUnit XML, JSON and a
 * self-contained HTML certificate. */
#ifndef SHIMCHECK_REPORT_H
#define SHIMCHECK_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "catalogue.h"

typedef struct sc_result
{
  const sc_case *c;
  sc_status status;
  char *message;
  json_t *evidence;   /* array of strings */
  char *transcript;   /* the case's transcript (tail) */
  double seconds;
  bool in_baseline;   /* listed as an expected failure */
  bool gating;        /* its failure fails the run */
} sc_result;

typedef struct sc_report
{
  json_t *environment; /* shim, runtime, kernel, ... */
  sc_result *results;
  int n;
  bool strict;
  bool passed;         /* the gate */
  double seconds;
  char **baseline_now_passing;
  int n_baseline_now_passing;
} sc_report;

const char *sc_status_name (sc_status s);
/* one TAP line (+ diagnostics) for result number i (1-based) */
void sc_tap_result (FILE *f, const sc_result *r, int i);
int sc_report_write_all (const sc_report *rep, const char *dir, char **errmsg);

#endif
