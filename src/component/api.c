/*
 * component/api.c: the host facade (include/troupe/component.h) for embedders: spawn,
 * stop, restart, lookup, info, list, send, ask, invoke, publish. The calls that wait are
 * for non-worker threads (STATE on a worker, like every blocking call of the runtime);
 * components reach the same operations through their imports without blocking.
 */
#include "component/comp.h"

#include <stdio.h>

static int refuse_worker(troupe_host *h, const char *what, troupe_err *err) {
  if (trA_on_worker(h->rt))
    return troupe_err_set(err, TROUPE_E_STATE,
                          "%s waits, and was called on a worker thread (a component uses its "
                          "imports, an actor the _async forms)",
                          what);
  return TROUPE_OK;
}

static trP_rec *get(troupe_host *h, troupe_component_id id, troupe_err *err) {
  trP_rec *r = h ? trP_table_get(&h->table, id) : NULL;
  if (!r)
    troupe_err_set(err, TROUPE_E_NOTFOUND, "no component %llu", (unsigned long long)id);
  return r;
}

/* A new record in the host's table (state Creating), with the caller's reference. */
int trP_rec_create(troupe_host *h, const troupe_component_spec *spec, trP_rec **out,
                   troupe_err *err) {
  *out = NULL;
  trP_spec *sp;
  int rc = trP_spec_copy(spec, &sp, err);
  if (rc)
    return rc;
  uint64_t live = atomic_fetch_add_explicit(&h->live, 1, memory_order_relaxed);
  if (h->max_components && live >= h->max_components) {
    atomic_fetch_sub_explicit(&h->live, 1, memory_order_relaxed);
    trP_spec_free(sp);
    return troupe_err_set(err, TROUPE_E_RANGE, "host: %llu components is the maximum",
                          (unsigned long long)h->max_components);
  }
  trP_rec *r = trB_slab_calloc(sizeof *r);
  if (!r || pthread_mutex_init(&r->mu, NULL)) {
    trB_slab_free(r, sizeof *r);
    atomic_fetch_sub_explicit(&h->live, 1, memory_order_relaxed);
    trP_spec_free(sp);
    return troupe_err_set(err, TROUPE_E_NOMEM, "host: out of memory");
  }
  atomic_init(&r->refs, 1);
  r->id = atomic_fetch_add_explicit(&h->next_id, 1, memory_order_relaxed);
  r->host = h;
  r->spec = sp;
  r->name = sp->s.name;
  r->created_ns = troupe_clock_wall_ns();
  r->health = TROUPE_HEALTH_UNKNOWN;
  atomic_init(&r->state, TROUPE_COMPONENT_CREATING);
  if (sp->s.module && !(r->module_ref = trB_strdup(sp->s.module)))
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "host: out of memory");
  if (!rc && !(sp->metadata = trP_metadata_of(r)))
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "host: out of memory");
  if (!rc)
    rc = trP_table_insert(&h->table, r, err);
  if (rc) {
    atomic_fetch_sub_explicit(&h->live, 1, memory_order_relaxed);
    trP_rec_unref(r);
    return rc;
  }
  *out = r;
  return TROUPE_OK;
}

void trP_child_spec_of(trP_rec *r, troupe_child_spec *cs) {
  const troupe_component_spec *s = &r->spec->s;
  memset(cs, 0, sizeof *cs);
  cs->id = r->name;
  cs->start = trP_child_start;
  cs->arg = r;
  cs->arg_free = trP_rec_gone;
  cs->restart = s->restart;
  cs->shutdown = TROUPE_SHUTDOWN_TIMEOUT;
  cs->shutdown_ms = s->shutdown_ms;
  cs->health_interval_ms = s->health_interval_ms;
  cs->health_threshold = s->health_threshold;
  cs->significant = s->significant;
}

/* The spawner's error: the component's own account of its failed start when there is
 * one ("component 3 'x': compile failed: ..."), else the supervisor's. */
int trP_start_error(trP_rec *r, int rc, const troupe_err *e, troupe_err *err) {
  pthread_mutex_lock(&r->mu);
  int code = r->start_code;
  char msg[TROUPE_ERR_MSG_MAX];
  snprintf(msg, sizeof msg, "%s", r->start_msg);
  pthread_mutex_unlock(&r->mu);
  if (code)
    return troupe_err_set(err, code, "%s", msg);
  return troupe_err_set(err, rc, "component %llu '%s': %s", (unsigned long long)r->id, r->name,
                        troupe_err_message(e));
}

