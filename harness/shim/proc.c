#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "clock.h"

char *
sc_find_executable (const char *name)
{
  if (name == NULL || *name == '\0')
    return NULL;
  if (strchr (name, '/'))
    return access (name, X_OK) == 0 ? sc_xstrdup (name) : NULL;
  const char *env = getenv ("PATH");
  char *dirs = sc_xasprintf ("%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                             env ? env : "");
  char *found = NULL, *save = NULL;
  for (char *d = strtok_r (dirs, ":", &save); d && !found; d = strtok_r (NULL, ":", &save))
    {
      char *cand = sc_xasprintf ("%s/%s", d, name);
      if (access (cand, X_OK) == 0)
        found = cand;
      else
        free (cand);
    }
  free (dirs);
  return found;
}

int
sc_pidfd_open (pid_t pid)
{
#ifdef SYS_pidfd_open
  return (int) syscall (SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

const char *
sc_wait_status_str (int status)
{
  static __thread char buf[64];
  if (WIFEXITED (status))
    snprintf (buf, sizeof (buf), "exited %d", WEXITSTATUS (status));
  else if (WIFSIGNALED (status))
    snprintf (buf, sizeof (buf), "killed by signal %d (%s)%s", WTERMSIG (status),
              strsignal (WTERMSIG (status)), WCOREDUMP (status) ? ", core dumped" : "");
  else
    snprintf (buf, sizeof (buf), "wait status 0x%x", status);
  return buf;
}

static void
append (char **buf, size_t *len, const char *data, size_t n)
{
  /* cap captured output at 1 MiB: a runaway shim must not eat our memory */
  const size_t cap = 1 << 20;
  if (*len >= cap)
    return;
  if (*len + n > cap)
    n = cap - *len;
  *buf = sc_xrealloc (*buf, *len + n + 1);
  memcpy (*buf + *len, data, n);
  *len += n;
  (*buf)[*len] = '\0';
}

/* one read from *fd into buf; closes *fd (sets -1) at EOF or on an error */
static void
drain_once (int *fd, char **buf, size_t *len)
{
  char tmp[8192];
  ssize_t k = read (*fd, tmp, sizeof (tmp));
  if (k > 0)
    append (buf, len, tmp, (size_t) k);
  else if (k == 0 || (errno != EINTR && errno != EAGAIN))
    {
      close (*fd);
      *fd = -1;
    }
}

int
sc_run (const sc_run_opts *o, sc_run_result *r, sc_error *err)
{
  memset (r, 0, sizeof (*r));
  r->out = sc_xstrdup ("");
  r->err = sc_xstrdup ("");
  int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 }, execp[2] = { -1, -1 };
  if (pipe2 (outp, O_CLOEXEC) < 0 || (!o->merge_stderr && pipe2 (errp, O_CLOEXEC) < 0)
      || (o->stdin_data && pipe2 (inp, O_CLOEXEC) < 0) || pipe2 (execp, O_CLOEXEC) < 0)
    {
      int e = errno;
      int *fds[] = { outp, errp, inp, execp };
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
          if (fds[i][j] >= 0)
            close (fds[i][j]);
      return sc_error_make (err, e, "pipe");
    }
  int64_t start = sc_now_mono_ns ();
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (outp[0]);
      close (outp[1]);
      return sc_error_make (err, e, "fork");
    }
  if (pid == 0)
    {
      sigset_t all;
      sigemptyset (&all);
      sigprocmask (SIG_SETMASK, &all, NULL);
      signal (SIGPIPE, SIG_DFL);
      if (o->setpgid)
        setpgid (0, 0);
      int in = o->stdin_data ? inp[0] : open ("/dev/null", O_RDONLY | O_CLOEXEC);
      dup2 (in, 0);
      dup2 (outp[1], 1);
      dup2 (o->merge_stderr ? outp[1] : errp[1], 2);
      if (o->cwd && chdir (o->cwd) < 0)
        {
          int e = errno;
          if (write (execp[1], &e, sizeof (e)) < 0)
            _exit (127);
          _exit (127);
        }
      if (o->envp)
        execve (o->path, o->argv, o->envp);
      else
        execv (o->path, o->argv);
      int e = errno;
      if (write (execp[1], &e, sizeof (e)) < 0)
        _exit (127);
      _exit (127);
    }
  r->pid = pid;
  close (outp[1]);
  if (errp[1] >= 0)
    close (errp[1]);
  if (inp[0] >= 0)
    close (inp[0]);
  close (execp[1]);
  int child_errno = 0;
  ssize_t en = read (execp[0], &child_errno, sizeof (child_errno));
  close (execp[0]);
  if (en == (ssize_t) sizeof (child_errno))
    {
      waitpid (pid, NULL, 0);
      close (outp[0]);
      if (errp[0] >= 0)
        close (errp[0]);
      if (inp[1] >= 0)
        close (inp[1]);
      return sc_error_make (err, child_errno, "cannot run %s%s%s", o->path,
                            o->cwd ? " in " : "", o->cwd ? o->cwd : "");
    }

  int pidfd = sc_pidfd_open (pid);
  int64_t deadline = start + (o->timeout_ms > 0 ? o->timeout_ms : 10000) * 1000000;
  int64_t eof_deadline = 0;
  size_t in_off = 0;
  if (inp[1] >= 0)
    fcntl (inp[1], F_SETFL, O_NONBLOCK);
  if (inp[1] >= 0 && o->stdin_len == 0)
    {
      close (inp[1]);
      inp[1] = -1;
    }
  int fout = outp[0], ferr = errp[0];
  while (fout >= 0 || ferr >= 0 || !r->exited)
    {
      struct pollfd p[4];
      int n = 0, iout = -1, ierr = -1, iin = -1, ipid = -1;
      if (fout >= 0)
        p[iout = n++] = (struct pollfd){ fout, POLLIN, 0 };
      if (ferr >= 0)
        p[ierr = n++] = (struct pollfd){ ferr, POLLIN, 0 };
      if (inp[1] >= 0)
        p[iin = n++] = (struct pollfd){ inp[1], POLLOUT, 0 };
      if (!r->exited && pidfd >= 0)
        p[ipid = n++] = (struct pollfd){ pidfd, POLLIN, 0 };
      int64_t now = sc_now_mono_ns ();
      int64_t until = r->exited ? eof_deadline : deadline;
      if (!r->exited && pidfd < 0 && until > now + 20000000)
        until = now + 20000000; /* no pidfd: poll for exit */
      if (now >= until && (r->exited || now >= deadline))
        {
          if (!r->exited)
            {
              r->timed_out = true;
              if (o->setpgid)
                kill (-pid, SIGKILL);
              kill (pid, SIGKILL);
              waitpid (pid, &r->status, 0);
              r->exited = false;
            }
          else
            r->output_held_open = true;
          break;
        }
      int ms = (int) ((until - now + 999999) / 1000000);
      int pr = poll (p, (nfds_t) n, ms);
      if (pr < 0 && errno != EINTR)
        break;
      if (iout >= 0 && (p[iout].revents & (POLLIN | POLLHUP | POLLERR)))
        drain_once (&fout, &r->out, &r->out_len);
      if (ierr >= 0 && (p[ierr].revents & (POLLIN | POLLHUP | POLLERR)))
        drain_once (&ferr, &r->err, &r->err_len);
      if (iin >= 0 && (p[iin].revents & (POLLOUT | POLLERR | POLLHUP)))
        {
          ssize_t k = write (inp[1], (const char *) o->stdin_data + in_off, o->stdin_len - in_off);
          if (k > 0)
            in_off += (size_t) k;
          if (k < 0 && errno != EAGAIN && errno != EINTR)
            in_off = o->stdin_len; /* reader gone: stop feeding */
          if (in_off >= o->stdin_len)
            {
              close (inp[1]);
              inp[1] = -1;
            }
        }
      if (!r->exited && (ipid < 0 || (p[ipid].revents & POLLIN)))
        {
          pid_t w = waitpid (pid, &r->status, WNOHANG);
          if (w == pid)
            {
              r->exited = true;
              eof_deadline = sc_now_mono_ns () + (o->eof_grace_ms > 0 ? o->eof_grace_ms : 1000) * 1000000;
            }
        }
    }
  if (fout >= 0)
    close (fout);
  if (ferr >= 0)
    close (ferr);
  if (inp[1] >= 0)
    close (inp[1]);
  if (pidfd >= 0)
    close (pidfd);
  r->elapsed_ns = sc_now_mono_ns () - start;
  return 0;
}

void
sc_run_result_release (sc_run_result *r)
{
  free (r->out);
  free (r->err);
  memset (r, 0, sizeof (*r));
}

static char
pid_state (pid_t pid)
{
  char path[64], buf[512];
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  char *rp = strrchr (buf, ')');
  if (rp == NULL || rp[1] == '\0')
    return 0;
  return rp[2];
}

bool
sc_pid_alive (pid_t pid)
{
  if (pid <= 0)
    return false;
  if (kill (pid, 0) < 0 && errno == ESRCH)
    return false;
  char st = pid_state (pid);
  return st != 0 && st != 'Z' && st != 'X';
}

int
sc_pid_wait_gone (pid_t pid, int64_t timeout_ms, int *status)
{
  int64_t deadline = sc_now_mono_ns () + timeout_ms * 1000000;
  int pidfd = sc_pidfd_open (pid);
  int rc = -1;
  for (;;)
    {
      int st = 0;
      pid_t w = waitpid (pid, &st, WNOHANG);
      if (w == pid)
        {
          if (status)
            *status = st;
          rc = 0;
          break;
        }
      if (!sc_pid_alive (pid))
        {
          /* gone, or a zombie of someone else's: either way not running */
          if (status)
            *status = -1;
          rc = 0;
          break;
        }
      int64_t left = deadline - sc_now_mono_ns ();
      if (left <= 0)
        break;
      int ms = (int) ((left + 999999) / 1000000);
      if (pidfd >= 0)
        {
          struct pollfd p = { pidfd, POLLIN, 0 };
          poll (&p, 1, ms < 50 ? ms : 50);
        }
      else
        usleep (5000);
    }
  if (pidfd >= 0)
    close (pidfd);
  return rc;
}

int
sc_pid_count_fds (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof (path), "/proc/%d/fd", (int) pid);
  DIR *d = opendir (path);
  if (d == NULL)
    return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

static int
read_stat (pid_t pid, pid_t *ppid, char *comm, size_t clen)
{
  char path[64], buf[1024];
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *lp = strchr (buf, '(');
  char *rp = strrchr (buf, ')');
  if (lp == NULL || rp == NULL || rp < lp)
    return -1;
  if (comm)
    {
      size_t k = (size_t) (rp - lp - 1);
      if (k >= clen)
        k = clen - 1;
      memcpy (comm, lp + 1, k);
      comm[k] = '\0';
    }
  char state;
  int pp;
  if (sscanf (rp + 1, " %c %d", &state, &pp) != 2)
    return -1;
  if (ppid)
    *ppid = pp;
  return state;
}

pid_t
sc_pid_ppid (pid_t pid)
{
  pid_t pp = -1;
  if (read_stat (pid, &pp, NULL, 0) < 0)
    return -1;
  return pp;
}

const char *
sc_pid_comm (pid_t pid, char *buf, size_t len)
{
  if (read_stat (pid, NULL, buf, len) < 0)
    snprintf (buf, len, "?");
  return buf;
}

size_t
sc_proc_descendants (pid_t root, pid_t **out)
{
  /* snapshot (pid, ppid) of every process, then walk down from root */
  size_t n = 0, cap = 256;
  pid_t *pids = sc_xmalloc (cap * sizeof (pid_t)), *pps = sc_xmalloc (cap * sizeof (pid_t));
  char *states = sc_xmalloc (cap);
  DIR *d = opendir ("/proc");
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      char *end;
      long v = strtol (de->d_name, &end, 10);
      if (*end != '\0' || v <= 0)
        continue;
      pid_t pp;
      int st = read_stat ((pid_t) v, &pp, NULL, 0);
      if (st < 0)
        continue;
      if (n == cap)
        {
          cap *= 2;
          pids = sc_xrealloc (pids, cap * sizeof (pid_t));
          pps = sc_xrealloc (pps, cap * sizeof (pid_t));
          states = sc_xrealloc (states, cap);
        }
      pids[n] = (pid_t) v;
      pps[n] = pp;
      states[n] = (char) st;
      n++;
    }
  if (d)
    closedir (d);
  size_t m = 0, mcap = 16;
  pid_t *res = sc_xmalloc (mcap * sizeof (pid_t));
  /* breadth-first over the parent links */
  pid_t *queue = sc_xmalloc ((n + 1) * sizeof (pid_t));
  size_t qh = 0, qt = 0;
  queue[qt++] = root;
  while (qh < qt)
    {
      pid_t p = queue[qh++];
      for (size_t i = 0; i < n; i++)
        if (pps[i] == p && pids[i] != root)
          {
            if (qt <= n)
              queue[qt++] = pids[i];
            if (states[i] == 'Z' || states[i] == 'X')
              continue;
            if (m == mcap)
              res = sc_xrealloc (res, (mcap *= 2) * sizeof (pid_t));
            res[m++] = pids[i];
          }
    }
  free (queue);
  free (pids);
  free (pps);
  free (states);
  *out = res;
  return m;
}

