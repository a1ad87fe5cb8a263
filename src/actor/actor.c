/*
 * actor/actor.c: spawning and running actors. A turn (trA_run_actor) is what a worker
 * does with a scheduled actor: pop up to `batch` nodes, priority lane first, check each
 * node's generation, hand it to the behaviour (or defer it while suspended), then give
 * the run token back — or keep it and requeue when work remains. An outside thread that
 * took the token of an idle actor it asked (trA_deliver_take) runs the same turn itself,
 * shorter and without a worker (trA_run_inline). The end-of-turn handshake with senders
 * is described in docs/ACTORS.md ("never lose a wake-up").
 */
#include "actor/core.h"

#include <time.h>

static void init_slot(void *elem, uint32_t index, void *user) {
  troupe_actor *a = elem;
  /* A store, not atomic_init: scanners (stop, foreach) may read a slot just handed out;
   * they see 0 (zeroed memory) or this, both FREE. Relaxed: the value is published to
   * users of the slot by the spawn's later release of the generation. */
  atomic_store_explicit(&a->gen_state, (uint64_t)1 << 32 | TRA_SLOT_FREE, memory_order_relaxed);
  atomic_init(&a->sched, 0);
  atomic_init(&a->mcount, 0);
  atomic_init(&a->bound, 0);
  atomic_init(&a->waiters, 0);
  a->index = index;
  atomic_init(&a->next_free, 0);
  trA_mq_init(&a->sys);
  trA_mq_init(&a->user);
  a->rt = user;
}

void trA_slots_init(troupe_runtime *rt) {
  trA_segtab_init(&rt->slots, sizeof(troupe_actor), offsetof(troupe_actor, next_free),
                  init_slot, rt);
}

/* ---- accessors ------------------------------------------------------------------ */
troupe_actor_id troupe_self(const troupe_actor *self) { return self ? trA_self_id(self) : 0; }
troupe_runtime *troupe_actor_runtime(const troupe_actor *self) { return self ? self->rt : NULL; }
void *troupe_actor_state(const troupe_actor *self) { return self ? self->state : NULL; }
void troupe_actor_set_state(troupe_actor *self, void *state) {
  if (self)
    self->state = state;
}
void troupe_actor_trap_exit(troupe_actor *self, bool on) {
  if (!self)
    return;
  if (on) {
    self->flags |= TRA_AF_TRAP;
    /* Relaxed RMW: a sticky hint for stop, which tolerates lateness (see runtime.c). */
    atomic_fetch_or_explicit(&self->traits, TRA_TR_TRAP, memory_order_relaxed);
  }
  else
    self->flags &= (uint16_t)~TRA_AF_TRAP;
}
bool troupe_actor_traps_exit(const troupe_actor *self) {
  return self && (self->flags & TRA_AF_TRAP);
}
bool troupe_actor_suspended(const troupe_actor *self) {
  return self && (self->flags & TRA_AF_SUSPENDED);
}

/* Takes effect when the handler (or init) returns TROUPE_SUSPEND; dispatch.c clears it
 * on any other return, and when the awaited message arrives. The extras are made now so
 * that deferring while suspended does not have to allocate. */
int troupe_actor_suspend_for(troupe_actor *self, uint64_t corr) {
  if (!self || !corr)
    return TROUPE_E_INVAL;
  trA_ext *x = trA_ext_get(self);
  if (!x)
    return TROUPE_E_NOMEM;
  x->wake_corr = corr;
  self->flags |= TRA_AF_WAIT_CORR;
  return TROUPE_OK;
}

int troupe_actor_set_exit(troupe_actor *self, troupe_exit_kind kind, int code, const char *msg) {
  if (!self || (unsigned)kind > TROUPE_EXIT_NOPROC)
    return TROUPE_E_INVAL;
  trA_ext *x = trA_ext_get(self);
  char *copy = msg ? trB_strdup(msg) : NULL;
  if (!x || (msg && !copy)) {
    free(copy);
    return TROUPE_E_NOMEM;
  }
  free(x->exit_msg);
  x->exit_kind = kind;
  x->exit_code = code;
  x->exit_msg = copy;
  return TROUPE_OK;
}

