/* Frame codec: header layout, round trips, size boundaries, reassembly of a
 * byte stream split at every offset, unknown types passed through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "frame.h"

static void
header_layout_is_big_endian_len_stream_type_flags (void **state)
{
  /* the observed Connect reply header: 00000005 00000001 02 00 */
  sc_frame_header h = { 5, 1, SC_MSG_RESPONSE, 0 };
  uint8_t b[SC_FRAME_HEADER_LEN];
  sc_frame_header_encode (&h, b);
  const uint8_t want[] = { 0, 0, 0, 5, 0, 0, 0, 1, 2, 0 };
  assert_memory_equal (b, want, sizeof (want));

  const uint8_t in[] = { 0x00, 0x40, 0x00, 0x00, 0x12, 0x34, 0x56, 0x79, 0x03, 0x05 };
  sc_frame_header d;
  sc_frame_header_decode (in, &d);
  assert_int_equal (d.length, 4u << 20);
  assert_int_equal (d.stream_id, 0x12345679u);
  assert_int_equal (d.type, SC_MSG_DATA);
  assert_int_equal (d.flags, 5);
}

static void
encode_then_read_round_trips_payload_and_header (void **state)
{
  const uint8_t payload[] = "hello ttrpc";
  uint8_t *buf;
  size_t len;
  assert_int_equal (sc_frame_encode (7, SC_MSG_REQUEST, 0, payload, sizeof (payload), 0, &buf,
                                     &len, NULL),
                    0);
  assert_int_equal (len, SC_FRAME_HEADER_LEN + sizeof (payload));
  sc_frame_reader r;
  sc_frame_reader_init (&r, 0);
  sc_frame f;
  size_t used;
  assert_int_equal (sc_frame_reader_next (&r, buf, len, &used, &f), SC_FRAME_COMPLETE);
  assert_int_equal (used, len);
  assert_int_equal (f.header.stream_id, 7);
  assert_int_equal (f.header.type, SC_MSG_REQUEST);
  assert_int_equal (f.header.length, sizeof (payload));
  assert_memory_equal (f.data, payload, sizeof (payload));
  assert_true (sc_frame_reader_idle (&r));
  sc_frame_reader_release (&r);
  free (buf);
}

static void
zero_length_frame_is_complete_with_no_body (void **state)
{
  uint8_t *buf;
  size_t len;
  assert_int_equal (sc_frame_encode (1, SC_MSG_RESPONSE, 0, NULL, 0, 0, &buf, &len, NULL), 0);
  assert_int_equal (len, SC_FRAME_HEADER_LEN);
  sc_frame_reader r;
  sc_frame_reader_init (&r, 0);
  sc_frame f;
  size_t used;
  /* header delivered in two pieces forces the slow path */
  assert_int_equal (sc_frame_reader_next (&r, buf, 4, &used, &f), SC_FRAME_NEED_MORE);
  assert_int_equal (used, 4);
  assert_int_equal (sc_frame_reader_next (&r, buf + 4, len - 4, &used, &f), SC_FRAME_COMPLETE);
  assert_int_equal (f.header.length, 0);
  assert_non_null (f.data);
  sc_frame_reader_release (&r);
  free (buf);
}

static void
exactly_4mib_is_accepted_both_ways (void **state)
{
  size_t n = SC_FRAME_MAX_DATA;
  uint8_t *payload = malloc (n);
  for (size_t i = 0; i < n; i++)
    payload[i] = (uint8_t) (i * 31);
  uint8_t *buf;
  size_t len;
  assert_int_equal (sc_frame_encode (3, SC_MSG_REQUEST, 0, payload, n, 0, &buf, &len, NULL), 0);
  sc_frame_reader r;
  sc_frame_reader_init (&r, 0);
  sc_frame f;
  size_t used, off = 0;
  sc_frame_result res = SC_FRAME_NEED_MORE;
  /* in 64 KiB reads, as a socket would deliver it */
  while (off < len && res == SC_FRAME_NEED_MORE)
    {
      size_t chunk = len - off < 65536 ? len - off : 65536;
      res = sc_frame_reader_next (&r, buf + off, chunk, &used, &f);
      off += used;
    }
  assert_int_equal (res, SC_FRAME_COMPLETE);
  assert_int_equal (off, len);
  assert_int_equal (f.header.length, n);
  assert_memory_equal (f.data, payload, n);
  sc_frame_reader_release (&r);
  free (buf);
  free (payload);
}