int troupe_host_spawn(troupe_host *h, const troupe_component_spec *spec, troupe_component_id *id,
                      troupe_err *err) {
  if (!h || !id)
    return troupe_err_set(err, TROUPE_E_INVAL, "host_spawn: host and id are required");
  *id = 0;
  int rc = refuse_worker(h, "troupe_host_spawn", err);
  if (rc)
    return rc;
  trP_group *g = NULL;
  if (spec && spec->group && !(g = trP_group_find(h, spec->group)))
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "component '%s': no group %llu",
                          spec->name ? spec->name : "", (unsigned long long)spec->group);
  trP_rec *r;
  if ((rc = trP_rec_create(h, spec, &r, err)))
    return rc;
  troupe_actor_id sup = h->root;
  if (g && (rc = trP_group_add(g, r, &sup))) {
    trP_rec_end(r);
    trP_rec_unref(r);
    return troupe_err_set(err, rc, "component '%s': out of memory", r->name);
  }
  troupe_child_spec cs;
  /* The supervisor's reference, given back by arg_free: for a child of the root that is
   * the component's end (trP_rec_gone); a group's member ends when it leaves the group. */
  trP_child_spec_of(trP_rec_ref(r), &cs);
  if (g)
    cs.arg_free = trP_rec_unref_arg;
  troupe_actor_id child;
  troupe_err e;
  troupe_err_clear(&e);
  rc = troupe_sup_start_child(h->rt, sup, &cs, &child, &e);
  /* A group that restarted between the add and the request started its new member
   * itself (its start function reads the members): EXISTS from the new supervisor, or
   * NOTFOUND / NOT_RUNNING from the old one -- then ask the new one. */
  for (int tries = 0; g && rc && tries < 3; tries++) {
    troupe_actor_id now = trP_sup_of(r);
    if (rc == TROUPE_E_EXISTS) {
      rc = TROUPE_OK;
      break;
    }
    if ((rc != TROUPE_E_NOTFOUND && rc != TROUPE_E_NOT_RUNNING) || now == sup || !now)
      break;
    sup = now;
    trP_child_spec_of(trP_rec_ref(r), &cs);
    cs.arg_free = trP_rec_unref_arg;
    troupe_err_clear(&e);
    rc = troupe_sup_start_child(h->rt, sup, &cs, &child, &e);
  }
  if (rc == TROUPE_OK)
    *id = r->id;
  else {
    rc = trP_start_error(r, rc, &e, err);
    /* The supervisor drops the spec (and so a root child's record) once the failed
     * incarnation has exited, maybe after this returns: the name is free for a new try
     * at once. A group's member leaves the group. */
    trP_table_remove(&h->table, r);
    if (g) {
      trP_group_remove(r);
      trP_rec_end(r);
    }
  }
  trP_rec_unref(r);
  return rc;
}

int troupe_host_stop(troupe_host *h, troupe_component_id id, troupe_err *err) {
  trP_rec *r = get(h, id, err);
  if (!r)
    return TROUPE_E_NOTFOUND;
  int rc = refuse_worker(h, "troupe_host_stop", err);
  if (!rc) {
    trP_rec_set_state(r, TROUPE_COMPONENT_STOPPING);
    /* A group's member leaves first, so that a restart of the group from here on does
     * not bring it back. */
    trP_group_remove(r);
    troupe_actor_id sup = trP_sup_of(r);
    rc = troupe_sup_terminate_child(h->rt, sup, r->name, 0, err);
    /* A temporary component's spec went with its incarnation: nothing left to delete;
     * a group restarting now has no spec of it either. */
    if (!rc || rc == TROUPE_E_STATE || (r->group && rc == TROUPE_E_NOTFOUND)) {
      rc = troupe_sup_delete_child(h->rt, sup, r->name, err);
      if (rc == TROUPE_E_NOTFOUND)
        rc = TROUPE_OK;
    }
    if (!rc && r->group)
      trP_rec_end(r); /* its spec's end did not end it (group.c) */
  }
  trP_rec_unref(r);
  return rc;
}

