/* Fuzz target: the envelopes and side channels around the task payloads.
 * The first byte picks the parser: start's output (plain / abstract / JSON
 * bootstrap / 2.3's protobuf BootstrapResult, read as every containerd
 * profile reads it), `-info`'s RuntimeInfo, an Events/Forward request (envelope + Any payload by type URL),
 * the `delete` binary's raw DeleteResponse, a ttrpc Response body (our status
 * decoder must say what an independent decode says), or a ttrpc Request body
 * (a decoded envelope re-encodes to one with the same service and method). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "check.h"
#include "containerd/events/service.pb-c.h"
#include "containerd/task/shim.pb-c.h"
#include "containerd/types/introspection.pb-c.h"
#include "pb.h"
#include "status.h"
#include "ttrpc/ttrpc.pb-c.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* unknown fields of m and of every message inside it */
static void
drop_unknown_fields (ProtobufCMessage *m)
{
  for (unsigned u = 0; u < m->n_unknown_fields; u++)
    free (m->unknown_fields[u].data);
  free (m->unknown_fields);
  m->unknown_fields = NULL;
  m->n_unknown_fields = 0;
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++)
    {
      const ProtobufCFieldDescriptor *f = &d->fields[i];
      if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        continue;
      char *member = (char *) m + f->offset;
      if (f->label == PROTOBUF_C_LABEL_REPEATED)
        {
          size_t n = *(size_t *) ((char *) m + f->quantifier_offset);
          ProtobufCMessage **items = *(ProtobufCMessage ***) member;
          for (size_t k = 0; k < n; k++)
            drop_unknown_fields (items[k]);
        }
      else if (*(ProtobufCMessage **) member)
        drop_unknown_fields (*(ProtobufCMessage **) member);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  uint8_t mode = data[0] % 6;
  data++;
  size--;
  switch (mode)
    {
    case 0:
      {
        /* every containerd's reading of the same output */
        for (int i = 0; i < sc_profiles_len; i++)
          {
            sc_shim_address a;
            sc_error err = SC_ERROR_INIT;
            int rc = sc_shim_address_parse ((const char *) data, size, &sc_profiles[i], &a, &err);
            /* an accepted address is complete; a rejection says why */
            CHECK (rc < 0 || (a.name != NULL && a.address != NULL && a.task_service != NULL));
            CHECK (rc == 0 || (err.msg != NULL && *err.msg != '\0'));
            sc_error_release (&err);
            sc_shim_address_release (&a);
          }
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
    case 3:
      {
        /* the result says what the envelope says, or that it is not one */
        sc_rpc_result r = { 0 };
        sc_rpc_result_from_response (&r, data, size);
        char *s = sc_rpc_result_describe (&r);
        free (s);
        Ttrpc__Response *resp = ttrpc__response__unpack (NULL, size, data);
        CHECK (r.message != NULL);
        if (resp == NULL)
          CHECK (r.local && r.code == SC_INTERNAL);
        else
          {
            int code = resp->status ? resp->status->code : SC_OK;
            CHECK (!r.local && r.code == code);
            CHECK (code != SC_OK || r.payload_len == resp->payload.len);
            ttrpc__response__free_unpacked (resp, NULL);
          }
        sc_rpc_result_release (&r);
        break;
      }
    case 5:
      {
        /* what `<shim> -info` printed, as bootstrap.info-flag reads it: a
         * decoded RuntimeInfo re-encodes to one that decodes to the same
         * name, version and option/feature types */
        Containerd__Types__RuntimeInfo *info = containerd__types__runtime_info__unpack (NULL, size, data);
        if (info == NULL)
          break;
        drop_unknown_fields (&info->base);
        char *d = sc_pb_describe (&info->base);
        free (d);
        size_t n = 0;
        uint8_t *again = sc_pb_pack (&info->base, &n);
        Containerd__Types__RuntimeInfo *back = containerd__types__runtime_info__unpack (NULL, n, again);
        CHECK (back != NULL);
        CHECK (strcmp (back->name, info->name) == 0);
        CHECK ((back->version == NULL) == (info->version == NULL));
        CHECK (back->version == NULL || strcmp (back->version->version, info->version->version) == 0);
        CHECK ((back->options == NULL) == (info->options == NULL));
        CHECK (back->options == NULL || strcmp (back->options->type_url, info->options->type_url) == 0);
        CHECK ((back->features == NULL) == (info->features == NULL));
        CHECK (back->n_annotations == info->n_annotations);
        containerd__types__runtime_info__free_unpacked (back, NULL);
        containerd__types__runtime_info__free_unpacked (info, NULL);
        free (again);
        break;
      }
    default:
      {
        Ttrpc__Request *req = ttrpc__request__unpack (NULL, size, data);
        if (req == NULL)
          break;
        /* a decoded envelope re-encodes to a decodable one.  Unknown fields
         * are dropped first: protobuf-c 1.4.1 accepts an overlong tag for
         * field number 0 (80 00) as an unknown field and re-emits it
         * canonically (00), which it then rejects (found by AFL++ CMPLOG;
         * regressions/protobuf-c-overlong-field-zero).  We never re-emit
         * unknown fields. */
        drop_unknown_fields (&req->base);
        size_t again_len;
        uint8_t *again = sc_pb_pack (&req->base, &again_len);
        Ttrpc__Request *r2 = ttrpc__request__unpack (NULL, again_len, again);
        CHECK (r2 != NULL && strcmp (r2->method, req->method) == 0
               && strcmp (r2->service, req->service) == 0);
        ttrpc__request__free_unpacked (r2, NULL);
        free (again);
        ttrpc__request__free_unpacked (req, NULL);
      }
    }
  return 0;
}
