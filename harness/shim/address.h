/* What a shim's `start` prints, read the way the profile's containerd reads
 * it (docs/shim-behaviour.md#start, docs/containerd-versions.md): a plain
 * address, JSON bootstrap params {"version":2|3,"address":"…","protocol":
 * "ttrpc"} (1.7+; 1.6 gets them too, leniently, so the catalogue can judge),
 * or a protobuf BootstrapResult (2.3, tried first on the raw bytes).  An
 * address without "unix://" is an abstract socket name, as in containerd. */
#ifndef SHIMCHECK_ADDRESS_H
#define SHIMCHECK_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "profile.h"

typedef struct sc_shim_address
{
  char *output;   /* the trimmed output */
  char *address;  /* the ttrpc address as printed */
  char *name;     /* socket path, or abstract name without the leading NUL */
  bool abstract;
  bool json;      /* printed as JSON bootstrap params */
  bool protobuf;  /* printed as a protobuf BootstrapResult (2.3) */
  int version;    /* 2 for plain output */
  char *protocol; /* "ttrpc" */
  const char *task_service; /* v2 or v3 service name, from version */
} sc_shim_address;

/* Parses start's combined output as profile p's containerd does (NULL: the
 * default profile).  Errors name the problem: empty output, extra lines, a
 * version or protocol that containerd refuses. */
int sc_shim_address_parse (const char *output, size_t len, const sc_profile *p,
                           sc_shim_address *out, sc_error *err);
void sc_shim_address_release (sc_shim_address *a);
/* A blocking connect to the unix socket at path: the fd, or -1 with errno. */
int sc_unix_connect (const char *path);
/* Removes the socket file at path if nobody accepts on it any more (what a
 * killed shim leaves); true if it did. */
bool sc_unlink_dead_socket (const char *path, const char *own_dir);

/* Where a shim's socket may be: under containerd's state directory
 * (SC_SHIM_SOCKET_ROOT: s/ for the Go shims, ref/ for ours), or under
 * own_dir, a directory of the runner's (may be NULL).  The directory is
 * compared canonicalised (no "..", no symlink out).  A socket anywhere else
 * is never connected to nor unlinked because a shim printed it. */
#define SC_SHIM_SOCKET_ROOT "/run/containerd/"
bool sc_shim_socket_allowed (const char *path, const char *own_dir);

#endif
