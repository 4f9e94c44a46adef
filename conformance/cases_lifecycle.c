/* Conformance cases: bootstrap, create, start, signal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "containerd/runc/options.pb-c.h"
#include "containerd/runc/runctypes.pb-c.h"
#include "containerd/types/introspection.pb-c.h"
#include "bundle.h"
#include "proc.h"
#include "oci_spec.h"
#include "pb.h"

/* ------------------------------------------------------------------ bootstrap */

CASE (bootstrap_start_prints_one_address)
{
  char *b = t_bundle (t, "c1", NULL, false);
  sc_shim *s = t_launch (t, "c1", b);
  t_note (t, "start printed \"%s\"%s", s->start.out, s->addr.json ? " (JSON bootstrap params)" : "");
  T_REQUIRE (t, s->addr.address && *s->addr.address, "no address");
}

CASE (bootstrap_start_exits_promptly)
{
  char *b = t_bundle (t, "c1", NULL, false);
  sc_shim *s = t_launch (t, "c1", b);
  /* the launcher already failed the case if start hung or left its output
   * open; record how long it took */
  t_note (t, "start exited in %.1f ms and released its stdout/stderr", s->start.elapsed_ns / 1e6);
  T_REQUIRE (t, s->start.elapsed_ns < t_ms (t, 5000) * 1000000, "start took %.1f s",
             s->start.elapsed_ns / 1e9);
}

CASE (bootstrap_socket_is_private_path)
{
  char *b = t_bundle (t, "c1", NULL, false);
  sc_shim *s = t_launch (t, "c1", b);
  T_REQUIRE (t, !s->addr.abstract,
             "abstract socket @%s: any process in the host network namespace can reach it "
             "(CVE-2020-15257)",
             s->addr.name);
  struct stat st;
  T_REQUIRE (t, stat (s->addr.name, &st) == 0, "stat %s: %s", s->addr.name, strerror (errno));
  T_REQUIRE (t, S_ISSOCK (st.st_mode), "%s is not a socket", s->addr.name);
  t_note (t, "%s mode %04o", s->addr.name, st.st_mode & 07777);
  T_REQUIRE (t, (st.st_mode & 0077) == 0, "socket mode %04o lets group/other connect",
             st.st_mode & 07777);
}

CASE (bootstrap_second_start_same_address)
{
  json_t *s1 = t_spec (t, NULL, false), *s2 = t_spec (t, NULL, false);
  json_object_set_new (s1, "annotations", json_pack ("{s:s}", "io.containerd.runc.v2.group", "grp"));
  json_object_set_new (s2, "annotations", json_pack ("{s:s}", "io.containerd.runc.v2.group", "grp"));
  char *b1 = t_bundle_spec (t, "g1", s1), *b2 = t_bundle_spec (t, "g2", s2);
  sc_shim *first = t_launch (t, "g1", b1);
  sc_launch_opts o = { .shim = t->cfg->shim, .ns = t->env.ns, .id = "g2", .bundle = b2,
                       .grpc_address = t->env.grpc_address, .ttrpc_address = t->env.ttrpc_address,
                       .start_timeout_ms = t_ms (t, 5000), .own_dir = t->env.dir };
  sc_shim *second = NULL;
  sc_error err = SC_ERROR_INIT;
  int rc = sc_shim_start (t->env.loop, &o, &second, &err);
  char *addr2 = second && second->addr.address ? sc_xstrdup (second->addr.address) : NULL;
  t_record_address (t, addr2);
  if (second)
    sc_shim_forget_daemon (second); /* the shared daemon belongs to the first */
  sc_shim_free (second);
  T_REQUIRE (t, rc == 0, "second start: %s", err.msg);
  t_note (t, "first %s, second %s", first->addr.address, addr2);
  T_REQUIRE (t, strcmp (first->addr.address, addr2) == 0,
             "two tasks of one group got different shims");
  free (addr2);
}

/* ------------------------------------------------------------------ overlay rootfs */

/* what containerd's overlayfs snapshotter hands a shim: an overlay whose
 * lowerdir lists the image's layers, each <snapshots>/<n>/fs, newest
 * first (here `extra` empty layers above one that is the run's rootfs),
 * and upperdir and workdir in the task's own snapshot; Create with it, the
 * bundle's root "rootfs".  `deep` makes the snapshots directory's path
 * long, as a deep containerd root would. */
static char *
overlay_mount (sc_t *t, const char *const *args, int extra, bool deep, char **upper,
               Containerd__Types__Mount *m)
{
  char *snaps = t->env.dir;
  if (deep)
    for (int i = 0; i < 2; i++)
      {
        char name[201];
        memset (name, 'a' + i, 200);
        name[200] = '\0';
        snaps = t_keep_str (t, sc_xasprintf ("%s/%s", snaps, name));
        mkdir (snaps, 0700);
      }
  snaps = t_keep_str (t, sc_xasprintf ("%s/snapshots", snaps));
  mkdir (snaps, 0700);
  char *lower = t_keep_str (t, sc_xstrdup (""));
  for (int i = 0; i < extra; i++)
    {
      char *d = t_keep_str (t, sc_xasprintf ("%s/%d", snaps, i + 2));
      mkdir (d, 0755);
      d = t_keep_str (t, sc_xasprintf ("%s/fs", d));
      mkdir (d, 0755);
      lower = t_keep_str (t, sc_xasprintf ("%s%s:", lower, d));
    }
  /* the bottom layer: the run's rootfs, as snapshot 1 */
  char *base = t_keep_str (t, sc_xasprintf ("%s/1", snaps));
  mkdir (base, 0755);
  char *basefs = t_keep_str (t, sc_xasprintf ("%s/fs", base));
  T_REQUIRE (t, symlink (t->cfg->rootfs, basefs) == 0, "symlink %s: %s", basefs, strerror (errno));
  lower = t_keep_str (t, sc_xasprintf ("%s%s", lower, basefs));
  *upper = t_keep_str (t, sc_xasprintf ("%s/%d/fs", snaps, extra + 2));
  char *up = t_keep_str (t, sc_xasprintf ("%s/%d", snaps, extra + 2));
  char *work = t_keep_str (t, sc_xasprintf ("%s/work", up));
  mkdir (up, 0755);
  mkdir (*upper, 0755);
  mkdir (work, 0755);
  json_t *spec = t_spec (t, args, false);
  json_object_set_new (spec, "root", json_pack ("{s:s, s:b}", "path", "rootfs", "readonly", false));
  char *b = t_bundle_spec (t, "c1", spec);
  t_launch (t, "c1", b);
  char *o_lower = t_keep_str (t, sc_xasprintf ("lowerdir=%s", lower));
  char *o_upper = t_keep_str (t, sc_xasprintf ("upperdir=%s", *upper));
  char *o_work = t_keep_str (t, sc_xasprintf ("workdir=%s", work));
  char **opts = t_keep (t, sc_xcalloc (3, sizeof (char *)), free);
  opts[0] = o_work;
  opts[1] = o_upper;
  opts[2] = o_lower;
  containerd__types__mount__init (m);
  m->type = (char *) "overlay";
  m->source = (char *) "overlay";
  m->options = opts;
  m->n_options = 3;
  t_note (t, "overlay: %d lower layers, %zu bytes of options", extra + 1,
          strlen (o_lower) + strlen (o_upper) + strlen (o_work) + 2);
  return b;
}

static char *
create_on_overlay (sc_t *t, const char *const *args, int extra, bool deep, char **upper)
{
  Containerd__Types__Mount m;
  char *b = overlay_mount (t, args, extra, deep, upper, &m);
  Containerd__Types__Mount *mounts[] = { &m };
  Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  r.id = (char *) "c1";
  r.bundle = b;
  r.rootfs = mounts;
  r.n_rootfs = 1;
  T_OK (t, t_create_req (t, &r, NULL, NULL), "Create on an overlay rootfs");
  return b;
}

/* a 1 MiB tmpfs mount at target inside the rootfs */
static void
tmpfs_at (Containerd__Types__Mount *m, const char *target)
{
  static char *opts[] = { (char *) "size=1m" };
  containerd__types__mount__init (m);
  m->type = (char *) "tmpfs";
  m->source = (char *) "tmpfs";
  m->target = (char *) target;
  m->options = opts;
  m->n_options = 1;
}

/* containerd 1.7+ mounts each rootfs mount at its target inside the rootfs
 * (mount.All: the target joined to the rootfs as if it were /), parents
 * before children, and unmounts them in reverse order */
