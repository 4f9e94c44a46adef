/* containerd-shim-ref-v1: logging in containerd's logrus text format to the
 * bundle's log FIFO (fd 2 of the daemon).
 *
 * The process-wide settings below are the shim's only global: a log line can
 * be written from anywhere (the loop, a callback, `start`), and threading a
 * logger through every call would say nothing more. */
#ifndef REFSHIM_LOG_H
#define REFSHIM_LOG_H

#include <stdbool.h>

typedef struct shim_log_settings
{
  int fd;          /* 2; -1 silences the log (fuzzing) */
  bool debug;      /* debug lines too */
  const char *ns;  /* namespace= and id= of every line */
  const char *id;
} shim_log_settings;

extern shim_log_settings shim_logging;

void shim_log (const char *level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
