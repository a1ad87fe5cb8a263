/*
 * supervisor/sup.c: the supervisor actor. It traps exits and runs one job at a time: a job
 * stops a list of children (in the list's order, each by its shutdown rule) and then
 * starts a list (in order, each start acknowledged before the next), like OTP's
 * supervisor blocking in its receive. What arrives meanwhile (other children's exits, the
 * parent's exit, API requests) is queued and handled when the job ends. Restart
 * decisions live in sup_restart.c, health checks in sup_health.c.
 */
#include "supervisor/sup.h"

#include <stdio.h>

_Static_assert(TROUPE_TAG_IN_RANGE(TROUPE_SUP_TAG_ACK, TROUPE_TAG_RANGE_SUP) &&
                   TROUPE_TAG_IN_RANGE(TROUPE_SUP_TAG_REQ, TROUPE_TAG_RANGE_SUP) &&
                   TROUPE_TAG_IN_RANGE(TROUPE_SUP_TAG_TICK, TROUPE_TAG_RANGE_SUP) &&
                   TROUPE_TAG_IN_RANGE(TROUPE_SUP_TAG_ANSWER, TROUPE_TAG_RANGE_SUP),
               "a supervision tag outside its range (include/troupe/actor.h)");

bool trS_is_exempt(troupe_exit_kind k) {
  return k == TROUPE_EXIT_NORMAL || k == TROUPE_EXIT_SHUTDOWN;
}

void trS_event(trS_sup *s, troupe_log_level lv, const char *event, troupe_actor_id id,
               const trS_child *c, const troupe_log_field *f, size_t nf) {
  if (!trA_event_enabled(s->rt, lv))
    return;
  char sbuf[TROUPE_ID_FORMAT_MAX];
  troupe_log_field v[10];
  size_t n = 0;
  v[n++] = TROUPE_LOG_STR("supervisor", troupe_id_format(s->me, sbuf, sizeof sbuf));
  if (c)
    v[n++] = TROUPE_LOG_STR("child", c->spec.id ? c->spec.id : "");
  for (size_t i = 0; i < nf && n < TR_ARRAY_LEN(v); i++)
    v[n++] = f[i];
  trA_event(s->rt, lv, event, id, v, n);
}

/* ---- the deferred-work queue (nodes recycled through a pool) --------------------- */
void trS_enqueue(trS_sup *s, int kind, trS_child *c, troupe_exit_kind k, int code,
                 const char *msg, trS_req *req) {
  trS_op *o = s->op_pool;
  if (o)
    s->op_pool = o->next;
  else if (!(o = trB_malloc(sizeof *o)))
    goto nomem;
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->child = c;
  o->serial = c ? c->serial : 0;
  o->gen = c ? c->gen : 0;
  o->rkind = k;
  o->rcode = code;
  o->req = req;
  if (msg && !(o->rmsg = trB_strdup(msg))) {
    o->next = s->op_pool;
    s->op_pool = o;
    goto nomem;
  }
  if (s->q_tail)
    s->q_tail->next = o;
  else
    s->q_head = o;
  s->q_tail = o;
  return;
nomem:
  /* Out of memory while busy: losing an exit would leave a child unsupervised, so
   * give up the way OTP does when it cannot go on: shut the supervisor down. */
  if (req)
    trS_req_done(s, req, TROUPE_E_NOMEM, "supervisor: out of memory");
  if (!s->exiting)
    troupe_actor_set_exit(s->self, TROUPE_EXIT_CRASH, TROUPE_E_NOMEM, "supervisor: out of memory");
  s->want_stop = true;
  s->exiting = true;
}

static void op_release(trS_sup *s, trS_op *o) {
  free(o->rmsg);
  o->rmsg = NULL;
  o->next = s->op_pool;
  s->op_pool = o;
}

/* ---- starting and stopping one child ----------------------------------------------- */
static void exit_now(trS_sup *s, troupe_exit_kind k, int code, const char *msg) {
  troupe_actor_set_exit(s->self, k, code, msg);
  s->want_stop = true;
  s->exiting = true;
}