CASE (create_mount_targets)
{
  static const char *const a[] = { "sh", "-c",
                                   "cat /sc-target/marker; awk '$2==\"/sc-target/deeper\" {print $3}' /proc/self/mounts",
                                   NULL };
  char *upper = NULL;
  Containerd__Types__Mount base;
  char *b = overlay_mount (t, a, 0, false, &upper, &base);
  /* the target directory comes with the writable layer */
  char *tdir = t_keep_str (t, sc_xasprintf ("%s/sc-target", upper));
  mkdir (tdir, 0755);
  /* a host directory bound at /sc-target, with a marker and a directory
   * a third mount (a tmpfs) goes onto */
  char *host = t_keep_str (t, sc_xasprintf ("%s/bound", t->env.dir));
  mkdir (host, 0755);
  char *deeper = t_keep_str (t, sc_xasprintf ("%s/deeper", host));
  mkdir (deeper, 0755);
  t_write_file (t, t_keep_str (t, sc_xasprintf ("%s/marker", host)), "bound-at-target\n", 0644);
  static char *bind_opts[] = { (char *) "rbind", (char *) "ro" };
  Containerd__Types__Mount bind = CONTAINERD__TYPES__MOUNT__INIT;
  bind.type = (char *) "bind";
  bind.source = host;
  bind.target = (char *) "/sc-target";
  bind.options = bind_opts;
  bind.n_options = 2;
  Containerd__Types__Mount tmp;
  tmpfs_at (&tmp, "/sc-target/deeper");
  Containerd__Types__Mount *mounts[] = { &base, &bind, &tmp };
  Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  r.id = (char *) "c1";
  r.bundle = b;
  r.rootfs = mounts;
  r.n_rootfs = 3;
  sc_io io;
  t_io (t, "c1", false, true, &io);
  r.stdout = io.out;
  r.stderr = io.err;
  T_OK (t, t_create_req (t, &r, NULL, NULL), "Create with three mounts, two with targets");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  char *out = t_keep_str (t, t_io_read (t, io.out_fd, 10000, NULL));
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait");
  t_io_close (&io);
  t_note (t, "the task printed \"%s\" (exit %u)", out, st);
  T_REQUIRE (t, strstr (out, "bound-at-target\n") != NULL,
             "the mount with target /sc-target is not at /sc-target in the rootfs (the task printed \"%s\")", out);
  T_REQUIRE (t, strstr (out, "\ntmpfs\n") != NULL,
             "the mount with target /sc-target/deeper is not a tmpfs there (the task printed \"%s\")", out);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  /* the rootfs and every target below it */
  T_REQUIRE (t, !t_rootfs_mounted (b), "a rootfs mount is left after Delete");
}

/* a target is resolved inside the rootfs: a symlink there that names a
 * host directory leads to that path under the rootfs, never to the host's
 * (containerd: fs.RootPath) */
CASE (create_mount_target_contained)
{
  static const char *const a[] = { "true", NULL };
  char *upper = NULL;
  Containerd__Types__Mount base;
  char *b = overlay_mount (t, a, 0, false, &upper, &base);
  char *victim = t_keep_str (t, sc_xasprintf ("%s/host-dir", t->env.dir));
  mkdir (victim, 0755);
  char *link = t_keep_str (t, sc_xasprintf ("%s/escape", upper));
  T_REQUIRE (t, symlink (victim, link) == 0, "symlink %s: %s", link, strerror (errno));
  Containerd__Types__Mount tmp;
  tmpfs_at (&tmp, "/escape");
  Containerd__Types__Mount *mounts[] = { &base, &tmp };
  Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  r.id = (char *) "c1";
  r.bundle = b;
  r.rootfs = mounts;
  r.n_rootfs = 2;
  char *msg = NULL;
  int code = t_create_req (t, &r, NULL, &msg);
  bool escaped = t_mounted_under (victim);
  if (escaped)
    umount2 (victim, MNT_DETACH);
  t_note (t, "Create answered %d (%s); the host directory %s is %s", code, msg ? msg : "", victim,
          escaped ? "MOUNTED OVER" : "untouched");
  T_REQUIRE (t, !escaped,
             "a mount target that is a symlink in the rootfs was followed to the host: %s got a tmpfs", victim);
}

CASE (create_overlay_rootfs)
{
  /* the init writes into its rootfs; an exec reads it back; the write
   * lands in the upper directory; Delete unmounts */
  static const char *const a[] = { "sh", "-c", "echo from-init > /written; sleep 3600", NULL };
  char *upper = NULL;
  char *b = create_on_overlay (t, a, 2, false, &upper);
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  char *mark = t_keep_str (t, sc_xasprintf ("%s/written", upper));
  T_REQUIRE (t, t_wait_file (t, mark, 5000), "the init's write did not reach the upper directory %s", upper);
  sc_io io;
  t_io (t, "e1", false, true, &io);
  static const char *const cat[] = { "cat", "/written", NULL };
  T_OK (t, t_exec (t, "c1", "e1", cat, &io, false, NULL), "Exec cat /written");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  char *out = t_keep_str (t, t_io_read (t, io.out_fd, 10000, NULL));
  t_io_close (&io);
  T_REQUIRE (t, strcmp (out, "from-init\n") == 0, "the exec read \"%s\", not what the init wrote", out);
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait");
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  bool mounted = t_rootfs_mounted (b);
  t_note (t, "the exec read \"from-init\"; after Delete the rootfs is %s", mounted ? "still mounted" : "unmounted");
  T_REQUIRE (t, !mounted, "the overlay rootfs is still mounted after Delete");
}

CASE (create_overlay_long_lowerdir)
{
  /* 12 layers under a deep containerd root: more than a page of options,
   * which mount(2) cannot take as it is (containerd's mount package names
   * the layers relative to the snapshots directory then) */
  static const char *const a[] = { "sh", "-c", "exit 7", NULL };
  char *upper = NULL;
  char *b = create_on_overlay (t, a, 11, true, &upper);
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait");
  T_EQ (t, st, 7);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  T_REQUIRE (t, !t_rootfs_mounted (b), "the overlay rootfs is still mounted after Delete");
}

/* ------------------------------------------------------------------ pods */

/* What the CRI plugin asks of a shim for a pod: a sandbox container and a
 * workload container, both annotated with the sandbox id, the second
 * joining the sandbox's network, ipc and uts namespaces by path.  The
 * runc shim groups on io.kubernetes.cri.sandbox-id (v1.7.24
 * runtime/v2/runc/manager/manager_linux.go, groupLabels): both start calls
 * print one address, one daemon serves both tasks. */
typedef struct pod
{
  uint32_t sandbox_pid, c2_pid;
  char *b2;
  sc_shim *second;   /* the start for c2 (the daemon is the first's when shared) */
  bool shared;
} pod;

static json_t *
pod_spec (sc_t *t, const char *type, uint32_t join_pid)
{
  json_t *spec = t_spec (t, NULL, false);
  json_object_set_new (spec, "annotations",
                       json_pack ("{s:s, s:s}", "io.kubernetes.cri.container-type", type,
                                  "io.kubernetes.cri.sandbox-id", "pod1"));
  if (join_pid)
    {
      char net[64], ipc[64], uts[64];
      snprintf (net, sizeof (net), "/proc/%u/ns/net", join_pid);
      snprintf (ipc, sizeof (ipc), "/proc/%u/ns/ipc", join_pid);
      snprintf (uts, sizeof (uts), "/proc/%u/ns/uts", join_pid);
      json_object_set_new (json_object_get (spec, "linux"), "namespaces",
                           json_pack ("[{s:s}, {s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "type", "pid", "type",
                                      "mount", "type", "network", "path", net, "type", "ipc", "path", ipc, "type",
                                      "uts", "path", uts));
    }
  return spec;
}

static void
shim_free_any (void *p)
{
  sc_shim_free (p);
}

/* the sandbox created and started; c2's start run; c2 created and started
 * through the sandbox's connection when both got one shim */
static void
pod_up (sc_t *t, pod *p)
{
  memset (p, 0, sizeof (*p));
  char *b1 = t_bundle_spec (t, "pod1", pod_spec (t, "sandbox", 0));
  t_launch (t, "pod1", b1);
  T_OK (t, t_create (t, "pod1", b1, NULL, &p->sandbox_pid, NULL), "Create the sandbox");
  T_OK (t, t_start (t, "pod1", NULL, NULL, NULL), "Start the sandbox");
  p->b2 = t_bundle_spec (t, "c2", pod_spec (t, "container", p->sandbox_pid));
  sc_launch_opts o = { .shim = t->cfg->shim, .ns = t->env.ns, .id = "c2", .bundle = p->b2,
                       .grpc_address = t->env.grpc_address, .ttrpc_address = t->env.ttrpc_address,
                       .start_timeout_ms = t_ms (t, 5000), .own_dir = t->env.dir, .profile = t->cfg->profile };
  sc_error err = SC_ERROR_INIT;
  int rc = sc_shim_start (t->env.loop, &o, &p->second, &err);
  if (p->second)
    {
      t_record_address (t, p->second->addr.address);
      p->shared = p->second->addr.address && strcmp (p->second->addr.address, t->shim->addr.address) == 0;
      if (p->shared)
        sc_shim_forget_daemon (p->second); /* the shared daemon is the first's */
      t_keep (t, p->second, shim_free_any);
    }
  if (rc < 0)
    {
      t_keep_str (t, err.msg);
      t_fail (t, "start for the pod's second container: %s", err.msg);
    }
  t_note (t, "sandbox shim %s, container shim %s", t->shim->addr.address, p->second->addr.address);
  if (!p->shared)
    return;
  T_OK (t, t_create (t, "c2", p->b2, NULL, &p->c2_pid, NULL), "Create the container through the sandbox's shim");
  T_OK (t, t_start (t, "c2", NULL, NULL, NULL), "Start the container");
}

