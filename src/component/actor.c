/*
 * component/actor.c: the component actor, one per incarnation of a component.
 *
 *   supervisor ──start fn──► trP_child_start: spawns the actor (linked, named, bounded)
 *   init        load + compile (once per component: kept in the record for restarts),
 *               instantiate with the limits, WASI context, the spec's subscriptions,
 *               adopt held messages, queue the START job         state Creating
 *   START job   _initialize, then _start (sliced; may wait)     state Starting
 *               done: Ready, acknowledge the supervisor (troupe_sup_ack), audit
 *               component_started; failed: acknowledge the failure and crash
 *   messages    each one a job: handle-message, an invocation   state Ready
 *   terminate   orderly exit: _cleanup under its timeout; crash/kill: none; messages
 *               still here go back to the record's held queue; audit component_stopped
 *
 * While a job yields or waits the actor is suspended, so the runtime defers its other
 * messages in order. Two kinds still reach handle() then -- the REPLY / ASK_FAILED of
 * an ask_async and a stranger's RESUME, which wake any plain suspension -- and are kept
 * in a small stash until the job ends. Health questions are answered by a callback,
 * also while the instance waits (then with the last known health): health.c. The jobs
 * themselves begin and end in jobs.c; their calls run in run.c.
 */
#include "component/comp.h"

#include <stdio.h>

struct trP_stash {
  trP_stash *next;
  troupe_message m; /* data points into bytes[] */
  uint8_t bytes[];
};

/* ---- the stash ------------------------------------------------------------------------ */
static void stash_push(trP_comp *c, const troupe_message *m) {
  trP_stash *s = trB_malloc(sizeof *s + m->len);
  if (!s)
    return; /* out of memory: the message is lost, as a refused send would be */
  s->next = NULL;
  s->m = *m;
  if (m->len)
    memcpy(s->bytes, m->data, m->len);
  s->m.data = s->bytes;
  s->m.reason.message = NULL;
  if (c->stash_tail)
    c->stash_tail->next = s;
  else
    c->stash_head = s;
  c->stash_tail = s;
}

static int dispatch(trP_comp *c, const troupe_message *m, troupe_err *err);

/* After a job: the stashed messages, in order, until one starts a job that waits. */
static int drain_stash(trP_comp *c, int action, troupe_err *err) {
  while (action == TROUPE_CONTINUE && c->job == TRP_JOB_NONE && c->stash_head) {
    trP_stash *s = c->stash_head;
    c->stash_head = s->next;
    if (!c->stash_head)
      c->stash_tail = NULL;
    action = dispatch(c, &s->m, err);
    free(s);
  }
  return action;
}

/* ---- dispatch ------------------------------------------------------------------------- */
static int on_wait_done(trP_comp *c, const troupe_message *m, troupe_err *err);

