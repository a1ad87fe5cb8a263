/*
 * msg.c: the message rows, with the worker guest (guests/worker.c).
 *
 *   invoke: the embedder's call: troupe_host_invoke of `inc` (a CBOR integer in, the
 *           integer + 1 out, checked) from this thread, each call timed; 1,000 to warm
 *           up, then 3 runs of rtt_n, pooled: median and p99.
 *   ask:    component to component, both in wasm: the asker's invocable `ask_loop` asks
 *           the echo component rtt_n times in a row (troupe.ask suspends the asker; the
 *           echo's handle-message replies with the question), timing each round trip
 *           in the guest with troupe.time; 3 runs pooled.
 *   ring:   ring_n components, each one's NEXT the following one; this thread sends a
 *           CBOR hop count to the first, each handle-message forwards count - 1, the one
 *           that gets 0 notes the time; hops / (that time - the send's time). A warm-up
 *           run of a quarter, then 3 runs: the median and the best.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void tbc_invoke_rows(const tbc_cfg *cfg) {
  tbc_host th;
  tbc_host_new(&th, 0);
  troupe_err err = {0};
  troupe_component_id id = tbc_spawn(&th, "inv", "worker", NULL, 0, &err, true);
  size_t total = 3 * (size_t)cfg->rtt_n, k = 0;
  double *us = malloc(total * sizeof *us);
  for (uint32_t run = 0; run < 4; run++) {
    uint32_t n = run == 0 ? 1000 : cfg->rtt_n;
    for (uint32_t i = 0; i < n; i++) {
      uint8_t a[16], want[16];
      size_t al = tbc_cbor_uint(a, i), wl = tbc_cbor_uint(want, (uint64_t)i + 1);
      uint8_t *res = NULL;
      size_t rl = 0;
      uint64_t t0 = troupe_clock_mono_ns();
      int rc = troupe_host_invoke(th.h, id, "inc", a, al, TROUPE_SEC(10), &res, &rl, &err);
      uint64_t t1 = troupe_clock_mono_ns();
      if (rc)
        tbc_die("invoke inc", rc, &err);
      if (rl != wl || memcmp(res, want, wl)) {
        fprintf(stderr, "troupe-bench-component: inc(%u) gave a wrong result\n", i);
        exit(1);
      }
      free(res);
      if (run)
        us[k++] = (double)(t1 - t0) / 1e3;
    }
  }
  tbc_emit(cfg, "invoke_us_median", "us", tbc_percentile(us, k, 0.5));
  tbc_emit(cfg, "invoke_us_p99", "us", tbc_percentile(us, k, 0.99));
  free(us);
  tbc_host_free(&th);
}

void tbc_ask_rows(const tbc_cfg *cfg) {
  tbc_host th;
  tbc_host_new(&th, 0);
  troupe_err err = {0};
  tbc_spawn(&th, "echo", "worker", NULL, 0, &err, true);
  troupe_component_id asker = tbc_spawn(&th, "asker", "worker", "TARGET=echo", 0, &err, true);
  size_t cap = 3 * (size_t)cfg->rtt_n, k = 0;
  double *us = malloc(cap * sizeof *us);
  for (uint32_t run = 0; run < 4; run++) {
    uint8_t a[16];
    size_t al = tbc_cbor_uint(a, run == 0 ? cfg->rtt_n / 4 : cfg->rtt_n);
    size_t rl;
    char *res = tbc_invoke(&th, asker, "ask_loop", a, al, &rl);
    size_t n;
    double *v = tbc_json_numbers(res, rl, &n);
    for (size_t i = 0; run && i < n && k < cap; i++)
      us[k++] = v[i] / 1e3;
    free(v);
    free(res);
  }
  tbc_emit(cfg, "ask_rtt_us_median", "us", tbc_percentile(us, k, 0.5));
  tbc_emit(cfg, "ask_rtt_us_p99", "us", tbc_percentile(us, k, 0.99));
  free(us);
  tbc_host_free(&th);
}

/* One ring run: hops / seconds, or NAN on a stall. */
static double ring_once(tbc_host *th, troupe_component_id first, troupe_component_id last,
                        uint32_t hops) {
  uint8_t a[16];
  size_t al = tbc_cbor_uint(a, hops);
  troupe_err err = {0};
  uint64_t t0 = troupe_clock_mono_ns();
  int rc = troupe_host_send(th->h, first, 1, a, al, &err);
  if (rc)
    tbc_die("ring send", rc, &err);
  for (uint64_t end = t0 + TROUPE_SEC(60); troupe_clock_mono_ns() < end;) {
    tbc_sleep_ms(2);
    size_t rl, n;
    char *res = tbc_invoke(th, last, "results", NULL, 0, &rl);
    double *v = tbc_json_numbers(res, rl, &n);
    free(res);
    if (n >= 2 && v[0] == 1) {
      double rate = hops / ((v[1] - (double)t0) / 1e9);
      free(v);
      return rate;
    }
    free(v);
  }
  fprintf(stderr, "  ring: no end of the run in 60 s\n");
  return NAN;
}

