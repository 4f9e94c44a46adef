/* The reference shim's runtime options (reference-shim/options.c): every type
 * containerd sends is read into one set of options, a field this shim does
 * not know is ignored with a log line naming it, and anything else is an
 * error that names the type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>

#include "containerd/runc/options.pb-c.h"
#include "containerd/runc/runctypes.pb-c.h"
#include "log.h"
#include "options.h"
#include "pb.h"

/* what the last parse_logged logged */
static char logged[512];

/* shim_options_from_any, with what it logged in `logged` */
static int
parse_logged (const Google__Protobuf__Any *any, shim_options *o, sc_error *err)
{
  int p[2];
  assert_int_equal (pipe2 (p, O_NONBLOCK), 0);
  int saved = shim_logging.fd;
  shim_logging.fd = p[1];
  int rc = shim_options_from_any (any, o, err);
  shim_logging.fd = saved;
  close (p[1]);
  ssize_t n = read (p[0], logged, sizeof (logged) - 1);
  logged[n > 0 ? n : 0] = '\0';
  close (p[0]);
  return rc;
}

static void
legacy_create_options_map_onto_the_runc_options (void **state)
{
  (void) state;
  Containerd__Linux__Runc__CreateOptions c = CONTAINERD__LINUX__RUNC__CREATE_OPTIONS__INIT;
  c.no_pivot_root = true;
  c.no_new_keyring = true;
  c.shim_cgroup = (char *) "/ns/the-shim";
  c.io_uid = 1000;
  c.io_gid = 1001;
  Google__Protobuf__Any any;
  sc_any_pack (&any, &c.base);
  shim_options o;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse_logged (&any, &o, &err), 0);
  assert_true (o.no_pivot_root);
  assert_true (o.no_new_keyring);
  assert_string_equal (o.shim_cgroup, "/ns/the-shim");
  assert_int_equal (o.io_uid, 1000);
  assert_int_equal (o.io_gid, 1001);
  assert_null (o.binary_name);
  assert_string_equal (logged, ""); /* nothing ignored: nothing said */
  shim_options_release (&o);
  sc_any_clear (&any);
}

static void
runc_v1_options_map_with_a_type_url_prefix (void **state)
{
  (void) state;
  Containerd__Runc__V1__Options r = CONTAINERD__RUNC__V1__OPTIONS__INIT;
  r.binary_name = (char *) "crun";
  r.root = (char *) "/run/x";
  r.shim_cgroup = (char *) "/ns/s";
  r.systemd_cgroup = true;
  size_t len = protobuf_c_message_get_packed_size (&r.base);
  uint8_t *buf = malloc (len);
  protobuf_c_message_pack (&r.base, buf);
  Google__Protobuf__Any any;
  /* what containerd 2.x's typeurl writes */
  sc_any_set (&any, "type.googleapis.com/containerd.runc.v1.Options", buf, len);
  free (buf);
  shim_options o;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse_logged (&any, &o, &err), 0);
  assert_string_equal (o.binary_name, "crun");
  assert_string_equal (o.root, "/run/x");
  assert_string_equal (o.shim_cgroup, "/ns/s");
  assert_true (o.systemd_cgroup);
  shim_options_release (&o);
  sc_any_clear (&any);
}

static void
an_unknown_field_is_ignored_and_named_in_the_log (void **state)
{
  (void) state;
  Containerd__Linux__Runc__CreateOptions c = CONTAINERD__LINUX__RUNC__CREATE_OPTIONS__INIT;
  c.no_pivot_root = true;
  uint8_t buf[64];
  size_t len = protobuf_c_message_pack (&c.base, buf);
  /* field 99, varint 1: a field a newer client might add */
  buf[len++] = (uint8_t) (((99 << 3) & 0x7f) | 0x80);
  buf[len++] = (uint8_t) ((99 << 3) >> 7);
  buf[len++] = 1;
  Google__Protobuf__Any any;
  sc_any_set (&any, "containerd.linux.runc.CreateOptions", buf, len);
  shim_options o;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse_logged (&any, &o, &err), 0);
  assert_true (o.no_pivot_root);
  if (strstr (logged, "field(s) 99 unknown") == NULL)
    fail_msg ("the log does not name field 99: \"%s\"", logged);
  shim_options_release (&o);
  sc_any_clear (&any);
}

static void
cri_options_are_accepted_and_mean_nothing (void **state)
{
  (void) state;
  Google__Protobuf__Any any;
  sc_any_set (&any, "runtimeoptions.v1.Options", "\x12\x03/x1", 5); /* config_path "/x1" */
  shim_options o;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse_logged (&any, &o, &err), 0);
  assert_null (o.binary_name);
  assert_null (o.shim_cgroup);
  assert_false (o.no_pivot_root);
  sc_any_clear (&any);
}

static void
an_unknown_type_is_an_error_that_names_it (void **state)
{
  (void) state;
  Google__Protobuf__Any any;
  sc_any_set (&any, "example.com/some.Other", "", 0);
  shim_options o;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (parse_logged (&any, &o, &err), -1);
  if (err.msg == NULL || strstr (err.msg, "example.com/some.Other") == NULL)
    fail_msg ("the error does not name the type: %s", err.msg ? err.msg : "(none)");
  sc_error_release (&err);
  sc_any_clear (&any);
}

static void
start_stdin_that_is_no_any_is_an_error (void **state)
{
  (void) state;
  shim_options o;
  sc_error err = SC_ERROR_INIT;
  const uint8_t junk[] = { 0xff, 0xff, 0xff };
  assert_int_equal (shim_options_from_bytes (junk, sizeof (junk), &o, &err), -1);
  assert_non_null (err.msg);
  sc_error_release (&err);
  /* nothing on stdin: the defaults */
  assert_int_equal (shim_options_from_bytes (junk, 0, &o, &err), 0);
  assert_null (o.shim_cgroup);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (legacy_create_options_map_onto_the_runc_options),
    cmocka_unit_test (runc_v1_options_map_with_a_type_url_prefix),
    cmocka_unit_test (an_unknown_field_is_ignored_and_named_in_the_log),
    cmocka_unit_test (cri_options_are_accepted_and_mean_nothing),
    cmocka_unit_test (an_unknown_type_is_an_error_that_names_it),
    cmocka_unit_test (start_stdin_that_is_no_any_is_an_error),
  };
  return cmocka_run_group_tests_name ("options", tests, NULL, NULL);
}