static int dispatch(trP_comp *c, const troupe_message *m, troupe_err *err) {
  troupe_runtime *rt = c->host->rt;
  switch (m->tag) {
  case TRP_TAG_START:
    if (m->kind == TROUPE_MSG_SYSTEM) {
      c->job_started_ns = troupe_clock_mono_ns();
      trP_rec_set_state(c->rec, TROUPE_COMPONENT_STARTING);
      return trP_begin_start(c, err);
    }
    break;
  case TRP_TAG_HELD:
    if (m->kind == TROUPE_MSG_SYSTEM) {
      trP_held_drain(c->rec, rt, c->self_id);
      return TROUPE_CONTINUE;
    }
    break;
  case TRP_TAG_MSG:
    if (m->kind == TROUPE_MSG_USER || m->kind == TROUPE_MSG_SYSTEM) {
      const trP_msg *pm = m->data;
      if (m->len < sizeof *pm)
        return TROUPE_CONTINUE;
      if (pm->kind == TRP_KIND_TIMER)
        trP_timer_fired(c, pm->corr);
      c->in_trace = pm->tr;
      return trP_begin_handle(c, pm->kind, pm->from, pm->guest_tag,
                              pm->kind == TRP_KIND_TIMER ? pm->corr : 0, pm->data, pm->len, err);
    }
    break;
  case TRP_TAG_ASK:
    if (m->kind == TROUPE_MSG_ASK && m->len >= sizeof(trP_wire)) {
      trP_wire w;
      memcpy(&w, m->data, sizeof w);
      c->in_trace = w.tr;
      return trP_begin_handle(c, TRP_KIND_ASK, w.from, w.tag, m->corr,
                              (const uint8_t *)m->data + sizeof w, m->len - sizeof w, err);
    }
    break;
  case TRP_TAG_INVOKE:
    if (m->kind == TROUPE_MSG_ASK)
      return trP_begin_invoke(c, m, err);
    break;
  case TRP_TAG_UPGRADE:
    if (m->kind == TROUPE_MSG_ASK)
      return trP_upgrade_begin(c, m, err);
    break;
  case TROUPE_BROKER_TAG:
    if (m->kind == TROUPE_MSG_USER) {
      troupe_broker_envelope env;
      if (troupe_broker_decode(m, &env))
        return TROUPE_CONTINUE;
      char *subject = trB_strdup(env.subject);
      if (!subject)
        return TROUPE_CONTINUE;
      troupe_component_id from = trP_component_of_actor(c->host, env.from);
      c->in_trace = env.trace;
      int rc = trP_begin_handle_pub(c, from, subject, env.data, env.len, err);
      return rc;
    }
    break;
  default:
    break;
  }
  switch (m->kind) {
  case TROUPE_MSG_REPLY:
    return trP_begin_handle(c, TRP_KIND_REPLY, trP_ref_take(c, m->corr, true), 0, m->corr,
                            m->data, m->len, err);
  case TROUPE_MSG_ASK_FAILED:
    return trP_begin_handle(c, TRP_KIND_ASK_FAILED, trP_ref_take(c, m->corr, true),
                            (uint32_t)m->status, m->corr, NULL, 0, err);
  case TROUPE_MSG_DOWN: {
    const char *why = m->reason.message ? m->reason.message : "";
    return trP_begin_handle(c, TRP_KIND_DOWN, trP_ref_take(c, m->corr, true),
                            (uint32_t)m->reason.kind, m->corr, why, strlen(why), err);
  }
  case TROUPE_MSG_USER:
    if (TROUPE_TAG_IS_RESERVED(m->tag))
      return TROUPE_CONTINUE;
    return trP_begin_handle(c, TRP_KIND_MESSAGE, 0, m->tag, 0, m->data, m->len, err);
  case TROUPE_MSG_ASK:
    if (TROUPE_TAG_IS_RESERVED(m->tag))
      return TROUPE_CONTINUE;
    return trP_begin_handle(c, TRP_KIND_ASK, 0, m->tag, m->corr, m->data, m->len, err);
  default:
    return TROUPE_CONTINUE; /* RESUME without a job, STARTED, EXIT: nothing to do */
  }
}

static int handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  trP_comp *c = troupe_actor_state(self);
  c->self = self;
  int action;
  if (c->wait != TRP_WAIT_NONE && m->corr && m->corr == c->wait_corr)
    action = on_wait_done(c, m, err);
  else if (c->job != TRP_JOB_NONE) {
    if (m->kind == TROUPE_MSG_RESUME &&
        troupe_wasm_instance_state(c->inst) != TROUPE_WASM_SUSPENDED_HOST)
      action = trP_run(c, false, NULL, err); /* the next slice */
    else {
      stash_push(c, m); /* it came while the job yields: after the job */
      return TROUPE_SUSPEND;
    }
  } else
    action = dispatch(c, m, err);
  if (action < 0)
    trP_rec_set_state(c->rec, TROUPE_COMPONENT_FAILED);
  return drain_stash(c, action, err);
}

