/*
 * report.c: `troupe-bench-component report`: merges the Troupe driver's and the Erlang
 * program's "row unit value" lines into the table bench/component/run prints (row,
 * unit, troupe, erlang, how many times better Troupe is, goal, met?) and
 * BUILD/bench/component.json (one object per row: name, unit, troupe, reference,
 * reference_name, + goal, error), the same shape as the engine and actor suites'.
 * A row missing on one side is null there. The node rows (node.c) have no Erlang side:
 * their reference is null (docs/BENCH-COMPONENT.md says why).
 */
#include "bench.h"
#include "../common/metrics_off.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct row_def {
  const char *name, *unit;
  double goal; /* < 0: none */
  bool higher_better;
  const char *note; /* shown after the table */
} row_def;

static const row_def defs[] = {
    {"spawn_us_median", "us", 5, false,
     "tiny (1 page) from the cached module, one troupe_host_spawn until Ready; erlang: "
     "spawn + the process's first message back"},
    {"spawn_us_p99", "us", 20, false, NULL},
    {"spawn_us_median_first1k", "us", -1, false,
     "the first 1,000 of those spawns alone (200-1,200 components live)"},
    {"spawn_minflt", "faults", -1, false, "minor page faults of the process per spawn"},
    {"spawn_churn_us_median", "us", -1, false,
     "spawn one (timed), stop it, spawn the next: each may reuse what the last freed; "
     "erlang: the same spawn, then stop it and wait for its DOWN"},
    {"spawn_churn_us_p99", "us", -1, false, NULL},
    {"spawn_churn_minflt", "faults", -1, false, "minor page faults per churn spawn"},
    {"component_idle_bytes", "bytes", 16384, false,
     "RSS growth / N at N = 100,000 tiny components (_start ran); erlang: "
     "memory(processes) growth / N"},
    {"component_idle_n", "count", -1, true,
     "N of that row: 100,000, or the count reached when a cap of the live attempt came first"},
    {"live_components", "count", 1e6, true,
     "spawned until 1M, the time cap, the RSS cap or a refusal (see the run's stderr)"},
    {"live_rss_bytes", "bytes", -1, false,
     "RSS at the end of that attempt (erlang: memory(total), at its own count)"},
    {"live_bytes_per_component", "bytes", -1, false, NULL},
    {"live_mappings", "count", -1, false, "lines of /proc/self/maps (vm.max_map_count 65,530)"},
    {"invoke_us_median", "us", 1, false,
     "troupe_host_invoke of `inc` (CBOR in, CBOR out) from the embedder's thread"},
    {"invoke_us_p99", "us", -1, false, NULL},
    {"ask_rtt_us_median", "us", 2, false,
     "wasm asker -> wasm echo -> reply, timed in the asker; erlang: gen_server:call"},
    {"ask_rtt_us_p99", "us", -1, false, NULL},
    {"wasm_msgs_per_s", "msgs/s", 3e6, true,
     "ring of 10,000 worker components, 1,000,000 hops through handle-message; median of 3"},
    {"wasm_best_msgs_per_s", "msgs/s", -1, true, "the best of the 3 (the machine is shared)"},
    {"restart_us_median", "us", 10, false,
     "trap -> restarted component's start tells the driver -> its ask answered; erlang: "
     "supervisor + gen_server"},
    {"restart_us_p99", "us", -1, false, NULL},
    {"fuel_slice_us", "us", -1, false,
     "one fuel slice (100,000) of the spinner, 1 worker: wall time / fuel spent"},
    {"fuel_slice_cpu_us", "us", -1, false, "the same per CPU second of the process"},
    {"echo_us_median_idle", "us", -1, false, "host ask of an echo, 1 worker, nothing else running"},
    {"echo_p99_us_idle", "us", -1, false, NULL},
    {"echo_us_median_with_spinner", "us", -1, false, "the same while a spinner shares the worker"},
    {"echo_p99_us_with_spinner", "us", -2, false,
     "goal: <= 2 x fuel_slice_us. Troupe asks after random 0-500 us pauses; erlang (+S 1): "
     "gen_server:call back to back"},
    {"echo_us_median_with_spinner_b2b", "us", -1, false,
     "troupe: asks back to back (each right after the previous reply)"},
    {"echo_p99_us_with_spinner_b2b", "us", -1, false, NULL},
    {"echo_us_median_with_spinner_here", "us", -1, false,
     "the paused asks again on a default host, whose asks run an idle echo on the asking "
     "thread (TROUPE_ASK_RUN_HERE); the rows above force the worker (no_run_here)"},
    {"echo_p99_us_with_spinner_here", "us", -1, false, NULL},
    {"node_start_ms", "ms", 200, false,
     "troupe_node_start of a manifest of 10,000 tiny components (store references into a "
     "SQLite store) under 10 supervisors, until every one is Ready; median of 5 fresh nodes"},
    {"manifest_load_ms", "ms", -1, false,
     "troupe_manifest_load (read, parse, check) of that 819 KiB manifest"},
    {"node_stop_ms", "ms", -1, false, "troupe_node_stop of that node (10,000 components)"},
    {"node_start_ms_signed", "ms", -1, false,
     "the same with tiny signed and the node trusting only that key (trusted_keys)"},
    {"node_start_ms_files", "ms", -1, false,
     "the same manifest naming the module by file path (`path:`, the --watch loop)"},
    {"manifest_load_ms_files", "ms", -1, false, "its load (checks that every file exists)"},
    {"control_rtt_us_median", "us", 100, false,
     "troupe_ctl_call of {\"op\":\"ask\"} to a wasm echo over the node's control socket, "
     "one connection"},
    {"control_rtt_us_p99", "us", -1, false, NULL},
    {"control_host_ask_us_median", "us", -1, false,
     "the ask alone, in process: troupe_host_ask of the same JSON from the driver's thread"},
    {"control_rtt_us_median_1worker", "us", -1, false,
     "the same, the node with 1 worker (no idle worker spinning beside client and server)"},
    {"control_rtt_us_p99_1worker", "us", -1, false, NULL},
    {"control_cli_ask_ms", "ms", -1, false,
     "`troupe ask echo JSON` run as a process, end to end (process start included)"},
    {"store_add_ms", "ms", 20, false,
     "troupe_sqlstore_add of a 1 MiB module (a 1 MiB data segment): compile, hash, one "
     "transaction (synchronous=FULL); fresh store file, new bytes each add"},
    {"store_add_ms_code", "ms", -1, false, "the same with a 1 MiB module of code (1,000 functions)"},
    {"store_add_ms_worker", "ms", -1, false, "the same with the 29 KB worker guest"},
    {"lang_c_echo_module_bytes", "bytes", -1, false,
     "the echo example in C (sdk/c), Rust (sdk/rust) and AssemblyScript "
     "(sdk/assemblyscript): its .wasm file"},
    {"lang_c_echo_spawn_us_median", "us", -1, false,
     "troupe_host_spawn of that echo until Ready (500 of them, kept alive)"},
    {"lang_c_echo_ask_rtt_us_median", "us", -1, false,
     "the C worker guest asking that echo, timed in the asker"},
    {"lang_rust_echo_module_bytes", "bytes", -1, false, NULL},
    {"lang_rust_echo_spawn_us_median", "us", -1, false, NULL},
    {"lang_rust_echo_ask_rtt_us_median", "us", -1, false, NULL},
    {"lang_as_echo_module_bytes", "bytes", -1, false, NULL},
    {"lang_as_echo_spawn_us_median", "us", -1, false, NULL},
    {"lang_as_echo_ask_rtt_us_median", "us", -1, false, NULL},
};
enum { NDEFS = sizeof defs / sizeof defs[0] };

