/*
 * component/imports.c: the `troupe` import module (docs/ABI.md, "Imports"), the host
 * side of every call a component makes into the runtime. Each import finds its
 * component through the calling instance's user pointer, checks the guest's pointers
 * against its memory (a bad range traps: a guest bug, not an error code), checks
 * capabilities and limits, and either answers at once or -- ask, spawn, send_wait --
 * records what it waits for, suspends the actor for that correlation id and suspends
 * the instance; actor.c resumes it with the result when the answer comes.
 */
#include "component/comp.h"

#include <stdio.h>

#define ARGI(i) (args[i].of.i32)
#define ARGL(i) (args[i].of.i64)
#define RET_I32(v) (results[0] = TROUPE_WASM_VAL_I32((int32_t)(v)), TROUPE_OK)
#define RET_I64(v) (results[0] = TROUPE_WASM_VAL_I64((int64_t)(v)), TROUPE_OK)

/* A guest (ptr, len) range: NULL with a trap set when outside its memory. */
static uint8_t *guest(troupe_wasm_hostcall *call, const char *fn, int32_t ptr, int32_t len,
                      int *rc) {
  uint8_t *p = NULL;
  if (len < 0 || troupe_wasm_hostcall_memory_range(call, 0, (uint32_t)ptr, (uint32_t)len, &p)) {
    *rc = troupe_wasm_host_trap(call, "troupe.%s: range (0x%x, %d bytes) is outside memory", fn,
                                (uint32_t)ptr, len);
    return NULL;
  }
  *rc = TROUPE_OK;
  return p ? p : (uint8_t *)"";
}

/* A guest string as a C string in buf: NULL (and *status set) when too long or with NUL. */
static const char *guest_str(troupe_wasm_hostcall *call, const char *fn, int32_t ptr, int32_t len,
                             char *buf, size_t cap, int *rc, int *status) {
  const uint8_t *p = guest(call, fn, ptr, len, rc);
  if (!p)
    return NULL;
  if ((size_t)len >= cap || memchr(p, 0, (size_t)len)) {
    *status = TROUPE_E_INVAL;
    return NULL;
  }
  memcpy(buf, p, (size_t)len);
  buf[len] = '\0';
  return buf;
}

trP_comp *trP_comp_of_call(troupe_wasm_hostcall *call) {
  return troupe_wasm_instance_user(troupe_wasm_hostcall_instance(call));
}

static void denied(trP_comp *c, const char *what, const char *target) {
  troupe_log_field f[] = {TROUPE_LOG_STR("action", what), TROUPE_LOG_STR("target", target)};
  trP_event(c->host, TROUPE_LOG_WARN, "capability_denied", c->rec, f, TR_ARRAY_LEN(f));
}

/* ---- input and output --------------------------------------------------------------- */
static int i_input_read(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                        troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  uint8_t *dst = guest(call, "input_read", ARGI(0), ARGI(1), &rc);
  if (!dst)
    return rc;
  uint32_t off = (uint32_t)ARGI(2);
  if (off >= c->in_len)
    return RET_I32(0);
  size_t n = TR_MIN(c->in_len - off, (size_t)(uint32_t)ARGI(1));
  memcpy(dst, c->in + off, n);
  return RET_I32(n);
}

static int i_input_subject(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                           troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  uint8_t *dst = guest(call, "input_subject", ARGI(0), ARGI(1), &rc);
  if (!dst)
    return rc;
  if (!c->in_subject)
    return RET_I32(TROUPE_E_NOTFOUND);
  size_t len = strlen(c->in_subject);
  memcpy(dst, c->in_subject, TR_MIN(len, (size_t)(uint32_t)ARGI(1)));
  return RET_I32(len);
}

static int i_output(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                    troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  uint8_t *src = guest(call, "output", ARGI(0), ARGI(1), &rc);
  if (!src)
    return rc;
  size_t len = (size_t)ARGI(1);
  if (len > c->lim->max_message_bytes)
    return RET_I32(TROUPE_E_TOO_LARGE);
  if (len > c->out_cap) {
    uint8_t *b = realloc(c->out, len);
    if (!b)
      return RET_I32(TROUPE_E_NOMEM);
    c->out = b;
    c->out_cap = len;
  }
  if (len) /* an empty output before any other has no buffer yet: memcpy(NULL, ..., 0) is UB */
    memcpy(c->out, src, len);
  c->out_len = len;
  return RET_I32(0);
}

