/* Reports: TAP (also on stdout), JUnit XML, JSON, and a self-contained HTML
 * certificate. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

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
    default:
      return "ERR";
    }
}

static void
one_line (FILE *f, const char *s)
{
  for (; s && *s; s++)
    fputc (*s == '\n' || *s == '\r' ? ' ' : *s, f);
}

void
sc_tap_result (FILE *f, const sc_result *r, int i)
{
  const sc_case *c = r->c;
  if (r->status == SC_PASS)
    fprintf (f, "ok %d - %s [%s] %s\n", i, c->id, sc_level_name (c->level), c->title);
  else if (r->status == SC_SKIP)
    {
      fprintf (f, "ok %d - %s [%s] # SKIP ", i, c->id, sc_level_name (c->level));
      one_line (f, r->message);
      fputc ('\n', f);
    }
  else
    {
      fprintf (f, "not ok %d - %s [%s] %s", i, c->id, sc_level_name (c->level), c->title);
      if (r->in_baseline)
        fprintf (f, " # TODO expected failure (baseline)");
      else if (!r->gating)
        fprintf (f, " # TODO %s: not gating without --strict", sc_level_name (c->level));
      fputc ('\n', f);
      fprintf (f, "  ---\n  message: \"");
      for (const char *p = r->message; p && *p; p++)
        fputs (*p == '"' ? "\\\"" : *p == '\n' ? " " : (char[]){ *p, 0 }, f);
      fprintf (f, "\"\n  reference: \"%s\"\n  ...\n", c->ref);
    }
}

/* --- XML / HTML escaping; control characters (not valid XML) become '?' --- */
static void
esc (FILE *f, const char *s)
{
  for (; s && *s; s++)
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

static int
write_junit (const sc_report *rep, const char *path)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    return -1;
  int failures = 0, skipped = 0, errors = 0;
  for (int i = 0; i < rep->n; i++)
    {
      failures += rep->results[i].status == SC_FAIL;
      skipped += rep->results[i].status == SC_SKIP;
      errors += rep->results[i].status == SC_ERROR;
    }
  fprintf (f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf (f, "<testsuites name=\"shimcheck\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
           rep->n, failures, errors, skipped, rep->seconds);
  fprintf (f, "  <testsuite name=\"shimcheck conformance\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
           rep->n, failures, errors, skipped, rep->seconds);
  fprintf (f, "    <properties>\n");
  const char *k;
  json_t *v;
  json_object_foreach (rep->environment, k, v)
  {
    fprintf (f, "      <property name=\"");
    esc (f, k);
    fprintf (f, "\" value=\"");
    esc (f, json_string_value (v));
    fprintf (f, "\"/>\n");
  }
  fprintf (f, "    </properties>\n");
  for (int i = 0; i < rep->n; i++)
    {
      const sc_result *r = &rep->results[i];
      fprintf (f, "    <testcase classname=\"shimcheck.%s\" name=\"", sc_case_group (r->c));
      esc (f, r->c->id);
      fprintf (f, "\" time=\"%.3f\">\n", r->seconds);
      if (r->status == SC_SKIP)
        {
          fprintf (f, "      <skipped message=\"");
          esc (f, r->message);
          fprintf (f, "\"/>\n");
        }
      else if (r->status == SC_FAIL || r->status == SC_ERROR)
        {
          fprintf (f, "      <%s message=\"", r->status == SC_FAIL ? "failure" : "error");
          esc (f, r->message);
          fprintf (f, "\" type=\"%s%s\">", sc_level_name (r->c->level),
                   r->in_baseline ? " (baseline)" : "");
          esc (f, r->c->title);
          fprintf (f, "\nreference: ");
          esc (f, r->c->ref);
          fprintf (f, "\n\ntranscript:\n");
          esc (f, r->transcript);
          fprintf (f, "</%s>\n", r->status == SC_FAIL ? "failure" : "error");
        }
      if (json_array_size (r->evidence) > 0)
        {
          fprintf (f, "      <system-out>");
          size_t j;
          json_t *e;
          json_array_foreach (r->evidence, j, e)
          {
            esc (f, json_string_value (e));
            fputc ('\n', f);
          }
          fprintf (f, "</system-out>\n");
        }
      fprintf (f, "    </testcase>\n");
    }
  fprintf (f, "  </testsuite>\n</testsuites>\n");
  return fclose (f);
}

static int
write_json (const sc_report *rep, const char *path)
{
  json_t *cases = json_array ();
  for (int i = 0; i < rep->n; i++)
    {
      const sc_result *r = &rep->results[i];
      json_array_append_new (
        cases, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:O, s:b, s:b, s:s}", "id",
                          r->c->id, "group", sc_case_group (r->c), "level", sc_level_name (r->c->level),
                          "title", r->c->title, "reference", r->c->ref, "result",
                          sc_status_name (r->status), "seconds", r->seconds, "message",
                          r->message ? r->message : "", "evidence", r->evidence, "gating", r->gating,
                          "baseline", r->in_baseline, "transcript", r->transcript ? r->transcript : ""));
    }
  json_t *now = json_array ();
  for (int i = 0; i < rep->n_baseline_now_passing; i++)
    json_array_append_new (now, json_string (rep->baseline_now_passing[i]));
  json_t *root = json_pack ("{s:s, s:O, s:b, s:b, s:f, s:o, s:o}", "schema", "shimcheck-report/1",
                            "environment", rep->environment, "passed", rep->passed, "strict",
                            rep->strict, "seconds", rep->seconds, "baseline_now_passing", now,
                            "cases", cases);
  int rc = json_dump_file (root, path, JSON_INDENT (2));
  json_decref (root);
  return rc;
}