/* The start failed: record why, report it, and decide what the job does next. */
static void start_failed(trS_sup *s, trS_child *c, const char *why) {
  trS_job *j = &s->job;
  troupe_err_set(&j->err, TROUPE_E_START_FAILED, "failed to start child '%s': %s",
                 c->spec.id ? c->spec.id : "", why);
  troupe_log_field f[] = {TROUPE_LOG_STR("reason", why)};
  trS_event(s, TROUPE_LOG_ERROR, "actor.start_failed", s->me, c, f, 1);
  c->state = TRS_CH_DOWN;
  c->pid = 0;
  j->await = NULL;
  j->istart = j->nstart; /* later children of this job are not started */
  if (j->kind == TRS_JOB_INIT) {
    /* Roll back: stop the children started before it, newest first, then exit. */
    j->kind = TRS_JOB_ROLLBACK;
    j->nstop = j->istop = 0;
    for (size_t i = c->pos; i-- > 0;)
      if (s->kids[i]->pid && trS_job_push_stop(s, s->kids[i]))
        break; /* out of memory: the link still takes them down when we exit */
  } else if (j->kind == TRS_JOB_RESTART) {
    j->failed = c;
  }
}

static void kill_fire(troupe_runtime *rt, void *arg) {
  troupe_actor_id *ids = arg; /* a fired timer's arg is ours (dtor runs only if cancelled) */
  troupe_exit(rt, ids[0], ids[1], TROUPE_EXIT_KILL, 0, "shutdown timeout");
  free(ids);
}

static void kill_free(troupe_runtime *rt, void *arg) {
  (void)rt;
  free(arg);
}

/* Ask a running child to stop. True when we must now wait for its EXIT. */
static bool stop_child(trS_sup *s, trS_child *c) {
  if (c->state == TRS_CH_DELAYED)
    c->state = TRS_CH_DOWN; /* its pending restart finds it no longer DELAYED */
  if (!c->pid || c->state != TRS_CH_RUNNING)
    return false;
  trS_health_forget(s, c);
  uint64_t ms = trS_shutdown_ms(&c->spec);
  c->state = TRS_CH_STOPPING;
  if (ms == 0) {
    troupe_exit(s->rt, s->me, c->pid, TROUPE_EXIT_KILL, 0, "brutal_kill");
    return true;
  }
  /* A child stopped for failing its health checks is told why: its terminate (and
   * whatever it records of its end) sees "unhealthy: ..." rather than a bare shutdown. */
  const char *why = s->job.kind == TRS_JOB_UNHEALTHY && s->job.subject == c ? s->job.rmsg : NULL;
  troupe_exit(s->rt, s->me, c->pid, TROUPE_EXIT_SHUTDOWN, 0, why);
  if (ms != UINT64_MAX) {
    troupe_actor_id *ids = trB_malloc(2 * sizeof *ids);
    if (ids) { /* set before the timer exists: it may fire on another worker */
      ids[0] = s->me;
      ids[1] = c->pid;
    }
    if (!ids || trA_timer_start(s->rt, ms * 1000000u, kill_fire, kill_free, ids, true,
                                &c->kill_timer)) {
      free(ids);
      c->kill_timer = NULL;
      /* No timer, no grace period: kill now rather than maybe wait forever. */
      troupe_exit(s->rt, s->me, c->pid, TROUPE_EXIT_KILL, 0, "out of memory");
      return true;
    }
  }
  return true;
}

/* Returns 1 when waiting for the child's ack, 0 when done (ignored), -1 on failure. */
static int start_child(trS_sup *s, trS_child *c) {
  troupe_spawn_opts o = {0};
  o.flags = TROUPE_SPAWN_LINK | TROUPE_SPAWN_ACK;
  o.parent = s->me;
  o.restart_count = c->gen ? c->restarts + 1 : c->restarts;
  troupe_actor_id id = 0;
  troupe_err e;
  troupe_err_clear(&e);
  int rc = c->spec.start(s->self, &o, c->spec.arg, c->extra, c->extra_len, &id, &e);
  if (rc == TROUPE_SUP_IGNORE) {
    c->state = TRS_CH_DOWN;
    c->pid = 0;
    return 0;
  }
  if (rc == TROUPE_OK && !id)
    rc = troupe_err_set(&e, TROUPE_E_INVAL, "start function returned no actor");
  if (rc == TROUPE_OK && trS_map_put(&s->by_pid, id, c)) {
    troupe_exit(s->rt, s->me, id, TROUPE_EXIT_KILL, 0, "out of memory");
    trS_zombie_add(s, c, id);
    rc = troupe_err_set(&e, TROUPE_E_NOMEM, "out of memory");
  }
  if (rc != TROUPE_OK) {
    char why[TROUPE_ERR_MSG_MAX + 32];
    snprintf(why, sizeof why, "%s: %s", troupe_err_name(rc),
             e.msg[0] ? e.msg : troupe_strerror(rc));
    start_failed(s, c, why);
    return -1;
  }
  if (c->gen)
    c->restarts++;
  c->gen++;
  c->pid = id;
  c->state = TRS_CH_STARTING;
  return 1;
}

