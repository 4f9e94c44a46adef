#include "address.h"

#include <limits.h>
#include "containerd/bootstrap/bootstrap.pb-c.h"
#include "services.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
set_address (sc_shim_address *out, const char *addr, sc_error *err)
{
  if (*addr == '\0')
    return sc_error_make (err, 0, "shim printed an empty address");
  for (const char *p = addr; *p; p++)
    if (*p == '\n' || *p == '\r')
      return sc_error_make (err, 0,
                            "shim printed more than one line (only the address may be "
                            "printed, on stdout and stderr alike): \"%s\"",
                            addr);
  out->address = sc_xstrdup (addr);
  if (strncmp (addr, "unix://", 7) == 0)
    {
      out->name = sc_xstrdup (addr + 7);
      out->abstract = false;
      if (out->name[0] != '/')
        return sc_error_make (err, 0, "unix:// address is not an absolute path: %s", addr);
    }
  else
    {
      out->name = sc_xstrdup (addr);
      out->abstract = true;
    }
  return 0;
}

/* 2.3: containerd first decodes the whole (untrimmed) output as a
 * BootstrapResult; a decode error sends it down the legacy path.  1 when
 * it decoded (out filled or err set), 0 when it did not. */
static int
parse_protobuf (const char *output, size_t len, const sc_profile *p, sc_shim_address *out,
                sc_error *err, int *rc)
{
  Containerd__Runtime__Bootstrap__V1__BootstrapResult *r
    = containerd__runtime__bootstrap__v1__bootstrap_result__unpack (NULL, len,
                                                                    (const uint8_t *) output);
  if (r == NULL)
    return 0;
  out->protobuf = true;
  out->output = sc_xstrdup ("");
  out->version = r->version;
  out->protocol = sc_xstrdup (r->protocol ? r->protocol : "");
  *rc = 0;
  if (r->version > p->max_json_version)
    *rc = sc_error_make (err, 0, "BootstrapResult: unsupported shim version %d (containerd %s "
                         "speaks up to %d)", r->version, p->name, p->max_json_version);
  else if (strcasecmp (out->protocol, "ttrpc") != 0)
    *rc = sc_error_make (err, 0, "BootstrapResult: protocol \"%s\" (%s)", out->protocol,
                         out->protocol[0] ? "shimcheck speaks ttrpc"
                                          : "empty: containerd refuses it as unexpected");
  else if (r->address == NULL || r->address[0] == '\0')
    *rc = sc_error_make (err, 0, "BootstrapResult decoded but carries no address (%zu bytes "
                         "of output)", len);
  else
    {
      out->task_service = r->version >= 3 ? SC_TASK_V3_SERVICE : SC_TASK_V2_SERVICE;
      *rc = set_address (out, r->address, err);
    }
  containerd__runtime__bootstrap__v1__bootstrap_result__free_unpacked (r, NULL);
  return 1;
}

