/*
 * component/sendwait.c: troupe.send_wait, a send that waits for room in a bounded
 * mailbox instead of failing with MAILBOX_FULL. The instance is suspended, not the
 * worker: the actor asks the runtime to tell it when the target's mailbox has room
 * (troupe_send_when_space, a message carrying our corr), retries then, and waits again
 * while the deadline allows -- another sender may have taken the room first. Between
 * the target's incarnations there is no mailbox to watch (the held queue is full): a
 * short timer retries instead.
 */
#include "component/comp.h"

#define RETRY_BETWEEN_INCARNATIONS_NS TROUPE_MS(5)

int trP_i_send_wait(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                    troupe_wasm_val *results);

/* Arrange to be woken when c->wait_target may have room; 0 or an error status. */
static int arm(trP_comp *c) {
  uint64_t now = troupe_clock_mono_ns();
  if (now >= c->wait_deadline_ns)
    return TROUPE_E_TIMEOUT;
  uint64_t left = c->wait_deadline_ns - now, corr = 0;
  troupe_actor_id a = atomic_load_explicit(&c->wait_target->actor, memory_order_acquire);
  int rc;
  if (a && (rc = troupe_send_when_space(c->self, a, left, &corr)) == TROUPE_OK) {
    /* the runtime answers with corr */
  } else {
    corr = trA_corr_new(c->host->rt);
    troupe_send_args w = {.to = c->self_id, .tag = TRP_TAG_WAKE, .flags = TROUPE_SEND_SYSTEM,
                          .corr = corr};
    rc = troupe_send_after(c->host->rt, &w, TR_MIN(left, RETRY_BETWEEN_INCARNATIONS_NS),
                           &c->wait_timer);
    if (rc)
      return rc;
  }
  if ((rc = troupe_actor_suspend_for(c->self, corr)))
    return rc;
  c->wait = TRP_WAIT_SEND;
  c->wait_corr = corr;
  return TROUPE_OK;
}

/* Try to deliver a copy of the waiting message: OK, MAILBOX_FULL or another error. */
static int try_deliver(trP_comp *c) {
  trP_msg *w = c->wait_msg;
  trP_msg *m = trP_msg_new(c->wait_target, w->from, w->from_actor, w->kind, w->guest_tag, w->data,
                           w->len);
  if (!m)
    return TROUPE_E_NOMEM;
  m->tr = w->tr; /* made during the handler; this copy may be made after it */
  int rc = trP_msg_deliver(c->host->rt, m, 0);
  if (rc == TROUPE_OK)
    trP_count_out(c, w->len);
  return rc;
}

static void finish(trP_comp *c) {
  trP_msg_free(c->wait_msg);
  c->wait_msg = NULL;
  trP_rec_unref(c->wait_target);
  c->wait_target = NULL;
}

int trP_i_send_wait(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                    troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  int32_t ptr = args[2].of.i32, len = args[3].of.i32, timeout_ms = args[4].of.i32;
  uint8_t *p = NULL;
  if (len < 0 || troupe_wasm_hostcall_memory_range(call, 0, (uint32_t)ptr, (uint32_t)len, &p))
    return troupe_wasm_host_trap(call, "troupe.send_wait: range (0x%x, %d bytes) is outside memory",
                                 (uint32_t)ptr, len);
  int64_t to = args[0].of.i64;
  trP_rec *r = to > 0 ? trP_table_get(&c->host->table, (troupe_component_id)to) : NULL;
  if (!r) {
    results[0] = TROUPE_WASM_VAL_I32(TROUPE_E_NOTFOUND);
    return TROUPE_OK;
  }
  troupe_err e;
  int rc = timeout_ms < 0 ? TROUPE_E_RANGE
                          : trP_send(c->host, c->rec, c->self_id, r, (uint32_t)args[1].of.i32, p,
                                     (size_t)len, &e);
  if (rc == TROUPE_E_DENIED) {
    troupe_log_field f[] = {TROUPE_LOG_STR("action", "send"), TROUPE_LOG_STR("target", r->name)};
    trP_event(c->host, TROUPE_LOG_WARN, "capability_denied", c->rec, f, TR_ARRAY_LEN(f));
  }
  if (rc != TROUPE_E_MAILBOX_FULL || c->no_wait || timeout_ms == 0) {
    trP_rec_unref(r);
    results[0] = TROUPE_WASM_VAL_I32(rc);
    return TROUPE_OK;
  }
  /* Full: keep the message and wait for room. */
  c->wait_msg = trP_msg_new(r, c->rec->id, c->self_id, TRP_KIND_MESSAGE, (uint32_t)args[1].of.i32,
                            p, (size_t)len);
  c->wait_target = r;
  c->wait_deadline_ns = troupe_clock_mono_ns() + TROUPE_MS((uint32_t)timeout_ms);
  rc = c->wait_msg ? arm(c) : TROUPE_E_NOMEM;
  if (rc) {
    finish(c);
    results[0] = TROUPE_WASM_VAL_I32(rc);
    return TROUPE_OK;
  }
  return troupe_wasm_host_suspend(call);
}

int trP_send_wait_finish(trP_comp *c, const troupe_message *m) {
  TR_UNUSED(m); /* whatever woke us (room, the target's death, the timeout): try again */
  int rc = try_deliver(c);
  if (rc == TROUPE_E_MAILBOX_FULL && (rc = arm(c)) == TROUPE_OK)
    return 1;
  finish(c);
  return rc == TROUPE_E_MAILBOX_FULL ? TROUPE_E_TIMEOUT : rc;
}