/* ---- spawn ---------------------------------------------------------------------- */
/* The registry's start time needs no more than millisecond precision; the coarse clock
 * costs a few ns where the precise one costs as much as the rest of a spawn in a VM. */
static uint64_t wall_coarse_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) != 0)
    return troupe_clock_wall_ns();
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An outside spawn leaves the stop gate (see troupe_spawn). Release: the stop that reads
 * the count at zero (acquire) sees all the spawn did, its published actor included. */
static void gate_leave(troupe_runtime *rt) {
  atomic_fetch_sub_explicit(&rt->spawn_gate, 1, memory_order_release);
}

int troupe_spawn(troupe_runtime *rt, troupe_actor *self, const troupe_behaviour *b, void *arg,
                 const troupe_spawn_opts *opts, troupe_actor_id *out, troupe_err *err) {
  static const troupe_spawn_opts none = {0};
  if (!rt || !b || !b->handle || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "spawn: runtime, behaviour with handle and out required");
  if (!opts)
    opts = &none;
  unsigned fl = opts->flags;
  if ((fl & (TROUPE_SPAWN_LINK | TROUPE_SPAWN_MONITOR | TROUPE_SPAWN_ACK)) && !self)
    return troupe_err_set(err, TROUPE_E_INVAL, "spawn: link/monitor/ack need the spawning actor");
  if (self && trA_current_actor() != self)
    return troupe_err_set(err, TROUPE_E_STATE, "spawn: `self` is not the running actor");
  if ((fl & TROUPE_SPAWN_MONITOR) && !opts->monitor_ref)
    return troupe_err_set(err, TROUPE_E_INVAL, "spawn: monitor needs monitor_ref");
  /* The state is a fast path only (no RMW once a stop is seen); the gate decides. */
  int st = atomic_load_explicit(&rt->state, memory_order_acquire);
  if (st == TRA_RT_STOPPED || (st == TRA_RT_STOPPING && !self))
    return troupe_err_set(err, TROUPE_E_STOPPED, "spawn: runtime is stopping");
  /*
   * The stop gate. A spawn from outside (no `self`) may have passed the check above just
   * before stop began and publish its actor after stop's last look at the slots: that
   * actor was never ended (its terminate never ran), and stop, seeing `live` above zero
   * with nothing to kill, could report TIMEOUT (test_stop.c test_spawn_racing_stop). So an
   * outside spawn holds the gate from here to its return, and stop closes the gate
   * (sets TRA_GATE_CLOSED) and waits until none is inside before its first sweep
   * (runtime.c close_gate). Every change of spawn_gate is an RMW, so they form one
   * modification order, each reading the value just before it:
   *  - our add comes after stop's close: it reads the bit and we leave having created
   *    nothing (STOPPED);
   *  - our add comes before the close: the count stop reads includes us until our
   *    leave (a stop load after its own close reads the close or a later value), which
   *    comes after everything this spawn does: the ALIVE store, the schedule. The leave
   *    is a release and stop's load an acquire; the changes after the leave are all
   *    RMWs, which continue its release sequence, so the zero stop reads synchronises
   *    with our leave: its sweeps see this actor ALIVE and stop it with the others.
   * The add may be relaxed: this spawn needs nothing stop wrote, and in the first case
   * it does nothing. A spawn by an actor needs no gate: it runs on a worker, and stop
   * joins the workers before its final sweep (reap_all).
   */
  bool gated = !self;
  if (gated &&
      (atomic_fetch_add_explicit(&rt->spawn_gate, 1, memory_order_relaxed) & TRA_GATE_CLOSED)) {
    gate_leave(rt);
    return troupe_err_set(err, TROUPE_E_STOPPED, "spawn: runtime is stopping");
  }

  /* Relaxed counter: the limit is a policy, the RMW makes it exact. */
  uint64_t live = atomic_fetch_add_explicit(&rt->live, 1, memory_order_relaxed);
  if (rt->cfg.max_actors && live >= rt->cfg.max_actors) {
    atomic_fetch_sub_explicit(&rt->live, 1, memory_order_relaxed);
    if (gated)
      gate_leave(rt);
    return troupe_err_set(err, TROUPE_E_RANGE, "spawn: max_actors (%llu) reached",
                          (unsigned long long)rt->cfg.max_actors);
  }
  troupe_actor_id self_id = self ? trA_self_id(self) : 0;
  trA_meta *meta = NULL;
  uint32_t idx = 0;
  int rc = TROUPE_E_NOMEM;
  if (opts->name || opts->metadata) {
    meta = trB_calloc(1, sizeof *meta);
    if (!meta || (opts->name && !(meta->name = trB_strdup(opts->name))) ||
        (opts->metadata && !(meta->metadata = trB_strdup(opts->metadata))))
      goto fail;
  }
  if ((rc = trA_segtab_alloc(&rt->slots, &idx)))
    goto fail;
  troupe_actor *a = trA_segtab_get(&rt->slots, idx);
  uint32_t gen = TRA_GEN(atomic_load_explicit(&a->gen_state, memory_order_acquire));
  troupe_actor_id id = TRA_ID(idx, gen);
  /* The name is reserved now, so a taken name fails the spawn before anything is
   * visible; lookups resolve it only once the store of ALIVE below publishes the actor
   * (troupe_registry_lookup checks the slot). */
  if (opts->name && (rc = trA_name_add(rt, opts->name, id))) {
    trA_segtab_free(&rt->slots, idx);
    goto fail;
  }
  /* Fields of the new incarnation; published by the release store of gen_state. */
  a->flags = (fl & TROUPE_SPAWN_TRAP_EXIT) ? TRA_AF_TRAP : 0;
  atomic_store_explicit(&a->traits,
                        (uint8_t)(((fl & TROUPE_SPAWN_TRAP_EXIT) ? TRA_TR_TRAP : 0) |
                                  ((fl & TROUPE_SPAWN_STOP_WAIT) ? TRA_TR_STOP_WAIT : 0)),
                        memory_order_relaxed);
  a->state = arg;
  a->ext = NULL;
  atomic_store_explicit(&a->b, b, memory_order_relaxed);
  atomic_store_explicit(&a->meta, meta, memory_order_relaxed);
  atomic_store_explicit(&a->bound, opts->mailbox_bound, memory_order_relaxed);
  atomic_store_explicit(&a->parent, opts->parent, memory_order_relaxed);
  atomic_store_explicit(&a->spawn_seq,
                        atomic_fetch_add_explicit(&rt->spawn_seq, 1, memory_order_relaxed) + 1,
                        memory_order_relaxed);
  atomic_store_explicit(&a->start_wall, wall_coarse_ns(), memory_order_relaxed);
  atomic_store_explicit(&a->restarts, opts->restart_count, memory_order_relaxed);
  atomic_store_explicit(&a->status, TROUPE_STATUS_STARTING, memory_order_relaxed);
  atomic_store_explicit(&a->health, TROUPE_HEALTH_UNKNOWN, memory_order_relaxed);
  if (fl & (TROUPE_SPAWN_LINK | TROUPE_SPAWN_MONITOR | TROUPE_SPAWN_ACK)) {
    bool ok = true;
    if (fl & TROUPE_SPAWN_ACK) {
      trA_ext *ax = trA_ext_get(a);
      ok = ax != NULL;
      if (ax)
        ax->ack_to = self_id;
    }
    if (ok && (fl & TROUPE_SPAWN_LINK))
      ok = trA_link_add(a, self_id) == 0 && trA_link_add(self, id) == 0;
    if (ok && (fl & TROUPE_SPAWN_MONITOR)) {
      uint64_t ref = trA_corr_new(rt);
      trA_ext *ax = trA_ext_get(a), *sx = trA_ext_get(self);
      ok = ax && sx && trA_mon_add(&ax->mons, &ax->nmons, &ax->capmons, self_id, ref) == 0 &&
           trA_mon_add(&sx->mine, &sx->nmine, &sx->capmine, id, ref) == 0;
      *opts->monitor_ref = ref;
    }
    if (!ok) {
      trA_link_remove(self, id);
      if (fl & TROUPE_SPAWN_MONITOR) {
        trA_ext *sx = self->ext;
        if (sx)
          trA_mon_remove(sx->mine, &sx->nmine, *opts->monitor_ref, NULL);
      }
      trA_ext_free(rt, a);
      if (opts->name)
        trA_name_remove(rt, opts->name, id);
      atomic_store_explicit(&a->meta, NULL, memory_order_relaxed);
      trA_segtab_free(&rt->slots, idx);
      rc = TROUPE_E_NOMEM;
      goto fail;
    }
  }
  /* Release (seq_cst for the end-of-turn handshake in trA_run_actor): everything above
   * is visible to whoever acquires this generation. */
  atomic_store_explicit(&a->gen_state, (uint64_t)gen << 32 | TRA_SLOT_ALIVE,
                        memory_order_seq_cst);
  TRA_COUNT(rt, spawned, 1);
  *out = id;
  if (trA_event_enabled(rt, TROUPE_LOG_INFO)) {
    char pbuf[TROUPE_ID_FORMAT_MAX];
    troupe_log_field f[] = {TROUPE_LOG_STR("parent", troupe_id_format(opts->parent, pbuf, sizeof pbuf))};
    trA_event(rt, TROUPE_LOG_INFO, "actor.spawned", id, f, 1);
  }
  /* No INIT message: the first turn of an actor without TRA_AF_STARTED runs init. The
   * slot is idle (token free), so this takes the token and queues the actor. */
  trA_schedule(rt, a);
  if (gated) /* after everything this spawn does (the gate's argument above) */
    gate_leave(rt);
  return TROUPE_OK;

fail:
  atomic_fetch_sub_explicit(&rt->live, 1, memory_order_relaxed);
  if (gated)
    gate_leave(rt);
  if (meta) {
    free(meta->name);
    free(meta->metadata);
    free(meta);
  }
  if (rc == TROUPE_E_NAME_TAKEN)
    return troupe_err_set(err, rc, "spawn: name '%s' is already registered", opts->name);
  return troupe_err_set(err, rc, "spawn: %s", troupe_strerror(rc));
}