int
sc_reap_children (void)
{
  int n = 0;
  while (waitpid (-1, NULL, WNOHANG) > 0)
    n++;
  return n;
}

size_t
sc_proc_kill_descendants (pid_t root)
{
  size_t killed = 0;
  for (int round = 0; round < 50; round++)
    {
      pid_t *pids;
      size_t n = sc_proc_descendants (root, &pids);
      for (size_t i = 0; i < n; i++)
        if (kill (pids[i], SIGKILL) == 0)
          {
            killed++;
            sc_proc_thaw (pids[i]); /* a frozen process dies only once thawed */
          }
      free (pids);
      if (root == getpid ())
        sc_reap_children ();
      if (n == 0)
        break;
      usleep (10000);
    }
  if (root == getpid ())
    sc_reap_children ();
  return killed;
}

int
sc_kill_pgrp_wait (pid_t pgid, int64_t timeout_ms)
{
  if (pgid <= 1)
    return -1;
  int64_t deadline = sc_now_mono_ns () + timeout_ms * 1000000;
  if (kill (-pgid, SIGKILL) < 0 && errno == ESRCH)
    return 0;
  for (;;)
    {
      sc_reap_children ();
      /* zombies still count as members until reaped */
      if (kill (-pgid, 0) < 0 && errno == ESRCH)
        return 0;
      if (sc_now_mono_ns () >= deadline)
        return -1;
      usleep (2000);
    }
}

