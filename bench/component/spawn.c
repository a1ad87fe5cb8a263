/*
 * spawn.c: the spawn, idle-memory and live-count rows, all with the tiny guest (one
 * 64 KiB page of memory, _start touches 2 of its 4-KiB OS pages; guests/tiny.wat) from
 * the in-memory store, so the module is compiled once and cached for every spawn.
 *
 *   spawn:  a fresh host (one worker per core); 200 spawns to warm up, then spawn_n
 *           spawns one after another from this thread, each troupe_host_spawn timed
 *           (it returns when the component is Ready); minor page faults of the whole
 *           process (getrusage) over the timed spawns / spawn_n; and the median of the
 *           first 1,000 of them alone (200-1,200 live), since the cost grows with N.
 *           Then churn on the same host: spawn_n times, spawn one (timed) and stop it,
 *           so each spawn may reuse what the previous one freed (its linear memory and
 *           stacks from the engine's pool, its host state from malloc): a population
 *           that does not grow, where a growing one faults in fresh pages.
 *   memory: a fresh host; spawns until idle_n components (RSS growth over them / idle_n
 *           is component_idle_bytes), then on until live_max, live_s seconds, an RSS of
 *           live_gib GiB or the first refused spawn, whichever comes first: the count,
 *           the RSS and the number of mappings at the end, and why it stopped. The host
 *           is not freed (stopping a million components would take longer than
 *           spawning them): the process exits.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tbc_spawn_rows(const tbc_cfg *cfg) {
  tbc_host th;
  tbc_host_new(&th, 0);
  troupe_err err = {0};
  char name[32];
  for (uint32_t i = 0; i < 200; i++) {
    snprintf(name, sizeof name, "w%u", i);
    tbc_spawn(&th, name, "tiny", NULL, 0, &err, true);
  }
  double *us = malloc(cfg->spawn_n * sizeof *us);
  uint64_t f0 = tbc_minflt();
  for (uint32_t i = 0; i < cfg->spawn_n; i++) {
    snprintf(name, sizeof name, "s%u", i);
    uint64_t t0 = troupe_clock_mono_ns();
    tbc_spawn(&th, name, "tiny", NULL, 0, &err, true);
    us[i] = (double)(troupe_clock_mono_ns() - t0) / 1e3;
  }
  double faults = (double)(tbc_minflt() - f0) / cfg->spawn_n;
  /* The first 1,000 alone: with few components beside them (the root supervisor's
   * start_child looks for a duplicate child id by a linear scan, so a spawn's cost grows
   * with the number of live components). */
  uint32_t first = cfg->spawn_n < 1000 ? cfg->spawn_n : 1000;
  double *head = malloc(first * sizeof *head);
  memcpy(head, us, first * sizeof *head);
  tbc_emit(cfg, "spawn_us_median_first1k", "us", tbc_percentile(head, first, 0.5));
  free(head);
  tbc_emit(cfg, "spawn_us_median", "us", tbc_percentile(us, cfg->spawn_n, 0.5));
  tbc_emit(cfg, "spawn_us_p99", "us", tbc_percentile(us, cfg->spawn_n, 0.99));
  tbc_emit(cfg, "spawn_minflt", "faults", faults);
  f0 = tbc_minflt();
  for (uint32_t i = 0; i < cfg->spawn_n; i++) {
    snprintf(name, sizeof name, "r%u", i);
    uint64_t t0 = troupe_clock_mono_ns();
    troupe_component_id id = tbc_spawn(&th, name, "tiny", NULL, 0, &err, true);
    us[i] = (double)(troupe_clock_mono_ns() - t0) / 1e3;
    if (troupe_host_stop(th.h, id, &err) != 0)
      tbc_die("stop", 1, &err);
  }
  faults = (double)(tbc_minflt() - f0) / cfg->spawn_n;
  tbc_emit(cfg, "spawn_churn_us_median", "us", tbc_percentile(us, cfg->spawn_n, 0.5));
  tbc_emit(cfg, "spawn_churn_us_p99", "us", tbc_percentile(us, cfg->spawn_n, 0.99));
  tbc_emit(cfg, "spawn_churn_minflt", "faults", faults);
  free(us);
  tbc_host_free(&th);
}

void tbc_memory_rows(const tbc_cfg *cfg) {
  tbc_host th;
  tbc_host_new(&th, 0);
  troupe_err err = {0};
  char name[32];
  tbc_spawn(&th, "first", "tiny", NULL, 0, &err, true); /* pools and caches set up */
  tbc_sleep_ms(50);
  uint64_t rss0 = tbc_rss_bytes(), t0 = troupe_clock_mono_ns();
  uint64_t cap = (uint64_t)(cfg->live_gib * (double)(1ull << 30));
  uint64_t deadline = t0 + (uint64_t)(cfg->live_s * 1e9);
  const char *why = "reached the count cap";
  uint32_t n = 0;
  uint64_t rss = rss0, t_idle = 0;
  while (n < cfg->live_max) {
    snprintf(name, sizeof name, "c%u", n);
    if (!tbc_spawn(&th, name, "tiny", NULL, 0, &err, false)) {
      fprintf(stderr, "  memory: spawn %u refused: %s (%s)\n", n, err.msg,
              troupe_err_name(err.code));
      why = "a spawn was refused";
      break;
    }
    n++;
    if (n == cfg->idle_n) {
      tbc_sleep_ms(20);
      t_idle = troupe_clock_mono_ns();
      rss = tbc_rss_bytes();
      tbc_emit(cfg, "component_idle_bytes", "bytes", (double)(rss - rss0) / n);
      tbc_emit(cfg, "component_idle_n", "count", n);
      fprintf(stderr, "  memory: %u components in %.1f s, %zu mappings\n", n,
              (double)(t_idle - t0) / 1e9, tbc_map_count());
    }
    if ((n & 1023) == 0) {
      if (troupe_clock_mono_ns() > deadline) {
        why = "reached the time cap";
        break;
      }
      if ((rss = tbc_rss_bytes()) > cap) {
        why = "reached the memory cap";
        break;
      }
    }
  }
  uint64_t t1 = troupe_clock_mono_ns();
  rss = tbc_rss_bytes();
  if (n < cfg->idle_n && n) { /* the caps came first: the idle row at the N reached */
    fprintf(stderr, "  memory: only %u components (fewer than %u): idle bytes at %u\n", n,
            cfg->idle_n, n);
    tbc_emit(cfg, "component_idle_bytes", "bytes", (double)(rss - rss0) / n);
    tbc_emit(cfg, "component_idle_n", "count", n);
  }
  tbc_emit(cfg, "live_components", "count", n);
  tbc_emit(cfg, "live_rss_bytes", "bytes", (double)rss);
  tbc_emit(cfg, "live_bytes_per_component", "bytes", (double)(rss - rss0) / (n ? n : 1));
  size_t maps = tbc_map_count();
  tbc_emit(cfg, "live_mappings", "count", (double)maps);
  fprintf(stderr, "  memory: stopped at %u components after %.1f s (%s), RSS %.2f GiB, "
                  "%zu mappings (vm.max_map_count applies)\n",
          n, (double)(t1 - t0) / 1e9, why, (double)rss / (double)(1ull << 30), maps);
  fflush(NULL);
  _exit(0);
}
