/* Fuzz target: an arbitrary byte stream through the ttrpc frame reassembler,
 * fed in chunks chosen by the first input byte.  Invariants: all input is
 * consumed; every complete frame's header and body are exactly the bytes at
 * its position in the stream; an oversized frame is one whose length exceeds
 * the limit.  Complete Request bodies that decode re-encode to the same
 * service and method; Response bodies go through the status decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "pb.h"
#include "status.h"
#include "ttrpc/ttrpc.pb-c.h"
#include "check.h"


int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* unknown fields of m and of every message inside it */
static void
drop_unknown_fields (ProtobufCMessage *m)
{
  for (unsigned u = 0; u < m->n_unknown_fields; u++)
    free (m->unknown_fields[u].data);
  free (m->unknown_fields);
  m->unknown_fields = NULL;
  m->n_unknown_fields = 0;
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++)
    {
      const ProtobufCFieldDescriptor *f = &d->fields[i];
      if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        continue;
      char *member = (char *) m + f->offset;
      if (f->label == PROTOBUF_C_LABEL_REPEATED)
        {
          size_t n = *(size_t *) ((char *) m + f->quantifier_offset);
          ProtobufCMessage **items = *(ProtobufCMessage ***) member;
          for (size_t k = 0; k < n; k++)
            drop_unknown_fields (items[k]);
        }
      else if (*(ProtobufCMessage **) member)
        drop_unknown_fields (*(ProtobufCMessage **) member);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  uint8_t knobs = data[0];
  data++;
  size--;
  /* a small limit half the time, so the discard path is reached */
  size_t max = (knobs & 0x80) ? 64 + (knobs & 0x3f) : 0;
  /* tiny splits (1..8 bytes) half the time, socket-like reads otherwise */
  size_t chunk = (knobs & 0x08) ? (size_t) (knobs & 0x07) + 1 : (size_t) 64 << (knobs & 0x07);
  sc_frame_reader r;
  sc_frame_reader_init (&r, max);
  size_t off = 0, frame_start = 0;
  int guard = 0;
  while (off < size)
    {
      if (sc_frame_reader_idle (&r))
        frame_start = off;
      size_t n = size - off < chunk ? size - off : chunk;
      sc_frame f;
      size_t used = 0;
      sc_frame_result res = sc_frame_reader_next (&r, data + off, n, &used, &f);
      CHECK (used <= n);
      off += used;
      if (res == SC_FRAME_COMPLETE)
        {
          CHECK (f.header.length <= r.max_data);
          CHECK (off - frame_start == SC_FRAME_HEADER_LEN + f.header.length);
          uint8_t hdr[SC_FRAME_HEADER_LEN];
          sc_frame_header_encode (&f.header, hdr);
          CHECK (memcmp (hdr, data + frame_start, SC_FRAME_HEADER_LEN) == 0);
          CHECK (f.header.length == 0
                 || memcmp (f.data, data + frame_start + SC_FRAME_HEADER_LEN, f.header.length) == 0);
          if (f.header.type == SC_MSG_REQUEST)
            {
              Ttrpc__Request *req = ttrpc__request__unpack (NULL, f.header.length, f.data);
              if (req)
                {
                  /* a decoded envelope re-encodes to a decodable one.  Unknown
                   * fields are dropped first: protobuf-c 1.4.1 accepts an
                   * overlong tag for field number 0 (80 00) as an unknown field
                   * and re-emits it canonically (00), which it then rejects
                   * (found by AFL++ CMPLOG; regressions/protobuf-c-overlong-
                   * field-zero).  We never re-emit unknown fields. */
                  drop_unknown_fields (&req->base);
                  size_t again_len;
                  uint8_t *again = sc_pb_pack (&req->base, &again_len);
                  Ttrpc__Request *r2 = ttrpc__request__unpack (NULL, again_len, again);
                  CHECK (r2 != NULL && strcmp (r2->method, req->method) == 0
                         && strcmp (r2->service, req->service) == 0);
                  ttrpc__request__free_unpacked (r2, NULL);
                  free (again);
                  ttrpc__request__free_unpacked (req, NULL);
                }
            }
          else if (f.header.type == SC_MSG_RESPONSE)
            {
              /* the result says what the envelope says, or that it is not one */
              sc_rpc_result rr = { 0 };
              sc_rpc_result_from_response (&rr, f.data, f.header.length);
              Ttrpc__Response *resp = ttrpc__response__unpack (NULL, f.header.length, f.data);
              CHECK (rr.message != NULL);
              if (resp == NULL)
                CHECK (rr.local && rr.code == SC_INTERNAL);
              else
                {
                  int code = resp->status ? resp->status->code : SC_OK;
                  CHECK (!rr.local && rr.code == code);
                  CHECK (code != SC_OK || rr.payload_len == resp->payload.len);
                  ttrpc__response__free_unpacked (resp, NULL);
                }
              sc_rpc_result_release (&rr);
            }
        }
      else if (res == SC_FRAME_OVERSIZED)
        CHECK (f.header.length > r.max_data && f.data == NULL);
      else
        CHECK (used == n);
      /* progress: a call either consumes input or completes a frame */
      guard = used == 0 && res == SC_FRAME_NEED_MORE ? guard + 1 : 0;
      CHECK (guard < 2);
    }
  sc_frame_reader_release (&r);
  return 0;
}
