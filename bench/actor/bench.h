/*
 * bench.h: what the actor-benchmark driver's files share. The driver (troupe-bench-actor)
 * measures the Troupe side of `make bench-actor` row by row (msg.c: message passing,
 * spawn.c: spawn cost and idle memory, restart.c: supervisor restarts, pubsub.c: broker
 * fan-out, timer.c: timer lateness under load) and prints "row unit value" lines; report.c merges those with the Erlang
 * program's lines into the table and BUILD/bench/actor.json.
 */
#ifndef TROUPE_BENCH_ACTOR_H
#define TROUPE_BENCH_ACTOR_H

#include "troupe/actor.h"
#include "troupe/base.h"

#include <stdatomic.h>
#include <stdio.h>

/* How hard to measure: repetitions per row (median reported) and the sizes. */
typedef struct bab_cfg {
  int reps;
  uint32_t spawn_n;     /* actors for the spawn/memory rows (1,000,000) */
  uint32_t ring_n;      /* ring size (10,000) */
  uint32_t ring_hops;   /* hops per ring run (1,000,000) */
  uint32_t rtt_n;       /* round trips per ping-pong / ask run */
  uint32_t fanin_per;   /* messages per sender in the fan-in */
  uint32_t timer_asks;  /* asks per run of the timer lateness rows (1,000,000) */
  FILE *out;            /* "row unit value" lines */
} bab_cfg;

/* One measured row. */
void bab_emit(const bab_cfg *cfg, const char *row, const char *unit, double value);

/* Sorting and order statistics of a sample (sorts v in place). */
double bab_percentile(double *v, size_t n, double p);
double bab_median(double *v, size_t n);

/* Wait (polling, from the main thread) until *flag is nonzero or timeout_s passed.
 * Returns false on timeout: the row is then reported as failed. */
bool bab_wait_flag(_Atomic int *flag, double timeout_s);
/* Wait until the runtime's live actor count is `live`. */
bool bab_wait_live(troupe_runtime *rt, uint64_t live, double timeout_s);

/* With BENCH_ACTOR_STATS set in the environment: the runtime's counters on stderr. */
void bab_stats(troupe_runtime *rt, const char *row);
/* A runtime with default workers (one per core), or exit the driver with a message. */
troupe_runtime *bab_runtime(void);
/* Spawn or die: the benchmark is meaningless without its actors. */
troupe_actor_id bab_spawn(troupe_runtime *rt, troupe_actor *self, const troupe_behaviour *b,
                          void *arg, const troupe_spawn_opts *opts);
void bab_die(const char *what, int status, const troupe_err *err);

/* The rows. Each runs its own runtime(s) and emits its lines. */
void bab_pingpong(const bab_cfg *cfg);
void bab_ask(const bab_cfg *cfg);
void bab_ring(const bab_cfg *cfg);
void bab_fanin(const bab_cfg *cfg);
void bab_m2m(const bab_cfg *cfg);
void bab_spawn_rows(const bab_cfg *cfg);
void bab_restart(const bab_cfg *cfg);
void bab_pubsub(const bab_cfg *cfg);
void bab_timer(const bab_cfg *cfg);

/* report.c: merge the two sides' lines into a table on stdout and the JSON file. */
/* OFF.txt (NULL: none): the same rows with BENCH_METRICS=off, for the metrics' cost. */
int bab_report(const char *troupe_path, const char *erlang_path, const char *json_path,
               const char *off_path);

#endif