/* ---- waits: an import suspended the instance; the awaited message has come ----------- */
static int on_wait_done(trP_comp *c, const troupe_message *m, troupe_err *err) {
  trP_wait_kind k = c->wait;
  c->wait = TRP_WAIT_NONE;
  c->wait_corr = 0;
  if (c->wait_timer) {
    troupe_timer_cancel(c->wait_timer);
    c->wait_timer = NULL;
  }
  troupe_wasm_val hr;
  switch (k) {
  case TRP_WAIT_WASI: {
    troupe_err e;
    if (troupe_wasi_complete_sleep(c->wasi, c->inst, &hr, &e))
      return troupe_err_set(err, e.code, "completing a WASI sleep: %s", e.msg);
    break;
  }
  case TRP_WAIT_ASK:
    hr = TROUPE_WASM_VAL_I32(trP_ask_finish(c, m));
    break;
  case TRP_WAIT_SPAWN:
    hr = TROUPE_WASM_VAL_I64(trP_spawn_finish(c, m));
    break;
  case TRP_WAIT_SEND: {
    int rc = trP_send_wait_finish(c, m);
    if (rc == 1)
      return TROUPE_SUSPEND; /* still full: waiting again */
    hr = TROUPE_WASM_VAL_I32(rc);
    break;
  }
  default:
    return troupe_err_set(err, TROUPE_E_INTERNAL, "woken for no wait");
  }
  if (c->job == TRP_JOB_START) {
    uint64_t now = troupe_clock_mono_ns();
    if (now - c->job_started_ns > TROUPE_MS(c->lim->start_timeout_ms)) {
      troupe_wasm_abort(c->inst);
      char t[128];
      snprintf(t, sizeof t, "start function failed: did not finish within the start timeout "
                            "of %u ms", c->lim->start_timeout_ms);
      return trP_start_failed(c, TROUPE_E_TIMEOUT, t, err);
    }
  }
  return trP_run(c, false, &hr, err);
}

/* ---- lifecycle -------------------------------------------------------------------------- */
static uint32_t find_export(const troupe_wasm_module *m, const char *name) {
  uint32_t idx;
  if (troupe_wasm_export_find(m, name, strlen(name), &idx))
    return UINT32_MAX;
  troupe_wasm_extern_desc d;
  if (troupe_wasm_module_export(m, idx, &d) || d.kind != TROUPE_WASM_EXTERN_FUNC)
    return UINT32_MAX;
  return idx;
}

static bool has_type(const troupe_wasm_module *m, uint32_t idx, const char *params,
                     const char *results) {
  troupe_wasm_extern_desc d;
  if (troupe_wasm_module_export(m, idx, &d))
    return false;
  if (d.func.nparams != strlen(params) || d.func.nresults != strlen(results))
    return false;
  for (uint32_t i = 0; i < d.func.nparams; i++)
    if (d.func.params[i] != (params[i] == 'i' ? TROUPE_WASM_I32 : TROUPE_WASM_I64))
      return false;
  for (uint32_t i = 0; i < d.func.nresults; i++)
    if (d.func.results[i] != (results[i] == 'i' ? TROUPE_WASM_I32 : TROUPE_WASM_I64))
      return false;
  return true;
}

/* The ABI's reserved exports, each checked for its exact type. */
int trP_bind_exports(const troupe_wasm_module *m, trP_exports *ex, troupe_err *err) {
  struct { const char *name, *params, *results; uint32_t *slot; } want[] = {
      {"_initialize", "", "", &ex->init},   {"_start", "", "", &ex->start},
      {"handle-message", "iIiIi", "i", &ex->handle},
      {"_health", "", "i", &ex->health}, {"_cleanup", "", "", &ex->cleanup},
      {"_state_save", "i", "i", &ex->save}, {"_state_load", "i", "i", &ex->load},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(want); i++) {
    uint32_t idx = find_export(m, want[i].name);
    *want[i].slot = idx;
    if (idx == UINT32_MAX)
      continue;
    /* 'I' is i64 in the table above; has_type reads 'i' as i32 and anything else as i64. */
    if (!has_type(m, idx, want[i].params, want[i].results))
      return troupe_err_set(err, TROUPE_E_UNLINKABLE,
                            "export '%s' has the wrong type (docs/ABI.md)", want[i].name);
  }
  return TROUPE_OK;
}

