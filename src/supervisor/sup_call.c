/*
 * supervisor/sup_call.c: the run-time requests' transport and the answers' encoding,
 * shared by the blocking calls (embedder threads) and their _async twins (actors): both
 * build the same request object (trS_req, sup.h), send it the same way and decode the
 * same answer bytes; they differ only in who receives the answer (a waiting thread, or
 * the asking actor as a message carrying its corr).
 *
 * Why not an ask. A request may own something (a spec's arg, with arg_free), and it has
 * to be freed exactly once whatever happens to the request: refused, carried out, timed
 * out and carried out later, or never seen because the supervisor died with it queued.
 * An ask's payload is copied and silently discarded in that last case, and a timed-out
 * ask leaves the caller unable to tell whether the supervisor took the arg. So the
 * request is lent instead: a USER message (normal lane, behind the exits already
 * queued) tagged TROUPE_SUP_TAG_REQ whose borrowed payload is a pointer to the request,
 * with a release callback. The runtime calls release exactly once when it is done with
 * the message: after a handler saw it, or when it drops it (the addressee died), or when
 * the send fails. The supervisor marks what it sees (SEEN) and answers it itself; a
 * request released unseen (dropped, or handled by an actor that is not a supervisor) is
 * answered NOT_RUNNING by the release. The caller's timeout is a runtime timer. Whoever
 * answers first wins `answered`; the others do nothing, so exactly one answer goes out.
 * The corr comes from trA_corr_new, which no ask or other request can share.
 *
 * The request's arg belongs to the request until a child record adopts it (the
 * supervisor then frees it when the spec goes for good) or the supervisor answers without
 * adopting it (trS_req_done frees it first); a request nobody saw frees it when its last
 * reference goes (req_put).
 */
#include "supervisor/sup.h"

/* Request flags. SENT (the caller, after its send succeeded) and RELEASED (the release
 * callback) are a handshake: both are read-modify-writes of one word, so whichever comes
 * second sees the other's bit and, if no supervisor SEEN it, answers NOT_RUNNING. The
 * default seq_cst is more than that needs (any RMW order would do); these are rare. */
enum { TRS_Q_SENT = 1u, TRS_Q_RELEASED = 2u, TRS_Q_SEEN = 4u };

#define TRS_ANSWER_MAGIC 0x53414e31u /* "SAN1" */

/* ---- answer bytes: a head, the error message, then one entry (+ id) per child ------ */
typedef struct ans_head {
  uint32_t magic;
  int32_t status;
  uint64_t child;
  uint64_t specs, active, supervisors, workers, restarts;
  uint32_t msglen, nchildren;
} ans_head;

typedef struct ans_kid {
  uint64_t child;
  uint32_t restarts;
  int32_t type, restart, health;
  uint32_t idlen; /* UINT32_MAX: no id (a dynamic child) */
} ans_kid;

static void *encode(const trS_req *q, int rc, const troupe_err *e, size_t *len) {
  bool full = rc == TROUPE_OK && q;
  size_t msglen = rc && e ? strnlen(e->msg, sizeof e->msg) : 0;
  size_t n = full ? q->ninfos : 0, size = sizeof(ans_head) + msglen + n * sizeof(ans_kid);
  for (size_t i = 0; i < n; i++)
    size += q->infos[i].id ? strlen(q->infos[i].id) : 0;
  unsigned char *b = trB_malloc(size), *p = b;
  if (!b)
    return NULL;
  ans_head h = {.magic = TRS_ANSWER_MAGIC, .status = rc, .msglen = (uint32_t)msglen,
                .nchildren = (uint32_t)n};
  if (full) {
    h.child = q->out_child;
    h.specs = q->counts.specs;
    h.active = q->counts.active;
    h.supervisors = q->counts.supervisors;
    h.workers = q->counts.workers;
    h.restarts = q->counts.restarts;
  }
  memcpy(p, &h, sizeof h);
  p += sizeof h;
  memcpy(p, e ? e->msg : "", msglen);
  p += msglen;
  for (size_t i = 0; i < n; i++) {
    const troupe_child_info *v = &q->infos[i];
    size_t idlen = v->id ? strlen(v->id) : 0;
    ans_kid k = {.child = v->child, .restarts = v->restarts, .type = (int32_t)v->type,
                 .restart = (int32_t)v->restart, .health = (int32_t)v->health,
                 .idlen = v->id ? (uint32_t)idlen : UINT32_MAX};
    memcpy(p, &k, sizeof k);
    p += sizeof k;
    memcpy(p, v->id ? v->id : "", idlen);
    p += idlen;
  }
  *len = size;
  return b;
}

