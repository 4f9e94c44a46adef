/* start output parsing, as containerd 1.6/1.7/2.x read it (§2.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "address.h"
#include "services.h"

static int
parse (const char *s, sc_shim_address *a, sc_error *err)
{
  return sc_shim_address_parse (s, strlen (s), a, err);
}

static void
plain_unix_address_is_a_path_on_task_v2 (void **state)
{
  sc_shim_address a;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse ("  unix:///run/containerd/s/abc\n", &a, &err), 0);
  assert_string_equal (a.address, "unix:///run/containerd/s/abc");
  assert_string_equal (a.name, "/run/containerd/s/abc");
  assert_false (a.abstract);
  assert_false (a.json);
  assert_int_equal (a.version, 2);
  assert_string_equal (a.task_service, SC_TASK_V2_SERVICE);
  sc_shim_address_release (&a);
}

static void
address_without_unix_scheme_is_abstract (void **state)
{
  sc_shim_address a;
  assert_int_equal (parse ("/containerd-shim/ns/id/shim.sock", &a, NULL), 0);
  assert_true (a.abstract);
  assert_string_equal (a.name, "/containerd-shim/ns/id/shim.sock");
  sc_shim_address_release (&a);
}

static void
json_version_3_selects_task_v3 (void **state)
{
  sc_shim_address a;
  assert_int_equal (
    parse ("{\"version\":3,\"address\":\"unix:///run/s/x\",\"protocol\":\"ttrpc\"}", &a, NULL), 0);
  assert_true (a.json);
  assert_int_equal (a.version, 3);
  assert_string_equal (a.name, "/run/s/x");
  assert_string_equal (a.task_service, SC_TASK_V3_SERVICE);
  sc_shim_address_release (&a);
  assert_int_equal (parse ("{\"version\":2,\"address\":\"unix:///run/s/y\"}", &a, NULL), 0);
  assert_string_equal (a.task_service, SC_TASK_V2_SERVICE);
  assert_string_equal (a.protocol, "ttrpc");
  sc_shim_address_release (&a);
}

static void
json_below_version_2_is_an_address (void **state)
{
  sc_shim_address a;
  assert_int_equal (parse ("{\"version\":1,\"address\":\"unix:///x\"}", &a, NULL), 0);
  assert_false (a.json);
  assert_true (a.abstract);
  sc_shim_address_release (&a);
}

static void
json_unsupported_version_or_protocol_is_an_error (void **state)
{
  sc_shim_address a;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse ("{\"version\":4,\"address\":\"unix:///x\"}", &a, &err), -1);
  assert_non_null (strstr (err.msg, "unsupported version 4"));
  sc_shim_address_release (&a);
  assert_int_equal (
    parse ("{\"version\":2,\"address\":\"unix:///x\",\"protocol\":\"grpc\"}", &a, &err), -1);
  assert_non_null (strstr (err.msg, "grpc"));
  sc_shim_address_release (&a);
  assert_int_equal (parse ("{\"version\":2}", &a, &err), -1);
  assert_non_null (strstr (err.msg, "\"address\" missing"));
  sc_shim_address_release (&a);
  sc_error_release (&err);
}

static void
empty_or_multiline_output_is_rejected_with_the_output (void **state)
{
  sc_shim_address a;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse (" \n\t ", &a, &err), -1);
  assert_non_null (strstr (err.msg, "empty"));
  sc_shim_address_release (&a);
  assert_int_equal (parse ("level=info msg=starting\nunix:///x", &a, &err), -1);
  assert_non_null (strstr (err.msg, "more than one line"));
  assert_non_null (strstr (err.msg, "level=info"));
  sc_shim_address_release (&a);
  assert_int_equal (parse ("unix://relative/path", &a, &err), -1);
  assert_non_null (strstr (err.msg, "not an absolute path"));
  sc_shim_address_release (&a);
  sc_error_release (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (plain_unix_address_is_a_path_on_task_v2),
    cmocka_unit_test (address_without_unix_scheme_is_abstract),
    cmocka_unit_test (json_version_3_selects_task_v3),
    cmocka_unit_test (json_below_version_2_is_an_address),
    cmocka_unit_test (json_unsupported_version_or_protocol_is_an_error),
    cmocka_unit_test (empty_or_multiline_output_is_rejected_with_the_output),
  };
  return cmocka_run_group_tests_name ("address", tests, NULL, NULL);
}
