/*
 * echo.c: echo latency while a spinner shares the only worker (a host of 1 worker).
 * The echo (worker guest) answers an ASK with its question; the spinner's
 * handle-message loops forever, so it runs fuel slice after fuel slice (the default
 * slice, 100,000 fuel) and yields the worker between them. This thread asks the echo
 * with troupe_host_ask, each ask timed, after a random pause of 0..500 us: 2,000 with
 * the spinner idle (the baseline), then 5,000 while it spins; then 5,000 more back to
 * back (the _b2b rows). The slice's time comes from the spinner's own fuel count
 * (troupe_host_info fuel_used) over 300 ms of spinning alone: wall time / fuel x the
 * slice (what a message waits behind it), and the process's CPU time / fuel x the slice
 * (what it costs on a core of its own; the two differ when the machine is loaded).
 * These rows measure the worker's scheduling, so their host sends every ask through
 * the worker (no_run_here). The _here rows repeat the asks with the spinner on a host
 * of default settings, where an idle echo is run by the asking thread itself.
 */
#include "bench.h"

#include <stdlib.h>
#include <time.h>

/* n asks, each timed; with gaps, a pause of 0..500 us (uniform) before each, so that
 * asks arrive at any point of the spinner's slices rather than just after the previous
 * reply (back to back, the next ask finds the worker between two slices far more often
 * than at random: see docs/BENCH-COMPONENT.md). */
static uint64_t fuel_of(tbc_host *th, troupe_component_id id);

/* With spin (the spinner's id), also count the spinner's whole slices that ran while
 * each ask waited (its fuel before and after / the slice): a count, unlike a time,
 * that a loaded machine does not inflate. Printed as a diagnostic. */
static void asks_ex(tbc_host *th, troupe_component_id echo, uint32_t n, double *us, bool gaps,
                    troupe_component_id spin, uint64_t slice) {
  troupe_err err = {0};
  double *slices = spin ? malloc(n * sizeof *slices) : NULL;
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  for (uint32_t i = 0; i < n; i++) {
    if (gaps) {
      seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
      struct timespec ts = {0, (long)(seed % 500000)};
      nanosleep(&ts, NULL);
    }
    uint8_t q[16], *r = NULL;
    size_t ql = tbc_cbor_uint(q, i), rl = 0;
    uint64_t f0 = slices ? fuel_of(th, spin) : 0;
    uint64_t t0 = troupe_clock_mono_ns();
    int rc = troupe_host_ask(th->h, echo, 0, q, ql, TROUPE_SEC(10), &r, &rl, &err);
    uint64_t t1 = troupe_clock_mono_ns();
    if (rc)
      tbc_die("echo ask", rc, &err);
    free(r);
    us[i] = (double)(t1 - t0) / 1e3;
    if (slices)
      slices[i] = (double)(fuel_of(th, spin) - f0) / (double)slice;
  }
  if (slices) {
    fprintf(stderr, "  echo: spinner slices run during an ask (%s): median %.2f, p90 %.2f, "
            "p99 %.2f, max %.2f\n", gaps ? "random pauses" : "back to back",
            tbc_percentile(slices, n, 0.5), tbc_percentile(slices, n, 0.9),
            tbc_percentile(slices, n, 0.99), tbc_percentile(slices, n, 1.0));
    free(slices);
  }
}

static void asks(tbc_host *th, troupe_component_id echo, uint32_t n, double *us, bool gaps) {
  asks_ex(th, echo, n, us, gaps, 0, 0);
}

static uint64_t fuel_of(tbc_host *th, troupe_component_id id) {
  troupe_component_info info;
  troupe_err err = {0};
  if (troupe_host_info(th->h, id, &info, &err))
    tbc_die("info", err.code, &err);
  uint64_t f = info.fuel_used;
  troupe_component_info_clear(&info);
  return f;
}