int
sc_become_subreaper (sc_error *err)
{
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return sc_error_make (err, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
  return 0;
}

/* inodes of the unix sockets bound to name, from /proc/net/unix */
static size_t
socket_inodes (const char *name, bool abstract, unsigned long **out)
{
  *out = NULL;
  FILE *f = fopen ("/proc/net/unix", "re");
  if (f == NULL)
    return 0;
  size_t n = 0;
  char line[4096];
  if (fgets (line, sizeof (line), f) == NULL) /* header */
    {
      fclose (f);
      return 0;
    }
  while (fgets (line, sizeof (line), f))
    {
      line[strcspn (line, "\n")] = '\0';
      /* Num RefCount Protocol Flags Type St Inode [Path] */
      unsigned long inode;
      int off = 0;
      if (sscanf (line, "%*s %*s %*s %*s %*s %*s %lu %n", &inode, &off) < 1 || off == 0)
        continue;
      const char *path = line + off;
      bool is_abstract = path[0] == '@';
      if (is_abstract != abstract || strcmp (path + (is_abstract ? 1 : 0), name) != 0)
        continue;
      *out = sc_xrealloc (*out, (n + 1) * sizeof (**out));
      (*out)[n++] = inode;
    }
  fclose (f);
  return n;
}

static bool
holds_socket (pid_t pid, const unsigned long *inodes, size_t n)
{
  char dir[64];
  snprintf (dir, sizeof (dir), "/proc/%d/fd", (int) pid);
  DIR *d = opendir (dir);
  if (d == NULL)
    return false;
  bool found = false;
  struct dirent *de;
  while (!found && (de = readdir (d)) != NULL)
    {
      char link[PATH_MAX], target[128];
      snprintf (link, sizeof (link), "%s/%s", dir, de->d_name);
      ssize_t len = readlink (link, target, sizeof (target) - 1);
      unsigned long ino;
      if (len <= 0)
        continue;
      target[len] = '\0';
      if (sscanf (target, "socket:[%lu]", &ino) != 1)
        continue;
      for (size_t i = 0; i < n && !found; i++)
        found = inodes[i] == ino;
    }
  closedir (d);
  return found;
}

pid_t
sc_socket_server_pid (const char *path, bool abstract, pid_t root)
{
  if (path == NULL || *path == '\0')
    return 0;
  unsigned long *inodes;
  size_t ninodes = socket_inodes (path, abstract, &inodes);
  pid_t *pids = NULL, found = 0;
  /* sc_proc_descendants walks breadth-first: the first holder is the
   * closest to root */
  size_t n = ninodes ? sc_proc_descendants (root, &pids) : 0;
  for (size_t i = 0; i < n && found == 0; i++)
    if (holds_socket (pids[i], inodes, ninodes))
      found = pids[i];
  free (pids);
  free (inodes);
  return found;
}

/* pid's directory in the cgroup v1 hierarchy of `controller` and in the
 * unified hierarchy (either may be NULL), from /proc/<pid>/cgroup; -1 when
 * that cannot be read */
static int
cgroup_dirs (pid_t pid, const char *controller, char **v1dir, char **v2dir)
{
  *v1dir = *v2dir = NULL;
  char path[64];
  snprintf (path, sizeof (path), "/proc/%d/cgroup", (int) pid);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return -1;
  char line[4096];
  size_t clen = strlen (controller);
  while (fgets (line, sizeof (line), f))
    {
      /* "N:controllers:/path"; v2's line is "0::/path" */
      line[strcspn (line, "\n")] = '\0';
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL || c2[1] != '/' || strstr (c2 + 1, "/..") != NULL)
        continue;
      *c2 = '\0';
      const char *ctrls = c1 + 1, *cg = c2 + 1;
      bool has = false;
      for (const char *p = ctrls; *p;)
        {
          size_t l = strcspn (p, ",");
          has |= l == clen && strncmp (p, controller, l) == 0;
          p += l + (p[l] == ',');
        }
      if (has && *v1dir == NULL)
        *v1dir = sc_xasprintf ("/sys/fs/cgroup/%s%s", controller, cg);
      else if (*ctrls == '\0' && strcmp (line, "0") == 0 && *v2dir == NULL)
        *v2dir = sc_xasprintf ("/sys/fs/cgroup%s", cg);
    }
  fclose (f);
  return 0;
}