/* ---- the job engine ---------------------------------------------------------------- */
static int push(trS_child ***v, size_t *n, size_t *cap, trS_child *c) {
  if (*n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    trS_child **nv = trB_realloc_array(*v, ncap, sizeof *nv);
    if (!nv)
      return TROUPE_E_NOMEM;
    *v = nv;
    *cap = ncap;
  }
  (*v)[(*n)++] = c;
  return TROUPE_OK;
}

int trS_job_push_stop(trS_sup *s, trS_child *c) {
  return push(&s->job.stop, &s->job.nstop, &s->job.capstop, c);
}

int trS_job_push_start(trS_sup *s, trS_child *c) {
  return push(&s->job.start, &s->job.nstart, &s->job.capstart, c);
}

void trS_start_job(trS_sup *s, int kind) {
  s->job.kind = kind;
  s->job.istop = s->job.istart = 0;
  s->job.await = NULL;
  s->job.failed = NULL;
  troupe_err_clear(&s->job.err);
}

/* Stop every running child (reverse start order; simple_one_for_one all at once), then
 * exit with the reason. */
void trS_begin_shutdown(trS_sup *s, troupe_exit_kind k, int code, const char *msg) {
  if (s->exiting)
    return;
  s->exiting = true;
  trS_job *j = &s->job;
  j->nstop = j->nstart = 0;
  free(j->rmsg);
  j->rmsg = msg ? trB_strdup(msg) : NULL;
  j->rkind = k;
  j->rcode = code;
  trS_start_job(s, TRS_JOB_SHUTDOWN);
  if (s->cfg.strategy == TROUPE_SIMPLE_ONE_FOR_ONE) {
    j->async = true;
    j->async_left = 0;
    for (size_t i = 0; i < s->nkids; i++)
      if (stop_child(s, s->kids[i]))
        j->async_left++;
    return;
  }
  for (size_t i = s->nkids; i-- > 0;)
    if (s->kids[i]->pid && trS_job_push_stop(s, s->kids[i])) {
      /* Out of memory: kill the rest; the links report their exits. */
      for (size_t k2 = 0; k2 <= i; k2++)
        if (s->kids[k2]->pid)
          troupe_exit(s->rt, s->me, s->kids[k2]->pid, TROUPE_EXIT_KILL, 0, "out of memory");
      j->nstop = 0;
      break;
    }
}

/* True when the job has nothing left to wait for. A start failure may turn the job
 * into a rollback with a new stop list, hence the loop. */
static bool advance(trS_sup *s) {
  trS_job *j = &s->job;
  for (;;) {
    if (j->await || (j->async && j->async_left))
      return false;
    if (j->istop < j->nstop) {
      trS_child *c = j->stop[j->istop++];
      if (stop_child(s, c))
        j->await = c;
      continue;
    }
    if (j->istart < j->nstart) {
      trS_child *c = j->start[j->istart++];
      if (!c->removed && !c->pid && start_child(s, c) == 1)
        j->await = c;
      continue;
    }
    return true;
  }
}

static void notify_started(trS_sup *s, int rc, const troupe_err *e) {
  if (s->waiter) {
    trS_waiter_signal(s->waiter, rc, e);
    trS_waiter_put(s->waiter);
    s->waiter = NULL;
  }
  if (s->ack_to && rc == TROUPE_OK) {
    int32_t st = 0;
    troupe_send_args a = {.from = s->me, .to = s->ack_to, .tag = TROUPE_SUP_TAG_ACK,
                          .flags = TROUPE_SEND_SYSTEM, .data = &st, .len = sizeof st};
    troupe_send_ex(s->rt, &a);
  }
  s->ack_to = 0;
}

