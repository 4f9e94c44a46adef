/* Stats: the runtime's `events --stats` JSON (runc's types.Stats) translated
 * into io.containerd.cgroups.v1.Metrics, the message `ctr task metrics`
 * decodes on cgroup v1 hosts. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "containerd/cgroups/metrics.pb-c.h"
#include "pb.h"
#include "stats.h"

static uint64_t
u64 (json_t *o, const char *key)
{
  json_t *v = json_object_get (o, key);
  if (json_is_integer (v) && json_integer_value (v) >= 0)
    return (uint64_t) json_integer_value (v);
  if (json_is_real (v) && json_real_value (v) >= 0)
    return (uint64_t) json_real_value (v);
  return 0;
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

int
stats_from_runtime_json (const char *text, size_t len, uint8_t **out, size_t *out_len,
                         sc_error *err)
{
  json_error_t jerr;
  json_t *root = json_loadb (text, len, JSON_DISABLE_EOF_CHECK, &jerr);
  if (root == NULL)
    {
      sc_error_make (err, 0, "runtime stats are not JSON: %s", jerr.text);
      return -1;
    }
  json_t *d = json_object_get (root, "data");
  if (!json_is_object (d))
    {
      json_decref (root);
      sc_error_make (err, 0, "runtime stats have no \"data\" object");
      return -1;
    }
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
  thr.throttled_periods = u64 (jt, "throttled_periods");
  thr.throttled_time = u64 (jt, "throttled_time");
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
