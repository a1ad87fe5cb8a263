/*
 * actor/send.c: routing a message to an actor id. The id's slot is found lock-free in
 * the slot table and its generation checked (a stale id is NOTFOUND), the bounded
 * mailbox counter is claimed, the node is stamped with the addressee's generation (so a
 * node that races the actor's death is dropped, never handed to a later actor in the
 * same slot) and pushed; the push that finds the lane marked empty schedules the actor
 * -- or, for an outside thread that asks with TROUPE_ASK_RUN_HERE, takes its run token
 * for that thread to run the turn itself (trA_deliver_take; docs/ACTORS.md, "Run here").
 * A kill marks its target doomed before it is queued, so nothing sent after
 * troupe_exit(KILL) returns is accepted (OTP's signal order: the kill arrives first).
 */
#include "actor/core.h"

troupe_actor *trA_slot(troupe_runtime *rt, troupe_actor_id id) {
  if (!id)
    return NULL;
  troupe_actor *a = trA_segtab_get(&rt->slots, TRA_ID_IDX(id));
  if (!a)
    return NULL;
  /* Acquire pairs with the spawner's release publication of the generation. A kill
   * whose mark happens before this load is seen by it whatever the orders: a load that
   * happens after a modification of the same atomic reads it or a later value
   * (coherence), and every later value refuses this id (DOOMED, DEAD, then newer
   * generations). */
  uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
  if (TRA_GEN(gs) != TRA_ID_GEN(id) || TRA_STATE(gs) != TRA_SLOT_ALIVE || TRA_DOOMED(gs))
    return NULL;
  return a;
}

troupe_actor_id trA_self_id(const troupe_actor *a) {
  /* Relaxed: the running actor's own generation does not change under it. */
  uint64_t gs = atomic_load_explicit(&((troupe_actor *)a)->gen_state, memory_order_relaxed);
  return TRA_ID(a->index, TRA_GEN(gs));
}

/* m was not accepted: no such live actor. */
int trA_refuse(troupe_runtime *rt, trA_msg *m) {
  int rc = atomic_load_explicit(&rt->state, memory_order_relaxed) == TRA_RT_STOPPED
               ? TROUPE_E_STOPPED
               : TROUPE_E_NOTFOUND;
  trA_msg_free(rt, m);
  TRA_COUNT(rt, msgs_rejected, 1);
  return rc;
}

/* Stamp m for the incarnation `to` and push it on one of a's lanes: whether the push
 * found the lane marked empty, when its sender must see that the actor runs. */
static inline bool stamp_push(troupe_runtime *rt, troupe_actor_id to, trA_msg *m, trA_mq *lane) {
  m->target_gen = TRA_ID_GEN(to);
  if (!m->ts)
    m->ts = trA_now(rt);
  TRA_COUNT(rt, msgs_sent, 1);
  return trA_mq_push(lane, &m->link);
}

/* The same, scheduling the actor when the push found the lane marked empty. */
static int push(troupe_runtime *rt, troupe_actor *a, troupe_actor_id to, trA_msg *m,
                trA_mq *lane) {
  if (stamp_push(rt, to, m, lane))
    trA_schedule(rt, a);
  return TROUPE_OK;
}

/* A user-lane node's place in a bounded mailbox (or its count, when the runtime counts
 * what is queued): OK, or MAILBOX_FULL with m freed. */
static inline int count_in(troupe_runtime *rt, troupe_actor *a, trA_msg *m) {
  /* Relaxed: bound is fixed for the incarnation (published with the generation). */
  uint32_t bound = atomic_load_explicit(&a->bound, memory_order_relaxed);
  if (bound) {
    /* Relaxed: a plain send only needs the CAS to keep at most `bound` queued; it
     * never sleeps, so it takes no part in the waiters' handshake (core.h). */
    if (!trA_count_claim(a, bound, memory_order_relaxed)) {
      trA_msg_free(rt, m);
      TRA_COUNT(rt, msgs_rejected, 1);
      return TROUPE_E_MAILBOX_FULL;
    }
    m->flags |= TRA_MF_COUNTED;
  } else if (TR_UNLIKELY(rt->cfg.count_queued)) {
    /* Relaxed: a statistic (troupe_actor_queued); trA_uncount undoes it at receipt. */
    atomic_fetch_add_explicit(&a->mcount, 1, memory_order_relaxed);
    m->flags |= TRA_MF_COUNTED;
  }
  return TROUPE_OK;
}

/* One push site (lane chosen by `sys`): with two, gcc stopped inlining this into
 * troupe_send, and every send paid a call and its register saves. */