static void finish_job(trS_sup *s) {
  trS_job *j = &s->job;
  int kind = j->kind;
  trS_child *failed = j->failed, *subject = j->subject;
  uint32_t subject_gen = j->subject_gen;
  char *rmsg = j->rmsg;
  troupe_exit_kind rkind = j->rkind;
  int rcode = j->rcode;
  troupe_err e = j->err;
  trS_req *req = j->req;
  j->kind = TRS_JOB_NONE;
  j->nstop = j->nstart = j->istop = j->istart = 0;
  j->await = j->failed = j->subject = NULL;
  j->async = false;
  j->async_left = 0;
  j->rmsg = NULL;
  j->req = NULL;
  switch (kind) {
  case TRS_JOB_INIT:
    notify_started(s, TROUPE_OK, NULL);
    break;
  case TRS_JOB_ROLLBACK:
    notify_started(s, TROUPE_E_START_FAILED, &e);
    exit_now(s, TROUPE_EXIT_SHUTDOWN, TROUPE_E_START_FAILED, e.msg);
    break;
  case TRS_JOB_SHUTDOWN:
    exit_now(s, rkind, rcode, rmsg);
    break;
  case TRS_JOB_RESTART:
    if (failed && !failed->removed) /* OTP's try_again_restart: a new, counted attempt */
      trS_enqueue(s, TRS_OP_RETRY, failed, 0, 0, NULL, NULL);
    break;
  case TRS_JOB_REQ:
    trS_req_finish(s, req, subject, &e);
    break;
  case TRS_JOB_UNHEALTHY:
    if (!subject->removed && subject->gen == subject_gen && subject->state == TRS_CH_DOWN)
      trS_child_exited(s, subject, rkind, rcode, rmsg);
    break;
  default:
    break;
  }
  free(rmsg);
  if (!s->job.kind)
    trS_recycle_graveyard(s);
}

static void run_op(trS_sup *s, trS_op *o) {
  trS_child *c = o->child;
  bool same = c && c->serial == o->serial && !c->removed;
  if (s->exiting) {
    if (o->kind == TRS_OP_REQ)
      trS_req_done(s, o->req, TROUPE_E_NOT_RUNNING, "supervisor is shutting down");
    return;
  }
  switch (o->kind) {
  case TRS_OP_EXIT:
    if (same && c->gen == o->gen && c->state == TRS_CH_DOWN)
      trS_child_exited(s, c, o->rkind, o->rcode, o->rmsg);
    break;
  case TRS_OP_PARENT:
    trS_begin_shutdown(s, o->rkind, o->rcode, o->rmsg);
    break;
  case TRS_OP_REQ:
    trS_handle_req(s, o->req);
    break;
  case TRS_OP_RETRY:
    if (same && c->state == TRS_CH_DOWN)
      trS_retry(s, c);
    break;
  case TRS_OP_DELAYED:
    if (same && c->gen == o->gen && c->state == TRS_CH_DELAYED) {
      c->state = TRS_CH_DOWN;
      trS_restart(s, c);
    }
    break;
  case TRS_OP_UNHEALTHY:
    if (same && c->gen == o->gen && c->state == TRS_CH_RUNNING) {
      trS_job *j = &s->job;
      j->nstop = j->nstart = 0;
      if (trS_job_push_stop(s, c))
        break;
      j->subject = c;
      j->subject_gen = c->gen;
      j->rkind = TROUPE_EXIT_CRASH;
      j->rcode = TROUPE_E_CRASHED;
      free(j->rmsg);
      j->rmsg = o->rmsg;
      o->rmsg = NULL;
      trS_start_job(s, TRS_JOB_UNHEALTHY);
    }
    break;
  default:
    break;
  }
}

static void pump(trS_sup *s) {
  for (;;) {
    if (s->want_stop)
      return;
    if (s->job.kind) {
      if (!advance(s))
        return;
      finish_job(s);
      continue;
    }
    trS_op *o = s->q_head;
    if (!o)
      return;
    s->q_head = o->next;
    if (!s->q_head)
      s->q_tail = NULL;
    run_op(s, o);
    op_release(s, o);
  }
}

/* ---- messages ---------------------------------------------------------------------- */
static void reason_text(char *buf, size_t cap, const troupe_exit_reason *r) {
  snprintf(buf, cap, "%s%s%s", troupe_exit_kind_name(r->kind), r->message ? ": " : "",
           r->message ? r->message : "");
}

