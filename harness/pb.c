#include "pb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerd/events/service.pb-c.h"
#include "containerd/events/task.pb-c.h"
#include "containerd/cgroups/metrics.pb-c.h"
#include "containerd/runc/options.pb-c.h"
#include "containerd/task/shim.pb-c.h"
#include "error.h"
#include "google/protobuf/empty.pb-c.h"

uint8_t *
sc_pb_pack (const ProtobufCMessage *m, size_t *len)
{
  size_t n = protobuf_c_message_get_packed_size (m);
  uint8_t *buf = sc_xmalloc (n);
  *len = protobuf_c_message_pack (m, buf);
  return buf;
}

void
sc_any_set (Google__Protobuf__Any *any, const char *type_url, const void *value, size_t len)
{
  google__protobuf__any__init (any);
  any->type_url = sc_xstrdup (type_url);
  any->value.data = sc_xmalloc (len);
  if (len > 0)
    memcpy (any->value.data, value, len);
  any->value.len = len;
}

void
sc_any_pack (Google__Protobuf__Any *any, const ProtobufCMessage *m)
{
  google__protobuf__any__init (any);
  any->type_url = sc_xstrdup (m->descriptor->name);
  any->value.data = sc_pb_pack (m, &any->value.len);
}

void
sc_any_clear (Google__Protobuf__Any *any)
{
  if (any == NULL)
    return;
  if (any->type_url != protobuf_c_empty_string)
    free (any->type_url);
  free (any->value.data);
  google__protobuf__any__init (any);
}

const char *
sc_any_type_name (const char *type_url)
{
  if (type_url == NULL)
    return "";
  const char *slash = strrchr (type_url, '/');
  /* containerd's JSON spec URLs (types.containerd.io/opencontainers/...) are
   * opaque names, not host-prefixed proto names: keep them whole. */
  if (slash != NULL && strncmp (type_url, "types.containerd.io/", 20) != 0)
    return slash + 1;
  return type_url;
}

ProtobufCMessage *
sc_any_unpack (const Google__Protobuf__Any *any, const ProtobufCMessageDescriptor *desc)
{
  if (any == NULL || desc == NULL)
    return NULL;
  if (strcmp (sc_any_type_name (any->type_url), desc->name) != 0)
    return NULL;
  return protobuf_c_message_unpack (desc, NULL, any->value.len, any->value.data);
}

static const ProtobufCMessageDescriptor *const known_types[] = {
  &containerd__events__task_create__descriptor,
  &containerd__events__task_start__descriptor,
  &containerd__events__task_delete__descriptor,
  &containerd__events__task_exit__descriptor,
  &containerd__events__task_oom__descriptor,
  &containerd__events__task_exec_added__descriptor,
  &containerd__events__task_exec_started__descriptor,
  &containerd__events__task_paused__descriptor,
  &containerd__events__task_resumed__descriptor,
  &containerd__events__task_checkpointed__descriptor,
  &containerd__runc__v1__options__descriptor,
  &containerd__runc__v1__checkpoint_options__descriptor,
  &containerd__runc__v1__process_details__descriptor,
  &io__containerd__cgroups__v1__metrics__descriptor,
  &google__protobuf__empty__descriptor,
  &google__protobuf__timestamp__descriptor,
};

const ProtobufCMessageDescriptor *
sc_pb_lookup_type (const char *type_url)
{
  const char *name = sc_any_type_name (type_url);
  for (size_t i = 0; i < sizeof (known_types) / sizeof (known_types[0]); i++)
    if (strcmp (known_types[i]->name, name) == 0)
      return known_types[i];
  return NULL;
}

int64_t
sc_now_mono_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
sc_now_wall_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
sc_ts_now (Google__Protobuf__Timestamp *ts)
{
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  google__protobuf__timestamp__init (ts);
  ts->seconds = now.tv_sec;
  ts->nanos = (int32_t) now.tv_nsec;
}

void
sc_ts_set_go_zero (Google__Protobuf__Timestamp *ts)
{
  google__protobuf__timestamp__init (ts);
  ts->seconds = SC_GO_ZERO_SECONDS;
}

bool
sc_ts_is_go_zero (const Google__Protobuf__Timestamp *ts)
{
  return ts != NULL && ts->seconds == SC_GO_ZERO_SECONDS && ts->nanos == 0;
}

bool
sc_ts_is_set (const Google__Protobuf__Timestamp *ts)
{
  return ts != NULL && !sc_ts_is_go_zero (ts);
}

int64_t
sc_ts_to_ns (const Google__Protobuf__Timestamp *ts)
{
  if (ts == NULL)
    return 0;
  return ts->seconds * 1000000000 + ts->nanos;
}

const char *
sc_ts_format (const Google__Protobuf__Timestamp *ts, char *buf, size_t len)
{
  if (!sc_ts_is_set (ts))
    {
      snprintf (buf, len, "unset");
      return buf;
    }
  time_t t = (time_t) ts->seconds;
  struct tm tm;
  if (gmtime_r (&t, &tm) == NULL)
    {
      snprintf (buf, len, "%lld.%09d", (long long) ts->seconds, ts->nanos);
      return buf;
    }
  char tmp[40];
  strftime (tmp, sizeof (tmp), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, len, "%s.%09dZ", tmp, ts->nanos);
  return buf;
}
