/* ttrpc frame codec: a pure, I/O-free encoder/decoder of the 10-byte header
 * and a reassembler that turns an arbitrary byte stream into frames
 * (docs/shim-behaviour.md#ttrpc-streams).  This is what the fuzz targets hammer. */
#ifndef SHIMCHECK_FRAME_H
#define SHIMCHECK_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SC_FRAME_HEADER_LEN 10
#define SC_FRAME_MAX_DATA ((size_t) 4 << 20) /* ttrpc messageLengthMax */

enum sc_msg_type
{
  SC_MSG_REQUEST = 1,
  SC_MSG_RESPONSE = 2,
  SC_MSG_DATA = 3,
};

typedef struct sc_frame_header
{
  uint32_t length;    /* data length, header excluded */
  uint32_t stream_id;
  uint8_t type;
  uint8_t flags;
} sc_frame_header;

void sc_frame_header_encode (const sc_frame_header *h, uint8_t out[SC_FRAME_HEADER_LEN]);
void sc_frame_header_decode (const uint8_t in[SC_FRAME_HEADER_LEN], sc_frame_header *h);
const char *sc_msg_type_name (uint8_t type);

/* Encodes a whole frame (header + data) into a new buffer.  Fails with
 * EMSGSIZE when len exceeds max_data (pass 0 for the ttrpc maximum). */
int sc_frame_encode (uint32_t stream_id, uint8_t type, uint8_t flags, const uint8_t *data,
                     size_t len, size_t max_data, uint8_t **out, size_t *out_len,
                     sc_error *err);

typedef enum sc_frame_result
{
  SC_FRAME_NEED_MORE = 0, /* every input byte consumed, no complete frame yet */
  SC_FRAME_COMPLETE = 1,  /* out holds a frame */
  SC_FRAME_OVERSIZED = 2, /* header announced more than max_data: the body was
                             read and discarded; out->header is valid, data NULL */
  SC_FRAME_REFUSED = 3,   /* the budget had no room for it: the body was read
                             and discarded; out->header is valid, data NULL */
} sc_frame_result;

typedef struct sc_frame
{
  sc_frame_header header;
  const uint8_t *data; /* valid until the next call on the reader or the input */
} sc_frame;

/* Input shared by several readers (a server's connections): a frame body
 * that must be buffered (it spans reads) reserves its announced length here
 * when its header arrives and gives it back once delivered.  A frame over
 * `small` bytes that would pass max is discarded like an oversized one
 * (SC_FRAME_REFUSED); smaller frames always pass. */
typedef struct sc_frame_budget
{
  size_t used, max, small;
} sc_frame_budget;

typedef struct sc_frame_reader
{
  size_t max_data;
  sc_frame_budget *budget; /* NULL: none */
  size_t reserved;         /* of budget, for the frame being buffered */
  bool refusing;           /* discarding a frame the budget refused */
  uint8_t hdr[SC_FRAME_HEADER_LEN];
  size_t hdr_have;
  sc_frame_header cur;
  bool in_body;
  uint8_t *buf;
  size_t buf_cap;
  size_t buf_have;
  uint64_t discard_left;
  uint64_t frames;     /* complete frames produced */
  uint64_t oversized;  /* oversized frames discarded */
  uint64_t refused;    /* frames discarded because the budget was spent */
} sc_frame_reader;

/* max_data 0 means SC_FRAME_MAX_DATA. */
void sc_frame_reader_init (sc_frame_reader *r, size_t max_data);
void sc_frame_reader_release (sc_frame_reader *r);
/* Attaches a shared budget (NULL detaches, giving back what r holds). */
void sc_frame_reader_set_budget (sc_frame_reader *r, sc_frame_budget *b);
/* True when the reader sits between frames (no partial header or body). */
bool sc_frame_reader_idle (const sc_frame_reader *r);

/* Consumes input up to the end of at most one frame.  *consumed is how many
 * bytes of `in` were used; call again with the rest.  Never fails: every byte
 * sequence is either a frame, an oversized frame, or a prefix of one. */
sc_frame_result sc_frame_reader_next (sc_frame_reader *r, const uint8_t *in, size_t len,
                                      size_t *consumed, sc_frame *out);

#endif
