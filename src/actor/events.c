/*
 * actor/events.c: lifecycle events (spawned, started, stopped, crashed, restarted,
 * escalated, health) as JSON lines on the runtime's audit logger, plus the names of
 * the layer's enums and the printed form of ids. Supervision emits its own events
 * (restarted, escalated) through trA_event so every line has the same shape.
 */
#include "actor/core.h"

#include <stdio.h>

char *troupe_id_format(troupe_actor_id id, char *buf, size_t cap) {
  if (buf && cap) { /* by hand: a crash, a restart and every audit line print ids */
    trB_sb b = trB_sb_init(buf, cap);
    trB_sb_mem(&b, "<", 1);
    trB_sb_u64(&b, TRA_ID_IDX(id));
    trB_sb_mem(&b, ".", 1);
    trB_sb_u64(&b, TRA_ID_GEN(id));
    trB_sb_mem(&b, ">", 1);
  }
  return buf;
}

const char *troupe_exit_kind_name(troupe_exit_kind kind) {
  switch (kind) {
  case TROUPE_EXIT_NORMAL: return "normal";
  case TROUPE_EXIT_SHUTDOWN: return "shutdown";
  case TROUPE_EXIT_KILLED: return "killed";
  case TROUPE_EXIT_CRASH: return "crash";
  case TROUPE_EXIT_NOPROC: return "noproc";
  case TROUPE_EXIT_KILL: return "kill";
  }
  return "unknown";
}

bool troupe_exit_is_abnormal(troupe_exit_kind kind) { return kind != TROUPE_EXIT_NORMAL; }

const char *troupe_actor_status_name(troupe_actor_status s) {
  switch (s) {
  case TROUPE_STATUS_STARTING: return "starting";
  case TROUPE_STATUS_RUNNING: return "running";
  case TROUPE_STATUS_STOPPING: return "stopping";
  case TROUPE_STATUS_STOPPED: return "stopped";
  case TROUPE_STATUS_FAILED: return "failed";
  }
  return "unknown";
}

const char *troupe_health_name(troupe_health h) {
  switch (h) {
  case TROUPE_HEALTH_UNKNOWN: return "unknown";
  case TROUPE_HEALTH_HEALTHY: return "healthy";
  case TROUPE_HEALTH_DEGRADED: return "degraded";
  case TROUPE_HEALTH_UNHEALTHY: return "unhealthy";
  }
  return "unknown";
}

bool trA_event_enabled(troupe_runtime *rt, troupe_log_level level) {
  return rt && rt->cfg.audit && troupe_logger_enabled(rt->cfg.audit, level);
}

#define EVENT_MAX_EXTRA 12

void trA_event(troupe_runtime *rt, troupe_log_level level, const char *event,
               troupe_actor_id id, const troupe_log_field *extra, size_t nextra) {
  if (!trA_event_enabled(rt, level))
    return;
  char idbuf[TROUPE_ID_FORMAT_MAX];
  troupe_log_field f[3 + EVENT_MAX_EXTRA];
  size_t n = 0;
  f[n++] = TROUPE_LOG_STR("actor", troupe_id_format(id, idbuf, sizeof idbuf));
  char *name = NULL;
  const char *bname = NULL;
  troupe_actor *a = id ? trA_segtab_get(&rt->slots, TRA_ID_IDX(id)) : NULL;
  if (a) {
    pthread_mutex_lock(trA_meta_lock(rt, a));
    uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
    if (TRA_GEN(gs) == TRA_ID_GEN(id) && TRA_STATE(gs) != TRA_SLOT_FREE) {
      const troupe_behaviour *b = atomic_load_explicit(&a->b, memory_order_relaxed);
      trA_meta *m = atomic_load_explicit(&a->meta, memory_order_relaxed);
      bname = b ? b->name : NULL;
      if (m && m->name)
        name = trB_strdup(m->name);
    }
    pthread_mutex_unlock(trA_meta_lock(rt, a));
  }
  if (bname)
    f[n++] = TROUPE_LOG_STR("behaviour", bname);
  if (name)
    f[n++] = TROUPE_LOG_STR("name", name);
  for (size_t i = 0; i < nextra && i < EVENT_MAX_EXTRA; i++)
    f[n++] = extra[i];
  troupe_log(rt->cfg.audit, level, event, f, n);
  free(name);
}
