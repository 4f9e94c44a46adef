#include "pb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerd/events/service.pb-c.h"
#include "containerd/events/task.pb-c.h"
#include "containerd/cgroups/metrics.pb-c.h"
#include "containerd/runc/options.pb-c.h"
#include "containerd/runc/runctypes.pb-c.h"
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
  &containerd__linux__runc__create_options__descriptor,
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

typedef struct strbuf
{
  char *s;
  size_t len, cap;
} strbuf;

static void
sb_add (strbuf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
sb_add (strbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char tmp[512];
  int n = vsnprintf (tmp, sizeof (tmp), fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t) n >= sizeof (tmp))
    n = sizeof (tmp) - 1;
  if (b->len + (size_t) n + 1 > b->cap)
    {
      b->cap = (b->len + (size_t) n + 1) * 2;
      b->s = sc_xrealloc (b->s, b->cap);
    }
  memcpy (b->s + b->len, tmp, (size_t) n + 1);
  b->len += (size_t) n;
}

static void describe_into (strbuf *b, const ProtobufCMessage *m, int depth);

static void
scalar (strbuf *b, const ProtobufCFieldDescriptor *f, const void *p, int depth)
{
  switch (f->type)
    {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
      sb_add (b, "%d", *(const int32_t *) p);
      break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
      sb_add (b, "%u", *(const uint32_t *) p);
      break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
      sb_add (b, "%lld", (long long) *(const int64_t *) p);
      break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
      sb_add (b, "%llu", (unsigned long long) *(const uint64_t *) p);
      break;
    case PROTOBUF_C_TYPE_BOOL:
      sb_add (b, "%s", *(const protobuf_c_boolean *) p ? "true" : "false");
      break;
    case PROTOBUF_C_TYPE_ENUM:
      {
        const ProtobufCEnumValue *ev
          = protobuf_c_enum_descriptor_get_value (f->descriptor, *(const int *) p);
        if (ev)
          sb_add (b, "%s", ev->name);
        else
          sb_add (b, "%d", *(const int *) p);
        break;
      }
    case PROTOBUF_C_TYPE_FLOAT:
      sb_add (b, "%g", (double) *(const float *) p);
      break;
    case PROTOBUF_C_TYPE_DOUBLE:
      sb_add (b, "%g", *(const double *) p);
      break;
    case PROTOBUF_C_TYPE_STRING:
      {
        const char *str = *(char *const *) p;
        size_t n = str ? strlen (str) : 0;
        if (n > 80)
          sb_add (b, "\"%.80s...\"(%zu)", str, n);
        else
          sb_add (b, "\"%s\"", str ? str : "");
        break;
      }
    case PROTOBUF_C_TYPE_BYTES:
      sb_add (b, "<%zu bytes>", ((const ProtobufCBinaryData *) p)->len);
      break;
    case PROTOBUF_C_TYPE_MESSAGE:
      {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *) p;
        if (sub == NULL)
          sb_add (b, "null");
        else
          describe_into (b, sub, depth + 1);
        break;
      }
    }
}

