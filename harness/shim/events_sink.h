/* A fake containerd events endpoint: a ttrpc server on the TTRPC_ADDRESS
 * socket handed to the shim, serving
 * containerd.services.events.ttrpc.v1.Events/Forward, recording every
 * envelope in arrival order (docs/shim-behaviour.md#events). */
#ifndef SHIMCHECK_EVENTS_SINK_H
#define SHIMCHECK_EVENTS_SINK_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "loop.h"

typedef struct sc_event
{
  uint64_t seq;            /* arrival order, from 0 */
  int64_t received_ns;     /* CLOCK_MONOTONIC */
  char *topic;
  char *ns;                /* envelope namespace */
  char *md_ns;             /* containerd-namespace-ttrpc metadata, NULL if absent */
  Google__Protobuf__Timestamp timestamp;
  char *type_url;
  uint8_t *value;
  size_t value_len;
  ProtobufCMessage *msg;   /* decoded for known type URLs, else NULL */
  char *decode_error;      /* why msg is NULL although the type is known */
} sc_event;

typedef struct sc_events_sink sc_events_sink;

/* What one sink takes from a shim: a Forward request of at most
 * SC_EVENTS_MAX_SIZE bytes (a real event is well under 4 KiB), at most
 * SC_EVENTS_MAX_COUNT events kept, at most SC_EVENTS_MAX_CONNS connections
 * at once.  Beyond that the shim is flooding (sc_events_sink_flood). */
#define SC_EVENTS_MAX_SIZE (64 * 1024)
#define SC_EVENTS_MAX_COUNT 10000
#define SC_EVENTS_MAX_CONNS 64

int sc_events_sink_new (sc_loop *loop, const char *socket_path, sc_events_sink **out,
                        sc_error *err);
void sc_events_sink_free (sc_events_sink *s);
const char *sc_events_sink_path (const sc_events_sink *s);

size_t sc_events_sink_count (const sc_events_sink *s);
const sc_event *sc_events_sink_get (const sc_events_sink *s, size_t i);
/* NULL, or a message saying how the shim went over the limits (heap) */
char *sc_events_sink_flood (const sc_events_sink *s);
/* Malformed Forward requests received (not recorded as events). */
size_t sc_events_sink_rejected (const sc_events_sink *s);
/* Runs the loop until an event with topic (and, if non-NULL, for
 * container_id) has arrived after index `from`, or until timeout_ms. Returns
 * its index, -1 on timeout. */
long sc_events_sink_wait_topic (sc_events_sink *s, const char *topic, size_t from,
                                int64_t timeout_ms);
/* Runs the loop until at least n events, or timeout. Returns the count. */
size_t sc_events_sink_wait_count (sc_events_sink *s, size_t n, int64_t timeout_ms);
/* Fault injection for publisher tests: fail the next n Forwards with code. */
void sc_events_sink_fail_next (sc_events_sink *s, size_t n, int code);
/* One line per event: "#0 /tasks/create containerd.events.TaskCreate {...}" */
char *sc_event_describe (const sc_event *e);

#endif