int trA_deliver(troupe_runtime *rt, troupe_actor_id to, trA_msg *m, bool sys) {
  troupe_actor *a = trA_slot(rt, to);
  if (TR_UNLIKELY(!a))
    return trA_refuse(rt, m);
  if (!sys) {
    int rc = count_in(rt, a, m);
    if (rc)
      return rc;
  } else {
    m->flags |= TRA_MF_SYS;
  }
  return push(rt, a, to, m, sys ? &a->sys : &a->user);
}

int trA_deliver_take(troupe_runtime *rt, troupe_actor_id to, trA_msg *m, troupe_actor **run) {
  *run = NULL;
  troupe_actor *a = trA_slot(rt, to);
  if (!a)
    return trA_refuse(rt, m);
  int rc = count_in(rt, a, m);
  if (rc || !stamp_push(rt, to, m, &a->user))
    return rc;
  /* The claim on inline_turns comes before the look at the state, and stop stores the
   * state before it waits for the claims to end, all seq_cst: either this sees stop
   * begun (and schedules as usual), or stop sees the claim and waits for the turn. */
  atomic_fetch_add_explicit(&rt->inline_turns, 1, memory_order_seq_cst);
  if (atomic_load_explicit(&rt->state, memory_order_seq_cst) == TRA_RT_RUNNING) {
    /* The token, as trA_schedule takes it (seq_cst; the acquire side makes the last
     * runner's writes to the actor visible here). */
    if (!(atomic_fetch_or_explicit(&a->sched, 1, memory_order_seq_cst) & 1)) {
      *run = a;
      return TROUPE_OK;
    }
    atomic_fetch_sub_explicit(&rt->inline_turns, 1, memory_order_release);
    return TROUPE_OK; /* somebody holds it: the actor runs, or is about to */
  }
  atomic_fetch_sub_explicit(&rt->inline_turns, 1, memory_order_release);
  trA_schedule(rt, a);
  return TROUPE_OK;
}

int trA_deliver_claimed(troupe_runtime *rt, troupe_actor *a, troupe_actor_id to, trA_msg *m) {
  m->flags |= TRA_MF_COUNTED;
  return push(rt, a, to, m, &a->user);
}

/* The node of a runtime signal; NULL (counted as rejected) when out of memory. */
static trA_msg *sig_node(troupe_runtime *rt, const trA_sig *sig) {
  size_t len = sig->text ? strlen(sig->text) + 1 : 0;
  trA_msg *m = trA_msg_new(rt, len);
  if (!m) {
    TRA_COUNT(rt, msgs_rejected, 1);
    return NULL;
  }
  if (len)
    memcpy(m->data, sig->text, len);
  m->kind = (uint8_t)sig->kind;
  m->from = sig->from;
  m->corr = sig->corr;
  m->exit_kind = (uint8_t)sig->exit_kind;
  m->status = sig->status;
  m->tag = sig->tag;
  m->flags |= (uint8_t)sig->mflags;
  return m;
}

int trA_signal(troupe_runtime *rt, troupe_actor_id to, const trA_sig *sig) {
  trA_msg *m = sig_node(rt, sig);
  return m ? trA_deliver(rt, to, m, true) : TROUPE_E_NOMEM;
}

/* A kill dooms its target before it is queued: the one change from ALIVE to
 * ALIVE|DOOMED of this generation, so of several killers one wins and the others are
 * refused (the target is as good as dead to them). The node is built first: a kill
 * that cannot be queued must not doom an actor that would then never die. Once the
 * mark is set every send to the id fails (trA_slot), so the actor handles nothing sent
 * after this returns: it may finish the handler it is in and handle what is ahead of
 * the kill in its priority lane, then dies of it. Acquire on success, as trA_slot's load,
 * for what the push reads; nothing needs publishing with the mark itself, which
 * senders see by coherence (trA_slot). Should the actor die meanwhile and its slot be
 * reused, the node carries the old generation and is dropped as stale. */
static int send_kill(troupe_runtime *rt, troupe_actor_id to, const trA_sig *sig) {
  trA_msg *m = sig_node(rt, sig);
  if (!m)
    return TROUPE_E_NOMEM;
  troupe_actor *a = to ? trA_segtab_get(&rt->slots, TRA_ID_IDX(to)) : NULL;
  uint64_t live = (uint64_t)TRA_ID_GEN(to) << 32 | TRA_SLOT_ALIVE;
  if (!a || !atomic_compare_exchange_strong_explicit(&a->gen_state, &live,
                                                     live | TRA_SLOT_DOOMED,
                                                     memory_order_acquire,
                                                     memory_order_relaxed))
    return trA_refuse(rt, m);
  m->flags |= TRA_MF_SYS;
  return push(rt, a, to, m, &a->sys);
}

