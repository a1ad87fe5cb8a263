/*
 * supervisor/sup_api.c: starting a supervisor (from an embedder thread, waiting for its
 * children; or linked from an actor, acknowledged by message), and the supervisor's side
 * of the run-time requests: it handles one when it is idle (else queues it), and
 * answers it exactly once with trS_req_done. The callers' side and the transport are in
 * sup_call.c.
 */
#include "supervisor/sup.h"

#include <stdio.h>

/* ---- start waiter ------------------------------------------------------------------ */
void trS_waiter_put(trS_waiter *w) {
  /* acq_rel: the last owner sees the other's writes before destroying. */
  if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) == 1) {
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
  }
}

void trS_waiter_signal(trS_waiter *w, int rc, const troupe_err *err) {
  pthread_mutex_lock(&w->lock);
  if (!w->done) {
    w->done = true;
    w->rc = rc;
    if (err)
      w->err = *err;
    pthread_cond_signal(&w->cond);
  }
  pthread_mutex_unlock(&w->lock);
}

static void copy_err(troupe_err *dst, int rc, const troupe_err *src) {
  if (dst && rc)
    troupe_err_set(dst, rc, "%s", src && src->msg[0] ? src->msg : troupe_strerror(rc));
}

/* ---- starting ------------------------------------------------------------------- */
int troupe_sup_start(troupe_runtime *rt, const troupe_sup_config *cfg,
                     const troupe_child_spec *specs, size_t nspecs, troupe_actor_id *out,
                     troupe_err *err) {
  if (!rt || !out) {
    trS_free_spec_args(specs, nspecs);
    return troupe_err_set(err, TROUPE_E_INVAL, "sup_start: runtime and out required");
  }
  *out = 0;
  if (trA_on_worker(rt)) {
    trS_free_spec_args(specs, nspecs);
    return troupe_err_set(err, TROUPE_E_STATE,
                          "sup_start: called on a worker; use troupe_sup_start_link");
  }
  troupe_err e;
  troupe_err_clear(&e);
  trS_sup *s = trS_new(rt, cfg, specs, nspecs, &e);
  if (!s)
    return troupe_err_set(err, e.code, "%s", e.msg);
  trS_waiter *w = trB_calloc(1, sizeof *w);
  if (!w) {
    trS_free(s);
    return troupe_err_set(err, TROUPE_E_NOMEM, "sup_start: out of memory");
  }
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->cond, NULL);
  atomic_init(&w->refs, 2);
  s->waiter = w;
  troupe_spawn_opts o = {.flags = TROUPE_SPAWN_TRAP_EXIT | TROUPE_SPAWN_STOP_WAIT,
                         .name = cfg ? cfg->name : NULL,
                         .metadata = cfg ? cfg->metadata : NULL};
  troupe_actor_id id;
  int rc = troupe_spawn(rt, NULL, &trS_behaviour, s, &o, &id, err);
  if (rc) {
    trS_free(s);
    trS_waiter_put(w);
    trS_waiter_put(w);
    return rc;
  }
  pthread_mutex_lock(&w->lock);
  while (!w->done)
    pthread_cond_wait(&w->cond, &w->lock);
  rc = w->rc;
  e = w->err;
  pthread_mutex_unlock(&w->lock);
  trS_waiter_put(w);
  if (rc) {
    copy_err(err, rc, &e);
    return rc;
  }
  *out = id;
  return TROUPE_OK;
}

int troupe_sup_start_link(troupe_actor *self, const troupe_spawn_opts *opts,
                          const troupe_sup_config *cfg, const troupe_child_spec *specs,
                          size_t nspecs, troupe_actor_id *out, troupe_err *err) {
  if (!self || !out) {
    trS_free_spec_args(specs, nspecs);
    return troupe_err_set(err, TROUPE_E_INVAL, "sup_start_link: self and out required");
  }
  troupe_runtime *rt = troupe_actor_runtime(self);
  troupe_err e;
  troupe_err_clear(&e);
  trS_sup *s = trS_new(rt, cfg, specs, nspecs, &e);
  if (!s)
    return troupe_err_set(err, e.code, "%s", e.msg);
  troupe_spawn_opts o = {0};
  if (opts)
    o = *opts;
  /* Linked and trapping; the start ack is ours to send once the children are up. */
  o.flags = (o.flags | TROUPE_SPAWN_LINK | TROUPE_SPAWN_TRAP_EXIT) & ~(unsigned)TROUPE_SPAWN_ACK;
  o.parent = troupe_self(self);
  if (cfg && cfg->name)
    o.name = cfg->name;
  if (cfg && cfg->metadata)
    o.metadata = cfg->metadata;
  s->parent = o.parent;
  s->ack_to = o.parent;
  int rc = troupe_spawn(rt, self, &trS_behaviour, s, &o, out, err);
  if (rc)
    trS_free(s);
  return rc;
}