static int load(trP_comp *c, troupe_err *err) {
  trP_rec *r = c->rec;
  if (r->mod)
    return TROUPE_OK; /* a restart: compiled once, kept in the record */
  const troupe_component_spec *s = &r->spec->s;
  troupe_wasm_module *mod;
  uint8_t sha[TROUPE_SHA256_BYTES];
  char *version;
  int rc = trP_module_fetch(c->host, s->module, s->module_bytes, s->module_len, &mod, sha,
                            &version, err);
  if (!rc)
    trP_rec_set_module(r, mod, sha, version, NULL, c->self_id);
  return rc;
}

int trP_instantiate(trP_comp *c, troupe_wasm_module *mod, troupe_wasm_instance **out,
                    troupe_err *err) {
  troupe_wasm_limits wl = {.max_memory_pages = c->lim->max_memory_pages,
                           .max_call_depth = c->lim->max_call_depth,
                           .max_stack_bytes = c->lim->max_stack_bytes,
                           .start_fuel = c->lim->fuel_slice * 100};
  troupe_wasm_trap trap;
  troupe_err e;
  troupe_err_clear(&e);
  int rc = troupe_wasm_instantiate(mod, c->host->linker, &wl, out, &trap, &e);
  if (rc)
    return troupe_err_set(err, rc, "instantiation failed: %s", troupe_err_message(&e));
  troupe_wasm_instance_set_user(*out, c);
  return TROUPE_OK;
}

static int instantiate(trP_comp *c, troupe_err *err) {
  const troupe_component_spec *s = &c->rec->spec->s;
  int rc = trP_bind_exports(c->rec->mod, &c->ex, err);
  if (rc)
    return troupe_err_set(err, rc, "instantiation failed: %s", err->msg);
  troupe_wasi_config wc = {
      .argc = s->argc, .argv = s->argv, .envc = s->envc, .env = s->env,
      .write = trP_wasi_write, .user = c, .suspend_blocking = true,
  };
  troupe_err e;
  troupe_err_clear(&e);
  rc = troupe_wasi_ctx_new(&wc, &c->wasi, &e);
  if (rc)
    return troupe_err_set(err, rc, "instantiation failed: %s", troupe_err_message(&e));
  if ((rc = trP_instantiate(c, c->rec->mod, &c->inst, err)))
    return rc;
  c->mem_seen = troupe_wasm_memory_size(c->inst);
  atomic_store_explicit(&c->rec->memory_bytes, c->mem_seen, memory_order_relaxed);
  return TROUPE_OK;
}