/* Decode answer bytes (ours: trusted in content, still bounds-checked). */
static int decode(const void *data, size_t len, troupe_sup_answer *out) {
  memset(out, 0, sizeof *out);
  const unsigned char *p = data, *end = p + len;
  ans_head h;
  if (!data || len < sizeof h)
    return TROUPE_E_INVAL;
  memcpy(&h, p, sizeof h);
  p += sizeof h;
  if (h.magic != TRS_ANSWER_MAGIC || h.status > 0 || (size_t)(end - p) < h.msglen)
    return TROUPE_E_INVAL;
  out->status = h.status;
  if (h.status) {
    size_t n = TR_MIN((size_t)h.msglen, sizeof out->err.msg - 1);
    if (n)
      troupe_err_set(&out->err, h.status, "%.*s", (int)n, (const char *)p);
    else
      troupe_err_set(&out->err, h.status, "%s", troupe_strerror(h.status));
  }
  p += h.msglen;
  out->child = h.child;
  out->counts = (troupe_child_counts){.specs = (size_t)h.specs, .active = (size_t)h.active,
                                      .supervisors = (size_t)h.supervisors,
                                      .workers = (size_t)h.workers, .restarts = h.restarts};
  if (h.status || !h.nchildren)
    return TROUPE_OK;
  troupe_child_info *v = trB_calloc(h.nchildren, sizeof *v);
  if (!v)
    goto nomem;
  for (uint32_t i = 0; i < h.nchildren; i++) {
    ans_kid k;
    if ((size_t)(end - p) < sizeof k)
      goto bad;
    memcpy(&k, p, sizeof k);
    p += sizeof k;
    if (k.idlen != UINT32_MAX) {
      if ((size_t)(end - p) < k.idlen)
        goto bad;
      if (!(v[i].id = trB_malloc((size_t)k.idlen + 1))) {
        troupe_sup_children_free(v, i);
        goto nomem;
      }
      memcpy(v[i].id, p, k.idlen);
      v[i].id[k.idlen] = '\0';
      p += k.idlen;
    }
    v[i].child = k.child;
    v[i].restarts = k.restarts;
    v[i].type = (troupe_child_type)k.type;
    v[i].restart = (troupe_restart_type)k.restart;
    v[i].health = (troupe_health)k.health;
  }
  out->children = v;
  out->nchildren = h.nchildren;
  return TROUPE_OK;
bad:
  troupe_sup_children_free(v, h.nchildren);
  memset(out, 0, sizeof *out);
  return TROUPE_E_INVAL;
nomem:
  memset(out, 0, sizeof *out);
  out->status = TROUPE_E_NOMEM;
  troupe_err_set(&out->err, TROUPE_E_NOMEM, "supervisor answer: out of memory");
  return TROUPE_OK;
}