static void on_exit_msg(trS_sup *s, troupe_actor_id from, const troupe_exit_reason *r) {
  trS_job *j = &s->job;
  trS_child *c = trS_map_get(&s->by_pid, from);
  if (!c) {
    if (trS_zombie_exited(s, from))
      return;
    if (from != s->parent || s->exiting)
      return; /* OTP ignores EXITs from processes that are neither child nor parent */
    if (j->kind)
      trS_enqueue(s, TRS_OP_PARENT, NULL, r->kind, r->code, r->message, NULL);
    else
      trS_begin_shutdown(s, r->kind, r->code, r->message);
    return;
  }
  trS_map_del(&s->by_pid, from);
  c->pid = 0;
  if (c->kill_timer) {
    trA_timer_cancel(c->kill_timer);
    c->kill_timer = NULL;
  }
  trS_health_forget(s, c);
  if (c->state == TRS_CH_STARTING && j->await == c) {
    char why[TROUPE_ERR_MSG_MAX];
    reason_text(why, sizeof why, r);
    start_failed(s, c, why);
    return;
  }
  if (c->state == TRS_CH_STOPPING) {
    c->state = TRS_CH_DOWN;
    if (j->await == c)
      j->await = NULL;
    else if (j->async && j->async_left)
      j->async_left--;
    /* A temporary child stopped by a sibling's restart is not restarted: its spec goes. */
    if (j->kind == TRS_JOB_RESTART && c->spec.restart == TROUPE_TEMPORARY)
      trS_remove(s, c);
    return;
  }
  c->state = TRS_CH_DOWN;
  if (s->exiting)
    return;
  if (j->kind)
    trS_enqueue(s, TRS_OP_EXIT, c, r->kind, r->code, r->message, NULL);
  else
    trS_child_exited(s, c, r->kind, r->code, r->message);
}

static void on_ack(trS_sup *s, troupe_actor_id from, int status, const char *msg) {
  trS_child *c = trS_map_get(&s->by_pid, from);
  if (!c || c->state != TRS_CH_STARTING || s->job.await != c)
    return; /* a second ack, or one from a child we gave up on */
  if (status == TROUPE_OK) {
    c->state = TRS_CH_RUNNING;
    c->started_ns = troupe_clock_mono_ns();
    s->job.await = NULL;
    if (c->gen > 1) {
      troupe_log_field f[] = {TROUPE_LOG_UINT("restarts", c->restarts),
                              TROUPE_LOG_UINT("total_restarts", s->total_restarts)};
      trS_event(s, TROUPE_LOG_INFO, "actor.restarted", c->pid, c, f, 2);
    }
    trS_health_arm(s, c);
    return;
  }
  /* init failed (it is dying) or the child reported failure (make sure it dies). */
  trS_map_del(&s->by_pid, from);
  troupe_exit(s->rt, s->me, from, TROUPE_EXIT_KILL, 0, "start failed");
  /* A failed init acks before its terminate has run: the process may still use the
   * spec's arg until its EXIT arrives. */
  trS_zombie_add(s, c, from);
  char why[TROUPE_ERR_MSG_MAX + 32];
  snprintf(why, sizeof why, "%s: %s", troupe_err_name(status), msg ? msg : troupe_strerror(status));
  start_failed(s, c, why);
}

static void on_tick(trS_sup *s, const trS_tick *t) {
  if (t->op == TRS_OP_INIT) {
    trS_job *j = &s->job;
    j->nstop = j->nstart = 0;
    for (size_t i = 0; i < s->nkids; i++)
      if (trS_job_push_start(s, s->kids[i])) {
        troupe_err e;
        troupe_err_set(&e, TROUPE_E_NOMEM, "supervisor: out of memory");
        notify_started(s, TROUPE_E_NOMEM, &e);
        exit_now(s, TROUPE_EXIT_SHUTDOWN, TROUPE_E_NOMEM, "out of memory");
        return;
      }
    trS_start_job(s, TRS_JOB_INIT);
    return;
  }
  trS_child *c = t->child;
  /* The record's memory outlives recycling (free list), so reading serial is safe. */
  if (c->serial != t->serial || c->removed)
    return;
  if (t->op == TRS_OP_HEALTH) {
    trS_health_tick(s, c, t->gen);
    return;
  }
  if (t->op == TRS_OP_DELAYED && c->gen == t->gen && c->state == TRS_CH_DELAYED) {
    if (s->job.kind || s->exiting)
      trS_enqueue(s, TRS_OP_DELAYED, c, 0, 0, NULL, NULL);
    else {
      c->state = TRS_CH_DOWN;
      trS_restart(s, c);
    }
  }
}