static int init(troupe_actor *self, void *arg, troupe_err *err) {
  trP_comp *c = arg;
  trP_rec *r = c->rec;
  c->self = self;
  c->self_id = troupe_self(self);
  trP_stats_attach(c);
  troupe_actor_set_health_fn(self, trP_health_cb);
  trP_rec_set_state(r, TROUPE_COMPONENT_CREATING);
  atomic_store_explicit(&r->started_ns, troupe_clock_wall_ns(), memory_order_relaxed);
  c->job_started_ns = troupe_clock_mono_ns();
  int rc = load(c, err);
  if (!rc)
    rc = instantiate(c, err);
  /* The spec's subscriptions, made for every incarnation before _start runs (so what is
   * published meanwhile waits in the mailbox). Not in c->subs: the guest's unsubscribe
   * only undoes its own; the broker drops them all when this incarnation ends. */
  const troupe_pattern_list *subs = &r->spec->s.subscriptions;
  for (size_t i = 0; !rc && i < subs->n; i++) {
    troupe_sub_id sub;
    troupe_err e;
    troupe_err_clear(&e);
    if ((rc = troupe_broker_subscribe(c->host->broker, c->self_id, subs->v[i], NULL, &sub, &e)))
      troupe_err_set(err, rc, "instantiation failed: subscription '%s': %s", subs->v[i],
                     troupe_err_message(&e));
  }
  if (rc) {
    char msg[TROUPE_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", err->msg);
    trP_start_failed(c, rc, msg, err);
    trP_rec_set_state(r, TROUPE_COMPONENT_FAILED);
    return rc;
  }
  /* START first, then the held messages: both on the system lane, in this order. */
  rc = troupe_send_ex(c->host->rt, &(troupe_send_args){.to = c->self_id, .tag = TRP_TAG_START,
                                                       .flags = TROUPE_SEND_SYSTEM});
  if (rc) {
    trP_start_failed(c, rc, "cannot queue the start", err);
    return rc;
  }
  trP_held_adopt(r, c->host->rt, c->self_id);
  return TROUPE_OK;
}

/* _cleanup under its timeout, in slices; it may not wait. */
static void run_cleanup(trP_comp *c) {
  if (c->ex.cleanup == UINT32_MAX || !c->inst)
    return;
  if (troupe_wasm_instance_state(c->inst) != TROUPE_WASM_IDLE)
    troupe_wasm_abort(c->inst); /* a call was waiting or yielding: abandoned */
  trP_rec_set_state(c->rec, TROUPE_COMPONENT_STOPPING);
  c->job = TRP_JOB_NONE;
  troupe_err e;
  troupe_err_clear(&e);
  if (trP_call_nowait(c, c->ex.cleanup, NULL, 0, NULL, 0, c->lim->cleanup_timeout_ms, &e) ==
      TROUPE_OK)
    return;
  troupe_log_field f[] = {TROUPE_LOG_STR("error", troupe_err_message(&e))};
  trP_event(c->host, TROUPE_LOG_WARN, "component_cleanup_failed", c->rec, f, 1);
}

void trP_comp_free(trP_comp *c, bool crashed) {
  if (c->wait_timer)
    troupe_timer_cancel(c->wait_timer);
  trP_msg_free(c->wait_msg);
  if (c->wait_target)
    trP_rec_unref(c->wait_target);
  for (size_t i = 0; i < c->ntimers; i++)
    troupe_timer_cancel(c->timers[i].t);
  free(c->timers);
  free(c->mons);
  while (c->stash_head) {
    trP_stash *s = c->stash_head;
    c->stash_head = s->next;
    free(s);
  }
  trP_job_clear(c);
  trP_wasi_flush(c);
  free(c->subs); /* the broker drops an ended actor's subscriptions itself */
  trP_upgrade_free(c);
  /* A crash's restart comes next and takes a memory: this one's zeroing can wait for an
   * idle worker (engine/pool.c). A stop's can not: it would only move to the next spawn. */
  if (c->inst)
    troupe_wasm_instance_free_ex(c->inst, crashed ? TROUPE_WASM_FREE_RESET_LATER : 0);
  troupe_wasi_ctx_free(c->wasi);
  free(c->out);
  free(c->reply);
  trP_stats_fold(c); /* after the last count this incarnation makes */
  trP_rec_unref(c->peer);
  trP_rec_unref(c->rec);
  trB_slab_free(c, sizeof *c);
}

/* Stashed MESSAGEs were taken from the mailbox but not handled: back to the record. */
static void stash_requeue(trP_comp *c) {
  for (trP_stash *s = c->stash_head; s; s = s->next) {
    if (s->m.tag != TRP_TAG_MSG || s->m.len < sizeof(trP_msg))
      continue;
    const trP_msg *pm = (const trP_msg *)(const void *)s->m.data;
    trP_msg *m = trP_msg_new(c->rec, pm->from, pm->from_actor, pm->kind, pm->guest_tag, pm->data,
                             pm->len);
    if (!m)
      continue;
    m->corr = pm->corr;
    m->tr = pm->tr;
    atomic_store_explicit(&m->dropped, true, memory_order_relaxed);
    trP_msg_release(m, NULL, 0);
  }
}

static void terminate(troupe_actor *self, const troupe_exit_reason *why) {
  trP_comp *c = troupe_actor_state(self);
  c->self = self;
  trP_rec *r = c->rec;
  trP_held_release_actor(r, c->self_id);
  stash_requeue(c);
  bool orderly = why->kind == TROUPE_EXIT_NORMAL || why->kind == TROUPE_EXIT_SHUTDOWN;
  if (c->up) /* stopped mid-upgrade: the old instance is the one to clean up */
    trP_upgrade_failed(c, TROUPE_E_NOT_RUNNING, "the component stopped during the upgrade");
  if (orderly && c->ready)
    run_cleanup(c);
  if (c->job == TRP_JOB_INVOKE) /* killed or stopped mid-invocation: say so */
    trP_invoke_answer(c, TROUPE_E_NOT_RUNNING, "the component stopped",
                      strlen("the component stopped"));
  if (c->job == TRP_JOB_HANDLE || c->job == TRP_JOB_INVOKE)
    c->job_outcome = orderly ? "stopped" : "killed"; /* its span ends here */
  if (c->acked || c->ready)
    trP_event_stopped(c, why);
  if (!c->acked && c->parent && !c->start_failed) {
    c->acked = true; /* ended before Ready: the supervisor waits for an answer */
    troupe_sup_ack(self, c->parent, TROUPE_E_START_FAILED, why->message);
  }
  char *msg = why->message ? trB_strdup(why->message) : NULL;
  pthread_mutex_lock(&r->mu);
  r->last_exit_kind = why->kind;
  r->last_exit_code = why->code;
  free(r->last_exit_msg);
  r->last_exit_msg = msg;
  pthread_mutex_unlock(&r->mu);
  trP_rec_set_state(r, orderly ? TROUPE_COMPONENT_TERMINATED : TROUPE_COMPONENT_FAILED);
  trP_comp_free(c, !orderly);
}

const troupe_behaviour trP_behaviour = {
    .name = "component",
    .init = init,
    .handle = handle,
    .terminate = terminate,
};

int trP_child_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg, const void *extra,
                    size_t extra_len, troupe_actor_id *out, troupe_err *err) {
  TR_UNUSED(extra);
  TR_UNUSED(extra_len);
  trP_rec *r = arg;
  /* On a cache line of its own (the slab's objects are 64-byte aligned): its first line
   * holds what every message touches. */
  trP_comp *c = trB_slab_calloc(sizeof *c);
  if (!c)
    return troupe_err_set(err, TROUPE_E_NOMEM, "component '%s': out of memory", r->name);
  c->rec = trP_rec_ref(r);
  c->host = r->host;
  c->metrics = r->host->metrics;
  c->lim = &r->spec->s.limits;
  c->parent = opts->parent;
  memset(&c->ex, 0xff, sizeof c->ex); /* every export absent until bound */
  /* Every incarnation after the first is a restart -- whichever supervisor starts it: a
   * group's new supervisor counts its children's restarts from 0 again. */
  if (atomic_fetch_add_explicit(&r->incarnations, 1, memory_order_relaxed))
    atomic_fetch_add_explicit(&r->restarts, 1, memory_order_relaxed);
  troupe_spawn_opts o = *opts;
  o.flags &= ~(unsigned)TROUPE_SPAWN_ACK; /* acknowledged when Ready, by troupe_sup_ack */
  o.name = r->name;
  o.metadata = r->spec->metadata;
  o.mailbox_bound = r->spec->s.limits.mailbox_bound;
  int rc = troupe_spawn(troupe_actor_runtime(sup), sup, &trP_behaviour, c, &o, out, err);
  if (rc) {
    trP_rec_unref(c->rec);
    trB_slab_free(c, sizeof *c);
  }
  return rc;
}