/* ---- the request object ------------------------------------------------------------ */
static void req_put(trS_req *q) {
  /* acq_rel: the last owner sees every other owner's writes (the supervisor's results,
   * its clearing of spec.arg_free) before it frees. */
  if (atomic_fetch_sub_explicit(&q->refs, 1, memory_order_acq_rel) != 1)
    return;
  if (q->spec.arg_free) /* nobody adopted or freed it: the request was never handled */
    q->spec.arg_free(q->spec.arg);
  troupe_timer *t = atomic_exchange(&q->timer, NULL);
  if (t)
    troupe_timer_forget(t); /* it fired (a pending timer holds a reference) */
  if (q->blocking) {
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->cond);
  }
  troupe_sup_children_free(q->infos, q->ninfos);
  free(q->ans);
  free(q->id);
  free(q->extra);
  free(q);
}

/* A new request; an owned spec arg is handed over even when this fails. */
static trS_req *req_new(int kind, const troupe_child_spec *spec, const char *id,
                        const void *extra, size_t extra_len, troupe_err *err) {
  trS_req *q = trB_calloc(1, sizeof *q);
  if (!q)
    goto nomem;
  atomic_init(&q->refs, 1);
  atomic_init(&q->flags, 0);
  atomic_init(&q->answered, 0);
  atomic_init(&q->timer, NULL);
  q->kind = kind;
  if (spec) {
    q->spec = *spec;
    q->spec.id = NULL;
    id = spec->id;
  }
  if (id && !(q->id = trB_strdup(id)))
    goto nomem;
  q->spec.id = spec ? q->id : NULL;
  if (extra_len) {
    if (!(q->extra = trB_memdup(extra, extra_len)))
      goto nomem;
    q->extra_len = extra_len;
  }
  return q;
nomem:
  if (q)
    req_put(q); /* frees an owned arg */
  else if (spec && spec->arg_free)
    spec->arg_free(spec->arg);
  troupe_err_set(err, TROUPE_E_NOMEM, "supervisor request: out of memory");
  return NULL;
}

/* Deliver an answer unless somebody already did. The supervisor's and the caller's
 * references are not touched here. */
static void deliver(trS_req *q, troupe_actor_id from, int rc, const troupe_err *e) {
  int expect = 0;
  if (!atomic_compare_exchange_strong(&q->answered, &expect, 1))
    return;
  /* seq_cst with the caller's store of the timer then load of answered (arm_timeout):
   * one of the two sees the other and cancels it. */
  troupe_timer *t = atomic_exchange(&q->timer, NULL);
  if (t)
    trA_timer_cancel(t); /* its dtor drops the timer's reference */
  size_t len = 0;
  void *b = encode(q, rc, e, &len);
  troupe_err nomem;
  if (!b) { /* no room for the whole answer: say so in the smallest one */
    troupe_err_set(&nomem, TROUPE_E_NOMEM, "supervisor answer: out of memory");
    b = encode(NULL, TROUPE_E_NOMEM, &nomem, &len);
  }
  if (q->blocking) {
    pthread_mutex_lock(&q->lock);
    q->ans = b;
    q->anslen = b ? len : 0;
    atomic_store_explicit(&q->done, true, memory_order_release); /* ans before done */
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    return;
  }
  if (!b)
    return; /* out of memory twice: the asker falls back on its timeout */
  troupe_send_args a = {.from = from, .to = q->asker, .tag = TROUPE_SUP_TAG_ANSWER,
                        .flags = TROUPE_SEND_SYSTEM, .data = b, .len = len, .corr = q->corr};
  troupe_send_ex(q->rt, &a); /* the asker may be gone: then nobody is left to tell */
  free(b);
}

static void fail(trS_req *q, int rc, const char *msg) {
  troupe_err e;
  troupe_err_set(&e, rc, "%s", msg);
  deliver(q, 0, rc, &e);
}

static void gone(trS_req *q) {
  fail(q, TROUPE_E_NOT_RUNNING, "supervisor: no supervisor handled the request (it is gone)");
}

