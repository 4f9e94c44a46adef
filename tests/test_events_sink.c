/* The runner's events endpoint against a flood (tests/conformance/
 * evil-events-shim --flood): 100 Forward requests of 4 MiB, 12,000 events,
 * 100 extra connections.  It keeps at most its limits, refuses the rest
 * without buffering it, reports the flood, and our peak RSS stays bounded
 * (100 events of 4 MiB took the runner from 15 MB to 424 MB before). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "events_sink.h"

static char *flooder; /* path of evil-events-shim */

/* peak resident set of this process, KiB */
static long
peak_rss_kib (void)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets (line, sizeof (line), f))
    if (sscanf (line, "VmHWM: %ld kB", &v) == 1)
      break;
  if (f)
    fclose (f);
  return v;
}

static void
flood_is_bounded_refused_and_reported (void **state)
{
  char dir[] = "/tmp/sc-sink.XXXXXX";
  assert_non_null (mkdtemp (dir));
  char path[128];
  snprintf (path, sizeof (path), "%s/ttrpc.sock", dir);
  sc_loop *loop;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_loop_new (&loop, &err), 0);
  sc_events_sink *sink;
  assert_int_equal (sc_events_sink_new (loop, path, &sink, &err), 0);
  long before = peak_rss_kib ();

  pid_t pid = fork ();
  if (pid == 0)
    {
      execl (flooder, flooder, "--flood", path, (char *) NULL);
      _exit (127);
    }
  int st = 0;
  int64_t deadline = sc_deadline_in_ms (90000);
  while (waitpid (pid, &st, WNOHANG) == 0 && sc_now_mono_ns () < deadline)
    sc_loop_run_once (loop, 50);
  /* what is still queued in the socket */
  for (int i = 0; i < 40; i++)
    sc_loop_run_once (loop, 50);
  if (sc_now_mono_ns () >= deadline)
    {
      kill (pid, SIGKILL);
      waitpid (pid, &st, 0);
      fail_msg ("the flooder did not finish within 90 s");
    }
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);

  long peak = peak_rss_kib ();
  print_message ("peak RSS %ld KiB before the flood, %ld KiB after; %zu events kept\n", before, peak,
                 sc_events_sink_count (sink));
  if (peak > 64 * 1024)
    fail_msg ("peak RSS %ld KiB under the flood (limit 64 MiB)", peak);
  assert_int_equal (sc_events_sink_count (sink), SC_EVENTS_MAX_COUNT);
  char *flood = sc_events_sink_flood (sink);
  assert_non_null (flood);
  print_message ("%s\n", flood);
  assert_non_null (strstr (flood, "100 Forward requests over 64 KiB"));
  assert_non_null (strstr (flood, "2000 events beyond the first 10000"));
  free (flood);
  sc_events_sink_free (sink);
  sc_loop_free (loop);
  rmdir (dir);
}

int
main (int argc, char **argv)
{
  signal (SIGPIPE, SIG_IGN);
  if (argc < 2)
    {
      fprintf (stderr, "usage: test_events_sink PATH/evil-events-shim\n");
      return 2;
    }
  flooder = argv[1];
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (flood_is_bounded_refused_and_reported),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
