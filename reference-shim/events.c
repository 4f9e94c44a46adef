/* Event publishing to containerd's TTRPC_ADDRESS (Events/Forward): a bounded
 * FIFO queue drained one request at a time (so order is kept), reconnecting
 * with backoff on failure.  Publishing only enqueues: it never blocks or fails
 * the task service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerd/events/service.pb-c.h"
#include "pb.h"
#include "events.h"
#include "fault.h"
#include "log.h"
#include "ttrpc_client.h"
#include "services.h"

#define QUEUE_MAX 4096
#define FORWARD_TIMEOUT_MS 5000

typedef struct ev
{
  struct ev *next;
  uint8_t *body; /* packed ForwardRequest */
  size_t len;
  char *topic;
  int attempts;
} ev;

struct publisher
{
  sc_loop *loop;
  char *address;
  char *ns;
  ev *head, *tail;
  size_t n;
  size_t dropped;
  sc_ttrpc_client *client;
  bool in_flight;
  sc_timer retry;
  int backoff_ms;
  ev *held;              /* test build (reorder-events): waits for the next one */
  sc_timer held_timer;
};

static void pump (publisher *P);

/* Events containerd cannot do without: a lost TaskExit leaves a task
 * running forever as far as containerd knows.  They are never dropped; the
 * queue's bound applies to the others (paused, resumed, OOM, ...). */
static bool
lifecycle (const char *topic)
{
  static const char *const keep[] = { "/tasks/create", "/tasks/start", "/tasks/exit",
                                      "/tasks/delete", "/tasks/exec-added", "/tasks/exec-started" };
  for (size_t i = 0; i < sizeof (keep) / sizeof (keep[0]); i++)
    if (strcmp (topic, keep[i]) == 0)
      return true;
  return false;
}

static size_t
queue_max (void)
{
#ifdef REFSHIM_FAULTS
  /* test build: a small queue, to fill it in a test */
  const char *v = fault_value ("event-queue-max");
  if (v && atoi (v) > 0)
    return (size_t) atoi (v);
#endif
  return QUEUE_MAX;
}

/* the queue is full: drops its oldest event that is not a lifecycle event
 * (nor the one in flight); false when there is none */
static bool
make_room (publisher *P)
{
  ev *prev = NULL;
  for (ev *e = P->head; e; prev = e, e = e->next)
    {
      if ((e == P->head && P->in_flight) || lifecycle (e->topic))
        continue;
      if (prev)
        prev->next = e->next;
      else
        P->head = e->next;
      if (P->tail == e)
        P->tail = prev;
      P->n--;
      P->dropped++;
      shim_log ("error", "event queue full: dropped %s", e->topic);
      free (e->body);
      free (e->topic);
      free (e);
      return true;
    }
  return false;
}

publisher *
publisher_new (sc_loop *loop, const char *ttrpc_address, const char *ns)
{
  publisher *P = sc_xcalloc (1, sizeof (*P));
  P->loop = loop;
  P->address = ttrpc_address && *ttrpc_address ? sc_xstrdup (ttrpc_address) : NULL;
  P->ns = sc_xstrdup (ns);
  if (P->address == NULL)
    shim_log ("warning", "TTRPC_ADDRESS is not set: events are dropped");
  return P;
}

size_t
publisher_pending (const publisher *P)
{
  return P->n;
}

static void
retry_cb (sc_timer *t)
{
  pump (t->data);
}

/* the head is done with: delivered (or, in the test build's
 * no-event-retry, given up after one failure) */
static void
drop_head (publisher *P)
{
  ev *e = P->head;
  P->head = e->next;
  if (P->head == NULL)
    P->tail = NULL;
  P->n--;
  free (e->body);
  free (e->topic);
  free (e);
  P->backoff_ms = 0;
}

static void
forwarded (sc_rpc_result *res, void *data)
{
  publisher *P = data;
  P->in_flight = false;
  ev *e = P->head;
  if (res->code == SC_OK || fault ("no-event-retry"))
    {
      drop_head (P);
      pump (P);
      return;
    }
  e->attempts++;
  shim_log ("warning", "publish %s failed (attempt %d): %s: %s", e->topic, e->attempts,
            sc_code_name (res->code), res->message ? res->message : "");
  if (!sc_ttrpc_client_connected (P->client))
    {
      sc_ttrpc_client_free (P->client);
      P->client = NULL;
    }
  /* keep order: retry the head before anything behind it, with backoff */
  P->backoff_ms = P->backoff_ms ? (P->backoff_ms * 2 > 4000 ? 4000 : P->backoff_ms * 2) : 250;
  sc_timer_start (P->loop, &P->retry, P->backoff_ms, retry_cb, P);
}