/* The message is done with (seen, dropped or not sent): its reference goes. */
static void req_release(void *user, const void *data, size_t len) {
  (void)data;
  (void)len;
  trS_req *q = user;
  unsigned old = atomic_fetch_or(&q->flags, TRS_Q_RELEASED);
  /* Unseen, and the send had succeeded (else the caller reports the failure itself; if
   * the send has not returned yet, the caller sees RELEASED and answers). */
  if ((old & (TRS_Q_SEEN | TRS_Q_SENT)) == TRS_Q_SENT)
    gone(q);
  req_put(q);
}

trS_req *trS_req_take(const troupe_message *m) {
  trS_req *q;
  if (m->kind != TROUPE_MSG_USER || m->tag != TROUPE_SUP_TAG_REQ || m->len != sizeof q)
    return NULL;
  memcpy(&q, m->data, sizeof q);
  /* Relaxed is enough: the handler runs before its message is released, on this thread. */
  atomic_fetch_add_explicit(&q->refs, 1, memory_order_relaxed);
  atomic_fetch_or(&q->flags, TRS_Q_SEEN); /* before the release: same thread, after us */
  return q;
}

void trS_req_answer(trS_req *q, troupe_actor_id from, int rc, const troupe_err *e) {
  deliver(q, from, rc, e);
  req_put(q);
}

/* Lend q to `sup`. On failure nothing was delivered and nobody will answer. */
static int req_send(trS_req *q, troupe_runtime *rt, troupe_actor_id from, troupe_actor_id sup) {
  q->rt = rt;
  q->self = q;
  atomic_fetch_add(&q->refs, 1); /* the message's, dropped by req_release */
  troupe_send_args a = {.from = from, .to = sup, .tag = TROUPE_SUP_TAG_REQ, .data = &q->self,
                        .len = sizeof q->self, .release = req_release, .release_user = q};
  int rc = troupe_send_ex(rt, &a);
  if (rc) {
    atomic_store(&q->answered, 1); /* the caller reports it; release did not answer */
    return rc;
  }
  unsigned old = atomic_fetch_or(&q->flags, TRS_Q_SENT);
  if ((old & (TRS_Q_SEEN | TRS_Q_RELEASED)) == TRS_Q_RELEASED)
    gone(q); /* released unseen before we got here */
  return TROUPE_OK;
}

static void timeout_fire(troupe_runtime *rt, void *arg) {
  (void)rt;
  trS_req *q = arg;
  fail(q, TROUPE_E_TIMEOUT, "supervisor: no answer within the timeout");
  req_put(q);
}

static void timeout_drop(troupe_runtime *rt, void *arg) {
  (void)rt;
  req_put(arg);
}

static void arm_timeout(trS_req *q, uint64_t timeout_ns) {
  if (timeout_ns == TROUPE_INFINITY)
    return;
  atomic_fetch_add(&q->refs, 1); /* the timer's */
  troupe_timer *t = NULL;
  int rc = trA_timer_start(q->rt, timeout_ns, timeout_fire, timeout_drop, q, true, &t);
  if (rc) {
    req_put(q);
    fail(q, rc, "supervisor: cannot arm the request's timeout");
    return;
  }
  atomic_store(&q->timer, t);
  if (atomic_load(&q->answered)) { /* answered before the timer was visible: cancel it */
    t = atomic_exchange(&q->timer, NULL);
    if (t)
      trA_timer_cancel(t);
  }
}

/* ---- the two ways of calling ----------------------------------------------------- */
/* A blocking call's thread spins before it sleeps on the condition variable: waking a
 * sleeping thread costs tens of microseconds on this VM (a futex wake, then the idle
 * vCPU's wake-up), as long as a whole spawn. It spins for up to twice the recent calls'
 * average duration (an exponential average over the process's blocking calls; a
 * racy estimate is fine), within [20 us, 200 us], then sleeps as before; the answerer's
 * signal costs no syscall when nobody sleeps. bench-component's spawn row (a blocking
 * start_child per spawn), five alternating pairs: median 49-54 us with this spin,
 * 65-70 us without; a fixed 30 us (troupe_ask's) was worse than none (76-83 us): it
 * gave up just before most answers came, then slept anyway. */
