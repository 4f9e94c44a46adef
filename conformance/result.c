/* The runner <-> case protocol (result.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "result.h"
#include "status.h"

static json_t *
utf8_string (const char *s)
{
  char *clean = sc_utf8_sanitize (s ? s : "");
  json_t *j = json_string (clean);
  free (clean);
  return j ? j : json_string ("");
}

int
sc_case_outcome_write (const char *dir, sc_status status, const char *message,
                       const char *address, char *const *evidence, size_t nevidence,
                       sc_error *err)
{
  json_t *ev = json_array ();
  for (size_t i = 0; i < nevidence; i++)
    json_array_append_new (ev, utf8_string (evidence[i]));
  json_t *root = json_object ();
  json_object_set_new (root, "status", json_integer (status));
  json_object_set_new (root, "message", utf8_string (message));
  json_object_set_new (root, "address", utf8_string (address));
  json_object_set_new (root, "evidence", ev);
  char *tmp = sc_xasprintf ("%s/.%s.tmp", dir, SC_CASE_RESULT);
  char *path = sc_xasprintf ("%s/%s", dir, SC_CASE_RESULT);
  int rc = json_dump_file (root, tmp, JSON_COMPACT);
  if (rc != 0 || rename (tmp, path) < 0)
    rc = sc_error_make (err, errno, "write %s", path);
  json_decref (root);
  free (tmp);
  free (path);
  return rc;
}

int
sc_case_outcome_read (const char *dir, sc_case_outcome *out, sc_error *err)
{
  memset (out, 0, sizeof (*out));
  char *path = sc_xasprintf ("%s/%s", dir, SC_CASE_RESULT);
  json_error_t jerr;
  json_t *j = json_load_file (path, 0, &jerr);
  int rc = 0;
  json_t *st = j ? json_object_get (j, "status") : NULL;
  if (j == NULL)
    rc = sc_error_make (err, 0, "%s: %s", path, jerr.text);
  else if (!json_is_integer (st) || json_integer_value (st) < SC_PASS
           || json_integer_value (st) > SC_ERROR)
    rc = sc_error_make (err, 0, "%s: no valid status", path);
  else
    {
      out->status = (sc_status) json_integer_value (st);
      const char *m = json_string_value (json_object_get (j, "message"));
      const char *a = json_string_value (json_object_get (j, "address"));
      out->message = sc_xstrdup (m ? m : "");
      out->address = sc_xstrdup (a ? a : "");
      out->evidence = json_incref (json_object_get (j, "evidence"));
      if (!json_is_array (out->evidence))
        {
          json_decref (out->evidence);
          out->evidence = json_array ();
        }
    }
  json_decref (j);
  free (path);
  return rc;
}

void
sc_case_outcome_release (sc_case_outcome *o)
{
  free (o->message);
  free (o->address);
  json_decref (o->evidence);
  memset (o, 0, sizeof (*o));
}

char *
sc_case_file_text (const char *dir, const char *name, size_t max_tail)
{
  char *path = sc_xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (path, "r");
  free (path);
  if (f == NULL)
    return NULL;
  fseek (f, 0, SEEK_END);
  long size = ftell (f);
  long from = size > (long) max_tail ? size - (long) max_tail : 0;
  fseek (f, from, SEEK_SET);
  char *buf = sc_xmalloc ((size_t) (size - from) + 1);
  size_t n = fread (buf, 1, (size_t) (size - from), f);
  fclose (f);
  buf[n] = '\0';
  char *text = sc_utf8_sanitize (buf);
  free (buf);
  if (from > 0)
    {
      char *m = sc_xasprintf ("[... %ld bytes before ...]\n%s", from, text);
      free (text);
      return m;
    }
  return text;
}