void tbc_echo_rows(const tbc_cfg *cfg) {
  tbc_host th;
  const char *ew = getenv("TBC_ECHO_WORKERS"); /* a diagnosis knob: 1 is the row */
  tbc_host_new_ex(&th, ew ? (unsigned)atoi(ew) : 1, false);
  troupe_err err = {0};
  troupe_component_id echo = tbc_spawn(&th, "echo", "worker", NULL, 0, &err, true);
  troupe_component_id spin = tbc_spawn(&th, "spinner", "worker", NULL, 10, &err, true);
  uint32_t base_n = 2000, n = cfg->quick ? 1000 : 5000;
  double *us = malloc((n > base_n ? n : base_n) * sizeof *us);
  asks(&th, echo, 500, us, false);
  asks(&th, echo, base_n, us, true);
  tbc_emit(cfg, "echo_us_median_idle", "us", tbc_percentile(us, base_n, 0.5));
  tbc_emit(cfg, "echo_p99_us_idle", "us", tbc_percentile(us, base_n, 0.99));

  if ((err.code = troupe_host_send(th.h, spin, 77, NULL, 0, &err)))
    tbc_die("spin", err.code, &err);
  tbc_sleep_ms(20);
  troupe_runtime_stats s0, s1;
  troupe_runtime_stats_get(troupe_host_runtime(th.h), &s0);
  uint64_t f0 = fuel_of(&th, spin), t0 = troupe_clock_mono_ns(), c0 = tbc_cpu_ns();
  tbc_sleep_ms(300);
  uint64_t f1 = fuel_of(&th, spin), t1 = troupe_clock_mono_ns(), c1 = tbc_cpu_ns();
  troupe_runtime_stats_get(troupe_host_runtime(th.h), &s1);
  /* The slice's time is only the fuel rate's if the spinner had the worker all along. */
  fprintf(stderr, "  echo: %s, worker parks %llu, messages %llu; the spinner used %.0f%% of a "
          "core, %.3g fuel/s\n", tbc_threads(), (unsigned long long)(s1.parks - s0.parks),
          (unsigned long long)(s1.msgs_received - s0.msgs_received),
          100.0 * (double)(c1 - c0) / (double)(t1 - t0),
          (double)(f1 - f0) / ((double)(t1 - t0) / 1e9));
  troupe_component_info info;
  uint64_t slice = 100000;
  if (!troupe_host_info(th.h, spin, &info, &err)) {
    slice = info.limits.fuel_slice;
    troupe_component_info_clear(&info);
  }
  double slice_us = f1 > f0 ? (double)(t1 - t0) / (double)(f1 - f0) * (double)slice / 1e3 : 0;
  tbc_emit(cfg, "fuel_slice_us", "us", slice_us);
  /* The same per CPU second: what a slice costs when the worker has a core to itself. */
  if (f1 > f0 && c1 > c0)
    tbc_emit(cfg, "fuel_slice_cpu_us", "us",
             (double)(c1 - c0) / (double)(f1 - f0) * (double)slice / 1e3);

  uint64_t f2 = fuel_of(&th, spin), t2 = troupe_clock_mono_ns(), p2 = tbc_preemptions();
  asks_ex(&th, echo, n, us, true, spin, slice);
  uint64_t f3 = fuel_of(&th, spin), t3 = troupe_clock_mono_ns(), p3 = tbc_preemptions();
  /* With the spinner the worker thread always wants a core: on a shared machine the OS
   * takes it away now and then for a scheduler period (ms), and the asks then wait. */
  fprintf(stderr, "  echo: during the %u asks the spinner ran %.3g fuel/s; the process's "
          "threads were preempted %llu times\n", n,
          (double)(f3 - f2) / ((double)(t3 - t2) / 1e9), (unsigned long long)(p3 - p2));
  tbc_emit(cfg, "echo_us_median_with_spinner", "us", tbc_percentile(us, n, 0.5));
  tbc_emit(cfg, "echo_p99_us_with_spinner", "us", tbc_percentile(us, n, 0.99));
  asks_ex(&th, echo, n, us, false, spin, slice);
  tbc_emit(cfg, "echo_us_median_with_spinner_b2b", "us", tbc_percentile(us, n, 0.5));
  tbc_emit(cfg, "echo_p99_us_with_spinner_b2b", "us", tbc_percentile(us, n, 0.99));
  tbc_host_free(&th);

  /* The default host: the asking thread runs the idle echo itself, beside the spinner. */
  tbc_host_new(&th, ew ? (unsigned)atoi(ew) : 1);
  echo = tbc_spawn(&th, "echo", "worker", NULL, 0, &err, true);
  spin = tbc_spawn(&th, "spinner", "worker", NULL, 10, &err, true);
  if ((err.code = troupe_host_send(th.h, spin, 77, NULL, 0, &err)))
    tbc_die("spin", err.code, &err);
  tbc_sleep_ms(20);
  asks(&th, echo, n, us, true);
  tbc_emit(cfg, "echo_us_median_with_spinner_here", "us", tbc_percentile(us, n, 0.5));
  tbc_emit(cfg, "echo_p99_us_with_spinner_here", "us", tbc_percentile(us, n, 0.99));
  free(us);
  tbc_host_free(&th);
}