#define SPIN_MIN_NS 20000u
#define SPIN_MAX_NS 200000u
static _Atomic uint64_t avg_call_ns = 50000u;

static void spin_for_answer(trS_req *q, uint64_t t0) {
  uint64_t budget = 2 * atomic_load_explicit(&avg_call_ns, memory_order_relaxed);
  budget = budget < SPIN_MIN_NS ? SPIN_MIN_NS : budget > SPIN_MAX_NS ? SPIN_MAX_NS : budget;
  uint64_t end = t0 + budget;
  for (unsigned spin = 1; !atomic_load_explicit(&q->done, memory_order_acquire); spin++) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if ((spin & 127) == 0 && troupe_clock_mono_ns() >= end)
      return;
  }
}

/* One more call took `took` ns: the average moves an eighth of the way. */
static void note_call(uint64_t took) {
  uint64_t avg = atomic_load_explicit(&avg_call_ns, memory_order_relaxed);
  avg = took > avg ? avg + (took - avg) / 8 : avg - (avg - took) / 8;
  atomic_store_explicit(&avg_call_ns, avg, memory_order_relaxed);
}

/* q NULL: building it failed with be (copied to err). */
static int call(troupe_runtime *rt, troupe_actor_id sup, trS_req *q, const troupe_err *be,
                troupe_sup_answer *ans, troupe_err *err) {
  memset(ans, 0, sizeof *ans);
  if (!q)
    return troupe_err_set(err, be->code, "%s", be->msg);
  int rc = TROUPE_OK;
  if (!rt)
    rc = troupe_err_set(err, TROUPE_E_INVAL, "supervisor: runtime required");
  else if (trA_on_worker(rt))
    rc = troupe_err_set(err, TROUPE_E_STATE,
                        "supervisor: blocking call on a worker; use the _async form");
  if (rc) {
    req_put(q);
    return rc;
  }
  q->blocking = true;
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->cond, NULL);
  uint64_t t0 = troupe_clock_mono_ns();
  if ((rc = req_send(q, rt, 0, sup))) {
    req_put(q);
    return troupe_err_set(err, rc, "supervisor: %s", troupe_strerror(rc));
  }
  spin_for_answer(q, t0);
  pthread_mutex_lock(&q->lock);
  while (!atomic_load_explicit(&q->done, memory_order_acquire))
    pthread_cond_wait(&q->cond, &q->lock);
  pthread_mutex_unlock(&q->lock);
  note_call(troupe_clock_mono_ns() - t0);
  if (q->ans)
    rc = decode(q->ans, q->anslen, ans) ? TROUPE_E_INTERNAL : ans->status;
  else
    rc = TROUPE_E_NOMEM;
  req_put(q);
  if (rc)
    troupe_err_set(err, rc, "%s", ans->err.msg[0] ? ans->err.msg : troupe_strerror(rc));
  return rc;
}

static int call_async(troupe_actor *self, troupe_actor_id sup, trS_req *q, const troupe_err *be,
                      uint64_t timeout_ns, uint64_t *corr, troupe_err *err) {
  if (corr)
    *corr = 0;
  if (!q)
    return troupe_err_set(err, be->code, "%s", be->msg);
  int rc = TROUPE_OK;
  if (!self || !corr)
    rc = troupe_err_set(err, TROUPE_E_INVAL, "supervisor: self and corr required");
  else if (trA_current_actor() != self)
    rc = troupe_err_set(err, TROUPE_E_STATE, "supervisor: not called by the running actor");
  if (rc) {
    req_put(q);
    return rc;
  }
  troupe_runtime *rt = troupe_actor_runtime(self);
  q->asker = troupe_self(self);
  q->corr = trA_corr_new(rt);
  if ((rc = req_send(q, rt, q->asker, sup))) {
    req_put(q);
    return troupe_err_set(err, rc, "supervisor: %s", troupe_strerror(rc));
  }
  arm_timeout(q, timeout_ns);
  *corr = q->corr;
  req_put(q);
  return TROUPE_OK;
}

