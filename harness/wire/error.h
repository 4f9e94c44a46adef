/* Error reporting, crun style: functions return int (< 0 on failure) and fill
 * an sc_error carrying errno (if any) and a message with context. */
#ifndef SHIMCHECK_ERROR_H
#define SHIMCHECK_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sc_error
{
  int errnum;  /* errno at the failure, 0 if none */
  char *msg;   /* heap string, NULL when no error */
} sc_error;

#define SC_ERROR_INIT { 0, NULL }

/* Sets *err (replacing an earlier message) and returns -1.  When errnum is
 * non-zero, ": strerror(errnum)" is appended. */
int sc_error_make (sc_error *err, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Prefixes the existing message with more context ("launch: <old>"); returns -1. */
int sc_error_wrap (sc_error *err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

void sc_error_release (sc_error *err);

/* Cleanup helpers (__attribute__((cleanup))). */
void sc_freep (void *p);
void sc_closep (int *fd);
#define cleanup_free __attribute__ ((cleanup (sc_freep)))
#define cleanup_close __attribute__ ((cleanup (sc_closep)))
#define cleanup_error __attribute__ ((cleanup (sc_error_release)))

/* xmalloc family: abort on OOM, the only sane policy for a test harness. */
void *sc_xmalloc (size_t n);
void *sc_xcalloc (size_t n, size_t sz);
void *sc_xrealloc (void *p, size_t n);
char *sc_xstrdup (const char *s);
char *sc_xstrndup (const char *s, size_t n);
char *sc_xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
char *sc_xvasprintf (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));

#endif
