/* The runner <-> case protocol: what a case's child process leaves in its
 * case directory, and how the runner reads it back.  The files are named
 * here only.  Everything written is valid UTF-8 JSON (jansson, after
 * sc_utf8_sanitize): a shim's bytes can never make a result unreadable. */
#ifndef SHIMCHECK_RESULT_H
#define SHIMCHECK_RESULT_H

#include <jansson.h>
#include <stddef.h>

#include "catalogue.h"

#define SC_CASE_RESULT "result.json"       /* status, message, address, evidence */
#define SC_CASE_TRANSCRIPT "transcript.log" /* every request and reply, as text */
#define SC_CASE_ADDRESSES "address"         /* every address a start printed, one a line */
#define SC_CASE_NS "ns"                     /* the case's containerd namespace */

typedef struct sc_case_outcome
{
  sc_status status;
  char *message;     /* UTF-8 */
  char *address;
  json_t *evidence;  /* array of UTF-8 strings */
} sc_case_outcome;

/* the child: writes <dir>/result.json atomically */
int sc_case_outcome_write (const char *dir, sc_status status, const char *message,
                           const char *address, char *const *evidence, size_t nevidence,
                           sc_error *err);
/* the runner: reads it back; -1 (err says why) when it is missing or not ours */
int sc_case_outcome_read (const char *dir, sc_case_outcome *out, sc_error *err);
void sc_case_outcome_release (sc_case_outcome *o);
/* <dir>/<name>: its last max_tail bytes, as UTF-8 (NULL if absent) */
char *sc_case_file_text (const char *dir, const char *name, size_t max_tail);

#endif