/* pod1's status now, on the shared connection */
static uint32_t
sandbox_status (sc_t *t, const char *when)
{
  Containerd__Task__V2__StateResponse *r = NULL;
  T_OK (t, t_state (t, "pod1", NULL, &r, NULL), when);
  return (uint32_t) r->status;
}

/* the namespace a process is in, as "net:[4026531992]" */
static char *
ns_of (sc_t *t, uint32_t pid, const char *ns)
{
  char path[64], buf[128];
  snprintf (path, sizeof (path), "/proc/%u/ns/%s", pid, ns);
  ssize_t n = readlink (path, buf, sizeof (buf) - 1);
  buf[n > 0 ? n : 0] = '\0';
  return t_keep_str (t, sc_xstrdup (buf));
}

CASE (create_pod_shares_one_shim)
{
  pod p;
  pod_up (t, &p);
  T_REQUIRE (t, p.shared, "the pod's two containers (io.kubernetes.cri.sandbox-id pod1) got two shims");
  static const char *const nss[] = { "net", "ipc", "uts" };
  for (int i = 0; i < 3; i++)
    {
      char *a = ns_of (t, p.sandbox_pid, nss[i]), *b = ns_of (t, p.c2_pid, nss[i]);
      t_note (t, "%s: sandbox %s, container %s", nss[i], a, b);
      T_REQUIRE (t, *a && strcmp (a, b) == 0, "the container did not join the sandbox's %s namespace by path",
                 nss[i]);
    }
  T_OK (t, t_state (t, "pod1", NULL, NULL, NULL), "State of the sandbox");
  T_OK (t, t_state (t, "c2", NULL, NULL, NULL), "State of the container, on the same connection");
}

CASE (cleanup_shared_shim_outlives_one_task)
{
  pod p;
  pod_up (t, &p);
  if (!p.shared)
    t_skip (t, "the shim gave the pod's containers separate shims: nothing is shared");
  /* what containerd does when the container is removed: Kill, Wait,
   * Delete, then Shutdown{id} (the shim must stay for the sandbox) */
  T_OK (t, t_kill (t, "c2", NULL, SIGKILL, false, NULL), "Kill the container");
  uint32_t code = 0;
  T_OK (t, t_wait (t, "c2", NULL, &code, NULL, NULL), "Wait for the container");
  T_OK (t, t_delete (t, "c2", NULL, NULL, NULL), "Delete the container");
  Containerd__Task__V2__ShutdownRequest sd = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
  sd.id = (char *) "c2";
  t_rpc (t, "Shutdown", &sd.base, NULL, NULL);
  T_EQ (t, sandbox_status (t, "State of the sandbox after the container's Shutdown"),
        CONTAINERD__V1__TYPES__STATUS__RUNNING);
  /* containerd's cleanup may run `delete` for the container's id too */
  sc_error err = SC_ERROR_INIT;
  int rc = sc_shim_delete (p.second, NULL, NULL, &err);
  if (rc < 0)
    t_keep_str (t, err.msg);
  T_REQUIRE (t, rc == 0, "delete for the container's id: %s", err.msg);
  T_REQUIRE (t, sc_shim_wait_exit (t->shim, t_ms (t, 300)) != 0, "the shared shim exited after `delete` of one task");
  T_EQ (t, sandbox_status (t, "State of the sandbox after `delete` of the container"),
        CONTAINERD__V1__TYPES__STATUS__RUNNING);
  /* the sandbox goes last: its Shutdown ends the shim */
  T_OK (t, t_kill (t, "pod1", NULL, SIGKILL, false, NULL), "Kill the sandbox");
  T_OK (t, t_wait (t, "pod1", NULL, &code, NULL, NULL), "Wait for the sandbox");
  T_OK (t, t_delete (t, "pod1", NULL, NULL, NULL), "Delete the sandbox");
  T_REQUIRE (t, sc_shim_shutdown (t->shim, t_ms (t, SC_SHIM_EXIT_GRACE_MS)) == 0,
             "the shim did not exit after the last task's Shutdown");
  t_note (t, "the container's Delete, Shutdown and `delete` left the sandbox RUNNING; the last Shutdown ended the shim");
}

CASE (bootstrap_delete_after_sigkill)
{
  int64_t t0 = sc_now_wall_ns ();
  char *b = t_create_with_rootfs_mount (t, "c1", NULL);
  uint32_t pid = 0;
  T_OK (t, t_start (t, "c1", NULL, &pid, NULL), "Start");
  sc_shim *s = t->shim;
  T_REQUIRE (t, sc_shim_signal (s, SIGKILL) == 0, "no serving daemon identified to kill");
  sc_shim_wait_exit (s, t_ms (t, 5000));
  sc_shim_disconnect (s);
  Containerd__Task__V2__DeleteResponse *d = NULL;
  sc_run_result run;
  sc_error err = SC_ERROR_INIT;
  int rc = sc_shim_delete (s, &d, &run, &err);
  t_keep_pb (t, d);
  t_log (t, "delete: %zu bytes on stdout; stderr: %s", run.out_len, run.err);
  sc_run_result_release (&run);
  T_REQUIRE (t, rc == 0, "%s", err.msg);
  char ts[64];
  int64_t at = sc_ts_is_set (d->exited_at) ? sc_ts_to_ns (d->exited_at) : 0;
  t_note (t, "DeleteResponse pid %u exit_status %u exited_at %s (init pid %u)", d->pid,
          d->exit_status, sc_ts_format (d->exited_at, ts, sizeof (ts)), pid);
  /* containerd publishes this as the task's TaskExit: an empty answer
   * would read as pid 0, exit 0 */
  T_REQUIRE (t, d->pid == pid, "delete answered pid %u, not the init's %u", d->pid, pid);
  T_REQUIRE (t, d->exit_status == 137, "delete answered exit status %u, not 137 (killed)",
             d->exit_status);
  T_REQUIRE (t, at >= t0, "delete answered no exited_at, or one before the task started");
  /* the task the dead shim left must be gone once delete has run */
  T_REQUIRE (t, sc_pid_wait_gone ((pid_t) pid, t_ms (t, 3000), NULL) == 0,
             "task process %u still running after delete", pid);
  T_REQUIRE (t, !t_rootfs_mounted (b), "%s/rootfs is still mounted after delete", b);
  t->ntasks = 0; /* nothing left to tear down through the shim */
}

CASE (bootstrap_namespace_required)
{
  char *b = t_bundle (t, "c1", NULL, false);
  char *argv[] = { (char *) t->cfg->shim, (char *) "-address", t->env.grpc_address,
                   (char *) "-id", (char *) "c1", (char *) "start", NULL };
  char log[512];
  snprintf (log, sizeof (log), "%s/log", b);
  mkfifo (log, 0700);
  sc_run_opts ro = { .path = t->cfg->shim, .argv = argv, .cwd = b, .merge_stderr = true,
                     .setpgid = true, .timeout_ms = t_ms (t, 5000), .eof_grace_ms = 300 };
  sc_run_result r;
  T_REQUIRE (t, sc_run (&ro, &r, NULL) == 0, "cannot run the shim");
  t_note (t, "start without -namespace: %s, output \"%s\"", sc_wait_status_str (r.status), r.out);
  t_record_address (t, r.out); /* if it wrongly started a daemon */
  bool failed = !r.timed_out && (!WIFEXITED (r.status) || WEXITSTATUS (r.status) != 0);
  sc_run_result_release (&r);
  sc_kill_pgrp_wait (r.pid, 1000);
  T_REQUIRE (t, failed, "start without -namespace succeeded");
}

CASE (bootstrap_long_namespace_and_id)
{
  /* TestShimSockLength: a 76-char namespace and a 64-char id */
  char ns[77], id[65];
  snprintf (ns, sizeof (ns), "sclong-%d-", (int) getpid ());
  size_t n = strlen (ns);
  memset (ns + n, 'n', 76 - n);
  ns[76] = '\0';
  memset (id, 'i', 64);
  id[64] = '\0';
  /* the long namespace replaces the case's: the runner cleans up under it */
  sc_env_cleanup_runtime_state (t->env.ns, t->env.runtime);
  free (t->env.ns);
  t->env.ns = sc_xstrdup (ns);
  char *nsf = sc_xasprintf ("%s/ns", t->dir);
  FILE *f = fopen (nsf, "w");
  if (f)
    {
      fputs (ns, f);
      fclose (f);
    }
  free (nsf);
  t_running (t, id, NULL);
  t_note (t, "namespace of %zu and id of %zu characters: task running", strlen (ns), strlen (id));
}

