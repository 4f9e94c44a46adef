/* start output parsing, as each containerd profile (1.6 ... 2.3) reads it
 * (docs/shim-behaviour.md#start, docs/containerd-versions.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "address.h"
#include "containerd/bootstrap/bootstrap.pb-c.h"
#include "services.h"

static int
parse_as (const char *version, const char *s, size_t len, sc_shim_address *a, sc_error *err)
{
  const sc_profile *p = sc_profile_find (version);
  assert_non_null (p);
  return sc_shim_address_parse (s, len, p, a, err);
}

static int
parse (const char *s, sc_shim_address *a, sc_error *err)
{
  return parse_as ("2.1", s, strlen (s), a, err);
}

/* a packed BootstrapResult, as a 2.3 shim prints it */
static size_t
result_bytes (int version, const char *address, const char *protocol, uint8_t *buf, size_t cap)
{
  Containerd__Runtime__Bootstrap__V1__BootstrapResult r
    = CONTAINERD__RUNTIME__BOOTSTRAP__V1__BOOTSTRAP_RESULT__INIT;
  r.version = version;
  r.address = (char *) address;
  r.protocol = (char *) protocol;
  size_t n = containerd__runtime__bootstrap__v1__bootstrap_result__get_packed_size (&r);
  assert_true (n <= cap);
  containerd__runtime__bootstrap__v1__bootstrap_result__pack (&r, buf);
  return n;
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
  assert_non_null (strstr (err.msg, "shim version 4, which containerd 2.1 refuses"));
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

static void
containerd_17_refuses_version_3_and_20_accepts_it (void **state)
{
  const char *v3 = "{\"version\":3,\"address\":\"unix:///run/s/x\",\"protocol\":\"ttrpc\"}";
  sc_shim_address a;
  sc_error err = SC_ERROR_INIT;
  /* core/runtime/v2/shim.go at v1.7.24: version > 2 is ErrNotImplemented */
  assert_int_equal (parse_as ("1.7", v3, strlen (v3), &a, &err), -1);
  assert_non_null (strstr (err.msg, "shim version 3, which containerd 1.7 refuses"));
  sc_shim_address_release (&a);
  for (const char *const *v = (const char *const[]){ "2.0", "2.1", "2.2", "2.3", NULL }; *v; v++)
    {
      assert_int_equal (parse_as (*v, v3, strlen (v3), &a, NULL), 0);
      assert_string_equal (a.task_service, SC_TASK_V3_SERVICE);
      sc_shim_address_release (&a);
    }
  /* 1.6 cannot read JSON at all; it is read as 1.7+ would so that the
   * catalogue can judge it (bootstrap.containerd16-address) */
  assert_int_equal (parse_as ("1.6", v3, strlen (v3), &a, NULL), 0);
  assert_true (a.json);
  sc_shim_address_release (&a);
  sc_error_release (&err);
}

static void
containerd_23_reads_a_protobuf_result_first (void **state)
{
  uint8_t buf[256];
  size_t n = result_bytes (3, "unix:///run/containerd/s/abc", "ttrpc", buf, sizeof (buf));
  sc_shim_address a;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse_as ("2.3", (const char *) buf, n, &a, &err), 0);
  assert_true (a.protobuf);
  assert_false (a.json);
  assert_int_equal (a.version, 3);
  assert_string_equal (a.name, "/run/containerd/s/abc");
  assert_string_equal (a.task_service, SC_TASK_V3_SERVICE);
  sc_shim_address_release (&a);
  /* the legacy forms still work under 2.3 (containerd falls back) */
  assert_int_equal (parse_as ("2.3", "unix:///run/s/p\n", 16, &a, &err), 0);
  assert_false (a.protobuf);
  assert_string_equal (a.name, "/run/s/p");
  sc_shim_address_release (&a);
  /* before 2.3 nobody decodes protobuf: the bytes are no usable address */
  int rc = parse_as ("2.2", (const char *) buf, n, &a, &err);
  assert_true (rc < 0 || a.abstract);
  assert_false (a.protobuf);
  sc_shim_address_release (&a);
  /* a result without an address, with grpc, or with version 4: refused with the reason */
  n = result_bytes (3, "", "ttrpc", buf, sizeof (buf));
  assert_int_equal (parse_as ("2.3", (const char *) buf, n, &a, &err), -1);
  assert_non_null (strstr (err.msg, "no address"));
  sc_shim_address_release (&a);
  n = result_bytes (3, "unix:///x", "grpc", buf, sizeof (buf));
  assert_int_equal (parse_as ("2.3", (const char *) buf, n, &a, &err), -1);
  assert_non_null (strstr (err.msg, "grpc"));
  sc_shim_address_release (&a);
  n = result_bytes (4, "unix:///x", "ttrpc", buf, sizeof (buf));
  assert_int_equal (parse_as ("2.3", (const char *) buf, n, &a, &err), -1);
  assert_non_null (strstr (err.msg, "unsupported shim version 4"));
  sc_shim_address_release (&a);
  sc_error_release (&err);
}

static void
profiles_are_found_by_minor_version (void **state)
{
  assert_string_equal (sc_profile_find ("2.1")->name, "2.1");
  assert_string_equal (sc_profile_find ("v2.1.9")->name, "2.1");
  assert_string_equal (sc_profile_find ("1.6.20")->name, "1.6");
  assert_null (sc_profile_find ("1.5"));
  assert_null (sc_profile_find ("2"));
  assert_null (sc_profile_find ("2.x"));
  assert_null (sc_profile_find (""));
  /* the default is the newest one proven against a real containerd */
  const sc_profile *d = sc_profile_default ();
  assert_non_null (d->proven);
  for (int i = 0; i < sc_profiles_len; i++)
    if (sc_profiles[i].proven)
      assert_true (sc_profiles[i].rank <= d->rank);
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
    cmocka_unit_test (containerd_17_refuses_version_3_and_20_accepts_it),
    cmocka_unit_test (containerd_23_reads_a_protobuf_result_first),
    cmocka_unit_test (profiles_are_found_by_minor_version),
  };
  return cmocka_run_group_tests_name ("address", tests, NULL, NULL);
}
