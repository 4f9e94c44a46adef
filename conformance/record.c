/* shimcheck record: a ttrpc proxy between containerd and any shim that
 * records the traffic.
 *
 *   shimcheck record --shim REAL --out DIR [--name NAME] [--bin-dir BIN]
 *     installs BIN/containerd-shim-NAME-v1 (default NAME rec, BIN DIR/bin),
 *     a wrapper containerd runs for the runtime io.containerd.NAME.v1.
 *   shimcheck record-shim --real REAL --out DIR -- SHIM-ARGS...
 *     what the wrapper runs.  `start`: runs REAL's start with the same
 *     arguments, environment and stdin, starts a detached proxy in front of
 *     the address REAL printed and prints the proxy's address instead, in
 *     the form REAL used (plain, JSON version N, or a protobuf
 *     BootstrapResult).  Every other action (delete) is REAL's own (exec).
 *     Each invocation is also logged (argv, environment, stdin, output, the
 *     bundle's files) in DIR/invocations.jsonl, one JSON object a line.
 *
 * The proxy relays bytes unchanged and, per direction, reassembles frames:
 *   DIR/frames.bin      every frame: dir u8 (0 containerd->shim, 1 back),
 *                       conn u32, ns u64 (monotonic), len u32, frame bytes
 *   DIR/transcript.txt  one readable line per frame (envelope, method,
 *                       decoded request or reply, status)
 *   DIR/requests.records  the task requests in record format (records.h):
 *                       seeds for the task_dispatch target and `shimcheck fuzz`
 * It exits when the shim has gone and no connection is left, or after an
 * idle minute. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <jansson.h>

#include "address.h"
#include "cli.h"
#include "containerd/bootstrap/bootstrap.pb-c.h"
#include "frame.h"
#include "pb.h"
#include "proc.h"
#include "records.h"
#include "status.h"
#include "task_client.h"
#include "ttrpc/ttrpc.pb-c.h"
#include "services.h"

#define MAX_PENDING 256
#define SC_RECORD_SOCKET_DIR "/run/containerd/sc-rec"

typedef struct side side;
typedef struct pair pair;

struct side
{
  pair *p;
  int fd;
  int dir; /* 0: containerd -> shim, 1: shim -> containerd */
  sc_watch w;
  sc_frame_reader reader;
};

struct pair
{
  pair *next;
  uint32_t id;
  side a, b; /* a: containerd's connection, b: ours to the shim */
  struct
  {
    uint32_t stream;
    char method[64];
  } pending[MAX_PENDING];
};

static struct
{
  sc_loop *loop;
  char *upstream;  /* the real shim's socket path */
  int listen_fd;
  sc_watch lw;
  pair *pairs;
  uint32_t next_id;
  FILE *frames, *transcript, *records;
  sc_timer idle;
} R;

static void idle_check (sc_timer *t);

static const char *
method_of (pair *p, uint32_t stream, bool take)
{
  for (int i = 0; i < MAX_PENDING; i++)
    if (p->pending[i].stream == stream && p->pending[i].method[0])
      {
        static char m[64];
        snprintf (m, sizeof (m), "%s", p->pending[i].method);
        if (take)
          p->pending[i].method[0] = '\0';
        return m;
      }
  return NULL;
}

static void
note_request (pair *p, uint32_t stream, const char *method)
{
  for (int i = 0; i < MAX_PENDING; i++)
    if (p->pending[i].method[0] == '\0')
      {
        p->pending[i].stream = stream;
        snprintf (p->pending[i].method, sizeof (p->pending[i].method), "%s", method);
        return;
      }
}

