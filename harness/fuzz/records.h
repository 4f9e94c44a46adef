/* Request records: the input format of the task_dispatch target, the
 * black-box fuzzer's reproducers and their corpora.
 *   record := op:u8 len:u16be payload[len]
 *   op & 0x1f: method index into sc_fuzz_methods (17 = a process exits on
 *              its own, payload[0] picks it, payload[1] is its exit code;
 *              18 = settle; 19 = raw bytes on a fresh connection (black-box
 *              fuzzer only); larger values wrap onto the methods)
 *   op & 0x20: pipelined (the next request goes out before this reply)
 *   op & 0x40: containerd.task.v3.Task instead of v2
 * A truncated last record is cut to what is there. */
#ifndef SHIMCHECK_FUZZ_RECORDS_H
#define SHIMCHECK_FUZZ_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SC_FUZZ_NMETHODS 17
#define SC_FUZZ_OP_EXIT 17
#define SC_FUZZ_OP_SETTLE 18
#define SC_FUZZ_OP_RAW 19 /* black-box only: the payload as raw bytes on a fresh connection */
#define SC_FUZZ_PIPELINED 0x20
#define SC_FUZZ_V3 0x40

static const char *const sc_fuzz_methods[SC_FUZZ_NMETHODS]
  __attribute__ ((unused)) = { "Create", "Start",  "Delete",  "Exec",      "Kill",   "Wait",
                               "State",  "Pids",   "Pause",   "Resume",    "CloseIO", "ResizePty",
                               "Update", "Stats",  "Connect", "Shutdown", "Checkpoint" };

typedef struct sc_fuzz_record
{
  uint8_t op;
  const uint8_t *payload;
  size_t len;
} sc_fuzz_record;

/* -1: a pseudo-op (exit, settle); otherwise the method index */
static inline int
sc_fuzz_record_method (const sc_fuzz_record *r)
{
  int m = r->op & 0x1f;
  if (m == SC_FUZZ_OP_EXIT || m == SC_FUZZ_OP_SETTLE || m == SC_FUZZ_OP_RAW)
    return -1;
  return m % SC_FUZZ_NMETHODS;
}

/* Reads the record at *off; false at the end of the input. */
static inline bool
sc_fuzz_record_next (const uint8_t *data, size_t size, size_t *off, sc_fuzz_record *r)
{
  if (*off >= size)
    return false;
  r->op = data[*off];
  size_t len = 0;
  if (*off + 3 <= size)
    len = (size_t) data[*off + 1] << 8 | data[*off + 2];
  size_t start = *off + 3 <= size ? *off + 3 : size;
  if (len > size - start)
    len = size - start;
  r->payload = data + start;
  r->len = len;
  *off = start + len;
  return true;
}

/* Appends a record; returns the new size, or 0 if it does not fit. */
static inline size_t
sc_fuzz_record_put (uint8_t *out, size_t size, size_t max, uint8_t op, const uint8_t *payload,
                    size_t len)
{
  if (len > 0xffff || size + 3 + len > max)
    return 0;
  out[size] = op;
  out[size + 1] = (uint8_t) (len >> 8);
  out[size + 2] = (uint8_t) len;
  if (len)
    memmove (out + size + 3, payload, len);
  return size + 3 + len;
}

#endif