trA_msg *trA_args_node(troupe_runtime *rt, const troupe_send_args *args) {
  trA_msg *m = trA_msg_new(rt, args->release ? 0 : args->len);
  if (!m) {
    if (args->release)
      args->release(args->release_user, args->data, args->len);
    TRA_COUNT(rt, msgs_rejected, 1);
    return NULL;
  }
  if (args->release) {
    m->flags |= TRA_MF_BORROWED;
    m->data = (void *)(uintptr_t)args->data;
    m->len = args->len;
    m->release = args->release;
    m->release_user = args->release_user;
  } else if (args->len) {
    memcpy(m->data, args->data, args->len);
  }
  bool sys = (args->flags & TROUPE_SEND_SYSTEM) != 0;
  m->kind = sys ? TROUPE_MSG_SYSTEM : TROUPE_MSG_USER;
  m->from = args->from;
  m->tag = args->tag;
  m->corr = args->corr;
  return m;
}

int troupe_send_ex(troupe_runtime *rt, const troupe_send_args *args) {
  if (!rt || !args || (args->len && !args->data)) {
    if (args && args->release)
      args->release(args->release_user, args->data, args->len);
    return TROUPE_E_INVAL;
  }
  trA_msg *m = trA_args_node(rt, args);
  if (!m)
    return TROUPE_E_NOMEM;
  return trA_deliver(rt, args->to, m, (args->flags & TROUPE_SEND_SYSTEM) != 0);
}

int troupe_send(troupe_runtime *rt, troupe_actor_id from, troupe_actor_id to, const void *data,
                size_t len) {
  if (!rt || (len && !data))
    return TROUPE_E_INVAL;
  trA_msg *m = trA_msg_new(rt, len);
  if (!m) {
    TRA_COUNT(rt, msgs_rejected, 1);
    return TROUPE_E_NOMEM;
  }
  if (len)
    memcpy(m->data, data, len);
  m->from = from;
  return trA_deliver(rt, to, m, false);
}

int troupe_actor_resume(troupe_runtime *rt, troupe_actor_id id, uint32_t tag) {
  if (!rt)
    return TROUPE_E_INVAL;
  return trA_signal(rt, id, &(trA_sig){.kind = TROUPE_MSG_RESUME, .tag = tag});
}

int troupe_exit(troupe_runtime *rt, troupe_actor_id from, troupe_actor_id to,
                troupe_exit_kind reason, int code, const char *msg) {
  if (!rt || (unsigned)reason > TROUPE_EXIT_KILL)
    return TROUPE_E_INVAL;
  trA_sig sig = {.kind = TRA_K_SIGNAL, .from = from, .exit_kind = (int)reason, .status = code,
                 .text = msg};
  /* Only a kill is sure to end the target: any other reason may be trapped, decided
   * when the target handles it. */
  return reason == TROUPE_EXIT_KILL ? send_kill(rt, to, &sig) : trA_signal(rt, to, &sig);
}

bool trA_slot_in_use(troupe_runtime *rt, troupe_actor_id id) {
  troupe_actor *a = trA_segtab_get(&rt->slots, TRA_ID_IDX(id));
  if (!a)
    return false;
  uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
  return TRA_GEN(gs) == TRA_ID_GEN(id) && TRA_STATE(gs) != TRA_SLOT_FREE;
}

uint32_t troupe_actor_queued(troupe_runtime *rt, troupe_actor_id id) {
  troupe_actor *a = rt ? trA_slot(rt, id) : NULL;
  /* Relaxed: a snapshot of a counter that moves while we look. */
  return a ? atomic_load_explicit(&a->mcount, memory_order_relaxed) : 0;
}

bool troupe_actor_alive(troupe_runtime *rt, troupe_actor_id id) {
  if (!rt || !id)
    return false;
  troupe_actor *a = trA_segtab_get(&rt->slots, TRA_ID_IDX(id));
  if (!a)
    return false;
  uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
  /* DEAD counts as gone: it is published before exit signals and down messages are
   * sent, so whoever receives those sees the actor no longer alive (as in OTP). So does
   * DOOMED: after troupe_exit(KILL) the actor can handle nothing more that is sent. */
  return TRA_GEN(gs) == TRA_ID_GEN(id) && TRA_STATE(gs) == TRA_SLOT_ALIVE && !TRA_DOOMED(gs);
}
