/*
 * actor/space.c: waiting for room in a bounded mailbox, instead of polling on
 * MAILBOX_FULL. A non-worker thread blocks in troupe_send_wait; an actor, which must
 * never block its worker, calls troupe_send_when_space and later gets one SPACE message.
 * Waiters queue per target in FIFO order, in a list hung on the target's trA_meta (made
 * only when someone waits) under the target's meta lock; their records come from a
 * type-stable table, like asks. The receiving side pays one load per counted message it
 * takes (trA_uncount in core.h) and comes here only when someone waits.
 */
#include "actor/core.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * The line of waiters of one target T, under T's meta lock (registry.c's striped
 * mutexes; the target's trA_meta holds the list, so its death, which frees the meta
 * under that lock, also sees every waiter):
 *
 *     meta->wq_head -> [r1] <-> [r2] <-> [r3] <- meta->wq_tail     a->waiters == 3
 *                      oldest                newest
 *
 * `waiters` (in T's slot, beside mcount) counts the records in the list; it is the only
 * thing the receiving side reads when nobody waits. A record leaves the list in exactly
 * one of these ways, each under the lock, and whoever takes it out completes it:
 *
 *   wake     a counted message left T's mailbox (trA_uncount) or a room notice went
 *            unused (trA_space_pass): the oldest record is told there is room
 *   timeout  an actor's timer (troupe_send_when_space) or a thread's own deadline
 *   death    T died: every record, NOTFOUND (STOPPED while the runtime stops)
 *   withdraw the waiting actor died, or a thread got its slot by itself
 *
 * A blocking thread's record is completed under the lock (status, then `done` with a
 * release store and a futex wake), so once a thread sees its record out of the list it
 * also sees the outcome, and the record (the thread's own) is never touched after it
 * may have been reused. An actor's record is completed after the lock is released by
 * the one who took it out: timer cancelled, a SPACE message sent, the record freed.
 *
 * No lost wake-up: a waiter first joins the list (seq_cst add to `waiters`), then looks
 * at mcount again (seq_cst); the receiver decrements mcount (seq_cst), then loads
 * `waiters` (seq_cst). In the single order of those four, one of the two sees the other
 * (core.h, trA_uncount). A waiter that finds room after joining takes it (a thread) or
 * has the oldest waiter told (an actor).
 *
 * Told is not taken: a plain troupe_send may take the slot first. A thread that then
 * finds the mailbox full again goes back to the head of the line; an actor must ask
 * again and joins at the back. A notice that is told to an actor that does not use it
 * (it sends nothing, or died) is passed on when its SPACE message is handled or
 * dropped, if the mailbox then has room; a thread that got a slot by itself while also
 * being told passes the notice on as well. So a freed slot never strands the line; at
 * worst one more waiter is told than there is room for, and it waits again.
 */

static void init_rec(void *elem, uint32_t index, void *user) {
  (void)user;
  trA_spacew *r = elem;
  /* Stores, not atomic_init: a stale handle's holder may read these concurrently. */
  atomic_store_explicit(&r->word, (uint64_t)1 << 32 | TRA_SW_FREE, memory_order_relaxed);
  atomic_init(&r->next_free, 0);
  atomic_store_explicit(&r->done, 0, memory_order_relaxed);
  atomic_store_explicit(&r->target, 0, memory_order_relaxed);
  r->index = index;
}

void trA_spaces_init(troupe_runtime *rt) {
  trA_segtab_init(&rt->spaces, sizeof(trA_spacew), offsetof(trA_spacew, next_free), init_rec,
                  rt);
}

static uint32_t rec_gen(trA_spacew *r) {
  /* Relaxed: the generation changes only in rec_free, by the record's owner. */
  return TRA_GEN(atomic_load_explicit(&r->word, memory_order_relaxed));
}

static trA_spacew *rec_new(troupe_runtime *rt, troupe_actor_id target, troupe_actor_id waiter) {
  uint32_t idx;
  if (trA_segtab_alloc(&rt->spaces, &idx))
    return NULL;
  trA_spacew *r = trA_segtab_get(&rt->spaces, idx);
  r->waiter = waiter;
  r->corr = 0;
  r->status = 0;
  r->timer = NULL;
  r->prev = r->next = NULL;
  atomic_store_explicit(&r->done, 0, memory_order_relaxed);
  /* Relaxed: published with the record by the lock release that queues it; read
   * unlocked only to find which lock to take (then checked again under it). */
  atomic_store_explicit(&r->target, target, memory_order_relaxed);
  return r;
}

static void rec_free(troupe_runtime *rt, trA_spacew *r) {
  uint32_t gen = rec_gen(r);
  uint32_t ngen = gen + 1 ? gen + 1 : 1;
  /* Release: the next owner sees the reset record (the free stack orders it too); a
   * stale handle fails its generation check from now on. */
  atomic_store_explicit(&r->word, (uint64_t)ngen << 32 | TRA_SW_FREE, memory_order_release);
  trA_segtab_free(&rt->spaces, r->index);
}

static void set_state(trA_spacew *r, uint32_t st) {
  /* Relaxed: changes out of and into QUEUED are made under the target's meta lock and
   * read under it; an unlocked read is only a hint (take, prune_waits). */
  atomic_store_explicit(&r->word, (uint64_t)rec_gen(r) << 32 | st, memory_order_relaxed);
}

static bool is_queued(trA_spacew *r, uint32_t gen) {
  return atomic_load_explicit(&r->word, memory_order_relaxed) ==
         ((uint64_t)gen << 32 | TRA_SW_QUEUED);
}

/* ---- the list (target's meta lock held) ------------------------------------------ */
static void q_push(troupe_actor *a, trA_meta *mt, trA_spacew *r, bool front) {
  r->prev = front ? NULL : mt->wq_tail;
  r->next = front ? mt->wq_head : NULL;
  if (r->prev)
    r->prev->next = r;
  else
    mt->wq_head = r;
  if (r->next)
    r->next->prev = r;
  else
    mt->wq_tail = r;
  set_state(r, TRA_SW_QUEUED);
  /* seq_cst: the registration half of the handshake (see the top of this file). */
  atomic_fetch_add_explicit(&a->waiters, 1, memory_order_seq_cst);
}

static void q_remove(troupe_actor *a, trA_meta *mt, trA_spacew *r) {
  if (r->prev)
    r->prev->next = r->next;
  else
    mt->wq_head = r->next;
  if (r->next)
    r->next->prev = r->prev;
  else
    mt->wq_tail = r->prev;
  r->prev = r->next = NULL;
  set_state(r, TRA_SW_DONE);
  /* seq_cst like every change of `waiters`, so the receiver's seq_cst load reads the
   * latest count in the single order (a relaxed change would weaken what it may see). */
  atomic_fetch_sub_explicit(&a->waiters, 1, memory_order_seq_cst);
}

/* A blocking thread's outcome, under the lock (see the top of this file). A futex wake
 * of a record whose thread already saw `done` and reused it is a spurious wake-up, which
 * every futex waiter tolerates; the memory is type-stable. */
static void finish_blocking(trA_spacew *r, int status) {
  r->status = status;
  /* Release: the thread's acquire load of done sees status. */
  atomic_store_explicit(&r->done, 1, memory_order_release);
  syscall(SYS_futex, (uint32_t *)(void *)&r->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* An actor's record, taken out of the list by the caller: cancel its timer, tell the
 * actor, free the record. False when the actor could not be told (it is gone, or no
 * memory for the message): a room notice must then go to the next waiter. */
static bool finish_actor(troupe_runtime *rt, trA_spacew *r, troupe_timer *t, int status) {
  troupe_actor_id waiter = r->waiter;
  troupe_actor_id target = atomic_load_explicit(&r->target, memory_order_relaxed);
  uint64_t corr = r->corr;
  rec_free(rt, r);
  if (t)
    trA_timer_cancel(t); /* its dropped-callback finds the record gone: a no-op */
  trA_msg *m = trA_msg_new(rt, 0);
  if (!m) {
    TRA_COUNT(rt, msgs_rejected, 1);
    return false;
  }
  m->kind = TROUPE_MSG_SPACE;
  m->status = status;
  m->from = target;
  m->corr = corr;
  return trA_deliver(rt, waiter, m, true) == TROUPE_OK;
}

/* ---- the receiving side --------------------------------------------------------- */
void trA_space_wake(troupe_actor *a) {
  troupe_runtime *rt = a->rt;
  pthread_mutex_t *lock = trA_meta_lock(rt, a);
  for (;;) {
    pthread_mutex_lock(lock);
    trA_meta *mt = atomic_load_explicit(&a->meta, memory_order_relaxed);
    trA_spacew *r = mt ? mt->wq_head : NULL;
    troupe_timer *t = NULL;
    bool thread = false;
    if (r) {
      q_remove(a, mt, r);
      t = r->timer;
      r->timer = NULL;
      thread = !r->waiter;
      if (thread) /* done with it here: the thread may reuse it once we unlock */
        finish_blocking(r, TROUPE_OK);
    }
    pthread_mutex_unlock(lock);
    if (!r || thread || finish_actor(rt, r, t, TROUPE_OK))
      return;
    /* that actor is gone: its room goes to the next in line */
  }
}

void trA_space_pass(troupe_runtime *rt, troupe_actor_id target) {
  troupe_actor *a = trA_slot(rt, target);
  if (!a)
    return;
  uint32_t bound = atomic_load_explicit(&a->bound, memory_order_relaxed);
  /* seq_cst loads, as the receiver's: a waiter that joins after this sees the room by
   * its own look at mcount. Over-telling is harmless (the told one waits again). */
  if (atomic_load_explicit(&a->waiters, memory_order_seq_cst) &&
      (!bound || atomic_load_explicit(&a->mcount, memory_order_seq_cst) < bound))
    trA_space_wake(a);
}

/* ---- deaths --------------------------------------------------------------------- */
trA_spacew *trA_space_detach(troupe_actor *a, trA_meta *mt) {
  int st = atomic_load_explicit(&a->rt->state, memory_order_relaxed) == TRA_RT_RUNNING
               ? TROUPE_E_NOTFOUND
               : TROUPE_E_STOPPED;
  trA_spacew *actors = NULL;
  while (mt->wq_head) {
    trA_spacew *r = mt->wq_head;
    q_remove(a, mt, r);
    if (!r->waiter) {
      finish_blocking(r, st);
    } else {
      r->status = st;
      r->next = actors; /* ours now: relinked for trA_space_fail_all */
      actors = r;
    }
  }
  return actors;
}

void trA_space_fail_all(troupe_runtime *rt, trA_spacew *list) {
  while (list) {
    trA_spacew *r = list;
    list = r->next;
    troupe_timer *t = r->timer; /* set under the lock before the record left the list */
    r->timer = NULL;
    finish_actor(rt, r, t, r->status);
  }
}

/* Take the actor record `h` out of its target's list if it is still there; *t gets its
 * timer. NULL when someone else took it out (or the handle is stale). */
static trA_spacew *take(troupe_runtime *rt, uint64_t h, troupe_timer **t) {
  if (TRA_ID_IDX(h) >= trA_segtab_used(&rt->spaces))
    return NULL;
  trA_spacew *r = trA_segtab_get(&rt->spaces, TRA_ID_IDX(h));
  if (!r || !is_queued(r, TRA_ID_GEN(h)))
    return NULL;
  /* While queued with this generation the target is fixed, and every way out of the list
   * takes the target's lock: check again under it. A target read after a reuse leads to
   * the wrong lock, where the check fails (another generation). */
  troupe_actor_id target = atomic_load_explicit(&r->target, memory_order_relaxed);
  troupe_actor *a = trA_segtab_get(&rt->slots, TRA_ID_IDX(target));
  if (!a)
    return NULL;
  pthread_mutex_t *lock = trA_meta_lock(rt, a);
  pthread_mutex_lock(lock);
  if (is_queued(r, TRA_ID_GEN(h))) {
    q_remove(a, atomic_load_explicit(&a->meta, memory_order_relaxed), r);
    *t = r->timer;
    r->timer = NULL;
  } else {
    r = NULL;
  }
  pthread_mutex_unlock(lock);
  return r;
}

static void complete(troupe_runtime *rt, uint64_t h, int status) {
  troupe_timer *t = NULL;
  trA_spacew *r = take(rt, h, &t);
  if (r)
    finish_actor(rt, r, t, status);
}

static void space_timeout(troupe_runtime *rt, void *arg) {
  complete(rt, (uint64_t)(uintptr_t)arg, TROUPE_E_TIMEOUT);
}

/* Cancelled (the record was completed: a no-op) or never fired because the runtime
 * stopped: the wait ends as STOPPED, so every wait is answered. */
static void space_timer_dropped(troupe_runtime *rt, void *arg) {
  complete(rt, (uint64_t)(uintptr_t)arg, TROUPE_E_STOPPED);
}

void trA_space_cancel_mine(troupe_runtime *rt, troupe_actor *a) {
  trA_ext *x = a->ext;
  for (uint32_t i = 0; x && i < x->nwaits; i++) {
    troupe_timer *t = NULL;
    trA_spacew *r = take(rt, x->waits[i], &t);
    if (r) {
      rec_free(rt, r);
      if (t)
        trA_timer_cancel(t);
    }
  }
  if (x)
    x->nwaits = 0;
}

/* ---- actors: troupe_send_when_space ----------------------------------------------- */
/* Room for one more handle in the actor's list of waits; entries already completed are
 * pruned first (their records left the list or were reused: a relaxed hint suffices,
 * as a kept stale entry only costs a failed take at death). */
static int reserve_wait(trA_ext *x, troupe_runtime *rt) {
  if (x->nwaits < x->capwaits)
    return TROUPE_OK;
  uint32_t j = 0;
  for (uint32_t i = 0; i < x->nwaits; i++) {
    trA_spacew *r = trA_segtab_get(&rt->spaces, TRA_ID_IDX(x->waits[i]));
    if (r && is_queued(r, TRA_ID_GEN(x->waits[i])))
      x->waits[j++] = x->waits[i];
  }
  x->nwaits = j;
  if (x->nwaits * 2 < x->capwaits)
    return TROUPE_OK;
  uint32_t ncap = x->capwaits ? x->capwaits * 2 : 4;
  uint64_t *nv = trB_realloc_array(x->waits, ncap, sizeof *nv);
  if (!nv)
    return TROUPE_E_NOMEM;
  x->waits = nv;
  x->capwaits = ncap;
  return TROUPE_OK;
}

static int gone(troupe_runtime *rt) {
  return atomic_load_explicit(&rt->state, memory_order_relaxed) == TRA_RT_STOPPED
             ? TROUPE_E_STOPPED
             : TROUPE_E_NOTFOUND;
}

int troupe_send_when_space(troupe_actor *self, troupe_actor_id to, uint64_t timeout_ns,
                           uint64_t *corr) {
  if (!self || !corr)
    return TROUPE_E_INVAL;
  if (trA_current_actor() != self)
    return TROUPE_E_STATE;
  troupe_runtime *rt = self->rt;
  trA_ext *x = trA_ext_get(self);
  if (!x || reserve_wait(x, rt))
    return TROUPE_E_NOMEM;
  trA_spacew *r = rec_new(rt, to, trA_self_id(self));
  if (!r)
    return TROUPE_E_NOMEM;
  uint64_t c = r->corr = trA_corr_new(rt);
  uint64_t h = TRA_ID(r->index, rec_gen(r));
  troupe_actor *a = trA_lock_live(rt, to);
  if (!a) {
    rec_free(rt, r);
    return gone(rt);
  }
  uint32_t bound = atomic_load_explicit(&a->bound, memory_order_relaxed);
  trA_meta *mt = bound ? trA_meta_get(a) : NULL;
  if (bound && !mt) {
    pthread_mutex_unlock(trA_meta_lock(rt, a));
    rec_free(rt, r);
    return TROUPE_E_NOMEM;
  }
  if (bound)
    q_push(a, mt, r, false);
  pthread_mutex_unlock(trA_meta_lock(rt, a));
  /* Once queued the record is no longer only ours (it may be told, freed and reused
   * before we go on): from here on only h and c, and r under the lock. */
  *corr = c;
  if (!bound) { /* no bound, always room: told at once (to itself, so it cannot fail) */
    finish_actor(rt, r, NULL, TROUPE_OK);
    return TROUPE_OK;
  }
  x->waits[x->nwaits++] = h;
  if (timeout_ns != TROUPE_INFINITY) {
    /* The timer is armed after the record is queued (so it finds it there) and attached
     * under the lock only if the record is still queued; otherwise whoever took it out
     * saw no timer, and we give the handle back ourselves. */
    troupe_timer *t = NULL;
    int trc = trA_timer_start(rt, timeout_ns, space_timeout, space_timer_dropped,
                              (void *)(uintptr_t)h, true, &t);
    pthread_mutex_lock(trA_meta_lock(rt, a));
    bool queued = is_queued(r, TRA_ID_GEN(h));
    if (queued && !trc) {
      r->timer = t;
      t = NULL;
    } else if (queued) { /* no timer: withdraw, so the error means no message comes */
      q_remove(a, atomic_load_explicit(&a->meta, memory_order_relaxed), r);
    }
    pthread_mutex_unlock(trA_meta_lock(rt, a));
    if (t)
      trA_timer_cancel(t);
    if (trc && queued) {
      x->nwaits--;
      rec_free(rt, r);
      return trc;
    }
  }
  /* The handshake's second half: joined (seq_cst), now look at mcount (seq_cst). With
   * room, the oldest waiter is told (this one, or one ahead of it). */
  if (atomic_load_explicit(&a->mcount, memory_order_seq_cst) < bound)
    trA_space_wake(a);
  return TROUPE_OK;
}

/* ---- threads: troupe_send_wait ---------------------------------------------------- */
/* Join the line of `to` (at its head when told before: it keeps its turn). */
static int join(troupe_runtime *rt, troupe_actor_id to, trA_spacew *r, bool front) {
  troupe_actor *a = trA_lock_live(rt, to);
  if (!a)
    return gone(rt);
  trA_meta *mt = trA_meta_get(a);
  if (mt) {
    atomic_store_explicit(&r->done, 0, memory_order_relaxed);
    r->status = 0;
    q_push(a, mt, r, front);
  }
  pthread_mutex_unlock(trA_meta_lock(rt, a));
  return mt ? TROUPE_OK : TROUPE_E_NOMEM;
}

/* Leave the line; false when already taken out (the outcome is in r->status). */
static bool leave(troupe_runtime *rt, troupe_actor *a, trA_spacew *r) {
  pthread_mutex_t *lock = trA_meta_lock(rt, a);
  pthread_mutex_lock(lock);
  bool queued = is_queued(r, rec_gen(r));
  if (queued)
    q_remove(a, atomic_load_explicit(&a->meta, memory_order_relaxed), r);
  pthread_mutex_unlock(lock);
  return queued;
}

/* Sleep until taken out of the line (true) or past the deadline (false). */
static bool sleep_until(trA_spacew *r, uint64_t deadline) {
  /* Acquire: pairs with finish_blocking's release store; r->status is then visible. */
  while (!atomic_load_explicit(&r->done, memory_order_acquire)) {
    struct timespec ts, *tp = NULL;
    if (deadline != UINT64_MAX) {
      uint64_t now = troupe_clock_mono_ns();
      if (now >= deadline)
        return false;
      uint64_t left = deadline - now;
      ts.tv_sec = (time_t)(left / 1000000000u);
      ts.tv_nsec = (long)(left % 1000000000u);
      tp = &ts;
    }
    syscall(SYS_futex, (uint32_t *)(void *)&r->done, FUTEX_WAIT_PRIVATE, 0, tp, NULL, 0);
  }
  return true;
}

/* m is ours until it is queued or freed: each path does exactly one of the two, so a
 * borrowed payload is released exactly once (by the receiver, or by trA_msg_free). */
static int send_wait(troupe_runtime *rt, troupe_actor_id to, trA_msg *m, uint64_t deadline) {
  trA_spacew *r = NULL;
  bool told = false;
  int rc;
  for (;;) {
    troupe_actor *a = trA_slot(rt, to);
    if (!a) {
      rc = trA_refuse(rt, m);
      m = NULL;
      break;
    }
    uint32_t bound = atomic_load_explicit(&a->bound, memory_order_relaxed);
    if (!bound) {
      rc = trA_deliver(rt, to, m, false);
      m = NULL;
      break;
    }
    /* Try first when told, when nobody waits (a newcomer does not jump the line;
     * relaxed: a hint, the handshake below decides) or for the last time. */
    bool late = deadline != UINT64_MAX && troupe_clock_mono_ns() >= deadline;
    if ((told || late || !atomic_load_explicit(&a->waiters, memory_order_relaxed)) &&
        trA_count_claim(a, bound, memory_order_seq_cst)) {
      rc = trA_deliver_claimed(rt, a, to, m);
      m = NULL;
      break;
    }
    if (late) {
      rc = TROUPE_E_TIMEOUT;
      break;
    }
    if (!r && !(r = rec_new(rt, to, 0))) {
      rc = TROUPE_E_NOMEM;
      break;
    }
    if ((rc = join(rt, to, r, told)))
      break;
    /* Joined (seq_cst); now look again (seq_cst): a slot freed before we joined is
     * taken here, one freed after is told to the line. */
    if (trA_count_claim(a, bound, memory_order_seq_cst)) {
      bool left = leave(rt, a, r);
      if (!left && r->status) {
        /* The target died meanwhile: give the slot back (a decrement like any other,
         * so a slot's next incarnation loses no wake-up) and fail as the line did. */
        atomic_fetch_sub_explicit(&a->mcount, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&a->waiters, memory_order_seq_cst))
          trA_space_wake(a);
        rc = r->status;
        break;
      }
      if (!left) /* told meanwhile of a slot we may not have used: pass it on */
        trA_space_pass(rt, to);
      rc = trA_deliver_claimed(rt, a, to, m);
      m = NULL;
      break;
    }
    if (!sleep_until(r, deadline) && leave(rt, a, r)) {
      rc = TROUPE_E_TIMEOUT;
      break;
    }
    /* Taken out of the line (possibly just as the deadline passed: the notice is then
     * still used, by the one try at the top of the loop). */
    if ((rc = r->status))
      break;
    told = true;
  }
  if (m) {
    trA_msg_free(rt, m);
    TRA_COUNT(rt, msgs_rejected, 1);
  }
  if (r)
    rec_free(rt, r);
  return rc;
}

int troupe_send_wait(troupe_runtime *rt, const troupe_send_args *args, uint64_t timeout_ns) {
  int rc = !rt || !args || (args->len && !args->data) ? TROUPE_E_INVAL
           : trA_on_worker(rt)                          ? TROUPE_E_STATE
                                                        : TROUPE_OK;
  if (rc) { /* a worker must not sleep: an actor uses troupe_send_when_space */
    if (args && args->release)
      args->release(args->release_user, args->data, args->len);
    return rc;
  }
  trA_msg *m = trA_args_node(rt, args);
  if (!m)
    return TROUPE_E_NOMEM;
  if (args->flags & TROUPE_SEND_SYSTEM)
    return trA_deliver(rt, args->to, m, true);
  uint64_t deadline = UINT64_MAX;
  if (timeout_ns != TROUPE_INFINITY) {
    uint64_t now = troupe_clock_mono_ns();
    deadline = timeout_ns > UINT64_MAX - 1 - now ? UINT64_MAX - 1 : now + timeout_ns;
  }
  return send_wait(rt, args->to, m, deadline);
}