/* ---- identity ------------------------------------------------------------------------- */
static int i_self(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                  troupe_wasm_val *results) {
  TR_UNUSED(u);
  TR_UNUSED(args);
  return RET_I64(trP_comp_of_call(call)->rec->id);
}

static int i_lookup(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                    troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  char name[TRP_NAME_MAX + 1];
  int rc, status = 0;
  if (!guest_str(call, "lookup", ARGI(0), ARGI(1), name, sizeof name, &rc, &status))
    return rc ? rc : RET_I64(TROUPE_E_NOTFOUND);
  trP_rec *r = trP_table_find(&c->host->table, name);
  if (!r)
    return RET_I64(TROUPE_E_NOTFOUND);
  int64_t id = (int64_t)r->id;
  trP_rec_unref(r);
  return RET_I64(id);
}

/* ---- sending ---------------------------------------------------------------------------- */
static trP_rec *target(trP_comp *c, int64_t id) {
  return id > 0 ? trP_table_get(&c->host->table, (troupe_component_id)id) : NULL;
}

static int32_t send_common(trP_comp *c, trP_rec *to, uint32_t tag, const void *data, size_t len) {
  troupe_err e;
  int rc = trP_send(c->host, c->rec, c->self_id, to, tag, data, len, &e);
  if (rc == TROUPE_E_DENIED)
    denied(c, "send", to->name);
  else if (rc == TROUPE_OK)
    trP_count_out(c, len);
  return rc;
}

/* The target of a send by id: the cached peer when it is the same, else from the table
 * (becoming the cached peer). NULL when there is no such component. Borrowed from the
 * cache: valid until the next call. */
static trP_rec *peer(trP_comp *c, int64_t id) {
  if (c->peer && (int64_t)c->peer->id == id)
    return c->peer;
  trP_rec *r = target(c, id);
  if (!r)
    return NULL;
  trP_rec_unref(c->peer);
  c->peer = r;
  c->peer_ok = trP_may_send(c->host, c->rec, r);
  return r;
}

static int i_send(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                  troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  const uint8_t *p = guest(call, "send", ARGI(2), ARGI(3), &rc);
  if (!p)
    return rc;
  trP_rec *to = peer(c, ARGL(0));
  if (!to)
    return RET_I32(TROUPE_E_NOTFOUND);
  if (!c->peer_ok) {
    denied(c, "send", to->name);
    return RET_I32(TROUPE_E_DENIED);
  }
  return RET_I32(trP_send_allowed(c->host, c->rec, c->self_id, to, (uint32_t)ARGI(1), p,
                                  (size_t)ARGI(3), NULL));
}

static int i_send_name(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                       troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  char name[TRP_NAME_MAX + 1];
  int rc, status = 0;
  if (!guest_str(call, "send_name", ARGI(0), ARGI(1), name, sizeof name, &rc, &status))
    return rc ? rc : RET_I32(TROUPE_E_NOTFOUND);
  const uint8_t *p = guest(call, "send_name", ARGI(3), ARGI(4), &rc);
  if (!p)
    return rc;
  trP_rec *to = trP_table_find(&c->host->table, name);
  if (!to)
    return RET_I32(TROUPE_E_NOTFOUND);
  int32_t st = send_common(c, to, (uint32_t)ARGI(2), p, (size_t)ARGI(4));
  trP_rec_unref(to);
  return RET_I32(st);
}

/* ---- ask --------------------------------------------------------------------------------- */
static uint64_t timeout_of(int32_t ms) {
  return ms == 0 ? TROUPE_SEC(5) : TROUPE_MS((uint32_t)ms);
}

