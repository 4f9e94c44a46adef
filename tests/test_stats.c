/* The reference shim's Stats translation (reference-shim/stats.c): runc's
 * `events --stats` JSON into io.containerd.cgroups.v1.Metrics or, on a
 * unified host, v2.Metrics, from the documents in tests/fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "containerd/cgroups/metrics.pb-c.h"
#include "containerd/cgroups/v2/metrics.pb-c.h"
#include "stats.h"

static char *
fixture (const char *name, size_t *len)
{
  char path[4096];
  snprintf (path, sizeof (path), "%s/%s", FIXTURES_DIR, name);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    fail_msg ("cannot open %s", path);
  char *buf = malloc (1 << 16);
  *len = fread (buf, 1, (1 << 16) - 1, f);
  buf[*len] = '\0';
  fclose (f);
  return buf;
}

static Io__Containerd__Cgroups__V2__Metrics *
v2_of (const char *json, size_t len, const uint64_t *events)
{
  uint8_t *out = NULL;
  size_t out_len = 0;
  const char *type = NULL;
  sc_error err = SC_ERROR_INIT;
  if (stats_from_runtime_json (json, len, true, events, &out, &out_len, &type, &err) < 0)
    fail_msg ("translation failed: %s", err.msg);
  assert_string_equal (type, "io.containerd.cgroups.v2.Metrics");
  Io__Containerd__Cgroups__V2__Metrics *m
    = io__containerd__cgroups__v2__metrics__unpack (NULL, out_len, out);
  free (out);
  assert_non_null (m);
  return m;
}

/* every field of a full cgroup v2 document, in the v2 message's units */
static void
v2_full_document (void **state)
{
  (void) state;
  size_t len;
  char *json = fixture ("runc-events-stats-cgroup2-composed.json", &len);
  const uint64_t events[5] = { 1, 2, 3, 4, 5 };
  Io__Containerd__Cgroups__V2__Metrics *m = v2_of (json, len, events);

  assert_non_null (m->pids);
  assert_int_equal (m->pids->current, 3);
  assert_true (m->pids->limit == UINT64_MAX); /* runc's 0 is the file's "max" */

  assert_non_null (m->cpu);
  assert_int_equal (m->cpu->usage_usec, 2500000);
  assert_int_equal (m->cpu->user_usec, 2000000);
  assert_int_equal (m->cpu->system_usec, 500000);
  assert_int_equal (m->cpu->nr_periods, 120);
  assert_int_equal (m->cpu->nr_throttled, 7);
  assert_int_equal (m->cpu->throttled_usec, 35000);

  Io__Containerd__Cgroups__V2__MemoryStat *mem = m->memory;
  assert_non_null (mem);
  assert_int_equal (mem->anon, 41943040);
  assert_int_equal (mem->file, 8192000);
  assert_int_equal (mem->kernel_stack, 163840);
  assert_int_equal (mem->slab, 1500000);
  assert_int_equal (mem->shmem, 4096);
  assert_int_equal (mem->file_mapped, 2048000);
  assert_int_equal (mem->file_dirty, 8192);
  assert_int_equal (mem->inactive_anon, 40000000);
  assert_int_equal (mem->active_anon, 1943040);
  assert_int_equal (mem->inactive_file, 6000000);
  assert_int_equal (mem->active_file, 2192000);
  assert_int_equal (mem->slab_reclaimable, 1000000);
  assert_int_equal (mem->slab_unreclaimable, 500000);
  assert_int_equal (mem->pgfault, 12345);
  assert_int_equal (mem->pgmajfault, 12);
  assert_int_equal (mem->workingset_refault, 3);
  assert_int_equal (mem->workingset_activate, 2);
  assert_int_equal (mem->pgrefill, 5);
  assert_int_equal (mem->pgscan, 6);
  assert_int_equal (mem->pgsteal, 7);
  assert_int_equal (mem->pgactivate, 8);
  assert_int_equal (mem->pgdeactivate, 9);
  assert_int_equal (mem->pglazyfree, 10);
  assert_int_equal (mem->pglazyfreed, 11);
  assert_int_equal (mem->thp_fault_alloc, 1);
  assert_int_equal (mem->thp_collapse_alloc, 2);
  assert_int_equal (mem->usage, 52428800);
  assert_true (mem->usage_limit == UINT64_MAX);
  /* runc's swap is swap + memory: the file reads 1 MiB */
  assert_int_equal (mem->swap_usage, 1048576);
  assert_true (mem->swap_limit == UINT64_MAX);

  assert_non_null (m->memory_events);
  assert_int_equal (m->memory_events->low, 1);
  assert_int_equal (m->memory_events->high, 2);
  assert_int_equal (m->memory_events->max, 3);
  assert_int_equal (m->memory_events->oom, 4);
  assert_int_equal (m->memory_events->oom_kill, 5);

  /* io.stat: one entry per device, runc's four tables folded back */
  assert_non_null (m->io);
  assert_int_equal (m->io->n_usage, 2);
  Io__Containerd__Cgroups__V2__IOEntry *sda = m->io->usage[0], *dm = m->io->usage[1];
  if (sda->major != 8)
    {
      Io__Containerd__Cgroups__V2__IOEntry *x = sda;
      sda = dm;
      dm = x;
    }
  assert_int_equal (sda->major, 8);
  assert_int_equal (sda->minor, 0);
  assert_int_equal (sda->rbytes, 4096000);
  assert_int_equal (sda->wbytes, 1024000);
  assert_int_equal (sda->rios, 100);
  assert_int_equal (sda->wios, 25);
  assert_int_equal (dm->major, 253);
  assert_int_equal (dm->minor, 1);
  assert_int_equal (dm->rbytes, 512);
  assert_int_equal (dm->wbytes, 0);
  assert_int_equal (dm->rios, 1);

  assert_int_equal (m->n_hugetlb, 2);
  for (size_t i = 0; i < m->n_hugetlb; i++)
    if (strcmp (m->hugetlb[i]->pagesize, "2MB") == 0)
      assert_int_equal (m->hugetlb[i]->current, 2097152);
    else
      {
        assert_string_equal (m->hugetlb[i]->pagesize, "1GB");
        assert_int_equal (m->hugetlb[i]->current, 0);
      }
  io__containerd__cgroups__v2__metrics__free_unpacked (m, NULL);
  free (json);
}

