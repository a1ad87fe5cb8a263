/*
 * report.c: `troupe-bench-actor report`: merges the Troupe driver's and the Erlang
 * program's "row unit value" lines into the table bench/actor/run prints (row, unit,
 * troupe, erlang, how many times better Troupe is, goal, met?) and BUILD/bench/actor.json
 * (one object per row: name, unit, troupe, reference, reference_name, + goal, error),
 * the same shape as the engine suite's. A row missing on one side is null there.
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
    {"spawn_us", "us", 0.25, false, 
     "per actor, 1,000,000 spawned, until every init ran; median of 3"},
    {"spawn_cold_us", "us", -1, false, "the first 1M run (fresh process)"},
    {"spawn_in_actor_us", "us", -1, false,
     "the 1M spawns made by an actor; erlang: the same value as spawn_us"},
    {"spawn_us_100k", "us", -1, false, "at 100,000 actors (median of 3)"},
    {"spawn_cold_us_100k", "us", -1, false, NULL},
    {"exit_us_100k", "us", -1, false, NULL},
    {"exit_us", "us", -1, false, "per actor: tell 1M idle actors to stop, until all gone"},
    {"idle_actor_bytes", "bytes", 256, false, 
     "RSS growth / N (erlang: memory(processes) growth / N)"},
    {"pingpong_rtt_us", "us", 0.25, false, "median of every round trip"},
    {"pingpong_rtt_p99_us", "us", -1, false, NULL},
    {"ring_msgs_per_s", "msgs/s", 15e6, true, "10,000 actors, one token, 1,000,000 hops"},
    {"ring_best_msgs_per_s", "msgs/s", -1, true, "the best of the runs (the machine is shared)"},
    {"fanin_msgs_per_s", "msgs/s", 10e6, true, "8 senders x 250,000 to 1 receiver"},
    {"fanin_best_msgs_per_s", "msgs/s", -1, true, NULL},
    {"m2m_msgs_per_s", "msgs/s", -1, true, 
     "1,000 actors, each sends one message to every actor"},
    {"ask_rtt_us", "us", 0.5, false, "actor to actor; erlang: gen_server:call"},
    {"ask_rtt_p99_us", "us", -1, false, NULL},
    {"ask_external_rtt_us", "us", -1, false, "blocking troupe_ask from a non-actor thread"},
    {"restart_p50_us", "us", 3, false, 
     "crash -> restarted child answers, 7 fresh supervisors x 100 crashes"},
    {"restart_p99_us", "us", -1, false, NULL},
    {"restart_p50_us_10k", "us", 3, false, 
     "one supervisor, 10,000 crashes; goal also <= 1.25 x the 100-crash p50"},
    {"restart_p99_us_10k", "us", -1, false, NULL},
    {"broker_fanout_msgs_per_s", "msgs/s", -1, true, 
     "1,000 subscribers; erlang: send to each pid of a list"},
    {"timer_lateness_us_p50", "us", -1, false,
     "ask timeout -> asker's handler, minus the deadline; 16 askers x 1,000 busy responders"},
    {"timer_lateness_us_p99", "us", 1000, false,
     "goal: timeouts within about a millisecond of their deadline under load"},
    {"timer_lateness_us_max", "us", -1, false, NULL},
};
enum { NDEFS = sizeof defs / sizeof defs[0] };

typedef struct side {
  double v[NDEFS];    /* the mean of the row's runs */
  double best[NDEFS]; /* the best of them (the metrics comparison: noise only adds) */
} side;

/* Missing file or row: NAN. Unknown rows are ignored (listed on stderr). */
static void load(const char *path, side *s) {
  for (int i = 0; i < NDEFS; i++)
    s->v[i] = s->best[i] = NAN;
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "bench-actor: %s: no results\n", path);
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
      fprintf(stderr, "bench-actor: %s: unknown row %s\n", path, name);
  }
  fclose(f);
}

static int find(const char *name) {
  for (int i = 0; i < NDEFS; i++)
    if (!strcmp(defs[i].name, name))
      return i;
  return -1;
}

/* "yes", "no" or "" (no goal / not measured). */
static const char *met(const side *t, int i) {
  const row_def *d = &defs[i];
  double v = t->v[i];
  if (d->goal < 0 || isnan(v))
    return isnan(v) && d->goal >= 0 ? "n/a" : "";
  bool ok = d->higher_better ? v >= d->goal : v <= d->goal;
  if (!strcmp(d->name, "restart_p50_us_10k")) {
    double small = t->v[find("restart_p50_us")];
    ok = ok && !isnan(small) && v <= 1.25 * small;
  }
  return ok ? "yes" : "NO";
}

static void fmt(char *buf, size_t cap, double v) {
  if (isnan(v))
    snprintf(buf, cap, "-");
  else if (v >= 1e5)
    snprintf(buf, cap, "%.3gM", v / 1e6);
  else
    snprintf(buf, cap, "%.3g", v);
}

static void json_num(FILE *f, double v) {
  if (isnan(v))
    fputs("null", f);
  else
    fprintf(f, "%.6g", v);
}

int bab_report(const char *troupe_path, const char *erlang_path, const char *json_path,
               const char *off_path) {
  side t, e, o;
  load(troupe_path, &t);
  load(erlang_path, &e);
  for (int i = 0; i < NDEFS; i++)
    o.v[i] = o.best[i] = NAN;
  if (off_path)
    load(off_path, &o);
  printf("%-26s %-7s %10s %10s %9s %8s %s\n", "row", "unit", "troupe", "erlang", "x erlang",
         "goal", "met?");
  for (int i = 0; i < NDEFS; i++) {
    const row_def *d = &defs[i];
    char tv[32], ev[32], gv[32] = "", rv[32] = "-";
    fmt(tv, sizeof tv, t.v[i]);
    fmt(ev, sizeof ev, e.v[i]);
    if (d->goal >= 0) {
      char g[24];
      fmt(g, sizeof g, d->goal);
      snprintf(gv, sizeof gv, "%s%s", d->higher_better ? ">=" : "<=", g);
    }
    if (!isnan(t.v[i]) && !isnan(e.v[i]) && t.v[i] > 0 && e.v[i] > 0)
      snprintf(rv, sizeof rv, "%.2f", d->higher_better ? t.v[i] / e.v[i] : e.v[i] / t.v[i]);
    printf("%-26s %-7s %10s %10s %9s %8s %s\n", d->name, d->unit, tv, ev, rv, gv, met(&t, i));
  }
  printf("x erlang: how many times better Troupe is (erlang/troupe for times and bytes,\n"
         "troupe/erlang for rates). Notes:\n");
  for (int i = 0; i < NDEFS; i++)
    if (defs[i].note)
      printf("  %-24s %s\n", defs[i].name, defs[i].note);
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
    if (defs[i].goal >= 0)
      fprintf(f, ", \"goal\": %.6g", defs[i].goal);
    bmo_json(f, o.v[i], t.best[i], o.best[i], defs[i].higher_better);
    if (isnan(t.v[i]))
      fputs(", \"error\": \"not measured on the troupe side (see the run's output)\"", f);
    fprintf(f, "}%s\n", i + 1 < NDEFS ? "," : "");
  }
  fputs("]\n", f);
  int bad = ferror(f);
  if (fclose(f) || bad) {
    fprintf(stderr, "bench-actor: cannot write %s\n", json_path);
    return 1;
  }
  return 0;
}