typedef struct side {
  double v[NDEFS];    /* the mean of the row's runs */
  double best[NDEFS]; /* the best of them (the metrics comparison: noise only adds) */
} side;

static void load(const char *path, side *s) {
  for (int i = 0; i < NDEFS; i++)
    s->v[i] = s->best[i] = NAN;
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "bench-component: %s: no results\n", path);
    return;
  }
  char name[128], unit[32];
  double v;
  int n[NDEFS] = {0};
  /* A row measured more than once (the metrics comparison's A B B A runs): the mean. */
  while (fscanf(f, "%127s %31s %lf", name, unit, &v) == 3) {
    int i = 0;
    while (i < NDEFS && strcmp(defs[i].name, name))
      i++;
    if (i < NDEFS) {
      bmo_take(&s->v[i], &s->best[i], &n[i], v, defs[i].higher_better);
    } else
      fprintf(stderr, "bench-component: %s: unknown row %s\n", path, name);
  }
  fclose(f);
}

/* Rows whose two sides are not comparable (each side's own N). */
static bool no_ratio(const char *name) {
  return !strcmp(name, "live_rss_bytes") || !strcmp(name, "component_idle_n");
}

static int find(const char *name) {
  for (int i = 0; i < NDEFS; i++)
    if (!strcmp(defs[i].name, name))
      return i;
  return -1;
}