/* writes text to dir/name if that file exists */
static void
write_if_there (const char *dir, const char *name, const char *text)
{
  char *p = sc_xasprintf ("%s/%s", dir, name);
  int fd = open (p, O_WRONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      if (write (fd, text, strlen (text)) < 0)
        {
          /* nothing to do about it: the kill that follows will tell */
        }
      close (fd);
    }
  free (p);
}

void
sc_proc_thaw (pid_t pid)
{
  char *v1 = NULL, *v2 = NULL;
  if (cgroup_dirs (pid, "freezer", &v1, &v2) == 0)
    {
      if (v1)
        write_if_there (v1, "freezer.state", "THAWED");
      if (v2)
        write_if_there (v2, "cgroup.freeze", "0");
    }
  free (v1);
  free (v2);
}

bool
sc_cgroup_unified (void)
{
  struct statfs sf;
  return statfs ("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

bool
sc_proc_cgroup_has (pid_t pid, const char *controller, const char *v1file, const char *v2file)
{
  char *v1 = NULL, *v2 = NULL;
  bool has = false;
  if (cgroup_dirs (pid, controller, &v1, &v2) == 0)
    {
      struct stat st;
      char *f1 = v1 ? sc_xasprintf ("%s/%s", v1, v1file) : NULL;
      char *f2 = v2 ? sc_xasprintf ("%s/%s", v2, v2file) : NULL;
      has = (f1 && stat (f1, &st) == 0) || (f2 && stat (f2, &st) == 0);
      free (f1);
      free (f2);
    }
  free (v1);
  free (v2);
  return has;
}

char *
sc_proc_memory_cgroup (pid_t pid, bool *v2, sc_error *err)
{
  char *v1dir = NULL, *v2dir = NULL;
  if (cgroup_dirs (pid, "memory", &v1dir, &v2dir) < 0)
    {
      sc_error_make (err, errno, "open /proc/%d/cgroup", (int) pid);
      return NULL;
    }
  struct stat st;
  char *probe = v1dir ? sc_xasprintf ("%s/memory.oom_control", v1dir) : NULL;
  bool v1ok = probe && stat (probe, &st) == 0;
  free (probe);
  if (v1ok)
    {
      free (v2dir);
      *v2 = false;
      return v1dir;
    }
  free (v1dir);
  probe = v2dir ? sc_xasprintf ("%s/memory.events", v2dir) : NULL;
  bool v2ok = probe && stat (probe, &st) == 0;
  free (probe);
  if (v2ok)
    {
      *v2 = true;
      return v2dir;
    }
  free (v2dir);
  sc_error_make (err, 0, "pid %d has no memory cgroup (no memory.oom_control or memory.events)",
                 (int) pid);
  return NULL;
}