CASE (bootstrap_version_flag)
{
  char *argv[] = { (char *) t->cfg->shim, (char *) "-v", NULL };
  sc_run_opts ro = { .path = t->cfg->shim, .argv = argv, .merge_stderr = true,
                     .timeout_ms = t_ms (t, 5000) };
  sc_run_result r;
  T_REQUIRE (t, sc_run (&ro, &r, NULL) == 0, "cannot run the shim");
  t_note (t, "-v: %s: %s", sc_wait_status_str (r.status), r.out);
  bool ok = r.exited && WIFEXITED (r.status) && WEXITSTATUS (r.status) == 0 && r.out_len > 0;
  sc_run_result_release (&r);
  T_REQUIRE (t, ok, "-v did not print a version and exit 0");
}

CASE (bootstrap_connect_reports_shim_pid)
{
  sc_shim *s = t_launch (t, "c1", t_bundle (t, "c1", NULL, false));
  /* the truth, from the kernel: the process of this case that holds the
   * socket the shim printed */
  T_REQUIRE (t, s->daemon_pid > 0, "no process of this case serves %s", s->addr.address);
  Containerd__Task__V2__ConnectRequest q = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  q.id = (char *) "c1";
  Containerd__Task__V2__ConnectResponse *r = NULL;
  T_OK (t, t_rpc (t, "Connect", &q.base, (ProtobufCMessage **) &r, NULL), "Connect");
  t_note (t, "Connect shim_pid %u; the socket is served by pid %d (start ran as pid %d)",
          r->shim_pid, (int) s->daemon_pid, (int) s->start.pid);
  T_EQ (t, r->shim_pid, s->daemon_pid);
}

/* What containerd does when it restarts with tasks running (v1.7.24
 * runtime/v2/shim_load.go, v2.1.9 core/runtime/v2/shim_load.go): it finds
 * the shim by <bundle>/address (1.x) or the bootstrap.json it wrote itself
 * (2.x), dials it again, Connects within 5 s, asks Pids (1.7 and 2.x tear
 * the shim down when that fails or is empty), then works with the task as
 * before; the exit arrives as usual. */
/* an exec of `true` run to its end: Exec, Start, Wait, Delete */
static void
exec_true (sc_t *t, const char *eid)
{
  static const char *const a[] = { "true", NULL };
  sc_io io;
  t_io (t, eid, false, true, &io);
  T_OK (t, t_exec (t, "c1", eid, a, &io, false, NULL), "Exec");
  T_OK (t, t_start (t, "c1", eid, NULL, NULL), "exec Start");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", eid, &st, NULL, NULL), "exec Wait");
  T_OK (t, t_delete (t, "c1", eid, NULL, NULL), "exec Delete");
  t_io_close (&io);
}

CASE (bootstrap_log_reader_reopens)
{
  /* containerd reads the bundle's log FIFO; when it restarts, the reader
   * goes away and a new one comes.  Meanwhile the shim's log writes find
   * no reader (EPIPE, or SIGPIPE for a shim that does not handle it) or a
   * full pipe: it must go on serving, not die nor stall.  Launched with
   * -debug, as a containerd at debug level does, so that shims log more. */
  t->debug_launch = true;
  uint32_t pid = t_running (t, "c1", NULL);
  sc_loop_run_once (t->env.loop, 50);
  size_t before = t->shim->log_len;
  sc_shim_log_detach (t->shim);
  /* work that makes shims log, with nobody reading */
  /* (more than a pipe's 64 KiB of debug lines from a shim that logs each
   * request) */
  for (int i = 0; i < 800; i++)
    {
      Containerd__Task__V2__StateResponse *s = NULL;
      T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State while the log FIFO has no reader");
    }
  for (int i = 0; i < 5; i++)
    {
      char eid[16];
      snprintf (eid, sizeof (eid), "away%d", i);
      exec_true (t, eid);
    }
  sc_error err = SC_ERROR_INIT;
  T_REQUIRE (t, sc_shim_log_reattach (t->shim, &err) == 0, "cannot reopen the log FIFO: %s", err.msg);
  size_t at_reattach = t->shim->log_len;
  exec_true (t, "back");
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill after the reader came back");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait after the reader came back");
  T_EQ (t, st, 137);
  sc_loop_run_once (t->env.loop, 50);
  t_note (t, "init %u; %zu log bytes before the reader went away, %zu after it came back", pid, before,
          t->shim->log_len - at_reattach);
}

CASE (bootstrap_reconnect_after_restart)
{
  uint32_t pid = t_running (t, "c1", NULL);
  sc_shim *s = t->shim;
  pid_t daemon = s->daemon_pid;
  char *bundle = t_keep_str (t, sc_xasprintf ("%s/%s/c1", t->env.state, t->env.ns));
  if (t->cfg->profile->rank < 200)
    {
      /* containerd 1.x reads the address back from the bundle */
      char *written = t_read_file (t, t_keep_str (t, sc_xasprintf ("%s/address", bundle)));
      t_note (t, "start printed %s; <bundle>/address holds %s", s->addr.address, written ? written : "(nothing)");
      T_REQUIRE (t, written && strcmp (written, s->addr.address) == 0,
                 "<bundle>/address does not hold the address start printed: containerd %s would not find the "
                 "shim after a restart",
                 t->cfg->profile->name);
    }
  /* containerd goes away: every connection closes */
  sc_shim_disconnect (s);
  T_REQUIRE (t, sc_shim_wait_exit (s, t_ms (t, 500)) != 0, "the shim exited when its client connections closed");
  /* and comes back */
  sc_error err = SC_ERROR_INIT;
  if (sc_shim_connect (s, &err) < 0)
    {
      t_keep_str (t, err.msg);
      t_fail (t, "a new connection to %s failed: %s", s->addr.address, err.msg);
    }
  Containerd__Task__V2__ConnectRequest q = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  q.id = (char *) "c1";
  Containerd__Task__V2__ConnectResponse *r = NULL;
  T_OK (t, t_rpc (t, "Connect", &q.base, (ProtobufCMessage **) &r, NULL), "Connect on the new connection");
  t_note (t, "after the reconnect: Connect shim_pid %u task_pid %u (daemon %d, init %u)", r->shim_pid, r->task_pid,
          (int) daemon, pid);
  T_REQUIRE (t, (pid_t) r->shim_pid == daemon && r->task_pid == pid,
             "Connect on the new connection names shim %u and task %u, not %d and %u", r->shim_pid, r->task_pid,
             (int) daemon, pid);
  Containerd__Task__V2__PidsRequest pq = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;
  pq.id = (char *) "c1";
  Containerd__Task__V2__PidsResponse *pr = NULL;
  T_OK (t, t_rpc (t, "Pids", &pq.base, (ProtobufCMessage **) &pr, NULL), "Pids on the new connection");
  bool listed = false;
  for (size_t i = 0; i < pr->n_processes; i++)
    listed = listed || pr->processes[i]->pid == pid;
  T_REQUIRE (t, listed, "Pids on the new connection lists %zu processes, not the init %u: containerd 1.7 and 2.x "
                        "would treat the shim as leaked and delete it",
             pr->n_processes, pid);
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill on the new connection");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait on the new connection");
  T_EQ (t, st, 137);
  T_REQUIRE (t, t_event (t, "/tasks/exit", "c1", "c1", 5000) != NULL, "no TaskExit after the reconnect");
}

/* TestShimOOMScore: the shim's daemon gets containerd's oom_score_adj + 1
 * (capped at 1000), so that under memory pressure the kernel picks a shim
 * before containerd.  containerd is the start process's parent: here, this
 * case's process, whose score is set first (children inherit it, so a shim
 * that does nothing reads the parent's score, not one more). */
CASE (bootstrap_oom_score)
{
  int base = 300 + (int) (getpid () % 400);
  char v[16];
  int n = snprintf (v, sizeof (v), "%d", base);
  int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  bool set = fd >= 0 && write (fd, v, (size_t) n) == n;
  if (fd >= 0)
    close (fd);
  T_REQUIRE (t, set, "cannot write /proc/self/oom_score_adj: %s", strerror (errno));
  char *own = t_read_file (t, "/proc/self/oom_score_adj");
  T_REQUIRE (t, own && atoi (own) == base, "cannot set this process's oom_score_adj to %d", base);
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  pid_t daemon = sc_shim_identify (t->shim);
  T_REQUIRE (t, daemon > 0, "no serving daemon identified");
  char *path = t_keep_str (t, sc_xasprintf ("/proc/%d/oom_score_adj", (int) daemon));
  char *got = t_read_file (t, path);
  T_REQUIRE (t, got != NULL, "cannot read %s", path);
  t_note (t, "the start's parent has oom_score_adj %d; the daemon (pid %d) has %d", base, (int) daemon,
          atoi (got));
  T_REQUIRE (t, atoi (got) == base + 1,
             "the shim's daemon has oom_score_adj %d, not its parent's %d + 1: under memory "
             "pressure the kernel would not pick the shim before containerd",
             atoi (got), base);
}

