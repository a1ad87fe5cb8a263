/*
 * bench.h: what the engine-benchmark harness (harness.c, which runs things) and its
 * report (report.c, which prints the table and writes the JSON) share: the runners,
 * one program's results, the micro-benchmark results and the configuration.
 */
#ifndef TROUPE_BENCH_ENGINE_H
#define TROUPE_BENCH_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { BENCH_NATIVE, BENCH_TROUPE, BENCH_NODE, BENCH_RUNNERS };

/* One program under one runner. best_s < 0: no time (error says why). */
typedef struct bench_cell {
  double best_s;
  double best_cpu_s; /* best user + system time of the whole process (cross-check) */
  double spent_s;    /* wall time of its runs so far (the cell's budget) */
  int runs;       /* successful runs behind best_s */
  bool failed;
  bool mismatch; /* the checksum differed from native's: the suite fails */
  char checksum[128];
  char error[320];
} bench_cell;

typedef struct bench_prog {
  const char *name;
  bench_cell cell[BENCH_RUNNERS];
} bench_prog;

enum {
  BENCH_INST_MEDIAN,
  BENCH_INST_P99,
  BENCH_INST_LIVE_MINFLT,
  BENCH_RSS,
  BENCH_DATA_MEDIAN,
  BENCH_DATA_P99,
  BENCH_DATA_MINFLT,
  BENCH_SUSPEND,
  BENCH_MICRO_COUNT
};

/* The micro-benchmark names, as troupe-bench-micro prints them and as JSON rows. */
extern const char *const bench_micro_names[BENCH_MICRO_COUNT];

typedef struct bench_micro {
  double value[BENCH_MICRO_COUNT]; /* < 0: not measured (error says why) */
  char error[BENCH_MICRO_COUNT][320];
  double suspends;
} bench_micro;

typedef struct bench_cfg {
  const char *native_dir, *wasm_dir, *tmp_dir, *json_path;
  const char *troupe_runner, *troupe_error; /* the error replaces the runner when set */
  const char *node, *node_script, *node_error;
  const char *micro, *small_wasm, *spin_wasm, *data_wasm, *micro_error;
  int runs;
  double timeout_s, cell_budget_s, micro_timeout_s;
  double suite_deadline; /* monotonic seconds: past it, every cell makes a single run */
} bench_cfg;

/* A whole file as a NUL-terminated string (NULL if unreadable); free() it. */
char *bench_read_text(const char *path);

void bench_print_table(const bench_cfg *cfg, const bench_prog *progs, size_t n,
                       const bench_micro *micro, FILE *out);
/* Returns 0, or -1 if the file cannot be written. */
int bench_write_json(const bench_cfg *cfg, const bench_prog *progs, size_t n,
                     const bench_micro *micro);

#endif
