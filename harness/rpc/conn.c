#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct outbuf
{
  struct outbuf *next;
  size_t len, off;
  uint8_t bytes[];
} outbuf;

struct sc_conn
{
  sc_loop *loop;
  sc_watch watch;
  int fd;
  size_t max_data;
  sc_frame_reader reader;
  sc_conn_ops ops;
  void *data;
  outbuf *head, *tail;
  size_t queued;
  size_t max_queued;    /* 0: no limit; past it the conn stops reading */
  bool reading_paused;  /* until the queue is down to half the limit */
  size_t pauses;
  int dispatching;
  bool free_pending;
  bool is_socket;
  sc_timer close_timer; /* reports a write failure outside the sender's call */
  int close_errnum;
};

static void conn_io (sc_watch *w, uint32_t events);

sc_conn *
sc_conn_new (sc_loop *loop, int fd, size_t max_data, const sc_conn_ops *ops, void *data,
             sc_error *err)
{
  int fl = fcntl (fd, F_GETFL);
  if (fl < 0 || fcntl (fd, F_SETFL, fl | O_NONBLOCK) < 0)
    {
      sc_error_make (err, errno, "set O_NONBLOCK on fd %d", fd);
      close (fd);
      return NULL;
    }
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  sc_conn *c = sc_xcalloc (1, sizeof (*c));
  c->loop = loop;
  c->fd = fd;
  c->max_data = max_data ? max_data : SC_FRAME_MAX_DATA;
  c->ops = *ops;
  c->data = data;
  int type;
  socklen_t tl = sizeof (type);
  c->is_socket = getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0;
  sc_frame_reader_init (&c->reader, c->max_data);
  if (sc_watch_start (loop, &c->watch, fd, EPOLLIN | EPOLLRDHUP, conn_io, c, err) < 0)
    {
      sc_frame_reader_release (&c->reader);
      close (fd);
      free (c);
      return NULL;
    }
  return c;
}

bool
sc_conn_is_open (const sc_conn *c)
{
  return c != NULL && c->fd >= 0;
}

int
sc_conn_fd (const sc_conn *c)
{
  return c->fd;
}

size_t
sc_conn_queued (const sc_conn *c)
{
  return c->queued;
}

static void
drop_queue (sc_conn *c)
{
  outbuf *b = c->head;
  while (b)
    {
      outbuf *n = b->next;
      free (b);
      b = n;
    }
  c->head = c->tail = NULL;
  c->queued = 0;
}

void
sc_conn_close (sc_conn *c)
{
  if (c == NULL || c->fd < 0)
    return;
  sc_watch_stop (&c->watch);
  close (c->fd);
  c->fd = -1;
  drop_queue (c);
}

static void
really_free (sc_conn *c)
{
  sc_timer_stop (&c->close_timer);
  sc_conn_close (c);
  sc_frame_reader_release (&c->reader);
  free (c);
}

void
sc_conn_free (sc_conn *c)
{
  if (c == NULL)
    return;
  if (c->dispatching > 0)
    {
      sc_conn_close (c);
      c->free_pending = true;
      return;
    }
  really_free (c);
}

static ssize_t
do_write (sc_conn *c, const void *buf, size_t len)
{
  if (c->is_socket)
    return send (c->fd, buf, len, MSG_NOSIGNAL);
  return write (c->fd, buf, len);
}

/* reads while the peer takes its replies; a paused conn waits for EPOLLOUT
 * only (EPOLLHUP and EPOLLERR still come) */
static void
watch_events (sc_conn *c)
{
  uint32_t ev = c->reading_paused ? 0 : EPOLLIN | EPOLLRDHUP;
  sc_watch_modify (&c->watch, ev | (c->head ? EPOLLOUT : 0));
}

static bool
output_over_limit (sc_conn *c)
{
  if (c->max_queued == 0 || c->queued <= c->max_queued)
    return false;
  if (!c->reading_paused)
    {
      c->reading_paused = true;
      c->pauses++;
      watch_events (c);
    }
  return true;
}

void
sc_conn_set_output_limit (sc_conn *c, size_t bytes)
{
  c->max_queued = bytes;
  if (bytes == 0 && c->reading_paused)
    {
      c->reading_paused = false;
      watch_events (c);
    }
}

void
sc_conn_set_input_budget (sc_conn *c, sc_frame_budget *b)
{
  sc_frame_reader_set_budget (&c->reader, b);
}

size_t
sc_conn_read_pauses (const sc_conn *c)
{
  return c->pauses;
}

