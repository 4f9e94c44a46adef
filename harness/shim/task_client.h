/* Typed task-API calls (containerd.task.v2.Task or v3) over a ttrpc client,
 * with the request/response recorded as a one-line transcript for reports. */
#ifndef SHIMCHECK_TASK_CLIENT_H
#define SHIMCHECK_TASK_CLIENT_H

#include <protobuf-c/protobuf-c.h>

#include "containerd/task/shim.pb-c.h"
#include "ttrpc_client.h"
#include "services.h"

typedef struct sc_task_client
{
  sc_ttrpc_client *rpc;
  const char *service;        /* SC_TASK_V2_SERVICE or SC_TASK_V3_SERVICE */
  int64_t timeout_ms;         /* per call; 0 = none */
  bool wire_deadlines;        /* send every call's deadline as timeout_nano; false: as
                                 containerd, only Shutdown's goes on the wire, the
                                 others are enforced here */
  void (*trace) (const char *line, void *data); /* optional transcript sink */
  void *trace_data;
} sc_task_client;

/* The method's descriptor in the task service, NULL if it has none. */
const ProtobufCMethodDescriptor *sc_task_method (const char *method);

/* Calls method with req; on OK decodes the reply into *resp (if resp is
 * non-NULL; free with protobuf_c_message_free_unpacked).  A reply that does
 * not decode becomes a local Internal error.  Returns res->code. */
int sc_task_call (sc_task_client *tc, const char *method, const ProtobufCMessage *req,
                  ProtobufCMessage **resp, sc_rpc_result *res);
/* Same, with an explicit timeout for this call (0 = none, -1 = the client's). */
int sc_task_call_timeout (sc_task_client *tc, const char *method, const ProtobufCMessage *req,
                          int64_t timeout_ms, ProtobufCMessage **resp, sc_rpc_result *res);

#endif
