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
  const char *id;     /* c->id, or "c->id@profile" when a run covers several profiles */
  sc_level level;     /* c's level under the profile it ran with */
  const sc_profile *profile; /* the containerd the runner acted as for this case */
  sc_status status;
  char *message;
  json_t *evidence;   /* array of strings */
  char *transcript;   /* the case's transcript (tail) */
  double seconds;
  const char *without; /* not applicable: the shim lacks this capability */
  bool in_baseline;   /* listed as an expected failure */
  bool gating;        /* its failure fails the run */
} sc_result;

typedef struct sc_report
{
  json_t *environment; /* shim, runtime, kernel, ... */
  json_t *invocation;  /* argv, filter, level, strict, jobs, timeout scale, baseline, versions */
  const char *filter;  /* NULL: every case */
  const char *level;   /* NULL: every level */
  const char *const *without; /* capabilities the shim was declared without */
  int nwithout;
  int interrupted_by;  /* the signal that stopped the run, 0 if none */
  bool budget_out;     /* the run's time budget (--max-run-time) ran out */
  int waived;          /* gating failures the baseline waived */
  sc_result *results;
  int n;
  bool strict;
  bool passed;         /* the gate */
  double seconds;
  char **baseline_now_passing;
  int n_baseline_now_passing;
} sc_report;

const char *sc_status_name (sc_status s);
/* The verdict, never more than the run shows: interrupted runs are
 * INCOMPLETE, filtered or level-limited runs PARTIAL, a pass that needed
 * the baseline says how many failures it waived. */
typedef struct sc_verdict
{
  const char *cls;   /* pass, fail, partial, incomplete (CSS class, JSON) */
  char *headline;    /* heap */
} sc_verdict;
sc_verdict sc_report_verdict (const sc_report *rep);
/* one TAP line (+ diagnostics) for result number i (1-based) */
void sc_tap_result (FILE *f, const sc_result *r, int i);
int sc_report_write_all (const sc_report *rep, const char *dir, char **errmsg);

#endif
