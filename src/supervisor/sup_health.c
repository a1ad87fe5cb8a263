/*
 * supervisor/sup_health.c: periodic health checks (beyond OTP). For a child whose spec sets
 * health_interval_ms, the supervisor sends itself a tick after each interval, asks the
 * child (the core's health question, TROUPE_TAG_HEALTH in include/troupe/actor.h),
 * writes the answer to the registry (which emits actor.health when it changes) and,
 * after health_threshold consecutive Unhealthy answers or missing answers, stops the
 * child and treats it as crashed, so the strategy and the intensity apply as usual.
 */
#include "supervisor/sup.h"

#include <stdio.h>

int trS_tick_after(trS_sup *s, int op, trS_child *c, uint64_t delay_ns) {
  trS_tick t = {.op = op, .gen = c->gen, .child = c, .serial = c->serial};
  troupe_send_args a = {.from = s->me, .to = s->me, .tag = TROUPE_SUP_TAG_TICK,
                        .flags = TROUPE_SEND_SYSTEM, .data = &t, .len = sizeof t};
  /* No handle: a tick that outlives its child finds the serial or gen changed. */
  return troupe_send_after(s->rt, &a, delay_ns, NULL);
}

void trS_health_arm(trS_sup *s, trS_child *c) {
  c->unhealthy_run = 0;
  c->health = TROUPE_HEALTH_UNKNOWN;
  if (c->spec.health_interval_ms)
    trS_tick_after(s, TRS_OP_HEALTH, c, (uint64_t)c->spec.health_interval_ms * 1000000u);
}

void trS_health_forget(trS_sup *s, trS_child *c) {
  if (c->health_corr) {
    trS_map_del(&s->by_corr, c->health_corr);
    c->health_corr = 0; /* a late answer finds no record */
  }
  c->unhealthy_run = 0;
}

static void record(trS_sup *s, trS_child *c, troupe_health h, const char *reason) {
  c->health = h;
  troupe_registry_set_health(s->rt, c->pid, h, reason);
  if (h != TROUPE_HEALTH_UNHEALTHY) {
    c->unhealthy_run = 0;
  } else {
    uint32_t threshold = c->spec.health_threshold ? c->spec.health_threshold : 3;
    if (++c->unhealthy_run >= threshold) {
      char msg[TROUPE_ERR_MSG_MAX];
      snprintf(msg, sizeof msg, "unhealthy: %s", reason && reason[0] ? reason : "no reason");
      c->unhealthy_run = 0;
      /* Queued: the pump starts the stop-then-restart job once the supervisor is idle. */
      trS_enqueue(s, TRS_OP_UNHEALTHY, c, TROUPE_EXIT_CRASH, TROUPE_E_CRASHED, msg, NULL);
      return; /* no further checks for this incarnation */
    }
  }
  trS_tick_after(s, TRS_OP_HEALTH, c, (uint64_t)c->spec.health_interval_ms * 1000000u);
}

void trS_health_tick(trS_sup *s, trS_child *c, uint32_t gen) {
  if (c->gen != gen || c->state != TRS_CH_RUNNING || c->health_corr || !c->pid)
    return;
  uint64_t tmo = c->spec.health_timeout_ms ? c->spec.health_timeout_ms
                                           : c->spec.health_interval_ms;
  uint64_t corr = 0;
  troupe_err e;
  troupe_err_clear(&e);
  int rc = troupe_ask_async(s->self, c->pid, TROUPE_TAG_HEALTH, NULL, 0, tmo * 1000000u,
                            &corr, &e);
  if (rc == TROUPE_OK && trS_map_put(&s->by_corr, corr, c) == TROUPE_OK) {
    c->health_corr = corr;
    return;
  }
  if (rc == TROUPE_OK) { /* out of memory for the map: the answer will be ignored */
    record(s, c, TROUPE_HEALTH_UNKNOWN, "out of memory");
    return;
  }
  char why[TROUPE_ERR_MSG_MAX + 32];
  snprintf(why, sizeof why, "health check not sent: %s", troupe_strerror(rc));
  record(s, c, TROUPE_HEALTH_UNHEALTHY, why);
}

void trS_health_result(trS_sup *s, uint64_t corr, int status, const void *data, size_t len) {
  trS_child *c = trS_map_del(&s->by_corr, corr);
  if (!c)
    return;
  c->health_corr = 0;
  if (c->state != TRS_CH_RUNNING)
    return;
  if (status != TROUPE_OK) {
    record(s, c, TROUPE_HEALTH_UNHEALTHY,
           status == TROUPE_E_TIMEOUT ? "no answer to the health check" : troupe_strerror(status));
    return;
  }
  const unsigned char *p = data;
  if (len < 1 || p[0] < TROUPE_HEALTH_HEALTHY || p[0] > TROUPE_HEALTH_UNHEALTHY) {
    record(s, c, TROUPE_HEALTH_UNHEALTHY, "malformed health answer");
    return;
  }
  char reason[TROUPE_ERR_MSG_MAX];
  size_t n = TR_MIN(len - 1, sizeof reason - 1);
  memcpy(reason, p + 1, n);
  reason[n] = '\0';
  record(s, c, (troupe_health)p[0], n ? reason : NULL);
}
