/* Status mapping and the wire facts of docs/shim-behaviour.md#ttrpc-errors: Response
 * decoding (absent status = OK), code names, errno mapping, Go zero time,
 * Any with bare type URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "containerd/events/task.pb-c.h"
#include "containerd/task/shim.pb-c.h"
#include "pb.h"
#include "status.h"

static void
response_without_status_is_ok_and_keeps_payload (void **state)
{
  /* observed runc-v2 Connect reply body: only field 2 (payload) */
  const uint8_t body[] = { 0x12, 0x03, 0x08, 0xd9, 0x69 };
  sc_rpc_result r = { 0 };
  sc_rpc_result_from_response (&r, body, sizeof (body));
  assert_int_equal (r.code, SC_OK);
  assert_false (r.local);
  assert_int_equal (r.payload_len, 3);
  Containerd__Task__V2__ConnectResponse *c
    = containerd__task__v2__connect_response__unpack (NULL, r.payload_len, r.payload);
  assert_non_null (c);
  assert_int_equal (c->shim_pid, 13529);
  containerd__task__v2__connect_response__free_unpacked (c, NULL);
  sc_rpc_result_release (&r);
}

static void
zero_length_response_is_ok_empty (void **state)
{
  sc_rpc_result r = { 0 };
  sc_rpc_result_from_response (&r, (const uint8_t *) "", 0);
  assert_int_equal (r.code, SC_OK);
  assert_int_equal (r.payload_len, 0);
  sc_rpc_result_release (&r);
}

static void
error_status_keeps_code_and_message_and_drops_payload (void **state)
{
  /* observed: 0a 24 08 05 12 20 "container not created: not found" */
  const char msg[] = "container not created: not found";
  uint8_t body[64] = { 0x0a, 0x24, 0x08, 0x05, 0x12, 0x20 };
  memcpy (body + 6, msg, 32);
  sc_rpc_result r = { 0 };
  sc_rpc_result_from_response (&r, body, 38);
  assert_int_equal (r.code, SC_NOT_FOUND);
  assert_string_equal (r.message, msg);
  assert_null (r.payload);
  char *d = sc_rpc_result_describe (&r);
  assert_string_equal (d, "NotFound: container not created: not found");
  free (d);
  sc_rpc_result_release (&r);
}

static void
status_with_code_zero_counts_as_ok (void **state)
{
  /* status {code 0, message "x"} plus a payload */
  const uint8_t body[] = { 0x0a, 0x03, 0x12, 0x01, 'x', 0x12, 0x02, 0x08, 0x01 };
  sc_rpc_result r = { 0 };
  sc_rpc_result_from_response (&r, body, sizeof (body));
  assert_int_equal (r.code, SC_OK);
  assert_int_equal (r.payload_len, 2);
  sc_rpc_result_release (&r);
}

static void
garbage_response_is_local_internal_error (void **state)
{
  const uint8_t body[] = { 0x0a, 0xff, 0xff, 0xff };
  sc_rpc_result r = { 0 };
  sc_rpc_result_from_response (&r, body, sizeof (body));
  assert_int_equal (r.code, SC_INTERNAL);
  assert_true (r.local);
  assert_non_null (strstr (r.message, "not a ttrpc.Response"));
  sc_rpc_result_release (&r);
}

static void
code_names_round_trip_in_every_spelling (void **state)
{
  for (int c = 0; c <= 16; c++)
    assert_int_equal (sc_code_from_name (sc_code_name (c)), c);
  assert_string_equal (sc_code_name (5), "NotFound");
  assert_string_equal (sc_code_name (12), "Unimplemented");
  assert_int_equal (sc_code_from_name ("NOT_FOUND"), 5);
  assert_int_equal (sc_code_from_name ("failed_precondition"), 9);
  assert_int_equal (sc_code_from_name ("8"), 8);
  assert_int_equal (sc_code_from_name ("17"), -1);
  assert_int_equal (sc_code_from_name ("NoSuchCode"), -1);
  assert_string_equal (sc_code_name (42), "Code(42)");
}

static void
errno_maps_like_ttrpc_convert_code (void **state)
{
  assert_int_equal (sc_code_from_errno (ENOENT), SC_NOT_FOUND);
  assert_int_equal (sc_code_from_errno (EEXIST), SC_ALREADY_EXISTS);
  assert_int_equal (sc_code_from_errno (EACCES), SC_PERMISSION_DENIED);
  assert_int_equal (sc_code_from_errno (EINVAL), SC_INVALID_ARGUMENT);
  assert_int_equal (sc_code_from_errno (EPIPE), SC_FAILED_PRECONDITION);
  assert_int_equal (sc_code_from_errno (EIO), SC_UNKNOWN);
  assert_int_equal (sc_code_from_errno (0), SC_OK);
}