/* the cgroup directories a case made, removed when it ends (after its shim) */
typedef struct made_cgroups
{
  char *dirs[32];
  int n;
} made_cgroups;

static void
made_cgroups_free (void *p)
{
  made_cgroups *m = p;
  for (int i = m->n - 1; i >= 0; i--)
    {
      rmdir (m->dirs[i]);
      free (m->dirs[i]);
    }
  free (m);
}

/* mkdir of HIER/<ns> (when new) and HIER/<ns>/shim, recorded in M for
 * removal; a v1 cpuset takes no process until it has cpus and mems, copied
 * from the parent at each level (as containerd's cgroups library does) */
static int
make_cgroup_pair (sc_t *t, made_cgroups *m, const char *hier, const char *path)
{
  char *leaf = sc_xasprintf ("%s%s", hier, path);
  char *parent = t_keep_str (t, sc_xstrdup (leaf));
  *strrchr (parent, '/') = '\0';
  if (mkdir (parent, 0755) == 0)
    m->dirs[m->n++] = sc_xstrdup (parent);
  else if (errno != EEXIST)
    {
      free (leaf);
      return 0;
    }
  if (mkdir (leaf, 0755) < 0)
    {
      free (leaf);
      return 0;
    }
  m->dirs[m->n++] = leaf;
  static const char *const inherit[] = { "cpuset.cpus", "cpuset.mems" };
  const char *levels[][2] = { { hier, parent }, { parent, leaf } };
  for (int l = 0; l < 2; l++)
    for (int k = 0; k < 2; k++)
      {
        char *from = t_keep_str (t, sc_xasprintf ("%s/%s", levels[l][0], inherit[k]));
        char *to = t_keep_str (t, sc_xasprintf ("%s/%s", levels[l][1], inherit[k]));
        char *v = access (to, F_OK) == 0 ? t_read_file (t, from) : NULL;
        char *have = v ? t_read_file (t, to) : NULL;
        if (v && (!have || strspn (have, " \n") == strlen (have)))
          t_write_file (t, to, v, 0644);
      }
  return 1;
}

/* TestShimInCgroup: runc.v1.Options.shim_cgroup names an existing cgroup;
 * the shim's daemon must be in it */
CASE (bootstrap_shim_cgroup)
{
  /* under the run's namespace, which the runner's cleanup removes with all
   * below it even when this case is killed before its own cleanup */
  char *path = t_keep_str (t, sc_xasprintf ("/%s/shim", t->env.ns));
  made_cgroups *m = t_keep (t, sc_xcalloc (1, sizeof (*m)), made_cgroups_free);
  /* the cgroup in every hierarchy (every v1 controller, and the unified
   * one), as containerd's test makes it */
  DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *e;
  int made = 0;
  if (access ("/sys/fs/cgroup/cgroup.procs", F_OK) == 0)
    made += make_cgroup_pair (t, m, "/sys/fs/cgroup", path);
  while (d && (e = readdir (d)) != NULL && m->n < 30)
    {
      if (e->d_name[0] == '.')
        continue;
      char *h = t_keep_str (t, sc_xasprintf ("/sys/fs/cgroup/%s", e->d_name));
      char *probe = t_keep_str (t, sc_xasprintf ("%s/cgroup.procs", h));
      struct stat st;
      if (lstat (probe, &st) < 0)
        continue;
      made += make_cgroup_pair (t, m, h, path);
    }
  if (d)
    closedir (d);
  T_REQUIRE (t, made > 0, "cannot make the cgroup %s in any hierarchy", path);
  Containerd__Runc__V1__Options o = CONTAINERD__RUNC__V1__OPTIONS__INIT;
  o.binary_name = (char *) (t->cfg->runtime_binary ? t->cfg->runtime_binary : "");
  o.shim_cgroup = path;
  Google__Protobuf__Any any;
  sc_any_pack (&any, &o.base);
  t_create_with_options (t, "c1", NULL, &any, "Create with options.shim_cgroup");
  pid_t daemon = t->shim->daemon_pid;
  T_REQUIRE (t, daemon > 0, "no serving daemon identified");
  char cgf[64];
  snprintf (cgf, sizeof (cgf), "/proc/%d/cgroup", (int) daemon);
  char *cg = t_read_file (t, cgf);
  T_REQUIRE (t, cg != NULL, "cannot read %s", cgf);
  /* where containerd's test looks: the devices controller on a cgroup v1
   * host, the unified hierarchy on a cgroup v2 one */
  bool v2host = access ("/sys/fs/cgroup/cgroup.procs", F_OK) == 0;
  char *want = t_keep_str (t, sc_xasprintf (v2host ? "0::%s\n" : ":devices:%s\n", path));
  int in = 0, lines = 0;
  for (char *l = cg; *l;)
    {
      size_t len = strcspn (l, "\n");
      char *colon = memchr (l, ':', len);
      colon = colon ? memchr (colon + 1, ':', len - (size_t) (colon + 1 - l)) : NULL;
      if (colon)
        {
          lines++;
          size_t pl = len - (size_t) (colon + 1 - l);
          in += pl == strlen (path) && strncmp (colon + 1, path, pl) == 0;
        }
      l += len + (l[len] == '\n');
    }
  bool where = strstr (cg, want) != NULL;
  t_note (t, "the daemon (pid %d) is in %s in %d of its %d hierarchies (%s: %s)", (int) daemon, path, in, lines,
          v2host ? "unified" : "devices", where ? "yes" : "no");
  T_REQUIRE (t, where, "the shim's daemon is not in the shim_cgroup %s (%s hierarchy)", path,
             v2host ? "unified" : "devices");
}

CASE (bootstrap_log_fifo_written)
{
  /* containerd 2.x's shims log at debug level, and containerd runs them with
   * -debug only when it logs at debug level itself: that is when their
   * FIFO output means anything */
  t->debug_launch = t->cfg->profile->rank >= 200;
  if (t->debug_launch)
    t_note (t, "launched with -debug, as containerd %s at log level debug does",
            t->cfg->profile->name);
  t_running (t, "c1", NULL);
  sc_loop_run_once (t->env.loop, 50);
  t_note (t, "%zu bytes on the log FIFO", t->shim->log_len);
  T_REQUIRE (t, t->shim->log_len > 0, "the shim wrote nothing to the bundle's log FIFO");
}

CASE (bootstrap_containerd16_address)
{
  char *b = t_bundle (t, "c1", NULL, false);
  sc_shim *s = t_launch (t, "c1", b);
  t_note (t, "start printed %s", s->start.out);
  T_REQUIRE (t, !s->addr.json && strncmp (s->start.out, "unix://", 7) == 0,
             "containerd 1.6 reads start's output as a plain address; JSON bootstrap params "
             "need containerd >= 1.7");
}

CASE (bootstrap_bootstrap_protocol)
{
  char *b = t_bundle (t, "c1", NULL, false);
  sc_shim *s = t_launch (t, "c1", b);
  t_note (t, "start got a %zu-byte BootstrapParams; printed %zu bytes (%s)", s->start_stdin_len,
          s->start.out_len, s->addr.protobuf ? "a protobuf BootstrapResult"
                            : s->addr.json    ? "JSON bootstrap params"
                                              : "a plain address");
  T_REQUIRE (t, s->addr.protobuf,
             "containerd 2.3's shims MUST answer start with a protobuf BootstrapResult; this one "
             "printed %s (containerd 2.3 still falls back to it, but that path is deprecated)",
             s->addr.json ? "JSON bootstrap params" : "a plain address");
  T_REQUIRE (t, s->addr.version == 2 || s->addr.version == 3,
             "BootstrapResult.version %d (2: task v2, 3: task v3)", s->addr.version);
  /* it serves what it advertised */
  uint32_t pid = 0;
  T_OK (t, t_create (t, "c1", b, NULL, &pid, NULL), "Create");
  t_note (t, "served %s", s->task.service);
}

static void
t_free_run_result (void *p)
{
  sc_run_result_release (p);
  free (p);
}

static void
remove_dir (void *p)
{
  sc_remove_tree (p, NULL);
  free (p);
}

CASE (bootstrap_socket_dir_honoured)
{
  /* containerd keeps socket dirs short (sockets are limited to 108 bytes):
   * one of ours under containerd's state directory */
  char *dir = sc_xstrdup (SC_SHIM_SOCKET_ROOT "sc-sd.XXXXXX");
  mkdir (SC_SHIM_SOCKET_ROOT, 0711);
  if (mkdtemp (dir) == NULL)
    {
      free (dir);
      t_fail (t, "shimcheck: mkdtemp under %s: %s", SC_SHIM_SOCKET_ROOT, strerror (errno));
    }
  t_keep (t, dir, remove_dir);
  char *sd = t_keep_str (t, sc_xasprintf ("%s/s", dir));
  t->socket_dir = sd;
  uint32_t pid = t_running (t, "c1", NULL);
  t_note (t, "socket_dir %s; start printed %s; task pid %u", sd, t->shim->addr.address, pid);
  size_t l = strlen (sd);
  T_REQUIRE (t, strncmp (t->shim->addr.name, sd, l) == 0 && t->shim->addr.name[l] == '/',
             "the socket %s is not in BootstrapParams.socket_dir %s", t->shim->addr.name, sd);
  struct stat st;
  T_REQUIRE (t, lstat (t->shim->addr.name, &st) == 0 && S_ISSOCK (st.st_mode),
             "no socket at %s", t->shim->addr.name);
}