/* ---- requests ---------------------------------------------------------------------- */
static trS_req *start_child_req(const troupe_child_spec *spec, troupe_err *err) {
  if (!spec) {
    troupe_err_set(err, TROUPE_E_INVAL, "start_child: spec required");
    return NULL;
  }
  return req_new(TRS_REQ_START_CHILD, spec, NULL, NULL, 0, err);
}

static trS_req *start_dynamic_req(const void *extra, size_t extra_len, troupe_err *err) {
  if (extra_len && !extra) {
    troupe_err_set(err, TROUPE_E_INVAL, "start_dynamic: extra is NULL");
    return NULL;
  }
  return req_new(TRS_REQ_START_DYNAMIC, NULL, NULL, extra, extra_len, err);
}

static trS_req *terminate_req(const char *id, troupe_actor_id child, troupe_err *err) {
  trS_req *q = req_new(TRS_REQ_TERMINATE, NULL, id, NULL, 0, err);
  if (q)
    q->child = child;
  return q;
}

static trS_req *named_req(int kind, const char *id, const char *what, troupe_err *err) {
  if (!id) {
    troupe_err_set(err, TROUPE_E_INVAL, "%s: id required", what);
    return NULL;
  }
  return req_new(kind, NULL, id, NULL, 0, err);
}

int troupe_sup_start_child(troupe_runtime *rt, troupe_actor_id sup, const troupe_child_spec *spec,
                           troupe_actor_id *child, troupe_err *err) {
  troupe_err be;
  troupe_sup_answer a;
  int rc = call(rt, sup, start_child_req(spec, &be), &be, &a, err);
  if (child)
    *child = a.child;
  return rc;
}

int troupe_sup_start_child_async(troupe_actor *self, troupe_actor_id sup,
                                 const troupe_child_spec *spec, uint64_t timeout_ns,
                                 uint64_t *corr, troupe_err *err) {
  troupe_err be;
  return call_async(self, sup, start_child_req(spec, &be), &be, timeout_ns, corr, err);
}

int troupe_sup_start_dynamic(troupe_runtime *rt, troupe_actor_id sup, const void *extra,
                             size_t extra_len, troupe_actor_id *child, troupe_err *err) {
  troupe_err be;
  troupe_sup_answer a;
  int rc = call(rt, sup, start_dynamic_req(extra, extra_len, &be), &be, &a, err);
  if (child)
    *child = a.child;
  return rc;
}

int troupe_sup_start_dynamic_async(troupe_actor *self, troupe_actor_id sup, const void *extra,
                                   size_t extra_len, uint64_t timeout_ns, uint64_t *corr,
                                   troupe_err *err) {
  troupe_err be;
  return call_async(self, sup, start_dynamic_req(extra, extra_len, &be), &be, timeout_ns, corr,
                    err);
}

int troupe_sup_terminate_child(troupe_runtime *rt, troupe_actor_id sup, const char *id,
                               troupe_actor_id child, troupe_err *err) {
  troupe_err be;
  troupe_sup_answer a;
  return call(rt, sup, terminate_req(id, child, &be), &be, &a, err);
}

int troupe_sup_terminate_child_async(troupe_actor *self, troupe_actor_id sup, const char *id,
                                     troupe_actor_id child, uint64_t timeout_ns, uint64_t *corr,
                                     troupe_err *err) {
  troupe_err be;
  return call_async(self, sup, terminate_req(id, child, &be), &be, timeout_ns, corr, err);
}

int troupe_sup_restart_child(troupe_runtime *rt, troupe_actor_id sup, const char *id,
                             troupe_actor_id *child, troupe_err *err) {
  troupe_err be;
  troupe_sup_answer a;
  int rc = call(rt, sup, named_req(TRS_REQ_RESTART, id, "restart_child", &be), &be, &a, err);
  if (child)
    *child = a.child;
  return rc;
}

