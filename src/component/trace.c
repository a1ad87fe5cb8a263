/*
 * component/trace.c: tracing, lite (docs/OBSERVE.md). Every message a component or the
 * host sends carries a troupe_trace: its chain and the span that sent it. A chain begins
 * at a send from outside any handler (the host's API, the control socket, the HTTP API,
 * or a handler of a message that carried none), where it is sampled at the host's rate
 * (troupe_host_config.trace_sample; `troupe run --trace-sample`). Each handler run --
 * handle-message, an invocation -- is a span: it takes its chain from the message that
 * started it and gets a new span id, which the messages it sends carry as their parent
 * (trP_run makes it the thread's current trace while the guest runs, so the broker's
 * envelopes carry it too). Replies need none: the asker's span goes on. When a sampled
 * span ends, one `span` record goes to the log; `troupe trace ID` puts a chain's
 * records back together as a tree.
 */
#include "component/comp.h"

#include <stdio.h>

/* A chain begins: a new id, no parent, sampled at the host's rate. */
static troupe_trace chain_new(const troupe_host *h) {
  return (troupe_trace){.id = troupe_trace_id_new(), .parent = 0,
                        .sampled = troupe_trace_sample(h->trace_sample)};
}

troupe_trace trP_trace_out(troupe_host *h) {
  troupe_trace t = troupe_trace_current();
  return t.id ? t : chain_new(h);
}

void trP_span_begin(trP_comp *c, troupe_trace in) {
  if (!in.id)
    in = chain_new(c->host);
  c->job_trace = in;
  /* Only a logged span needs an id: an unsampled chain's parents are never looked up. */
  c->job_span = in.sampled ? troupe_trace_id_new() : 0;
  c->job_outcome = "ok";
  c->job_wall_ns = in.sampled ? troupe_clock_wall_ns() : 0; /* a clock read only if logged */
}

static const char *kind_name(int kind) {
  static const char *const names[] = {"message", "ask",   "reply",      "ask-failed",
                                      "down",    "timer", "publication"};
  return kind >= 0 && kind < (int)TR_ARRAY_LEN(names) ? names[kind] : "message";
}

void trP_span_end(trP_comp *c) {
  if (!c->job_trace.sampled || (c->job != TRP_JOB_HANDLE && c->job != TRP_JOB_INVOKE))
    return;
  uint64_t end = troupe_clock_wall_ns();
  char trace[17], span[17], parent[17], handler[300], start[40];
  snprintf(trace, sizeof trace, "%016llx", (unsigned long long)c->job_trace.id);
  snprintf(span, sizeof span, "%016llx", (unsigned long long)c->job_span);
  snprintf(parent, sizeof parent, "%016llx", (unsigned long long)c->job_trace.parent);
  if (c->job == TRP_JOB_INVOKE)
    snprintf(handler, sizeof handler, "invoke %s", c->job_fn ? c->job_fn : "?");
  else if (c->job_kind == TRP_KIND_PUBLICATION && c->in_subject)
    snprintf(handler, sizeof handler, "publication %s", c->in_subject);
  else
    snprintf(handler, sizeof handler, "%s", kind_name(c->job_kind));
  troupe_clock_format_rfc3339(c->job_wall_ns, start, sizeof start);
  double run_us = (double)c->job_ticks / trB_ticks_per_us();
  troupe_log_field f[] = {
      TROUPE_LOG_STR("trace", trace),
      TROUPE_LOG_STR("span", span),
      TROUPE_LOG_STR("parent", c->job_trace.parent ? parent : ""),
      TROUPE_LOG_STR("handler", handler),
      TROUPE_LOG_STR("start", start),
      TROUPE_LOG_FLOAT("duration_us", (double)(end > c->job_wall_ns ? end - c->job_wall_ns : 0) / 1e3),
      TROUPE_LOG_FLOAT("run_us", c->metrics ? run_us : -1),
      TROUPE_LOG_STR("outcome", c->job_outcome ? c->job_outcome : "ok"),
  };
  trP_event(c->host, TROUPE_LOG_INFO, "span", c->rec, f, TR_ARRAY_LEN(f));
}
