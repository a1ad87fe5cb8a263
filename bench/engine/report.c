/*
 * report.c: the output of `make bench-engine` -- the table on stdout and the JSON array
 * (jansson) that tracks the goals: one object per figure, {"name", "unit",
 * "troupe", "reference", "reference_name"} (+ "goal" and "error" where they apply).
 * docs/BENCH-ENGINE.md explains every row.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

const char *const bench_micro_names[BENCH_MICRO_COUNT] = {
    "instantiate_us_median",      "instantiate_us_p99",      "instantiate_live_minflt",
    "instance_rss_bytes",         "instantiate_data_us_median", "instantiate_data_us_p99",
    "instantiate_minflt",         "suspend_resume_ns"};

static const char *const micro_units[BENCH_MICRO_COUNT] = {"us", "us", "faults", "bytes",
                                                           "us", "us", "faults", "ns"};
static const char *const micro_titles[BENCH_MICRO_COUNT] = {
    "instantiate 1-page module, median (us)",    "instantiate 1-page module, p99 (us)",
    "  page faults per instantiation",           "resident memory per live instance (bytes)",
    "spawn + free, data segment, median (us)",   "spawn + free, data segment, p99 (us)",
    "  page faults per spawn + free",            "fuel-out suspend + resume (ns)"};
/* < 0: no goal. The spawn median's is wasm3's figure in the engine issue (#10). */
static const double micro_goals[BENCH_MICRO_COUNT] = {2, 10, -1, 16384, 2.5, 10, -1, 100};
static const int micro_decimals[BENCH_MICRO_COUNT] = {2, 2, 2, 0, 2, 2, 2, 2};
static const double geomean_goal = 8;

/* Geometric mean of runner/native over the programs where both have a time (wall time
 * as measured, or the processes' CPU time when cpu is set). */
static double geomean_ratio(const bench_prog *progs, size_t n, int runner, bool cpu,
                            size_t *count) {
  double log_sum = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const bench_cell *c = &progs[i].cell[runner], *nat = &progs[i].cell[BENCH_NATIVE];
    if (c->best_s <= 0 || nat->best_s <= 0) continue;
    double t = cpu ? c->best_cpu_s : c->best_s, base = cpu ? nat->best_cpu_s : nat->best_s;
    if (t <= 0 || base <= 0) continue;
    log_sum += log(t / base);
    k++;
  }
  *count = k;
  return k ? exp(log_sum / (double)k) : -1;
}

static void print_time(FILE *out, const bench_cell *c, const bench_cell *native, int runs) {
  /* native (no ratio column) when native is NULL */
  if (c->best_s < 0) {
    fprintf(out, " %10s", c->mismatch ? "MISMATCH" : "error");
    if (native) fprintf(out, " %9s", "-");
    return;
  }
  fprintf(out, " %9.3f%s", c->best_s, c->runs < runs ? "*" : " ");
  if (native && native->best_s > 0) fprintf(out, " %8.2fx", c->best_s / native->best_s);
  else if (native) fprintf(out, " %9s", "-");
}

static void print_geomeans(FILE *out, const char *title, double troupe, double node) {
  fprintf(out, "%-12s %10s %10s", title, "", "");
  if (troupe > 0) fprintf(out, " %8.2fx", troupe);
  else fprintf(out, " %9s", "-");
  fprintf(out, " %10s", "");
  if (node > 0) fprintf(out, " %8.2fx", node);
  else fprintf(out, " %9s", "-");
}