int
sc_shim_address_parse (const char *output, size_t len, const sc_profile *p,
                       sc_shim_address *out, sc_error *err)
{
  memset (out, 0, sizeof (*out));
  if (p == NULL)
    p = sc_profile_default ();
  int prc = 0;
  if (p->protobuf_result && len > 0 && parse_protobuf (output, len, p, out, err, &prc))
    return prc;
  size_t b = 0, e = len;
  while (b < e && isspace ((unsigned char) output[b]))
    b++;
  while (e > b && isspace ((unsigned char) output[e - 1]))
    e--;
  out->output = sc_xstrndup (output + b, e - b);
  if (memchr (out->output, '\0', e - b) != NULL)
    return sc_error_make (err, 0, "shim printed a NUL byte in its address output");
  out->version = 2;
  out->task_service = SC_TASK_V2_SERVICE;

  if (out->output[0] == '{')
    {
      json_error_t jerr;
      json_t *root = json_loads (out->output, 0, &jerr);
      if (root != NULL && json_is_object (root))
        {
          json_t *v = json_object_get (root, "version");
          json_t *a = json_object_get (root, "address");
          json_t *proto = json_object_get (root, "protocol");
          int rc = 0;
          out->json = true;
          if (v != NULL && !json_is_integer (v))
            rc = sc_error_make (err, 0, "bootstrap JSON: \"version\" is not an integer");
          else if (v != NULL)
            out->version = (int) json_integer_value (v);
          if (rc == 0 && out->version < 2)
            {
              /* containerd 1.7: version < 2 means the output is an address */
              json_decref (root);
              out->json = false;
              out->version = 2;
              return set_address (out, out->output, err);
            }
          /* 1.6 does not read JSON at all; it is accepted here as 1.7
           * reads it, and bootstrap.containerd16-address judges it */
          int max = p->max_json_version < 2 ? 3 : p->max_json_version;
          if (rc == 0 && out->version > max)
            rc = sc_error_make (err, 0,
                                "bootstrap JSON: shim version %d, which containerd %s refuses "
                                "(it speaks up to %d)",
                                out->version, p->name, max);
          if (rc == 0 && (a == NULL || !json_is_string (a)))
            rc = sc_error_make (err, 0, "bootstrap JSON: \"address\" missing or not a string");
          if (rc == 0)
            {
              out->protocol = sc_xstrdup (proto && json_is_string (proto) ? json_string_value (proto)
                                                                  : "ttrpc");
              if (strcmp (out->protocol, "ttrpc") != 0)
                rc = sc_error_make (err, 0,
                                    "bootstrap JSON: protocol \"%s\" (shimcheck speaks ttrpc)",
                                    out->protocol);
            }
          if (rc == 0)
            {
              out->task_service = out->version >= 3 ? SC_TASK_V3_SERVICE : SC_TASK_V2_SERVICE;
              rc = set_address (out, json_string_value (a), err);
            }
          json_decref (root);
          return rc;
        }
      json_decref (root);
      /* not JSON: like containerd 1.7, the whole output is the address */
    }
  out->protocol = sc_xstrdup ("ttrpc");
  return set_address (out, out->output, err);
}

void
sc_shim_address_release (sc_shim_address *a)
{
  free (a->output);
  free (a->address);
  free (a->name);
  free (a->protocol);
  memset (a, 0, sizeof (*a));
}

int
sc_unix_connect (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (path == NULL || strlen (path) >= sizeof (sa.sun_path))
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  strcpy (sa.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect (fd, (struct sockaddr *) &sa, sizeof (sa)) == 0)
    return fd;
  int e = errno;
  if (fd >= 0)
    close (fd);
  errno = e;
  return -1;
}

static bool
under (const char *path, const char *dir)
{
  char real[PATH_MAX];
  if (dir == NULL || realpath (dir, real) == NULL)
    return false;
  size_t n = strlen (real);
  while (n > 1 && real[n - 1] == '/')
    real[--n] = '\0';
  return strncmp (path, real, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

bool
sc_shim_socket_allowed (const char *path, const char *own_dir)
{
  if (path == NULL || *path != '/')
    return false;
  /* the directory holding the socket, canonical */
  char *copy = sc_xstrdup (path), real[PATH_MAX];
  char *slash = strrchr (copy, '/');
  if (slash == copy)
    slash[1] = '\0';
  else
    *slash = '\0';
  bool ok = realpath (copy, real) != NULL && (under (real, SC_SHIM_SOCKET_ROOT) || under (real, own_dir));
  free (copy);
  return ok;
}

bool
sc_unlink_dead_socket (const char *path, const char *own_dir)
{
  if (!sc_shim_socket_allowed (path, own_dir))
    return false;
  int fd = sc_unix_connect (path);
  if (fd >= 0)
    {
      close (fd);
      return false;
    }
  return errno == ECONNREFUSED && unlink (path) == 0;
}
