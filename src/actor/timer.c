/*
 * actor/timer.c: timers. Each worker keeps a binary min-heap of its timers (deadline,
 * then start order) that only it touches, and fires the due ones between actor turns
 * (and ends a long turn early when one is due); a parked worker sleeps no longer than
 * the next deadline, so resolution is well under 1 ms. Timers started on other threads
 * go through the runtime's inject list to whichever worker takes them. Cancel is a CAS
 * on the timer's state from any thread. On the owning worker (the common case: an ask's
 * reply cancels the ask's timeout) the timer leaves the heap at once, O(log n) through
 * the index it keeps; a cancel from elsewhere is dropped lazily, and the heap compacts
 * itself when such entries become the majority.
 *
 * A timer whose deadline comes within TRA_TIMER_SOON_NS goes to the worker's second,
 * locked heap (`soon`): at its start when it is that short, else moved there by the
 * owner's loop. Any worker fires it from there when due: the owner as part of its loop,
 * every other worker when it refreshes its clock (or ends a turn to do so), or wakes
 * from park (a parked worker sleeps no longer than the earliest soon deadline it saw
 * before parking, and one is woken when a timer becomes soon on a worker that has actors
 * queued: if that worker then blocks, they and the timer need another). So a worker
 * that the OS preempts, or that runs a long handler, no longer holds its due timers back
 * while another worker runs (measured: under load, most late timeouts were late by a
 * preemption of their worker, 2-30 ms). The private heap keeps the common case
 * lock-free: a longer timeout cancelled well before its deadline (an answered ask with a
 * timeout of seconds) never takes the lock. The state CAS already decides who fires a
 * timer, so moving it between heaps needs no more than the lock around the soon heap. A
 * soon timer that is cancelled stays in that heap until its deadline and is dropped then.
 */
#include "actor/core.h"

static bool before(const troupe_timer *a, const troupe_timer *b) {
  return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void sift_up(trA_theap *h, size_t i) {
  troupe_timer *t = h->v[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(t, h->v[p]))
      break;
    h->v[i] = h->v[p];
    h->v[i]->hidx = i;
    i = p;
  }
  h->v[i] = t;
  t->hidx = i;
}

static void sift_down(trA_theap *h, size_t i) {
  troupe_timer *t = h->v[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= h->n)
      break;
    if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
      c++;
    if (!before(h->v[c], t))
      break;
    h->v[i] = h->v[c];
    h->v[i]->hidx = i;
    i = c;
  }
  h->v[i] = t;
  t->hidx = i;
}

static int heap_push(trA_theap *h, troupe_timer *t) {
  if (h->n == h->cap) {
    size_t ncap = h->cap ? h->cap * 2 : 64;
    troupe_timer **nv = trB_realloc_array(h->v, ncap, sizeof *nv);
    if (!nv)
      return TROUPE_E_NOMEM;
    h->v = nv;
    h->cap = ncap;
  }
  h->v[h->n] = t;
  sift_up(h, h->n++);
  return TROUPE_OK;
}

static troupe_timer *heap_pop(trA_theap *h) {
  troupe_timer *t = h->v[0];
  h->v[0] = h->v[--h->n];
  if (h->n)
    sift_down(h, 0);
  return t;
}

/* Take the entry at i out of the heap (eager cancel). */
static void heap_remove(trA_theap *h, size_t i) {
  troupe_timer *last = h->v[--h->n];
  if (i == h->n)
    return;
  h->v[i] = last;
  if (i > 0 && before(last, h->v[(i - 1) / 2]))
    sift_up(h, i);
  else
    sift_down(h, i);
}

static void unref(troupe_timer *t) {
  /* acq_rel: the last owner sees all other owners' writes before freeing. */
  if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
    free(t);
}

/* After a change to w's soon heap (lock held, `was` = its size before): publish its
 * next deadline and whether it is empty. Relaxed: hints for the other workers, who take
 * the lock before trusting them. */
static void soon_publish(trA_worker *w, size_t was) {
  trA_soon *s = &w->soon;
  atomic_store_explicit(&s->next, s->heap.n ? s->heap.v[0]->deadline : UINT64_MAX,
                        memory_order_relaxed);
  if (!was != !s->heap.n) {
    if (s->heap.n)
      atomic_fetch_add_explicit(&w->rt->soon_heaps, 1, memory_order_relaxed);
    else
      atomic_fetch_sub_explicit(&w->rt->soon_heaps, 1, memory_order_relaxed);
  }
}

