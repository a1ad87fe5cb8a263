/*
 * actor/dispatch.c: what a node does to its actor. Messages go to the behaviour (or
 * wait in the deferred list while the actor is suspended), exit signals follow OTP
 * (kill is untrappable, trapped signals become EXIT messages, normal is ignored), and
 * an actor's death runs terminate, tells its links and monitors, and frees its slot
 * for a new generation. Undeliverable nodes are answered (asks, links, monitors),
 * counted as dropped and shown to the drop hooks.
 */
#include "actor/core.h"

#include <limits.h>
#include <stdio.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Does m end a's suspension? After troupe_actor_suspend_for only the message carrying
 * the awaited corr does, whatever its kind or lane (a broker reply is a SYSTEM message,
 * a monitor's DOWN carries its ref); after a plain suspend the wake-up kinds do. */
static bool wakes_suspended(const troupe_actor *a, const trA_msg *m) {
  if (a->flags & TRA_AF_WAIT_CORR)
    return m->corr == a->ext->wake_corr;
  return m->kind == TROUPE_MSG_REPLY || m->kind == TROUPE_MSG_ASK_FAILED ||
         m->kind == TROUPE_MSG_RESUME || m->kind == TROUPE_MSG_SPACE;
}

/* The handler has just asked to wait for corr: the message may already be in the
 * deferred list (kept there by an earlier suspension). It goes back on the actor's own
 * priority lane, where this turn finds it (the lane is not marked empty while the actor
 * runs, so the push schedules nothing, and the turn's end sees the lane non-empty). */
static void rewake_deferred(troupe_actor *a) {
  trA_ext *x = a->ext;
  trA_msg *prev = NULL;
  for (trA_msg *d = x->def_head; d;
       prev = d, d = (trA_msg *)(void *)atomic_load_explicit(&d->link.next, memory_order_relaxed)) {
    if (d->corr != x->wake_corr)
      continue;
    trA_msg *next = (trA_msg *)(void *)atomic_load_explicit(&d->link.next, memory_order_relaxed);
    if (prev)
      atomic_store_explicit(&prev->link.next, &next->link, memory_order_relaxed);
    else
      x->def_head = next;
    if (x->def_tail == d)
      x->def_tail = prev;
    trA_mq_push(&a->sys, &d->link);
    return;
  }
}

bool trA_dispatch(troupe_runtime *rt, troupe_actor *a, trA_msg *m, bool *stop_turn) {
  /* The health callback only reports (it runs no behaviour), so a question is answered
   * even while the actor waits: a component waiting on a long ask is not judged
   * unhealthy for it. Without a callback the question waits with the rest. */
  if (m->tag == TROUPE_TAG_HEALTH && trA_wants_health_answer(a, m)) {
    trA_uncount(a, m);
    trA_answer_health(rt, a, m);
    return false;
  }
  if (a->flags & TRA_AF_SUSPENDED) {
    if (!wakes_suspended(a, m)) {
      if (!trA_ext_get(a)) { /* out of memory: cannot keep it */
        trA_uncount(a, m);
        trA_drop(rt, m, trA_self_id(a));
        return false;
      }
      trA_defer(a, m); /* a user node keeps counting in the bound until handled */
      return false;
    }
    a->flags &= (uint16_t)~TRA_AF_WAIT_CORR; /* the awaited message has come */
  }
  trA_uncount(a, m);
  troupe_message v = {
      .kind = (troupe_msg_kind)m->kind,
      .tag = m->tag,
      .from = m->from,
      .corr = m->corr,
      .timestamp_ns = m->ts,
      .data = m->data,
      .len = m->len,
      .status = m->status,
  };
  if (m->kind == TROUPE_MSG_EXIT || m->kind == TROUPE_MSG_DOWN) {
    v.reason.kind = (troupe_exit_kind)m->exit_kind;
    v.reason.code = m->status;
    v.reason.message = m->len ? (const char *)m->data : NULL;
    v.data = NULL;
    v.len = 0;
    v.status = 0;
  }
  const troupe_behaviour *b = atomic_load_explicit(&a->b, memory_order_relaxed);
  troupe_err err;
  err.code = 0;
  err.msg[0] = '\0';
  int rc = b->handle(a, &v, &err);
  TRA_COUNT(rt, msgs_received, 1);
  if (m->kind == TROUPE_MSG_ASK && trA_ask_pending(rt, m->corr))
    trA_hold_ask(a, m->corr);
  trA_msg_free(rt, m);
  switch (rc) {
  case TROUPE_CONTINUE:
    a->flags &= (uint16_t)~(TRA_AF_SUSPENDED | TRA_AF_WAIT_CORR);
    return false;
  case TROUPE_SUSPEND:
    a->flags |= TRA_AF_SUSPENDED;
    if ((a->flags & TRA_AF_WAIT_CORR) && a->ext->def_head)
      rewake_deferred(a);
    return false;
  case TROUPE_YIELD:
    a->flags &= (uint16_t)~TRA_AF_WAIT_CORR;
    a->flags |= TRA_AF_SUSPENDED;
    trA_signal(rt, trA_self_id(a), &(trA_sig){.kind = TROUPE_MSG_RESUME});
    *stop_turn = true;
    return false;
  case TROUPE_STOP: {
    trA_ext *x = a->ext;
    if (x && x->exit_kind != TROUPE_EXIT_NORMAL) {
      char *msg = x->exit_msg;
      x->exit_msg = NULL; /* die frees ext; keep the text alive through it */
      trA_actor_die(rt, a, x->exit_kind, x->exit_code, msg);
      free(msg);
    } else {
      trA_actor_die(rt, a, TROUPE_EXIT_NORMAL, 0, NULL);
    }
    return true;
  }
  default:
    if (rc > 0)
      rc = troupe_err_set(&err, TROUPE_E_INVAL, "handle returned unknown action %d", rc);
    trA_actor_die(rt, a, TROUPE_EXIT_CRASH, rc, err.msg[0] ? err.msg : troupe_strerror(rc));
    return true;
  }
}

bool trA_handle_signal(troupe_runtime *rt, troupe_actor *a, trA_msg *m, bool *stop_turn) {
  troupe_actor_id self = trA_self_id(a);
  troupe_exit_kind k = (troupe_exit_kind)m->exit_kind;
  bool via_link = (m->flags & TRA_MF_VIA_LINK) != 0;
  if (via_link) {
    if (!trA_link_has(a, m->from)) { /* unlinked meanwhile: not for us any more */
      TRA_COUNT(rt, msgs_received, 1);
      trA_msg_free(rt, m);
      return false;
    }
    trA_link_remove(a, m->from); /* the sender is dead: the link is gone */
  }
  if (k != TROUPE_EXIT_KILL && (a->flags & TRA_AF_TRAP)) {
    m->kind = TROUPE_MSG_EXIT;
    return trA_dispatch(rt, a, m, stop_turn);
  }
  TRA_COUNT(rt, msgs_received, 1);
  if (k == TROUPE_EXIT_NORMAL && m->from != self) {
    trA_msg_free(rt, m);
    return false;
  }
  if (k == TROUPE_EXIT_KILL)
    k = TROUPE_EXIT_KILLED;
  const char *text = m->len ? (const char *)m->data : NULL;
  trA_actor_die(rt, a, k, m->status, text);
  trA_msg_free(rt, m);
  return true;
}

void trA_drop(troupe_runtime *rt, trA_msg *m, troupe_actor_id dead_id) {
  switch (m->kind) {
  case TROUPE_MSG_ASK:
    trA_ask_complete(rt, m->corr, TROUPE_E_NOT_RUNNING, dead_id, NULL, 0, false);
    break;
  case TRA_K_LINK:
    trA_signal(rt, m->from, &(trA_sig){.kind = TRA_K_SIGNAL, .from = dead_id,
                                       .exit_kind = TROUPE_EXIT_NOPROC,
                                       .mflags = TRA_MF_VIA_LINK});
    break;
  case TRA_K_MONITOR:
    trA_signal(rt, m->from, &(trA_sig){.kind = TROUPE_MSG_DOWN, .from = dead_id, .corr = m->corr,
                                       .exit_kind = TROUPE_EXIT_NOPROC});
    break;
  case TROUPE_MSG_SPACE: /* a room notice nobody will use goes to the next waiter */
    if (m->status == TROUPE_OK)
      trA_space_pass(rt, m->from);
    break;
  default:
    break;
  }
  trA_drop_notify(rt, m, dead_id);
  TRA_COUNT(rt, msgs_dropped, 1);
  trA_msg_free(rt, m);
}

void trA_drop_notify(troupe_runtime *rt, const trA_msg *m, troupe_actor_id to) {
  /* Acquire: pairs with the registration's release; entries below n are complete. */
  uint32_t nh = atomic_load_explicit(&rt->ndrop_hooks, memory_order_acquire);
  if (!nh)
    return;
  trA_dropped d = {.to = to, .tag = m->tag, .release = m->release,
                   .release_user = m->release_user};
  for (uint32_t i = 0; i < nh; i++)
    ((trA_drop_fn)rt->drop_hooks[i].fn)(rt, &d, rt->drop_hooks[i].user);
}

void trA_actor_die(troupe_runtime *rt, troupe_actor *a, troupe_exit_kind kind, int code,
                   const char *msg) {
  troupe_actor_id self = trA_self_id(a);
  uint32_t gen = TRA_ID_GEN(self);
  const troupe_behaviour *b = atomic_load_explicit(&a->b, memory_order_relaxed);
  atomic_store_explicit(&a->status, TROUPE_STATUS_STOPPING, memory_order_relaxed);
  troupe_exit_reason why = {kind, code, msg};
  if (b->terminate)
    b->terminate(a, &why);
  bool clean = kind == TROUPE_EXIT_NORMAL || kind == TROUPE_EXIT_SHUTDOWN;
  atomic_store_explicit(&a->status, clean ? TROUPE_STATUS_STOPPED : TROUPE_STATUS_FAILED,
                        memory_order_relaxed);
  if (trA_event_enabled(rt, clean ? TROUPE_LOG_INFO : TROUPE_LOG_WARN)) {
    troupe_log_field f[] = {TROUPE_LOG_STR("reason", troupe_exit_kind_name(kind)),
                            TROUPE_LOG_INT("code", code), TROUPE_LOG_STR("message", msg ? msg : "")};
    trA_event(rt, clean ? TROUPE_LOG_INFO : TROUPE_LOG_WARN,
              clean ? "actor.stopped" : "actor.crashed", self, f, 3);
  }
  TRA_COUNT(rt, exited, 1);
  if (kind == TROUPE_EXIT_CRASH)
    TRA_COUNT(rt, crashed, 1);
  /* From here sends to this id fail, and lookups of its name too (the lookup checks
   * the slot: the name is gone from this store on, though its entry is removed below).
   * DEAD comes before the meta lock so that a concurrent troupe_registry_register, which
   * checks ALIVE under that lock, either sees it or has its name removed below. seq_cst
   * is stronger than needed (release would do: senders and lookups acquire it). */
  atomic_store_explicit(&a->gen_state, (uint64_t)gen << 32 | TRA_SLOT_DEAD, memory_order_seq_cst);

  pthread_mutex_t *ml = trA_meta_lock(rt, a);
  pthread_mutex_lock(ml);
  trA_meta *meta = atomic_load_explicit(&a->meta, memory_order_relaxed);
  atomic_store_explicit(&a->meta, NULL, memory_order_relaxed);
  if (meta && meta->name)
    trA_name_remove(rt, meta->name, self);
  /* Senders waiting for room here: none can join after this (they check ALIVE under
   * this lock), so every one is told now, threads under the lock, actors after it. */
  trA_spacew *waiting = meta && meta->wq_head ? trA_space_detach(a, meta) : NULL;
  pthread_mutex_unlock(ml);
  trA_space_fail_all(rt, waiting);
  if (meta) {
    free(meta->name);
    free(meta->metadata);
    free(meta->health_reason);
    free(meta);
  }

  /* What the actor still had -- deferred first (taken off the lanes earlier), then both
   * lanes in order -- goes to the drop hooks now, before its links and monitors are
   * told: a supervisor that restarts a successor then finds every leftover already
   * handed back (the component layer puts them ahead of what senders hold after the
   * death: message order survives a restart). The lanes are ours to pop: this is the
   * actor's consumer (its worker in its turn, or the stopping thread once the workers
   * are gone). A sender that passed the ALIVE check just before DEAD may still push a
   * node after this; the turn drops it as stale, as it always did. */
  trA_ext *x = a->ext;
  if (x) {
    while (x->def_head) {
      trA_msg *d = x->def_head;
      x->def_head = (trA_msg *)(void *)atomic_load_explicit(&d->link.next, memory_order_relaxed);
      trA_uncount(a, d);
      trA_drop(rt, d, self);
    }
    x->def_tail = NULL;
  }
  trA_mq *lanes[2] = {&a->sys, &a->user};
  for (int l = 0; l < 2; l++) {
    trA_link *n;
    while ((n = trA_mq_pop(lanes[l]))) {
      trA_msg *m = (trA_msg *)(void *)n;
      trA_uncount(a, m);
      trA_drop(rt, m, TRA_ID(a->index, m->target_gen));
    }
  }
  if (x) {
    for (uint32_t i = 0; i < x->nlinks; i++)
      trA_signal(rt, x->links[i], &(trA_sig){.kind = TRA_K_SIGNAL, .from = self, .exit_kind = kind,
                                             .status = code, .text = msg,
                                             .mflags = TRA_MF_VIA_LINK});
    for (uint32_t i = 0; i < x->nmons; i++)
      trA_signal(rt, x->mons[i].who, &(trA_sig){.kind = TROUPE_MSG_DOWN, .from = self,
                                                .corr = x->mons[i].ref, .exit_kind = kind,
                                                .status = code, .text = msg});
    for (uint32_t i = 0; i < x->nmine; i++)
      trA_signal(rt, x->mine[i].who, &(trA_sig){.kind = TRA_K_DEMONITOR, .from = self,
                                                .corr = x->mine[i].ref});
    for (uint32_t i = 0; i < x->nheld; i++)
      trA_ask_complete(rt, x->held[i], TROUPE_E_NOT_RUNNING, self, NULL, 0, false);
    if (x->nwaits) /* its own waits for room elsewhere end without a message */
      trA_space_cancel_mine(rt, a);
  }
  /* Acquire: pairs with the registration's release; entries below n are complete. */
  uint32_t nh = atomic_load_explicit(&rt->nexit_hooks, memory_order_acquire);
  for (uint32_t i = 0; i < nh; i++)
    ((trA_exit_fn)rt->exit_hooks[i].fn)(rt, self, kind, rt->exit_hooks[i].user);
  trA_ext_free(rt, a);
  a->state = NULL;
  a->flags = 0;
  atomic_store_explicit(&a->b, NULL, memory_order_relaxed);
  atomic_fetch_sub_explicit(&rt->live, 1, memory_order_relaxed);
  uint32_t ngen = gen + 1 ? gen + 1 : 1;
  /* Release: the reset slot is visible to the spawner that pops it (the free stack's
   * release/acquire also orders it). */
  atomic_store_explicit(&a->gen_state, (uint64_t)ngen << 32 | TRA_SLOT_FREE,
                        memory_order_release);
  trA_segtab_free(&rt->slots, a->index);
  /* seq_cst: pairs with the waiter's seq_cst epoch load before its alive check
   * (runtime.c wait_dead): either it sees the slot free or the epoch moved. */
  if (atomic_load_explicit(&rt->exit_waiters, memory_order_seq_cst) > 0) {
    atomic_fetch_add_explicit(&rt->exit_epoch, 1, memory_order_seq_cst);
    syscall(SYS_futex, (uint32_t *)(void *)&rt->exit_epoch, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
            NULL, 0);
  }
}
