/*
 * component/metrics.c: what troupe_host_metrics reports -- per component, messages and
 * bytes in and out, a histogram of handler times, traps, fuel -- and the histogram's
 * buckets. The running incarnation counts in its own trP_comp (comp.h says why), written
 * only by the thread running its actor, so keeping them costs plain loads and stores on
 * lines the handler touches anyway; its counts go into the record's totals when it ends.
 * A handler's time is read from the tick counter (trB_ticks: the TSC) around each slice
 * in trP_run. The node layer renders them for Prometheus (src/node/admin_prom.c);
 * docs/OBSERVE.md lists them.
 */
#include "component/comp.h"

#include <math.h>

/* Decades split at 1 and 5, from 1 us to 1 s: a message handler in this runtime takes
 * from under a microsecond (an echo) to the fuel slice's tens of microseconds, and a
 * sliced or suspending one much longer. */
static const double bounds_s[TROUPE_HANDLER_BUCKETS - 1] = {
    1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2, 1e-1, 5e-1, 1.0};

double troupe_handler_bucket_bound(unsigned i) {
  if (i >= TROUPE_HANDLER_BUCKETS - 1)
    return INFINITY;
  return bounds_s[i];
}

void trP_metrics_init(troupe_host *h) {
  double per_us = trB_ticks_per_us();
  for (unsigned i = 0; i < TROUPE_HANDLER_BUCKETS - 1; i++)
    h->bucket_ticks[i] = (uint64_t)(bounds_s[i] * 1e6 * per_us);
}

void trP_metrics_job_end(trP_comp *c) {
  if (!c->metrics || (c->job != TRP_JOB_HANDLE && c->job != TRP_JOB_INVOKE))
    return;
  uint64_t t = c->job_ticks;
  const uint64_t *b = c->host->bucket_ticks;
  unsigned i = 0;
  while (i < TROUPE_HANDLER_BUCKETS - 1 && t > b[i])
    i++;
  trP_stat_add(&c->st.hist[i], 1); /* the count is the buckets' sum */
  trP_stat_add(&c->st.handler_ticks, t);
  c->job_ticks = 0;
}

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)
/* Each of from's counts added to into's (into is under the record's mu). */
static void add(trP_stats *into, const trP_stats *from) {
  const _Atomic uint64_t *f = &from->msgs_in;
  _Atomic uint64_t *t = &into->msgs_in;
  for (size_t i = 0; i < sizeof *from / sizeof(uint64_t); i++)
    atomic_store_explicit(&t[i], LD(t[i]) + LD(f[i]), memory_order_relaxed);
}
_Static_assert(sizeof(trP_stats) % sizeof(uint64_t) == 0 &&
               offsetof(trP_stats, msgs_in) == 0, "trP_stats: a run of uint64_t counters");
_Static_assert(offsetof(trP_comp, st) == 0 &&
                   offsetof(trP_stats, hist) + 2 * sizeof(uint64_t) <= 64,
               "trP_comp: the scalar counters and the first two buckets in line 0");

void trP_stats_read(trP_rec *r, trP_stats *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&r->mu);
  add(out, &r->tot);
  if (r->live) /* it folds and unhooks itself under mu before it is freed */
    add(out, &r->live->st);
  pthread_mutex_unlock(&r->mu);
}

void trP_stats_attach(trP_comp *c) {
  pthread_mutex_lock(&c->rec->mu);
  c->rec->live = c;
  pthread_mutex_unlock(&c->rec->mu);
}

void trP_stats_fold(trP_comp *c) {
  trP_rec *r = c->rec;
  pthread_mutex_lock(&r->mu);
  add(&r->tot, &c->st);
  if (r->live == c)
    r->live = NULL;
  pthread_mutex_unlock(&r->mu);
}

int troupe_host_metrics(troupe_host *h, troupe_component_id id, troupe_component_metrics *out,
                        troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "host_metrics: out is NULL");
  memset(out, 0, sizeof *out);
  trP_rec *r = h ? trP_table_get(&h->table, id) : NULL;
  if (!r)
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no component %llu", (unsigned long long)id);
  trP_stats s;
  trP_stats_read(r, &s);
  out->msgs_in = LD(s.msgs_in);
  out->bytes_in = LD(s.bytes_in);
  out->msgs_out = LD(s.msgs_out);
  out->bytes_out = LD(s.bytes_out);
  out->traps = LD(s.traps);
  out->fuel_used = LD(s.fuel);
  out->handler_seconds = (double)LD(s.handler_ticks) / (trB_ticks_per_us() * 1e6);
  uint64_t sum = 0;
  for (unsigned i = 0; i < TROUPE_HANDLER_BUCKETS; i++)
    out->handler_le[i] = sum += LD(s.hist[i]);
  out->handler_count = sum; /* the histogram's total: its +Inf bucket equals its count */
  trP_rec_unref(r);
  return TROUPE_OK;
}
