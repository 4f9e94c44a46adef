/* containerd-shim-ref-v1: publishing events to containerd's TTRPC_ADDRESS
 * (Events/Forward): a bounded FIFO queue drained one request at a time (so
 * order is kept), reconnecting with backoff on failure.  Publishing only
 * enqueues: it never blocks or fails the task service. */
#ifndef REFSHIM_EVENTS_H
#define REFSHIM_EVENTS_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

typedef struct publisher publisher;

/* events for namespace ns; with no address they are dropped (logged once) */
publisher *publisher_new (sc_loop *loop, const char *ttrpc_address, const char *ns);
void publisher_publish (publisher *P, const char *topic, const ProtobufCMessage *event);
/* runs the loop until the queue is empty or timeout */
void publisher_flush (publisher *P, int64_t timeout_ms);
size_t publisher_pending (const publisher *P);

#endif