int troupe_host_restart(troupe_host *h, troupe_component_id id, troupe_err *err) {
  trP_rec *r = get(h, id, err);
  if (!r)
    return TROUPE_E_NOTFOUND;
  int rc = refuse_worker(h, "troupe_host_restart", err);
  troupe_actor_id child;
  troupe_actor_id sup = trP_sup_of(r);
  if (!rc)
    rc = troupe_sup_terminate_child(h->rt, sup, r->name, 0, err);
  if (!rc) {
    troupe_err e;
    troupe_err_clear(&e);
    rc = troupe_sup_restart_child(h->rt, sup, r->name, &child, &e);
    if (rc)
      rc = trP_start_error(r, rc, &e, err);
  }
  trP_rec_unref(r);
  return rc;
}

int troupe_host_lookup(troupe_host *h, const char *name, troupe_component_id *id) {
  if (!h || !name || !id)
    return TROUPE_E_INVAL;
  trP_rec *r = trP_table_find(&h->table, name);
  if (!r)
    return TROUPE_E_NOTFOUND;
  *id = r->id;
  trP_rec_unref(r);
  return TROUPE_OK;
}

void troupe_component_info_clear(troupe_component_info *info) {
  if (!info)
    return;
  free(info->name);
  free(info->module_ref);
  free(info->health_reason);
  free((void *)info->last_exit.message);
  memset(info, 0, sizeof *info);
}

int troupe_host_info(troupe_host *h, troupe_component_id id, troupe_component_info *out,
                     troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "host_info: out is NULL");
  memset(out, 0, sizeof *out);
  trP_rec *r = get(h, id, err);
  if (!r)
    return TROUPE_E_NOTFOUND;
  out->id = r->id;
  out->actor = atomic_load_explicit(&r->actor, memory_order_acquire);
  out->state = (troupe_component_state)atomic_load_explicit(&r->state, memory_order_acquire);
  out->restarts = atomic_load_explicit(&r->restarts, memory_order_relaxed);
  out->created_ns = r->created_ns;
  out->started_ns = atomic_load_explicit(&r->started_ns, memory_order_relaxed);
  out->memory_bytes = atomic_load_explicit(&r->memory_bytes, memory_order_relaxed);
  trP_stats st;
  trP_stats_read(r, &st);
  out->messages = atomic_load_explicit(&st.msgs_in, memory_order_relaxed);
  out->fuel_used = atomic_load_explicit(&st.fuel, memory_order_relaxed);
  out->limits = r->spec->s.limits;
  out->group = r->group ? r->group->id : 0;
  out->mailbox_depth = troupe_actor_queued(h->rt, out->actor);
  int rc = TROUPE_OK;
  pthread_mutex_lock(&r->mu); /* mod, sha256, module_ref: set by the first load */
  out->health = r->health;
  out->mailbox_depth += (uint32_t)TR_MIN(r->held_n, UINT32_MAX - out->mailbox_depth);
  out->last_exit.kind = r->last_exit_kind;
  out->last_exit.code = r->last_exit_code;
  if (r->mod)
    troupe_sha256_hex(r->sha256, out->sha256);
  if (!(out->name = trB_strdup(r->name)) ||
      (r->module_ref && !(out->module_ref = trB_strdup(r->module_ref))) ||
      (r->health_reason && !(out->health_reason = trB_strdup(r->health_reason))) ||
      (r->last_exit_msg && !(out->last_exit.message = trB_strdup(r->last_exit_msg))))
    rc = TROUPE_E_NOMEM;
  pthread_mutex_unlock(&r->mu);
  trP_rec_unref(r);
  if (rc) {
    troupe_component_info_clear(out);
    return troupe_err_set(err, rc, "host_info: out of memory");
  }
  return TROUPE_OK;
}

int troupe_host_list(troupe_host *h, troupe_component_id **out, size_t *n, troupe_err *err) {
  if (!h || !out || !n)
    return troupe_err_set(err, TROUPE_E_INVAL, "host_list: host, out and n are required");
  trP_rec **v;
  size_t k;
  if (trP_table_snapshot(&h->table, &v, &k))
    return troupe_err_set(err, TROUPE_E_NOMEM, "host_list: out of memory");
  troupe_component_id *ids = k ? trB_calloc(k, sizeof *ids) : NULL;
  for (size_t i = 0; i < k; i++) {
    if (ids)
      ids[i] = v[i]->id;
    trP_rec_unref(v[i]);
  }
  free(v);
  if (k && !ids)
    return troupe_err_set(err, TROUPE_E_NOMEM, "host_list: out of memory");
  *out = ids;
  *n = k;
  return TROUPE_OK;
}

