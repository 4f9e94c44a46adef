#include "status.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "ttrpc/ttrpc.pb-c.h"

static const char *const code_names[] = {
  "OK",           "Canceled",         "Unknown",           "InvalidArgument",
  "DeadlineExceeded", "NotFound",     "AlreadyExists",     "PermissionDenied",
  "ResourceExhausted", "FailedPrecondition", "Aborted",    "OutOfRange",
  "Unimplemented", "Internal",        "Unavailable",       "DataLoss",
  "Unauthenticated",
};

const char *
sc_code_name (int code)
{
  static __thread char buf[32];
  if (code >= 0 && code < (int) (sizeof (code_names) / sizeof (code_names[0])))
    return code_names[code];
  snprintf (buf, sizeof (buf), "Code(%d)", code);
  return buf;
}

/* compares ignoring case and '_' so NotFound, NOT_FOUND and not_found match */
static bool
name_eq (const char *a, const char *b)
{
  for (;;)
    {
      while (*a == '_')
        a++;
      while (*b == '_')
        b++;
      if (*a == '\0' || *b == '\0')
        return *a == *b;
      if (tolower ((unsigned char) *a) != tolower ((unsigned char) *b))
        return false;
      a++;
      b++;
    }
}

int
sc_code_from_name (const char *name)
{
  if (name == NULL || *name == '\0')
    return -1;
  if (isdigit ((unsigned char) name[0]))
    {
      char *end;
      long v = strtol (name, &end, 10);
      return (*end == '\0' && v >= 0 && v <= 16) ? (int) v : -1;
    }
  for (size_t i = 0; i < sizeof (code_names) / sizeof (code_names[0]); i++)
    if (name_eq (name, code_names[i]))
      return (int) i;
  return -1;
}

sc_code
sc_code_from_errno (int errnum)
{
  switch (errnum)
    {
    case 0:
      return SC_OK;
    case ENOENT:
      return SC_NOT_FOUND;
    case EEXIST:
      return SC_ALREADY_EXISTS;
    case EACCES:
    case EPERM:
      return SC_PERMISSION_DENIED;
    case EINVAL:
      return SC_INVALID_ARGUMENT;
    case ETIMEDOUT:
      return SC_DEADLINE_EXCEEDED;
    case ECANCELED:
      return SC_CANCELED;
    case EPIPE:
      return SC_FAILED_PRECONDITION;
    case EMSGSIZE:
    case ENOMEM:
      return SC_RESOURCE_EXHAUSTED;
    case ENOSYS:
    case EOPNOTSUPP:
      return SC_UNIMPLEMENTED;
    case ECONNRESET:
    case ECONNREFUSED:
    case ENOTCONN:
      return SC_UNAVAILABLE;
    default:
      return SC_UNKNOWN;
    }
}

void
sc_rpc_result_release (sc_rpc_result *r)
{
  if (r == NULL)
    return;
  free (r->message);
  free (r->payload);
  memset (r, 0, sizeof (*r));
}

void
sc_rpc_result_set (sc_rpc_result *r, int code, bool local, const char *fmt, ...)
{
  free (r->message);
  free (r->payload);
  r->payload = NULL;
  r->payload_len = 0;
  r->code = code;
  r->local = local;
  va_list ap;
  va_start (ap, fmt);
  r->message = sc_xvasprintf (fmt, ap);
  va_end (ap);
}

void
sc_rpc_result_from_response (sc_rpc_result *r, const uint8_t *body, size_t len)
{
  Ttrpc__Response *resp = ttrpc__response__unpack (NULL, len, body);
  if (resp == NULL)
    {
      sc_rpc_result_set (r, SC_INTERNAL, true,
                         "response body (%zu bytes) is not a ttrpc.Response", len);
      return;
    }
  free (r->message);
  free (r->payload);
  r->message = NULL;
  r->payload = NULL;
  r->payload_len = 0;
  r->local = false;
  if (resp->status != NULL && resp->status->code != 0)
    {
      r->code = resp->status->code;
      r->message = sc_xstrdup (resp->status->message);
    }
  else
    {
      r->code = SC_OK;
      r->message = sc_xstrdup (resp->status ? resp->status->message : "");
      if (resp->payload.len > 0)
        {
          r->payload = sc_xmalloc (resp->payload.len);
          memcpy (r->payload, resp->payload.data, resp->payload.len);
          r->payload_len = resp->payload.len;
        }
    }
  ttrpc__response__free_unpacked (resp, NULL);
}

char *
sc_rpc_result_describe (const sc_rpc_result *r)
{
  if (r->code == SC_OK)
    return sc_xasprintf ("OK (%zu bytes)", r->payload_len);
  return sc_xasprintf ("%s%s: %s", sc_code_name (r->code), r->local ? " (local)" : "",
                       r->message ? r->message : "");
}

/* length of the valid UTF-8 sequence at s (1-4), 0 if invalid (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF) */
static size_t
utf8_seq (const unsigned char *s)
{
  if (s[0] < 0x80)
    return 1;
  size_t n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
             : s[0] >= 0xf0 && s[0] <= 0xf4                           ? 4
                                                                       : 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] > 0x9f)
      || (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] > 0x8f))
    return 0;
  return n;
}

bool
sc_utf8_valid (const char *s)
{
  const unsigned char *p = (const unsigned char *) s;
  while (*p)
    {
      size_t n = utf8_seq (p);
      if (n == 0)
        return false;
      p += n;
    }
  return true;
}

char *
sc_utf8_sanitize (const char *s)
{
  char *out = sc_xstrdup (s);
  unsigned char *p = (unsigned char *) out;
  while (*p)
    {
      size_t n = utf8_seq (p);
      if (n == 0)
        *p++ = '?';
      else
        p += n;
    }
  return out;
}