static void
log_frame (side *s, const sc_frame *f)
{
  pair *p = s->p;
  uint8_t hdr[SC_FRAME_HEADER_LEN];
  sc_frame_header_encode (&f->header, hdr);
  uint64_t ns = (uint64_t) sc_now_mono_ns ();
  uint32_t len = SC_FRAME_HEADER_LEN + f->header.length;
  uint8_t dir = (uint8_t) s->dir;
  fwrite (&dir, 1, 1, R.frames);
  fwrite (&p->id, 4, 1, R.frames);
  fwrite (&ns, 8, 1, R.frames);
  fwrite (&len, 4, 1, R.frames);
  fwrite (hdr, 1, sizeof (hdr), R.frames);
  fwrite (f->data, 1, f->header.length, R.frames);
  fflush (R.frames);

  const char *arrow = s->dir == 0 ? "->" : "<-";
  if (f->header.type == SC_MSG_REQUEST)
    {
      Ttrpc__Request *req = ttrpc__request__unpack (NULL, f->header.length, f->data);
      if (req == NULL)
        {
          fprintf (R.transcript, "%s conn %u stream %u: Request (%u bytes, not an envelope)\n", arrow,
                   p->id, f->header.stream_id, f->header.length);
          return;
        }
      note_request (p, f->header.stream_id, req->method);
      const ProtobufCMethodDescriptor *md = sc_task_method (req->method);
      ProtobufCMessage *m = md ? protobuf_c_message_unpack (md->input, NULL, req->payload.len,
                                                            req->payload.data)
                               : NULL;
      char *d = m ? sc_pb_describe (m) : NULL;
      fprintf (R.transcript, "%s conn %u stream %u: %s/%s %s\n", arrow, p->id, f->header.stream_id,
               req->service, req->method, d ? d : "(payload not decoded)");
      free (d);
      if (m)
        protobuf_c_message_free_unpacked (m, NULL);
      bool v3 = strcmp (req->service, SC_TASK_V3_SERVICE) == 0;
      bool task = v3 || strcmp (req->service, SC_TASK_V2_SERVICE) == 0;
      for (int i = 0; task && i < SC_FUZZ_NMETHODS; i++)
        if (strcmp (sc_fuzz_methods[i], req->method) == 0 && req->payload.len <= 0xffff)
          {
            uint8_t rh[3] = { (uint8_t) (i | (v3 ? SC_FUZZ_V3 : 0)),
                              (uint8_t) (req->payload.len >> 8), (uint8_t) req->payload.len };
            fwrite (rh, 1, 3, R.records);
            fwrite (req->payload.data, 1, req->payload.len, R.records);
            fflush (R.records);
          }
      ttrpc__request__free_unpacked (req, NULL);
    }
  else if (f->header.type == SC_MSG_RESPONSE)
    {
      const char *method = method_of (p, f->header.stream_id, true);
      sc_rpc_result res = { 0 };
      sc_rpc_result_from_response (&res, f->data, f->header.length);
      char *d = NULL;
      if (res.code == SC_OK && method)
        {
          const ProtobufCMethodDescriptor *md = sc_task_method (method);
          ProtobufCMessage *m
            = md ? protobuf_c_message_unpack (md->output, NULL, res.payload_len, res.payload) : NULL;
          d = m ? sc_pb_describe (m) : NULL;
          if (m)
            protobuf_c_message_free_unpacked (m, NULL);
        }
      fprintf (R.transcript, "%s conn %u stream %u: %s %s %s\n", arrow, p->id, f->header.stream_id,
               method ? method : "?", sc_code_name (res.code),
               res.code == SC_OK ? (d ? d : "") : (res.message ? res.message : ""));
      free (d);
      sc_rpc_result_release (&res);
    }
  else
    fprintf (R.transcript, "%s conn %u stream %u: frame type %u, %u bytes\n", arrow, p->id,
             f->header.stream_id, f->header.type, f->header.length);
  fflush (R.transcript);
}

static void
pair_close (pair *p)
{
  for (pair **pp = &R.pairs; *pp; pp = &(*pp)->next)
    if (*pp == p)
      {
        *pp = p->next;
        break;
      }
  side *sides[2] = { &p->a, &p->b };
  for (int i = 0; i < 2; i++)
    {
      sc_watch_stop (&sides[i]->w);
      close (sides[i]->fd);
      sc_frame_reader_release (&sides[i]->reader);
    }
  fprintf (R.transcript, "-- conn %u closed\n", p->id);
  fflush (R.transcript);
  free (p);
  sc_timer_start (R.loop, &R.idle, 0, idle_check, NULL);
}

