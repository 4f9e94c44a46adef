/* Stats: the runtime's `events --stats` JSON (runc's types.Stats) translated
 * into io.containerd.cgroups.v1.Metrics on a cgroup v1 or hybrid host, and
 * into io.containerd.cgroups.v2.Metrics on a unified (v2) host: the messages
 * containerd and `ctr task metrics` decode.  runc fills its types.Stats from
 * cgroup v2 files in v1's shape (nanoseconds, memory+swap combined, "no
 * limit" as 0 for pids); the v2 message wants the files' own values. */
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "containerd/cgroups/metrics.pb-c.h"
#include "containerd/cgroups/v2/metrics.pb-c.h"
#include "pb.h"
#include "stats.h"

static uint64_t
num (json_t *v)
{
  if (json_is_integer (v) && json_integer_value (v) >= 0)
    return (uint64_t) json_integer_value (v);
  /* a value past INT64_MAX was read as a double (see parse): "max" is
   * 2^64-1, which rounds to 2^64 there */
  if (json_is_real (v) && json_real_value (v) >= 0)
    return json_real_value (v) >= 18446744073709551615.0 ? UINT64_MAX
                                                         : (uint64_t) json_real_value (v);
  return 0;
}

static uint64_t
u64 (json_t *o, const char *key)
{
  return num (json_object_get (o, key));
}

/* jansson keeps integers as int64: a cgroup v2 "max" (2^64-1 in runc's
 * JSON) fails a plain parse, so such a document is read again with every
 * number as a double (exact below 2^53, 1 part in 2^53 above) */
static json_t *
parse (const char *text, size_t len, sc_error *err)
{
  json_error_t jerr;
  json_t *root = json_loadb (text, len, JSON_DISABLE_EOF_CHECK, &jerr);
  if (root == NULL && strstr (jerr.text, "too big") != NULL)
    root = json_loadb (text, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_INT_AS_REAL, &jerr);
  if (root == NULL)
    {
      sc_error_make (err, 0, "runtime stats are not JSON: %s", jerr.text);
      return NULL;
    }
  json_t *d = json_object_get (root, "data");
  if (!json_is_object (d))
    {
      json_decref (root);
      sc_error_make (err, 0, "runtime stats have no \"data\" object");
      return NULL;
    }
  return root;
}

static void
mem_entry (Io__Containerd__Cgroups__V1__MemoryEntry *e, json_t *o)
{
  io__containerd__cgroups__v1__memory_entry__init (e);
  e->limit = u64 (o, "limit");
  e->usage = u64 (o, "usage");
  e->max = u64 (o, "max");
  e->failcnt = u64 (o, "failcnt");
}

static int v2_from_runtime_json (json_t *d, const uint64_t *memory_events, uint8_t **out,
                                 size_t *out_len);

