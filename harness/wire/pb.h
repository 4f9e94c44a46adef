/* protobuf-c helpers: packing to heap buffers, google.protobuf.Any with
 * containerd's bare type URLs, Go-compatible timestamps, and a registry of
 * the message types that appear inside Any payloads (docs/shim-behaviour.md#options). */
#ifndef SHIMCHECK_PB_H
#define SHIMCHECK_PB_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

/* Go's zero time.Time as proto seconds: what shims send for "not exited". */
#define SC_GO_ZERO_SECONDS INT64_C (-62135596800)

/* __attribute__((cleanup)) for an unpacked message: `cleanup_pb Foo *m = ...`
 * frees it with protobuf_c_message_free_unpacked at scope end (NULL is fine). */
void sc_pb_freep (void *msgp);
#define cleanup_pb __attribute__ ((cleanup (sc_pb_freep)))
/* hands an owned pointer on: the cleanup of its variable then does nothing */
#define sc_steal(p) __extension__ ({ __typeof__ (p) stolen__ = (p); (p) = NULL; stolen__; })

/* Packs any message into a new heap buffer (never NULL, even for 0 bytes). */
uint8_t *sc_pb_pack (const ProtobufCMessage *m, size_t *len);

/* Fills `any` with type_url = the message's full proto name (containerd's
 * typeurl v1 form, no type.googleapis.com/ prefix) and the packed value.
 * Free with sc_any_clear. */
void sc_any_pack (Google__Protobuf__Any *any, const ProtobufCMessage *m);
/* Fills `any` with an explicit type URL and raw bytes (e.g. JSON specs). */
void sc_any_set (Google__Protobuf__Any *any, const char *type_url, const void *value, size_t len);
void sc_any_clear (Google__Protobuf__Any *any);
/* The type URL without a "type.googleapis.com/"-style host prefix. */
const char *sc_any_type_name (const char *type_url);
/* Unpacks `any` as `desc` if its type URL names that message; NULL otherwise. */
ProtobufCMessage *sc_any_unpack (const Google__Protobuf__Any *any,
                                 const ProtobufCMessageDescriptor *desc);

/* One-line text form of a message for transcripts: Name{field:value ...},
 * strings quoted and cut at 80 chars, bytes as their length, nested messages
 * and Any payloads of known types expanded.  Heap string. */
char *sc_pb_describe (const ProtobufCMessage *m);

/* True when a top-level string field of the encoded message (as desc
 * describes it) holds a NUL byte.  protobuf-c hands such a string over as a
 * C string cut at the NUL, so "e1\0x" would pass for "e1". */
bool sc_pb_has_nul_string (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len);

/* Registry of message types carried in Any: events, runc options, details. */
const ProtobufCMessageDescriptor *sc_pb_lookup_type (const char *type_url);

/* Timestamps */
void sc_ts_now (Google__Protobuf__Timestamp *ts);
void sc_ts_set_go_zero (Google__Protobuf__Timestamp *ts);
bool sc_ts_is_go_zero (const Google__Protobuf__Timestamp *ts);
/* NULL or Go zero time count as unset. */
bool sc_ts_is_set (const Google__Protobuf__Timestamp *ts);
int64_t sc_ts_to_ns (const Google__Protobuf__Timestamp *ts);
/* RFC 3339 in UTC into buf, "unset" for NULL/Go-zero. */
const char *sc_ts_format (const Google__Protobuf__Timestamp *ts, char *buf, size_t len);


#endif
