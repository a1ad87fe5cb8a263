/*
 * cli/cmd_ctl_logs.c: the control commands that watch a running node over time:
 * `troupe logs [-f] [NAME]` (the node's recent log records, and with -f the new ones as
 * they come, until interrupted or the node goes away) and `troupe top` (components
 * sorted by fuel per second, messages per second or memory: the rates come from two
 * `top` samples of the node's counters, an interval apart).
 */
#include "cmd_ctl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- logs ------------------------------------------------------------------------------ */

static const char logs_usage[] =
    "usage: troupe logs [-f] [NAME] [-n N] [--node NAME] [--json]\n"
    "\n"
    "Prints the node's recent log records (the last ones it keeps), or only those of\n"
    "component NAME, one per line: time, level, [component], event and fields. With -f\n"
    "(--follow) it then prints new records as they come, until interrupted or the node\n"
    "stops. -n N: only the last N records the node kept (before the NAME filter).\n"
    "--json prints each record as the node's JSON log line.\n"
    "\n" TRL_CTL_COMMON_HELP;

/* A string field, or "-". */
static const char *sv(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "-";
}

static void print_record(const char *line, bool json) {
  if (json) {
    puts(line);
    return;
  }
  json_t *r = json_loads(line, 0, NULL);
  if (!json_is_object(r)) {
    puts(line);
    json_decref(r);
    return;
  }
  const char *name = json_string_value(json_object_get(r, "name"));
  printf("%s %-5s %s%s%s%s", sv(r, "time"),
         sv(r, "level"), name && *name ? "[" : "",
         name && *name ? name : "", name && *name ? "] " : "",
         sv(r, "event"));
  const char *k;
  json_t *v;
  json_object_foreach(r, k, v) {
    if (!strcmp(k, "time") || !strcmp(k, "level") || !strcmp(k, "event") ||
        !strcmp(k, "name") || !strcmp(k, "component"))
      continue;
    if (json_is_string(v)) {
      printf(" %s=%s", k, json_string_value(v));
    } else if (json_is_real(v)) {
      printf(" %s=%g", k, json_real_value(v)); /* 1.10086, not 1.1008629969999999 */
    } else {
      char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
      printf(" %s=%s", k, t ? t : "?");
      free(t);
    }
  }
  putchar('\n');
  json_decref(r);
}

int trL_cmd_logs(int argc, char **argv) {
  trL_ctl o = {.op = "logs"};
  const char *name = NULL;
  bool follow = false;
  uint64_t lines = 0;
  bool has_lines = false;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(logs_usage, stdout);
      return TR_EXIT_OK;
    }
    int t = trL_ctl_common_opt(&o, argc, argv, &i);
    if (t < 0)
      return TR_EXIT_USAGE;
    if (t)
      continue;
    bool missing = false;
    const char *v;
    if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow")) {
      follow = true;
    } else if ((v = trL_opt_value(argc, argv, &i, "-n", &missing)) ||
               (!missing && (v = trL_opt_value(argc, argv, &i, "--lines", &missing)))) {
      if (!trL_ctl_count("-n", v, INT64_MAX, &lines))
        return TR_EXIT_USAGE;
      has_lines = true;
    } else if (missing) {
      trL_error("logs: %s needs a value", argv[i]);
      return TR_EXIT_USAGE;
    } else if (argv[i][0] == '-' || name) {
      trL_error("logs: unexpected '%s' (try 'troupe logs --help')", argv[i]);
      return TR_EXIT_USAGE;
    } else {
      name = argv[i];
    }
  }
  json_t *req = trL_ctl_req("logs");
  if (name)
    json_object_set_new(req, "name", json_string(name));
  if (has_lines)
    json_object_set_new(req, "lines", json_integer((json_int_t)lines));
  if (!follow) {
    json_t *resp;
    int status = trL_ctl_request(&o, req, 30000, &resp);
    if (status == TR_EXIT_OK) {
      size_t i;
      json_t *r;
      json_array_foreach(json_object_get(resp, "records"), i, r) {
        char *t = json_dumps(r, JSON_COMPACT);
        if (t)
          print_record(t, o.json);
        free(t);
      }
      json_decref(resp);
    }
    trL_ctl_close(&o);
    return status;
  }
  json_object_set_new(req, "follow", json_true());
  json_t *resp;
  int status = trL_ctl_request(&o, req, 30000, &resp); /* the header line */
  if (status != TR_EXIT_OK) {
    trL_ctl_close(&o);
    return status;
  }
  json_decref(resp);
  fflush(stdout);
  for (;;) {
    char *line = NULL;
    troupe_err err;
    troupe_err_clear(&err);
    if (troupe_ctl_read_line(o.c, &line, 0, &err)) {
      /* the node went away: what a follower expects to end it, besides ^C */
      trL_error("logs: %s", troupe_err_message(&err));
      break;
    }
    print_record(line, o.json);
    fflush(stdout);
    free(line);
  }
  trL_ctl_close(&o);
  return TR_EXIT_OK;
}

