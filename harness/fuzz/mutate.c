/* Structure-aware and byte-level mutation (mutate.h). */
#include "mutate.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

void
sc_rng_seed (sc_rng *r, uint64_t seed)
{
  r->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t
sc_rng_next (sc_rng *r)
{
  /* xorshift64* */
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 0x2545f4914f6cdd1dull;
}

uint32_t
sc_rng_below (sc_rng *r, uint32_t n)
{
  return n ? (uint32_t) (sc_rng_next (r) % n) : 0;
}

static const char *const generic_strings[]
  = { "", "a", "../../etc", "/", "x/y", "\xff\xfe", "with space", "-flag", NULL };

static char *
pick_string (sc_rng *r, const char *field, const sc_mut_pool *pools)
{
  for (const sc_mut_pool *p = pools; p && p->field; p++)
    if (strcmp (p->field, field) == 0 && sc_rng_below (r, 8) != 0)
      {
        size_t n = 0;
        while (p->values[n])
          n++;
        if (n)
          return sc_xstrdup (p->values[sc_rng_below (r, (uint32_t) n)]);
      }
  if (sc_rng_below (r, 6) == 0)
    {
      /* long: 200-2000 bytes */
      size_t n = 200 + sc_rng_below (r, 1800);
      char *s = sc_xmalloc (n + 1);
      memset (s, 'a' + (char) sc_rng_below (r, 26), n);
      s[n] = '\0';
      return s;
    }
  size_t n = 0;
  while (generic_strings[n])
    n++;
  return sc_xstrdup (generic_strings[sc_rng_below (r, (uint32_t) n)]);
}

static uint64_t
pick_int (sc_rng *r)
{
  static const uint64_t v[] = { 0, 1, 2, 9, 15, 19, 31, 64, 65, 128, 255, 65535, 65536,
                                0x7fffffff, 0x80000000u, 0xffffffffu, UINT64_MAX };
  return v[sc_rng_below (r, sizeof (v) / sizeof (v[0]))];
}

static void mutate_fields (sc_rng *r, ProtobufCMessage *m, const sc_mut_pool *pools, int depth);

/* an unset string points at the descriptor's default (static): not ours to free */
static void
replace_string (char **member, const ProtobufCFieldDescriptor *f, char *value)
{
  if (*member != NULL && *member != (const char *) f->default_value
      && *member != protobuf_c_empty_string)
    free (*member);
  *member = value;
}

static void
mutate_field (sc_rng *r, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
              const sc_mut_pool *pools, int depth)
{
  char *member = (char *) m + f->offset;
  if (f->label == PROTOBUF_C_LABEL_REPEATED)
    {
      /* empty it: the elements are freed with their array */
      size_t *n = (size_t *) ((char *) m + f->quantifier_offset);
      void **arr = *(void ***) member;
      for (size_t i = 0; i < *n; i++)
        if (f->type == PROTOBUF_C_TYPE_STRING)
          free (arr[i]);
        else if (f->type == PROTOBUF_C_TYPE_MESSAGE)
          protobuf_c_message_free_unpacked (arr[i], NULL);
        else if (f->type == PROTOBUF_C_TYPE_BYTES)
          free (((ProtobufCBinaryData *) (void *) arr)[i].data);
      free (arr);
      *(void **) member = NULL;
      *n = 0;
      return;
    }
  switch (f->type)
    {
    case PROTOBUF_C_TYPE_STRING:
      replace_string ((char **) member, f, pick_string (r, f->name, pools));
      break;
    case PROTOBUF_C_TYPE_BOOL:
      *(protobuf_c_boolean *) member = !*(protobuf_c_boolean *) member;
      break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
      *(uint32_t *) member = (uint32_t) pick_int (r);
      break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
      *(uint64_t *) member = pick_int (r);
      break;
    case PROTOBUF_C_TYPE_BYTES:
      {
        ProtobufCBinaryData *b = (ProtobufCBinaryData *) member;
        if (b->len > 0 && sc_rng_below (r, 2))
          b->len = sc_mut_bytes (r, b->data, b->len, b->len); /* in place, no growth */
        else
          {
            const ProtobufCBinaryData *def = f->default_value;
            if (def == NULL || b->data != def->data)
              free (b->data);
            b->data = NULL;
            b->len = 0;
          }
        break;
      }
    case PROTOBUF_C_TYPE_MESSAGE:
      {
        ProtobufCMessage **sub = (ProtobufCMessage **) member;
        if (*sub && depth < 4 && sc_rng_below (r, 2))
          mutate_fields (r, *sub, pools, depth + 1);
        else if (*sub)
          {
            protobuf_c_message_free_unpacked (*sub, NULL);
            *sub = NULL;
          }
        break;
      }
    default:
      break;
    }
}

static void
mutate_fields (sc_rng *r, ProtobufCMessage *m, const sc_mut_pool *pools, int depth)
{
  const ProtobufCMessageDescriptor *d = m->descriptor;
  if (d->n_fields == 0)
    return;
  int k = 1 + (int) sc_rng_below (r, 3);
  for (int i = 0; i < k; i++)
    mutate_field (r, m, &d->fields[sc_rng_below (r, d->n_fields)], pools, depth);
}

static uint8_t *
repack (ProtobufCMessage *m, size_t *out_len)
{
  size_t n = protobuf_c_message_get_packed_size (m);
  uint8_t *buf = sc_xmalloc (n ? n : 1);
  *out_len = protobuf_c_message_pack (m, buf);
  protobuf_c_message_free_unpacked (m, NULL);
  return buf;
}

uint8_t *
sc_mut_message (sc_rng *r, const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                const sc_mut_pool *pools, size_t *out_len)
{
  ProtobufCMessage *m = protobuf_c_message_unpack (desc, NULL, len, data);
  if (m == NULL)
    return NULL;
  mutate_fields (r, m, pools, 0);
  return repack (m, out_len);
}

static const ProtobufCFieldDescriptor *
string_field (const ProtobufCMessageDescriptor *desc, const char *field)
{
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (desc, field);
  return f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED ? f : NULL;
}

uint8_t *
sc_mut_set_string (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   const char *field, const char *value, size_t *out_len)
{
  const ProtobufCFieldDescriptor *f = string_field (desc, field);
  ProtobufCMessage *m = f ? protobuf_c_message_unpack (desc, NULL, len, data) : NULL;
  if (m == NULL)
    return NULL;
  replace_string ((char **) ((char *) m + f->offset), f, sc_xstrdup (value));
  return repack (m, out_len);
}

char *
sc_mut_get_string (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   const char *field)
{
  const ProtobufCFieldDescriptor *f = string_field (desc, field);
  ProtobufCMessage *m = f ? protobuf_c_message_unpack (desc, NULL, len, data) : NULL;
  if (m == NULL)
    return NULL;
  char *v = sc_xstrdup (*(char **) ((char *) m + f->offset));
  protobuf_c_message_free_unpacked (m, NULL);
  return v;
}

size_t
sc_mut_bytes (sc_rng *r, uint8_t *buf, size_t len, size_t max)
{
  static const uint8_t interesting[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a, 0x22 };
  switch (sc_rng_below (r, 5))
    {
    case 0: /* flip a bit */
      if (len)
        buf[sc_rng_below (r, (uint32_t) len)] ^= (uint8_t) (1u << sc_rng_below (r, 8));
      return len;
    case 1: /* an interesting byte */
      if (len)
        buf[sc_rng_below (r, (uint32_t) len)] = interesting[sc_rng_below (r, sizeof (interesting))];
      return len;
    case 2: /* insert random bytes */
      {
        size_t n = 1 + sc_rng_below (r, 8);
        if (len + n > max)
          return len;
        size_t at = sc_rng_below (r, (uint32_t) len + 1);
        memmove (buf + at + n, buf + at, len - at);
        for (size_t i = 0; i < n; i++)
          buf[at + i] = (uint8_t) sc_rng_next (r);
        return len + n;
      }
    case 3: /* erase a span */
      {
        if (len == 0)
          return 0;
        size_t at = sc_rng_below (r, (uint32_t) len);
        size_t n = 1 + sc_rng_below (r, (uint32_t) (len - at));
        memmove (buf + at, buf + at + n, len - at - n);
        return len - n;
      }
    default: /* duplicate a span */
      {
        if (len == 0)
          return 0;
        size_t at = sc_rng_below (r, (uint32_t) len);
        size_t n = 1 + sc_rng_below (r, (uint32_t) (len - at));
        if (len + n > max)
          return len;
        memmove (buf + at + n, buf + at, len - at);
        return len + n;
      }
    }
}