int troupe_host_send(troupe_host *h, troupe_component_id to, uint32_t tag, const void *data,
                     size_t len, troupe_err *err) {
  if (len && !data)
    return troupe_err_set(err, TROUPE_E_INVAL, "host_send: data is NULL");
  trP_rec *r = get(h, to, err);
  if (!r)
    return TROUPE_E_NOTFOUND;
  int rc = trP_send(h, NULL, TROUPE_NO_ACTOR, r, tag, data, len, err);
  trP_rec_unref(r);
  return rc;
}

int troupe_host_send_wait(troupe_host *h, troupe_component_id to, uint32_t tag, const void *data,
                          size_t len, uint64_t timeout_ns, troupe_err *err) {
  if (len && !data)
    return troupe_err_set(err, TROUPE_E_INVAL, "host_send_wait: data is NULL");
  trP_rec *r = get(h, to, err);
  if (!r)
    return TROUPE_E_NOTFOUND;
  int rc = refuse_worker(h, "troupe_host_send_wait", err);
  if (!rc)
    rc = trP_send_wait(h, r, tag, data, len, timeout_ns, err);
  trP_rec_unref(r);
  return rc;
}

int troupe_host_send_name(troupe_host *h, const char *to, uint32_t tag, const void *data,
                          size_t len, troupe_err *err) {
  troupe_component_id id;
  if (troupe_host_lookup(h, to, &id))
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no component named '%s'", to ? to : "(null)");
  return troupe_host_send(h, id, tag, data, len, err);
}

/* A blocking ask of the component's current incarnation with tag and wire+body. */
int trP_ask_wire(troupe_host *h, trP_rec *r, uint32_t tag, const trP_wire *w,
                    const void *a, size_t alen, const void *b, size_t blen, uint64_t timeout_ns,
                    troupe_reply_msg *rm, troupe_err *err) {
  troupe_actor_id actor = atomic_load_explicit(&r->actor, memory_order_acquire);
  if (!actor)
    return troupe_err_set(err, TROUPE_E_NOT_READY, "component '%s' is between incarnations",
                          r->name);
  size_t n = sizeof *w + alen + blen;
  uint8_t stackbuf[512]; /* most questions: no allocation (the ask copies it anyway) */
  uint8_t *buf = n <= sizeof stackbuf ? stackbuf : trB_malloc(n);
  if (!buf)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  memcpy(buf, w, sizeof *w);
  troupe_trace tr = trP_trace_out(h);
  memcpy(buf + offsetof(trP_wire, tr), &tr, sizeof tr);
  if (alen)
    memcpy(buf + sizeof *w, a, alen);
  if (blen)
    memcpy(buf + sizeof *w + alen, b, blen);
  troupe_err e;
  troupe_err_clear(&e);
  /* Run here (unless the host says no): an idle component answers on the caller's
   * thread, two cross-core hand-offs fewer; a busy or waiting one is the workers'. */
  int rc = troupe_ask_ex(h->rt, actor, tag, buf, n, timeout_ns, h->ask_flags, rm, &e);
  if (buf != stackbuf)
    free(buf);
  if (rc == TROUPE_E_NOT_RUNNING)
    return troupe_err_set(err, rc, "component '%s' stopped or crashed before answering", r->name);
  if (rc == TROUPE_E_TIMEOUT)
    return troupe_err_set(err, rc, "component '%s' did not answer in time", r->name);
  if (rc == TROUPE_E_NOTFOUND)
    return troupe_err_set(err, TROUPE_E_NOT_READY, "component '%s' is between incarnations",
                          r->name);
  if (rc)
    return troupe_err_set(err, rc, "%s", troupe_err_message(&e));
  return TROUPE_OK;
}