/* ---- top ------------------------------------------------------------------------------- */

static const char top_usage[] =
    "usage: troupe top [--once | -n N] [--interval MS] [--sort fuel|msgs|mem]\n"
    "                  [--node NAME] [--json]\n"
    "\n"
    "A refreshing view of the node's components: fuel spent per second (the CPU a\n"
    "component takes), messages handled per second, memory, state and restarts, sorted\n"
    "by fuel per second (--sort to change). Each view compares two samples --interval\n"
    "apart (default 1000 ms). It runs until interrupted; -n N stops after N views,\n"
    "--once after one (for scripts and tests). --json prints each view as one line:\n"
    "{\"node\":N,\"interval_ms\":I,\"components\":[{\"name\",\"id\",\"state\",\"fuel_per_s\",\n"
    "\"msgs_per_s\",\"memory_bytes\",\"restarts\",...}]}.\n"
    "\n" TRL_CTL_COMMON_HELP;

typedef struct top_row {
  json_t *c; /* borrowed from the second sample */
  double fuel_s, msgs_s;
  uint64_t mem;
} top_row;

static int sort_key; /* 0 fuel, 1 msgs, 2 mem: qsort has no user pointer */

static int cmp_rows(const void *a, const void *b) {
  const top_row *x = a, *y = b;
  double kx = sort_key == 0 ? x->fuel_s : sort_key == 1 ? x->msgs_s : (double)x->mem;
  double ky = sort_key == 0 ? y->fuel_s : sort_key == 1 ? y->msgs_s : (double)y->mem;
  return kx < ky ? 1 : kx > ky ? -1 : 0;
}

static uint64_t u64(const json_t *o, const char *k) {
  json_int_t v = json_integer_value(json_object_get(o, k));
  return v > 0 ? (uint64_t)v : 0;
}

static json_t *find_id(json_t *comps, uint64_t id) {
  size_t i;
  json_t *c;
  json_array_foreach(comps, i, c) if (u64(c, "id") == id) return c;
  return NULL;
}

static void sleep_ms(uint64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts)) {
  }
}

