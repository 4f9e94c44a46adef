#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Facts: containerd's pkg/shim/util.go (Command), core/runtime/v2/binary.go
 * and shim.go (parseStartResponse) at each tag, runtime/v2/... for 1.x;
 * docs/containerd-versions.md. */
const sc_profile sc_profiles[] = {
  { .name = "1.6", .rank = 106, .source_tag = "v1.6.20", .proven = "1.6.20",
    .env_grpc_namespace = false, .bootstrap_params = false, .max_json_version = 0,
    .protobuf_result = false, .writes_bootstrap_json = false, .namespace_metadata = false, .v3_fallback = false,
    .runs_info = false, .init_exit_last = false, .version_string = "1.6.20" },
  { .name = "1.7", .rank = 107, .source_tag = "v1.7.24", .proven = "1.7.24",
    .env_grpc_namespace = true, .bootstrap_params = false, .max_json_version = 2,
    .protobuf_result = false, .writes_bootstrap_json = false, .namespace_metadata = false, .v3_fallback = false,
    .runs_info = false, .init_exit_last = true, .version_string = "1.7.24" },
  { .name = "2.0", .rank = 200, .source_tag = "v2.0.0", .proven = NULL,
    .env_grpc_namespace = true, .bootstrap_params = false, .max_json_version = 3,
    .protobuf_result = false, .writes_bootstrap_json = true, .namespace_metadata = true, .v3_fallback = true,
    .runs_info = true, .init_exit_last = true, .version_string = "2.0.0" },
  { .name = "2.1", .rank = 201, .source_tag = "v2.1.5", .proven = "2.1.9",
    .env_grpc_namespace = true, .bootstrap_params = false, .max_json_version = 3,
    .protobuf_result = false, .writes_bootstrap_json = true, .namespace_metadata = true, .v3_fallback = true,
    .runs_info = true, .init_exit_last = true, .version_string = "2.1.9" },
  { .name = "2.2", .rank = 202, .source_tag = "v2.2.0", .proven = NULL,
    .env_grpc_namespace = true, .bootstrap_params = false, .max_json_version = 3,
    .protobuf_result = false, .writes_bootstrap_json = true, .namespace_metadata = true, .v3_fallback = true,
    .runs_info = true, .init_exit_last = true, .version_string = "2.2.0" },
  { .name = "2.3", .rank = 203, .source_tag = "v2.3.4", .proven = NULL,
    .env_grpc_namespace = true, .bootstrap_params = true, .max_json_version = 3,
    .protobuf_result = true, .writes_bootstrap_json = true, .namespace_metadata = true, .v3_fallback = true,
    .runs_info = true, .init_exit_last = true, .version_string = "2.3.4" },
};
const int sc_profiles_len = (int) (sizeof (sc_profiles) / sizeof (sc_profiles[0]));

const sc_profile *
sc_profile_find (const char *name)
{
  if (name == NULL)
    return NULL;
  if (name[0] == 'v')
    name++;
  char *end = NULL;
  long major = strtol (name, &end, 10);
  if (end == name || *end != '.')
    return NULL;
  const char *m = end + 1;
  long minor = strtol (m, &end, 10);
  if (end == m || (*end != '\0' && *end != '.'))
    return NULL;
  for (int i = 0; i < sc_profiles_len; i++)
    if (sc_profiles[i].rank == major * 100 + minor)
      return &sc_profiles[i];
  return NULL;
}

const sc_profile *
sc_profile_default (void)
{
  const sc_profile *best = NULL;
  for (int i = 0; i < sc_profiles_len; i++)
    if (sc_profiles[i].proven && (best == NULL || sc_profiles[i].rank > best->rank))
      best = &sc_profiles[i];
  return best;
}

const char *
sc_profile_names (void)
{
  static char buf[128];
  if (buf[0] == '\0')
    for (int i = 0; i < sc_profiles_len; i++)
      {
        size_t l = strlen (buf);
        snprintf (buf + l, sizeof (buf) - l, "%s%s", i ? ", " : "", sc_profiles[i].name);
      }
  return buf;
}