static void
on_side (sc_watch *w, uint32_t events)
{
  side *s = w->data;
  pair *p = s->p;
  side *other = s == &p->a ? &p->b : &p->a;
  uint8_t buf[65536];
  ssize_t n = read (s->fd, buf, sizeof (buf));
  if (n <= 0)
    {
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      pair_close (p);
      return;
    }
  /* relay unchanged (blocking write: the peer is local and reads) */
  for (ssize_t off = 0; off < n;)
    {
      ssize_t k = write (other->fd, buf + off, (size_t) (n - off));
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        {
          pair_close (p);
          return;
        }
      off += k;
    }
  for (size_t off = 0; off < (size_t) n;)
    {
      sc_frame f;
      size_t used = 0;
      sc_frame_result r = sc_frame_reader_next (&s->reader, buf + off, (size_t) n - off, &used, &f);
      off += used;
      if (r == SC_FRAME_COMPLETE)
        log_frame (s, &f);
      else if (r == SC_FRAME_NEED_MORE)
        break;
    }
}

static void
on_accept (sc_watch *w, uint32_t events)
{
  int c = accept4 (R.listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return;
  int u = sc_unix_connect (R.upstream);
  if (u < 0)
    {
      fprintf (R.transcript, "-- upstream %s: %s; connection refused\n", R.upstream, strerror (errno));
      fflush (R.transcript);
      close (c);
      return;
    }
  pair *p = sc_xcalloc (1, sizeof (*p));
  p->id = ++R.next_id;
  side *sides[2] = { &p->a, &p->b };
  int fds[2] = { c, u };
  for (int i = 0; i < 2; i++)
    {
      sides[i]->p = p;
      sides[i]->fd = fds[i];
      sides[i]->dir = i;
      sc_frame_reader_init (&sides[i]->reader, 0);
      sc_watch_start (R.loop, &sides[i]->w, fds[i], EPOLLIN | EPOLLRDHUP, on_side, sides[i], NULL);
    }
  p->next = R.pairs;
  R.pairs = p;
  fprintf (R.transcript, "-- conn %u opened\n", p->id);
  fflush (R.transcript);
  sc_timer_stop (&R.idle);
}

/* no connection left: done once the shim is gone, or after an idle minute */
static void
idle_check (sc_timer *t)
{
  if (R.pairs)
    return;
  int u = sc_unix_connect (R.upstream);
  if (u < 0)
    {
      sc_loop_stop (R.loop);
      return;
    }
  close (u);
  static int idle_turns;
  if (++idle_turns >= 60)
    sc_loop_stop (R.loop);
  else
    sc_timer_start (R.loop, &R.idle, 1000, idle_check, NULL);
}

static void
proxy_main (const char *listen_path, const char *out)
{
  char *p = sc_xasprintf ("%s/frames.bin", out);
  R.frames = fopen (p, "ab");
  free (p);
  p = sc_xasprintf ("%s/transcript.txt", out);
  R.transcript = fopen (p, "a");
  free (p);
  p = sc_xasprintf ("%s/requests.records", out);
  R.records = fopen (p, "ab");
  free (p);
  sc_error err = SC_ERROR_INIT;
  if (!R.frames || !R.transcript || !R.records || sc_loop_new (&R.loop, &err) < 0)
    _exit (1);
  fprintf (R.transcript, "-- proxy %s -> %s\n", listen_path, R.upstream);
  fflush (R.transcript);
  sc_watch_start (R.loop, &R.lw, R.listen_fd, EPOLLIN, on_accept, NULL, NULL);
  sc_timer_start (R.loop, &R.idle, 1000, idle_check, NULL);
  sc_loop_run (R.loop);
  unlink (listen_path);
  rmdir (SC_RECORD_SOCKET_DIR); /* the last proxy out removes the shared directory */
  fprintf (R.transcript, "-- proxy done\n");
  fclose (R.transcript);
  fclose (R.frames);
  fclose (R.records);
  _exit (0);
}

extern char **environ;

static char *
hex (const void *data, size_t len)
{
  char *h = sc_xmalloc (2 * len + 1);
  for (size_t i = 0; i < len; i++)
    snprintf (h + 2 * i, 3, "%02x", ((const uint8_t *) data)[i]);
  h[2 * len] = '\0';
  return h;
}

/* one line of DIR/invocations.jsonl: how containerd ran the shim */
static void
log_invocation (const char *out, const char *action, char **args, const void *in, size_t in_len,
                const void *output, size_t out_len)
{
  json_t *j = json_object ();
  json_object_set_new (j, "action", json_string (action));
  json_t *argv = json_array ();
  for (int i = 1; args[i]; i++)
    json_array_append_new (argv, json_stringn (args[i], strlen (args[i])));
  json_object_set_new (j, "argv", argv);
  /* every name, and the values of those containerd sets for shims */
  static const char *const ours[] = { "TTRPC_ADDRESS", "GRPC_ADDRESS", "NAMESPACE",
                                      "MAX_SHIM_VERSION", "GOMAXPROCS", "SCHED_CORE", NULL };
  json_t *names = json_array (), *values = json_object ();
  for (char **e = environ; *e; e++)
    {
      const char *eq = strchr (*e, '=');
      if (eq == NULL)
        continue;
      char *name = sc_xstrndup (*e, (size_t) (eq - *e));
      json_array_append_new (names, json_string (name));
      for (int k = 0; ours[k]; k++)
        if (strcmp (ours[k], name) == 0)
          json_object_set_new (values, name, json_string (eq + 1));
      free (name);
    }
  json_object_set_new (j, "env_names", names);
  json_object_set_new (j, "env", values);
  char *h = hex (in, in_len);
  json_object_set_new (j, "stdin_hex", json_string (h));
  free (h);
  if (output)
    {
      h = hex (output, out_len);
      json_object_set_new (j, "output_hex", json_string (h));
      free (h);
    }
  char cwd[PATH_MAX] = "";
  if (getcwd (cwd, sizeof (cwd)) == NULL)
    cwd[0] = '\0';
  json_object_set_new (j, "cwd", json_string (cwd));
  json_t *files = json_array ();
  DIR *d = opendir (".");
  for (struct dirent *de; d && (de = readdir (d)) != NULL;)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      json_array_append_new (files, json_string (de->d_name));
  if (d)
    closedir (d);
  json_object_set_new (j, "bundle_files", files);
  /* the small files containerd and the shim leave there for each other */
  static const char *const texts[] = { "address", "bootstrap.json", "shim-binary-path", NULL };
  json_t *tx = json_object ();
  for (int k = 0; texts[k]; k++)
    {
      int fd = open (texts[k], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      char buf[4096];
      ssize_t n = fd >= 0 ? read (fd, buf, sizeof (buf)) : -1;
      if (fd >= 0)
        close (fd);
      if (n >= 0)
        json_object_set_new (tx, texts[k], json_stringn (buf, (size_t) n));
    }
  json_object_set_new (j, "bundle_texts", tx);
  char *line = json_dumps (j, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref (j);
  char *path = sc_xasprintf ("%s/invocations.jsonl", out);
  int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0 && line)
    {
      size_t l = strlen (line);
      line[l] = '\n'; /* one write: lines of concurrent wrappers never interleave */
      if (write (fd, line, l + 1) < 0)
        {
          /* the recording is best effort: the shim works without it */
        }
    }
  if (fd >= 0)
    close (fd);
  free (path);
  free (line);
}

/* the proxy's address, in the form the real shim answered */
static void
print_answer (const sc_shim_address *a, const char *proxy_address)
{
  if (a->protobuf)
    {
      Containerd__Runtime__Bootstrap__V1__BootstrapResult r
        = CONTAINERD__RUNTIME__BOOTSTRAP__V1__BOOTSTRAP_RESULT__INIT;
      r.version = a->version;
      r.address = (char *) proxy_address;
      r.protocol = a->protocol;
      size_t n = 0;
      uint8_t *b = sc_pb_pack (&r.base, &n);
      fwrite (b, 1, n, stdout);
      free (b);
    }
  else if (a->json)
    printf ("{\"version\":%d,\"address\":\"%s\",\"protocol\":\"%s\"}", a->version, proxy_address,
            a->protocol);
  else
    fputs (proxy_address, stdout);
  fflush (stdout);
}

/* the wrapper's `start`: the real start, then a proxy in front of it */
static int
record_start (const char *real, const char *out, char **args)
{
  /* stdin is recorded, then handed to the real start unchanged */
  size_t in_len = 0, in_cap = 4096;
  uint8_t *in = sc_xmalloc (in_cap);
  for (ssize_t k; (k = read (0, in + in_len, in_cap - in_len)) != 0;)
    {
      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0)
        break;
      in_len += (size_t) k;
      if (in_len == in_cap && in_cap < (1u << 20))
        in = sc_xrealloc (in, in_cap *= 2);
      else if (in_len == in_cap)
        break;
    }
  int inpipe[2], pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0 || pipe2 (inpipe, O_CLOEXEC) < 0)
    return 1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      dup2 (pipefd[1], 1);
      dup2 (inpipe[0], 0);
      execv (real, args);
      _exit (127);
    }
  close (pipefd[1]);
  close (inpipe[0]);
  if (in_len && write (inpipe[1], in, in_len) < 0)
    {
      /* the real start did not read it: its answer says why */
    }
  close (inpipe[1]);
  char buf[4096];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof (buf) - 1 && (n = read (pipefd[0], buf + len, sizeof (buf) - 1 - len)) > 0)
    len += (size_t) n;
  close (pipefd[0]);
  int st = 0;
  waitpid (pid, &st, 0);
  buf[len] = '\0';
  log_invocation (out, "start", args, in, in_len, buf, len);
  free (in);
  sc_shim_address a;
  sc_error err = SC_ERROR_INIT;
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0 || sc_shim_address_parse (buf, len, sc_profile_find ("2.3"), &a, &err) < 0
      || a.abstract)
    {
      /* not ours to fix: pass the shim's answer on unchanged */
      fwrite (buf, 1, len, stdout);
      sc_error_release (&err);
      return WIFEXITED (st) ? WEXITSTATUS (st) : 1;
    }
  R.upstream = sc_xstrdup (a.name);
  /* under containerd's state directory, where shim sockets belong */
  mkdir ("/run/containerd", 0711);
  mkdir (SC_RECORD_SOCKET_DIR, 0700);
  char *listen_path = sc_xasprintf (SC_RECORD_SOCKET_DIR "/%d.sock", (int) getpid ());
  unlink (listen_path);
  R.listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof (sa.sun_path), "%s", listen_path);
  if (R.listen_fd < 0 || bind (R.listen_fd, (struct sockaddr *) &sa, sizeof (sa)) < 0
      || chmod (listen_path, 0600) < 0 || listen (R.listen_fd, 64) < 0)
    {
      fprintf (stderr, "shimcheck record: proxy socket %s: %s\n", listen_path, strerror (errno));
      fwrite (buf, 1, len, stdout); /* the shim works without the recording */
      sc_shim_address_release (&a);
      return 0;
    }
  pid_t proxy = fork ();
  if (proxy == 0)
    {
      setsid ();
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
      proxy_main (listen_path, out);
    }
  close (R.listen_fd);
  char *proxy_address = sc_xasprintf ("unix://%s", listen_path);
  print_answer (&a, proxy_address);
  free (proxy_address);
  sc_shim_address_release (&a);
  free (listen_path);
  return 0;
}

