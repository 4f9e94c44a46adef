/* The OCI config.json module: the default spec is valid, and every invalid
 * or partial config gives an error naming the JSON path, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <unistd.h>

#include "oci_spec.h"

static void
default_spec_is_valid_and_round_trips_through_a_file (void **state)
{
  static const char *const args[] = { "sleep", "1", NULL };
  json_t *spec = sc_oci_default_spec (args, true);
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_oci_validate (spec, &err), 0);
  char path[] = "/tmp/sc-oci.XXXXXX";
  int fd = mkstemp (path);
  close (fd);
  assert_int_equal (sc_oci_write (spec, path, &err), 0);
  json_t *back = NULL;
  assert_int_equal (sc_oci_read (path, &back, &err), 0);
  assert_true (json_equal (spec, back));
  assert_true (json_is_true (json_object_get (json_object_get (back, "process"), "terminal")));
  assert_string_equal (
    json_string_value (json_array_get (json_object_get (json_object_get (back, "process"), "args"), 0)),
    "sleep");
  json_decref (back);
  json_decref (spec);
  unlink (path);
}

typedef struct bad_case
{
  const char *json;
  const char *names; /* the error must contain this */
} bad_case;

static const bad_case bad[] = {
  { "", "line" },
  { "{", "line 1" },
  { "[]", "the document must be an object" },
  { "{\"process\":{}}", "ociVersion" },
  { "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"}}", "process must be an object, got missing" },
  { "{\"ociVersion\":\"1\",\"process\":null,\"root\":{\"path\":\"r\"}}", "process must be an object, got null" },
  { "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\"},\"root\":{\"path\":\"r\"}}", "process.args" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"}}",
    "process.args must not be empty" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\",3],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"}}",
    "process.args[1] must be a string" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"r\"}}", "process.cwd" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"rel\"},\"root\":{\"path\":\"r\"}}",
    "absolute path" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"env\":\"X=1\"},\"root\":{\"path\":\"r\"}}",
    "process.env" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"terminal\":\"yes\"},\"root\":{\"path\":\"r\"}}",
    "process.terminal must be a boolean" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":-1}},\"root\":{\"path\":\"r\"}}",
    "process.user.uid" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"gid\":4294967296}},\"root\":{\"path\":\"r\"}}",
    "process.user.gid" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"}}", "root must be an object, got missing" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"\"}}", "root.path" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\",\"readonly\":1}}",
    "root.readonly" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"mounts\":{}}",
    "mounts must be an array" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"mounts\":[{\"type\":\"proc\"}]}",
    "mounts[0].destination" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/p\",\"options\":[1]}]}",
    "mounts[0].options[0]" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"linux\":[]}",
    "linux must be an object" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}}",
    "not a namespace type" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[7]}}",
    "linux.namespaces[0].type" },
  { "{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},\"annotations\":{\"k\":1}}",
    "annotations[\"k\"] must be a string" },
  { "{\"ociVersion\":\"1\",\"ociVersion\":\"2\"}", "duplicate" },
};

static void
every_invalid_config_gives_an_error_naming_the_field (void **state)
{
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      json_t *out = (json_t *) 0x1;
      sc_error err = SC_ERROR_INIT;
      int rc = sc_oci_parse (bad[i].json, strlen (bad[i].json), &out, &err);
      if (rc != -1)
        fail_msg ("case %zu accepted: %s", i, bad[i].json);
      assert_int_equal (err.errnum, EINVAL);
      if (strstr (err.msg, bad[i].names) == NULL)
        fail_msg ("case %zu: \"%s\" does not mention \"%s\"", i, err.msg, bad[i].names);
      assert_ptr_equal (out, (json_t *) 0x1); /* untouched on failure */
      sc_error_release (&err);
    }
}

static void
missing_and_oversized_files_fail_cleanly (void **state)
{
  json_t *out = NULL;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_oci_read ("/nonexistent/config.json", &out, &err), -1);
  assert_int_equal (err.errnum, ENOENT);
  assert_non_null (strstr (err.msg, "/nonexistent/config.json"));
  sc_error_release (&err);
  char path[] = "/tmp/sc-oci-big.XXXXXX";
  int fd = mkstemp (path);
  assert_int_equal (ftruncate (fd, (16 << 20) + 1), 0);
  close (fd);
  assert_int_equal (sc_oci_read (path, &out, &err), -1);
  assert_int_equal (err.errnum, EFBIG);
  sc_error_release (&err);
  unlink (path);
}

static void
exec_process_object_is_validated_alone (void **state)
{
  sc_error err = SC_ERROR_INIT;
  json_t *p = json_pack ("{s:[s], s:s}", "args", "sh", "cwd", "/");
  assert_int_equal (sc_oci_validate_process (p, "process", &err), 0);
  json_object_set_new (p, "args", json_string ("sh"));
  assert_int_equal (sc_oci_validate_process (p, "exec spec", &err), -1);
  assert_non_null (strstr (err.msg, "exec spec.args"));
  sc_error_release (&err);
  json_decref (p);
  assert_int_equal (sc_oci_validate_process (NULL, "process", &err), -1);
  sc_error_release (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (default_spec_is_valid_and_round_trips_through_a_file),
    cmocka_unit_test (every_invalid_config_gives_an_error_naming_the_field),
    cmocka_unit_test (missing_and_oversized_files_fail_cleanly),
    cmocka_unit_test (exec_process_object_is_validated_alone),
  };
  return cmocka_run_group_tests_name ("oci", tests, NULL, NULL);
}
