#include "task_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb.h"

const ProtobufCMethodDescriptor *
sc_task_method (const char *method)
{
  return protobuf_c_service_descriptor_get_method_by_name (&containerd__task__v2__task__descriptor,
                                                           method);
}

int
sc_task_call_timeout (sc_task_client *tc, const char *method, const ProtobufCMessage *req,
                      int64_t timeout_ms, ProtobufCMessage **resp, sc_rpc_result *res)
{
  if (resp)
    *resp = NULL;
  const ProtobufCMethodDescriptor *md = sc_task_method (method);
  size_t len = 0;
  uint8_t *payload = req ? sc_pb_pack (req, &len) : sc_xmalloc (1);
  sc_call_opts opts = { .timeout_ms = timeout_ms < 0 ? tc->timeout_ms : timeout_ms,
                        .local_deadline = !tc->wire_deadlines && strcmp (method, "Shutdown") != 0 };
  sc_ttrpc_call_sync (tc->rpc, tc->service, method, payload, len, &opts, res);
  free (payload);
  if (res->code == 0 && resp && md)
    {
      *resp = protobuf_c_message_unpack (md->output, NULL, res->payload_len, res->payload);
      if (*resp == NULL)
        sc_rpc_result_set (res, SC_INTERNAL, true, "%s reply (%zu bytes) is not a valid %s",
                           method, res->payload_len, md->output->name);
    }
  if (tc->trace)
    {
      char *d = sc_rpc_result_describe (res);
      char *line = sc_xasprintf ("%s %s (%zu bytes) -> %s in %.1f ms", tc->service, method, len,
                                 d, res->elapsed_ns / 1e6);
      tc->trace (line, tc->trace_data);
      free (line);
      free (d);
    }
  return res->code;
}

int
sc_task_call (sc_task_client *tc, const char *method, const ProtobufCMessage *req,
              ProtobufCMessage **resp, sc_rpc_result *res)
{
  return sc_task_call_timeout (tc, method, req, -1, resp, res);
}
