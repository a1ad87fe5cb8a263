/*
 * restart.c: trap -> the restarted component answers, both sides in wasm (the worker
 * guest). The driver component gets a "go" with a round count; each round it notes the
 * time and sends the target a MESSAGE that makes it trap; the root supervisor restarts
 * the target (a fresh instance of the cached module, same id and name); the target's
 * start (a constructor run by _initialize) sends the driver "up"; the driver asks the
 * target, and the reply ends the sample. As the actor suite's restart row and
 * Erlang's supervisor + gen_server counterpart. A warm-up series of 50, then 2 series
 * of `restarts`, pooled.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>

/* One series: its samples (us) appended to v. */
static size_t series(tbc_host *th, troupe_component_id driver, uint32_t rounds, double *v,
                     size_t k, size_t cap) {
  uint8_t a[16];
  size_t al = tbc_cbor_uint(a, rounds);
  troupe_err err = {0};
  int rc = troupe_host_send(th->h, driver, 2, a, al, &err);
  if (rc)
    tbc_die("restart go", rc, &err);
  for (uint64_t end = troupe_clock_mono_ns() + TROUPE_SEC(60); troupe_clock_mono_ns() < end;) {
    tbc_sleep_ms(5);
    size_t rl, n;
    char *res = tbc_invoke(th, driver, "results", NULL, 0, &rl);
    double *s = tbc_json_numbers(res, rl, &n);
    free(res);
    if (n >= 2 && s[0] == 1) {
      for (size_t i = 2; i < n && k < cap; i++)
        v[k++] = s[i] / 1e3;
      free(s);
      return k;
    }
    free(s);
  }
  fprintf(stderr, "  restart: the series did not end in 60 s\n");
  return k;
}

void tbc_restart_rows(const tbc_cfg *cfg) {
  tbc_host th;
  const char *rw = getenv("TBC_RESTART_WORKERS"); /* a diagnosis knob: the row uses 0 */
  tbc_host_new(&th, rw ? (unsigned)atoi(rw) : 0);
  troupe_err err = {0};
  troupe_component_id driver = tbc_spawn(&th, "driver", "worker", "TARGET=target", 0, &err, true);
  troupe_component_id target = tbc_spawn(&th, "target", "worker", "UP_TO=driver", 0, &err, true);
  const char *rn = getenv("TBC_RESTARTS"); /* a diagnosis knob: rounds per series */
  uint32_t rounds = rn && atoi(rn) > 0 ? (uint32_t)atoi(rn) : cfg->restarts;
  size_t cap = 2 * (size_t)rounds, k = 0;
  double *us = malloc((cap + 64) * sizeof *us);
  series(&th, driver, 50, us, 0, cap);
  troupe_runtime_stats s0, s1;
  troupe_runtime_stats_get(troupe_host_runtime(th.h), &s0);
  for (int i = 0; i < 2; i++)
    k = series(&th, driver, rounds, us, k, cap);
  /* A round is a chain of turns (crash, the supervisor's restart, the new start, "up",
   * the ask, the reply): how often one moved to the other worker or a worker slept. */
  troupe_runtime_stats_get(troupe_host_runtime(th.h), &s1);
  fprintf(stderr, "  restart: per round %.2f steals, %.2f parks, %.1f messages\n",
          (double)(s1.steals - s0.steals) / (2.0 * rounds),
          (double)(s1.parks - s0.parks) / (2.0 * rounds),
          (double)(s1.msgs_received - s0.msgs_received) / (2.0 * rounds));
  troupe_component_info info;
  if (!troupe_host_info(th.h, target, &info, &err)) {
    fprintf(stderr, "  restart: the target restarted %u times\n", info.restarts);
    troupe_component_info_clear(&info);
  }
  tbc_emit(cfg, "restart_us_median", "us", tbc_percentile(us, k, 0.5));
  tbc_emit(cfg, "restart_us_p99", "us", tbc_percentile(us, k, 0.99));
  free(us);
  tbc_host_free(&th);
}