/* ---- one turn ------------------------------------------------------------------- */
static bool run_init(troupe_runtime *rt, troupe_actor *a) {
  troupe_actor_id ack_to = a->ext ? a->ext->ack_to : 0;
  a->flags |= TRA_AF_STARTED;
  const troupe_behaviour *b = atomic_load_explicit(&a->b, memory_order_relaxed);
  troupe_err err;
  troupe_err_clear(&err);
  int rc = b->init ? b->init(a, a->state, &err) : 0;
  if (rc < 0 || rc > TROUPE_SUSPEND) {
    if (rc > 0)
      rc = troupe_err_set(&err, TROUPE_E_INVAL, "init returned %d", rc);
    const char *msg = troupe_err_message(&err);
    if (!err.code && !err.msg[0])
      msg = troupe_strerror(rc);
    if (ack_to)
      trA_signal(rt, ack_to, &(trA_sig){.kind = TROUPE_MSG_STARTED, .from = trA_self_id(a),
                                        .status = rc, .text = msg});
    trA_actor_die(rt, a, TROUPE_EXIT_CRASH, rc, msg);
    return true;
  }
  if (rc == TROUPE_SUSPEND)
    a->flags |= TRA_AF_SUSPENDED;
  else
    a->flags &= (uint16_t)~TRA_AF_WAIT_CORR;
  atomic_store_explicit(&a->status, TROUPE_STATUS_RUNNING, memory_order_relaxed);
  trA_event(rt, TROUPE_LOG_INFO, "actor.started", trA_self_id(a), NULL, 0);
  if (ack_to)
    trA_signal(rt, ack_to, &(trA_sig){.kind = TROUPE_MSG_STARTED, .from = trA_self_id(a)});
  return false;
}

