/*
 * component/metrics.c: what troupe_host_metrics reports -- per component, messages and
 * bytes in and out, a histogram of handler times, traps, fuel -- and the histogram's
 * buckets. The counters live in the component's record (trP_stats, comp.h) and are
 * written only by the thread running its actor, so keeping them costs plain loads and
 * stores on lines the handler touches anyway; a handler's time is read from the tick
 * counter (trB_ticks: the TSC) around each slice in trP_run. The node layer renders
 * them for Prometheus (src/node/metrics_prom.c); docs/OBSERVE.md lists them.
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
  trP_stats *st = &c->rec->st;
  uint64_t t = c->job_ticks;
  const uint64_t *b = c->host->bucket_ticks;
  unsigned i = 0;
  while (i < TROUPE_HANDLER_BUCKETS - 1 && t > b[i])
    i++;
  trP_stat_add(&st->hist[i], 1);
  trP_stat_add(&st->handler_n, 1);
  trP_stat_add(&st->handler_ticks, t);
  c->job_ticks = 0;
}

int troupe_host_metrics(troupe_host *h, troupe_component_id id, troupe_component_metrics *out,
                        troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "host_metrics: out is NULL");
  memset(out, 0, sizeof *out);
  trP_rec *r = h ? trP_table_get(&h->table, id) : NULL;
  if (!r)
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no component %llu", (unsigned long long)id);
  const trP_stats *st = &r->st;
#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)
  out->msgs_in = LD(r->messages);
  out->bytes_in = LD(st->bytes_in);
  out->msgs_out = LD(st->msgs_out);
  out->bytes_out = LD(st->bytes_out);
  out->traps = LD(st->traps);
  out->fuel_used = LD(r->fuel);
  out->handler_seconds = (double)LD(st->handler_ticks) / (trB_ticks_per_us() * 1e6);
  uint64_t sum = 0;
  for (unsigned i = 0; i < TROUPE_HANDLER_BUCKETS; i++)
    out->handler_le[i] = sum += LD(st->hist[i]);
  /* The count is the histogram's total, read in the same pass: a reader racing the
   * writer still gets a histogram whose +Inf bucket equals its count. */
  out->handler_count = sum;
#undef LD
  trP_rec_unref(r);
  return TROUPE_OK;
}

troupe_broker *troupe_host_broker(troupe_host *h) { return h ? h->broker : NULL; }
