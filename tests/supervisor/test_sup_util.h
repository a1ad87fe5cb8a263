/*
 * tests/actor/test_sup_util.h: helpers for the supervision tests: a configurable worker
 * child (init can fail, it can trap and ignore shutdown, it answers health checks as
 * told), a shared journal of "start:x" / "stop:x:reason" lines to observe start and stop
 * order, a watcher actor that monitors a supervisor to learn its exit reason, and an
 * audit sink that counts lifecycle events.
 */
#ifndef TROUPE_TESTS_SUP_UTIL_H
#define TROUPE_TESTS_SUP_UTIL_H

#include "actor/actor_util.h"
#include "troupe/supervisor.h"

/* ---- journal ---------------------------------------------------------------------- */
#define TS_JMAX 512
typedef struct ts_journal {
  pthread_mutex_t lock;
  int n;
  char line[TS_JMAX][48];
} ts_journal;

static inline void ts_journal_init(ts_journal *j) {
  pthread_mutex_init(&j->lock, NULL);
  j->n = 0;
}

static inline void ts_note(ts_journal *j, const char *what, const char *id, const char *extra) {
  if (!j)
    return;
  pthread_mutex_lock(&j->lock);
  if (j->n < TS_JMAX)
    snprintf(j->line[j->n++], sizeof j->line[0], "%s:%s%s%s", what, id, extra ? ":" : "",
             extra ? extra : "");
  pthread_mutex_unlock(&j->lock);
}

/* "a,b,c" of the lines starting with `what:` (ids only). */
static inline void ts_seq(ts_journal *j, const char *what, char *out, size_t cap) {
  size_t wl = strlen(what), o = 0;
  out[0] = '\0';
  pthread_mutex_lock(&j->lock);
  for (int i = 0; i < j->n; i++) {
    const char *l = j->line[i];
    if (strncmp(l, what, wl) || l[wl] != ':')
      continue;
    const char *id = l + wl + 1;
    size_t idl = strcspn(id, ":");
    if (o + idl + 2 >= cap)
      break;
    if (o)
      out[o++] = ',';
    memcpy(out + o, id, idl);
    o += idl;
    out[o] = '\0';
  }
  pthread_mutex_unlock(&j->lock);
}

static inline int ts_count(ts_journal *j, const char *prefix) {
  int k = 0;
  pthread_mutex_lock(&j->lock);
  for (int i = 0; i < j->n; i++)
    k += strncmp(j->line[i], prefix, strlen(prefix)) == 0;
  pthread_mutex_unlock(&j->lock);
  return k;
}

/* ---- the worker child --------------------------------------------------------------- */
typedef struct ts_child {
  const char *id;
  ts_journal *j;
  _Atomic int starts;        /* init calls */
  _Atomic int fail_init;     /* >0: fail the next n inits; <0: fail every init */
  _Atomic int fail_startfn;  /* same, but the start function fails synchronously */
  _Atomic bool ignore;       /* the start function returns TROUPE_SUP_IGNORE */
  _Atomic bool trap;         /* trap exits and ignore shutdown (a stubborn child) */
  _Atomic int health;        /* answer to health checks; 0 = do not answer */
  _Atomic troupe_actor_id pid;
  _Atomic int last_reason;   /* terminate's reason */
} ts_child;

static inline bool ts_take(_Atomic int *v) {
  int n = atomic_load(v);
  if (n < 0)
    return true;
  while (n > 0)
    if (atomic_compare_exchange_weak(v, &n, n - 1))
      return true;
  return false;
}

static int ts_init(troupe_actor *self, void *arg, troupe_err *err) {
  ts_child *c = arg;
  atomic_fetch_add(&c->starts, 1);
  if (ts_take(&c->fail_init)) {
    troupe_actor_set_state(self, NULL); /* terminate notes nothing for a failed init */
    return troupe_err_set(err, TROUPE_E_INTERNAL, "init of %s refused", c->id);
  }
  if (atomic_load(&c->trap))
    troupe_actor_trap_exit(self, true);
  if (atomic_load(&c->health) == TROUPE_HEALTH_UNHEALTHY) /* a fresh start heals */
    atomic_store(&c->health, TROUPE_HEALTH_HEALTHY);
  atomic_store(&c->pid, troupe_self(self));
  ts_note(c->j, "start", c->id, NULL);
  return 0;
}

