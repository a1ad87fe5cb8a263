/*
 * actor/timer.c: timers. Each worker keeps a binary min-heap of its timers (deadline,
 * then start order) and fires the due ones between actor turns; a parked worker sleeps
 * no longer than its next deadline, so resolution is well under 1 ms. Timers started
 * on other threads go through the runtime's inject list to whichever worker takes them.
 * Cancel is a CAS on the timer's state from any thread. On the owning worker (the
 * common case: an ask's reply cancels the ask's timeout) the timer leaves the heap at
 * once, O(log n) through the index it keeps; a cancel from elsewhere is dropped lazily,
 * and the heap compacts itself when such entries become the majority.
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

int trA_timer_start(troupe_runtime *rt, uint64_t delay_ns, trA_timer_fn cb, trA_timer_fn dtor,
                    void *arg, bool want_handle, troupe_timer **out) {
  if (!rt || !cb || (want_handle && !out))
    return TROUPE_E_INVAL;
  if (atomic_load_explicit(&rt->state, memory_order_acquire) == TRA_RT_STOPPED)
    return TROUPE_E_STOPPED;
  troupe_timer *t = trB_malloc(sizeof *t);
  if (!t)
    return TROUPE_E_NOMEM;
  atomic_init(&t->state, TRA_TM_PENDING);
  atomic_init(&t->refs, want_handle ? 2u : 1u);
  uint64_t now = troupe_clock_mono_ns();
  t->deadline = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
  /* Relaxed: a tie-break sequence only. */
  t->seq = atomic_fetch_add_explicit(&rt->timer_seq, 1, memory_order_relaxed);
  t->cb = cb;
  t->dtor = dtor;
  t->arg = arg;
  atomic_init(&t->owner, NULL);
  t->next_inject = NULL;
  if (out)
    *out = want_handle ? t : NULL;
  trA_worker *w = trA_worker_of(rt);
  if (w && heap_push(&w->timers, t) == TROUPE_OK) {
    atomic_store_explicit(&t->owner, w, memory_order_relaxed);
    return TROUPE_OK;
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
    if (o) {
      TRA_COUNT(o->rt, timers_cancelled, 1);
      if (o == trA_tls_worker && !o->tm_walking) {
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

void trA_timer_release(troupe_timer *t) {
  if (t)
    unref(t);
}

bool troupe_timer_cancel(troupe_timer *t) { return trA_timer_cancel(t); }
void troupe_timer_forget(troupe_timer *t) { trA_timer_release(t); }

/* Drop a timer the heap no longer holds. */
static void settle(trA_worker *w, troupe_timer *t, bool fire) {
  if (fire) {
    uint32_t expect = TRA_TM_PENDING;
    if (atomic_compare_exchange_strong_explicit(&t->state, &expect, TRA_TM_FIRED,
                                                memory_order_acq_rel, memory_order_relaxed)) {
      TRA_COUNT(w->rt, timers_fired, 1);
      t->cb(w->rt, t->arg);
      unref(t);
      return;
    }
  }
  if (atomic_load_explicit(&t->state, memory_order_acquire) == TRA_TM_CANCELLED) {
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

void trA_timers_run(trA_worker *w) {
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
  if (!h->n || h->v[0]->deadline > w->now)
    return;
  uint64_t now = troupe_clock_mono_ns();
  while (h->n && h->v[0]->deadline <= now)
    settle(w, heap_pop(h), true);
}

uint64_t trA_timers_next_deadline(trA_worker *w) {
  return w->timers.n ? w->timers.v[0]->deadline : UINT64_MAX;
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

/* Runtime teardown (workers joined): unfired timers run their dtor. */
void trA_timers_destroy(trA_worker *w) {
  trA_theap *h = &w->timers;
  w->tm_walking = true;
  for (size_t i = 0; i < h->n; i++)
    settle(w, h->v[i], false);
  free(h->v);
  h->v = NULL;
  h->n = h->cap = 0;
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
  int rc = trA_timer_start(rt, delay_ns, delayed_fire, delayed_drop, d, out != NULL, out);
  if (rc) {
    trA_msg_free(rt, m);
    free(d);
  }
  return rc;
}