/* A node for this incarnation taken off a lane. True when the actor died. Inlined in
 * both turns, as it was in the worker's alone (a call per message otherwise). */
static inline __attribute__((always_inline)) bool process(troupe_runtime *rt, troupe_actor *a,
                                                       trA_msg *m, bool *stop_turn) {
  trA_ext *x;
  switch (m->kind) {
  case TRA_K_SIGNAL:
    return trA_handle_signal(rt, a, m, stop_turn);
  case TRA_K_LINK:
    if (trA_link_add(a, m->from) != 0) /* out of memory: behave as if it died */
      trA_signal(rt, m->from, &(trA_sig){.kind = TRA_K_SIGNAL, .from = trA_self_id(a),
                                         .exit_kind = TROUPE_EXIT_NOPROC,
                                         .mflags = TRA_MF_VIA_LINK});
    break;
  case TRA_K_UNLINK:
    trA_link_remove(a, m->from);
    break;
  case TRA_K_MONITOR:
    x = trA_ext_get(a);
    if (!x || trA_mon_add(&x->mons, &x->nmons, &x->capmons, m->from, m->corr) != 0)
      trA_signal(rt, m->from, &(trA_sig){.kind = TROUPE_MSG_DOWN, .from = trA_self_id(a),
                                         .corr = m->corr, .exit_kind = TROUPE_EXIT_NOPROC,
                                         .text = "out of memory"});
    break;
  case TRA_K_DEMONITOR:
    if (a->ext)
      trA_mon_remove(a->ext->mons, &a->ext->nmons, m->corr, NULL);
    break;
  case TROUPE_MSG_SPACE: {
    /* A room notice this actor does not use (it sends nothing, or defers the notice
     * while it waits for something else) must not strand the waiters behind it. */
    troupe_actor_id target = m->from;
    bool room = m->status == TROUPE_OK;
    bool died = trA_dispatch(rt, a, m, stop_turn);
    if (room)
      trA_space_pass(rt, target);
    return died;
  }
  case TROUPE_MSG_DOWN:
    /* Only monitors still wanted: demonitor may have raced the DOWN. */
    if (!a->ext || !trA_mon_remove(a->ext->mine, &a->ext->nmine, m->corr, NULL))
      break;
    return trA_dispatch(rt, a, m, stop_turn);
  default:
    return trA_dispatch(rt, a, m, stop_turn);
  }
  TRA_COUNT(rt, msgs_received, 1);
  trA_msg_free(rt, m);
  return false;
}