static int ts_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  ts_child *c = troupe_actor_state(self);
  troupe_runtime *rt = troupe_actor_runtime(self);
  if (troupe_is_health_check(m)) {
    int h = atomic_load(&c->health);
    if (h)
      troupe_health_answer(rt, troupe_self(self), m->corr, (troupe_health)h,
                           h == TROUPE_HEALTH_HEALTHY ? NULL : "test says so");
    return TROUPE_CONTINUE;
  }
  if (m->kind == TROUPE_MSG_ASK) {
    troupe_reply(rt, troupe_self(self), m->corr, "pong", 4);
    return TROUPE_CONTINUE;
  }
  if (m->kind != TROUPE_MSG_USER)
    return TROUPE_CONTINUE; /* a stubborn child ignores EXIT messages */
  if (m->len == 5 && memcmp(m->data, "crash", 5) == 0)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "asked to crash");
  if (m->len == 4 && memcmp(m->data, "stop", 4) == 0)
    return TROUPE_STOP;
  if (m->len == 8 && memcmp(m->data, "shutdown", 8) == 0) {
    troupe_actor_set_exit(self, TROUPE_EXIT_SHUTDOWN, 0, NULL);
    return TROUPE_STOP;
  }
  return TROUPE_CONTINUE;
}

static void ts_terminate(troupe_actor *self, const troupe_exit_reason *why) {
  ts_child *c = troupe_actor_state(self);
  if (!c)
    return;
  atomic_store(&c->last_reason, (int)why->kind);
  ts_note(c->j, "stop", c->id, troupe_exit_kind_name(why->kind));
}

static const troupe_behaviour ts_worker = {"ts_worker", ts_init, ts_handle, ts_terminate};

static int ts_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg, const void *extra,
                    size_t extra_len, troupe_actor_id *out, troupe_err *err) {
  (void)extra;
  (void)extra_len;
  ts_child *c = arg;
  if (atomic_load(&c->ignore))
    return TROUPE_SUP_IGNORE;
  if (ts_take(&c->fail_startfn))
    return troupe_err_set(err, TROUPE_E_INTERNAL, "start function of %s refused", c->id);
  return troupe_spawn(troupe_actor_runtime(sup), sup, &ts_worker, c, opts, out, err);
}

static inline troupe_child_spec ts_spec(ts_child *c, troupe_restart_type r) {
  troupe_child_spec s;
  memset(&s, 0, sizeof s);
  s.id = c->id;
  s.start = ts_start;
  s.arg = c;
  s.restart = r;
  s.shutdown_ms = 2000;
  return s;
}

static inline void ts_child_init(ts_child *c, const char *id, ts_journal *j) {
  memset(c, 0, sizeof *c);
  c->id = id;
  c->j = j;
}

/* ---- a watcher: monitors `target`, keeps the DOWN reason ------------------------------ */
typedef struct ts_watch {
  troupe_actor_id target;
  _Atomic int ready;      /* 1 once the monitor is set */
  _Atomic int down;       /* 1 once DOWN arrived */
  _Atomic int kind;
  _Atomic int code;
  char text[128];
} ts_watch;

static int ts_watch_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)err;
  ts_watch *w = arg;
  uint64_t ref;
  int rc = troupe_monitor(self, w->target, &ref);
  atomic_store(&w->ready, 1);
  return rc;
}

static int ts_watch_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  ts_watch *w = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_DOWN) {
    snprintf(w->text, sizeof w->text, "%s", m->reason.message ? m->reason.message : "");
    atomic_store(&w->kind, (int)m->reason.kind);
    atomic_store(&w->code, m->reason.code);
    atomic_store(&w->down, 1);
    return TROUPE_STOP;
  }
  return TROUPE_CONTINUE;
}