CASE (bootstrap_info_flag)
{
  /* as containerd 2.x's getRuntimeInfo: `<shim> -info`, the options Any on
   * stdin, a protobuf RuntimeInfo on stdout */
  Google__Protobuf__Any any;
  uint8_t *opts = NULL;
  size_t opts_len = 0;
  t_options_any (t->cfg->runtime_binary ? t->cfg->runtime_binary : "runc", &any);
  opts = sc_pb_pack (&any.base, &opts_len);
  sc_any_clear (&any);
  t_keep (t, opts, free);
  char *argv[] = { (char *) t->cfg->shim, (char *) "-info", NULL };
  sc_run_opts ro = { .path = t->cfg->shim, .argv = argv, .cwd = t->env.dir, .stdin_data = opts,
                     .stdin_len = opts_len, .timeout_ms = t_ms (t, 5000), .eof_grace_ms = 500 };
  sc_run_result *r = t_keep (t, sc_xcalloc (1, sizeof (*r)), t_free_run_result);
  sc_error err = SC_ERROR_INIT;
  if (sc_run (&ro, r, &err) < 0)
    {
      char *m = t_keep_str (t, sc_xstrdup (err.msg));
      sc_error_release (&err);
      t_fail (t, "shimcheck: running %s -info: %s", t->cfg->shim, m);
    }
  t_note (t, "-info: %s, %zu bytes on stdout, stderr \"%.200s\"", sc_wait_status_str (r->status),
          r->out_len, r->err ? r->err : "");
  T_REQUIRE (t, !r->timed_out, "-info did not exit within 5 s");
  T_REQUIRE (t, WIFEXITED (r->status) && WEXITSTATUS (r->status) == 0, "-info %s: %.300s",
             sc_wait_status_str (r->status), r->err ? r->err : "");
  Containerd__Types__RuntimeInfo *info
    = containerd__types__runtime_info__unpack (NULL, r->out_len, (const uint8_t *) r->out);
  T_REQUIRE (t, info != NULL, "-info's %zu bytes of stdout are not a protobuf RuntimeInfo",
             r->out_len);
  t_keep_pb (t, info);
  t_note (t, "RuntimeInfo name \"%s\", version \"%s\", options %s, features %s",
          info->name, info->version ? info->version->version : "(none)",
          info->options ? info->options->type_url : "(none)",
          info->features ? info->features->type_url : "(none)");
  T_REQUIRE (t, info->name[0] != '\0', "RuntimeInfo.name is empty");
  T_REQUIRE (t, info->options && strcmp (sc_any_type_name (info->options->type_url),
                                         "containerd.runc.v1.Options") == 0,
             "RuntimeInfo.options does not echo the containerd.runc.v1.Options it was given");
}

/* ------------------------------------------------------------------ create */

CASE (create_pid_matches_state)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  uint32_t pid = 0;
  T_OK (t, t_create (t, "c1", b, NULL, &pid, NULL), "Create");
  T_REQUIRE (t, pid > 0, "Create returned pid 0");
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State");
  t_note (t, "Create pid %u, State pid %u status %d", pid, s->pid, s->status);
  bool ok = s->pid == pid && s->status == CONTAINERD__V1__TYPES__STATUS__CREATED;
  T_REQUIRE (t, ok, "State must report the created pid and status CREATED");
}

CASE (create_event_fields)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  sc_io io;
  t_io (t, "c1", false, true, &io);
  uint32_t pid = 0;
  T_OK (t, t_create (t, "c1", b, &io, &pid, NULL), "Create");
  const sc_event *e = t_event (t, "/tasks/create", "c1", NULL, 5000);
  T_REQUIRE (t, e->msg, "TaskCreate does not decode: %s", e->decode_error ? e->decode_error : e->type_url);
  const Containerd__Events__TaskCreate *c = (const void *) e->msg;
  t_note (t, "TaskCreate container_id=%s bundle=%s pid=%u stdout=%s", c->container_id, c->bundle,
          c->pid, c->io ? c->io->stdout : "(no io)");
  T_REQUIRE (t, strcmp (c->bundle, b) == 0, "bundle %s, want %s", c->bundle, b);
  T_REQUIRE (t, c->pid == pid, "pid %u, Create said %u", c->pid, pid);
  T_REQUIRE (t, c->io && strcmp (c->io->stdout, io.out) == 0, "io.stdout does not echo the request");
  T_REQUIRE (t, strcmp (e->ns, t->env.ns) == 0, "envelope namespace %s, want %s", e->ns, t->env.ns);
  t_io_close (&io);
}

CASE (create_duplicate_rejected)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  char *msg = NULL;
  T_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create");
  int code = t_create (t, "c1", b, NULL, NULL, &msg);
  t_not_ok (t, code, &msg, "second Create of c1");
}

CASE (create_duplicate_already_exists)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  T_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create");
  T_CODE (t, t_create (t, "c1", b, NULL, NULL, NULL), SC_ALREADY_EXISTS, "second Create");
}

CASE (create_missing_bundle)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  char *nob = sc_xasprintf ("%s/no-such-bundle", t->env.dir);
  T_NOT_OK (t, t_create (t, "c2", nob, NULL, NULL, NULL), "Create with a missing bundle");
  free (nob);
}

CASE (create_invalid_config)
{
  json_t *bad = json_pack ("{s:s, s:{s:s}}", "ociVersion", "1.0.2", "root", "path", "rootfs");
  char *b = t_bundle_spec (t, "c1", bad); /* no process */
  t_launch (t, "c1", b);
  T_NOT_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create with a config.json without process");
  sc_events_sink_wait_count (t->env.sink, 1, t_ms (t, 500));
  T_REQUIRE (t, t_count_events (t, "/tasks/create", "c1", NULL) == 0, "TaskCreate for a failed Create");
  Containerd__Task__V2__ConnectRequest q = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  q.id = (char *) "c1";
  T_OK (t, t_rpc (t, "Connect", &q.base, NULL, NULL), "Connect after the failed Create");
}

CASE (create_missing_binary)
{
  static const char *const args[] = { "notfound404", NULL };
  char *b = t_bundle (t, "c1", args, false);
  t_launch (t, "c1", b);
  T_NOT_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create of a missing binary");
  T_CODE (t, t_state (t, "c1", NULL, NULL, NULL), SC_NOT_FOUND, "State after the failed Create");
  sc_events_sink_wait_count (t->env.sink, 100, t_ms (t, 300));
  char *topics = t_topics (t, "c1");
  t_note (t, "events after the failed Create: \"%s\"", topics);
  bool none = *topics == '\0';
  free (topics);
  T_REQUIRE (t, none, "a failed Create published events");
}

CASE (create_rootfs_mounts_honoured)
{
  static const char *const args[] = { "sh", "-c", "test -x /bin/busybox", NULL };
  char *b = t_create_with_rootfs_mount (t, "c1", args);
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  uint32_t st = 99;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait");
  T_REQUIRE (t, st == 0, "busybox not found in the mounted rootfs (exit %u)", st);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  bool mounted = t_rootfs_mounted (b);
  t_note (t, "rootfs mount used by the task, and %s after Delete", mounted ? "STILL MOUNTED" : "unmounted");
  T_REQUIRE (t, !mounted, "%s/rootfs is still a mount point after Delete", b);
}

CASE (create_options_binary_name)
{
  char *wrapper = t_runtime_wrapper (t, "wrapped-runc", 0);
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  Google__Protobuf__Any any;
  t_options_any (wrapper, &any);
  Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  r.id = (char *) "c1";
  r.bundle = b;
  r.options = &any;
  char *msg = NULL;
  int code = t_create_req (t, &r, NULL, &msg);
  sc_any_clear (&any);
  t_ok (t, code, &msg, "Create with options.binary_name");
  char *calls = sc_xasprintf ("%s.calls", wrapper);
  FILE *f = fopen (calls, "r");
  char line[512] = "";
  bool created = false;
  while (f && fgets (line, sizeof (line), f))
    created |= strstr (line, "create") != NULL;
  if (f)
    fclose (f);
  t_note (t, "the runtime named in options %s called for create", created ? "was" : "was NOT");
  T_REQUIRE (t, created, "options.binary_name was ignored");
  free (calls);
  free (wrapper);
}

/* the Any of each options type containerd sends: 0 runc.v1.Options (the
 * run's runtime binary, if any), 1 the legacy linux.runc.CreateOptions its
 * Go client builds for other runtime names, 2 CRI's runtimeoptions.v1 */