/* Send an ASK from c to `to`: *corr on success. */
static int32_t ask_start(trP_comp *c, trP_rec *to, uint32_t tag, const void *data, size_t len,
                         int32_t timeout_ms, uint64_t *corr) {
  if (timeout_ms < 0)
    return TROUPE_E_RANGE;
  if (!(to == c->peer ? c->peer_ok : trP_may_send(c->host, c->rec, to))) {
    denied(c, "ask", to->name);
    return TROUPE_E_DENIED;
  }
  if (len > c->lim->max_message_bytes || len > to->spec->s.limits.max_message_bytes)
    return TROUPE_E_TOO_LARGE;
  int rc = trP_payload_check(data, len, NULL);
  if (rc)
    return rc;
  troupe_actor_id a = atomic_load_explicit(&to->actor, memory_order_acquire);
  if (!a)
    return TROUPE_E_NOT_READY; /* between incarnations */
  size_t n = sizeof(trP_wire) + len;
  uint8_t stackbuf[512];
  uint8_t *buf = n <= sizeof stackbuf ? stackbuf : trB_malloc(n);
  if (!buf)
    return TROUPE_E_NOMEM;
  trP_wire w = {.from = c->rec->id, .tag = tag, .tr = trP_trace_out(c->host)};
  memcpy(buf, &w, sizeof w);
  if (len)
    memcpy(buf + sizeof w, data, len);
  rc = troupe_ask_async(c->self, a, TRP_TAG_ASK, buf, n, timeout_of(timeout_ms), corr, NULL);
  if (buf != stackbuf)
    free(buf);
  if (rc == TROUPE_OK)
    trP_count_out(c, len);
  return rc;
}

static int i_ask(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                 troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  const uint8_t *p = guest(call, "ask", ARGI(2), ARGI(3), &rc);
  if (!p)
    return rc;
  if (!guest(call, "ask", ARGI(4), ARGI(5), &rc))
    return rc;
  if (c->no_wait)
    return RET_I32(TROUPE_E_STATE);
  trP_rec *to = peer(c, ARGL(0));
  if (!to)
    return RET_I32(TROUPE_E_NOTFOUND);
  uint64_t corr = 0;
  int32_t st = ask_start(c, to, (uint32_t)ARGI(1), p, (size_t)ARGI(3), ARGI(6), &corr);
  if (st)
    return RET_I32(st);
  if ((st = troupe_actor_suspend_for(c->self, corr)))
    return RET_I32(st);
  c->wait = TRP_WAIT_ASK;
  c->wait_corr = corr;
  c->wait_out = (uint32_t)ARGI(4);
  c->wait_cap = (uint32_t)ARGI(5);
  return troupe_wasm_host_suspend(call);
}

int32_t trP_ask_finish(trP_comp *c, const troupe_message *m) {
  if (m->kind == TROUPE_MSG_ASK_FAILED)
    return m->status ? m->status : TROUPE_E_NOT_RUNNING;
  if (m->kind != TROUPE_MSG_REPLY)
    return TROUPE_E_INTERNAL;
  if (m->len > c->lim->max_message_bytes)
    return TROUPE_E_TOO_LARGE;
  uint8_t *copy = m->len ? trB_memdup(m->data, m->len) : NULL;
  if (m->len && !copy)
    return TROUPE_E_NOMEM;
  free(c->reply);
  c->reply = copy;
  c->reply_len = m->len;
  size_t n = TR_MIN(m->len, (size_t)c->wait_cap);
  /* The out range was checked at the call, and memory never shrinks. */
  if (n && troupe_wasm_memory_write(c->inst, c->wait_out, m->data, n))
    return TROUPE_E_INTERNAL;
  return (int32_t)TR_MIN(m->len, (size_t)INT32_MAX);
}

static int i_reply_read(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                        troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  uint8_t *dst = guest(call, "reply_read", ARGI(0), ARGI(1), &rc);
  if (!dst)
    return rc;
  uint32_t off = (uint32_t)ARGI(2);
  if (off >= c->reply_len)
    return RET_I32(0);
  size_t n = TR_MIN(c->reply_len - off, (size_t)(uint32_t)ARGI(1));
  memcpy(dst, c->reply + off, n);
  return RET_I32(n);
}

