#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
sc_xvasprintf (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  return s;
}

int
sc_error_make (sc_error *err, int errnum, const char *fmt, ...)
{
  if (err == NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *m = sc_xvasprintf (fmt, ap);
  va_end (ap);
  free (err->msg);
  if (errnum != 0)
    {
      err->msg = sc_xasprintf ("%s: %s", m, strerror (errnum));
      free (m);
    }
  else
    err->msg = m;
  err->errnum = errnum;
  return -1;
}

int
sc_error_wrap (sc_error *err, const char *fmt, ...)
{
  if (err == NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *prefix = sc_xvasprintf (fmt, ap);
  va_end (ap);
  char *m = sc_xasprintf ("%s: %s", prefix, err->msg ? err->msg : "unknown error");
  free (prefix);
  free (err->msg);
  err->msg = m;
  return -1;
}

void
sc_error_release (sc_error *err)
{
  if (err == NULL)
    return;
  free (err->msg);
  err->msg = NULL;
  err->errnum = 0;
}

void
sc_freep (void *p)
{
  void **pp = p;
  free (*pp);
  *pp = NULL;
}

void
sc_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
  *fd = -1;
}

void *
sc_xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
sc_xcalloc (size_t n, size_t sz)
{
  void *p = calloc (n ? n : 1, sz ? sz : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
sc_xrealloc (void *p, size_t n)
{
  void *q = realloc (p, n ? n : 1);
  if (q == NULL)
    abort ();
  return q;
}

char *
sc_xstrdup (const char *s)
{
  char *d = strdup (s ? s : "");
  if (d == NULL)
    abort ();
  return d;
}

char *
sc_xstrndup (const char *s, size_t n)
{
  char *d = strndup (s ? s : "", n);
  if (d == NULL)
    abort ();
  return d;
}

char *
sc_xasprintf (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *s = sc_xvasprintf (fmt, ap);
  va_end (ap);
  return s;
}
