#include "events_sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "containerd/events/service.pb-c.h"
#include "containerd/events/task.pb-c.h"
#include "pb.h"
#include "ttrpc_client.h"
#include "ttrpc_server.h"
#include "services.h"

struct sc_events_sink
{
  sc_loop *loop;
  sc_ttrpc_server *server;
  char *path;
  sc_event *events;
  size_t n, cap;
  size_t rejected;
  size_t over_count;      /* events beyond SC_EVENTS_MAX_COUNT, not kept */
  size_t fail_n;
  int fail_code;
};

static void
forward (sc_ttrpc_call *call, void *data)
{
  sc_events_sink *s = data;
  if (s->fail_n > 0)
    {
      s->fail_n--;
      sc_ttrpc_call_error (call, s->fail_code, "events sink: injected failure");
      return;
    }
  Containerd__Services__Events__Ttrpc__V1__ForwardRequest *req
    = (void *) sc_ttrpc_call_unpack (call,
                                     &containerd__services__events__ttrpc__v1__forward_request__descriptor);
  if (req == NULL)
    {
      s->rejected++;
      return;
    }
  if (req->envelope == NULL)
    {
      s->rejected++;
      protobuf_c_message_free_unpacked (&req->base, NULL);
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "forward request without envelope");
      return;
    }
  if (s->n >= SC_EVENTS_MAX_COUNT)
    {
      /* a flood: answered (a shim may retry forever otherwise), not kept */
      s->over_count++;
      protobuf_c_message_free_unpacked (&req->base, NULL);
      sc_ttrpc_call_reply (call, NULL, 0);
      return;
    }
  if (s->n == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 32;
      s->events = sc_xrealloc (s->events, s->cap * sizeof (sc_event));
    }
  sc_event *e = &s->events[s->n];
  memset (e, 0, sizeof (*e));
  e->seq = s->n;
  e->received_ns = sc_now_mono_ns ();
  Containerd__Services__Events__Ttrpc__V1__Envelope *env = req->envelope;
  e->topic = sc_xstrdup (env->topic);
  e->ns = sc_xstrdup (env->namespace_);
  const char *md = sc_ttrpc_call_metadata (call, SC_NAMESPACE_KEY);
  e->md_ns = md ? sc_xstrdup (md) : NULL;
  google__protobuf__timestamp__init (&e->timestamp);
  if (env->timestamp)
    {
      e->timestamp.seconds = env->timestamp->seconds;
      e->timestamp.nanos = env->timestamp->nanos;
    }
  if (env->event)
    {
      e->type_url = sc_xstrdup (env->event->type_url);
      e->value_len = env->event->value.len;
      e->value = sc_xmalloc (e->value_len);
      if (e->value_len)
        memcpy (e->value, env->event->value.data, e->value_len);
      const ProtobufCMessageDescriptor *d = sc_pb_lookup_type (e->type_url);
      if (d)
        {
          e->msg = protobuf_c_message_unpack (d, NULL, e->value_len, e->value);
          if (e->msg == NULL)
            e->decode_error = sc_xasprintf ("%zu bytes do not decode as %s", e->value_len, d->name);
        }
    }
  else
    e->type_url = sc_xstrdup ("");
  s->n++;
  protobuf_c_message_free_unpacked (&req->base, NULL);
  sc_ttrpc_call_reply (call, NULL, 0);
}

int
sc_events_sink_new (sc_loop *loop, const char *socket_path, sc_events_sink **out, sc_error *err)
{
  sc_events_sink *s = sc_xcalloc (1, sizeof (*s));
  s->loop = loop;
  s->server = sc_ttrpc_server_new (loop);
  /* a shim cannot make the runner hold more than count x size of events */
  sc_ttrpc_server_set_max_data (s->server, SC_EVENTS_MAX_SIZE);
  sc_ttrpc_server_set_max_connections (s->server, SC_EVENTS_MAX_CONNS);
  sc_ttrpc_server_register (s->server, SC_EVENTS_SERVICE, "Forward", forward, s);
  if (sc_ttrpc_server_listen (s->server, socket_path, 0600, err) < 0)
    {
      sc_ttrpc_server_free (s->server);
      free (s);
      return sc_error_wrap (err, "events sink");
    }
  s->path = sc_xstrdup (socket_path);
  *out = s;
  return 0;
}

void
sc_events_sink_free (sc_events_sink *s)
{
  if (s == NULL)
    return;
  sc_ttrpc_server_free (s->server);
  for (size_t i = 0; i < s->n; i++)
    {
      sc_event *e = &s->events[i];
      free (e->topic);
      free (e->ns);
      free (e->md_ns);
      free (e->type_url);
      free (e->value);
      free (e->decode_error);
      if (e->msg)
        protobuf_c_message_free_unpacked (e->msg, NULL);
    }
  free (s->events);
  free (s->path);
  free (s);
}