int
cmd_record_shim (int argc, char **argv)
{
  const char *real = NULL, *out = NULL;
  int i = 1;
  for (; i < argc; i++)
    {
      if (strcmp (argv[i], "--real") == 0 && i + 1 < argc)
        real = argv[++i];
      else if (strcmp (argv[i], "--out") == 0 && i + 1 < argc)
        out = argv[++i];
      else if (strcmp (argv[i], "--") == 0)
        {
          i++;
          break;
        }
    }
  if (real == NULL || out == NULL || i > argc)
    {
      fprintf (stderr, "usage: shimcheck record-shim --real SHIM --out DIR -- SHIM-ARGS...\n");
      return SC_EXIT_USAGE;
    }
  /* argv for the real shim: its own path, then containerd's arguments */
  char **args = sc_xcalloc ((size_t) (argc - i) + 2, sizeof (char *));
  args[0] = (char *) real;
  for (int k = i; k < argc; k++)
    args[k - i + 1] = argv[k];
  /* containerd puts the action last: `... -id ID [-debug] start|delete` */
  const char *action = argc > i ? argv[argc - 1] : NULL;
  if (action == NULL || strcmp (action, "start") != 0)
    {
      log_invocation (out, action ? action : "(none)", args, "", 0, NULL, 0);
      execv (real, args);
      fprintf (stderr, "shimcheck record: exec %s: %s\n", real, strerror (errno));
      return 127;
    }
  int rc = record_start (real, out, args);
  free (args);
  return rc;
}