/* A timer entered w's soon heap while w has actors queued: should w now block in a
 * handler, a parked worker would neither run those nor fire the timer, so wake one (a
 * load of `sleepers` and nothing more when nobody sleeps: the loaded case). Not when w's
 * queue is empty: an idle runtime's periodic timers cost no extra wake-ups. */
static void soon_wake(trA_worker *w) {
  if (trA_deque_size(&w->dq) > 0)
    trA_wake(w->rt, false);
}

/* Put t into w's soon heap (lock held); false when the heap has no room. */
static bool soon_add(trA_worker *w, troupe_timer *t) {
  if (heap_push(&w->soon.heap, t) != TROUPE_OK)
    return false;
  /* Relaxed: read back by this thread (cancel, settle) or as a hint elsewhere; the
   * lock orders it before any other worker can take the timer. */
  atomic_store_explicit(&t->soon, true, memory_order_relaxed);
  return true;
}

int trA_timer_start(troupe_runtime *rt, uint64_t delay_ns, trA_timer_fn cb, trA_timer_fn dtor,
                    void *arg, bool want_handle, troupe_timer **out) {
  uint64_t now = troupe_clock_mono_ns();
  uint64_t deadline = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
  return trA_timer_start_at(rt, now, deadline, cb, dtor, arg, want_handle, out);
}

int trA_timer_start_at(troupe_runtime *rt, uint64_t now, uint64_t deadline, trA_timer_fn cb,
                       trA_timer_fn dtor, void *arg, bool want_handle, troupe_timer **out) {
  if (!rt || !cb || (want_handle && !out))
    return TROUPE_E_INVAL;
  if (atomic_load_explicit(&rt->state, memory_order_acquire) == TRA_RT_STOPPED)
    return TROUPE_E_STOPPED;
  troupe_timer *t = trB_malloc(sizeof *t);
  if (!t)
    return TROUPE_E_NOMEM;
  atomic_init(&t->state, TRA_TM_PENDING);
  atomic_init(&t->refs, want_handle ? 2u : 1u);
  t->deadline = deadline;
  /* Relaxed: a tie-break sequence only. */
  t->seq = atomic_fetch_add_explicit(&rt->timer_seq, 1, memory_order_relaxed);
  t->cb = cb;
  t->dtor = dtor;
  t->arg = arg;
  atomic_init(&t->owner, NULL);
  atomic_init(&t->soon, false);
  t->next_inject = NULL;
  if (out)
    *out = want_handle ? t : NULL;
  trA_worker *w = trA_worker_of(rt);
  if (w) {
    /* Relaxed: compared only with the calling thread's own worker (see cancel). Set
     * before the timer is in a heap: once in the soon heap another worker may fire and
     * free it at any moment. */
    atomic_store_explicit(&t->owner, w, memory_order_relaxed);
    /* `now`, not the cached w->now, which a preempted worker may hold for long. */
    if (deadline <= now + TRA_TIMER_SOON_NS) {
      /* Due soon: straight where any worker can fire it, so a handler that starts a
       * short timeout and then runs long does not hold it back. */
      pthread_mutex_lock(&w->soon.lock);
      size_t was = w->soon.heap.n;
      bool added = soon_add(w, t);
      if (added)
        soon_publish(w, was);
      pthread_mutex_unlock(&w->soon.lock);
      if (added) {
        soon_wake(w);
        return TROUPE_OK;
      }
    }
    if (heap_push(&w->timers, t) == TROUPE_OK)
      return TROUPE_OK;
    atomic_store_explicit(&t->owner, NULL, memory_order_relaxed); /* nobody saw it yet */
  }
  pthread_mutex_lock(&rt->inject_lock);
  t->next_inject = rt->inject_timers;
  rt->inject_timers = t;
  /* seq_cst: the parking handshake (see sched.c) must see it. */
  atomic_store_explicit(&rt->timers_injected, 1, memory_order_seq_cst);
  pthread_mutex_unlock(&rt->inject_lock);
  trA_wake(rt, true);
  return TROUPE_OK;
}