static int i_ask_async(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                       troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  const uint8_t *p = guest(call, "ask_async", ARGI(2), ARGI(3), &rc);
  if (!p)
    return rc;
  trP_rec *to = peer(c, ARGL(0));
  if (!to)
    return RET_I64(TROUPE_E_NOTFOUND);
  uint64_t corr = 0;
  troupe_component_id who = to->id;
  int32_t st = ask_start(c, to, (uint32_t)ARGI(1), p, (size_t)ARGI(3), ARGI(4), &corr);
  if (st)
    return RET_I64(st);
  if (trP_ref_add(c, corr, who))
    return RET_I64(TROUPE_E_NOMEM); /* the answer still comes, with from 0 */
  return RET_I64((int64_t)(corr & INT64_MAX));
}

static int i_reply(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                   troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  const uint8_t *p = guest(call, "reply", ARGI(1), ARGI(2), &rc);
  if (!p)
    return rc;
  size_t len = (size_t)ARGI(2);
  if (len > c->lim->max_message_bytes)
    return RET_I32(TROUPE_E_TOO_LARGE);
  int st = trP_payload_check(p, len, NULL);
  if (st)
    return RET_I32(st);
  int r = troupe_reply(c->host->rt, c->self_id, (uint64_t)ARGL(0), p, len);
  if (r == TROUPE_OK)
    trP_count_out(c, len);
  return RET_I32(r);
}

/* ---- publish / subscribe ---------------------------------------------------------------- */
static int i_publish(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                     troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  char subject[256];
  int rc, status = 0;
  if (!guest_str(call, "publish", ARGI(0), ARGI(1), subject, sizeof subject, &rc, &status))
    return rc ? rc : RET_I32(TROUPE_E_INVAL);
  const uint8_t *p = guest(call, "publish", ARGI(2), ARGI(3), &rc);
  if (!p)
    return rc;
  size_t len = (size_t)ARGI(3);
  if (troupe_subject_validate(subject, NULL))
    return RET_I32(TROUPE_E_INVAL);
  if (!trP_patterns_match(&c->rec->spec->s.caps.publish, subject)) {
    denied(c, "publish", subject);
    return RET_I32(TROUPE_E_DENIED);
  }
  if (len > c->lim->max_message_bytes)
    return RET_I32(TROUPE_E_TOO_LARGE);
  int st = trP_payload_check(p, len, NULL);
  if (st)
    return RET_I32(st);
  int r = troupe_broker_publish(c->host->broker, c->self_id, subject, p, len, NULL, NULL);
  if (r == TROUPE_OK)
    trP_count_out(c, len);
  return RET_I32(r);
}

static int i_subscribe(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                       troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  char pattern[256];
  int rc, status = 0;
  if (!guest_str(call, "subscribe", ARGI(0), ARGI(1), pattern, sizeof pattern, &rc, &status))
    return rc ? rc : RET_I64(TROUPE_E_INVAL);
  if (troupe_subject_validate_pattern(pattern, NULL))
    return RET_I64(TROUPE_E_INVAL);
  const troupe_pattern_list *caps = &c->rec->spec->s.caps.subscribe;
  bool ok = false;
  for (size_t i = 0; i < caps->n && !ok; i++)
    ok = trP_pattern_covers(caps->v[i], pattern);
  if (!ok) {
    denied(c, "subscribe", pattern);
    return RET_I64(TROUPE_E_DENIED);
  }
  if (c->nsubs == c->csubs) {
    size_t n = c->csubs ? 2 * c->csubs : 4;
    void *v = trB_realloc_array(c->subs, n, sizeof *c->subs);
    if (!v)
      return RET_I64(TROUPE_E_NOMEM);
    c->subs = v;
    c->csubs = n;
  }
  troupe_sub_id sub;
  int st = troupe_broker_subscribe(c->host->broker, c->self_id, pattern, NULL, &sub, NULL);
  if (st)
    return RET_I64(st);
  c->subs[c->nsubs++] = sub;
  return RET_I64((int64_t)sub);
}

static int i_unsubscribe(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                         troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  troupe_sub_id sub = (troupe_sub_id)ARGL(0);
  for (size_t i = 0; i < c->nsubs; i++) /* only its own subscriptions */
    if (c->subs[i] == sub) {
      c->subs[i] = c->subs[--c->nsubs];
      return RET_I32(troupe_broker_unsubscribe(c->host->broker, sub));
    }
  return RET_I32(TROUPE_E_NOTFOUND);
}

