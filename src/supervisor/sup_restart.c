/*
 * supervisor/sup_restart.c: what a supervisor does when a child's process ends on its own:
 * the restart type decides whether to restart (OTP's do_restart), the intensity
 * (sup_intensity.c) decides whether it may, the strategy decides which siblings go
 * down and come back, and auto_shutdown decides whether a significant child's end
 * ends the supervisor. Opt-in backoff delays a restart without changing the counting.
 */
#include "supervisor/sup.h"

static void escalate(trS_sup *s, trS_child *c) {
  troupe_log_field f[] = {TROUPE_LOG_UINT("intensity", s->cfg.intensity),
                          TROUPE_LOG_UINT("period_ms", s->cfg.period_ms),
                          TROUPE_LOG_UINT("total_restarts", s->total_restarts)};
  trS_event(s, TROUPE_LOG_ERROR, "actor.escalated", s->me, c, f, 3);
  trS_begin_shutdown(s, TROUPE_EXIT_SHUTDOWN, 0, "reached max restart intensity");
}

/* Build and start the strategy's job for restarting c (the restart is counted). */
void trS_restart(trS_sup *s, trS_child *c) {
  trS_job *j = &s->job;
  j->nstop = j->nstart = 0;
  bool oom = false;
  switch (s->cfg.strategy) {
  case TROUPE_ONE_FOR_ALL:
  case TROUPE_REST_FOR_ONE: {
    size_t from = s->cfg.strategy == TROUPE_ONE_FOR_ALL ? 0 : c->pos;
    for (size_t i = s->nkids; i-- > from;)
      if (s->kids[i] != c && s->kids[i]->pid)
        oom |= trS_job_push_stop(s, s->kids[i]) != 0;
    for (size_t i = from; i < s->nkids; i++)
      if (s->kids[i] == c || s->kids[i]->spec.restart != TROUPE_TEMPORARY)
        oom |= trS_job_push_start(s, s->kids[i]) != 0;
    break;
  }
  default: /* one_for_one, simple_one_for_one: only c (no allocation: cap >= 1 after
            * the first job) */
    oom = trS_job_push_start(s, c) != 0;
    break;
  }
  if (oom) {
    j->nstop = j->nstart = 0;
    trS_begin_shutdown(s, TROUPE_EXIT_CRASH, TROUPE_E_NOMEM, "supervisor: out of memory");
    return;
  }
  trS_start_job(s, TRS_JOB_RESTART);
}

/* Backoff (opt-in): the delay doubles while the child keeps dying young. */
static bool delay_restart(trS_sup *s, trS_child *c, uint64_t now) {
  if (!s->cfg.restart_delay_ms)
    return false;
  if (c->started_ns && now - c->started_ns >= s->period_ns)
    c->backoff_level = 0;
  uint64_t d = s->cfg.restart_delay_ms;
  for (uint32_t i = 0; i < c->backoff_level && d < s->cfg.restart_delay_max_ms; i++)
    d *= 2;
  if (d > s->cfg.restart_delay_max_ms)
    d = s->cfg.restart_delay_max_ms;
  if (d < s->cfg.restart_delay_max_ms)
    c->backoff_level++;
  c->state = TRS_CH_DELAYED;
  if (trS_tick_after(s, TRS_OP_DELAYED, c, d * 1000000u)) {
    c->state = TRS_CH_DOWN;
    return false; /* cannot wait: restart now */
  }
  return true;
}

/* Count the restart of c against the intensity, then restart it (now, or after its
 * backoff) unless the supervisor has to stop. Out of memory for the history: the
 * restart cannot be shown to be within the intensity, and restarting unrecorded could
 * let a crash loop run unbounded exactly when memory is short, so the supervisor stops
 * as on any other out-of-memory of the restart path (exit crash, code NOMEM) and its
 * parent decides. */
static void count_and_restart(trS_sup *s, trS_child *c) {
  uint64_t now = troupe_clock_mono_ns();
  switch (trS_add_restart(s, now)) {
  case TRS_GIVE_UP:
    escalate(s, c);
    return;
  case TRS_NO_MEMORY:
    trS_begin_shutdown(s, TROUPE_EXIT_CRASH, TROUPE_E_NOMEM,
                       "supervisor: out of memory recording a restart");
    return;
  case TRS_MAY_RESTART:
    break;
  }
  if (delay_restart(s, c, now))
    return;
  trS_restart(s, c);
}

static bool other_significant_alive(trS_sup *s, trS_child *c) {
  for (size_t i = 0; i < s->nkids; i++)
    if (s->kids[i] != c && !s->kids[i]->removed && s->kids[i]->spec.significant &&
        s->kids[i]->state != TRS_CH_DOWN)
      return true;
  return false;
}

void trS_child_exited(trS_sup *s, trS_child *c, troupe_exit_kind k, int code,
                      const char *msg) {
  (void)code;
  (void)msg;
  trS_health_forget(s, c);
  c->state = TRS_CH_DOWN;
  bool restart = c->spec.restart == TROUPE_PERMANENT ||
                 (c->spec.restart == TROUPE_TRANSIENT && !trS_is_exempt(k));
  if (!restart) {
    bool significant = c->spec.significant;
    bool last = significant && s->cfg.auto_shutdown == TROUPE_AUTO_ALL_SIGNIFICANT &&
                !other_significant_alive(s, c);
    if (c->spec.restart == TROUPE_TEMPORARY || s->cfg.strategy == TROUPE_SIMPLE_ONE_FOR_ONE)
      trS_remove(s, c);
    if (significant && (s->cfg.auto_shutdown == TROUPE_AUTO_ANY_SIGNIFICANT || last)) {
      trS_event(s, TROUPE_LOG_INFO, "actor.auto_shutdown", s->me, c, NULL, 0);
      trS_begin_shutdown(s, TROUPE_EXIT_SHUTDOWN, 0, "auto_shutdown");
    }
    if (!s->job.kind)
      trS_recycle_graveyard(s);
    return;
  }
  count_and_restart(s, c);
}

/* A restart attempt failed earlier; this new attempt counts like OTP's try_again. */
void trS_retry(trS_sup *s, trS_child *c) {
  count_and_restart(s, c);
}
