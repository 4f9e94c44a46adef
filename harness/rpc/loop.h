/* A small single-threaded event loop: epoll fd watchers and monotonic timers.
 * Every shimcheck component (client, server, sink, launcher, shim) runs on it;
 * nothing here creates a thread. */
#ifndef SHIMCHECK_LOOP_H
#define SHIMCHECK_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "error.h"

typedef struct sc_loop sc_loop;
typedef struct sc_watch sc_watch;
typedef struct sc_timer sc_timer;

typedef void (*sc_watch_cb) (sc_watch *w, uint32_t events);
typedef void (*sc_timer_cb) (sc_timer *t);

struct sc_watch
{
  sc_loop *loop;
  int fd;
  uint32_t events;
  sc_watch_cb cb;
  void *data;
  bool active;
};

struct sc_timer
{
  sc_loop *loop;
  int64_t due_ns; /* CLOCK_MONOTONIC */
  sc_timer_cb cb;
  void *data;
  sc_timer *prev, *next;
  bool active;
};

int sc_loop_new (sc_loop **out, sc_error *err);
/* Frees the loop; watchers and timers must have been stopped by their owners. */
void sc_loop_free (sc_loop *loop);

int sc_watch_start (sc_loop *loop, sc_watch *w, int fd, uint32_t events, sc_watch_cb cb,
                    void *data, sc_error *err);
int sc_watch_modify (sc_watch *w, uint32_t events);
/* Safe from any callback, including for a watcher with an event pending in
 * the current batch: that event is dropped. */
void sc_watch_stop (sc_watch *w);

/* Fires once after delay_ms (0 = on the next loop iteration). Restarting an
 * active timer moves it. */
void sc_timer_start (sc_loop *loop, sc_timer *t, int64_t delay_ms, sc_timer_cb cb, void *data);
void sc_timer_start_at (sc_loop *loop, sc_timer *t, int64_t due_ns, sc_timer_cb cb, void *data);
void sc_timer_stop (sc_timer *t);

/* Waits at most max_wait_ms (-1: until something happens; 0: poll) and
 * dispatches what is ready.  Returns the number of callbacks run, -1 on an
 * epoll error. */
int sc_loop_run_once (sc_loop *loop, int64_t max_wait_ms);

/* Runs until done(data) is true or the monotonic deadline passes (0 = no
 * deadline).  Returns 0 when done, -1 with ETIMEDOUT in errno on deadline. */
int sc_loop_run_until (sc_loop *loop, bool (*done) (void *), void *data, int64_t deadline_ns);

/* Runs until sc_loop_stop is called. */
void sc_loop_run (sc_loop *loop);
void sc_loop_stop (sc_loop *loop);
bool sc_loop_alive (const sc_loop *loop); /* watchers or timers left */

/* Deadline helper: now + ms on CLOCK_MONOTONIC, in ns. */
int64_t sc_deadline_in_ms (int64_t ms);

#endif