bool trA_timer_cancel(troupe_timer *t) {
  if (!t)
    return false;
  uint32_t expect = TRA_TM_PENDING;
  /* acq_rel: wins against the firing worker's CAS; nothing else is published. */
  bool won = atomic_compare_exchange_strong_explicit(&t->state, &expect, TRA_TM_CANCELLED,
                                                     memory_order_acq_rel, memory_order_relaxed);
  if (won) {
    /* Relaxed: owner is only compared with the calling thread's own worker (then this
     * thread wrote it), or used as a compaction hint. */
    trA_worker *o = atomic_load_explicit(&t->owner, memory_order_relaxed);
    /* Relaxed: only the owner sets `soon`, so on the owner this reads its own write
     * (and then the timer is in exactly the heap it says); elsewhere it only picks the
     * compaction hint below, which tolerates a stale value. */
    bool soon = o && atomic_load_explicit(&t->soon, memory_order_relaxed);
    if (o) {
      TRA_COUNT(o->rt, timers_cancelled, 1);
      if (soon) {
        /* In the soon heap: dropped (and its dtor run) when its deadline comes. */
      } else if (o == trA_tls_worker && !o->tm_walking) {
        /* We own the heap and the timer is in it (it was PENDING: neither fired nor
         * dropped): remove it now instead of leaving it for a compaction, so no single
         * later call pays for many cancels (the ask p99). */
        heap_remove(&o->timers, t->hidx);
        if (t->dtor)
          t->dtor(o->rt, t->arg);
        unref(t); /* the heap's reference */
      } else {
        /* Relaxed: a compaction hint for the owning worker. */
        atomic_fetch_add_explicit(&o->tm_cancelled, 1, memory_order_relaxed);
      }
    }
  }
  unref(t);
  return won;
}

static void timer_release(troupe_timer *t) {
  if (t)
    unref(t);
}

bool troupe_timer_cancel(troupe_timer *t) { return trA_timer_cancel(t); }
void troupe_timer_forget(troupe_timer *t) { timer_release(t); }

/* Drop a timer no heap holds any more: fire it, or run its dtor. */
static void settle(trA_worker *w, troupe_timer *t, bool fire) {
  if (fire) {
    uint32_t expect = TRA_TM_PENDING;
    if (atomic_compare_exchange_strong_explicit(&t->state, &expect, TRA_TM_FIRED,
                                                memory_order_acq_rel, memory_order_relaxed)) {
      TRA_COUNT(w->rt, timers_fired, 1);
      bool was = w->in_timers;
      w->in_timers = true; /* actors the callback wakes run next (sched.c) */
      t->cb(w->rt, t->arg);
      w->in_timers = was;
      unref(t);
      return;
    }
  }
  /* The compaction hint counts cancelled timers of the private heap only. */
  if (!atomic_load_explicit(&t->soon, memory_order_relaxed) &&
      atomic_load_explicit(&t->state, memory_order_acquire) == TRA_TM_CANCELLED) {
    uint64_t c = atomic_load_explicit(&w->tm_cancelled, memory_order_relaxed);
    if (c) /* a hint; saturate rather than wrap when a cancel raced adoption */
      atomic_fetch_sub_explicit(&w->tm_cancelled, 1, memory_order_relaxed);
  }
  if (t->dtor)
    t->dtor(w->rt, t->arg);
  unref(t);
}

static void compact(trA_worker *w) {
  trA_theap *h = &w->timers;
  w->tm_walking = true; /* a dtor below may cancel another timer: keep the array whole */
  size_t j = 0;
  for (size_t i = 0; i < h->n; i++) {
    troupe_timer *t = h->v[i];
    if (atomic_load_explicit(&t->state, memory_order_acquire) == TRA_TM_CANCELLED)
      settle(w, t, false);
    else
      h->v[j++] = t;
  }
  h->n = j;
  for (size_t i = 0; i < h->n; i++)
    h->v[i]->hidx = i;
  for (size_t i = h->n / 2; i-- > 0;)
    sift_down(h, i);
  w->tm_walking = false;
  atomic_store_explicit(&w->tm_cancelled, 0, memory_order_relaxed);
}

