/* containerd-shim-ref-v1: logging in containerd's logrus text format to the
 * bundle's log FIFO (fd 2 of the daemon). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "ids.h"
#include "log.h"

shim_log_settings shim_logging = { .fd = 2 };

void
shim_log (const char *level, const char *fmt, ...)
{
  if (shim_logging.fd < 0 || (strcmp (level, "debug") == 0 && !shim_logging.debug) || fault ("no-log"))
    return;
  char msg[2048];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r (&ts.tv_sec, &tm);
  char when[32];
  strftime (when, sizeof (when), "%Y-%m-%dT%H:%M:%S", &tm);
  char line[2300];
  int n = snprintf (line, sizeof (line),
                    "time=\"%s.%09ldZ\" level=%s msg=\"%s\" runtime=" REFSHIM_RUNTIME
                    " namespace=%s id=%s\n",
                    when, ts.tv_nsec, level, msg, shim_logging.ns ? shim_logging.ns : "", shim_logging.id ? shim_logging.id : "");
  if (n > 0)
    {
      /* the log FIFO is non-blocking: a log line is never worth a stall */
      ssize_t w = write (shim_logging.fd, line, (size_t) n < sizeof (line) ? (size_t) n : sizeof (line) - 1);
      (void) w;
    }
}
