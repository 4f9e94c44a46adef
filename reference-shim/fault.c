/* Fault injection for containerd-shim-reffault-v1 (a test-only binary; never
 * compiled into containerd-shim-ref-v1).  SHIMCHECK_FAULTS is a comma list of
 * misbehaviours; tests/conformance/fault_matrix.tsv shows that each catalogue
 * case fails under at least one of them.
 *   bootstrap:  start-chatty start-holds-stdout start-json-v3 socket-world-writable
 *               no-grouping delete-fails namespace-optional id-limit-32 no-version
 *               no-log log-blocks socket-left-behind leak-child
 *               bootstrap-plain-answer ignore-socket-dir no-info no-task-v3 (containerd 2.x)
 *               delete-empty address-file-wrong exit-on-disconnect delete-whole-group
 *               ignore-shim-cgroup no-oom-score
 *   replies:    (the reply filter below, installed on the server: they change
 *               what a reply says and nothing else)
 *               connect-wrong-pid connect-pid=N|parent state-wrong-pid state-wrong-status
 *               start-wrong-pid stats-garbage stats-zero pids-no-details pids-empty;
 *               (the status filter) wrong-error-code;
 *               (inline: replies and events alike) exited-at-zero wrong-exit-code
 *   semantics:  allow-duplicate-create allow-duplicate-exec start-twice-ok
 *               kill-created-exec-ok delete-running-ok shutdown-always ignore-options
 *               legacy-options-refused cri-options-refused event-queue-max=N
 *               ignore-kill-all kill-noop ignore-closeio ignore-resize resize-exec-hits-init no-terminal no-unmount
 *               exit-held-after-failed-start missing-bundle-ok create-event-on-failed-create
 *               exec-started-on-failure exec-while-paused-ok truncate-exec-args
 *               exec-delete-created-255 delete-keeps-created stats-unknown-ok
 *               no-stdin-devnull resize-without-tty-fails signal-as-sigkill drop-hostname
 *               kill-error-unknown kill-exited-ok kill-exec-hits-init delete-running-exec-ok
 *               exec-as-root init-as-root leak-pty leak-pipe-on-failed-create overlay-readonly stats-wrong-cgroup-version
 *               no-lowerdir-compaction mount-target-ignored mount-target-follows-symlink fifo-wronly-sigpipe exec-delete-waits-io
 *               init-exit-first wait-answers-one wait-never-answers update-noop drop-ns-paths
 *               early-exit-lost late-wait-unanswered host-pidns-no-kill-all
 *   events:     drop-<topic> (drop-create, drop-start, drop-exit, drop-delete,
 *               drop-exec-added, drop-exec-started, drop-paused, drop-resumed),
 *               reorder-events (each event waits for the next, which goes first),
 *               event-wrong-pid event-wrong-id, double-exit-event, oom-after-exit (drop-oom drops it),
 *               exit-before-start, no-event-retry (an event that fails once is dropped),
 *               exit-event-on-failed-create exit-on-created-delete
 *   io:         drop-stdout stderr-to-stdout tty-drop-tail tty-eio-ends delete-before-drain file-truncate file-copy-shared-close
 *               ignore-unknown-scheme
 *               stdio-regular-file-ok stdin-eof-on-detach
 *               logger-swap-fds logger-no-env logger-no-args logger-no-wait logger-v2-eof-ok
 *   robustness: crash-on-<Method> hang-on-<Method> crash-on-cancel crash-on-garbage
 *               raw-messages (status messages not made UTF-8)
 *               block-loop-on-create */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containerd/task/shim.pb-c.h"
#include "fault.h"
#include "pb.h"
#include "services.h"
#include "task_client.h"

/* the value of a fault given as name=value, or NULL */
const char *
fault_value (const char *name)
{
  const char *list = getenv ("SHIMCHECK_FAULTS");
  size_t n = strlen (name);
  for (const char *p = list; p && *p;)
    {
      if (strncmp (p, name, n) == 0 && p[n] == '=')
        return p + n + 1;
      p = strchr (p, ',');
      p = p ? p + 1 : NULL;
    }
  return NULL;
}