char *
sc_events_sink_flood (const sc_events_sink *s)
{
  size_t big = sc_ttrpc_server_oversized_requests (s->server);
  size_t conns = sc_ttrpc_server_refused_connections (s->server);
  if (big == 0 && conns == 0 && s->over_count == 0)
    return NULL;
  return sc_xasprintf ("the shim flooded the events endpoint: %zu Forward requests over %zu KiB "
                       "(refused), %zu events beyond the first %d (not kept), %zu connections "
                       "beyond %d at once (closed)",
                       big, (size_t) SC_EVENTS_MAX_SIZE / 1024, s->over_count,
                       SC_EVENTS_MAX_COUNT, conns, SC_EVENTS_MAX_CONNS);
}

const char *
sc_events_sink_path (const sc_events_sink *s)
{
  return s->path;
}

size_t
sc_events_sink_count (const sc_events_sink *s)
{
  return s->n;
}

const sc_event *
sc_events_sink_get (const sc_events_sink *s, size_t i)
{
  return i < s->n ? &s->events[i] : NULL;
}

size_t
sc_events_sink_rejected (const sc_events_sink *s)
{
  return s->rejected;
}

void
sc_events_sink_fail_next (sc_events_sink *s, size_t n, int code)
{
  s->fail_n = n;
  s->fail_code = code;
}

typedef struct topic_wait
{
  sc_events_sink *s;
  const char *topic;
  size_t from;
  long found;
} topic_wait;

static bool
topic_done (void *data)
{
  topic_wait *w = data;
  for (size_t i = w->from; i < w->s->n; i++)
    if (strcmp (w->s->events[i].topic, w->topic) == 0)
      {
        w->found = (long) i;
        return true;
      }
  return false;
}

long
sc_events_sink_wait_topic (sc_events_sink *s, const char *topic, size_t from, int64_t timeout_ms)
{
  topic_wait w = { s, topic, from, -1 };
  sc_loop_run_until (s->loop, topic_done, &w, sc_deadline_in_ms (timeout_ms));
  return w.found;
}

typedef struct count_wait
{
  sc_events_sink *s;
  size_t n;
} count_wait;

static bool
count_done (void *data)
{
  count_wait *w = data;
  return w->s->n >= w->n;
}

size_t
sc_events_sink_wait_count (sc_events_sink *s, size_t n, int64_t timeout_ms)
{
  count_wait w = { s, n };
  sc_loop_run_until (s->loop, count_done, &w, sc_deadline_in_ms (timeout_ms));
  return s->n;
}

char *
sc_event_describe (const sc_event *e)
{
  char ts[64];
  const char *type = sc_any_type_name (e->type_url);
  if (e->msg == NULL)
    return sc_xasprintf ("#%llu %s %s (%zu bytes%s%s) ns=%s", (unsigned long long) e->seq,
                         e->topic, type, e->value_len, e->decode_error ? ", " : "",
                         e->decode_error ? e->decode_error : "", e->ns);
  const ProtobufCMessageDescriptor *d = e->msg->descriptor;
  if (d == &containerd__events__task_create__descriptor)
    {
      const Containerd__Events__TaskCreate *m = (const void *) e->msg;
      return sc_xasprintf ("#%llu %s container_id=%s pid=%u bundle=%s", (unsigned long long) e->seq,
                           e->topic, m->container_id, m->pid, m->bundle);
    }
  if (d == &containerd__events__task_start__descriptor)
    {
      const Containerd__Events__TaskStart *m = (const void *) e->msg;
      return sc_xasprintf ("#%llu %s container_id=%s pid=%u", (unsigned long long) e->seq, e->topic,
                           m->container_id, m->pid);
    }
  if (d == &containerd__events__task_exit__descriptor)
    {
      const Containerd__Events__TaskExit *m = (const void *) e->msg;
      return sc_xasprintf ("#%llu %s container_id=%s id=%s pid=%u exit_status=%u exited_at=%s",
                           (unsigned long long) e->seq, e->topic, m->container_id, m->id, m->pid,
                           m->exit_status, sc_ts_format (m->exited_at, ts, sizeof (ts)));
    }
  if (d == &containerd__events__task_delete__descriptor)
    {
      const Containerd__Events__TaskDelete *m = (const void *) e->msg;
      return sc_xasprintf ("#%llu %s container_id=%s id=%s pid=%u exit_status=%u exited_at=%s",
                           (unsigned long long) e->seq, e->topic, m->container_id, m->id, m->pid,
                           m->exit_status, sc_ts_format (m->exited_at, ts, sizeof (ts)));
    }
  if (d == &containerd__events__task_exec_added__descriptor)
    {
      const Containerd__Events__TaskExecAdded *m = (const void *) e->msg;
      return sc_xasprintf ("#%llu %s container_id=%s exec_id=%s", (unsigned long long) e->seq,
                           e->topic, m->container_id, m->exec_id);
    }
  if (d == &containerd__events__task_exec_started__descriptor)
    {
      const Containerd__Events__TaskExecStarted *m = (const void *) e->msg;
      return sc_xasprintf ("#%llu %s container_id=%s exec_id=%s pid=%u",
                           (unsigned long long) e->seq, e->topic, m->container_id, m->exec_id,
                           m->pid);
    }
  return sc_xasprintf ("#%llu %s %s", (unsigned long long) e->seq, e->topic, d->name);
}
