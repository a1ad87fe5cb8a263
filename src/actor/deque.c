/*
 * actor/deque.c: a worker's run queue. One producer (the owning worker pushes actors it
 * schedules) and many consumers (the owner and thieves both take the oldest entry with a
 * CAS on `top`), so the queue is FIFO for everyone: an actor that used up its batch goes
 * to the back, which keeps turns fair. The ring grows by doubling; old rings stay alive
 * until destroy because a thief may still be reading one (bounded: less than 2x).
 */
#include "actor/core.h"

static trA_ring *ring_new(size_t cap) {
  trA_ring *r = trB_malloc(sizeof *r + cap * sizeof(r->buf[0]));
  if (!r)
    return NULL;
  r->mask = cap - 1;
  r->retired = NULL;
  for (size_t i = 0; i < cap; i++)
    atomic_init(&r->buf[i], NULL);
  return r;
}

int trA_deque_init(trA_deque *d, size_t cap) {
  size_t c = 64;
  while (c < cap)
    c <<= 1;
  trA_ring *r = ring_new(c);
  if (!r)
    return TROUPE_E_NOMEM;
  atomic_init(&d->top, 0);
  atomic_init(&d->bottom, 0);
  atomic_init(&d->ring, r);
  return TROUPE_OK;
}

void trA_deque_destroy(trA_deque *d) {
  trA_ring *r = atomic_load_explicit(&d->ring, memory_order_relaxed);
  while (r) {
    trA_ring *old = r->retired;
    free(r);
    r = old;
  }
  atomic_store_explicit(&d->ring, NULL, memory_order_relaxed);
}

int trA_deque_push(trA_deque *d, troupe_actor *a) {
  /* Relaxed: only the owner writes bottom. */
  int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
  /* Acquire: slots below top were consumed; their readers are done with them... except
   * a thief that read a slot and then lost its CAS, which is harmless (it discards). */
  int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
  trA_ring *r = atomic_load_explicit(&d->ring, memory_order_relaxed);
  if ((size_t)(b - t) > r->mask) {
    trA_ring *nr = ring_new((r->mask + 1) * 2);
    if (!nr)
      return TROUPE_E_NOMEM;
    for (int64_t i = t; i < b; i++)
      atomic_store_explicit(&nr->buf[(size_t)i & nr->mask],
                            atomic_load_explicit(&r->buf[(size_t)i & r->mask],
                                                 memory_order_relaxed),
                            memory_order_relaxed);
    nr->retired = r;
    /* Release: consumers that load the new ring see its copied entries. */
    atomic_store_explicit(&d->ring, nr, memory_order_release);
    r = nr;
  }
  /* Release on the entry: a consumer's acquire load of it sees everything the owner did
   * before scheduling the actor (the actor's state is handed over through here). */
  atomic_store_explicit(&r->buf[(size_t)b & r->mask], a, memory_order_release);
  /* Release: a consumer that sees the new bottom sees the entry. */
  atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
  return TROUPE_OK;
}

troupe_actor *trA_deque_pop(trA_deque *d) {
  for (;;) {
    /* Acquire top then bottom: an entry below the observed bottom is published. */
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b)
      return NULL;
    trA_ring *r = atomic_load_explicit(&d->ring, memory_order_acquire);
    troupe_actor *a = atomic_load_explicit(&r->buf[(size_t)t & r->mask], memory_order_acquire);
    /* The CAS decides who owns entry t; a loser may have read an overwritten slot and
     * simply retries. seq_cst keeps it simple to reason about with the owner's loads. */
    if (atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                memory_order_relaxed))
      return a;
  }
}

int64_t trA_deque_size(trA_deque *d) {
  int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
  int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
  return b > t ? b - t : 0;
}