int troupe_host_ask(troupe_host *h, troupe_component_id to, uint32_t tag, const void *data,
                    size_t len, uint64_t timeout_ns, uint8_t **reply, size_t *reply_len,
                    troupe_err *err) {
  if (!reply || !reply_len || (len && !data))
    return troupe_err_set(err, TROUPE_E_INVAL, "host_ask: reply and reply_len are required");
  *reply = NULL;
  *reply_len = 0;
  trP_rec *r = get(h, to, err);
  if (!r)
    return TROUPE_E_NOTFOUND;
  int rc = refuse_worker(h, "troupe_host_ask", err);
  if (!rc && len > r->spec->s.limits.max_message_bytes)
    rc = troupe_err_set(err, TROUPE_E_TOO_LARGE, "a question of %zu bytes is too large for '%s'",
                        len, r->name);
  if (!rc)
    rc = trP_payload_check(data, len, err);
  troupe_reply_msg rm = {0};
  if (!rc) {
    trP_wire w = {.from = 0, .tag = tag};
    rc = trP_ask_wire(h, r, TRP_TAG_ASK, &w, data, len, NULL, 0, timeout_ns, &rm, err);
  }
  if (!rc) {
    *reply = rm.data;
    *reply_len = rm.len;
  }
  trP_rec_unref(r);
  return rc;
}

int troupe_host_invoke(troupe_host *h, troupe_component_id id, const char *fn, const void *args,
                       size_t args_len, uint64_t timeout_ns, uint8_t **result, size_t *result_len,
                       troupe_err *err) {
  if (!fn || !result || !result_len || (args_len && !args))
    return troupe_err_set(err, TROUPE_E_INVAL, "host_invoke: fn, result and result_len required");
  *result = NULL;
  *result_len = 0;
  trP_rec *r = get(h, id, err);
  if (!r)
    return TROUPE_E_NOTFOUND;
  int rc = refuse_worker(h, "troupe_host_invoke", err);
  size_t fl = strlen(fn);
  if (!rc && (fl == 0 || fl >= 256))
    rc = troupe_err_set(err, TROUPE_E_INVAL, "host_invoke: export name of %zu bytes", fl);
  if (!rc && atomic_load_explicit(&r->state, memory_order_acquire) != TROUPE_COMPONENT_READY)
    rc = troupe_err_set(err, TROUPE_E_NOT_READY, "component '%s' is not ready (%s)", r->name,
                        troupe_component_state_name(atomic_load(&r->state)));
  if (!rc && args_len > r->spec->s.limits.max_message_bytes)
    rc = troupe_err_set(err, TROUPE_E_TOO_LARGE, "arguments of %zu bytes are too large for '%s'",
                        args_len, r->name);
  if (!rc) {
    troupe_err e;
    if ((rc = trP_payload_check(args, args_len, &e)))
      rc = troupe_err_set(err, rc, "arguments of '%s': %s", fn, troupe_err_message(&e));
  }
  troupe_reply_msg rm = {0};
  if (!rc) {
    trP_wire w = {.from = 0, .name_len = (uint32_t)fl};
    rc = trP_ask_wire(h, r, TRP_TAG_INVOKE, &w, fn, fl, args, args_len, timeout_ns, &rm, err);
  }
  if (!rc) {
    int32_t st = TROUPE_E_INTERNAL;
    if (rm.len >= sizeof st)
      memcpy(&st, rm.data, sizeof st);
    const uint8_t *body = (const uint8_t *)rm.data + sizeof st;
    size_t blen = rm.len >= sizeof st ? rm.len - sizeof st : 0;
    if (st == TROUPE_OK) {
      /* The reply's own block becomes the result: the status word moved out of the way
       * rather than the bytes copied into another block. */
      if (blen) {
        memmove(rm.data, body, blen);
        *result = rm.data;
        rm.data = NULL;
      }
      *result_len = blen;
    } else { /* the guest's error: its output as the message, else the code's text */
      char text[200];
      trP_reason_text(body, blen, text, sizeof text);
      rc = troupe_err_set(err, st, "component '%s': %s: %s", r->name, fn,
                          text[0] ? text : troupe_strerror(st));
    }
    troupe_reply_free(&rm);
  }
  trP_rec_unref(r);
  return rc;
}

int troupe_host_publish(troupe_host *h, const char *subject, const void *data, size_t len,
                        troupe_err *err) {
  if (!h)
    return troupe_err_set(err, TROUPE_E_INVAL, "host_publish: host is NULL");
  int rc = trP_payload_check(data, len, err);
  if (rc)
    return rc;
  /* The broker stamps its envelope with the thread's trace: a new chain unless the
   * caller continues one. */
  troupe_trace saved = troupe_trace_current();
  troupe_trace_set(trP_trace_out(h));
  rc = troupe_broker_publish(h->broker, TROUPE_NO_ACTOR, subject, data, len, NULL, err);
  troupe_trace_set(saved);
  return rc;
}
