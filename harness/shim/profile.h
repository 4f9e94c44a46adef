/* What each containerd version does when it launches and talks to a shim:
 * one profile per minor version, 1.6 to 2.3 (docs/containerd-versions.md
 * says where each fact was read and which were proven against a real daemon
 * here).  The launcher, the address parser and the catalogue read only
 * these fields; nothing else in shimcheck asks "which containerd". */
#ifndef SHIMCHECK_PROFILE_H
#define SHIMCHECK_PROFILE_H

#include <stdbool.h>

typedef struct sc_profile
{
  const char *name;        /* "1.6" ... "2.3" */
  int rank;                /* major * 100 + minor: 106 ... 203, for comparisons */
  const char *source_tag;  /* the containerd tag the facts were read from */
  const char *proven;      /* the real containerd it was recorded against here, or NULL */
  /* start: environment.  1.6: TTRPC_ADDRESS (+ GOMAXPROCS=2); 1.7+: also
   * GRPC_ADDRESS, NAMESPACE and MAX_SHIM_VERSION=2 */
  bool env_grpc_namespace;
  /* start: stdin.  false: the runtime options Any, packed (or nothing);
   * true (2.3): a packed BootstrapParams carrying the options as an
   * extension, except for shims named *shim-runc-v1* / *shim-runhcs-v1* */
  bool bootstrap_params;
  /* start: output.  The highest JSON bootstrap "version" it accepts
   * (1.6 reads a plain address only: 0; 1.7: 2; 2.x: 3), and whether it
   * first tries the whole output as a protobuf BootstrapResult (2.3) */
  int max_json_version;
  bool protobuf_result;
  /* after connecting: writes <bundle>/bootstrap.json and shim-binary-path
   * (2.x; 1.x rely on the shim's <bundle>/address) */
  bool writes_bootstrap_json;
  /* task requests carry the containerd-namespace-ttrpc metadata (2.x; 1.6
   * and 1.7 send none: recorded, not documented) */
  bool namespace_metadata;
  /* a v3 Create answered Unimplemented: containerd retries it on v2 (2.x) */
  bool v3_fallback;
  /* runs `<shim> -info` (2.x, for runtimes that need their features) */
  bool runs_info;
  /* the init's TaskExit is the last exit event of its container (1.7.22+, 2.x) */
  bool init_exit_last;
  /* containerd_version in BootstrapParams (2.3) */
  const char *version_string;
} sc_profile;

extern const sc_profile sc_profiles[];
extern const int sc_profiles_len;

/* "1.6", "2.1", ... (also "v2.1", "2.1.9": the minor version decides); NULL if unknown */
const sc_profile *sc_profile_find (const char *name);
/* the newest profile proven against a real containerd on this project's machines */
const sc_profile *sc_profile_default (void);
/* "1.6, 1.7, 2.0, 2.1, 2.2, 2.3" (static) */
const char *sc_profile_names (void);

#endif
