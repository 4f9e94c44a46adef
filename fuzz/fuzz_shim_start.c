/* Fuzz target: what the reference shim's `start` reads on stdin, the one
 * input containerd hands it before any socket exists: containerd 2.3's
 * protobuf BootstrapParams, or the legacy runtime options Any, or nothing
 * (reference-shim/startparams.c, options.c).  The first byte says which
 * command-line flags come with it (-id, -namespace, -debug present or not).
 * Invariants: an accepted start knows a valid id, a namespace and a clean
 * absolute socket directory that leaves room for the socket's name; runtime
 * options it took are a decodable Any whose type the shim accepts or refuses
 * with a reason; a rejection says why; the decision "BootstrapParams or
 * legacy" never depends on the flags. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flags.h"
#include "ids.h"
#include "log.h"
#include "options.h"
#include "pb.h"
#include "startparams.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  shim_logging.fd = getenv ("SHIMCHECK_FUZZ_LOG") ? 2 : -1;
  uint8_t how = data[0];
  data++;
  size--;
  shim_flags f;
  memset (&f, 0, sizeof (f));
  f.id = (how & 1) ? "c1" : NULL;
  f.ns = (how & 2) ? "default" : NULL;
  f.address = (how & 4) ? "/run/containerd/containerd.sock" : NULL;
  f.debug = (how & 8) != 0;
  start_params p;
  char *errmsg = NULL;
  int rc = start_params_read (&f, data, size, &p, &errmsg);
  if (rc == 0)
    {
      CHECK (errmsg == NULL);
      char *why = NULL;
      CHECK (p.id != NULL && valid_id (p.id, &why));
      free (why);
      CHECK (p.ns != NULL && p.ns[0] != '\0');
      CHECK (p.socket_dir != NULL && p.socket_dir[0] == '/');
      CHECK (strlen (p.socket_dir) + 1 + 64 < 108);
      CHECK (strstr (p.socket_dir, "/../") == NULL && strstr (p.socket_dir, "/./") == NULL);
      CHECK (p.grpc_address != NULL);
      CHECK (p.debug || !f.debug);
      if (p.options)
        {
          Google__Protobuf__Any *any = google__protobuf__any__unpack (NULL, p.options_len, p.options);
          /* bootstrap extensions are re-packed Anys; legacy stdin is taken as given */
          CHECK (any != NULL || !p.bootstrap);
          if (any)
            google__protobuf__any__free_unpacked (any, NULL);
          shim_options o;
          sc_error err = SC_ERROR_INIT;
          int orc = shim_options_from_bytes (p.options, p.options_len, &o, &err);
          CHECK (orc == 0 || (err.msg != NULL && err.msg[0] != '\0'));
          if (orc == 0)
            shim_options_release (&o);
          sc_error_release (&err);
        }
    }
  else
    CHECK (errmsg != NULL && errmsg[0] != '\0');
  bool bootstrap = rc == 0 && p.bootstrap;
  start_params_release (&p);
  free (errmsg);
  /* the protocol is told by stdin alone: with every flag given, the same
   * bytes are read the same way */
  if (rc == 0)
    {
      shim_flags all = { .id = "c1", .ns = "default", .address = "/a" };
      start_params q;
      char *e2 = NULL;
      if (start_params_read (&all, data, size, &q, &e2) == 0)
        CHECK (q.bootstrap == bootstrap);
      start_params_release (&q);
      free (e2);
    }
  return 0;
}