static void
go_zero_time_encodes_as_ten_byte_negative_varint (void **state)
{
  Google__Protobuf__Timestamp ts;
  sc_ts_set_go_zero (&ts);
  size_t len;
  uint8_t *b = sc_pb_pack (&ts.base, &len);
  const uint8_t want[] = { 0x08, 0x80, 0x92, 0xb8, 0xc3, 0x98, 0xfe, 0xff, 0xff, 0xff, 0x01 };
  assert_int_equal (len, sizeof (want));
  assert_memory_equal (b, want, sizeof (want));
  Google__Protobuf__Timestamp *back = google__protobuf__timestamp__unpack (NULL, len, b);
  assert_true (sc_ts_is_go_zero (back));
  assert_false (sc_ts_is_set (back));
  google__protobuf__timestamp__free_unpacked (back, NULL);
  free (b);
  Google__Protobuf__Timestamp now;
  sc_ts_now (&now);
  assert_true (sc_ts_is_set (&now));
}

static void
any_uses_bare_type_url_and_accepts_host_prefix (void **state)
{
  Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
  ev.container_id = (char *) "c1";
  ev.pid = 42;
  Google__Protobuf__Any any;
  sc_any_pack (&any, &ev.base);
  assert_string_equal (any.type_url, "containerd.events.TaskStart");
  Containerd__Events__TaskStart *back
    = (void *) sc_any_unpack (&any, &containerd__events__task_start__descriptor);
  assert_non_null (back);
  assert_string_equal (back->container_id, "c1");
  assert_int_equal (back->pid, 42);
  protobuf_c_message_free_unpacked (&back->base, NULL);
  /* wrong type: no unpack */
  assert_null (sc_any_unpack (&any, &containerd__events__task_exit__descriptor));
  char *prefixed = strdup ("type.googleapis.com/containerd.events.TaskStart");
  free (any.type_url);
  any.type_url = prefixed;
  assert_ptr_equal (sc_pb_lookup_type (any.type_url), &containerd__events__task_start__descriptor);
  back = (void *) sc_any_unpack (&any, &containerd__events__task_start__descriptor);
  assert_non_null (back);
  protobuf_c_message_free_unpacked (&back->base, NULL);
  sc_any_clear (&any);
  /* JSON spec URLs are names, not host prefixes */
  assert_string_equal (sc_any_type_name ("types.containerd.io/opencontainers/runtime-spec/1/Process"),
                       "types.containerd.io/opencontainers/runtime-spec/1/Process");
  assert_null (sc_pb_lookup_type ("types.containerd.io/opencontainers/runtime-spec/1/Process"));
}

static void
task_service_descriptor_lists_all_17_rpcs (void **state)
{
  static const char *const rpcs[]
    = { "State", "Create",    "Start",   "Delete",  "Pids",   "Pause",
        "Resume", "Checkpoint", "Kill",  "Exec",    "ResizePty", "CloseIO",
        "Update", "Wait",      "Stats",  "Connect", "Shutdown" };
  assert_int_equal (containerd__task__v2__task__descriptor.n_methods, 17);
  for (size_t i = 0; i < 17; i++)
    assert_non_null (protobuf_c_service_descriptor_get_method_by_name (
      &containerd__task__v2__task__descriptor, rpcs[i]));
}

static void
messages_become_valid_utf8_and_valid_text_is_kept (void **state)
{
  /* kept: ASCII, 2/3/4-byte sequences */
  assert_true (sc_utf8_valid ("container x: not found"));
  assert_true (sc_utf8_valid ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  char *same = sc_utf8_sanitize ("caf\xc3\xa9 \xf0\x9f\x98\x80");
  assert_string_equal (same, "caf\xc3\xa9 \xf0\x9f\x98\x80");
  free (same);
  /* replaced: stray continuation, truncated sequence, overlong, surrogate,
   * above U+10FFFF, 0xff (what made containerd-shim-runc-v2 drop its connection) */
  static const char *const bad[] = { "\x80", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff\xfe" };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      assert_false (sc_utf8_valid (bad[i]));
      char *m = sc_utf8_sanitize (bad[i]);
      assert_true (sc_utf8_valid (m));
      assert_int_equal (strspn (m, "?"), strlen (m));
      free (m);
    }
  char *m = sc_utf8_sanitize ("container \xff\xfe: not created");
  assert_string_equal (m, "container ??: not created");
  free (m);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (response_without_status_is_ok_and_keeps_payload),
    cmocka_unit_test (zero_length_response_is_ok_empty),
    cmocka_unit_test (error_status_keeps_code_and_message_and_drops_payload),
    cmocka_unit_test (status_with_code_zero_counts_as_ok),
    cmocka_unit_test (garbage_response_is_local_internal_error),
    cmocka_unit_test (code_names_round_trip_in_every_spelling),
    cmocka_unit_test (errno_maps_like_ttrpc_convert_code),
    cmocka_unit_test (go_zero_time_encodes_as_ten_byte_negative_varint),
    cmocka_unit_test (any_uses_bare_type_url_and_accepts_host_prefix),
    cmocka_unit_test (task_service_descriptor_lists_all_17_rpcs),
    cmocka_unit_test (messages_become_valid_utf8_and_valid_text_is_kept),
  };
  return cmocka_run_group_tests_name ("status", tests, NULL, NULL);
}