static void
encoding_4mib_plus_1_fails_with_emsgsize (void **state)
{
  size_t n = SC_FRAME_MAX_DATA + 1;
  uint8_t *payload = calloc (1, n);
  uint8_t *buf = NULL;
  size_t len = 0;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_frame_encode (3, SC_MSG_REQUEST, 0, payload, n, 0, &buf, &len, &err), -1);
  assert_int_equal (err.errnum, EMSGSIZE);
  assert_non_null (strstr (err.msg, "4194305 exceed maximum message size of 4194304"));
  assert_null (buf);
  sc_error_release (&err);
  free (payload);
}

static void
reading_4mib_plus_1_discards_body_then_next_frame_is_intact (void **state)
{
  size_t n = SC_FRAME_MAX_DATA + 1;
  size_t total = SC_FRAME_HEADER_LEN + n + SC_FRAME_HEADER_LEN + 3;
  uint8_t *stream = calloc (1, total);
  sc_frame_header big = { (uint32_t) n, 5, SC_MSG_REQUEST, 0 };
  sc_frame_header_encode (&big, stream);
  memset (stream + SC_FRAME_HEADER_LEN, 0xAB, n);
  sc_frame_header small = { 3, 7, SC_MSG_REQUEST, 0 };
  sc_frame_header_encode (&small, stream + SC_FRAME_HEADER_LEN + n);
  memcpy (stream + total - 3, "abc", 3);

  sc_frame_reader r;
  sc_frame_reader_init (&r, 0);
  sc_frame f;
  size_t used, off = 0;
  int oversized = 0, complete = 0;
  while (off < total)
    {
      size_t chunk = total - off < 100000 ? total - off : 100000;
      sc_frame_result res = sc_frame_reader_next (&r, stream + off, chunk, &used, &f);
      off += used;
      if (res == SC_FRAME_OVERSIZED)
        {
          oversized++;
          assert_int_equal (f.header.stream_id, 5);
          assert_int_equal (f.header.length, n);
          assert_null (f.data);
          assert_int_equal (complete, 0);
        }
      else if (res == SC_FRAME_COMPLETE)
        {
          complete++;
          assert_int_equal (f.header.stream_id, 7);
          assert_memory_equal (f.data, "abc", 3);
        }
    }
  assert_int_equal (oversized, 1);
  assert_int_equal (complete, 1);
  assert_int_equal (r.oversized, 1);
  assert_true (sc_frame_reader_idle (&r));
  sc_frame_reader_release (&r);
  free (stream);
}

static void
nonzero_reserved_byte_means_oversized (void **state)
{
  /* 0x01000000 = 16 MiB: the reserved first byte is only ever 0 */
  const uint8_t hdr[] = { 0x01, 0, 0, 0, 0, 0, 0, 9, 1, 0 };
  sc_frame_reader r;
  sc_frame_reader_init (&r, 0);
  sc_frame f;
  size_t used;
  assert_int_equal (sc_frame_reader_next (&r, hdr, sizeof (hdr), &used, &f), SC_FRAME_NEED_MORE);
  assert_int_equal (used, sizeof (hdr));
  assert_false (sc_frame_reader_idle (&r));
  assert_int_equal (r.discard_left, 1u << 24);
  sc_frame_reader_release (&r);
}

/* three frames of different sizes, one with an unknown type */
static uint8_t *
three_frames (size_t *len)
{
  static const char *bodies[] = { "", "x", "a longer body of several bytes" };
  static const uint8_t types[] = { SC_MSG_REQUEST, 0x7f, SC_MSG_RESPONSE };
  uint8_t *out = NULL;
  size_t n = 0;
  for (int i = 0; i < 3; i++)
    {
      uint8_t *b;
      size_t bl;
      sc_frame_encode ((uint32_t) (2 * i + 1), types[i], (uint8_t) i, (const uint8_t *) bodies[i],
                       strlen (bodies[i]), 0, &b, &bl, NULL);
      out = realloc (out, n + bl);
      memcpy (out + n, b, bl);
      n += bl;
      free (b);
    }
  *len = n;
  return out;
}

static int
feed (sc_frame_reader *r, const uint8_t *in, size_t len, uint32_t *ids, uint8_t *types,
      size_t *lens)
{
  int got = 0;
  size_t off = 0;
  while (off < len)
    {
      sc_frame f;
      size_t used;
      sc_frame_result res = sc_frame_reader_next (r, in + off, len - off, &used, &f);
      off += used;
      if (res == SC_FRAME_COMPLETE)
        {
          ids[got] = f.header.stream_id;
          types[got] = f.header.type;
          lens[got] = f.header.length;
          got++;
        }
      else if (res == SC_FRAME_NEED_MORE)
        assert_int_equal (off, len);
    }
  return got;
}

