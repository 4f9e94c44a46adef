/* Fuzz target: an arbitrary byte stream through the ttrpc frame reassembler
 * (the frame codec only: what the envelopes inside hold is the
 * events_and_bootstrap target's business).  The first input byte picks the
 * frame limit and seeds the read sizes: every read is either tiny (1..8
 * bytes, so headers and bodies are cut anywhere) or socket-like (64 B ..
 * 8 KiB), mixed at random like a busy socket.  Invariants: all input is
 * consumed; every complete frame's header and body are exactly the bytes at
 * its position in the stream; an oversized frame is one whose length exceeds
 * the limit and hands out no body; every call either consumes input or
 * completes a frame; the reader's counters match what it handed out and it
 * is idle exactly when the stream ends on a frame boundary.  With knob 0x40
 * the reader draws on a small shared input budget, partly spent by "other
 * connections": a refused frame is within the limit, over the budget's
 * free size, hands out no body, and the budget is back where it was at the
 * end.  The target's own
 * loop is left out of the coverage map: its branches are not the code under
 * test and must not make the fuzzer keep inputs for them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frame.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

SC_FUZZ_NO_COVERAGE int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  uint8_t knobs = data[0];
  data++;
  size--;
  /* a small limit half the time, so the discard path is reached */
  size_t max = (knobs & 0x80) ? 64 + (knobs & 0x3f) : 0;
  uint32_t rng = 0x9e3779b9u ^ knobs ^ ((uint32_t) size << 8);
  sc_frame_reader r;
  sc_frame_reader_init (&r, max);
  /* 0x40: a budget of 32..95 bytes with 0..31 already spent elsewhere */
  size_t spent = knobs & 0x1f;
  sc_frame_budget budget = { spent, 32 + (knobs & 0x3f), 8 };
  if (knobs & 0x40)
    sc_frame_reader_set_budget (&r, &budget);
  size_t off = 0, frame_start = 0;
  uint64_t frames = 0, oversized = 0, refused = 0;
  int guard = 0;
  while (off < size)
    {
      /* xorshift32: the next read's size */
      rng ^= rng << 13;
      rng ^= rng >> 17;
      rng ^= rng << 5;
      size_t chunk = (rng & 1) ? 1 + ((rng >> 1) & 7) : (size_t) 64 << ((rng >> 4) & 7);
      size_t n = size - off < chunk ? size - off : chunk;
      sc_frame f;
      size_t used = 0;
      sc_frame_result res = sc_frame_reader_next (&r, data + off, n, &used, &f);
      CHECK (used <= n);
      off += used;
      if (res == SC_FRAME_COMPLETE)
        {
          frames++;
          CHECK (f.header.length <= r.max_data);
          CHECK (off - frame_start == SC_FRAME_HEADER_LEN + f.header.length);
          uint8_t hdr[SC_FRAME_HEADER_LEN];
          sc_frame_header_encode (&f.header, hdr);
          CHECK (memcmp (hdr, data + frame_start, SC_FRAME_HEADER_LEN) == 0);
          CHECK (f.header.length == 0
                 || memcmp (f.data, data + frame_start + SC_FRAME_HEADER_LEN, f.header.length) == 0);
          frame_start = off;
        }
      else if (res == SC_FRAME_OVERSIZED)
        {
          oversized++;
          CHECK (f.header.length > r.max_data && f.data == NULL);
          CHECK (off - frame_start == SC_FRAME_HEADER_LEN + (size_t) f.header.length);
          frame_start = off;
        }
      else if (res == SC_FRAME_REFUSED)
        {
          refused++;
          CHECK (r.budget != NULL && f.data == NULL);
          CHECK (f.header.length <= r.max_data && f.header.length > budget.small);
          CHECK (off - frame_start == SC_FRAME_HEADER_LEN + (size_t) f.header.length);
          frame_start = off;
        }
      else
        CHECK (used == n);
      /* a reservation is the frame being buffered; past `small`, within max */
      CHECK (budget.used == spent + r.reserved);
      CHECK (r.reserved <= budget.small || budget.used <= budget.max);
      /* progress: a call either consumes input or completes a frame */
      guard = used == 0 && res == SC_FRAME_NEED_MORE ? guard + 1 : 0;
      CHECK (guard < 2);
    }
  CHECK (r.frames == frames && r.oversized == oversized && r.refused == refused);
  /* the reader is between frames exactly when the stream ended on a boundary */
  CHECK (sc_frame_reader_idle (&r) == (frame_start == size));
  sc_frame_reader_release (&r);
  CHECK (budget.used == spent);
  return 0;
}