static const troupe_behaviour ts_watcher = {"ts_watcher", ts_watch_init, ts_watch_handle, NULL};

static inline void ts_watch_start(troupe_runtime *rt, ts_watch *w, troupe_actor_id target) {
  memset(w, 0, sizeof *w);
  w->target = target;
  troupe_actor_id id;
  if (troupe_spawn(rt, NULL, &ts_watcher, w, NULL, &id, NULL) == 0)
    TU_WAIT(atomic_load(&w->ready) == 1);
}

/* ---- audit events -------------------------------------------------------------------- */
typedef struct ts_events {
  _Atomic int restarted, escalated, start_failed, health, auto_shutdown;
} ts_events;

static void ts_event_fn(void *user, const troupe_log_record *rec) {
  ts_events *e = user;
  if (!strcmp(rec->event, "actor.restarted"))
    atomic_fetch_add(&e->restarted, 1);
  else if (!strcmp(rec->event, "actor.escalated"))
    atomic_fetch_add(&e->escalated, 1);
  else if (!strcmp(rec->event, "actor.start_failed"))
    atomic_fetch_add(&e->start_failed, 1);
  else if (!strcmp(rec->event, "actor.health"))
    atomic_fetch_add(&e->health, 1);
  else if (!strcmp(rec->event, "actor.auto_shutdown"))
    atomic_fetch_add(&e->auto_shutdown, 1);
}

/* A runtime with 2 workers and, if ev is non-NULL, an audit sink counting events. */
static inline troupe_runtime *ts_runtime(ts_events *ev, troupe_logger **lg) {
  troupe_runtime_config cfg;
  troupe_runtime_config_init(&cfg);
  cfg.workers = 2;
  cfg.shutdown_timeout_ns = TROUPE_SEC(5);
  *lg = NULL;
  if (ev) {
    memset(ev, 0, sizeof *ev);
    *lg = troupe_logger_callback(ts_event_fn, ev, TROUPE_LOG_DEBUG);
    cfg.audit = *lg;
  }
  troupe_runtime *rt = NULL;
  troupe_runtime_new(&cfg, &rt, NULL);
  return rt;
}

static inline void ts_free(troupe_runtime *rt, troupe_logger *lg) {
  troupe_runtime_free(rt);
  troupe_logger_free(lg);
}

static inline troupe_sup_config ts_cfg(troupe_sup_strategy st, uint32_t intensity,
                                       uint64_t period_ms) {
  troupe_sup_config c;
  troupe_sup_config_init(&c);
  c.strategy = st;
  c.intensity = intensity;
  c.period_ms = period_ms;
  return c;
}

/* The child's current pid as the supervisor reports it (0 when not running or absent). */
static inline troupe_actor_id ts_pid_of(troupe_runtime *rt, troupe_actor_id sup, const char *id,
                                        bool *present) {
  troupe_child_info *v;
  size_t n;
  troupe_actor_id pid = 0;
  if (present)
    *present = false;
  if (troupe_sup_which_children(rt, sup, &v, &n, NULL))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (v[i].id && !strcmp(v[i].id, id)) {
      pid = v[i].child;
      if (present)
        *present = true;
    }
  troupe_sup_children_free(v, n);
  return pid;
}

/* Send `what` to the child and wait until that process is gone (its EXIT then sits in
 * the supervisor's priority lane, ahead of any request we send next). */
static inline bool ts_kill_with(troupe_runtime *rt, troupe_actor_id pid, const char *what) {
  if (troupe_send(rt, 0, pid, what, strlen(what)))
    return false;
  return TU_WAIT(tu_dead(rt, pid));
}

/* Crash the child `n` times, waiting for each restart (a new process for its id). */
static inline void ts_crash_times(troupe_runtime *rt, troupe_actor_id sup, ts_child *c, int n) {
  for (int i = 0; i < n; i++) {
    troupe_actor_id p = atomic_load(&c->pid);
    assert_true(ts_kill_with(rt, p, "crash"));
    troupe_actor_id np = ts_pid_of(rt, sup, c->id, NULL);
    assert_true(np != 0 && np != p);
  }
}

#endif