int troupe_sup_ack(troupe_actor *self, troupe_actor_id parent, int status, const char *msg) {
  if (!self || status > 0)
    return TROUPE_E_INVAL;
  size_t n = msg ? strlen(msg) : 0;
  if (n > TROUPE_ERR_MSG_MAX - 1)
    n = TROUPE_ERR_MSG_MAX - 1; /* the supervisor keeps an error message's worth */
  unsigned char buf[sizeof(int32_t) + TROUPE_ERR_MSG_MAX];
  int32_t st = status;
  memcpy(buf, &st, sizeof st);
  if (n)
    memcpy(buf + sizeof st, msg, n);
  troupe_send_args a = {.from = troupe_self(self), .to = parent, .tag = TROUPE_SUP_TAG_ACK,
                        .flags = TROUPE_SEND_SYSTEM, .data = buf, .len = sizeof st + n};
  return troupe_send_ex(troupe_actor_runtime(self), &a);
}

void troupe_sup_children_free(troupe_child_info *v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    free(v[i].id);
  free(v);
}

/* ---- requests: the supervisor's side --------------------------------------------- */
void trS_req_done(trS_sup *s, trS_req *req, int rc, const char *fmt, ...) {
  if (!req)
    return;
  troupe_err e;
  troupe_err_clear(&e);
  if (rc && fmt) {
    va_list ap;
    va_start(ap, fmt);
    troupe_err_setv(&e, rc, fmt, ap);
    va_end(ap);
  }
  /* A start_child spec that no record adopted is discarded: its arg goes before the
   * answer, so a caller that learns the outcome never finds the arg still alive. */
  if (req->spec.arg_free) {
    void (*fn)(void *) = req->spec.arg_free;
    req->spec.arg_free = NULL;
    fn(req->spec.arg);
  }
  trS_req_answer(req, s->me, rc, &e); /* req may be gone after this */
}

static int fill_which(trS_sup *s, trS_req *req) {
  troupe_child_info *v = trB_calloc(s->nkids ? s->nkids : 1, sizeof *v);
  if (!v)
    return TROUPE_E_NOMEM;
  for (size_t i = 0; i < s->nkids; i++) {
    trS_child *c = s->kids[i];
    if (c->id && !(v[i].id = trB_strdup(c->id))) {
      troupe_sup_children_free(v, i);
      return TROUPE_E_NOMEM;
    }
    v[i].child = c->state == TRS_CH_RUNNING || c->state == TRS_CH_STOPPING ? c->pid : 0;
    v[i].type = c->spec.type;
    v[i].restart = c->spec.restart;
    v[i].restarts = c->restarts;
    v[i].health = c->health;
  }
  req->infos = v;
  req->ninfos = s->nkids;
  return TROUPE_OK;
}

static void fill_counts(trS_sup *s, trS_req *req) {
  troupe_child_counts *k = &req->counts;
  memset(k, 0, sizeof *k);
  k->specs = s->nkids;
  for (size_t i = 0; i < s->nkids; i++) {
    if (s->kids[i]->pid)
      k->active++;
    if (s->kids[i]->spec.type == TROUPE_SUPERVISOR)
      k->supervisors++;
    else
      k->workers++;
  }
  k->restarts = s->total_restarts;
}

/* Begin a job for one child: start it or stop it. */
static void req_job(trS_sup *s, trS_req *req, trS_child *c, bool stop) {
  trS_job *j = &s->job;
  j->nstop = j->nstart = 0;
  int rc = stop ? trS_job_push_stop(s, c) : trS_job_push_start(s, c);
  if (rc) {
    trS_req_done(s, req, rc, "supervisor: out of memory");
    return;
  }
  j->req = req;
  j->subject = c;
  trS_start_job(s, TRS_JOB_REQ);
}

static trS_child *add_child(trS_sup *s, trS_req *req, const troupe_child_spec *spec) {
  trS_child *c = trS_child_new(s, spec, req->extra, req->extra_len);
  if (!c || trS_append(s, c)) {
    if (c) {
      c->spec.arg_free = NULL; /* still the request's: trS_req_done frees it */
      c->pos = (uint32_t)s->nkids; /* not in kids: remove() must not touch the array */
      c->removed = true;
      c->next_free = s->graveyard;
      s->graveyard = c;
      trS_recycle_graveyard(s);
    }
    trS_req_done(s, req, TROUPE_E_NOMEM, "supervisor: out of memory");
    return NULL;
  }
  if (spec == &req->spec)
    req->spec.arg_free = NULL; /* adopted: the record frees the arg when it goes */
  return c;
}