static void
options_of_kind (sc_t *t, int kind, Google__Protobuf__Any *any)
{
  if (kind == 0)
    t_options_any (t->cfg->runtime_binary ? t->cfg->runtime_binary : "", any);
  else if (kind == 1)
    {
      Containerd__Linux__Runc__CreateOptions o = CONTAINERD__LINUX__RUNC__CREATE_OPTIONS__INIT;
      o.no_new_keyring = true;
      sc_any_pack (any, &o.base);
    }
  else
    sc_any_set (any, "runtimeoptions.v1.Options", "", 0);
}

CASE (create_options_types_accepted)
{
  static const char *const names[] = { "containerd.runc.v1.Options",
                                       "containerd.linux.runc.CreateOptions",
                                       "runtimeoptions.v1.Options" };
  static const char *const a[] = { "true", NULL };
  /* `start` with the legacy type on stdin, as ctr run --no-pivot sends it */
  Google__Protobuf__Any any;
  options_of_kind (t, 1, &any);
  char *b1 = t_bundle (t, "c0", a, false);
  sc_shim *s = t_launch_options (t, "c0", b1, &any);
  sc_any_clear (&any);
  T_REQUIRE (t, s->rpc != NULL, "start with %s on stdin: no shim", names[1]);
  for (int kind = 0; kind < 3; kind++)
    {
      char id[8];
      snprintf (id, sizeof (id), "c%d", kind);
      const char *b = kind == 0 ? b1 : t_bundle (t, id, a, false);
      options_of_kind (t, kind, &any);
      Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
      r.id = id;
      r.bundle = (char *) b;
      r.options = &any;
      int code = t_create_req (t, &r, NULL, NULL);
      sc_any_clear (&any);
      char *what = t_keep_str (t, sc_xasprintf ("Create with %s", names[kind]));
      T_OK (t, code, what);
      T_OK (t, t_start (t, id, NULL, NULL, NULL), "Start");
      uint32_t st = 99;
      T_OK (t, t_wait (t, id, NULL, &st, NULL, NULL), "Wait");
      T_EQ (t, st, 0);
      T_OK (t, t_delete (t, id, NULL, NULL, NULL), "Delete");
      t_note (t, "%s: created, started, exited 0, deleted", names[kind]);
    }
}

CASE (create_options_missing_runtime)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  Google__Protobuf__Any any;
  t_options_any ("no-runc", &any);
  Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  r.id = (char *) "c1";
  r.bundle = b;
  r.options = &any;
  char *msg = NULL;
  int code = t_rpc (t, "Create", &r.base, NULL, &msg);
  sc_any_clear (&any);
  bool named = msg && strstr (msg, "no-runc");
  char *copy = sc_xstrdup (msg ? msg : "");
  t_not_ok (t, code, &msg, "Create with binary_name \"no-runc\"");
  T_REQUIRE (t, named, "the error does not name the runtime: %s", copy);
  free (copy);
}

CASE (create_unknown_id_state_notfound)
{
  t_launched (t, "c1");
  T_CODE (t, t_state (t, "nope", NULL, NULL, NULL), SC_NOT_FOUND, "State of an unknown id");
}

/* ------------------------------------------------------------------ start */

CASE (start_running_state)
{
  uint32_t pid = t_running (t, "c1", NULL);
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State");
  bool ok = s->status == CONTAINERD__V1__TYPES__STATUS__RUNNING && s->pid == pid;
  t_note (t, "State status %d pid %u (Create pid %u)", s->status, s->pid, pid);
  T_REQUIRE (t, ok, "State must be RUNNING with the created pid");
}

CASE (start_event_after_create)
{
  uint32_t pid = t_running (t, "c1", NULL);
  const sc_event *st = t_event (t, "/tasks/start", "c1", NULL, 5000);
  const sc_event *cr = t_event (t, "/tasks/create", "c1", NULL, 1000);
  T_REQUIRE (t, cr->seq < st->seq, "TaskStart (#%llu) came before TaskCreate (#%llu)",
             (unsigned long long) st->seq, (unsigned long long) cr->seq);
  T_REQUIRE (t, st->msg, "TaskStart does not decode");
  uint32_t spid = ((const Containerd__Events__TaskStart *) st->msg)->pid;
  t_note (t, "TaskCreate #%llu, TaskStart #%llu pid %u", (unsigned long long) cr->seq,
          (unsigned long long) st->seq, spid);
  T_REQUIRE (t, spid == pid, "TaskStart pid %u, Create said %u", spid, pid);
}

CASE (start_pid_equals_create)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  uint32_t cpid = 0, spid = 0;
  T_OK (t, t_create (t, "c1", b, NULL, &cpid, NULL), "Create");
  T_OK (t, t_start (t, "c1", NULL, &spid, NULL), "Start");
  t_note (t, "Create pid %u, Start pid %u", cpid, spid);
  T_REQUIRE (t, cpid == spid && spid > 0, "Start pid differs from Create pid");
}

CASE (start_stdout_delivered)
{
  static const char *const args[] = { "echo", "hello-from-the-task", NULL };
  char *b = t_bundle (t, "c1", args, false);
  t_launch (t, "c1", b);
  sc_io io;
  t_io (t, "c1", false, true, &io);
  T_OK (t, t_create (t, "c1", b, &io, NULL, NULL), "Create");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  size_t n;
  char *out = t_io_read (t, io.out_fd, 10000, &n);
  t_note (t, "stdout: \"%s\"", out);
  T_REQUIRE (t, strcmp (out, "hello-from-the-task\n") == 0, "stdout content differs");
  free (out);
  t_io_close (&io);
}

CASE (start_twice_rejected)
{
  t_running (t, "c1", NULL);
  T_NOT_OK (t, t_start (t, "c1", NULL, NULL, NULL), "second Start");
}

CASE (start_unknown_id_notfound)
{
  t_launched (t, "c1");
  T_CODE (t, t_start (t, "nope", NULL, NULL, NULL), SC_NOT_FOUND, "Start of an unknown id");
}

CASE (start_hostname_from_spec)
{
  static const char *const args[] = { "hostname", NULL };
  char *b = t_bundle (t, "c1", args, false);
  t_launch (t, "c1", b);
  sc_io io;
  t_io (t, "c1", false, true, &io);
  T_OK (t, t_create (t, "c1", b, &io, NULL, NULL), "Create");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  char *out = t_io_read (t, io.out_fd, 10000, NULL);
  t_note (t, "hostname printed \"%s\"", out);
  T_REQUIRE (t, strcmp (out, "shimcheck\n") == 0, "hostname is not the spec's \"shimcheck\"");
  free (out);
  t_io_close (&io);
}

/* ------------------------------------------------------------------ signal */

static void
expect_exit (sc_t *t, const char *id, const char *exec_id, uint32_t want)
{
  uint32_t st = 0;
  T_OK (t, t_wait (t, id, exec_id, &st, NULL, NULL), "Wait");
  t_note (t, "Wait(%s%s%s) -> exit_status %u", id, exec_id ? "/" : "", exec_id ? exec_id : "", st);
  T_REQUIRE (t, st == want, "exit status %u, want %u", st, want);
}

CASE (signal_sigkill_137)
{
  t_running (t, "c1", NULL);
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill SIGKILL");
  expect_exit (t, "c1", NULL, 137);
}

/* a task that announces "ready" once its traps are set */
static void
trapping_task (sc_t *t, const char *script, sc_io *io)
{
  const char *args[] = { "sh", "-c", script, NULL };
  char *b = t_bundle (t, "c1", args, false);
  t_launch (t, "c1", b);
  t_io (t, "c1", false, true, io);
  T_OK (t, t_create (t, "c1", b, io, NULL, NULL), "Create");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  /* read until "ready" */
  char got[256] = "";
  size_t n = 0;
  int64_t deadline = sc_deadline_in_ms (t_ms (t, 10000));
  while (strstr (got, "ready") == NULL && sc_now_mono_ns () < deadline && n < sizeof (got) - 1)
    {
      sc_loop_run_once (t->env.loop, 10);
      ssize_t k = read (io->out_fd, got + n, sizeof (got) - 1 - n);
      if (k > 0)
        n += (size_t) k;
      got[n] = '\0';
    }
  T_REQUIRE (t, strstr (got, "ready"), "the task never said ready: \"%s\"", got);
}

CASE (signal_sigterm_trapped)
{
  sc_io io;
  trapping_task (t, "trap 'exit 42' TERM; echo ready; while true; do sleep 0.05; done", &io);
  T_OK (t, t_kill (t, "c1", NULL, SIGTERM, false, NULL), "Kill SIGTERM");
  expect_exit (t, "c1", NULL, 42);
  t_io_close (&io);
}

CASE (signal_sigusr1_delivered)
{
  sc_io io;
  trapping_task (t, "trap 'echo got-usr1; exit 3' USR1; echo ready; while true; do sleep 0.05; done", &io);
  T_OK (t, t_kill (t, "c1", NULL, SIGUSR1, false, NULL), "Kill SIGUSR1");
  expect_exit (t, "c1", NULL, 3);
  char *out = t_io_read (t, io.out_fd, 5000, NULL);
  t_note (t, "after the signal: \"%s\"", out);
  T_REQUIRE (t, strstr (out, "got-usr1"), "the handler's output is missing");
  free (out);
  t_io_close (&io);
}

