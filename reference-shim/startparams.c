/* containerd-shim-ref-v1: the two start protocols (startparams.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerd/bootstrap/bootstrap.pb-c.h"
#include "error.h"
#include "fault.h"
#include "ids.h"
#include "log.h"
#include "pb.h"
#include "startparams.h"

/* 64 hex characters of the socket's name, "/", and the NUL must fit in
 * sun_path (108) */
#define SOCKET_DIR_MAX (108 - 1 - 64 - 1)

static bool
is_bootstrap (const Containerd__Runtime__Bootstrap__V1__BootstrapParams *b)
{
  /* fields 3..9: an options Any only ever has 1 and 2 */
  return b->containerd_version[0] || b->containerd_ttrpc_address[0] || b->containerd_grpc_address[0]
         || b->containerd_binary[0] || b->n_extensions > 0 || b->log_level != 0
         || b->has_socket_dir_case
              == CONTAINERD__RUNTIME__BOOTSTRAP__V1__BOOTSTRAP_PARAMS__HAS_SOCKET_DIR_SOCKET_DIR;
}

static bool
clean_absolute (const char *dir)
{
  if (dir[0] != '/' || strlen (dir) > SOCKET_DIR_MAX)
    return false;
  for (const char *p = dir; *p; p++)
    {
      if ((unsigned char) *p < 0x20)
        return false;
      if (p[0] == '/' && p[1] == '.' && (p[2] == '/' || p[2] == '\0' || (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
        return false;
    }
  return true;
}

static char *
dup_nonempty (const char *s)
{
  return s && *s ? sc_xstrdup (s) : NULL;
}

/* the flag's value and the param's must agree when both are given */
static int
agree (const char *what, const char *flag, const char *param, char **out, char **errmsg)
{
  if (flag && *flag && param && *param && strcmp (flag, param) != 0)
    {
      *errmsg = sc_xasprintf ("BootstrapParams.%s \"%s\" contradicts the command line's \"%s\"",
                              what, param, flag);
      return -1;
    }
  *out = dup_nonempty (param && *param ? param : flag);
  return 0;
}

static void
pick_options (const Containerd__Runtime__Bootstrap__V1__BootstrapParams *b, start_params *p)
{
  for (size_t i = 0; i < b->n_extensions; i++)
    {
      const Google__Protobuf__Any *v = b->extensions[i] ? b->extensions[i]->value : NULL;
      if (v == NULL || v->type_url == NULL || v->type_url[0] == '\0')
        continue;
      if (p->options == NULL)
        {
          /* only what an Any means: fields it does not know are not passed on */
          Google__Protobuf__Any clean = GOOGLE__PROTOBUF__ANY__INIT;
          clean.type_url = v->type_url;
          clean.value = v->value;
          p->options = sc_pb_pack (&clean.base, &p->options_len);
        }
      else
        shim_log ("info", "bootstrap: extension %s ignored (one runtime options extension is used)",
                  v->type_url);
    }
}

int
start_params_read (const shim_flags *f, const uint8_t *in, size_t len, start_params *p,
                   char **errmsg)
{
  memset (p, 0, sizeof (*p));
  Containerd__Runtime__Bootstrap__V1__BootstrapParams *b
    = len ? containerd__runtime__bootstrap__v1__bootstrap_params__unpack (NULL, len, in) : NULL;
  int rc = 0;
  if (b && is_bootstrap (b))
    {
      p->bootstrap = true;
      if (agree ("instance_id", f->id, b->instance_id, &p->id, errmsg) < 0
          || agree ("namespace", f->ns, b->namespace_, &p->ns, errmsg) < 0)
        rc = -1;
      else
        {
          p->grpc_address = sc_xstrdup (b->containerd_grpc_address[0] ? b->containerd_grpc_address
                                                                      : f->address ? f->address : "");
          p->ttrpc_address = dup_nonempty (b->containerd_ttrpc_address);
          /* LOG_LEVEL_DEBUG is -4, TRACE -8: more verbose is negative */
          p->debug = f->debug || b->log_level <= CONTAINERD__RUNTIME__BOOTSTRAP__V1__LOG_LEVEL__LOG_LEVEL_DEBUG;
          if (b->has_socket_dir_case
              == CONTAINERD__RUNTIME__BOOTSTRAP__V1__BOOTSTRAP_PARAMS__HAS_SOCKET_DIR_SOCKET_DIR
              && b->socket_dir[0] && !fault ("ignore-socket-dir"))
            {
              if (!clean_absolute (b->socket_dir))
                {
                  *errmsg = sc_xasprintf ("BootstrapParams.socket_dir \"%s\": not an absolute, "
                                          "clean path of at most %d characters",
                                          b->socket_dir, SOCKET_DIR_MAX);
                  rc = -1;
                }
              else
                p->socket_dir = sc_xstrdup (b->socket_dir);
            }
          pick_options (b, p);
        }
    }
  else
    {
      /* legacy: the flags, and stdin is the options Any (or nothing) */
      p->id = dup_nonempty (f->id);
      p->ns = dup_nonempty (f->ns);
      p->grpc_address = sc_xstrdup (f->address ? f->address : "");
      p->debug = f->debug;
      if (len)
        {
          p->options = sc_xmalloc (len);
          memcpy (p->options, in, len);
          p->options_len = len;
        }
    }
  if (b)
    containerd__runtime__bootstrap__v1__bootstrap_params__free_unpacked (b, NULL);
  if (rc == 0 && (p->ns == NULL || *p->ns == '\0'))
    {
      if (fault ("namespace-optional"))
        {
          free (p->ns);
          p->ns = sc_xstrdup ("");
        }
      else
        {
          *errmsg = sc_xstrdup ("shim namespace cannot be empty");
          rc = -1;
        }
    }
  if (rc == 0 && (p->id == NULL || !valid_id (p->id, errmsg)))
    {
      if (p->id == NULL)
        *errmsg = sc_xstrdup ("no task id (-id or BootstrapParams.instance_id)");
      else
        {
          char *why = *errmsg;
          *errmsg = sc_xasprintf ("invalid id: %s", why);
          free (why);
        }
      rc = -1;
    }
  if (rc == 0 && p->socket_dir == NULL)
    p->socket_dir = sc_xstrdup (REFSHIM_SOCKET_DIR);
  return rc;
}

void
start_params_release (start_params *p)
{
  free (p->id);
  free (p->ns);
  free (p->grpc_address);
  free (p->ttrpc_address);
  free (p->socket_dir);
  free (p->options);
  memset (p, 0, sizeof (*p));
}

uint8_t *
start_params_result (const char *address, size_t *len)
{
  Containerd__Runtime__Bootstrap__V1__BootstrapResult r
    = CONTAINERD__RUNTIME__BOOTSTRAP__V1__BOOTSTRAP_RESULT__INIT;
  r.version = 3;
  r.address = (char *) address;
  r.protocol = (char *) "ttrpc";
  return sc_pb_pack (&r.base, len);
}