static const char *
css (void)
{
  return "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1d2733}"
         "header{background:#14212e;color:#fff;padding:28px 40px}header h1{margin:0;font-size:26px;letter-spacing:.3px}"
         "header .sub{opacity:.8;margin-top:4px}.verdict{display:inline-block;margin-top:16px;padding:8px 18px;border-radius:6px;font-weight:700;font-size:18px}"
         ".verdict.pass{background:#1f9d55}.verdict.fail{background:#cc1f1a}main{padding:24px 40px;max-width:1200px}"
         "section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 22px;margin-bottom:20px}"
         "h2{font-size:17px;margin:0 0 12px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e9ed;vertical-align:top}"
         "th{font-size:12px;text-transform:uppercase;letter-spacing:.5px;color:#5b6b7b}td.num{text-align:right;font-variant-numeric:tabular-nums}"
         ".PASS{color:#1f9d55;font-weight:700}.FAIL{color:#cc1f1a;font-weight:700}.SKIP{color:#8a6d00;font-weight:700}.ERR{color:#7d3c98;font-weight:700}"
         ".lvl{font-size:11px;padding:2px 6px;border-radius:4px;background:#e8edf2;color:#34495e}.lvl.MUST{background:#fde8e7;color:#a3211c}.lvl.SHOULD{background:#fff4d6;color:#7a5b00}"
         ".id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}.ref{color:#5b6b7b;font-size:12px}.msg{color:#a3211c;font-size:13px}"
         ".ev{color:#34495e;font-size:12.5px;margin:2px 0 0 0;padding-left:16px}details pre{background:#0f1720;color:#d6e2ee;padding:10px;border-radius:6px;overflow-x:auto;font-size:11.5px;max-height:360px}"
         "dl.env{display:grid;grid-template-columns:180px 1fr;gap:4px 12px;margin:0}dl.env dt{color:#5b6b7b}dl.env dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}"
         ".bar{display:flex;height:10px;border-radius:5px;overflow:hidden;background:#e6e9ed;min-width:120px}.bar span{display:block}.bar .p{background:#1f9d55}.bar .f{background:#cc1f1a}.bar .s{background:#d4a017}";
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
  fprintf (f, "<header><h1>shimcheck conformance certificate</h1><div class=\"sub\">");
  esc (f, shim);
  fprintf (f, " &middot; %d cases &middot; %.1f s%s</div>", rep->n, rep->seconds, rep->strict ? " &middot; strict" : "");
  fprintf (f, "<div class=\"verdict %s\">%s</div></header>\n<main>\n", rep->passed ? "pass" : "fail",
           rep->passed ? (rep->strict ? "CONFORMANT (strict)" : "CONFORMANT: every MUST holds")
                       : "NOT CONFORMANT");

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
          lt[r->c->level]++;
          if (r->status == SC_PASS)
            pass++, lp[r->c->level]++;
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
      lt[rep->results[i].c->level]++;
      lp[rep->results[i].c->level] += rep->results[i].status == SC_PASS;
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

  fprintf (f, "<section><h2>Cases</h2><table><tr><th>result</th><th>case</th><th>level</th><th class=\"num\">time</th></tr>\n");
  for (int i = 0; i < rep->n; i++)
    {
      const sc_result *r = &rep->results[i];
      fprintf (f, "<tr><td class=\"%s\">%s%s</td><td><div class=\"id\">", sc_status_name (r->status),
               sc_status_name (r->status), r->in_baseline ? " (baseline)" : "");
      esc (f, r->c->id);
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
               sc_level_name (r->c->level), sc_level_name (r->c->level), r->seconds);
    }
  fprintf (f, "</table></section>\n<p class=\"ref\">generated by shimcheck %s</p></main></body></html>\n",
           json_string_value (json_object_get (rep->environment, "shimcheck")));
  return fclose (f);
}

int
sc_report_write_all (const sc_report *rep, const char *dir, char **errmsg)
{
  const char *names[] = { "results.tap", "junit.xml", "report.json", "report.html" };
  int (*writers[]) (const sc_report *, const char *) = { write_tap, write_junit, write_json, write_html };
  for (int i = 0; i < 4; i++)
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