/* runc 1.1.5's real output on a cgroup2 mount without the memory, cpu and
 * pids controllers: what is there arrives, nothing else is invented */
static void
v2_recorded_document (void **state)
{
  (void) state;
  size_t len;
  char *json = fixture ("runc-1.1.5-events-stats-cgroup2-recorded.json", &len);
  Io__Containerd__Cgroups__V2__Metrics *m = v2_of (json, len, NULL);
  assert_int_equal (m->cpu->usage_usec, 160496);
  assert_int_equal (m->cpu->user_usec, 152265);
  assert_int_equal (m->cpu->system_usec, 8230);
  assert_int_equal (m->pids->current, 1);
  assert_int_equal (m->memory->usage, 0);
  assert_int_equal (m->memory->swap_usage, 0);
  assert_int_equal (m->memory->swap_limit, 0);
  assert_null (m->memory_events); /* none given: none claimed */
  assert_int_equal (m->io->n_usage, 0);
  assert_int_equal (m->n_hugetlb, 2);
  io__containerd__cgroups__v2__metrics__free_unpacked (m, NULL);
  free (json);
}

/* limits that are set: runc's combined swap limit minus the memory limit */
static void
v2_limits_set (void **state)
{
  (void) state;
  const char *json = "{\"type\":\"stats\",\"id\":\"c\",\"data\":{\"pids\":{\"current\":2,\"limit\":100},"
                     "\"memory\":{\"usage\":{\"limit\":67108864,\"usage\":1048576},"
                     "\"swap\":{\"limit\":134217728,\"usage\":1048576}}}}";
  Io__Containerd__Cgroups__V2__Metrics *m = v2_of (json, strlen (json), NULL);
  assert_int_equal (m->pids->limit, 100);
  assert_int_equal (m->memory->usage_limit, 67108864);
  assert_int_equal (m->memory->swap_limit, 67108864);
  assert_int_equal (m->memory->swap_usage, 0);
  io__containerd__cgroups__v2__metrics__free_unpacked (m, NULL);
}

/* the same document on a v1/hybrid host: v1 Metrics, with runc's
 * camelCase throttling keys read */
static void
v1_throttling_keys (void **state)
{
  (void) state;
  size_t len;
  char *json = fixture ("runc-events-stats-cgroup2-composed.json", &len);
  uint8_t *out = NULL;
  size_t out_len = 0;
  const char *type = NULL;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (stats_from_runtime_json (json, len, false, NULL, &out, &out_len, &type, &err), 0);
  assert_string_equal (type, "io.containerd.cgroups.v1.Metrics");
  Io__Containerd__Cgroups__V1__Metrics *m
    = io__containerd__cgroups__v1__metrics__unpack (NULL, out_len, out);
  assert_non_null (m);
  assert_int_equal (m->cpu->usage->total, 2500000000ULL);
  assert_int_equal (m->cpu->throttling->periods, 120);
  assert_int_equal (m->cpu->throttling->throttled_periods, 7);
  assert_int_equal (m->cpu->throttling->throttled_time, 35000000);
  assert_true (m->memory->usage->limit == UINT64_MAX);
  io__containerd__cgroups__v1__metrics__free_unpacked (m, NULL);
  free (out);
  free (json);
}

/* what is not runc's JSON is an error that says so */
static void
bad_documents (void **state)
{
  (void) state;
  static const char *const bad[] = { "", "{", "[1,2]", "{\"type\":\"stats\"}", "{\"data\":3}",
                                     "{\"data\":{\"pids\":{\"current\":-1e999}}" };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    for (int unified = 0; unified < 2; unified++)
      {
        uint8_t *out = NULL;
        size_t out_len = 0;
        const char *type = NULL;
        sc_error err = SC_ERROR_INIT;
        int rc = stats_from_runtime_json (bad[i], strlen (bad[i]), unified, NULL, &out, &out_len,
                                          &type, &err);
        if (rc == 0)
          fail_msg ("accepted %s", bad[i]);
        assert_non_null (err.msg);
        assert_non_null (strstr (err.msg, "runtime stats"));
        sc_error_release (&err);
      }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (v2_full_document),
    cmocka_unit_test (v2_recorded_document),
    cmocka_unit_test (v2_limits_set),
    cmocka_unit_test (v1_throttling_keys),
    cmocka_unit_test (bad_documents),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
