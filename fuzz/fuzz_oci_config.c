/* Fuzz target: config.json through the OCI module's parse + validate.
 * Invariants: a config it accepts survives a write/parse round trip and
 * validates again; its process object validates on its own. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci_spec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  json_t *spec = NULL;
  sc_error err = SC_ERROR_INIT;
  if (sc_oci_parse ((const char *) data, size, &spec, &err) < 0)
    {
      if (err.msg == NULL || err.msg[0] == '\0')
        abort (); /* every rejection says why */
      sc_error_release (&err);
      return 0;
    }
  char *text = json_dumps (spec, JSON_COMPACT);
  json_t *again = NULL;
  if (text == NULL || sc_oci_parse (text, strlen (text), &again, &err) < 0 || !json_equal (spec, again))
    abort ();
  if (sc_oci_validate_process (json_object_get (spec, "process"), "process", &err) < 0)
    abort ();
  free (text);
  json_decref (again);
  json_decref (spec);
  return 0;
}