/* Settle a list linked through next_inject (unused once a timer is in a heap), after
 * the lock is released: callbacks and dtors may start or cancel timers. */
static void settle_list(trA_worker *w, troupe_timer *list, bool fire) {
  while (list) {
    troupe_timer *t = list;
    list = t->next_inject;
    t->next_inject = NULL;
    settle(w, t, fire);
  }
}

/* Move the private heap's timers due within TRA_TIMER_SOON_NS to the soon heap, where
 * other workers can fire them. Cancelled ones are dropped on the way. */
static void migrate(trA_worker *w) {
  trA_theap *h = &w->timers;
  uint64_t horizon = w->now + TRA_TIMER_SOON_NS;
  if (!h->n || h->v[0]->deadline > horizon || w->tm_walking)
    return;
  troupe_timer *dropped = NULL;
  pthread_mutex_lock(&w->soon.lock);
  size_t was = w->soon.heap.n;
  while (h->n && h->v[0]->deadline <= horizon) {
    troupe_timer *t = heap_pop(h);
    /* Acquire: pairs with the cancel's CAS (its dtor may read what it published). */
    if (atomic_load_explicit(&t->state, memory_order_acquire) == TRA_TM_CANCELLED) {
      t->next_inject = dropped;
      dropped = t;
      continue;
    }
    if (!soon_add(w, t)) {
      heap_push(h, t); /* cannot fail: the pop left room; it fires from here instead */
      break;
    }
  }
  bool grew = w->soon.heap.n > was;
  soon_publish(w, was);
  pthread_mutex_unlock(&w->soon.lock);
  if (grew)
    soon_wake(w);
  settle_list(w, dropped, false);
}

/* Fire v's soon timers due by `now` on w (v may be w). Another worker only tries the
 * lock: if v holds it, v is running and fires them itself. */
static void fire_soon(trA_worker *w, trA_worker *v, uint64_t now) {
  if (atomic_load_explicit(&v->soon.next, memory_order_relaxed) > now)
    return;
  if (v == w)
    pthread_mutex_lock(&v->soon.lock);
  else if (pthread_mutex_trylock(&v->soon.lock) != 0)
    return;
  troupe_timer *due = NULL, **tail = &due;
  trA_theap *h = &v->soon.heap;
  size_t was = h->n;
  while (h->n && h->v[0]->deadline <= now) {
    troupe_timer *t = heap_pop(h);
    *tail = t;
    tail = &t->next_inject;
  }
  soon_publish(v, was);
  pthread_mutex_unlock(&v->soon.lock);
  settle_list(w, due, true); /* in deadline order; cancelled ones run their dtor */
}

void trA_timers_run_slow(trA_worker *w, bool others) {
  trA_theap *h = &w->timers;
  uint64_t c = atomic_load_explicit(&w->tm_cancelled, memory_order_relaxed);
  if (c) {
    /* Cancels from other threads (an ask answered on another worker) are dropped from
     * the top first: O(log n) each, a few per call, so timeouts of equal length (they
     * leave in start order) never pile up for a compaction to pay all at once. */
    for (int k = 0; k < 4 && h->n; k++) {
      /* Acquire: pairs with the cancel's CAS; the dtor may read what it published. */
      if (atomic_load_explicit(&h->v[0]->state, memory_order_acquire) != TRA_TM_CANCELLED)
        break;
      settle(w, heap_pop(h), false);
    }
    c = atomic_load_explicit(&w->tm_cancelled, memory_order_relaxed);
    if (c > 64 && c * 2 > h->n)
      compact(w);
  }
  bool any = trA_timers_soon_any(w);
  migrate(w);
  if (trA_timers_private_top(w) <= w->now ||
      atomic_load_explicit(&w->soon.next, memory_order_relaxed) <= w->now) {
    /* Move again by the fresh reading: then every due timer is in the soon heap, which
     * fires them in deadline order (w->now may have been too old to move them all). */
    w->now = troupe_clock_mono_ns();
    migrate(w);
    while (h->n && h->v[0]->deadline <= w->now) /* those the soon heap had no room for */
      settle(w, heap_pop(h), true);
    fire_soon(w, w, w->now);
  }
  if (others && any)
    for (unsigned i = 0; i < w->rt->nworkers; i++)
      if (&w->rt->workers[i] != w)
        fire_soon(w, &w->rt->workers[i], w->now);
}

