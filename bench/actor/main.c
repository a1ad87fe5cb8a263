/*
 * main.c: troupe-bench-actor, the Troupe side of `make bench-actor` (bench/actor/run).
 *   troupe-bench-actor measure [--quick] [--rows a,b,...] [-o FILE]   "row unit value"
 *                                                        lines (appended to FILE)
 *   troupe-bench-actor report TROUPE.txt ERLANG.txt JSON              table + JSON (report.c)
 * Only public headers: the driver measures what an embedder gets.
 */
#include "bench.h"
#include "../common/metrics_off.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void bab_emit(const bab_cfg *cfg, const char *row, const char *unit, double value) {
  fprintf(cfg->out, "%s %s %.6g\n", row, unit, value);
  fflush(cfg->out);
  if (cfg->out != stdout)
    fprintf(stderr, "  troupe %-24s %12.4g %s\n", row, value, unit);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bab_percentile(double *v, size_t n, double p) {
  if (!n)
    return -1;
  qsort(v, n, sizeof *v, cmp_double);
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i < n ? i : n - 1];
}

double bab_median(double *v, size_t n) { return bab_percentile(v, n, 0.5); }

static void nap_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

/* Polling with a short sleep keeps the main thread off the two cores the workers use;
 * the flag is set once per run, so the wake-up granularity (1 ms) is outside the
 * measured interval (the actors take their own timestamps). */
bool bab_wait_flag(_Atomic int *flag, double timeout_s) {
  uint64_t end = troupe_clock_mono_ns() + (uint64_t)(timeout_s * 1e9);
  /* acquire: pairs with the actor's release store, so its results are visible */
  while (!atomic_load_explicit(flag, memory_order_acquire)) {
    if (troupe_clock_mono_ns() > end)
      return false;
    nap_us(1000);
  }
  return true;
}

bool bab_wait_live(troupe_runtime *rt, uint64_t live, double timeout_s) {
  uint64_t end = troupe_clock_mono_ns() + (uint64_t)(timeout_s * 1e9);
  for (;;) {
    troupe_runtime_stats st;
    troupe_runtime_stats_get(rt, &st);
    if (st.live == live)
      return true;
    if (troupe_clock_mono_ns() > end)
      return false;
    nap_us(1000);
  }
}

void bab_die(const char *what, int status, const troupe_err *err) {
  fprintf(stderr, "troupe-bench-actor: %s: %s (%s)\n", what,
          err && err->msg[0] ? err->msg : troupe_strerror(status), troupe_err_name(status));
  exit(1);
}

troupe_runtime *bab_runtime(void) {
  troupe_runtime_config rc;
  troupe_runtime_config_init(&rc);
  rc.no_metrics = bmo_off(); /* BENCH_METRICS=off: the same rows without metrics */
  troupe_runtime *rt = NULL;
  troupe_err err = {0};
  int st = troupe_runtime_new(&rc, &rt, &err);
  if (st)
    bab_die("runtime_new", st, &err);
  return rt;
}

troupe_actor_id bab_spawn(troupe_runtime *rt, troupe_actor *self, const troupe_behaviour *b,
                          void *arg, const troupe_spawn_opts *opts) {
  troupe_actor_id id = 0;
  troupe_err err = {0};
  int st = troupe_spawn(rt, self, b, arg, opts, &id, &err);
  if (st)
    bab_die("spawn", st, &err);
  return id;
}

void bab_stats(troupe_runtime *rt, const char *row) {
  if (!getenv("BENCH_ACTOR_STATS"))
    return;
  troupe_runtime_stats st;
  troupe_runtime_stats_get(rt, &st);
  fprintf(stderr,
          "  stats %s: sent %llu received %llu dropped %llu spawned %llu crashed %llu "
          "steals %llu parks %llu\n",
          row, (unsigned long long)st.msgs_sent, (unsigned long long)st.msgs_received,
          (unsigned long long)st.msgs_dropped, (unsigned long long)st.spawned,
          (unsigned long long)st.crashed, (unsigned long long)st.steals,
          (unsigned long long)st.parks);
}

typedef struct row_fn {
  const char *name;
  void (*fn)(const bab_cfg *);
} row_fn;

static const row_fn rows[] = {
    {"pingpong", bab_pingpong}, {"ask", bab_ask},         {"ring", bab_ring},
    {"fanin", bab_fanin},       {"m2m", bab_m2m},         {"pubsub", bab_pubsub},
    {"restart", bab_restart}, {"timer", bab_timer},
    {"spawn", bab_spawn_rows},
};

static bool selected(const char *list, const char *name) {
  if (!list)
    return true;
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && !strncmp(p, name, n))
      return true;
    p += len + (e != NULL);
  }
  return false;
}

static int usage(void) {
  fprintf(stderr, "usage: troupe-bench-actor measure [--quick] [--rows LIST] [-o FILE]\n"
                  "       troupe-bench-actor report TROUPE.txt ERLANG.txt OUT.json [OFF.txt]\n"
                  "BENCH_METRICS=off: runtimes without metrics (OFF.txt: such a run)\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "report")) {
    if (argc != 5 && argc != 6)
      return usage();
    return bab_report(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
  }
  if (argc < 2 || strcmp(argv[1], "measure"))
    return usage();
  bab_cfg cfg = {.reps = 7, .spawn_n = 1000000, .ring_n = 10000, .ring_hops = 1000000,
                 .rtt_n = 200000, .fanin_per = 250000, .timer_asks = 1000000,
                 .out = stdout};
  const char *list = NULL, *outp = NULL;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) {
      cfg.reps = 2;
      cfg.spawn_n = 100000;
      cfg.rtt_n = 20000;
      cfg.ring_hops = 100000;
      cfg.fanin_per = 25000;
      cfg.timer_asks = 100000;
    } else if (!strcmp(argv[i], "--rows") && i + 1 < argc) {
      list = argv[++i];
    } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
      outp = argv[++i];
    } else {
      return usage();
    }
  }
  if (outp && !(cfg.out = fopen(outp, "a"))) { /* run appends one row group at a time */
    perror(outp);
    return 1;
  }
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    if (selected(list, rows[i].name))
      rows[i].fn(&cfg);
  if (cfg.out != stdout)
    fclose(cfg.out);
  return 0;
}