void trS_handle_req(trS_sup *s, trS_req *req) {
  bool simple = s->cfg.strategy == TROUPE_SIMPLE_ONE_FOR_ONE;
  trS_child *c = NULL;
  troupe_err e;
  int rc;
  if (s->exiting) {
    trS_req_done(s, req, TROUPE_E_NOT_RUNNING, "supervisor is shutting down");
    return;
  }
  switch (req->kind) {
  case TRS_REQ_START_CHILD:
    if (simple) {
      trS_req_done(s, req, TROUPE_E_UNSUPPORTED,
                   "start_child: simple_one_for_one takes troupe_sup_start_dynamic");
      return;
    }
    troupe_err_clear(&e);
    if ((rc = trS_check_spec(s, &req->spec, &e))) {
      trS_req_done(s, req, rc, "%s", e.msg);
      return;
    }
    if (trS_find_id(s, req->spec.id)) {
      trS_req_done(s, req, TROUPE_E_EXISTS, "start_child: id '%s' already present",
                   req->spec.id);
      return;
    }
    if ((c = add_child(s, req, &req->spec)))
      req_job(s, req, c, false);
    return;
  case TRS_REQ_START_DYNAMIC:
    if (!simple) {
      trS_req_done(s, req, TROUPE_E_UNSUPPORTED,
                   "start_dynamic: only for simple_one_for_one");
      return;
    }
    if ((c = add_child(s, req, &s->tmpl->spec)))
      req_job(s, req, c, false);
    return;
  case TRS_REQ_TERMINATE:
    c = simple ? trS_map_get(&s->by_pid, req->child)
               : (req->id ? trS_find_id(s, req->id) : NULL);
    if (!c) {
      trS_req_done(s, req, TROUPE_E_NOTFOUND, "terminate_child: no such child");
      return;
    }
    req_job(s, req, c, true);
    return;
  case TRS_REQ_RESTART:
  case TRS_REQ_DELETE:
    if (simple) {
      trS_req_done(s, req, TROUPE_E_UNSUPPORTED,
                   "restart_child/delete_child: not for simple_one_for_one");
      return;
    }
    if (!(c = trS_find_id(s, req->id))) {
      trS_req_done(s, req, TROUPE_E_NOTFOUND, "no child '%s'", req->id);
      return;
    }
    if (c->pid) {
      trS_req_done(s, req, TROUPE_E_STATE, "child '%s' is running", req->id);
      return;
    }
    if (req->kind == TRS_REQ_RESTART) {
      c->state = TRS_CH_DOWN; /* a pending backoff restart is superseded */
      req_job(s, req, c, false);
      return;
    }
    trS_remove(s, c);
    trS_recycle_graveyard(s);
    trS_req_done(s, req, TROUPE_OK, NULL);
    return;
  case TRS_REQ_WHICH:
    rc = fill_which(s, req);
    trS_req_done(s, req, rc, rc ? "which_children: out of memory" : NULL);
    return;
  case TRS_REQ_COUNT:
    fill_counts(s, req);
    trS_req_done(s, req, TROUPE_OK, NULL);
    return;
  default:
    trS_req_done(s, req, TROUPE_E_INVAL, "supervisor: unknown request");
    return;
  }
}

void trS_req_finish(trS_sup *s, trS_req *req, trS_child *c, const troupe_err *e) {
  if (!req)
    return;
  bool simple = s->cfg.strategy == TROUPE_SIMPLE_ONE_FOR_ONE;
  switch (req->kind) {
  case TRS_REQ_START_CHILD:
  case TRS_REQ_START_DYNAMIC:
  case TRS_REQ_RESTART:
    if (e->code) {
      if (req->kind != TRS_REQ_RESTART) { /* OTP discards a spec whose start failed */
        trS_remove(s, c);
        trS_recycle_graveyard(s); /* no job runs: its arg goes before the answer */
      }
      trS_req_done(s, req, TROUPE_E_START_FAILED, "%s", e->msg);
      return;
    }
    if (!c->pid && simple) /* ignored: a dynamic child is not kept */
      trS_remove(s, c);
    req->out_child = c->pid;
    trS_req_done(s, req, TROUPE_OK, NULL);
    return;
  case TRS_REQ_TERMINATE:
    if (simple || c->spec.restart == TROUPE_TEMPORARY) {
      trS_remove(s, c);
      trS_recycle_graveyard(s); /* its arg (temporary) goes before the answer */
    }
    trS_req_done(s, req, TROUPE_OK, NULL);
    return;
  default:
    trS_req_done(s, req, TROUPE_E_INTERNAL, "supervisor: bad request job");
    return;
  }
}