static void show(trL_ctl *o, json_t *a, json_t *b, bool clear) {
  json_t *ca = json_object_get(a, "components"), *cb = json_object_get(b, "components");
  double dt = (double)(u64(b, "sample_ns") - u64(a, "sample_ns")) / 1e9;
  if (dt <= 0)
    dt = 1e-9;
  size_t n = json_array_size(cb);
  top_row *rows = calloc(n ? n : 1, sizeof *rows);
  if (!rows)
    return;
  for (size_t i = 0; i < n; i++) {
    json_t *c = json_array_get(cb, i), *p = find_id(ca, u64(c, "id"));
    rows[i].c = c;
    rows[i].mem = u64(c, "memory_bytes");
    if (p) { /* counters only grow while the component lives; a new one has no rate */
      uint64_t f0 = u64(p, "fuel_used"), f1 = u64(c, "fuel_used");
      uint64_t m0 = u64(p, "messages"), m1 = u64(c, "messages");
      rows[i].fuel_s = f1 >= f0 ? (double)(f1 - f0) / dt : 0;
      rows[i].msgs_s = m1 >= m0 ? (double)(m1 - m0) / dt : 0;
    }
  }
  qsort(rows, n, sizeof *rows, cmp_rows);
  if (o->json) {
    json_t *out = json_object(), *arr = json_array();
    json_object_set_new(out, "node", json_string(troupe_ctl_client_node(o->c)));
    json_object_set_new(out, "interval_ms", json_integer((json_int_t)(dt * 1000 + 0.5)));
    for (size_t i = 0; i < n; i++) {
      json_t *r = json_deep_copy(rows[i].c);
      json_object_set_new(r, "fuel_per_s", json_real(rows[i].fuel_s));
      json_object_set_new(r, "msgs_per_s", json_real(rows[i].msgs_s));
      json_array_append_new(arr, r);
    }
    json_object_set_new(out, "components", arr);
    trL_ctl_print_json(out);
    json_decref(out);
  } else {
    if (clear)
      fputs("\033[H\033[2J", stdout);
    printf("node %s: %zu components, sorted by %s\n", troupe_ctl_client_node(o->c), n,
           sort_key == 0 ? "fuel/s" : sort_key == 1 ? "msgs/s" : "memory");
    printf("%-24s %5s %-11s %14s %10s %10s %8s\n", "NAME", "ID", "STATE", "FUEL/S", "MSGS/S",
           "MEMORY", "RESTARTS");
    for (size_t i = 0; i < n; i++) {
      char mem[32];
      json_t *c = rows[i].c;
      printf("%-24s %5" PRIu64 " %-11s %14.0f %10.1f %10s %8" PRIu64 "\n",
             sv(c, "name"), u64(c, "id"),
             sv(c, "state"), rows[i].fuel_s,
             rows[i].msgs_s, trL_ctl_bytes(rows[i].mem, mem, sizeof mem), u64(c, "restarts"));
    }
  }
  fflush(stdout);
  free(rows);
}

int trL_cmd_top(int argc, char **argv) {
  trL_ctl o = {.op = "top"};
  uint64_t iterations = 0, interval = 1000;
  sort_key = 0;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(top_usage, stdout);
      return TR_EXIT_OK;
    }
    int t = trL_ctl_common_opt(&o, argc, argv, &i);
    if (t < 0)
      return TR_EXIT_USAGE;
    if (t)
      continue;
    bool missing = false;
    const char *v;
    if (!strcmp(argv[i], "--once")) {
      iterations = 1;
    } else if ((v = trL_opt_value(argc, argv, &i, "-n", &missing))) {
      if (!trL_ctl_count("-n", v, INT64_MAX, &iterations) || iterations == 0) {
        if (iterations == 0)
          trL_error("top: -n must be at least 1");
        return TR_EXIT_USAGE;
      }
    } else if (!missing && (v = trL_opt_value(argc, argv, &i, "--interval", &missing))) {
      if (!trL_ctl_count("--interval", v, 3600000, &interval))
        return TR_EXIT_USAGE;
      if (interval == 0)
        interval = 1;
    } else if (!missing && (v = trL_opt_value(argc, argv, &i, "--sort", &missing))) {
      if (!strcmp(v, "fuel") || !strcmp(v, "cpu"))
        sort_key = 0;
      else if (!strcmp(v, "msgs"))
        sort_key = 1;
      else if (!strcmp(v, "mem") || !strcmp(v, "memory"))
        sort_key = 2;
      else {
        trL_error("top: --sort is fuel, msgs or mem, not '%s'", v);
        return TR_EXIT_USAGE;
      }
    } else if (missing) {
      trL_error("top: %s needs a value", argv[i]);
      return TR_EXIT_USAGE;
    } else {
      trL_error("top: unexpected '%s' (try 'troupe top --help')", argv[i]);
      return TR_EXIT_USAGE;
    }
  }
  bool clear = !o.json && iterations != 1 && isatty(STDOUT_FILENO);
  json_t *prev = NULL, *cur = NULL;
  int status = trL_ctl_request(&o, trL_ctl_req("top"), 30000, &prev);
  for (uint64_t k = 0; status == TR_EXIT_OK && (iterations == 0 || k < iterations); k++) {
    sleep_ms(interval);
    status = trL_ctl_request(&o, trL_ctl_req("top"), 30000, &cur);
    if (status != TR_EXIT_OK)
      break;
    show(&o, prev, cur, clear);
    json_decref(prev);
    prev = cur;
    cur = NULL;
  }
  json_decref(prev);
  trL_ctl_close(&o);
  return status;
}
