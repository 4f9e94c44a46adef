/* Reports: TAP (also on stdout), JUnit XML, JSON, and a self-contained HTML
 * certificate. */
#include "report.h"

#include <errno.h>
#include <libxml/xmlwriter.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "status.h"

const char *
sc_status_name (sc_status s)
{
  switch (s)
    {
    case SC_PASS:
      return "PASS";
    case SC_FAIL:
      return "FAIL";
    case SC_SKIP:
      return "SKIP";
    case SC_INTERRUPTED:
      return "INTERRUPTED";
    default:
      return "ERR";
    }
}

sc_verdict
sc_report_verdict (const sc_report *rep)
{
  int unfinished = 0;
  for (int i = 0; i < rep->n; i++)
    unfinished += rep->results[i].status == SC_INTERRUPTED;
  if (rep->budget_out && !rep->interrupted_by)
    return (sc_verdict){ "incomplete",
                         sc_xasprintf ("INCOMPLETE: the run's time budget ran out; %d of %d "
                                       "cases did not finish (not conformant)",
                                       unfinished, rep->n) };
  if (rep->interrupted_by)
    return (sc_verdict){ "incomplete",
                         sc_xasprintf ("INCOMPLETE: the run was interrupted (signal %d); %d of %d "
                                       "cases did not finish",
                                       rep->interrupted_by, unfinished, rep->n) };
  if (!rep->passed)
    return (sc_verdict){ "fail", sc_xstrdup ("NOT CONFORMANT") };
  if (rep->waived)
    return (sc_verdict){ "fail", sc_xasprintf ("NOT CONFORMANT: %d %s failure%s waived by the "
                                               "baseline (the gate passed)",
                                               rep->waived, rep->strict ? "gating" : "MUST",
                                               rep->waived > 1 ? "s" : "") };
  if (rep->filter || rep->level)
    {
      char *what = sc_xasprintf ("%s%s%s%s%s", rep->filter ? "filter " : "",
                                 rep->filter ? rep->filter : "", rep->filter && rep->level ? ", " : "",
                                 rep->level ? "level " : "", rep->level ? rep->level : "");
      sc_verdict v = { "partial", sc_xasprintf ("PARTIAL RUN (%s, %d cases): every selected %s "
                                                "holds; not a certificate",
                                                what, rep->n, rep->strict ? "case" : "MUST") };
      free (what);
      return v;
    }
  if (rep->nwithout)
    {
      int na = 0;
      for (int i = 0; i < rep->n; i++)
        na += rep->results[i].without != NULL;
      char tags[256] = "";
      for (int i = 0; i < rep->nwithout; i++)
        snprintf (tags + strlen (tags), sizeof (tags) - strlen (tags), "%s%s", i ? ", " : "", rep->without[i]);
      return (sc_verdict){ "pass", sc_xasprintf ("%s, without %s (%d case%s not applicable)",
                                                 rep->strict ? "CONFORMANT (strict)" : "CONFORMANT: every MUST holds",
                                                 tags, na, na == 1 ? "" : "s") };
    }
  return (sc_verdict){ "pass", sc_xstrdup (rep->strict ? "CONFORMANT (strict)"
                                                      : "CONFORMANT: every MUST holds") };
}