int
stats_from_runtime_json (const char *text, size_t len, bool unified, const uint64_t *memory_events,
                         uint8_t **out, size_t *out_len, const char **type, sc_error *err)
{
  json_t *root = parse (text, len, err);
  if (root == NULL)
    return -1;
  json_t *d = json_object_get (root, "data");
  if (unified)
    {
      *type = "io.containerd.cgroups.v2.Metrics";
      v2_from_runtime_json (d, memory_events, out, out_len);
      json_decref (root);
      return 0;
    }
  *type = "io.containerd.cgroups.v1.Metrics";
  Io__Containerd__Cgroups__V1__Metrics m = IO__CONTAINERD__CGROUPS__V1__METRICS__INIT;

  Io__Containerd__Cgroups__V1__PidsStat pids = IO__CONTAINERD__CGROUPS__V1__PIDS_STAT__INIT;
  json_t *jp = json_object_get (d, "pids");
  pids.current = u64 (jp, "current");
  pids.limit = u64 (jp, "limit");
  m.pids = &pids;

  Io__Containerd__Cgroups__V1__CPUStat cpu = IO__CONTAINERD__CGROUPS__V1__CPUSTAT__INIT;
  Io__Containerd__Cgroups__V1__CPUUsage usage = IO__CONTAINERD__CGROUPS__V1__CPUUSAGE__INIT;
  Io__Containerd__Cgroups__V1__Throttle thr = IO__CONTAINERD__CGROUPS__V1__THROTTLE__INIT;
  json_t *jc = json_object_get (d, "cpu");
  json_t *ju = json_object_get (jc, "usage");
  usage.total = u64 (ju, "total");
  usage.kernel = u64 (ju, "kernel");
  usage.user = u64 (ju, "user");
  json_t *per = json_object_get (ju, "percpu");
  size_t nper = json_is_array (per) ? json_array_size (per) : 0;
  uint64_t *percpu = sc_xcalloc (nper, sizeof (uint64_t));
  for (size_t i = 0; i < nper; i++)
    {
      json_t *v = json_array_get (per, i);
      percpu[i] = json_is_integer (v) ? (uint64_t) json_integer_value (v) : 0;
    }
  usage.n_per_cpu = nper;
  usage.per_cpu = percpu;
  json_t *jt = json_object_get (jc, "throttling");
  thr.periods = u64 (jt, "periods");
  thr.throttled_periods = u64 (jt, "throttledPeriods");
  thr.throttled_time = u64 (jt, "throttledTime");
  cpu.usage = &usage;
  cpu.throttling = &thr;
  m.cpu = &cpu;

  Io__Containerd__Cgroups__V1__MemoryStat mem = IO__CONTAINERD__CGROUPS__V1__MEMORY_STAT__INIT;
  Io__Containerd__Cgroups__V1__MemoryEntry mu, ms, mk, mt;
  json_t *jm = json_object_get (d, "memory");
  json_t *raw = json_object_get (jm, "raw");
  mem.cache = u64 (jm, "cache");
  mem.rss = u64 (raw, "rss");
  mem.rss_huge = u64 (raw, "rss_huge");
  mem.mapped_file = u64 (raw, "mapped_file");
  mem.dirty = u64 (raw, "dirty");
  mem.writeback = u64 (raw, "writeback");
  mem.pg_pg_in = u64 (raw, "pgpgin");
  mem.pg_pg_out = u64 (raw, "pgpgout");
  mem.pg_fault = u64 (raw, "pgfault");
  mem.pg_maj_fault = u64 (raw, "pgmajfault");
  mem.inactive_anon = u64 (raw, "inactive_anon");
  mem.active_anon = u64 (raw, "active_anon");
  mem.inactive_file = u64 (raw, "inactive_file");
  mem.active_file = u64 (raw, "active_file");
  mem.unevictable = u64 (raw, "unevictable");
  mem.hierarchical_memory_limit = u64 (raw, "hierarchical_memory_limit");
  mem.hierarchical_swap_limit = u64 (raw, "hierarchical_memsw_limit");
  mem.total_cache = u64 (raw, "total_cache");
  mem.total_rss = u64 (raw, "total_rss");
  mem.total_rss_huge = u64 (raw, "total_rss_huge");
  mem.total_mapped_file = u64 (raw, "total_mapped_file");
  mem.total_dirty = u64 (raw, "total_dirty");
  mem.total_writeback = u64 (raw, "total_writeback");
  mem.total_pg_pg_in = u64 (raw, "total_pgpgin");
  mem.total_pg_pg_out = u64 (raw, "total_pgpgout");
  mem.total_pg_fault = u64 (raw, "total_pgfault");
  mem.total_pg_maj_fault = u64 (raw, "total_pgmajfault");
  mem.total_inactive_anon = u64 (raw, "total_inactive_anon");
  mem.total_active_anon = u64 (raw, "total_active_anon");
  mem.total_inactive_file = u64 (raw, "total_inactive_file");
  mem.total_active_file = u64 (raw, "total_active_file");
  mem.total_unevictable = u64 (raw, "total_unevictable");
  mem_entry (&mu, json_object_get (jm, "usage"));
  mem_entry (&ms, json_object_get (jm, "swap"));
  mem_entry (&mk, json_object_get (jm, "kernel"));
  mem_entry (&mt, json_object_get (jm, "kernelTCP"));
  mem.usage = &mu;
  mem.swap = &ms;
  mem.kernel = &mk;
  mem.kernel_tcp = &mt;
  m.memory = &mem;

  *out = sc_pb_pack (&m.base, out_len);
  free (percpu);
  json_decref (root);
  return 0;
}