void bench_print_table(const bench_cfg *cfg, const bench_prog *progs, size_t n,
                       const bench_micro *micro, FILE *out) {
  fprintf(out, "\nTroupe engine benchmarks: best of %d runs, seconds; wasm runners time "
               "compile + instantiate + run\n\n", cfg->runs);
  char *load = bench_read_text("/proc/loadavg");
  if (load) {
    load[strcspn(load, "\n")] = '\0';
    fprintf(out, "machine: %ld CPUs, load average now (1, 5, 15 min, ...): %s\n\n",
            sysconf(_SC_NPROCESSORS_ONLN), load);
    free(load);
  }
  fprintf(out, "%-12s %10s %10s %9s %10s %9s\n", "program", "native", "troupe", "x native",
          "node", "x native");
  bool short_cells = false;
  for (size_t i = 0; i < n; i++) {
    const bench_prog *p = &progs[i];
    fprintf(out, "%-12s", p->name);
    print_time(out, &p->cell[BENCH_NATIVE], NULL, cfg->runs);
    print_time(out, &p->cell[BENCH_TROUPE], &p->cell[BENCH_NATIVE], cfg->runs);
    print_time(out, &p->cell[BENCH_NODE], &p->cell[BENCH_NATIVE], cfg->runs);
    fputc('\n', out);
    for (int r = 0; r < BENCH_RUNNERS; r++)
      if (p->cell[r].best_s >= 0 && p->cell[r].runs < cfg->runs) short_cells = true;
  }
  size_t kt = 0, kn = 0;
  double gt = geomean_ratio(progs, n, BENCH_TROUPE, false, &kt);
  double gn = geomean_ratio(progs, n, BENCH_NODE, false, &kn);
  print_geomeans(out, "geomean", gt, gn);
  fprintf(out, "   (goal: troupe <= %.0fx native)\n", geomean_goal);
  size_t kc = 0;
  double ct = geomean_ratio(progs, n, BENCH_TROUPE, true, &kc);
  double cn = geomean_ratio(progs, n, BENCH_NODE, true, &kc);
  if (ct > 0 || cn > 0) {
    print_geomeans(out, "geomean cpu", ct, cn);
    fprintf(out, "   (cross-check: whole-process user+system time)\n");
  }
  if (kt < n && kt > 0) fprintf(out, "  troupe geomean over %zu of %zu programs\n", kt, n);
  if (kn < n && kn > 0) fprintf(out, "  node geomean over %zu of %zu programs\n", kn, n);
  if (short_cells)
    fprintf(out, "  * fewer than %d runs: the cell hit its time budget (%.0f s per cell, or the "
                 "suite's)\n", cfg->runs, cfg->cell_budget_s);

  fprintf(out, "\n%-44s %12s %10s\n", "micro-benchmark", "troupe", "goal");
  for (int i = 0; i < BENCH_MICRO_COUNT; i++) {
    fprintf(out, "%-44s", micro_titles[i]);
    if (micro->value[i] >= 0) fprintf(out, " %12.*f", micro_decimals[i], micro->value[i]);
    else fprintf(out, " %12s", "error");
    if (micro_goals[i] < 0) {
      fprintf(out, " %10s\n", "-");
      continue;
    }
    fprintf(out, " %7s%g %s\n", "<= ", micro_goals[i],
            micro->value[i] >= 0 ? (micro->value[i] <= micro_goals[i] ? "met" : "MISSED") : "");
  }
  if (micro->suspends > 0)
    fprintf(out, "  (suspend + resume: %.0f suspensions in slices of 20 fuel units)\n",
            micro->suspends);

  bool any = false;
  static const char *const runner_names[BENCH_RUNNERS] = {"native", "troupe", "node"};
  for (size_t i = 0; i < n; i++)
    for (int r = 0; r < BENCH_RUNNERS; r++)
      if (progs[i].cell[r].best_s < 0) {
        if (!any) fprintf(out, "\nerrors:\n");
        any = true;
        fprintf(out, "  %s on %s: %s\n", progs[i].name, runner_names[r], progs[i].cell[r].error);
      }
  for (int i = 0; i < BENCH_MICRO_COUNT; i++)
    if (micro->value[i] < 0) {
      if (!any) fprintf(out, "\nerrors:\n");
      any = true;
      fprintf(out, "  %s: %s\n", bench_micro_names[i], micro->error[i]);
    }
}

static json_t *num_or_null(double v) { return v >= 0 ? json_real(v) : json_null(); }

static int add_row(json_t *rows, const char *name, const char *unit, double troupe,
                   double reference, const char *reference_name, double goal, const char *error) {
  json_t *o = json_object();
  if (!o) return -1;
  json_object_set_new(o, "name", json_string(name));
  json_object_set_new(o, "unit", json_string(unit));
  json_object_set_new(o, "troupe", num_or_null(troupe));
  json_object_set_new(o, "reference", num_or_null(reference));
  json_object_set_new(o, "reference_name", json_string(reference_name));
  if (goal >= 0) json_object_set_new(o, "goal", json_real(goal));
  if (error && error[0]) json_object_set_new(o, "error", json_string(error));
  return json_array_append_new(rows, o);
}

int bench_write_json(const bench_cfg *cfg, const bench_prog *progs, size_t n,
                     const bench_micro *micro) {
  json_t *rows = json_array();
  if (!rows) return -1;
  size_t kt = 0, kn = 0;
  double gt = geomean_ratio(progs, n, BENCH_TROUPE, false, &kt);
  double gn = geomean_ratio(progs, n, BENCH_NODE, false, &kn);
  char note[160] = "";
  if (kt < n) snprintf(note, sizeof note, "troupe ran %zu of %zu programs", kt, n);
  int rc = add_row(rows, "geomean_ratio_native", "x", gt, gn, "node", geomean_goal, note);
  double ct = geomean_ratio(progs, n, BENCH_TROUPE, true, &kt);
  double cn = geomean_ratio(progs, n, BENCH_NODE, true, &kn);
  if (rc == 0)
    rc = add_row(rows, "geomean_ratio_native_cpu", "x", ct, cn, "node", geomean_goal, note);
  for (int i = 0; i < BENCH_MICRO_COUNT && rc == 0; i++)
    rc = add_row(rows, bench_micro_names[i], micro_units[i], micro->value[i], micro_goals[i],
                 micro_goals[i] < 0 ? "none" : "goal", micro_goals[i], micro->error[i]);
  for (size_t i = 0; i < n && rc == 0; i++) {
    const bench_prog *p = &progs[i];
    char name[128];
    snprintf(name, sizeof name, "%s_s", p->name);
    rc = add_row(rows, name, "s", p->cell[BENCH_TROUPE].best_s, p->cell[BENCH_NATIVE].best_s,
                 "native gcc -O2", -1, p->cell[BENCH_TROUPE].error);
    snprintf(name, sizeof name, "%s_node_s", p->name);
    if (rc == 0)
      rc = add_row(rows, name, "s", p->cell[BENCH_NODE].best_s, p->cell[BENCH_NATIVE].best_s,
                   "native gcc -O2", -1, p->cell[BENCH_NODE].error);
  }
  if (rc == 0) rc = json_dump_file(rows, cfg->json_path, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
  json_decref(rows);
  return rc == 0 ? 0 : -1;
}