/* ---- timers ---------------------------------------------------------------------------- */
static int i_send_after(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                        troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  const uint8_t *p = guest(call, "send_after", ARGI(2), ARGI(3), &rc);
  if (!p)
    return rc;
  size_t len = (size_t)ARGI(3);
  if (ARGL(0) < 0)
    return RET_I64(TROUPE_E_RANGE);
  if (len > c->lim->max_message_bytes)
    return RET_I64(TROUPE_E_TOO_LARGE);
  if (c->ntimers == c->ctimers) {
    size_t n = c->ctimers ? 2 * c->ctimers : 4;
    void *v = trB_realloc_array(c->timers, n, sizeof *c->timers);
    if (!v)
      return RET_I64(TROUPE_E_NOMEM);
    c->timers = v;
    c->ctimers = n;
  }
  trP_msg *m = trP_msg_new(c->rec, c->rec->id, c->self_id, TRP_KIND_TIMER, (uint32_t)ARGI(1), p, len);
  if (!m)
    return RET_I64(TROUPE_E_NOMEM);
  uint64_t id = ++c->next_timer;
  m->corr = id;
  /* A timer begins a chain of its own when it fires: a component that re-arms its timer
   * at each tick would otherwise extend one chain (and, sampled, log a span a tick)
   * for as long as it lives. */
  m->tr = (troupe_trace){0};
  troupe_timer *t = NULL;
  troupe_send_args a = {.from = c->self_id, .to = c->self_id, .tag = TRP_TAG_MSG, .data = m,
                        .len = sizeof *m + len, .release = trP_msg_release, .release_user = m};
  uint64_t delay = (uint64_t)ARGL(0) > UINT64_MAX / 1000000u ? UINT64_MAX
                                                              : TROUPE_MS((uint64_t)ARGL(0));
  int st = troupe_send_after(c->host->rt, &a, delay, &t);
  if (st)
    return RET_I64(st);
  c->timers[c->ntimers].id = id;
  c->timers[c->ntimers].t = t;
  c->ntimers++;
  return RET_I64((int64_t)id);
}

void trP_timer_fired(trP_comp *c, uint64_t id) {
  for (size_t i = 0; i < c->ntimers; i++)
    if (c->timers[i].id == id) {
      troupe_timer_forget(c->timers[i].t);
      c->timers[i] = c->timers[--c->ntimers];
      return;
    }
}

static int i_cancel_timer(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                          troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  uint64_t id = (uint64_t)ARGL(0);
  for (size_t i = 0; i < c->ntimers; i++)
    if (c->timers[i].id == id) {
      bool cancelled = troupe_timer_cancel(c->timers[i].t);
      c->timers[i] = c->timers[--c->ntimers];
      return RET_I32(cancelled ? 1 : 0);
    }
  return RET_I32(0);
}

/* ---- monitors ----------------------------------------------------------------------- */
static int i_monitor(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                     troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  trP_rec *to = target(c, ARGL(0));
  if (!to)
    return RET_I64(TROUPE_E_NOTFOUND);
  int64_t ret;
  if (!trP_may_send(c->host, c->rec, to)) {
    denied(c, "monitor", to->name);
    ret = TROUPE_E_DENIED;
  } else {
    troupe_actor_id a = atomic_load_explicit(&to->actor, memory_order_acquire);
    uint64_t ref = 0;
    /* Between incarnations there is nothing to watch: DOWN (noproc) comes at once. */
    int st = troupe_monitor(c->self, a, &ref);
    if (st)
      ret = st;
    else if (trP_ref_add(c, ref, to->id)) {
      troupe_demonitor(c->self, ref);
      ret = TROUPE_E_NOMEM;
    } else
      ret = (int64_t)(ref & INT64_MAX);
  }
  trP_rec_unref(to);
  return RET_I64(ret);
}