void tbc_ring_rows(const tbc_cfg *cfg) {
  tbc_host th;
  const char *rw = getenv("TBC_RING_WORKERS"); /* a diagnosis knob: the row uses 0 (per core) */
  tbc_host_new(&th, rw ? (unsigned)atoi(rw) : 0);
  troupe_err err = {0};
  const char *rn = getenv("TBC_RING_N"); /* a diagnosis knob: the ring's size */
  uint32_t n = rn && atoi(rn) > 1 ? (uint32_t)atoi(rn) : cfg->ring_n;
  troupe_component_id first = 0, last = 0;
  char name[32], env[48];
  uint64_t t0 = troupe_clock_mono_ns();
  for (uint32_t i = 0; i < n; i++) {
    snprintf(name, sizeof name, "r%u", i);
    snprintf(env, sizeof env, "NEXT=r%u", (i + 1) % n);
    troupe_component_id id = tbc_spawn(&th, name, "worker", env, 0, &err, true);
    if (i == 0)
      first = id;
  }
  fprintf(stderr, "  ring: %u worker components spawned in %.2f s\n", n,
          (double)(troupe_clock_mono_ns() - t0) / 1e9);
  /* The token starts at r0 with `hops`; the member that gets 0 is r(hops mod n). */
  snprintf(name, sizeof name, "r%u", cfg->ring_hops % n);
  if (troupe_host_lookup(th.h, name, &last))
    tbc_die("ring lookup", TROUPE_E_NOTFOUND, NULL);
  uint32_t warm = cfg->ring_hops / 4 / n * n; /* ends at r0's... */
  snprintf(name, sizeof name, "r%u", warm % n);
  troupe_component_id warm_last;
  if (troupe_host_lookup(th.h, name, &warm_last))
    tbc_die("ring lookup", TROUPE_E_NOTFOUND, NULL);
  ring_once(&th, first, warm_last, warm);
  double r[3], best = 0;
  troupe_runtime_stats s0, s1;
  troupe_runtime_stats_get(troupe_host_runtime(th.h), &s0);
  for (int i = 0; i < 3; i++) {
    r[i] = ring_once(&th, first, last, cfg->ring_hops);
    if (r[i] > best)
      best = r[i];
  }
  /* How often a hop changed worker (a steal) or a worker slept: the ring's token is
   * one, so each is a cross-core move of the next component's state. */
  troupe_runtime_stats_get(troupe_host_runtime(th.h), &s1);
  fprintf(stderr, "  ring: per hop %.4f steals, %.4f parks (3 runs)\n",
          (double)(s1.steals - s0.steals) / (3.0 * cfg->ring_hops),
          (double)(s1.parks - s0.parks) / (3.0 * cfg->ring_hops));
  tbc_emit(cfg, "wasm_msgs_per_s", "msgs/s", tbc_percentile(r, 3, 0.5));
  tbc_emit(cfg, "wasm_best_msgs_per_s", "msgs/s", best);
  tbc_host_free(&th);
}
