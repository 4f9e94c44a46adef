/* Process stdio (docs/shim-behaviour.md#stdio, #terminal): pipes between the container
 * and the shim, copied to/from the client's FIFOs by loop watchers (never a
 * blocking open or write), file:// outputs, and terminals through
 * --console-socket + SCM_RIGHTS. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "fault.h"
#include "ids.h"
#include "log.h"
#include "logger.h"
#include "procio.h"

#define COPY_BUF 65536

typedef struct copy
{
  stdio *owner;
  int src, dst;
  sc_watch src_w, dst_w;
  bool src_on, dst_on;
  bool eof;
  bool is_output;        /* counts for "drained" */
  bool close_dst_at_eof; /* the far side sees EOF when we are done */
  char *buf;
  size_t len, off;
  bool done;
  /* A pty master answers EIO once the last holder of the slave has closed
   * it, as soon as its line discipline is empty, although the last writes
   * may still be on their way from the tty's flip buffer to the line
   * discipline (the kernel pushes them from a work queue).  Taking the
   * first EIO as the end lost the tail of a tty exec's output now and
   * then.  So after an EIO the master is read again on a short timer, and
   * the copy ends only after PTY_QUIET_ROUNDS reads in a row found nothing. */
  bool pty;
  bool pty_eio;
  int quiet_rounds;
  sc_timer pty_retry;
  bool tail_dropped;     /* the tty-drop-tail fault did its work */
  bool dst_file;         /* test build (file-copy-shared-close): dst is a regular file, written without a watch */
} copy;

#define PTY_RETRY_MS 5
#define PTY_QUIET_ROUNDS 20 /* 100 ms: a loaded machine may push the last writes late */

struct stdio
{
  process *p;
  sc_loop *loop;
  int child[3];          /* container side, passed to the runtime */
  int ours[3];           /* our pipe ends: [0] write to container stdin, [1][2] read */
  int fifo[3];           /* client FIFOs: [0] reader of stdin, [1][2] O_RDWR writers */
  int stdin_closer;      /* our writer on the stdin FIFO: CloseIO closes it */
  int stdin_stuck;       /* test build (no-stdin-devnull): a writer nobody closes */
  int console_listen;
  char *console_path;
  int master;            /* pty master */
  bool file_dst[3];      /* test build (file-copy-shared-close): fifo[i] is a file:// file */
  copy *copies[3];
  logger *logger;        /* binary:// stdout: fifo[1], fifo[2] are its pipes */
  void (*drained_cb) (void *);
  void *drained_data;
  sc_timer drain_timer;
};

static void copy_update (copy *c);

static void
copy_finish (copy *c)
{
  if (c->done)
    return;
  c->done = true;
  sc_timer_stop (&c->pty_retry);
  if (c->src_on)
    sc_watch_stop (&c->src_w);
  if (c->dst_on)
    sc_watch_stop (&c->dst_w);
  c->src_on = c->dst_on = false;
  if (c->close_dst_at_eof && c->dst >= 0)
    {
      close (c->dst);
      c->dst = -1;
    }
  stdio *io = c->owner;
  /* test build: as a copy that shares one file between the two streams
   * and closes it when stdout ends, stderr's later output goes nowhere */
  if (c->dst_file && c == io->copies[1] && io->copies[2] && io->copies[2]->dst_file && io->copies[2]->dst >= 0)
    {
      close (io->copies[2]->dst);
      io->copies[2]->dst = -1;
    }
  /* all outputs copied? tell whoever waits (Delete) */
  bool all = true;
  for (int i = 0; i < 3; i++)
    if (io->copies[i] && io->copies[i]->is_output && !io->copies[i]->done)
      all = false;
  if (all && io->drained_cb)
    {
      void (*cb) (void *) = io->drained_cb;
      io->drained_cb = NULL;
      sc_timer_stop (&io->drain_timer);
      cb (io->drained_data);
    }
}

static void pty_retry_cb (sc_timer *t);

/* reads what the source has; true when something came */
static bool
read_src (copy *c)
{
  bool got = false;
  while (c->len < COPY_BUF)
    {
      ssize_t n = read (c->src, c->buf + c->len, COPY_BUF - c->len);
      if (n > 0)
        {
          c->len += (size_t) n;
          got = true;
          continue;
        }
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        break;
      /* test build: tty-eio-ends takes the first EIO as the end, as this
       * shim did before (the tail could be lost) */
      if (n < 0 && errno == EIO && c->pty && !fault ("tty-eio-ends"))
        {
          /* the slave is closed: what is still in flight arrives later */
          c->pty_eio = true;
          break;
        }
      c->eof = true; /* EOF */
      break;
    }
  return got;
}