bool
fault (const char *name)
{
  const char *list = getenv ("SHIMCHECK_FAULTS");
  if (list == NULL || *list == '\0')
    return false;
  size_t n = strlen (name);
  for (const char *p = list; *p;)
    {
      const char *end = strchr (p, ',');
      size_t len = end ? (size_t) (end - p) : strlen (p);
      if (len == n && strncmp (p, name, n) == 0)
        return true;
      if (end == NULL)
        break;
      p = end + 1;
    }
  return false;
}

/* The faults that only alter a reply, applied to the packed reply of a
 * task RPC. */
static void
alter_reply (const char *method, ProtobufCMessage *m)
{
  const char *named = fault_value ("connect-pid");
  if (strcmp (method, "Connect") == 0 && named)
    {
      /* a liar: shim_pid names another process (a number, or "parent": the
       * process we were re-parented to, i.e. the client's own side) */
      Containerd__Task__V2__ConnectResponse *r = (void *) m;
      r->shim_pid = strncmp (named, "parent", 6) == 0 ? (uint32_t) getppid ()
                                                      : (uint32_t) strtoul (named, NULL, 10);
    }
  else if (strcmp (method, "Connect") == 0 && fault ("connect-wrong-pid"))
    {
      Containerd__Task__V2__ConnectResponse *r = (void *) m;
      r->shim_pid++;
      if (r->task_pid)
        r->task_pid++;
    }
  else if (strcmp (method, "State") == 0)
    {
      Containerd__Task__V2__StateResponse *r = (void *) m;
      if (fault ("state-wrong-pid"))
        r->pid++;
      if (fault ("state-wrong-status"))
        r->status = CONTAINERD__V1__TYPES__STATUS__UNKNOWN;
    }
  else if (strcmp (method, "Start") == 0 && fault ("start-wrong-pid"))
    ((Containerd__Task__V2__StartResponse *) m)->pid++;
  else if (strcmp (method, "Stats") == 0 && fault ("stats-garbage"))
    {
      Containerd__Task__V2__StatsResponse *r = (void *) m;
      if (r->stats)
        memset (r->stats->value.data, 0xff, r->stats->value.len);
    }
  else if (strcmp (method, "Stats") == 0 && fault ("stats-zero"))
    {
      /* metrics of the right type that say nothing */
      Containerd__Task__V2__StatsResponse *r = (void *) m;
      if (r->stats)
        r->stats->value.len = 0;
    }
  else if (strcmp (method, "Pids") == 0 && fault ("pids-empty"))
    {
      Containerd__Task__V2__PidsResponse *r = (void *) m;
      for (size_t i = 0; i < r->n_processes; i++)
        protobuf_c_message_free_unpacked (&r->processes[i]->base, NULL);
      r->n_processes = 0;
    }
  else if (strcmp (method, "Pids") == 0 && fault ("pids-no-details"))
    {
      Containerd__Task__V2__PidsResponse *r = (void *) m;
      for (size_t i = 0; i < r->n_processes; i++)
        if (r->processes[i]->info)
          {
            protobuf_c_message_free_unpacked (&r->processes[i]->info->base, NULL);
            r->processes[i]->info = NULL;
          }
    }
}

uint8_t *
fault_reply_filter (const char *service, const char *method, const uint8_t *payload, size_t len,
                    size_t *out_len)
{
  if (strcmp (service, SC_TASK_V2_SERVICE) != 0 && strcmp (service, SC_TASK_V3_SERVICE) != 0)
    return NULL;
  const ProtobufCMethodDescriptor *md = sc_task_method (method);
  if (md == NULL)
    return NULL;
  ProtobufCMessage *m = protobuf_c_message_unpack (md->output, NULL, len, payload);
  if (m == NULL)
    return NULL;
  alter_reply (method, m);
  uint8_t *out = sc_pb_pack (m, out_len);
  protobuf_c_message_free_unpacked (m, NULL);
  return out;
}