/* shimcheck's verbs and their shared exit codes. */
#ifndef SHIMCHECK_CLI_H
#define SHIMCHECK_CLI_H

/* Stable exit codes (documented in conformance/README.md). */
enum
{
  SC_EXIT_OK = 0,      /* every check held */
  SC_EXIT_FAILED = 1,  /* a check failed (the shim misbehaved) */
  SC_EXIT_USAGE = 2,   /* bad command line */
  SC_EXIT_ENV = 3,     /* shimcheck could not set itself up (temp dir, sockets, ...) */
};

int cmd_probe (int argc, char **argv);
int cmd_run (int argc, char **argv);
int cmd_list (int argc, char **argv);
int cmd_fuzz (int argc, char **argv);
int cmd_record (int argc, char **argv);
int cmd_record_shim (int argc, char **argv);

#endif
