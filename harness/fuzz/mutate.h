/* Structure-aware mutation of protobuf messages (by protobuf-c reflection)
 * and of raw bytes, with a seeded generator so every run is replayable.
 * Shared by the task_dispatch fuzz target's custom mutator and the
 * black-box fuzzer (`shimcheck fuzz`). */
#ifndef SHIMCHECK_MUTATE_H
#define SHIMCHECK_MUTATE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sc_rng
{
  uint64_t s;
} sc_rng;

void sc_rng_seed (sc_rng *r, uint64_t seed);
uint64_t sc_rng_next (sc_rng *r);
/* uniform in [0, n); 0 when n == 0 */
uint32_t sc_rng_below (sc_rng *r, uint32_t n);

/* Values to draw string fields from, by field name ("id", "exec_id",
 * "bundle", "stdin", ...); NULL-terminated lists.  Fields without a pool get
 * generic strings (empty, long, path-like, invalid UTF-8). */
typedef struct sc_mut_pool
{
  const char *field;
  const char *const *values;
} sc_mut_pool;

/* Decodes `len` bytes as `desc`, changes 1-3 fields (strings from the pools,
 * integers to boundary values, booleans flipped, sub-messages dropped or
 * mutated, repeated fields emptied), re-encodes.  Returns a malloc'd buffer
 * or NULL if the bytes do not decode. */
uint8_t *sc_mut_message (sc_rng *r, const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                         size_t len, const sc_mut_pool *pools, size_t *out_len);

/* Sets a string field by name in packed bytes (decode, set, re-encode);
 * NULL if the bytes do not decode or the field is not a string. */
uint8_t *sc_mut_set_string (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                            const char *field, const char *value, size_t *out_len);
/* The value of a string field in packed bytes (malloc'd), NULL if none. */
char *sc_mut_get_string (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                         const char *field);

/* Byte-level mutation in place (flip, set interesting byte, insert, erase,
 * duplicate a span); returns the new length (<= max). */
size_t sc_mut_bytes (sc_rng *r, uint8_t *buf, size_t len, size_t max);

#endif