CASE (signal_kill_all_reaches_execs)
{
  /* SIGTERM with all=true: the init (pid 1 of its namespace) ignores it, the
   * exec does not, so only a signal to every process ends the exec */
  t_running (t, "c1", NULL);
  static const char *const sl[] = { "sleep", "3600", NULL };
  T_OK (t, t_exec (t, "c1", "e1", sl, NULL, false, NULL), "Exec");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  sc_waiter *we = t_wait_async (t, "c1", "e1");
  T_OK (t, t_kill (t, "c1", NULL, SIGTERM, true, NULL), "Kill all SIGTERM");
  T_REQUIRE (t, t_wait_for (t, we, 5000), "the exec's Wait never returned after kill all");
  t_note (t, "exec exit %u after kill all SIGTERM", we->status);
  T_REQUIRE (t, we->code == 0 && we->status == 143, "exec: %s, status %u", sc_code_name (we->code), we->status);
}

CASE (signal_kill_unknown_id_notfound)
{
  t_running (t, "c1", NULL);
  T_CODE (t, t_kill (t, "nope", NULL, SIGKILL, false, NULL), SC_NOT_FOUND, "Kill of an unknown id");
}

CASE (signal_kill_unknown_exec_notfound)
{
  t_running (t, "c1", NULL);
  T_CODE (t, t_kill (t, "c1", "zz", SIGKILL, false, NULL), SC_NOT_FOUND, "Kill of an unknown exec");
}

CASE (signal_kill_exited_notfound)
{
  static const char *const args[] = { "true", NULL };
  t_running (t, "c1", args);
  expect_exit (t, "c1", NULL, 0);
  T_CODE (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), SC_NOT_FOUND, "Kill of an exited task");
}

CASE (signal_kill_created_exec_rejected)
{
  t_running (t, "c1", NULL);
  static const char *const sl[] = { "sleep", "3600", NULL };
  T_OK (t, t_exec (t, "c1", "e1", sl, NULL, false, NULL), "Exec");
  T_NOT_OK (t, t_kill (t, "c1", "e1", SIGKILL, false, NULL), "Kill of a not started exec");
}

/* TestKillContainerDeletedByRunc: the runtime's state of a running task is
 * force-deleted behind the shim's back (the task dies with it).  Kill must
 * then answer NotFound, and the init's Wait must answer promptly. */
CASE (signal_kill_after_runtime_deleted)
{
  const char *runtime = t->cfg->runtime_binary ? t->cfg->runtime_binary : "runc";
  char *root = t_keep_str (t, sc_xasprintf ("%s/runtime-root", t->env.dir));
  Google__Protobuf__Any any;
  t_options_any_root (runtime, root, &any);
  t_create_with_options (t, "c1", NULL, &any, "Create with the runtime's root in the options");
  sc_waiter *w = t_wait_async (t, "c1", NULL);
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  char *exe = t_keep_str (t, sc_find_executable (runtime));
  T_REQUIRE (t, exe != NULL, "the runtime %s is not in PATH", runtime);
  char *nsroot = t_keep_str (t, sc_xasprintf ("%s/%s", root, t->env.ns));
  char *argv[] = { exe, (char *) "--root", nsroot, (char *) "delete", (char *) "--force", (char *) "c1", NULL };
  sc_run_opts ro = { .path = exe, .argv = argv, .merge_stderr = true, .timeout_ms = t_ms (t, 10000) };
  sc_run_result r;
  T_REQUIRE (t, sc_run (&ro, &r, NULL) == 0, "cannot run %s", exe);
  bool deleted = !r.timed_out && WIFEXITED (r.status) && WEXITSTATUS (r.status) == 0;
  t_note (t, "%s --root %s delete --force c1: %s %s", runtime, nsroot, sc_wait_status_str (r.status), r.out);
  sc_run_result_release (&r);
  T_REQUIRE (t, deleted, "the runtime could not delete the task behind the shim (its root is not %s?)", nsroot);
  T_CODE (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), SC_NOT_FOUND, "Kill of a task the runtime no longer knows");
  T_REQUIRE (t, t_wait_for (t, w, 2000), "the init's Wait did not answer within 2 s of its container's deletion");
  t_note (t, "Wait: %s, exit %u", sc_code_name (w->code), w->status);
}

/* TestIssue9103: the init dies right after the runtime's create (containerd
 * reproduces it with a runc failpoint; here a wrapper kills the init once
 * `runc create` has returned and lingers, so the shim reaps the init before
 * it has read the pid file and knows whose exit that was).  The shim
 * then learns of the exit before or while it registers the pid; the task must
 * read STOPPED and Wait must answer, never hang.  (A shim may instead refuse
 * the Create: then nothing of the task may remain.) */
CASE (create_init_dies_during_create)
{
  char *wrapper = t_keep_str (t, sc_xasprintf ("%s/killing-runc", t->env.dir));
  char *text = "#!/bin/sh\n"
               "runc \"$@\"; rc=$?\n"
               "create=; pidfile=; prev=\n"
               "for a in \"$@\"; do\n"
               "  [ \"$a\" = create ] && create=1\n"
               "  [ \"$prev\" = --pid-file ] && pidfile=$a\n"
               "  case $a in --pid-file=*) pidfile=${a#--pid-file=} ;; esac\n"
               "  prev=$a\n"
               "done\n"
               "if [ -n \"$create\" ] && [ $rc -eq 0 ] && [ -n \"$pidfile\" ]; then kill -9 \"$(cat \"$pidfile\")\"; sleep 0.3; fi\n"
               "exit $rc\n";
  t_write_file (t, wrapper, text, 0755);
  Google__Protobuf__Any any;
  t_options_any (wrapper, &any);
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch_options (t, "c1", b, &any);
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) "c1";
  cr.bundle = b;
  cr.options = &any;
  uint32_t pid = 0;
  char *msg = NULL;
  int code = t_create_req (t, &cr, &pid, &msg);
  sc_any_clear (&any);
  if (code != 0)
    {
      t_note (t, "Create refused: %s \"%s\"", sc_code_name (code), msg ? msg : "");
      Containerd__Task__V2__StateResponse *s = NULL;
      int sc = t_state (t, "c1", NULL, &s, NULL);
      T_REQUIRE (t, sc != 0, "Create failed, yet State of the task answers (status %d)", s ? (int) s->status : -1);
      return;
    }
  sc_waiter *w = t_wait_async (t, "c1", NULL);
  T_REQUIRE (t, t_wait_for (t, w, 10000),
             "Wait of a task whose init died during Create did not answer within 10 s (containerd issue 9103)");
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State");
  t_note (t, "Create OK (pid %u); Wait -> %s, exit %u; State status %d", pid, sc_code_name (w->code), w->status,
          (int) s->status);
  T_REQUIRE (t, w->code == 0, "Wait failed: %s", w->message ? w->message : "");
  T_REQUIRE (t, s->status == CONTAINERD__V1__TYPES__STATUS__STOPPED,
             "the task reads status %d, not STOPPED, after its init died", (int) s->status);
}

CASE (start_init_user_from_spec)
{
  /* TestContainerUser, TestContainerUserID: the init runs as the spec's
   * user, group and additional groups (a shim that runs the process itself,
   * in a VM say, must apply them as the runtime would) */
  static const char *const a[] = { "sh", "-c", "echo $(id -u) $(id -g) $(id -G)", NULL };
  json_t *spec = t_spec (t, a, false);
  json_object_set_new (json_object_get (spec, "process"), "user",
                       json_pack ("{s:i, s:i, s:[i]}", "uid", 1000, "gid", 1000, "additionalGids", 1001));
  char *b = t_bundle_spec (t, "c1", spec);
  t_launch (t, "c1", b);
  sc_io io;
  t_io (t, "c1", false, true, &io);
  T_OK (t, t_create (t, "c1", b, &io, NULL, NULL), "Create with process.user 1000:1000 (+1001)");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  char *out = t_keep_str (t, t_io_read (t, io.out_fd, 10000, NULL));
  t_io_close (&io);
  t_note (t, "the init printed uid gid groups: %s", out);
  T_REQUIRE (t, strcmp (out, "1000 1000 1000 1001\n") == 0,
             "the init does not run as the spec's user 1000, group 1000, groups 1000 1001: \"%s\"", out);
}

CASE (signal_kill_created_task)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  T_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create");
  sc_waiter *w = t_wait_async (t, "c1", NULL);
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill SIGKILL of a created task");
  T_REQUIRE (t, t_wait_for (t, w, 10000), "Wait of the killed created task never returned");
  t_note (t, "Wait -> %s, exit %u", sc_code_name (w->code), w->status);
  T_REQUIRE (t, w->code == 0 && w->status == 137, "want exit 137");
}
