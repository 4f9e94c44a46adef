/* gRPC status codes as ttrpc carries them (docs/shim-behaviour.md#ttrpc-errors), and
 * the mapping of call outcomes to them. */
#ifndef SHIMCHECK_STATUS_H
#define SHIMCHECK_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sc_code
{
  SC_OK = 0,
  SC_CANCELED = 1,
  SC_UNKNOWN = 2,
  SC_INVALID_ARGUMENT = 3,
  SC_DEADLINE_EXCEEDED = 4,
  SC_NOT_FOUND = 5,
  SC_ALREADY_EXISTS = 6,
  SC_PERMISSION_DENIED = 7,
  SC_RESOURCE_EXHAUSTED = 8,
  SC_FAILED_PRECONDITION = 9,
  SC_ABORTED = 10,
  SC_OUT_OF_RANGE = 11,
  SC_UNIMPLEMENTED = 12,
  SC_INTERNAL = 13,
  SC_UNAVAILABLE = 14,
  SC_DATA_LOSS = 15,
  SC_UNAUTHENTICATED = 16,
} sc_code;

/* "NotFound", "InvalidArgument", ... ; "Code(N)" style for out-of-range codes
 * is written into a static buffer, so keep the result short-lived. */
const char *sc_code_name (int code);
/* Parses a name ("NotFound", "not_found", "NOT_FOUND" or a number); -1 if unknown. */
int sc_code_from_name (const char *name);
/* errno of a failed operation -> code, following ttrpc's convertCode for os errors. */
sc_code sc_code_from_errno (int errnum);

/* The outcome of one RPC as a runner reports it.  `local` is true when the
 * status was produced on our side (deadline, disconnect, encode failure)
 * rather than received from the peer. */
typedef struct sc_rpc_result
{
  int code;
  char *message;
  bool local;
  uint8_t *payload;
  size_t payload_len;
  int64_t elapsed_ns;
} sc_rpc_result;

void sc_rpc_result_release (sc_rpc_result *r);
void sc_rpc_result_set (sc_rpc_result *r, int code, bool local, const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));
/* Decodes a ttrpc Response body: absent status or code 0 is success and the
 * payload is kept; otherwise code and message are kept and the payload dropped.
 * A body that is not a Response gives a local Internal error. */
void sc_rpc_result_from_response (sc_rpc_result *r, const uint8_t *body, size_t len);
/* "NotFound: container not created: not found" (static buffer not used: heap). */
char *sc_rpc_result_describe (const sc_rpc_result *r);

/* proto3 strings must be UTF-8 (Go's protobuf refuses to marshal or
 * unmarshal anything else): true if s is valid UTF-8 */
bool sc_utf8_valid (const char *s);
/* a copy of s with every byte that is not part of valid UTF-8 replaced by
 * '?' (messages echo request fields, which may be anything) */
char *sc_utf8_sanitize (const char *s);

#endif
