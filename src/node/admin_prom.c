/*
 * node/admin_prom.c: a node's metrics in the Prometheus text exposition format (0.0.4),
 * what the admin listener's GET /metrics answers (admin.c). It reads what the layers
 * below keep -- the actor runtime's per-worker counters and worker states, the broker's
 * counters, each component's snapshot and metrics (troupe_host_info,
 * troupe_host_metrics) -- at the moment of the scrape; nothing is kept here. Every
 * family has its HELP and TYPE; docs/OBSERVE.md explains each one.
 */
#include "node/ctl_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "troupe/admin.h"
#include "troupe/base.h"

typedef struct out {
  trN_buf b;
  bool oom;
} out;

static void put(out *o, const char *s) {
  if (!o->oom && trN_buf_puts(&o->b, s))
    o->oom = true;
}

static void putf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(out *o, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof line) {
    put(o, line);
    return;
  }
  char *big = malloc((size_t)n + 1); /* a long label value */
  if (!big) {
    o->oom = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  put(o, big);
  free(big);
}

static void family(out *o, const char *name, const char *type, const char *help) {
  putf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped, as the format wants. */
static char *label(const char *s) {
  if (!s)
    s = "";
  size_t n = strlen(s);
  char *v = malloc(2 * n + 1), *p = v;
  if (!v)
    return NULL;
  for (; *s; s++) {
    if (*s == '\\' || *s == '"' || *s == '\n') {
      *p++ = '\\';
      *p++ = *s == '\n' ? 'n' : *s;
    } else
      *p++ = *s;
  }
  *p = '\0';
  return v;
}

static void node_families(out *o, troupe_host *h, const char *node) {
  troupe_runtime *rt = troupe_host_runtime(h);
  troupe_runtime_stats rs;
  troupe_runtime_stats_get(rt, &rs);
  unsigned nw = troupe_runtime_workers(rt);
  troupe_worker_stats *ws = calloc(nw ? nw : 1, sizeof *ws);
  if (!ws) {
    o->oom = true;
    return;
  }
  troupe_runtime_worker_stats(rt, ws, nw);
  unsigned busy = 0;
  for (unsigned i = 0; i < nw; i++)
    busy += !ws[i].parked;
  family(o, "troupe_node_info", "gauge", "The node (always 1), its name as a label.");
  putf(o, "troupe_node_info{node=\"%s\"} 1\n", node);
  family(o, "troupe_workers", "gauge", "Worker threads of the node's runtime.");
  putf(o, "troupe_workers %u\n", nw);
  family(o, "troupe_workers_busy", "gauge",
         "Workers awake now (running actors or looking for work), not parked.");
  putf(o, "troupe_workers_busy %u\n", busy);
  family(o, "troupe_worker_parked_seconds_total", "counter",
         "Time a worker slept for want of work; 1 - rate() of it is the worker's busy share.");
  for (unsigned i = 0; i < nw; i++)
    putf(o, "troupe_worker_parked_seconds_total{worker=\"%u\"} %.6f\n", i,
         (double)ws[i].parked_ns / 1e9);
  family(o, "troupe_worker_run_queue", "gauge", "Actors queued to run on a worker now.");
  for (unsigned i = 0; i < nw; i++)
    putf(o, "troupe_worker_run_queue{worker=\"%u\"} %u\n", i, ws[i].queued);
  free(ws);

  static const struct {
    const char *name, *help;
    size_t off;
  } ctr[] = {
#define C(n, f, h) {n, h, offsetof(troupe_runtime_stats, f)}
      C("troupe_messages_sent_total", msgs_sent, "Messages accepted into a mailbox."),
      C("troupe_messages_received_total", msgs_received, "Messages handled or consumed."),
      C("troupe_messages_dropped_total", msgs_dropped,
        "Accepted messages thrown away: their target died or the id went stale."),
      C("troupe_messages_rejected_total", msgs_rejected,
        "Sends refused (mailbox full, no such actor, too large)."),
      C("troupe_asks_total", asks, "Asks made (request/reply)."),
      C("troupe_ask_timeouts_total", ask_timeouts, "Asks that timed out."),
      C("troupe_ask_failures_total", ask_failed, "Asks that failed (the target died)."),
      C("troupe_spawns_total", spawned, "Actors spawned (components and their supervisors)."),
      C("troupe_exits_total", exited, "Actors that exited, for any reason."),
      C("troupe_crashes_total", crashed, "Actors that exited abnormally."),
      C("troupe_timers_fired_total", timers_fired, "Timers that fired."),
#undef C
  };
  for (size_t i = 0; i < sizeof ctr / sizeof ctr[0]; i++) {
    family(o, ctr[i].name, "counter", ctr[i].help);
    putf(o, "%s %llu\n", ctr[i].name,
         (unsigned long long)*(const uint64_t *)(const void *)((const char *)&rs + ctr[i].off));
  }
  family(o, "troupe_actors", "gauge", "Live actors.");
  putf(o, "troupe_actors %llu\n", (unsigned long long)rs.live);

  troupe_broker_stats bs;
  troupe_broker_stats_get(troupe_host_broker(h), &bs);
  family(o, "troupe_broker_publishes_total", "counter", "Publishes that matched a subscriber.");
  putf(o, "troupe_broker_publishes_total %llu\n", (unsigned long long)bs.published);
  family(o, "troupe_broker_deliveries_total", "counter",
         "Published messages accepted into a subscriber's mailbox.");
  putf(o, "troupe_broker_deliveries_total %llu\n", (unsigned long long)bs.delivered);
  family(o, "troupe_broker_dropped_total", "counter",
         "Published messages not delivered, by reason.");
  putf(o, "troupe_broker_dropped_total{reason=\"mailbox_full\"} %llu\n",
       (unsigned long long)bs.dropped_full);
  putf(o, "troupe_broker_dropped_total{reason=\"no_process\"} %llu\n",
       (unsigned long long)bs.dropped_noproc);
  putf(o, "troupe_broker_dropped_total{reason=\"other\"} %llu\n",
       (unsigned long long)bs.dropped_other);
  family(o, "troupe_broker_subscriptions", "gauge", "Live subscriptions.");
  putf(o, "troupe_broker_subscriptions %llu\n", (unsigned long long)bs.subscriptions);
}

/* One component's snapshot, taken once per scrape for every family. */
typedef struct snap {
  char *lab; /* component="...",id="N" */
  troupe_component_info info;
  troupe_component_metrics m;
} snap;

typedef enum { F_U64, F_DBL } ftype;

static void comp_family(out *o, const snap *s, size_t n, const char *name, const char *type,
                        const char *help, size_t off, ftype t) {
  family(o, name, type, help);
  for (size_t i = 0; i < n; i++) {
    const char *p = (const char *)&s[i] + off;
    if (t == F_U64)
      putf(o, "%s{%s} %llu\n", name, s[i].lab,
           (unsigned long long)*(const uint64_t *)(const void *)p);
    else
      putf(o, "%s{%s} %.9g\n", name, s[i].lab, *(const double *)(const void *)p);
  }
}

static void component_families(out *o, troupe_host *h) {
  troupe_component_id *ids = NULL;
  size_t n = 0;
  if (troupe_host_list(h, &ids, &n, NULL)) {
    o->oom = true;
    return;
  }
  snap *s = calloc(n ? n : 1, sizeof *s);
  size_t k = 0;
  for (size_t i = 0; s && i < n; i++) {
    snap *x = &s[k];
    /* A component stopped between the list and here is left out. */
    if (troupe_host_info(h, ids[i], &x->info, NULL))
      continue;
    troupe_host_metrics(h, ids[i], &x->m, NULL);
    char *name = label(x->info.name), *mod = label(x->info.module_ref);
    char buf[64];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)x->info.id);
    size_t len = (name ? strlen(name) : 0) + strlen(buf) + 24;
    x->lab = name ? malloc(len) : NULL;
    if (x->lab)
      snprintf(x->lab, len, "component=\"%s\",id=\"%s\"", name, buf);
    free(name);
    free(mod);
    if (!x->lab) {
      troupe_component_info_clear(&x->info);
      o->oom = true;
      continue;
    }
    k++;
  }
  free(ids);
  if (!s) {
    o->oom = true;
    return;
  }
  family(o, "troupe_component_info", "gauge",
         "A component (always 1), with its module, state and health as labels.");
  for (size_t i = 0; i < k; i++) {
    char *mod = label(s[i].info.module_ref);
    putf(o, "troupe_component_info{%s,module=\"%s\",state=\"%s\",health=\"%s\"} 1\n",
         s[i].lab, mod ? mod : "", troupe_component_state_name(s[i].info.state),
         troupe_health_name(s[i].info.health));
    free(mod);
  }
