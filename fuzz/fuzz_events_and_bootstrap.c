/* Fuzz target: what a shim sends back outside the task replies.  The first
 * byte picks the parser: start's output (plain / abstract / JSON bootstrap),
 * an Events/Forward request (envelope + Any payload by type URL), the
 * `delete` binary's raw DeleteResponse, or a ttrpc Response body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "check.h"
#include "containerd/events/service.pb-c.h"
#include "containerd/task/shim.pb-c.h"
#include "pb.h"
#include "status.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  uint8_t mode = data[0] % 4;
  data++;
  size--;
  switch (mode)
    {
    case 0:
      {
        sc_shim_address a;
        sc_error err = SC_ERROR_INIT;
        int rc = sc_shim_address_parse ((const char *) data, size, &a, &err);
        /* an accepted address is complete; a rejection says why */
        CHECK (rc < 0 || (a.name != NULL && a.address != NULL && a.task_service != NULL));
        CHECK (rc == 0 || (err.msg != NULL && *err.msg != '\0'));
        sc_error_release (&err);
        sc_shim_address_release (&a);
        break;
      }
    case 1:
      {
        Containerd__Services__Events__Ttrpc__V1__ForwardRequest *fr
          = containerd__services__events__ttrpc__v1__forward_request__unpack (NULL, size, data);
        if (fr)
          {
            char *d = sc_pb_describe (&fr->base);
            free (d);
            if (fr->envelope && fr->envelope->event)
              {
                const ProtobufCMessageDescriptor *t = sc_pb_lookup_type (fr->envelope->event->type_url);
                ProtobufCMessage *m = t ? sc_any_unpack (fr->envelope->event, t) : NULL;
                if (m)
                  protobuf_c_message_free_unpacked (m, NULL);
              }
            protobuf_c_message_free_unpacked (&fr->base, NULL);
          }
        break;
      }
    case 2:
      {
        Containerd__Task__V2__DeleteResponse *d
          = containerd__task__v2__delete_response__unpack (NULL, size, data);
        if (d)
          {
            char ts[64];
            sc_ts_format (d->exited_at, ts, sizeof (ts));
            char *s = sc_pb_describe (&d->base);
            free (s);
            containerd__task__v2__delete_response__free_unpacked (d, NULL);
          }
        break;
      }
    default:
      {
        sc_rpc_result r = { 0 };
        sc_rpc_result_from_response (&r, data, size);
        char *s = sc_rpc_result_describe (&r);
        free (s);
        sc_rpc_result_release (&r);
      }
    }
  return 0;
}
