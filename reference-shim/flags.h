/* containerd-shim-ref-v1: the command line, in Go's flag syntax (-f v, -f=v,
 * --f), as containerd passes it to `start`, `delete` and the daemon. */
#ifndef REFSHIM_FLAGS_H
#define REFSHIM_FLAGS_H

#include <stdbool.h>

typedef struct shim_flags
{
  const char *ns;
  const char *id;
  const char *address;        /* containerd's grpc address */
  const char *publish_binary;
  const char *bundle;         /* delete only; default cwd */
  const char *socket;         /* serve on this path instead of fd 3 */
  bool debug;
  bool version;
  bool info;                  /* -info: print RuntimeInfo (containerd 2.x) */
  const char *action;         /* start, delete, or NULL (serve) */
  const char *self;           /* argv[0]: the path it was installed and run under */
} shim_flags;

int flags_parse (int argc, char **argv, shim_flags *f, char **errmsg);

#endif