uint64_t trA_timers_next_any_slow(trA_worker *w) {
  uint64_t dl = trA_timers_private_top(w);
  for (unsigned i = 0; i < w->rt->nworkers; i++) {
    uint64_t s = atomic_load_explicit(&w->rt->workers[i].soon.next, memory_order_relaxed);
    dl = s < dl ? s : dl;
  }
  return dl;
}

bool trA_timers_due_in_turn(trA_worker *w) {
  uint64_t dl = trA_timers_next_any(w);
  if (dl == UINT64_MAX)
    return false; /* no timer: no clock read (the message rows) */
  w->now = troupe_clock_mono_ns();
  return dl <= w->now;
}

void trA_timers_adopt_injected(trA_worker *w) {
  troupe_runtime *rt = w->rt;
  pthread_mutex_lock(&rt->inject_lock);
  troupe_timer *list = rt->inject_timers;
  rt->inject_timers = NULL;
  atomic_store_explicit(&rt->timers_injected, 0, memory_order_relaxed);
  pthread_mutex_unlock(&rt->inject_lock);
  while (list) {
    troupe_timer *t = list;
    list = t->next_inject;
    t->next_inject = NULL;
    if (heap_push(&w->timers, t) == TROUPE_OK) {
      atomic_store_explicit(&t->owner, w, memory_order_relaxed);
    } else { /* keep it for someone else */
      pthread_mutex_lock(&rt->inject_lock);
      t->next_inject = rt->inject_timers;
      rt->inject_timers = t;
      atomic_store_explicit(&rt->timers_injected, 1, memory_order_seq_cst);
      pthread_mutex_unlock(&rt->inject_lock);
    }
  }
}

void trA_timers_init(trA_worker *w) {
  atomic_init(&w->soon.next, UINT64_MAX);
  pthread_mutex_init(&w->soon.lock, NULL);
}

/* Runtime teardown (workers joined): unfired timers run their dtor. */
void trA_timers_destroy(trA_worker *w) {
  trA_theap *heaps[2] = {&w->timers, &w->soon.heap};
  w->tm_walking = true;
  for (int k = 0; k < 2; k++) {
    trA_theap *h = heaps[k];
    for (size_t i = 0; i < h->n; i++)
      settle(w, h->v[i], false);
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
  }
  pthread_mutex_destroy(&w->soon.lock);
}

/* ---- send_after ----------------------------------------------------------------- */
typedef struct delayed {
  troupe_actor_id to;
  bool sys;
  trA_msg *m;
} delayed;

static void delayed_fire(troupe_runtime *rt, void *arg) {
  delayed *d = arg;
  trA_deliver(rt, d->to, d->m, d->sys);
  free(d);
}

static void delayed_drop(troupe_runtime *rt, void *arg) {
  delayed *d = arg;
  trA_msg_free(rt, d->m);
  free(d);
}

int troupe_send_after(troupe_runtime *rt, const troupe_send_args *args, uint64_t delay_ns,
                      troupe_timer **out) {
  if (out)
    *out = NULL;
  if (!rt || !args || (args->len && !args->data)) {
    if (args && args->release)
      args->release(args->release_user, args->data, args->len);
    return TROUPE_E_INVAL;
  }
  delayed *d = trB_malloc(sizeof *d);
  trA_msg *m = d ? trA_msg_new(rt, args->release ? 0 : args->len) : NULL;
  if (!m) {
    free(d);
    if (args->release)
      args->release(args->release_user, args->data, args->len);
    return TROUPE_E_NOMEM;
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
  d->sys = (args->flags & TROUPE_SEND_SYSTEM) != 0;
  d->to = args->to;
  d->m = m;
  m->kind = d->sys ? TROUPE_MSG_SYSTEM : TROUPE_MSG_USER;
  m->from = args->from;
  m->tag = args->tag;
  m->corr = args->corr; /* so a timer can end a troupe_actor_suspend_for wait */
  int rc = trA_timer_start(rt, delay_ns, delayed_fire, delayed_drop, d, out != NULL, out);
  if (rc) {
    trA_msg_free(rt, m);
    free(d);
  }
  return rc;
}
