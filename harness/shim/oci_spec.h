/* OCI runtime config.json: the one module that builds, reads, validates and
 * writes it (jansson).  Used by the launcher's callers (runner, tests), the
 * reference shim and the fuzz targets. */
#ifndef SHIMCHECK_OCI_SPEC_H
#define SHIMCHECK_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* A spec like `runc spec` prints, with args and terminal set, cgroupsPath
 * unset (the runtime picks one) and hostname "shimcheck". */
json_t *sc_oci_default_spec (const char *const *args, bool terminal);

/* Parses JSON text and validates it; errors name the JSON path. */
int sc_oci_parse (const char *text, size_t len, json_t **out, sc_error *err);
/* __attribute__((cleanup)) for a jansson value: json_decref at scope end */
void sc_json_decrefp (void *jsonp);
#define cleanup_json __attribute__ ((cleanup (sc_json_decrefp)))

int sc_oci_read (const char *path, json_t **out, sc_error *err);
int sc_oci_write (const json_t *spec, const char *path, sc_error *err);

/* Structural validation of what a shim relies on: ociVersion string; process
 * object with non-empty args of strings, cwd absolute, env strings, terminal
 * bool, user uid/gid integers; root.path string; mounts array of objects with
 * a destination; linux.namespaces types.  Missing `process` or `root` is an
 * error (a shim cannot start such a task). */
int sc_oci_validate (const json_t *spec, sc_error *err);
/* Validates an OCI `process` object alone (the Exec spec Any). */
int sc_oci_validate_process (const json_t *process, const char *where, sc_error *err);
/* True if linux.namespaces asks for a new namespace of this type (listed
 * without a path to join). */
bool sc_oci_new_namespace (const json_t *spec, const char *type);

#endif
