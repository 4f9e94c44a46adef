/* Fuzz target: config.json through the OCI module's parse + validate and
 * what the shim reads of it (namespaces, the process object).
 * Invariants: every rejection says why; a config it accepts survives a
 * write/parse round trip, validates again and answers the namespace
 * questions the same way; its process object validates on its own. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "oci_spec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  json_t *spec = NULL;
  sc_error err = SC_ERROR_INIT;
  if (sc_oci_parse ((const char *) data, size, &spec, &err) < 0)
    {
      CHECK (err.msg != NULL && err.msg[0] != '\0');
      sc_error_release (&err);
      return 0;
    }
  char *text = json_dumps (spec, JSON_COMPACT);
  json_t *again = NULL;
  CHECK (text != NULL && sc_oci_parse (text, strlen (text), &again, &err) == 0);
  CHECK (json_equal (spec, again));
  static const char *const types[] = { "pid", "mount", "network", "ipc", "uts", "user", "cgroup" };
  for (size_t i = 0; i < sizeof (types) / sizeof (types[0]); i++)
    CHECK (sc_oci_new_namespace (spec, types[i]) == sc_oci_new_namespace (again, types[i]));
  CHECK (sc_oci_validate_process (json_object_get (spec, "process"), "process", &err) == 0);
  free (text);
  json_decref (again);
  json_decref (spec);
  return 0;
}