#define M(f) offsetof(snap, m.f)
  comp_family(o, s, k, "troupe_component_messages_in_total", "counter",
              "Messages and invocations the component handled.", M(msgs_in), F_U64);
  comp_family(o, s, k, "troupe_component_messages_out_total", "counter",
              "Sends, asks, replies, publishes and invocation results it made.", M(msgs_out),
              F_U64);
  comp_family(o, s, k, "troupe_component_bytes_in_total", "counter",
              "Payload bytes of the messages and invocations it handled.", M(bytes_in), F_U64);
  comp_family(o, s, k, "troupe_component_bytes_out_total", "counter",
              "Payload bytes of what it sent.", M(bytes_out), F_U64);
  comp_family(o, s, k, "troupe_component_fuel_total", "counter",
              "Fuel (WebAssembly instructions, roughly) it used.", M(fuel_used), F_U64);
  comp_family(o, s, k, "troupe_component_traps_total", "counter",
              "Incarnations ended by a trap.", M(traps), F_U64);
#undef M
  family(o, "troupe_component_handler_seconds", "histogram",
         "Time a handler (handle-message, an invocation) ran on a worker, waits excluded.");
  for (size_t i = 0; i < k; i++) {
    for (unsigned b = 0; b < TROUPE_HANDLER_BUCKETS; b++) {
      double le = troupe_handler_bucket_bound(b);
      char les[32];
      if (isinf(le))
        snprintf(les, sizeof les, "+Inf");
      else
        snprintf(les, sizeof les, "%g", le);
      putf(o, "troupe_component_handler_seconds_bucket{%s,le=\"%s\"} %llu\n", s[i].lab, les,
           (unsigned long long)s[i].m.handler_le[b]);
    }
    putf(o, "troupe_component_handler_seconds_sum{%s} %.9g\n", s[i].lab, s[i].m.handler_seconds);
    putf(o, "troupe_component_handler_seconds_count{%s} %llu\n", s[i].lab,
         (unsigned long long)s[i].m.handler_count);
  }
  family(o, "troupe_component_restarts_total", "counter", "Times it was restarted.");
  for (size_t i = 0; i < k; i++)
    putf(o, "troupe_component_restarts_total{%s} %u\n", s[i].lab, s[i].info.restarts);
  family(o, "troupe_component_mailbox_depth", "gauge",
         "Messages waiting for it (queued, or held between incarnations).");
  for (size_t i = 0; i < k; i++)
    putf(o, "troupe_component_mailbox_depth{%s} %u\n", s[i].lab, s[i].info.mailbox_depth);
  family(o, "troupe_component_memory_bytes", "gauge", "Linear memory of its instance.");
  for (size_t i = 0; i < k; i++)
    putf(o, "troupe_component_memory_bytes{%s} %llu\n", s[i].lab,
         (unsigned long long)s[i].info.memory_bytes);
  for (size_t i = 0; i < k; i++) {
    free(s[i].lab);
    troupe_component_info_clear(&s[i].info);
  }
  free(s);
}

int troupe_admin_metrics_text(troupe_host *h, const char *node, char **text, size_t *len,
                              troupe_err *err) {
  if (!h || !text)
    return troupe_err_set(err, TROUPE_E_INVAL, "admin_metrics_text: host and out required");
  *text = NULL;
  out o = {0};
  char *nl = label(node ? node : "");
  if (!nl)
    return troupe_err_set(err, TROUPE_E_NOMEM, "metrics: out of memory");
  node_families(&o, h, nl);
  free(nl);
  component_families(&o, h);
  put(&o, ""); /* a NUL-terminated buffer even when nothing was written */
  if (o.oom) {
    trN_buf_free(&o.b);
    return troupe_err_set(err, TROUPE_E_NOMEM, "metrics: out of memory");
  }
  *text = o.b.p;
  if (len)
    *len = o.b.len;
  return TROUPE_OK;
}