static void
pump (publisher *P)
{
  if (P->in_flight || P->head == NULL || P->address == NULL || P->retry.active)
    return;
  if (P->client == NULL || !sc_ttrpc_client_connected (P->client))
    {
      sc_ttrpc_client_free (P->client);
      P->client = NULL;
      sc_error err = SC_ERROR_INIT;
      /* a non-blocking dial: a unix connect either succeeds or fails at once */
      if (sc_ttrpc_client_dial (P->loop, P->address, 0, &P->client, &err) < 0)
        {
          shim_log ("warning", "events: %s", err.msg);
          sc_error_release (&err);
          if (fault ("no-event-retry"))
            {
              drop_head (P);
              pump (P);
              return;
            }
          P->backoff_ms = P->backoff_ms ? (P->backoff_ms * 2 > 4000 ? 4000 : P->backoff_ms * 2) : 250;
          sc_timer_start (P->loop, &P->retry, P->backoff_ms, retry_cb, P);
          return;
        }
      sc_ttrpc_client_set_namespace (P->client, P->ns);
    }
  P->in_flight = true;
  sc_call_opts o = { .timeout_ms = FORWARD_TIMEOUT_MS };
  sc_ttrpc_call_async (P->client, SC_EVENTS_SERVICE, "Forward", P->head->body, P->head->len, &o,
                       forwarded, P);
}

static void
enqueue (publisher *P, ev *e)
{
  e->next = NULL;
  if (P->tail)
    P->tail->next = e;
  else
    P->head = e;
  P->tail = e;
  P->n++;
}

#ifdef REFSHIM_FAULTS
/* reorder-events: an event waits (200 ms at most) for the next, which then
 * goes out first */
static void
held_out (sc_timer *t)
{
  publisher *P = t->data;
  if (P->held)
    enqueue (P, P->held);
  P->held = NULL;
  pump (P);
}

/* event-wrong-pid, event-wrong-id: the event says what did not happen
 * (applied to the message while it is packed, then undone) */
static void
corrupt (ProtobufCMessage *m, bool undo)
{
  const ProtobufCFieldDescriptor *pid = protobuf_c_message_descriptor_get_field_by_name (m->descriptor, "pid");
  if (pid && pid->type == PROTOBUF_C_TYPE_UINT32 && fault ("event-wrong-pid"))
    *(uint32_t *) ((char *) m + pid->offset) += undo ? -1u : 1u;
  const ProtobufCFieldDescriptor *cid
    = protobuf_c_message_descriptor_get_field_by_name (m->descriptor, "container_id");
  static char *saved;
  if (cid && cid->type == PROTOBUF_C_TYPE_STRING && fault ("event-wrong-id"))
    {
      char **f = (char **) ((char *) m + cid->offset);
      if (!undo)
        {
          saved = *f;
          *f = sc_xasprintf ("not-%s", saved);
        }
      else
        {
          free (*f);
          *f = saved;
        }
    }
}
#endif

void
publisher_publish (publisher *P, const char *topic, const ProtobufCMessage *event)
{
  char drop[64];
  snprintf (drop, sizeof (drop), "drop-%s", topic + strlen ("/tasks/"));
  if (fault (drop))
    return;
  Containerd__Services__Events__Ttrpc__V1__Envelope env
    = CONTAINERD__SERVICES__EVENTS__TTRPC__V1__ENVELOPE__INIT;
  Google__Protobuf__Timestamp ts;
  sc_ts_now (&ts);
  Google__Protobuf__Any any;
#ifdef REFSHIM_FAULTS
  corrupt ((ProtobufCMessage *) event, false);
#endif
  sc_any_pack (&any, event);
#ifdef REFSHIM_FAULTS
  corrupt ((ProtobufCMessage *) event, true);
#endif
  env.timestamp = &ts;
  env.namespace_ = P->ns;
  env.topic = (char *) topic;
  env.event = &any;
  Containerd__Services__Events__Ttrpc__V1__ForwardRequest req
    = CONTAINERD__SERVICES__EVENTS__TTRPC__V1__FORWARD_REQUEST__INIT;
  req.envelope = &env;
  ev *e = sc_xcalloc (1, sizeof (*e));
  e->body = sc_pb_pack (&req.base, &e->len);
  e->topic = sc_xstrdup (topic);
  sc_any_clear (&any);
  shim_log ("debug", "event %s", topic);
  if (P->n >= queue_max () && !make_room (P) && !lifecycle (topic))
    {
      /* full of lifecycle events: the newcomer is the one to go */
      P->dropped++;
      shim_log ("error", "event queue full: dropped %s", topic);
      free (e->body);
      free (e->topic);
      free (e);
      return;
    }
#ifdef REFSHIM_FAULTS
  if (fault ("reorder-events"))
    {
      if (P->held == NULL)
        {
          P->held = e;
          sc_timer_start (P->loop, &P->held_timer, 200, held_out, P);
          return;
        }
      sc_timer_stop (&P->held_timer);
      enqueue (P, e);
      e = P->held;
      P->held = NULL;
    }
#endif
  enqueue (P, e);
  pump (P);
}

static bool
flushed (void *data)
{
  publisher *P = data;
  return P->head == NULL || P->address == NULL;
}

void
publisher_flush (publisher *P, int64_t timeout_ms)
{
#ifdef REFSHIM_FAULTS
  if (P->held)
    {
      sc_timer_stop (&P->held_timer);
      held_out (&P->held_timer);
    }
#endif
  if (P->retry.active)
    {
      sc_timer_stop (&P->retry);
      pump (P);
    }
  sc_loop_run_until (P->loop, flushed, P, sc_deadline_in_ms (timeout_ms));
  if (P->head)
    shim_log ("warning", "%zu events not delivered at shutdown", P->n);
}