static void
on_src (sc_watch *w, uint32_t ev)
{
  copy *c = w->data;
  read_src (c);
  if (c->pty_eio && !c->eof && !c->pty_retry.active)
    sc_timer_start (c->owner->loop, &c->pty_retry, PTY_RETRY_MS, pty_retry_cb, c);
  copy_update (c);
}

static void
pty_retry_cb (sc_timer *t)
{
  copy *c = t->data;
  if (c->len < COPY_BUF)
    c->quiet_rounds = read_src (c) ? 0 : c->quiet_rounds + 1;
  if (c->quiet_rounds >= PTY_QUIET_ROUNDS)
    c->eof = true;
  else
    sc_timer_start (c->owner->loop, &c->pty_retry, PTY_RETRY_MS, pty_retry_cb, c);
  copy_update (c);
}

/* test build: a tty stream's last 4 KiB are held back, then dropped */
static size_t
held_back (const copy *c)
{
  return c->pty && !c->eof && fault ("tty-drop-tail") ? 4096 : 0;
}

/* writes what may go out now */
static void
flush_dst (copy *c)
{
  size_t end = c->len > held_back (c) ? c->len - held_back (c) : 0;
  while (c->off < end)
    {
      ssize_t n = write (c->dst, c->buf + c->off, end - c->off);
      if (n > 0)
        {
          c->off += (size_t) n;
          continue;
        }
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        break;
      /* the reader is gone: drop what we have, keep draining the source */
      shim_log ("warning", "output of %s: the reader went away (%s): %zu bytes dropped", c->owner->p->id,
                strerror (errno), c->len - c->off);
      c->off = c->len;
      break;
    }
  if (c->off == c->len)
    c->off = c->len = 0;
  else if (c->off > 0 && c->off >= end)
    {
      /* what is held back moves to the front, making room to read */
      memmove (c->buf, c->buf + c->off, c->len - c->off);
      c->len -= c->off;
      c->off = 0;
    }
}

static void
on_dst (sc_watch *w, uint32_t ev)
{
  copy *c = w->data;
  flush_dst (c);
  copy_update (c);
}

/* watch the source while there is room, the destination while there is data */
static void
copy_update (copy *c)
{
  if (c->done)
    return;
  /* after a pty's EIO the timer reads: watching it would spin on EPOLLHUP */
  bool want_src = !c->eof && !c->pty_eio && c->len < COPY_BUF;
  size_t hold = held_back (c);
  if (c->pty && c->eof && !c->tail_dropped && fault ("tty-drop-tail"))
    {
      c->tail_dropped = true;
      c->len -= c->len - c->off < 4096 ? c->len - c->off : 4096;
    }
  if (c->dst_file && c->dst >= 0)
    flush_dst (c); /* a regular file cannot be watched, and takes it all */
  bool want_dst = !c->dst_file && c->len > c->off + hold && c->dst >= 0;
  if (c->dst < 0)
    c->off = c->len = 0; /* nowhere to write: discard */
  if (want_src != c->src_on)
    {
      if (want_src)
        c->src_on = sc_watch_start (c->owner->loop, &c->src_w, c->src, EPOLLIN, on_src, c, NULL) == 0;
      else
        {
          sc_watch_stop (&c->src_w);
          c->src_on = false;
        }
    }
  if (want_dst != c->dst_on)
    {
      if (want_dst)
        c->dst_on = sc_watch_start (c->owner->loop, &c->dst_w, c->dst, EPOLLOUT, on_dst, c, NULL) == 0;
      else
        {
          sc_watch_stop (&c->dst_w);
          c->dst_on = false;
        }
    }
  if (c->eof && c->len == c->off)
    copy_finish (c);
}