int
cmd_record (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "shim", required_argument, NULL, 's' }, { "out", required_argument, NULL, 'o' },
    { "name", required_argument, NULL, 'n' }, { "bin-dir", required_argument, NULL, 'b' },
    { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
  };
  const char *shim = NULL, *out = NULL, *name = "rec", *bindir = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long (argc, argv, "h", longopts, NULL)) != -1)
    switch (c)
      {
      case 's':
        shim = optarg;
        break;
      case 'o':
        out = optarg;
        break;
      case 'n':
        name = optarg;
        break;
      case 'b':
        bindir = optarg;
        break;
      case 'h':
      default:
        fprintf (c == 'h' ? stdout : stderr,
                 "usage: shimcheck record --shim REAL --out DIR [--name NAME] [--bin-dir BIN]\n"
                 "Installs BIN/containerd-shim-NAME-v1 (default: rec, DIR/bin): put BIN first in\n"
                 "containerd's PATH and run tasks with the runtime io.containerd.NAME.v1; the\n"
                 "traffic lands in DIR (frames.bin, transcript.txt, requests.records).\n");
        return c == 'h' ? SC_EXIT_OK : SC_EXIT_USAGE;
      }
  char real[PATH_MAX], outabs[PATH_MAX], self[PATH_MAX];
  if (shim == NULL || out == NULL || optind != argc)
    {
      fprintf (stderr, "shimcheck record: --shim and --out are required\n");
      return SC_EXIT_USAGE;
    }
  if (access (shim, X_OK) < 0 || realpath (shim, real) == NULL)
    {
      fprintf (stderr, "shimcheck record: --shim %s: %s\n", shim, strerror (errno));
      return SC_EXIT_USAGE;
    }
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
      {
        fprintf (stderr, "shimcheck record: --name must be lower-case letters and digits\n");
        return SC_EXIT_USAGE;
      }
  mkdir (out, 0755);
  ssize_t n = readlink ("/proc/self/exe", self, sizeof (self) - 1);
  if (realpath (out, outabs) == NULL || n <= 0)
    {
      fprintf (stderr, "shimcheck record: --out %s: %s\n", out, strerror (errno));
      return SC_EXIT_ENV;
    }
  self[n] = '\0';
  char *bin = bindir ? sc_xstrdup (bindir) : sc_xasprintf ("%s/bin", outabs);
  mkdir (bin, 0755);
  char *wrapper = sc_xasprintf ("%s/containerd-shim-%s-v1", bin, name);
  FILE *f = fopen (wrapper, "w");
  if (f == NULL)
    {
      fprintf (stderr, "shimcheck record: %s: %s\n", wrapper, strerror (errno));
      return SC_EXIT_ENV;
    }
  fprintf (f, "#!/bin/sh\n# recorded by shimcheck: %s\nexec '%s' record-shim --real '%s' --out '%s' -- \"$@\"\n",
           real, self, real, outabs);
  fclose (f);
  chmod (wrapper, 0755);
  printf ("installed %s\n  records %s into %s\n  use: PATH=%s:$PATH containerd ...; ctr run --runtime "
          "io.containerd.%s.v1 ...\n",
          wrapper, real, outabs, bin, name);
  free (wrapper);
  free (bin);
  return SC_EXIT_OK;
}