/* The goal of row i: a fixed one, or (-2) twice the measured fuel slice. */
static double goal_of(const side *t, int i) {
  if (defs[i].goal == -2) {
    double s = t->v[find("fuel_slice_us")];
    return isnan(s) ? -1 : 2 * s;
  }
  return defs[i].goal;
}

static const char *met(const side *t, int i) {
  double g = goal_of(t, i), v = t->v[i];
  if (g < 0 && defs[i].goal != -2)
    return "";
  if (isnan(v) || g < 0)
    return "n/a";
  return (defs[i].higher_better ? v >= g : v <= g) ? "yes" : "NO";
}

static void fmt(char *buf, size_t cap, double v) {
  if (isnan(v))
    snprintf(buf, cap, "-");
  else if (v >= 1e9) /* not 3.42e+03M */
    snprintf(buf, cap, "%.3gG", v / 1e9);
  else if (v >= 1e5)
    snprintf(buf, cap, "%.3gM", v / 1e6);
  else if (v >= 1e3) /* not 1.28e+03 */
    snprintf(buf, cap, "%.0f", v);
  else
    snprintf(buf, cap, "%.3g", v);
}

static void json_num(FILE *f, double v) {
  if (isnan(v))
    fputs("null", f);
  else
    fprintf(f, "%.6g", v);
}

int tbc_report(const char *troupe_path, const char *erlang_path, const char *json_path,
               const char *off_path) {
  side t, e, o;
  load(troupe_path, &t);
  load(erlang_path, &e);
  for (int i = 0; i < NDEFS; i++)
    o.v[i] = o.best[i] = NAN;
  if (off_path)
    load(off_path, &o);
  printf("%-32s %-7s %10s %10s %9s %9s %s\n", "row", "unit", "troupe", "erlang", "x erlang",
         "goal", "met?");
  for (int i = 0; i < NDEFS; i++) {
    const row_def *d = &defs[i];
    char tv[32], ev[32], gv[32] = "", rv[32] = "-";
    fmt(tv, sizeof tv, t.v[i]);
    fmt(ev, sizeof ev, e.v[i]);
    double g = goal_of(&t, i);
    if (g >= 0) {
      char gs[24];
      fmt(gs, sizeof gs, g);
      snprintf(gv, sizeof gv, "%s%s", d->higher_better ? ">=" : "<=", gs);
    }
    if (!no_ratio(d->name) && !isnan(t.v[i]) && !isnan(e.v[i]) && t.v[i] > 0 && e.v[i] > 0)
      snprintf(rv, sizeof rv, "%.2f", d->higher_better ? t.v[i] / e.v[i] : e.v[i] / t.v[i]);
    printf("%-32s %-7s %10s %10s %9s %9s %s\n", d->name, d->unit, tv, ev, rv, gv, met(&t, i));
  }
  printf("x erlang: how many times better Troupe is (erlang/troupe for times and bytes,\n"
         "troupe/erlang for rates and counts). Notes:\n");
  for (int i = 0; i < NDEFS; i++)
    if (defs[i].note)
      printf("  %-26s %s\n", defs[i].name, defs[i].note);
  if (off_path)
    BMO_PRINT(defs, NDEFS, t.best, o.best);

  FILE *f = fopen(json_path, "w");
  if (!f) {
    perror(json_path);
    return 1;
  }
  fputs("[\n", f);
  for (int i = 0; i < NDEFS; i++) {
    fprintf(f, "  {\"name\": \"%s\", \"unit\": \"%s\", \"troupe\": ", defs[i].name, defs[i].unit);
    json_num(f, t.v[i]);
    fputs(", \"reference\": ", f);
    json_num(f, e.v[i]);
    fputs(", \"reference_name\": \"erlang/otp 25\"", f);
    double g = goal_of(&t, i);
    if (g >= 0)
      fprintf(f, ", \"goal\": %.6g", g);
    bmo_json(f, o.v[i], t.best[i], o.best[i], defs[i].higher_better);
    if (isnan(t.v[i]))
      fputs(", \"error\": \"not measured on the troupe side (see the run's output)\"", f);
    fprintf(f, "}%s\n", i + 1 < NDEFS ? "," : "");
  }
  fputs("]\n", f);
  int bad = ferror(f);
  if (fclose(f) || bad) {
    fprintf(stderr, "bench-component: cannot write %s\n", json_path);
    return 1;
  }
  return 0;
}