static void
one_line (FILE *f, const char *s)
{
  for (; s && *s; s++)
    fputc (*s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* a YAML double-quoted scalar: backslash, quote and control characters
 * escaped, so a shim's message can never break the TAP diagnostics */
static void
yaml_dq (FILE *f, const char *s)
{
  char *clean = sc_utf8_sanitize (s ? s : "");
  fputc ('"', f);
  for (const unsigned char *p = (const unsigned char *) clean; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        fprintf (f, "\\%c", *p);
      else if (*p == '\n')
        fputs ("\\n", f);
      else if (*p == '\t')
        fputs ("\\t", f);
      else if (*p < 0x20 || *p == 0x7f)
        fprintf (f, "\\x%02x", *p);
      else
        fputc (*p, f);
    }
  fputc ('"', f);
  free (clean);
}

void
sc_tap_result (FILE *f, const sc_result *r, int i)
{
  const sc_case *c = r->c;
  if (r->status == SC_PASS)
    fprintf (f, "ok %d - %s [%s] %s\n", i, r->id, sc_level_name (r->level), c->title);
  else if (r->status == SC_SKIP)
    {
      fprintf (f, "ok %d - %s [%s] # SKIP ", i, r->id, sc_level_name (r->level));
      char *m = sc_utf8_sanitize (r->message ? r->message : "");
      one_line (f, m);
      free (m);
      fputc ('\n', f);
    }
  else
    {
      fprintf (f, "not ok %d - %s [%s] %s", i, r->id, sc_level_name (r->level), c->title);
      if (r->status == SC_INTERRUPTED)
        fprintf (f, " # interrupted: no verdict");
      else if (r->in_baseline)
        fprintf (f, " # TODO expected failure (baseline)");
      else if (!r->gating)
        fprintf (f, " # TODO %s: not gating without --strict", sc_level_name (r->level));
      fputc ('\n', f);
      fprintf (f, "  ---\n  message: ");
      yaml_dq (f, r->message);
      fprintf (f, "\n  reference: ");
      yaml_dq (f, c->ref);
      fprintf (f, "\n  ...\n");
    }
}

/* --- XML / HTML escaping; control characters (not valid XML) become '?' --- */
static void
esc (FILE *f, const char *raw)
{
  char *clean = sc_utf8_sanitize (raw ? raw : "");
  for (const char *s = clean; *s; s++)
    {
      unsigned char ch = (unsigned char) *s;
      switch (ch)
        {
        case '<':
          fputs ("&lt;", f);
          break;
        case '>':
          fputs ("&gt;", f);
          break;
        case '&':
          fputs ("&amp;", f);
          break;
        case '"':
          fputs ("&quot;", f);
          break;
        case '\'':
          fputs ("&#39;", f);
          break;
        default:
          if (ch < 0x20 && ch != '\n' && ch != '\t')
            fputc (ch == '\r' ? ' ' : '?', f);
          else
            fputc (ch, f);
        }
    }
  free (clean);
}

static int
write_tap (const sc_report *rep, const char *path)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    return -1;
  fprintf (f, "TAP version 13\n1..%d\n", rep->n);
  for (int i = 0; i < rep->n; i++)
    sc_tap_result (f, &rep->results[i], i + 1);
  return fclose (f);
}

/* text XML can carry: valid UTF-8, no control character but tab, newline
 * and carriage return (heap) */
static char *
xml_clean (const char *s)
{
  char *c = sc_utf8_sanitize (s ? s : "");
  for (unsigned char *p = (unsigned char *) c; *p; p++)
    if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
      *p = '?';
  return c;
}

static int
xattr (xmlTextWriterPtr w, const char *name, const char *value)
{
  char *v = xml_clean (value);
  int rc = xmlTextWriterWriteAttribute (w, BAD_CAST name, BAD_CAST v);
  free (v);
  return rc;
}

static int
xattrf (xmlTextWriterPtr w, const char *name, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static int
xattrf (xmlTextWriterPtr w, const char *name, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *v = sc_xvasprintf (fmt, ap);
  va_end (ap);
  int rc = xattr (w, name, v);
  free (v);
  return rc;
}

static int
xtext (xmlTextWriterPtr w, const char *text)
{
  char *v = xml_clean (text);
  int rc = xmlTextWriterWriteString (w, BAD_CAST v);
  free (v);
  return rc;
}

/* JUnit agrees with the gate: only a failure that fails the run is a
 * <failure>; a non-gating one (SHOULD/COMPAT without --strict, a baseline
 * entry) is told in <system-out>.  The attributes are the ones Jenkins'
 * JUnit schema allows (tests/conformance/junit.xsd). */
static int
write_junit (const sc_report *rep, const char *path)
{
  int failures = 0, skipped = 0, errors = 0;
  for (int i = 0; i < rep->n; i++)
    {
      const sc_result *r = &rep->results[i];
      failures += r->status == SC_FAIL && r->gating && !r->in_baseline;
      skipped += r->status == SC_SKIP || r->status == SC_INTERRUPTED;
      errors += r->status == SC_ERROR;
    }
  xmlTextWriterPtr w = xmlNewTextWriterFilename (path, 0);
  if (w == NULL)
    return -1;
  xmlTextWriterSetIndent (w, 1);
  xmlTextWriterSetIndentString (w, BAD_CAST "  ");
  int rc = xmlTextWriterStartDocument (w, NULL, "UTF-8", NULL);
  sc_verdict v = sc_report_verdict (rep);
  rc |= xmlTextWriterStartElement (w, BAD_CAST "testsuites");
  rc |= xattr (w, "name", "shimcheck");
  rc |= xattrf (w, "tests", "%d", rep->n);
  rc |= xattrf (w, "failures", "%d", failures);
  rc |= xattrf (w, "errors", "%d", errors);
  rc |= xattrf (w, "time", "%.3f", rep->seconds);
  rc |= xmlTextWriterStartElement (w, BAD_CAST "testsuite");
  rc |= xattr (w, "name", "shimcheck conformance");
  rc |= xattrf (w, "tests", "%d", rep->n);
  rc |= xattrf (w, "failures", "%d", failures);
  rc |= xattrf (w, "errors", "%d", errors);
  rc |= xattrf (w, "skipped", "%d", skipped);
  rc |= xattrf (w, "time", "%.3f", rep->seconds);
  rc |= xmlTextWriterStartElement (w, BAD_CAST "properties");
  const char *k;
  json_t *jv;
  json_t *props = json_deep_copy (rep->environment);
  json_object_set_new (props, "verdict", json_string (v.headline));
  json_object_foreach (props, k, jv)
  {
    rc |= xmlTextWriterStartElement (w, BAD_CAST "property");
    rc |= xattr (w, "name", k);
    rc |= xattr (w, "value", json_string_value (jv));
    rc |= xmlTextWriterEndElement (w);
  }
  json_decref (props);
  free (v.headline);
  rc |= xmlTextWriterEndElement (w); /* properties */
  for (int i = 0; i < rep->n; i++)
    {
      const sc_result *r = &rep->results[i];
      rc |= xmlTextWriterStartElement (w, BAD_CAST "testcase");
      rc |= xattrf (w, "classname", "shimcheck.%s", sc_case_group (r->c));
      rc |= xattr (w, "name", r->id);
      rc |= xattrf (w, "time", "%.3f", r->seconds);
      bool gating_failure = r->status == SC_FAIL && r->gating && !r->in_baseline;
      if (r->status == SC_SKIP || r->status == SC_INTERRUPTED)
        {
          rc |= xmlTextWriterStartElement (w, BAD_CAST "skipped");
          rc |= xattr (w, "message", r->message);
          rc |= xmlTextWriterEndElement (w);
        }
      else if (gating_failure || r->status == SC_ERROR)
        {
          rc |= xmlTextWriterStartElement (w, BAD_CAST (gating_failure ? "failure" : "error"));
          rc |= xattr (w, "message", r->message);
          rc |= xattr (w, "type", sc_level_name (r->level));
          char *body = sc_xasprintf ("%s\nreference: %s\n\ntranscript:\n%s", r->c->title, r->c->ref,
                                     r->transcript ? r->transcript : "");
          rc |= xtext (w, body);
          free (body);
          rc |= xmlTextWriterEndElement (w);
        }
      if (json_array_size (r->evidence) > 0 || (r->status == SC_FAIL && !gating_failure))
        {
          rc |= xmlTextWriterStartElement (w, BAD_CAST "system-out");
          if (r->status == SC_FAIL && !gating_failure)
            {
              char *note = sc_xasprintf ("FAILED, not gating (%s): %s\n",
                                         r->in_baseline ? "expected failure in the baseline"
                                                        : "SHOULD/COMPAT without --strict",
                                         r->message ? r->message : "");
              rc |= xtext (w, note);
              free (note);
            }
          size_t j;
          json_t *e;
          json_array_foreach (r->evidence, j, e)
          {
            rc |= xtext (w, json_string_value (e));
            rc |= xtext (w, "\n");
          }
          rc |= xmlTextWriterEndElement (w);
        }
      rc |= xmlTextWriterEndElement (w); /* testcase */
    }
  rc |= xmlTextWriterEndElement (w); /* testsuite */
  rc |= xmlTextWriterEndElement (w); /* testsuites */
  rc |= xmlTextWriterEndDocument (w) < 0;
  xmlFreeTextWriter (w);
  if (rc < 0)
    errno = EIO;
  return rc < 0 ? -1 : 0;
}

/* a JSON string of any bytes: made valid UTF-8 first */
static json_t *
jstr (const char *s)
{
  char *c = sc_utf8_sanitize (s ? s : "");
  json_t *j = json_string (c);
  free (c);
  return j;
}

static int
write_json (const sc_report *rep, const char *path)
{
  json_t *cases = json_array ();
  for (int i = 0; i < rep->n; i++)
    {
      const sc_result *r = &rep->results[i];
      json_t *c = json_object ();
      json_object_set_new (c, "id", json_string (r->id));
      json_object_set_new (c, "containerd", json_string (r->profile->name));
      json_object_set_new (c, "group", json_string (sc_case_group (r->c)));
      json_object_set_new (c, "level", json_string (sc_level_name (r->level)));
      json_object_set_new (c, "title", json_string (r->c->title));
      json_object_set_new (c, "reference", json_string (r->c->ref));
      json_object_set_new (c, "result", json_string (sc_status_name (r->status)));
      json_object_set_new (c, "seconds", json_real (r->seconds));
      json_object_set_new (c, "message", jstr (r->message));
      json_object_set_new (c, "evidence", r->evidence ? json_incref (r->evidence) : json_array ());
      json_object_set_new (c, "gating", json_boolean (r->gating));
      json_object_set_new (c, "baseline", json_boolean (r->in_baseline));
      json_object_set_new (c, "transcript", jstr (r->transcript));
      json_t *tags = json_array ();
      char buf[128];
      snprintf (buf, sizeof (buf), "%s", sc_case_tags (r->c));
      for (char *save = NULL, *t = strtok_r (buf, ",", &save); t; t = strtok_r (NULL, ",", &save))
        json_array_append_new (tags, json_string (t));
      json_object_set_new (c, "tags", tags);
      json_object_set_new (c, "not_applicable", r->without ? json_string (r->without) : json_null ());
      json_array_append_new (cases, c);
    }
  json_t *now = json_array ();
  for (int i = 0; i < rep->n_baseline_now_passing; i++)
    json_array_append_new (now, json_string (rep->baseline_now_passing[i]));
  sc_verdict v = sc_report_verdict (rep);
  json_t *root = json_object ();
  json_object_set_new (root, "schema", json_string ("shimcheck-report/4"));
  json_object_set_new (root, "verdict", json_pack ("{s:s, s:o}", "class", v.cls, "headline", jstr (v.headline)));
  json_object_set_new (root, "passed", json_boolean (rep->passed));
  json_object_set_new (root, "partial", json_boolean (rep->filter || rep->level));
  json_t *wo = json_array ();
  for (int i = 0; i < rep->nwithout; i++)
    json_array_append_new (wo, json_string (rep->without[i]));
  json_object_set_new (root, "without", wo);
  json_object_set_new (root, "interrupted", json_boolean (rep->interrupted_by != 0));
  json_object_set_new (root, "budget_ran_out", json_boolean (rep->budget_out));
  json_object_set_new (root, "waived", json_integer (rep->waived));
  json_object_set_new (root, "strict", json_boolean (rep->strict));
  json_object_set_new (root, "seconds", json_real (rep->seconds));
  json_object_set_new (root, "environment", json_incref (rep->environment));
  json_object_set_new (root, "invocation", rep->invocation ? json_incref (rep->invocation) : json_object ());
  json_object_set_new (root, "baseline_now_passing", now);
  json_object_set_new (root, "cases", cases);
  free (v.headline);
  int rc = json_dump_file (root, path, JSON_INDENT (2));
  json_decref (root);
  if (rc != 0)
    errno = EIO;
  return rc;
}

static const char *
css (void)
{
  return "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1d2733}"
         "header{background:#14212e;color:#fff;padding:28px 40px}header h1{margin:0;font-size:26px;letter-spacing:.3px}"
         "header .sub{opacity:.8;margin-top:4px}.verdict{display:inline-block;margin-top:16px;padding:8px 18px;border-radius:6px;font-weight:700;font-size:18px}"
         ".verdict.pass{background:#1f9d55}.verdict.fail{background:#cc1f1a}.verdict.partial{background:#b7791f}.verdict.incomplete{background:#6b46c1}main{padding:24px 40px;max-width:1200px}"
         "section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 22px;margin-bottom:20px}"
         "h2{font-size:17px;margin:0 0 12px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e9ed;vertical-align:top}"
         "th{font-size:12px;text-transform:uppercase;letter-spacing:.5px;color:#5b6b7b}td.num{text-align:right;font-variant-numeric:tabular-nums}"
         "header .shim{font-size:20px;font-weight:600;margin-top:10px}.NG{color:#b7791f;font-weight:700}"
         ".toolbar{margin:0 0 10px}.toolbar input[type=search]{width:320px;padding:5px 8px;border:1px solid #c9d1d9;border-radius:5px}"
         "#shown{color:#5b6b7b;font-size:12px;margin-left:8px}"
         "@media print{.toolbar{display:none}body{background:#fff}section{box-shadow:none}header{background:#fff;color:#000;border-bottom:2px solid #000}"
         ".verdict{color:#fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}details pre{max-height:none;white-space:pre-wrap}}"
         ".INTERRUPTED{color:#6b46c1;font-weight:700}.PASS{color:#1f9d55;font-weight:700}.FAIL{color:#cc1f1a;font-weight:700}.SKIP{color:#8a6d00;font-weight:700}.ERR{color:#7d3c98;font-weight:700}"
         ".lvl{font-size:11px;padding:2px 6px;border-radius:4px;background:#e8edf2;color:#34495e}.lvl.MUST{background:#fde8e7;color:#a3211c}.lvl.SHOULD{background:#fff4d6;color:#7a5b00}"
         ".id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}.ref{color:#5b6b7b;font-size:12px}.msg{color:#a3211c;font-size:13px}"
         ".ev{color:#34495e;font-size:12.5px;margin:2px 0 0 0;padding-left:16px}details pre{background:#0f1720;color:#d6e2ee;padding:10px;border-radius:6px;overflow-x:auto;font-size:11.5px;max-height:360px}"
         "dl.env{display:grid;grid-template-columns:180px 1fr;gap:4px 12px;margin:0}dl.env dt{color:#5b6b7b}dl.env dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}"
         ".bar{display:flex;height:10px;border-radius:5px;overflow:hidden;background:#e6e9ed;min-width:120px}.bar span{display:block}.bar .p{background:#1f9d55}.bar .f{background:#cc1f1a}.bar .s{background:#d4a017}";
}

/* search and the failures-only toggle; transcripts open for printing.  No
 * network, no external file: the certificate is one self-contained page. */
static const char *
script (void)
{
  return "(function(){var q=document.getElementById('q'),o=document.getElementById('only'),"
         "s=document.getElementById('shown'),rows=document.querySelectorAll('#cases tr.case');"
         "function f(){var t=q.value.toLowerCase(),n=0;rows.forEach(function(r){"
         "var v=(!o.checked||r.dataset.ok!=='1')&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);"
         "r.style.display=v?'':'none';if(v)n++;});s.textContent=n+' of '+rows.length+' cases';}"
         "if(location.hash==='#failures')o.checked=true;"
         "q.addEventListener('input',f);o.addEventListener('change',f);f();"
         "window.addEventListener('beforeprint',function(){document.querySelectorAll('details')"
         ".forEach(function(d){d.open=true;});});})();";
}

static int
write_html (const sc_report *rep, const char *path)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    return -1;
  const char *shim = json_string_value (json_object_get (rep->environment, "shim"));
  fprintf (f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
              "<title>shimcheck certificate: ");
  esc (f, shim);
  fprintf (f, "</title><style>%s</style></head><body>\n", css ());
  /* the shim by what identifies it: its name, what -v says, its digest;
   * the run by its id (paths are in the environment table only) */
  const char *shim_v = json_string_value (json_object_get (rep->environment, "shim_version"));
  const char *sum = json_string_value (json_object_get (rep->environment, "shim_sha256"));
  const char *run_id = json_string_value (json_object_get (rep->environment, "run_id"));
  const char *base = shim ? strrchr (shim, '/') : NULL;
  fprintf (f, "<header><h1>shimcheck conformance certificate</h1><div class=\"shim\">");
  esc (f, base ? base + 1 : shim);
  fprintf (f, "</div><div class=\"sub\">");
  char version[200]; /* what -v printed, on one line */
  snprintf (version, sizeof (version), "%s", shim_v ? shim_v : "");
  for (char *c = version; *c; c++)
    if (*c == '\n' || *c == '\t')
      *c = ' ';
  esc (f, version);
  fprintf (f, " &middot; sha256 <span class=\"id\">");
  esc (f, sum);
  fprintf (f, "</span></div><div class=\"sub\">run <span class=\"id\">");
  esc (f, run_id);
  fprintf (f, "</span> &middot; %d cases &middot; %.1f s%s", rep->n, rep->seconds,
           rep->strict ? " &middot; strict" : "");
  if (rep->filter)
    {
      fprintf (f, " &middot; filter <span class=\"id\">");
      esc (f, rep->filter);
      fprintf (f, "</span>");
    }
  if (rep->level)
    fprintf (f, " &middot; level %s", rep->level);
  fprintf (f, "</div>");
  sc_verdict verdict = sc_report_verdict (rep);
  fprintf (f, "<div class=\"verdict %s\">", verdict.cls);
  esc (f, verdict.headline);
  fprintf (f, "</div></header>\n<main>\n");
  free (verdict.headline);

  /* summary by group and by level */
  static const char *const groups[] = { "bootstrap", "create", "start", "signal", "exec", "exit",
                                        "cleanup", "io", "control", "ttrpc", NULL };
  fprintf (f, "<section><h2>Summary</h2><table><tr><th>group</th><th>MUST</th><th>SHOULD</th><th>COMPAT</th><th>passed</th><th></th></tr>\n");
  for (int g = 0; groups[g]; g++)
    {
      int tot = 0, pass = 0, fail = 0, skip = 0;
      int lp[3] = { 0 }, lt[3] = { 0 };
      for (int i = 0; i < rep->n; i++)
        {
          const sc_result *r = &rep->results[i];
          if (strcmp (sc_case_group (r->c), groups[g]) != 0)
            continue;
          tot++;
          lt[r->level]++;
          if (r->status == SC_PASS)
            pass++, lp[r->level]++;
          else if (r->status == SC_SKIP)
            skip++;
          else
            fail++;
        }
      if (tot == 0)
        continue;
      fprintf (f, "<tr><td>%s</td>", groups[g]);
      for (int l = 0; l < 3; l++)
        fprintf (f, "<td class=\"num\">%d/%d</td>", lp[l], lt[l]);
      fprintf (f, "<td class=\"num\">%d/%d</td><td><div class=\"bar\"><span class=\"p\" style=\"width:%.1f%%\"></span>"
                  "<span class=\"f\" style=\"width:%.1f%%\"></span><span class=\"s\" style=\"width:%.1f%%\"></span></div></td></tr>\n",
               pass, tot, 100.0 * pass / tot, 100.0 * fail / tot, 100.0 * skip / tot);
    }
  int lp[3] = { 0 }, lt[3] = { 0 };
  for (int i = 0; i < rep->n; i++)
    {
      lt[rep->results[i].level]++;
      lp[rep->results[i].level] += rep->results[i].status == SC_PASS;
    }
  fprintf (f, "<tr><th>all</th><th class=\"num\">%d/%d</th><th class=\"num\">%d/%d</th><th class=\"num\">%d/%d</th><th></th><th></th></tr></table>",
           lp[0], lt[0], lp[1], lt[1], lp[2], lt[2]);
  if (rep->n_baseline_now_passing)
    {
      fprintf (f, "<p>Baseline entries that now pass (remove them):");
      for (int i = 0; i < rep->n_baseline_now_passing; i++)
        fprintf (f, " <span class=\"id\">%s</span>", rep->baseline_now_passing[i]);
      fprintf (f, "</p>");
    }
  fprintf (f, "<p class=\"ref\">MUST: containerd's runtime-v2 doc says MUST, or containerd breaks without it &middot; "
              "SHOULD: what a correct shim does &middot; COMPAT: what containerd-shim-runc-v2 does where the doc is silent. "
              "Only MUST gates the verdict unless the run is strict.</p></section>\n");

  if (rep->nwithout)
    {
      fprintf (f, "<section><h2>Not applicable</h2><p>The shim was declared without these capabilities; "
                  "their cases did not run and are not certified:</p><table><tr><th>capability</th><th>cases</th></tr>\n");
      for (int w = 0; w < rep->nwithout; w++)
        {
          fprintf (f, "<tr><td><span class=\"id\">%s</span><div class=\"ref\">", rep->without[w]);
          esc (f, sc_capability_find (rep->without[w])->what);
          fprintf (f, "</div></td><td>");
          for (int i = 0; i < rep->n; i++)
            if (rep->results[i].without == rep->without[w])
              {
                fprintf (f, "<span class=\"id\">");
                esc (f, rep->results[i].id);
                fprintf (f, "</span> ");
              }
          fprintf (f, "</td></tr>\n");
        }
      fprintf (f, "</table></section>\n");
    }

  fprintf (f, "<section><h2>Environment</h2><dl class=\"env\">");
  const char *k;
  json_t *v;
  json_object_foreach (rep->environment, k, v)
  {
    fprintf (f, "<dt>");
    esc (f, k);
    fprintf (f, "</dt><dd>");
    esc (f, json_string_value (v));
    fprintf (f, "</dd>");
  }
  fprintf (f, "</dl></section>\n");

  fprintf (f, "<section><h2>Cases</h2><div class=\"toolbar\"><input type=\"search\" id=\"q\" "
              "placeholder=\"search id, title, message\" aria-label=\"search cases\"> <label><input "
              "type=\"checkbox\" id=\"only\"> failures only</label> <span id=\"shown\"></span></div>"
              "<table id=\"cases\"><tr><th>result</th><th>case</th><th>level</th><th class=\"num\">time</th></tr>\n");
  for (int i = 0; i < rep->n; i++)
    {
      const sc_result *r = &rep->results[i];
      /* a failure that does not fail the run looks different from one that does */
      bool nongating = r->status == SC_FAIL && (r->in_baseline || !r->gating);
      const char *label = r->without ? "N/A" : sc_status_name (r->status);
      fprintf (f, "<tr class=\"case\" data-ok=\"%d\"><td class=\"%s\">%s%s</td><td><div class=\"id\">",
               r->status == SC_PASS, nongating ? "NG" : label, label,
               r->in_baseline && r->status == SC_FAIL ? "<br><small>waived by the baseline</small>"
               : nongating                           ? "<br><small>not gating</small>"
                                                     : "");
      esc (f, r->id);
      fprintf (f, "</div><div>");
      esc (f, r->c->title);
      fprintf (f, "</div><div class=\"ref\">");
      esc (f, r->c->ref);
      fprintf (f, "</div>");
      if (r->status != SC_PASS && r->message && *r->message)
        {
          fprintf (f, "<div class=\"msg\">");
          esc (f, r->message);
          fprintf (f, "</div>");
        }
      if (json_array_size (r->evidence))
        {
          fprintf (f, "<ul class=\"ev\">");
          size_t j;
          json_t *e;
          json_array_foreach (r->evidence, j, e)
          {
            fprintf (f, "<li>");
            esc (f, json_string_value (e));
            fprintf (f, "</li>");
          }
          fprintf (f, "</ul>");
        }
      if (r->status != SC_PASS && r->transcript && *r->transcript)
        {
          fprintf (f, "<details><summary>transcript</summary><pre>");
          esc (f, r->transcript);
          fprintf (f, "</pre></details>");
        }
      fprintf (f, "</td><td><span class=\"lvl %s\">%s</span></td><td class=\"num\">%.1f s</td></tr>\n",
               sc_level_name (r->level), sc_level_name (r->level), r->seconds);
    }
  fprintf (f, "</table></section>\n<p class=\"ref\">generated by shimcheck %s (",
           json_string_value (json_object_get (rep->environment, "shimcheck")));
  esc (f, rep->invocation ? json_string_value (json_object_get (rep->invocation, "shimcheck_commit")) : "");
  fprintf (f, ") &middot; catalogue sha256 ");
  esc (f, rep->invocation ? json_string_value (json_object_get (rep->invocation, "catalogue_sha256")) : "");
  fprintf (f, "</p></main><script>%s</script></body></html>\n", script ());
  return fclose (f);
}

/* badge.svg: the verdict in a few words, for a README or a dashboard */
static int
write_badge (const sc_report *rep, const char *path)
{
  sc_verdict v = sc_report_verdict (rep);
  free (v.headline);
  const char *text = strcmp (v.cls, "pass") == 0       ? (rep->strict ? "conformant (strict)" : "conformant")
                     : strcmp (v.cls, "partial") == 0    ? "partial run"
                     : strcmp (v.cls, "incomplete") == 0 ? "incomplete"
                     : rep->waived                       ? "not conformant (waived)"
                                                         : "not conformant";
  const char *color = strcmp (v.cls, "pass") == 0       ? "#1f9d55"
                      : strcmp (v.cls, "partial") == 0    ? "#b7791f"
                      : strcmp (v.cls, "incomplete") == 0 ? "#6b46c1"
                                                          : "#cc1f1a";
  int lw = 70, rw = 12 + 7 * (int) strlen (text);
  FILE *f = fopen (path, "w");
  if (f == NULL)
    return -1;
  fprintf (f,
           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"20\" role=\"img\" "
           "aria-label=\"shimcheck: %s\"><title>shimcheck: %s</title>"
           "<rect width=\"%d\" height=\"20\" fill=\"#555\"/><rect x=\"%d\" width=\"%d\" height=\"20\" "
           "fill=\"%s\"/><g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" "
           "font-size=\"11\"><text x=\"7\" y=\"14\">shimcheck</text><text x=\"%d\" y=\"14\">%s</text>"
           "</g></svg>\n",
           lw + rw, text, text, lw, lw, rw, color, lw + 6, text);
  return fclose (f);
}

int
sc_report_write_all (const sc_report *rep, const char *dir, char **errmsg)
{
  const char *names[] = { "results.tap", "junit.xml", "report.json", "report.html", "badge.svg" };
  int (*writers[]) (const sc_report *, const char *) = { write_tap, write_junit, write_json,
                                                         write_html, write_badge };
  for (int i = 0; i < 5; i++)
    {
      char *p = sc_xasprintf ("%s/%s", dir, names[i]);
      int rc = writers[i](rep, p);
      if (rc != 0)
        {
          *errmsg = sc_xasprintf ("write %s: %s", p, strerror (errno));
          free (p);
          return -1;
        }
      free (p);
    }
  return 0;
}