int troupe_sup_restart_child_async(troupe_actor *self, troupe_actor_id sup, const char *id,
                                   uint64_t timeout_ns, uint64_t *corr, troupe_err *err) {
  troupe_err be;
  return call_async(self, sup, named_req(TRS_REQ_RESTART, id, "restart_child", &be), &be,
                    timeout_ns, corr, err);
}

int troupe_sup_delete_child(troupe_runtime *rt, troupe_actor_id sup, const char *id,
                            troupe_err *err) {
  troupe_err be;
  troupe_sup_answer a;
  return call(rt, sup, named_req(TRS_REQ_DELETE, id, "delete_child", &be), &be, &a, err);
}

int troupe_sup_delete_child_async(troupe_actor *self, troupe_actor_id sup, const char *id,
                                  uint64_t timeout_ns, uint64_t *corr, troupe_err *err) {
  troupe_err be;
  return call_async(self, sup, named_req(TRS_REQ_DELETE, id, "delete_child", &be), &be, timeout_ns,
                    corr, err);
}

int troupe_sup_which_children(troupe_runtime *rt, troupe_actor_id sup, troupe_child_info **out,
                              size_t *n, troupe_err *err) {
  troupe_err be;
  if (!out || !n)
    return troupe_err_set(err, TROUPE_E_INVAL, "which_children: out and n required");
  troupe_sup_answer a;
  int rc = call(rt, sup, req_new(TRS_REQ_WHICH, NULL, NULL, NULL, 0, &be), &be, &a, err);
  *out = a.children;
  *n = a.nchildren;
  return rc;
}

int troupe_sup_which_children_async(troupe_actor *self, troupe_actor_id sup, uint64_t timeout_ns,
                                    uint64_t *corr, troupe_err *err) {
  troupe_err be;
  return call_async(self, sup, req_new(TRS_REQ_WHICH, NULL, NULL, NULL, 0, &be), &be, timeout_ns,
                    corr, err);
}

int troupe_sup_count_children(troupe_runtime *rt, troupe_actor_id sup, troupe_child_counts *out,
                              troupe_err *err) {
  troupe_err be;
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "count_children: out required");
  troupe_sup_answer a;
  int rc = call(rt, sup, req_new(TRS_REQ_COUNT, NULL, NULL, NULL, 0, &be), &be, &a, err);
  *out = a.counts;
  return rc;
}

int troupe_sup_count_children_async(troupe_actor *self, troupe_actor_id sup, uint64_t timeout_ns,
                                    uint64_t *corr, troupe_err *err) {
  troupe_err be;
  return call_async(self, sup, req_new(TRS_REQ_COUNT, NULL, NULL, NULL, 0, &be), &be, timeout_ns,
                    corr, err);
}

/* ---- answers ----------------------------------------------------------------------- */
bool troupe_sup_is_answer(const troupe_message *msg) {
  return msg && msg->kind == TROUPE_MSG_SYSTEM && msg->tag == TROUPE_SUP_TAG_ANSWER;
}

int troupe_sup_answer_read(const troupe_message *msg, troupe_sup_answer *out, troupe_err *err) {
  troupe_sup_answer tmp;
  if (!out)
    out = &tmp;
  memset(out, 0, sizeof *out);
  if (!troupe_sup_is_answer(msg) || decode(msg->data, msg->len, out)) {
    out->status = TROUPE_E_INVAL;
    troupe_err_set(&out->err, TROUPE_E_INVAL, "not a supervisor answer");
  }
  if (out == &tmp)
    troupe_sup_children_free(tmp.children, tmp.nchildren);
  if (out->status)
    troupe_err_set(err, out->status, "%s", out->err.msg);
  return out->status;
}