static size_t
elem_size (ProtobufCType t)
{
  switch (t)
    {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
      return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
      return sizeof (void *);
    case PROTOBUF_C_TYPE_BYTES:
      return sizeof (ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL:
      return sizeof (protobuf_c_boolean);
    default:
      return 4;
    }
}

static void
describe_into (strbuf *b, const ProtobufCMessage *m, int depth)
{
  const ProtobufCMessageDescriptor *d = m->descriptor;
  if (depth > 6)
    {
      sb_add (b, "%s{...}", d->short_name);
      return;
    }
  if (d == &google__protobuf__timestamp__descriptor)
    {
      char ts[64];
      sb_add (b, "%s", sc_ts_format ((const Google__Protobuf__Timestamp *) m, ts, sizeof (ts)));
      return;
    }
  if (d == &google__protobuf__any__descriptor)
    {
      const Google__Protobuf__Any *any = (const Google__Protobuf__Any *) m;
      const ProtobufCMessageDescriptor *inner = sc_pb_lookup_type (any->type_url);
      ProtobufCMessage *im = inner ? sc_any_unpack (any, inner) : NULL;
      if (im)
        {
          describe_into (b, im, depth + 1);
          protobuf_c_message_free_unpacked (im, NULL);
        }
      else
        sb_add (b, "Any{%s <%zu bytes>}", any->type_url, any->value.len);
      return;
    }
  sb_add (b, "%s{", d->short_name);
  bool first = true;
  for (unsigned i = 0; i < d->n_fields; i++)
    {
      const ProtobufCFieldDescriptor *f = &d->fields[i];
      const char *base = (const char *) m + f->offset;
      if (f->label == PROTOBUF_C_LABEL_REPEATED)
        {
          size_t n = *(const size_t *) ((const char *) m + f->quantifier_offset);
          if (n == 0)
            continue;
          sb_add (b, "%s%s:[", first ? "" : " ", f->name);
          const char *arr = *(char *const *) base;
          for (size_t k = 0; k < n && k < 8; k++)
            {
              if (k)
                sb_add (b, " ");
              scalar (b, f, arr + k * elem_size (f->type), depth);
            }
          if (n > 8)
            sb_add (b, " ...(%zu)", n);
          sb_add (b, "]");
          first = false;
          continue;
        }
      /* proto3: skip defaults */
      bool empty = false;
      switch (f->type)
        {
        case PROTOBUF_C_TYPE_STRING:
          empty = *(char *const *) base == NULL || **(char *const *) base == '\0';
          break;
        case PROTOBUF_C_TYPE_MESSAGE:
          empty = *(void *const *) base == NULL;
          break;
        case PROTOBUF_C_TYPE_BYTES:
          empty = ((const ProtobufCBinaryData *) base)->len == 0;
          break;
        default:
          {
            static const char zero[8];
            empty = memcmp (base, zero, elem_size (f->type)) == 0;
          }
        }
      if (empty)
        continue;
      sb_add (b, "%s%s:", first ? "" : " ", f->name);
      scalar (b, f, base, depth);
      first = false;
    }
  sb_add (b, "}");
}

char *
sc_pb_describe (const ProtobufCMessage *m)
{
  strbuf b = { NULL, 0, 0 };
  sb_add (&b, "%s", "");
  if (m)
    describe_into (&b, m, 0);
  else
    sb_add (&b, "null");
  return b.s;
}

void
sc_pb_freep (void *msgp)
{
  ProtobufCMessage **m = msgp;
  if (*m)
    protobuf_c_message_free_unpacked (*m, NULL);
  *m = NULL;
}

/* a varint at *p (bounded by end); false when it runs past end */
static bool
read_varint (const uint8_t **p, const uint8_t *end, uint64_t *v)
{
  *v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7)
    {
      uint8_t b = *(*p)++;
      *v |= (uint64_t) (b & 0x7f) << shift;
      if (!(b & 0x80))
        return true;
    }
  return false;
}

bool
sc_pb_has_nul_string (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len)
{
  if (len == 0) /* an empty request may come as NULL: no arithmetic on it */
    return false;
  const uint8_t *p = data, *end = data + len;
  while (p < end)
    {
      uint64_t tag, n;
      if (!read_varint (&p, end, &tag))
        return false;
      switch (tag & 7)
        {
        case 0:
          if (!read_varint (&p, end, &n))
            return false;
          break;
        case 1:
          if ((size_t) (end - p) < 8)
            return false;
          p += 8;
          break;
        case 5:
          if ((size_t) (end - p) < 4)
            return false;
          p += 4;
          break;
        case 2:
          {
            if (!read_varint (&p, end, &n) || n > (uint64_t) (end - p))
              return false;
            const ProtobufCFieldDescriptor *f
              = protobuf_c_message_descriptor_get_field (desc, (unsigned) (tag >> 3));
            if (f && f->type == PROTOBUF_C_TYPE_STRING && memchr (p, 0, (size_t) n))
              return true;
            p += n;
            break;
          }
        default:
          return false; /* groups: not in our messages */
        }
    }
  return false;
}
