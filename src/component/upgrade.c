/*
 * component/upgrade.c: hot code upgrade of one component (troupe_host_upgrade), OTP's
 * code change done per component: the running incarnation swaps its instance for one of
 * a new module and keeps its actor -- id, name, mailbox, monitors, timers, the host's
 * subscriptions. No message is lost: the swap is a job of the actor like any message,
 * so what arrives meanwhile waits behind it (stashed) and is handled by the new instance.
 *
 *   upgrader (API thread)                       the component actor (its worker)
 *   fetch + compile the module  ──request──►    (rec->upgrade_req, then an ASK
 *                                                TRP_TAG_UPGRADE in the mailbox, in order)
 *                                               instantiate the new module
 *                                               old _state_save -> bytes (if both modules
 *                                                 have the pair; no waiting, under the
 *                                                 cleanup timeout)
 *                                               swap: the new instance runs the start job
 *                                                 _initialize, _start, then _state_load
 *                                               ok:   old instance freed, the record takes
 *                                                     the new module (restarts use it)
 *                                               fail: new instance freed, the old one runs
 *   status + message  ◄──reply──                      on as if nothing happened
 *
 * The request travels through the record, not the message, so that an upgrader that
 * gives up (timeout) can take it back if the actor has not taken it yet, and nothing is
 * leaked either way. The guest's own subscriptions belong to its instance: the new
 * instance's _start makes its own, so the old one's are undone at the commit (and the
 * new one's at a rollback).
 */
#include "component/comp.h"

#include <stdio.h>

typedef struct trP_upgrade_req {
  troupe_wasm_module *mod; /* a reference */
  uint8_t sha[TROUPE_SHA256_BYTES];
  char *version;           /* the store's, or NULL */
  char *ref;               /* as given, or NULL for bytes */
} trP_upgrade_req;

struct trP_upgrade {
  trP_upgrade_req *req;
  uint64_t corr;              /* the upgrader's ask */
  troupe_wasm_instance *old;  /* the instance that ran before, kept until the commit */
  trP_exports old_ex;
  uint8_t *state;             /* _state_save's output, for _state_load */
  size_t state_len;
  bool carry;                 /* both modules have the pair: the state goes across */
  size_t subs_mark;           /* c->subs[0..mark) are the old instance's */
};

static void req_free(trP_upgrade_req *q) {
  if (!q)
    return;
  if (q->mod)
    troupe_wasm_module_free(q->mod);
  free(q->version);
  free(q->ref);
  free(q);
}

/* status, then the message: what troupe_host_upgrade returns. */
static void answer(trP_comp *c, uint64_t corr, int status, const char *msg) {
  size_t n = msg ? strlen(msg) : 0;
  uint8_t buf[sizeof(int32_t) + TROUPE_ERR_MSG_MAX];
  int32_t st = status;
  n = TR_MIN(n, sizeof buf - sizeof st);
  memcpy(buf, &st, sizeof st);
  if (n)
    memcpy(buf + sizeof st, msg, n);
  troupe_reply(c->host->rt, c->self_id, corr, buf, sizeof st + n);
}

/* Undo the guest subscriptions c->subs[from..to) and close the gap. */
static void drop_subs(trP_comp *c, size_t from, size_t to) {
  if (from == to)
    return;
  for (size_t i = from; i < to; i++)
    troupe_broker_unsubscribe(c->host->broker, c->subs[i]);
  memmove(c->subs + from, c->subs + to, (c->nsubs - to) * sizeof *c->subs);
  c->nsubs -= to - from;
}

static void up_free(trP_upgrade *up) {
  req_free(up->req);
  free(up->state);
  free(up);
}