static copy *
copy_new (stdio *io, int src, int dst, bool is_output, bool close_dst)
{
  copy *c = sc_xcalloc (1, sizeof (*c));
  c->owner = io;
  c->src = src;
  c->dst = dst;
  c->is_output = is_output;
  c->close_dst_at_eof = close_dst;
  c->buf = sc_xmalloc (COPY_BUF);
  fcntl (src, F_SETFL, fcntl (src, F_GETFL) | O_NONBLOCK);
  if (dst >= 0)
    fcntl (dst, F_SETFL, fcntl (dst, F_GETFL) | O_NONBLOCK);
  copy_update (c);
  return c;
}

/* a copy owns both of its fds */
static void
copy_free (copy *c)
{
  if (c == NULL)
    return;
  if (c->src_on)
    sc_watch_stop (&c->src_w);
  if (c->dst_on)
    sc_watch_stop (&c->dst_w);
  sc_timer_stop (&c->pty_retry);
  if (c->src >= 0)
    close (c->src);
  if (c->dst >= 0)
    close (c->dst);
  free (c->buf);
  free (c);
}

/* hands *fd over to a copy */
static int
take (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

static void
closefd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* "fifo:///p", "/p" -> path; file:// and binary:// reported separately */
static const char *
strip_scheme (const char *uri, const char **scheme)
{
  *scheme = "fifo";
  if (strncmp (uri, "fifo://", 7) == 0)
    return uri + 7;
  if (strncmp (uri, "file://", 7) == 0)
    {
      *scheme = "file";
      return uri + 7;
    }
  bool v2;
  if (logger_uri (uri, &v2))
    {
      *scheme = "binary";
      return uri;
    }
  if (strstr (uri, "://") != NULL)
    *scheme = "unknown";
  return uri;
}

int
stdio_prepare (stdio_env *env, process *p, int child_fds[3], char **console_path, sc_error *err)
{
  stdio *io = sc_xcalloc (1, sizeof (*io));
  p->io = io;
  io->p = p;
  io->loop = env->loop;
  for (int i = 0; i < 3; i++)
    io->child[i] = io->ours[i] = io->fifo[i] = -1;
  io->stdin_closer = io->console_listen = io->master = io->stdin_stuck = -1;
  *console_path = NULL;
  const char *paths[3] = { p->in, p->out, p->err };
  if (fault ("drop-stdout") && !p->terminal)
    paths[1] = NULL;

  /* binary:// (or binary-v2://) as stdout: a logger gets stdout and stderr,
   * whatever the stderr URI says, as containerd's runc shim does */
  const char *scheme;
  if (paths[1] && *paths[1] && (strip_scheme (paths[1], &scheme), strcmp (scheme, "binary") == 0))
    {
      int w[2];
      if (logger_start (env->loop, env->reaper, paths[1], p->id, env->ns, w, &io->logger, err) < 0)
        return sc_error_wrap (err, "stdout %s", paths[1]);
      io->fifo[1] = w[0];
      if (p->terminal)
        close (w[1]); /* stderr is the tty: the logger's fd 4 ends at once */
      else
        io->fifo[2] = w[1];
      paths[1] = paths[2] = NULL;
    }

  /* open the client's FIFOs first: a missing one fails before the runtime runs */
  for (int i = 0; i < 3; i++)
    {
      if (paths[i] == NULL || *paths[i] == '\0')
        continue;
      if (p->terminal && i == 2)
        continue; /* with a tty, stderr is the tty */
      const char *path = strip_scheme (paths[i], &scheme);
      if (strcmp (scheme, "binary") == 0)
        {
          return sc_error_make (err, 0, "%s: a binary:// logger is named by stdout only", paths[i]);
        }
      if (strcmp (scheme, "unknown") == 0 && fault ("ignore-unknown-scheme"))
        continue; /* test build: the stream goes nowhere */
      if (strcmp (scheme, "unknown") == 0)
        {
          return sc_error_make (err, 0, "unknown STDIO scheme in %s (fifo, file, binary and binary-v2 are known)",
                                paths[i]);
        }
      if (strcmp (scheme, "file") == 0)
        {
          if (i == 0)
            {
              return sc_error_make (err, 0, "file:// is only valid for stdout and stderr");
            }
          /* the container writes the file itself: no copy */
          int fd = open (path, O_WRONLY | (fault ("file-truncate") ? O_TRUNC : O_APPEND) | O_CREAT | O_CLOEXEC, 0640);
          if (fd < 0)
            {
              return sc_error_make (err, errno, "open %s", path);
            }
          if (fault ("file-copy-shared-close"))
            io->fifo[i] = fd, io->file_dst[i] = true; /* test build: copied through a pipe */
          else
            io->child[i] = fd;
          continue;
        }
      struct stat st;
      if (stat (path, &st) < 0)
        {
          return sc_error_make (err, errno, "open %s", path);
        }
      /* containerd hands over FIFOs it made (a client may name a device
       * such as /dev/null); anything else (a regular file someone's data
       * lives in, a directory) is refused untouched */
      if (!S_ISFIFO (st.st_mode) && !S_ISCHR (st.st_mode) && !fault ("stdio-regular-file-ok"))
        {
          return sc_error_make (err, 0, "%s %s is not a FIFO (file:// writes to a file)",
                                i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr", path);
        }
      if (i == 0)
        {
          /* reader first (never blocks), then our own writer so that EOF comes
           * only after CloseIO and the client's close */
          io->fifo[0] = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
          if (io->fifo[0] >= 0 && S_ISFIFO (st.st_mode) && !fault ("stdin-eof-on-detach"))
            io->stdin_closer = open (path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        }
      else
        io->fifo[i] = open (path,
                            (S_ISFIFO (st.st_mode) && !fault ("fifo-wronly-sigpipe") ? O_RDWR : O_WRONLY) | O_NONBLOCK
                              | O_CLOEXEC);
      if (io->fifo[i] < 0)
        {
          return sc_error_make (err, errno, "open %s", path);
        }
    }

  if (p->terminal)
    {
      if (p->out == NULL || *p->out == '\0')
        {
          return sc_error_make (err, 0, "a terminal needs stdout");
        }
      io->console_path = sc_xasprintf ("%s/pty-%d-%d.sock", REFSHIM_SOCKET_DIR, (int) getpid (),
                                       ++env->consoles);
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      snprintf (sa.sun_path, sizeof (sa.sun_path), "%s", io->console_path);
      io->console_listen = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      unlink (io->console_path);
      if (io->console_listen < 0 || bind (io->console_listen, (struct sockaddr *) &sa, sizeof (sa)) < 0
          || chmod (io->console_path, 0600) < 0 || listen (io->console_listen, 1) < 0)
        {
          return sc_error_make (err, errno, "console socket %s", io->console_path);
        }
      *console_path = io->console_path;
      for (int i = 0; i < 3; i++)
        child_fds[i] = io->child[i];
      return 0;
    }

  if (io->fifo[0] < 0 && !p->terminal && fault ("no-stdin-devnull"))
    {
      /* test build: stdin never ends (our end of the pipe stays open) */
      int pp[2];
      if (pipe2 (pp, O_CLOEXEC) == 0)
        {
          io->child[0] = pp[0];
          io->stdin_stuck = pp[1];
        }
    }
  for (int i = 0; i < 3; i++)
    {
      if (io->fifo[i] < 0)
        continue;
      int pp[2];
      if (pipe2 (pp, O_CLOEXEC) < 0)
        {
          return sc_error_make (err, errno, "pipe");
        }
      if (i == 0)
        io->child[0] = pp[0], io->ours[0] = pp[1];
      else
        io->child[i] = pp[1], io->ours[i] = pp[0];
    }
  /* options io_uid/io_gid: the container's side of its pipes belongs to
   * the user the container runs as (a user namespace's root, say) */
  if (p->c->io_uid || p->c->io_gid)
    for (int i = 0; i < 3; i++)
      if (io->child[i] >= 0 && io->fifo[i] >= 0 && fchown (io->child[i], p->c->io_uid, p->c->io_gid) < 0)
        return sc_error_make (err, errno, "chown stdio pipe to %u:%u", p->c->io_uid, p->c->io_gid);
  if (fault ("stderr-to-stdout") && io->child[1] >= 0 && io->child[2] >= 0)
    {
      /* test build: stderr lands on stdout */
      closefd (&io->child[2]);
      closefd (&io->ours[2]);
      io->child[2] = dup (io->child[1]);
    }
  for (int i = 0; i < 3; i++)
    child_fds[i] = io->child[i];
  return 0;
}

static void
stdio_close_child_fds (process *p)
{
  if (p->io)
    for (int i = 0; i < 3; i++)
      closefd (&p->io->child[i]);
}

static int
receive_master (stdio *io, sc_error *err)
{
  int conn = accept4 (io->console_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (conn < 0)
    {
      return sc_error_make (err, errno, "console socket: runtime sent no terminal");
    }
  char name[256];
  struct iovec iov = { name, sizeof (name) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof (u.buf) };
  ssize_t n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  close (conn);
  struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR (&msg) : NULL;
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
    {
      return sc_error_make (err, 0, "console socket: no pty master received");
    }
  memcpy (&io->master, CMSG_DATA (cm), sizeof (int));
  return 0;
}

void
stdio_when_ready (process *p, void (*cb) (void *data, const char *why), void *data)
{
  if (p->io == NULL || p->io->logger == NULL)
    cb (data, NULL);
  else
    logger_when_ready (p->io->logger, LOGGER_READY_MS, cb, data);
}

int
stdio_start (process *p, sc_error *err)
{
  stdio *io = p->io;
  stdio_close_child_fds (p);
  if (p->terminal)
    {
      if (receive_master (io, err) < 0)
        return -1;
      closefd (&io->console_listen);
      unlink (io->console_path);
      /* tty output -> stdout FIFO; stdin FIFO -> tty */
      io->copies[1] = copy_new (io, dup (io->master), take (&io->fifo[1]), true, true);
      io->copies[1]->pty = true;
      if (io->fifo[0] >= 0)
        io->copies[0] = copy_new (io, take (&io->fifo[0]), dup (io->master), false, false);
      return 0;
    }
  if (io->ours[0] >= 0)
    io->copies[0] = copy_new (io, take (&io->fifo[0]), take (&io->ours[0]), false, true);
  for (int i = 1; i < 3; i++)
    if (io->ours[i] >= 0)
      {
        io->copies[i] = copy_new (io, take (&io->ours[i]), take (&io->fifo[i]), true, true);
        io->copies[i]->dst_file = io->file_dst[i];
      }
  return 0;
}

void
stdio_close_stdin (process *p)
{
  if (p->io)
    closefd (&p->io->stdin_closer);
}

int
stdio_resize (process *p, uint32_t width, uint32_t height, sc_error *err)
{
  if ((p->io == NULL || p->io->master < 0) && fault ("resize-without-tty-fails"))
    return sc_error_make (err, 0, "%s", strerror (ENOTTY));
  if (p->io == NULL || p->io->master < 0)
    return 0; /* no console: a no-op, as in the runc shim */
  struct winsize ws = { .ws_row = (unsigned short) height, .ws_col = (unsigned short) width };
  if (ioctl (p->io->master, TIOCSWINSZ, &ws) < 0)
    return sc_error_make (err, 0, "%s", strerror (errno));
  return 0;
}

static void
drain_timeout (sc_timer *t)
{
  stdio *io = t->data;
  shim_log ("warning", "output of %s not drained in time: what is left is dropped", io->p->id);
  void (*cb) (void *) = io->drained_cb;
  io->drained_cb = NULL;
  if (cb)
    cb (io->drained_data);
}

void
stdio_when_drained (process *p, int64_t timeout_ms, void (*cb) (void *), void *data)
{
  stdio *io = p->io;
  bool pending = false;
  for (int i = 0; io && i < 3; i++)
    if (io->copies[i] && io->copies[i]->is_output && !io->copies[i]->done)
      pending = true;
  if (!pending)
    {
      cb (data);
      return;
    }
  io->drained_cb = cb;
  io->drained_data = data;
  sc_timer_start (io->loop, &io->drain_timer, timeout_ms, drain_timeout, io);
}

void
stdio_free (process *p)
{
  stdio *io = p->io;
  if (io == NULL)
    return;
  sc_timer_stop (&io->drain_timer);
  for (int i = 0; i < 3; i++)
    {
      copy_free (io->copies[i]);
      closefd (&io->child[i]);
      closefd (&io->ours[i]);
      closefd (&io->fifo[i]);
    }
  logger_release (io->logger); /* after its pipes closed: it sees EOF first */
  closefd (&io->stdin_closer);
  closefd (&io->stdin_stuck);
  closefd (&io->console_listen);
  if (fault ("leak-pty") && io->master >= 0)
    io->master = -1; /* test build: the pty master stays open for good */
  closefd (&io->master);
  if (io->console_path)
    unlink (io->console_path);
  free (io->console_path);
  free (io);
  p->io = NULL;
}