/* ------------------------------------------------------------ cgroup v2 */

static uint64_t
minus (uint64_t a, uint64_t b)
{
  return a > b ? a - b : 0;
}

static int
v2_from_runtime_json (json_t *d, const uint64_t *memory_events, uint8_t **out, size_t *out_len)
{
  Io__Containerd__Cgroups__V2__Metrics m = IO__CONTAINERD__CGROUPS__V2__METRICS__INIT;

  Io__Containerd__Cgroups__V2__PidsStat pids = IO__CONTAINERD__CGROUPS__V2__PIDS_STAT__INIT;
  json_t *jp = json_object_get (d, "pids");
  pids.current = u64 (jp, "current");
  /* runc reports pids.max "max" as 0; the file's reading is 2^64-1 */
  pids.limit = u64 (jp, "limit") ? u64 (jp, "limit") : UINT64_MAX;
  m.pids = &pids;

  /* runc multiplies cpu.stat's microseconds by 1000 */
  Io__Containerd__Cgroups__V2__CPUStat cpu = IO__CONTAINERD__CGROUPS__V2__CPUSTAT__INIT;
  json_t *jc = json_object_get (d, "cpu");
  json_t *ju = json_object_get (jc, "usage");
  json_t *jt = json_object_get (jc, "throttling");
  cpu.usage_usec = u64 (ju, "total") / 1000;
  cpu.user_usec = u64 (ju, "user") / 1000;
  cpu.system_usec = u64 (ju, "kernel") / 1000;
  cpu.nr_periods = u64 (jt, "periods");
  cpu.nr_throttled = u64 (jt, "throttledPeriods");
  cpu.throttled_usec = u64 (jt, "throttledTime") / 1000;
  m.cpu = &cpu;

  /* memory.stat's keys as runc passes them on ("raw"), memory.current and
   * memory.max; runc adds the memory figures to the swap ones */
  Io__Containerd__Cgroups__V2__MemoryStat mem = IO__CONTAINERD__CGROUPS__V2__MEMORY_STAT__INIT;
  json_t *jm = json_object_get (d, "memory");
  json_t *raw = json_object_get (jm, "raw");
  static const struct
  {
    const char *key;
    size_t off;
  } keys[] = {
#define K(f) { #f, offsetof (Io__Containerd__Cgroups__V2__MemoryStat, f) }
    K (anon), K (file), K (kernel_stack), K (slab), K (sock), K (shmem), K (file_mapped),
    K (file_dirty), K (file_writeback), K (anon_thp), K (inactive_anon), K (active_anon),
    K (inactive_file), K (active_file), K (unevictable), K (slab_reclaimable),
    K (slab_unreclaimable), K (pgfault), K (pgmajfault), K (workingset_refault),
    K (workingset_activate), K (workingset_nodereclaim), K (pgrefill), K (pgscan), K (pgsteal),
    K (pgactivate), K (pgdeactivate), K (pglazyfree), K (pglazyfreed), K (thp_fault_alloc),
    K (thp_collapse_alloc),
#undef K
  };
  for (size_t i = 0; i < sizeof (keys) / sizeof (keys[0]); i++)
    *(uint64_t *) ((char *) &mem + keys[i].off) = u64 (raw, keys[i].key);
  json_t *jmu = json_object_get (jm, "usage");
  json_t *jms = json_object_get (jm, "swap");
  mem.usage = u64 (jmu, "usage");
  mem.usage_limit = u64 (jmu, "limit");
  mem.max_usage = u64 (jmu, "max");
  mem.swap_usage = minus (u64 (jms, "usage"), mem.usage);
  uint64_t sl = u64 (jms, "limit");
  mem.swap_limit = sl == UINT64_MAX ? sl : minus (sl, mem.usage_limit);
  mem.swap_max_usage = minus (u64 (jms, "max"), mem.max_usage);
  m.memory = &mem;

  Io__Containerd__Cgroups__V2__MemoryEvents ev = IO__CONTAINERD__CGROUPS__V2__MEMORY_EVENTS__INIT;
  if (memory_events)
    {
      ev.low = memory_events[0];
      ev.high = memory_events[1];
      ev.max = memory_events[2];
      ev.oom = memory_events[3];
      ev.oom_kill = memory_events[4];
      m.memory_events = &ev;
    }

  /* io.stat, which runc splits into v1's Read/Write tables by bytes and ios */
  Io__Containerd__Cgroups__V2__IOStat io = IO__CONTAINERD__CGROUPS__V2__IOSTAT__INIT;
  json_t *jb = json_object_get (d, "blkio");
  json_t *tables[2] = { json_object_get (jb, "ioServiceBytesRecursive"),
                        json_object_get (jb, "ioServicedRecursive") };
  size_t cap = 0;
  for (int k = 0; k < 2; k++)
    cap += json_is_array (tables[k]) ? json_array_size (tables[k]) : 0;
  Io__Containerd__Cgroups__V2__IOEntry *entries = sc_xcalloc (cap ? cap : 1, sizeof (*entries));
  Io__Containerd__Cgroups__V2__IOEntry **eptr = sc_xcalloc (cap ? cap : 1, sizeof (*eptr));
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; json_is_array (tables[k]) && i < json_array_size (tables[k]); i++)
      {
        json_t *e = json_array_get (tables[k], i);
        uint64_t major = u64 (e, "major"), minor = u64 (e, "minor"), v = u64 (e, "value");
        const char *op = json_string_value (json_object_get (e, "op"));
        bool rd = op && strcmp (op, "Read") == 0, wr = op && strcmp (op, "Write") == 0;
        if (!rd && !wr)
          continue;
        size_t j = 0;
        while (j < io.n_usage && !(entries[j].major == major && entries[j].minor == minor))
          j++;
        if (j == io.n_usage)
          {
            io__containerd__cgroups__v2__ioentry__init (&entries[j]);
            entries[j].major = major;
            entries[j].minor = minor;
            eptr[j] = &entries[j];
            io.n_usage++;
          }
        uint64_t *f = k == 0 ? (rd ? &entries[j].rbytes : &entries[j].wbytes)
                             : (rd ? &entries[j].rios : &entries[j].wios);
        *f = v;
      }
  io.usage = eptr;
  m.io = &io;

  /* hugetlb.<size>.current; v2 has no max reading, runc's failcnt is the
   * events file's "max" count */
  json_t *jh = json_object_get (d, "hugetlb");
  size_t nh = json_is_object (jh) ? json_object_size (jh) : 0;
  Io__Containerd__Cgroups__V2__HugeTlbStat *hs = sc_xcalloc (nh ? nh : 1, sizeof (*hs));
  Io__Containerd__Cgroups__V2__HugeTlbStat **hptr = sc_xcalloc (nh ? nh : 1, sizeof (*hptr));
  const char *size;
  json_t *hv;
  size_t h = 0;
  json_object_foreach (jh, size, hv)
  {
    if (h == nh)
      break;
    io__containerd__cgroups__v2__huge_tlb_stat__init (&hs[h]);
    hs[h].pagesize = (char *) size;
    hs[h].current = u64 (hv, "usage");
    hs[h].max = u64 (hv, "max");
    hptr[h] = &hs[h];
    h++;
  }
  m.n_hugetlb = h;
  m.hugetlb = hptr;

  *out = sc_pb_pack (&m.base, out_len);
  free (entries);
  free (eptr);
  free (hs);
  free (hptr);
  return 0;
}