int trP_upgrade_begin(trP_comp *c, const troupe_message *m, troupe_err *err) {
  TR_UNUSED(err);
  trP_rec *r = c->rec;
  pthread_mutex_lock(&r->mu);
  trP_upgrade_req *q = r->upgrade_req;
  r->upgrade_req = NULL;
  pthread_mutex_unlock(&r->mu);
  if (!q) {
    answer(c, m->corr, TROUPE_E_STATE, "the upgrade was withdrawn before it began");
    return TROUPE_CONTINUE;
  }
  char msg[TROUPE_ERR_MSG_MAX];
  trP_exports ex;
  troupe_wasm_instance *ni = NULL;
  troupe_err e;
  troupe_err_clear(&e);
  int rc = TROUPE_OK;
  if (!c->ready)
    rc = troupe_err_set(&e, TROUPE_E_NOT_READY, "component '%s' is not ready", r->name);
  if (!rc && (rc = trP_bind_exports(q->mod, &ex, &e)))
    troupe_err_set(&e, rc, "instantiation failed: %s", e.msg);
  if (!rc)
    rc = trP_instantiate(c, q->mod, &ni, &e);
  trP_upgrade *up = rc ? NULL : trB_calloc(1, sizeof *up);
  if (!rc && !up)
    rc = troupe_err_set(&e, TROUPE_E_NOMEM, "out of memory");
  if (!rc && c->ex.save != UINT32_MAX && ex.load != UINT32_MAX) {
    /* The old instance saves its state now, while it is idle; it may not wait. */
    up->carry = true;
    trP_output_reset(c);
    troupe_wasm_val arg = TROUPE_WASM_VAL_I32(0), res = TROUPE_WASM_VAL_I32(0);
    troupe_err se;
    troupe_err_clear(&se);
    rc = trP_call_nowait(c, c->ex.save, &arg, 1, &res, 1, c->lim->cleanup_timeout_ms, &se);
    if (!rc && res.of.i32 != 0)
      rc = troupe_err_set(&se, res.of.i32 < 0 ? res.of.i32 : TROUPE_E_INVAL,
                          "it returned %d", (int)res.of.i32);
    if (rc)
      troupe_err_set(&e, rc, "state save failed: %s in _state_save", se.msg);
    else if (c->out_len && !(up->state = trB_memdup(c->out, c->out_len)))
      rc = troupe_err_set(&e, TROUPE_E_NOMEM, "out of memory");
    else
      up->state_len = c->out_len;
  }
  if (rc) {
    if (ni)
      troupe_wasm_instance_free(ni);
    if (up)
      up_free(up);
    req_free(q);
    snprintf(msg, sizeof msg, "%s", e.msg);
    answer(c, m->corr, rc, msg);
    return TROUPE_CONTINUE;
  }
  up->req = q;
  up->corr = m->corr;
  up->old = c->inst;
  up->old_ex = c->ex;
  up->subs_mark = c->nsubs;
  c->inst = ni;
  c->ex = ex;
  c->up = up;
  c->start_phase = 0;
  c->job_started_ns = troupe_clock_mono_ns();
  trP_rec_set_state(r, TROUPE_COMPONENT_STARTING);
  return trP_begin_start(c, err);
}

static int commit(trP_comp *c) {
  trP_upgrade *up = c->up;
  trP_rec *r = c->rec;
  trP_job_clear(c);
  char from[TROUPE_SHA256_HEX], to[TROUPE_SHA256_HEX];
  troupe_sha256_hex(r->sha256, from);
  troupe_sha256_hex(up->req->sha, to);
  troupe_wasm_instance_free(up->old);
  drop_subs(c, 0, up->subs_mark);
  trP_upgrade_req *q = up->req;
  if (!q->ref) { /* bytes: the module is known by its hash from now on */
    char ref[8 + TROUPE_SHA256_HEX];
    snprintf(ref, sizeof ref, "sha256:%s", to);
    q->ref = trB_strdup(ref); /* NULL (out of memory) keeps the old name: only a label */
  }
  trP_rec_set_module(r, q->mod, q->sha, q->version, q->ref, c->self_id);
  q->mod = NULL;
  q->version = q->ref = NULL;
  trP_note_memory(c);
  c->up = NULL;
  trP_rec_set_state(r, TROUPE_COMPONENT_READY);
  answer(c, up->corr, TROUPE_OK, NULL);
  troupe_log_field f[] = {TROUPE_LOG_STR("from_sha256", from), TROUPE_LOG_STR("module_sha256", to),
                          TROUPE_LOG_STR("module", r->module_ref),
                          TROUPE_LOG_STR("state", up->carry ? "carried" : "fresh")};
  trP_event(c->host, TROUPE_LOG_INFO, "component_upgraded", r, f, TR_ARRAY_LEN(f));
  up_free(up);
  return TROUPE_CONTINUE;
}

int trP_upgrade_started(trP_comp *c, troupe_err *err) {
  trP_upgrade *up = c->up;
  if (!up->carry)
    return commit(c);
  /* Phase 2 of the start job: the new instance reads the state as its input. */
  c->start_phase = 2;
  c->job = TRP_JOB_START;
  c->job_export = c->ex.load;
  c->in = up->state;
  c->in_len = up->state_len;
  trP_output_reset(c);
  c->job_args[0] = TROUPE_WASM_VAL_I32((int32_t)up->state_len);
  c->job_nargs = 1;
  c->job_nres = 1;
  return trP_run(c, true, NULL, err);
}

int trP_upgrade_loaded(trP_comp *c, const troupe_wasm_val *res, troupe_err *err) {
  TR_UNUSED(err);
  int32_t rv = res ? res[0].of.i32 : 0;
  if (rv != 0) {
    char msg[96];
    snprintf(msg, sizeof msg, "start function failed: _state_load refused the state (it returned %d)",
             (int)rv);
    return trP_upgrade_failed(c, rv < 0 ? rv : TROUPE_E_INVAL, msg);
  }
  return commit(c);
}