static void
stream_split_at_every_offset_yields_same_frames (void **state)
{
  size_t len;
  uint8_t *s = three_frames (&len);
  for (size_t split = 0; split <= len; split++)
    {
      sc_frame_reader r;
      sc_frame_reader_init (&r, 0);
      uint32_t ids[3];
      uint8_t types[3];
      size_t lens[3];
      int got = feed (&r, s, split, ids, types, lens);
      got += feed (&r, s + split, len - split, ids + got, types + got, lens + got);
      assert_int_equal (got, 3);
      assert_int_equal (ids[0], 1);
      assert_int_equal (ids[1], 3);
      assert_int_equal (ids[2], 5);
      assert_int_equal (types[1], 0x7f); /* unknown types are not the codec's business */
      assert_int_equal (lens[0], 0);
      assert_int_equal (lens[1], 1);
      assert_int_equal (lens[2], strlen ("a longer body of several bytes"));
      assert_true (sc_frame_reader_idle (&r));
      sc_frame_reader_release (&r);
    }
  free (s);
}

static void
stream_fed_one_byte_at_a_time_yields_same_frames (void **state)
{
  size_t len;
  uint8_t *s = three_frames (&len);
  sc_frame_reader r;
  sc_frame_reader_init (&r, 0);
  int got = 0;
  for (size_t i = 0; i < len; i++)
    {
      uint32_t ids[3];
      uint8_t types[3];
      size_t lens[3];
      got += feed (&r, s + i, 1, ids, types, lens);
    }
  assert_int_equal (got, 3);
  assert_int_equal (r.frames, 3);
  sc_frame_reader_release (&r);
  free (s);
}

static void
announced_length_is_not_allocated_before_the_bytes_arrive (void **state)
{
  /* a peer that sends only a header claiming 4 MiB costs us little */
  sc_frame_reader r;
  sc_frame_reader_init (&r, 0);
  uint8_t hdr[SC_FRAME_HEADER_LEN + 3];
  sc_frame_header h = { (uint32_t) SC_FRAME_MAX_DATA, 1, SC_MSG_REQUEST, 0 };
  sc_frame_header_encode (&h, hdr);
  memcpy (hdr + SC_FRAME_HEADER_LEN, "abc", 3);
  sc_frame f;
  size_t used;
  assert_int_equal (sc_frame_reader_next (&r, hdr, sizeof (hdr), &used, &f), SC_FRAME_NEED_MORE);
  assert_true (r.buf_cap < 4096);
  sc_frame_reader_release (&r);
}

static void
custom_limit_is_enforced (void **state)
{
  sc_frame_reader r;
  sc_frame_reader_init (&r, 16);
  uint8_t buf[SC_FRAME_HEADER_LEN + 17];
  sc_frame_header h = { 17, 1, 1, 0 };
  sc_frame_header_encode (&h, buf);
  memset (buf + SC_FRAME_HEADER_LEN, 'z', 17);
  sc_frame f;
  size_t used;
  assert_int_equal (sc_frame_reader_next (&r, buf, sizeof (buf), &used, &f), SC_FRAME_OVERSIZED);
  assert_int_equal (used, sizeof (buf));
  sc_frame_reader_release (&r);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (header_layout_is_big_endian_len_stream_type_flags),
    cmocka_unit_test (encode_then_read_round_trips_payload_and_header),
    cmocka_unit_test (zero_length_frame_is_complete_with_no_body),
    cmocka_unit_test (exactly_4mib_is_accepted_both_ways),
    cmocka_unit_test (encoding_4mib_plus_1_fails_with_emsgsize),
    cmocka_unit_test (reading_4mib_plus_1_discards_body_then_next_frame_is_intact),
    cmocka_unit_test (nonzero_reserved_byte_means_oversized),
    cmocka_unit_test (stream_split_at_every_offset_yields_same_frames),
    cmocka_unit_test (stream_fed_one_byte_at_a_time_yields_same_frames),
    cmocka_unit_test (announced_length_is_not_allocated_before_the_bytes_arrive),
    cmocka_unit_test (custom_limit_is_enforced),
  };
  return cmocka_run_group_tests_name ("frame", tests, NULL, NULL);
}