/* returns -1 with errno on a fatal write error */
static int
flush (sc_conn *c)
{
  while (c->head)
    {
      outbuf *b = c->head;
      ssize_t n = do_write (c, b->bytes + b->off, b->len - b->off);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
          return -1;
        }
      b->off += (size_t) n;
      c->queued -= (size_t) n;
      if (b->off == b->len)
        {
          c->head = b->next;
          if (c->head == NULL)
            c->tail = NULL;
          free (b);
        }
    }
  if (c->reading_paused && c->queued <= c->max_queued / 2)
    c->reading_paused = false;
  watch_events (c);
  return 0;
}

static void
fail (sc_conn *c, int errnum)
{
  sc_conn_close (c);
  if (c->ops.on_close)
    c->ops.on_close (c, errnum, c->data);
}

static void
deferred_close (sc_timer *t)
{
  sc_conn *c = t->data;
  if (c->ops.on_close)
    c->ops.on_close (c, c->close_errnum, c->data);
}

static int
enqueue (sc_conn *c, const uint8_t *hdr, size_t hlen, const uint8_t *data, size_t len,
         sc_error *err)
{
  if (c->fd < 0)
    return sc_error_make (err, ENOTCONN, "connection closed");
  outbuf *b = sc_xmalloc (sizeof (*b) + hlen + len);
  b->next = NULL;
  b->len = hlen + len;
  b->off = 0;
  if (hlen)
    memcpy (b->bytes, hdr, hlen);
  if (len)
    memcpy (b->bytes + hlen, data, len);
  if (c->tail)
    c->tail->next = b;
  else
    c->head = b;
  c->tail = b;
  c->queued += b->len;
  if (flush (c) < 0)
    {
      int e = errno;
      /* close now so later sends see ENOTCONN; tell the owner from the loop,
       * never from inside its own send call */
      sc_conn_close (c);
      c->close_errnum = e;
      sc_timer_start (c->loop, &c->close_timer, 0, deferred_close, c);
      return sc_error_make (err, e, "write");
    }
  return 0;
}

int
sc_conn_send (sc_conn *c, uint32_t stream_id, uint8_t type, uint8_t flags, const uint8_t *data,
              size_t len, sc_error *err)
{
  if (len > c->max_data)
    return sc_error_make (err, EMSGSIZE, "message length %zu exceed maximum message size of %zu",
                          len, c->max_data);
  uint8_t hdr[SC_FRAME_HEADER_LEN];
  sc_frame_header h = { (uint32_t) len, stream_id, type, flags };
  sc_frame_header_encode (&h, hdr);
  return enqueue (c, hdr, sizeof (hdr), data, len, err);
}

int
sc_conn_send_raw (sc_conn *c, const uint8_t *bytes, size_t len, sc_error *err)
{
  return enqueue (c, NULL, 0, bytes, len, err);
}

static void
conn_io (sc_watch *w, uint32_t events)
{
  sc_conn *c = w->data;
  c->dispatching++;
  if ((events & EPOLLOUT) && c->fd >= 0)
    {
      if (flush (c) < 0)
        {
          fail (c, errno);
          goto out;
        }
    }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
    {
      uint8_t buf[65536];
      /* bounded number of reads per wakeup keeps the loop fair */
      for (int rounds = 0; rounds < 16 && c->fd >= 0 && !c->free_pending; rounds++)
        {
          /* replies the peer does not take: read no more requests (a hangup
           * or error is still read, to notice the peer went away) */
          if (output_over_limit (c) && !(events & (EPOLLHUP | EPOLLERR)))
            break;
          ssize_t n = read (c->fd, buf, sizeof (buf));
          if (n < 0)
            {
              if (errno == EINTR)
                continue;
              if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
              fail (c, errno);
              goto out;
            }
          if (n == 0)
            {
              fail (c, 0);
              goto out;
            }
          size_t off = 0;
          while (off < (size_t) n && c->fd >= 0 && !c->free_pending)
            {
              sc_frame f;
              size_t used = 0;
              sc_frame_result r = sc_frame_reader_next (&c->reader, buf + off, (size_t) n - off,
                                                        &used, &f);
              off += used;
              if (r == SC_FRAME_COMPLETE && c->ops.on_frame)
                c->ops.on_frame (c, &f, c->data);
              else if ((r == SC_FRAME_OVERSIZED || r == SC_FRAME_REFUSED) && c->ops.on_oversized)
                c->ops.on_oversized (c, &f.header, c->data);
              else if (r == SC_FRAME_NEED_MORE)
                break;
            }
          if ((size_t) n < sizeof (buf))
            break;
        }
    }
out:
  c->dispatching--;
  if (c->dispatching == 0 && c->free_pending)
    really_free (c);
}
