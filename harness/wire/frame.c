#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void
put_be32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) (v >> 24);
  p[1] = (uint8_t) (v >> 16);
  p[2] = (uint8_t) (v >> 8);
  p[3] = (uint8_t) v;
}

static uint32_t
get_be32 (const uint8_t *p)
{
  return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8)
         | (uint32_t) p[3];
}

void
sc_frame_header_encode (const sc_frame_header *h, uint8_t out[SC_FRAME_HEADER_LEN])
{
  put_be32 (out, h->length);
  put_be32 (out + 4, h->stream_id);
  out[8] = h->type;
  out[9] = h->flags;
}

void
sc_frame_header_decode (const uint8_t in[SC_FRAME_HEADER_LEN], sc_frame_header *h)
{
  h->length = get_be32 (in);
  h->stream_id = get_be32 (in + 4);
  h->type = in[8];
  h->flags = in[9];
}

const char *
sc_msg_type_name (uint8_t type)
{
  switch (type)
    {
    case SC_MSG_REQUEST:
      return "request";
    case SC_MSG_RESPONSE:
      return "response";
    case SC_MSG_DATA:
      return "data";
    default:
      return "unknown";
    }
}

int
sc_frame_encode (uint32_t stream_id, uint8_t type, uint8_t flags, const uint8_t *data,
                 size_t len, size_t max_data, uint8_t **out, size_t *out_len, sc_error *err)
{
  if (max_data == 0)
    max_data = SC_FRAME_MAX_DATA;
  if (len > max_data)
    return sc_error_make (err, EMSGSIZE,
                          "message length %zu exceed maximum message size of %zu", len,
                          max_data);
  uint8_t *buf = sc_xmalloc (SC_FRAME_HEADER_LEN + len);
  sc_frame_header h = { (uint32_t) len, stream_id, type, flags };
  sc_frame_header_encode (&h, buf);
  if (len > 0)
    memcpy (buf + SC_FRAME_HEADER_LEN, data, len);
  *out = buf;
  *out_len = SC_FRAME_HEADER_LEN + len;
  return 0;
}

void
sc_frame_reader_init (sc_frame_reader *r, size_t max_data)
{
  memset (r, 0, sizeof (*r));
  r->max_data = max_data ? max_data : SC_FRAME_MAX_DATA;
}

/* a reader keeps a body buffer this big between frames; a bigger one goes */
#define SC_FRAME_BUF_KEEP ((size_t) 64 << 10)

static void
give_back (sc_frame_reader *r)
{
  if (r->budget)
    r->budget->used -= r->reserved;
  r->reserved = 0;
}

void
sc_frame_reader_release (sc_frame_reader *r)
{
  give_back (r);
  free (r->buf);
  r->buf = NULL;
  r->buf_cap = 0;
}

void
sc_frame_reader_set_budget (sc_frame_reader *r, sc_frame_budget *b)
{
  give_back (r);
  r->budget = b;
}

/* may a body of len bytes be buffered? (reserves it if so) */
static bool
reserve (sc_frame_reader *r, size_t len)
{
  if (r->budget == NULL)
    return true;
  if (len > r->budget->small && r->budget->used + len > r->budget->max)
    return false;
  r->budget->used += len;
  r->reserved = len;
  return true;
}

bool
sc_frame_reader_idle (const sc_frame_reader *r)
{
  return r->hdr_have == 0 && !r->in_body && r->discard_left == 0;
}

sc_frame_result
sc_frame_reader_next (sc_frame_reader *r, const uint8_t *in, size_t len, size_t *consumed,
                      sc_frame *out)
{
  size_t used = 0;

  /* the frame delivered by the last call is gone: its reservation, and a
   * buffer a big frame grew, with it */
  if (!r->in_body && r->reserved)
    give_back (r);
  if (!r->in_body && r->buf_cap > SC_FRAME_BUF_KEEP)
    {
      free (r->buf);
      r->buf = NULL;
      r->buf_cap = 0;
    }

  for (;;)
    {
      if (r->discard_left > 0)
        {
          size_t n = len - used;
          if ((uint64_t) n > r->discard_left)
            n = (size_t) r->discard_left;
          r->discard_left -= n;
          used += n;
          if (r->discard_left > 0)
            break;
          /* the whole oversized (or refused) body is gone: report it */
          r->in_body = false;
          out->header = r->cur;
          out->data = NULL;
          *consumed = used;
          if (r->refusing)
            {
              r->refusing = false;
              r->refused++;
              return SC_FRAME_REFUSED;
            }
          r->oversized++;
          return SC_FRAME_OVERSIZED;
        }

      if (!r->in_body)
        {
          /* Fast path: a whole header and body are contiguous in the input. */
          if (r->hdr_have == 0 && len - used >= SC_FRAME_HEADER_LEN)
            {
              sc_frame_header h;
              sc_frame_header_decode (in + used, &h);
              if (h.length <= r->max_data && len - used - SC_FRAME_HEADER_LEN >= h.length)
                {
                  out->header = h;
                  out->data = in + used + SC_FRAME_HEADER_LEN;
                  *consumed = used + SC_FRAME_HEADER_LEN + h.length;
                  r->frames++;
                  return SC_FRAME_COMPLETE;
                }
            }
          size_t n = SC_FRAME_HEADER_LEN - r->hdr_have;
          if (n > len - used)
            n = len - used;
          memcpy (r->hdr + r->hdr_have, in + used, n);
          r->hdr_have += n;
          used += n;
          if (r->hdr_have < SC_FRAME_HEADER_LEN)
            break;
          sc_frame_header_decode (r->hdr, &r->cur);
          r->hdr_have = 0;
          r->in_body = true;
          r->buf_have = 0;
          if (r->cur.length > r->max_data)
            {
              r->discard_left = r->cur.length;
              continue; /* handles the length-only case below via the loop */
            }
          if (!reserve (r, r->cur.length))
            {
              r->refusing = true;
              r->discard_left = r->cur.length; /* > budget->small: never 0 */
              continue;
            }
        }

      /* in body, not discarding; the buffer grows with the bytes that really
       * arrive, so a header announcing 4 MiB costs nothing until they come */
      size_t need = r->cur.length - r->buf_have;
      size_t n = need < len - used ? need : len - used;
      if (r->buf_have + n > r->buf_cap)
        {
          size_t cap = r->buf_cap ? r->buf_cap : 256;
          while (cap < r->buf_have + n)
            cap *= 2;
          if (cap > r->cur.length)
            cap = r->cur.length;
          r->buf = sc_xrealloc (r->buf, cap);
          r->buf_cap = cap;
        }
      if (n > 0)
        {
          memcpy (r->buf + r->buf_have, in + used, n);
          r->buf_have += n;
          used += n;
        }
      if (r->buf_have < r->cur.length)
        break;
      r->in_body = false;
      r->frames++;
      out->header = r->cur;
      out->data = r->buf ? r->buf : (const uint8_t *) "";
      *consumed = used;
      return SC_FRAME_COMPLETE;
    }

  *consumed = used;
  return SC_FRAME_NEED_MORE;
}
