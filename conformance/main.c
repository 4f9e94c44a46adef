/* shimcheck: certify and fuzz containerd shims over the task API. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
usage (FILE *f)
{
  fprintf (f,
           "usage: shimcheck <command> [options]\n"
           "\n"
           "commands:\n"
           "  run --shim PATH     certify a shim: the conformance catalogue, with reports\n"
           "  list                the catalogue: case ids, levels, titles\n"
           "  probe --shim PATH   launch a shim as containerd does and check the basics\n"
           "  fuzz --shim PATH    black-box fuzzing of a shim (crashes, hangs, leaks)\n"
           "  record --shim PATH --out DIR\n"
           "                      install a recording proxy shim between containerd and PATH\n"
           "  version             print shimcheck's version\n"
           "\n"
           "Run 'shimcheck <command> --help' for a command's options.\n"
           "Exit codes: 0 all checks held, 1 a check failed, 2 usage error, 3 set-up error.\n");
}

int
main (int argc, char **argv)
{
  signal (SIGPIPE, SIG_IGN);
  if (argc < 2)
    {
      usage (stderr);
      return SC_EXIT_USAGE;
    }
  const char *cmd = argv[1];
  if (strcmp (cmd, "probe") == 0)
    return cmd_probe (argc - 1, argv + 1);
  if (strcmp (cmd, "run") == 0)
    return cmd_run (argc - 1, argv + 1);
  if (strcmp (cmd, "list") == 0)
    return cmd_list (argc - 1, argv + 1);
  if (strcmp (cmd, "fuzz") == 0)
    return cmd_fuzz (argc - 1, argv + 1);
  if (strcmp (cmd, "record") == 0)
    return cmd_record (argc - 1, argv + 1);
  if (strcmp (cmd, "record-shim") == 0)
    return cmd_record_shim (argc - 1, argv + 1);
  if (strcmp (cmd, "version") == 0 || strcmp (cmd, "--version") == 0)
    {
      printf ("shimcheck %s\n", SHIMCHECK_VERSION);
      return SC_EXIT_OK;
    }
  if (strcmp (cmd, "help") == 0 || strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0)
    {
      usage (stdout);
      return SC_EXIT_OK;
    }
  fprintf (stderr, "shimcheck: unknown command '%s'\n", cmd);
  usage (stderr);
  return SC_EXIT_USAGE;
}