static int i_demonitor(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                       troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  uint64_t ref = (uint64_t)ARGL(0);
  for (size_t i = 0; i < c->nmons; i++)
    if (c->mons[i].ref == ref) {
      trP_ref_take(c, ref, true);
      return RET_I32(troupe_demonitor(c->self, ref));
    }
  return RET_I32(TROUPE_E_NOTFOUND);
}

/* ---- log and time ------------------------------------------------------------------- */
static int i_log(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                 troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int rc;
  const uint8_t *p = guest(call, "log", ARGI(1), ARGI(2), &rc);
  if (!p)
    return rc;
  int32_t lvl = ARGI(0);
  if (lvl < TROUPE_LOG_DEBUG || lvl > TROUPE_LOG_ERROR)
    return RET_I32(TROUPE_E_INVAL);
  size_t len = TR_MIN((size_t)ARGI(2), (size_t)4096);
  char *text = trB_malloc(len + 1);
  if (!text)
    return RET_I32(TROUPE_E_NOMEM);
  memcpy(text, p, len);
  text[len] = '\0';
  troupe_log_field f[] = {TROUPE_LOG_STR("message", text)};
  trP_event(c->host, (troupe_log_level)lvl, "component_log", c->rec, f, 1);
  free(text);
  return RET_I32(0);
}

static int i_time(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                  troupe_wasm_val *results) {
  TR_UNUSED(u);
  TR_UNUSED(call);
  switch (ARGI(0)) {
  case 0:
    return RET_I64(troupe_clock_wall_ns());
  case 1:
    return RET_I64(troupe_clock_mono_ns());
  default:
    return RET_I64(TROUPE_E_INVAL);
  }
}

/* ---- the table ---------------------------------------------------------------------- */
typedef struct import_def {
  const char *name;
  const char *params, *results; /* 'i' i32, 'I' i64 */
  troupe_wasm_host_fn fn;
} import_def;

extern int trP_i_spawn(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                       troupe_wasm_val *results);
extern int trP_i_send_wait(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                           troupe_wasm_val *results);

static const import_def imports[] = {
    {"input_read", "iii", "i", i_input_read},
    {"input_subject", "ii", "i", i_input_subject},
    {"output", "ii", "i", i_output},
    {"self", "", "I", i_self},
    {"lookup", "ii", "I", i_lookup},
    {"send", "Iiii", "i", i_send},
    {"send_name", "iiiii", "i", i_send_name},
    {"send_wait", "Iiiii", "i", trP_i_send_wait},
    {"ask", "Iiiiiii", "i", i_ask},
    {"reply_read", "iii", "i", i_reply_read},
    {"ask_async", "Iiiii", "I", i_ask_async},
    {"reply", "Iii", "i", i_reply},
    {"publish", "iiii", "i", i_publish},
    {"subscribe", "ii", "I", i_subscribe},
    {"unsubscribe", "I", "i", i_unsubscribe},
    {"send_after", "Iiii", "I", i_send_after},
    {"cancel_timer", "I", "i", i_cancel_timer},
    {"monitor", "I", "I", i_monitor},
    {"demonitor", "I", "i", i_demonitor},
    {"spawn", "iiii", "I", trP_i_spawn},
    {"log", "iii", "i", i_log},
    {"time", "i", "I", i_time},
};

int trP_imports_define(troupe_wasm_linker *l, troupe_host *h, troupe_err *err) {
  for (size_t i = 0; i < TR_ARRAY_LEN(imports); i++) {
    const import_def *d = &imports[i];
    uint8_t p[8], r[1];
    size_t np = strlen(d->params), nr = strlen(d->results);
    for (size_t k = 0; k < np; k++)
      p[k] = d->params[k] == 'i' ? TROUPE_WASM_I32 : TROUPE_WASM_I64;
    for (size_t k = 0; k < nr; k++)
      r[k] = d->results[k] == 'i' ? TROUPE_WASM_I32 : TROUPE_WASM_I64;
    troupe_wasm_functype ft = {.nparams = (uint32_t)np, .nresults = (uint32_t)nr, .params = p,
                               .results = r};
    int rc = troupe_wasm_linker_define_func(l, "troupe", d->name, &ft, d->fn, h, err);
    if (rc)
      return rc;
  }
  return TROUPE_OK;
}
