/* containerd-shim-ref-v1 -info (info.h). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containerd/types/introspection.pb-c.h"
#include "bootstrap.h"
#include "error.h"
#include "ids.h"
#include "info.h"
#include "options.h"
#include "pb.h"
#include "proc.h"

/* the type containerd's typeurl registry gives the runtime-spec features struct */
#define FEATURES_TYPE "types.containerd.io/opencontainers/runtime-spec/1/features/Features"

/* `<runtime> features`, compacted; NULL when the runtime has no such command */
static char *
runtime_features (const char *runtime)
{
  char *path = sc_find_executable (runtime);
  if (path == NULL)
    return NULL;
  char *argv[] = { path, (char *) "features", NULL };
  sc_run_opts ro = { .path = path, .argv = argv, .timeout_ms = 5000, .eof_grace_ms = 500 };
  sc_run_result r = { 0 };
  sc_error err = SC_ERROR_INIT;
  char *out = NULL;
  if (sc_run (&ro, &r, &err) == 0 && !r.timed_out && WIFEXITED (r.status)
      && WEXITSTATUS (r.status) == 0)
    {
      json_t *j = json_loadb (r.out, r.out_len, 0, NULL);
      if (json_is_object (j))
        out = json_dumps (j, JSON_COMPACT | JSON_PRESERVE_ORDER);
      json_decref (j);
    }
  sc_run_result_release (&r);
  sc_error_release (&err);
  free (path);
  return out;
}

int
action_info (void)
{
  size_t len = 0;
  uint8_t *in = (uint8_t *) shim_read_all (0, 1u << 20, &len);
  shim_options opts;
  sc_error err = SC_ERROR_INIT;
  Google__Protobuf__Any *given = len ? google__protobuf__any__unpack (NULL, len, in) : NULL;
  int rc = 0;
  if (len && given == NULL)
    rc = sc_error_make (&err, 0, "stdin is not a google.protobuf.Any (%zu bytes)", len);
  else
    rc = shim_options_from_any (given, &opts, &err);
  free (in);
  if (rc < 0)
    {
      fprintf (stderr, "%s: -info: %s", REFSHIM_RUNTIME, err.msg);
      sc_error_release (&err);
      if (given)
        google__protobuf__any__free_unpacked (given, NULL);
      return 1;
    }
  Containerd__Types__RuntimeVersion v = CONTAINERD__TYPES__RUNTIME_VERSION__INIT;
  v.version = (char *) SHIMCHECK_VERSION;
  v.revision = (char *) "";
  Containerd__Types__RuntimeInfo info = CONTAINERD__TYPES__RUNTIME_INFO__INIT;
  info.name = (char *) REFSHIM_RUNTIME;
  info.version = &v;
  if (given && given->type_url && given->type_url[0])
    info.options = given;
  char *features = runtime_features (opts.binary_name ? opts.binary_name : "runc");
  Google__Protobuf__Any fany = GOOGLE__PROTOBUF__ANY__INIT;
  if (features)
    {
      fany.type_url = (char *) FEATURES_TYPE;
      fany.value.data = (uint8_t *) features;
      fany.value.len = strlen (features);
      info.features = &fany;
    }
  size_t n = 0;
  uint8_t *outb = sc_pb_pack (&info.base, &n);
  int wrc = fwrite (outb, 1, n, stdout) == n && fflush (stdout) == 0 ? 0 : 1;
  free (outb);
  free (features);
  shim_options_release (&opts);
  if (given)
    google__protobuf__any__free_unpacked (given, NULL);
  return wrc;
}
