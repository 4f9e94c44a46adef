/* containerd-shim-ref-v1: runtime options of every type containerd sends
 * (options.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerd/runc/options.pb-c.h"
#include "containerd/runc/runctypes.pb-c.h"
#include "fault.h"
#include "ids.h"
#include "log.h"
#include "options.h"
#include "pb.h"

static char *
dup_or_null (const char *s)
{
  return s && *s ? sc_xstrdup (s) : NULL;
}

static void
from_runc_v1 (const Containerd__Runc__V1__Options *r, shim_options *o)
{
  o->binary_name = dup_or_null (r->binary_name);
  o->root = dup_or_null (r->root);
  o->systemd_cgroup = r->systemd_cgroup;
  o->no_pivot_root = r->no_pivot_root;
  o->no_new_keyring = r->no_new_keyring;
  o->shim_cgroup = dup_or_null (r->shim_cgroup);
  o->io_uid = r->io_uid;
  o->io_gid = r->io_gid;
  if (r->criu_path[0] || r->criu_image_path[0] || r->criu_work_path[0])
    shim_log ("info", "runtime options: the CRIU paths are ignored (no checkpoint support)");
}

static void
from_create_options (const Containerd__Linux__Runc__CreateOptions *c, shim_options *o)
{
  o->no_pivot_root = c->no_pivot_root;
  o->no_new_keyring = c->no_new_keyring;
  o->shim_cgroup = dup_or_null (c->shim_cgroup);
  o->io_uid = c->io_uid;
  o->io_gid = c->io_gid;
  /* the rest describes checkpoint/restore, which this shim does not do */
  if (c->open_tcp || c->external_unix_sockets || c->terminal || c->file_locks
      || c->n_empty_namespaces || c->cgroups_mode[0] || c->criu_work_path[0] || c->criu_image_path[0])
    shim_log ("info", "containerd.linux.runc.CreateOptions: the checkpoint/restore fields are "
                      "ignored (no checkpoint support)");
}

/* fields of a newer containerd (or another client) that this shim does not
 * know: ignored, and said once */
static void
log_unknown_fields (const ProtobufCMessage *m)
{
  if (m->n_unknown_fields == 0)
    return;
  char nums[128] = "";
  size_t len = 0;
  for (unsigned i = 0; i < m->n_unknown_fields && len + 16 < sizeof (nums); i++)
    len += (size_t) snprintf (nums + len, sizeof (nums) - len, "%s%u", i ? ", " : "", m->unknown_fields[i].tag);
  shim_log ("info", "%s: field(s) %s unknown to this shim are ignored", m->descriptor->name, nums);
}

int
shim_options_from_any (const Google__Protobuf__Any *any, shim_options *o, sc_error *err)
{
  memset (o, 0, sizeof (*o));
  if (any == NULL || any->type_url == NULL || any->type_url[0] == '\0')
    return 0;
  const char *type = sc_any_type_name (any->type_url);
  if (strcmp (type, REFSHIM_CRI_OPTIONS) == 0 && !fault ("cri-options-refused"))
    return 0; /* its ConfigPath/ConfigBody mean nothing to this shim */
  ProtobufCMessage *m = NULL;
  if ((m = sc_any_unpack (any, &containerd__runc__v1__options__descriptor)) != NULL)
    from_runc_v1 ((void *) m, o);
  else if (!fault ("legacy-options-refused")
           && (m = sc_any_unpack (any, &containerd__linux__runc__create_options__descriptor)) != NULL)
    from_create_options ((void *) m, o);
  else
    return sc_error_make (err, 0, "unsupported runtime options type %s", any->type_url);
  log_unknown_fields (m);
  protobuf_c_message_free_unpacked (m, NULL);
  return 0;
}

int
shim_options_from_bytes (const uint8_t *data, size_t len, shim_options *o, sc_error *err)
{
  memset (o, 0, sizeof (*o));
  if (len == 0)
    return 0;
  Google__Protobuf__Any *any = google__protobuf__any__unpack (NULL, len, data);
  if (any == NULL)
    return sc_error_make (err, 0, "stdin is not a google.protobuf.Any (%zu bytes)", len);
  int rc = shim_options_from_any (any, o, err);
  google__protobuf__any__free_unpacked (any, NULL);
  return rc;
}

void
shim_options_release (shim_options *o)
{
  free (o->binary_name);
  free (o->root);
  free (o->shim_cgroup);
  memset (o, 0, sizeof (*o));
}