static int sup_init(troupe_actor *self, void *arg, troupe_err *err) {
  trS_sup *s = arg;
  s->self = self;
  s->me = troupe_self(self);
  /* Children start from the first handled message, not here: a start failure must end
   * the supervisor with reason shutdown, which init cannot do (it would crash). */
  trS_tick t = {.op = TRS_OP_INIT};
  troupe_send_args a = {.from = s->me, .to = s->me, .tag = TROUPE_SUP_TAG_TICK,
                        .flags = TROUPE_SEND_SYSTEM, .data = &t, .len = sizeof t};
  int rc = troupe_send_ex(s->rt, &a);
  if (rc)
    return troupe_err_set(err, rc, "supervisor: cannot start: %s", troupe_strerror(rc));
  return TROUPE_OK;
}

static int sup_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  trS_sup *s = troupe_actor_state(self);
  s->self = self;
  switch (m->kind) {
  case TROUPE_MSG_EXIT:
    on_exit_msg(s, m->from, &m->reason);
    break;
  case TROUPE_MSG_STARTED:
    on_ack(s, m->from, m->status, m->len ? (const char *)m->data : NULL);
    break;
  case TROUPE_MSG_SYSTEM:
    if (m->tag == TROUPE_SUP_TAG_TICK && m->from == s->me && m->len == sizeof(trS_tick)) {
      trS_tick t;
      memcpy(&t, m->data, sizeof t);
      on_tick(s, &t);
    } else if (m->tag == TROUPE_SUP_TAG_ACK && m->len >= sizeof(int32_t)) {
      int32_t st;
      memcpy(&st, m->data, sizeof st);
      char msg[TROUPE_ERR_MSG_MAX];
      size_t n = TR_MIN(m->len - sizeof st, sizeof msg - 1);
      memcpy(msg, (const char *)m->data + sizeof st, n);
      msg[n] = '\0';
      on_ack(s, m->from, st, n ? msg : NULL);
    }
    break;
  case TROUPE_MSG_USER: {
    /* API requests (sup_call.c), in the normal lane: after the exits already queued. */
    trS_req *req = trS_req_take(m);
    if (req) {
      if (s->job.kind || s->q_head)
        trS_enqueue(s, TRS_OP_REQ, NULL, 0, 0, NULL, req);
      else
        trS_handle_req(s, req);
    }
    break;
  }
  case TROUPE_MSG_REPLY:
  case TROUPE_MSG_ASK_FAILED:
    trS_health_result(s, m->corr, m->kind == TROUPE_MSG_REPLY ? TROUPE_OK : m->status,
                      m->data, m->len);
    break;
  default:
    break;
  }
  pump(s);
  return s->want_stop ? TROUPE_STOP : TROUPE_CONTINUE;
}

static void sup_terminate(troupe_actor *self, const troupe_exit_reason *why) {
  trS_sup *s = troupe_actor_state(self);
  if (!s)
    return;
  if (s->waiter) {
    troupe_err e;
    char r[TROUPE_ERR_MSG_MAX];
    reason_text(r, sizeof r, why);
    troupe_err_set(&e, TROUPE_E_NOT_RUNNING, "supervisor exited during start: %s", r);
    trS_waiter_signal(s->waiter, TROUPE_E_NOT_RUNNING, &e);
    trS_waiter_put(s->waiter);
    s->waiter = NULL;
  }
  if (s->job.req) {
    trS_req_done(s, s->job.req, TROUPE_E_NOT_RUNNING, "supervisor exited");
    s->job.req = NULL;
  }
  for (trS_op *o = s->q_head; o; o = o->next)
    if (o->kind == TRS_OP_REQ) {
      trS_req_done(s, o->req, TROUPE_E_NOT_RUNNING, "supervisor exited");
      o->req = NULL;
    }
  for (size_t i = 0; i < s->nkids; i++)
    if (s->kids[i]->kill_timer) {
      trA_timer_cancel(s->kids[i]->kill_timer);
      s->kids[i]->kill_timer = NULL;
    }
  troupe_actor_set_state(self, NULL);
  trS_free(s);
}

const troupe_behaviour trS_behaviour = {"supervisor", sup_init, sup_handle, sup_terminate};
