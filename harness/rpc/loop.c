#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define MAX_EVENTS 64

struct sc_loop
{
  int epfd;
  int nwatch;
  sc_timer *timers; /* sorted by due_ns */
  struct epoll_event pending[MAX_EVENTS];
  int npending;
  int cursor;
  bool stop;
};

int64_t
sc_deadline_in_ms (int64_t ms)
{
  return sc_now_mono_ns () + ms * 1000000;
}

int
sc_loop_new (sc_loop **out, sc_error *err)
{
  sc_loop *l = sc_xcalloc (1, sizeof (*l));
  l->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (l->epfd < 0)
    {
      free (l);
      return sc_error_make (err, errno, "epoll_create1");
    }
  *out = l;
  return 0;
}

void
sc_loop_free (sc_loop *loop)
{
  if (loop == NULL)
    return;
  close (loop->epfd);
  free (loop);
}

int
sc_watch_start (sc_loop *loop, sc_watch *w, int fd, uint32_t events, sc_watch_cb cb, void *data,
                sc_error *err)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };
  if (epoll_ctl (loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return sc_error_make (err, errno, "epoll_ctl add fd %d", fd);
  w->loop = loop;
  w->fd = fd;
  w->events = events;
  w->cb = cb;
  w->data = data;
  w->active = true;
  loop->nwatch++;
  return 0;
}

int
sc_watch_modify (sc_watch *w, uint32_t events)
{
  if (!w->active)
    return -1;
  if (w->events == events)
    return 0;
  struct epoll_event ev = { .events = events, .data.ptr = w };
  if (epoll_ctl (w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
    return -1;
  w->events = events;
  return 0;
}

void
sc_watch_stop (sc_watch *w)
{
  if (w == NULL || !w->active)
    return;
  sc_loop *loop = w->loop;
  epoll_ctl (loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
  for (int i = loop->cursor; i < loop->npending; i++)
    if (loop->pending[i].data.ptr == w)
      loop->pending[i].data.ptr = NULL;
  w->active = false;
  loop->nwatch--;
}

void
sc_timer_stop (sc_timer *t)
{
  if (t == NULL || !t->active)
    return;
  sc_loop *loop = t->loop;
  if (t->prev)
    t->prev->next = t->next;
  else
    loop->timers = t->next;
  if (t->next)
    t->next->prev = t->prev;
  t->prev = t->next = NULL;
  t->active = false;
}

void
sc_timer_start_at (sc_loop *loop, sc_timer *t, int64_t due_ns, sc_timer_cb cb, void *data)
{
  sc_timer_stop (t);
  t->loop = loop;
  t->due_ns = due_ns;
  t->cb = cb;
  t->data = data;
  t->active = true;
  sc_timer *prev = NULL, *cur = loop->timers;
  while (cur != NULL && cur->due_ns <= due_ns)
    {
      prev = cur;
      cur = cur->next;
    }
  t->prev = prev;
  t->next = cur;
  if (prev)
    prev->next = t;
  else
    loop->timers = t;
  if (cur)
    cur->prev = t;
}

void
sc_timer_start (sc_loop *loop, sc_timer *t, int64_t delay_ms, sc_timer_cb cb, void *data)
{
  sc_timer_start_at (loop, t, sc_now_mono_ns () + delay_ms * 1000000, cb, data);
}

static int
run_timers (sc_loop *loop)
{
  int n = 0;
  int64_t now = sc_now_mono_ns ();
  /* Only timers due now; ones started by callbacks with delay 0 wait for the
   * next iteration so that I/O is not starved. */
  while (loop->timers != NULL && loop->timers->due_ns <= now)
    {
      sc_timer *t = loop->timers;
      sc_timer_stop (t);
      t->cb (t);
      n++;
    }
  return n;
}

int
sc_loop_run_once (sc_loop *loop, int64_t max_wait_ms)
{
  int timeout = (int) (max_wait_ms > 1000000 ? 1000000 : max_wait_ms);
  if (loop->timers != NULL)
    {
      int64_t until = loop->timers->due_ns - sc_now_mono_ns ();
      int64_t ms = until <= 0 ? 0 : (until + 999999) / 1000000;
      if (timeout < 0 || ms < timeout)
        timeout = (int) ms;
    }
  int n = epoll_wait (loop->epfd, loop->pending, MAX_EVENTS, timeout);
  if (n < 0)
    {
      if (errno == EINTR)
        return 0;
      return -1;
    }
  loop->npending = n;
  int ran = 0;
  for (loop->cursor = 0; loop->cursor < loop->npending; loop->cursor++)
    {
      struct epoll_event *ev = &loop->pending[loop->cursor];
      sc_watch *w = ev->data.ptr;
      if (w == NULL)
        continue;
      /* the slot is consumed; later stops of w need not clear it */
      ev->data.ptr = NULL;
      w->cb (w, ev->events);
      ran++;
    }
  loop->npending = 0;
  loop->cursor = 0;
  ran += run_timers (loop);
  return ran;
}

int
sc_loop_run_until (sc_loop *loop, bool (*done) (void *), void *data, int64_t deadline_ns)
{
  while (!done (data))
    {
      int64_t wait = -1;
      if (deadline_ns > 0)
        {
          int64_t left = deadline_ns - sc_now_mono_ns ();
          if (left <= 0)
            {
              errno = ETIMEDOUT;
              return -1;
            }
          wait = (left + 999999) / 1000000;
        }
      if (sc_loop_run_once (loop, wait) < 0)
        return -1;
    }
  return 0;
}

void
sc_loop_run (sc_loop *loop)
{
  loop->stop = false;
  while (!loop->stop)
    if (sc_loop_run_once (loop, -1) < 0)
      break;
}

void
sc_loop_stop (sc_loop *loop)
{
  loop->stop = true;
}

bool
sc_loop_alive (const sc_loop *loop)
{
  return loop->nwatch > 0 || loop->timers != NULL;
}