/* A turn of a, whose run token the caller holds: a worker w, or an outside thread (w
 * NULL, trA_run_inline) with a smaller budget. True when the actor is to run again and
 * the caller still holds the token; false when the token was given back. */
static inline __attribute__((always_inline)) bool turn(troupe_runtime *rt, trA_worker *w,
                                                    troupe_actor *a, unsigned budget) {
  /* Acquire: this incarnation's fields (published by spawn) are visible. */
  uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
  uint32_t gen = TRA_GEN(gs);
  bool alive = TRA_STATE(gs) == TRA_SLOT_ALIVE;
  const unsigned batch = budget;
  bool stop_turn = false;
  if (TR_UNLIKELY(alive && !(a->flags & TRA_AF_STARTED)) && run_init(rt, a)) {
    gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
    gen = TRA_GEN(gs);
    gs = 0; /* as after `died:` below: a reuse of the slot must not be stranded */
    alive = false;
  }
  while (budget && !stop_turn) {
    trA_link *l = trA_mq_pop(&a->sys);
    if (!l) {
      /* A suspended actor leaves its user lane alone unless it may be woken from there
       * (suspend_for) or answers health questions while suspended; then what it takes
       * and cannot handle now goes to the deferred list (dispatch.c). */
      if (alive && (a->flags & TRA_AF_SUSPENDED)) {
        if (!(a->flags & TRA_AF_TAKES_USER) || !(l = trA_mq_pop(&a->user)))
          break;
      } else if (alive && a->ext && a->ext->def_head) {
        trA_msg *d = a->ext->def_head;
        a->ext->def_head = (trA_msg *)(void *)atomic_load_explicit(&d->link.next, memory_order_relaxed);
        if (!a->ext->def_head)
          a->ext->def_tail = NULL;
        budget--;
        if (trA_dispatch(rt, a, d, &stop_turn))
          goto died;
        continue;
      } else if (!(l = trA_mq_pop(&a->user))) {
        break;
      }
    }
    trA_msg *m = (trA_msg *)(void *)l;
    /* A suspended actor may defer the node: it keeps counting until handled. The flags
     * are read only while this incarnation is alive: after a death a spawn on another
     * worker may be writing them for the next one (the stale node is uncounted below). */
    if (TR_UNLIKELY(m->flags & TRA_MF_COUNTED) && !(alive && (a->flags & TRA_AF_SUSPENDED)))
      trA_uncount(a, m);
    budget--;
    if (TR_UNLIKELY(!alive || m->target_gen != gen)) {
      /* A spawn may have reused the slot since the turn began: re-read. */
      gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
      gen = TRA_GEN(gs);
      alive = TRA_STATE(gs) == TRA_SLOT_ALIVE;
      if (alive && !(a->flags & TRA_AF_STARTED) && run_init(rt, a)) {
        gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
        gen = TRA_GEN(gs);
        alive = false;
      }
      if (!alive || m->target_gen != gen) {
        trA_uncount(a, m);
        trA_drop(rt, m, TRA_ID(a->index, m->target_gen));
        continue;
      }
    }
    if (process(rt, a, m, &stop_turn)) {
    died:
      gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
      gen = TRA_GEN(gs);
      /* A spawn on another worker may already have reused the slot (it saw our token
       * taken and left the scheduling to us). gen_state is never 0 (generations start
       * at 1), so forgetting what we read makes the end-of-turn check below always take
       * the token back after a death: the next turn finds the slot free (one empty
       * turn) or runs the new incarnation's init. Adopting the re-read value instead
       * stranded a new child forever (found by the restart benchmark). */
      gs = 0;
      alive = false; /* drain what is left as stale; a new spawn is seen by re-reading */
      stop_turn = false;
    }
    /* Every 16 messages, if a timer this worker may fire is due (its own, or another
     * worker's soon one), end the turn so the loop fires it: a turn of slow handlers
     * would otherwise hold it back by up to `batch` of them. One clock read per 16
     * messages, none while no timer exists that this worker could fire. */
    if (TR_UNLIKELY(((batch - budget) & 15) == 0) && budget && w && trA_timers_due_in_turn(w))
      stop_turn = true;
  }
  if (w)
    w->since_clock += batch - budget;
  /* Read while we still hold the token. */
  /* A suspended actor that takes its user lane is woken by user pushes like any other. */
  bool susp = alive && (a->flags & (TRA_AF_SUSPENDED | TRA_AF_TAKES_USER)) == TRA_AF_SUSPENDED;
  bool held = alive && (a->flags & TRA_AF_SUSPENDED); /* the deferred list waits */
  bool deferred = alive && !held && a->ext && a->ext->def_head;
  if (budget == 0 || stop_turn || deferred || !trA_mq_mark_empty(&a->sys) ||
      (!susp && !trA_mq_mark_empty(&a->user)))
    return true;
  /* seq_cst store then seq_cst loads of the lane heads: either we see a push that
   * happened after our mark (and take the token back), or its sender sees the token
   * free and schedules the actor itself. */
  atomic_store_explicit(&a->sched, 0, memory_order_seq_cst);
  /* A spawn that reused this slot during the turn publishes its generation (seq_cst)
   * and then tries to take the token: if it found the token still ours, we see the
   * new generation here and start it. */
  if (!trA_mq_is_marked_empty(&a->sys) || (!susp && !trA_mq_is_marked_empty(&a->user)) ||
      atomic_load_explicit(&a->gen_state, memory_order_seq_cst) != gs)
    return !(atomic_fetch_or_explicit(&a->sched, 1, memory_order_seq_cst) & 1);
  return false;
}

void trA_run_actor(trA_worker *w, troupe_actor *a) {
  w->current = a;
  atomic_store_explicit(&w->turns, atomic_load_explicit(&w->turns, memory_order_relaxed) + 1,
                        memory_order_relaxed); /* its only writer */
  bool again = turn(w->rt, w, a, w->rt->cfg.batch);
  w->current = NULL;
  if (again)
    trA_requeue(w, a);
}

/* Messages an outside thread handles in the turn it runs itself: the one it brought
 * and a few that came meanwhile; more are the workers' (its caller waits for an answer,
 * not for the actor's backlog). */
#define TRA_INLINE_BUDGET 4u

void trA_run_inline(troupe_runtime *rt, troupe_actor *a, uint64_t now) {
  /* Never nested: inside the turn a blocking ask is refused (trA_on_worker). */
  trA_tls_inline = a;
  trA_tls_inline_now = now;
  bool again = turn(rt, NULL, a, TRA_INLINE_BUDGET);
  trA_tls_inline = NULL;
  if (again)
    trA_handoff(rt, a);
  /* Release: stop, which acquires the count, sees everything this turn did. */
  atomic_fetch_sub_explicit(&rt->inline_turns, 1, memory_order_release);
}