int trP_upgrade_failed(trP_comp *c, int code, const char *msg) {
  trP_upgrade *up = c->up;
  trP_rec *r = c->rec;
  if (c->wait != TRP_WAIT_NONE) { /* it failed while waiting (a stop): forget the wait */
    if (c->wait_timer)
      troupe_timer_cancel(c->wait_timer);
    c->wait_timer = NULL;
    c->wait = TRP_WAIT_NONE;
    c->wait_corr = 0;
  }
  trP_job_clear(c);
  troupe_wasm_instance_free(c->inst);
  c->inst = up->old;
  c->ex = up->old_ex;
  drop_subs(c, up->subs_mark, c->nsubs);
  c->up = NULL;
  trP_rec_set_state(r, TROUPE_COMPONENT_READY);
  char text[TROUPE_ERR_MSG_MAX];
  snprintf(text, sizeof text, "component %llu '%s': upgrade: %s; the old module runs on",
           (unsigned long long)r->id, r->name, msg);
  answer(c, up->corr, code, text);
  troupe_log_field f[] = {TROUPE_LOG_STR("error", msg)};
  trP_event(c->host, TROUPE_LOG_WARN, "component_upgrade_failed", r, f, TR_ARRAY_LEN(f));
  up_free(up);
  return TROUPE_CONTINUE;
}

void trP_upgrade_free(trP_comp *c) {
  if (!c->up)
    return;
  troupe_wasm_instance_free(c->up->old);
  up_free(c->up);
  c->up = NULL;
}

/* ---- the API --------------------------------------------------------------------------- */
int troupe_host_upgrade(troupe_host *h, troupe_component_id id, const char *module,
                        const uint8_t *bytes, size_t len, uint64_t timeout_ns, troupe_err *err) {
  if (!h || (!module == !bytes) || (bytes && !len))
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "host_upgrade: give a module reference or its bytes (one of them)");
  if (trA_on_worker(h->rt))
    return troupe_err_set(err, TROUPE_E_STATE,
                          "troupe_host_upgrade waits, and was called on a worker thread");
  trP_rec *r = trP_table_get(&h->table, id);
  if (!r)
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no component %llu", (unsigned long long)id);
  trP_upgrade_req *q = trB_calloc(1, sizeof *q);
  troupe_err e;
  troupe_err_clear(&e);
  int rc = q ? TROUPE_OK : TROUPE_E_NOMEM;
  if (!rc)
    rc = trP_module_fetch(h, module, bytes, len, &q->mod, q->sha, &q->version, &e);
  if (!rc && module && !(q->ref = trB_strdup(module)))
    rc = troupe_err_set(&e, TROUPE_E_NOMEM, "out of memory");
  if (!rc) {
    pthread_mutex_lock(&r->mu);
    if (r->upgrade_req)
      rc = troupe_err_set(&e, TROUPE_E_STATE, "another upgrade is being handed over");
    else
      r->upgrade_req = q;
    pthread_mutex_unlock(&r->mu);
  }
  if (rc) {
    req_free(q);
    rc = troupe_err_set(err, rc, "component %llu '%s': upgrade: %s", (unsigned long long)r->id,
                        r->name, rc == TROUPE_E_NOMEM && !e.msg[0] ? "out of memory" : e.msg);
    trP_rec_unref(r);
    return rc;
  }
  if (!timeout_ns)
    timeout_ns = TROUPE_MS((uint64_t)r->spec->s.limits.start_timeout_ms +
                           r->spec->s.limits.cleanup_timeout_ms) + TROUPE_SEC(5);
  troupe_reply_msg rm = {0};
  trP_wire w = {0};
  rc = trP_ask_wire(h, r, TRP_TAG_UPGRADE, &w, NULL, 0, NULL, 0, timeout_ns, &rm, &e);
  /* Not taken (the ask failed, or the actor died first): take it back. */
  pthread_mutex_lock(&r->mu);
  if (r->upgrade_req == q)
    r->upgrade_req = NULL;
  else
    q = NULL;
  pthread_mutex_unlock(&r->mu);
  req_free(q);
  if (rc) {
    rc = troupe_err_set(err, rc, "component %llu '%s': upgrade: %s%s", (unsigned long long)r->id,
                        r->name, e.msg,
                        rc == TROUPE_E_TIMEOUT && !q ? " (it may still finish)" : "");
  } else {
    int32_t st = TROUPE_E_INTERNAL;
    if (rm.len >= sizeof st)
      memcpy(&st, rm.data, sizeof st);
    if (st)
      rc = troupe_err_set(err, st, "%.*s", (int)(rm.len - sizeof st),
                          (const char *)rm.data + sizeof st);
    troupe_reply_free(&rm);
  }
  trP_rec_unref(r);
  return rc;
}
