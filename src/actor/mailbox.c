/*
 * actor/mailbox.c: the mailbox queue and message nodes. Each actor has two lanes (user
 * and priority), each an intrusive multi-producer single-consumer queue after Dmitry
 * Vyukov's design, with Pony's trick: the consumer can mark an empty queue, and the
 * push that finds the mark reports "was empty" so its sender schedules the actor. Nodes
 * for small payloads come from per-worker free lists (no malloc on the hot path).
 */
#include "actor/core.h"

#include <stdlib.h>
#include <string.h>

/*
 * Queue shape: head is where producers append (atomic exchange), tail is where the
 * consumer pops. The stub link lives inside the queue so an empty idle queue holds no
 * node at all (an idle actor costs only its slot):
 *
 *     tail -> [stub] -> [n1] -> [n2] <- head          pop returns n1, then n2
 *
 * When the last real node is popped the consumer re-pushes the stub behind it, so the
 * node it returns is fully its own (it can be freed at once). Empty and idle means
 * tail == head == &stub; the consumer then marks it by CASing head to &stub | 1.
 */
#define MARK ((uintptr_t)1)

void trA_mq_init(trA_mq *q) {
  atomic_init(&q->stub.next, NULL);
  atomic_init(&q->head, (uintptr_t)&q->stub | MARK); /* a new queue starts marked empty */
  q->tail = &q->stub;
}

bool trA_mq_push(trA_mq *q, trA_link *n) {
  /* Relaxed: n is not visible to anyone until the release store into prev->next. */
  atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
  /* acq_rel: release orders our node's contents before later readers of head (the
   * consumer's mark CAS / is_marked_empty); acquire pairs with the previous pusher so
   * writing prev->next below cannot be reordered before we own that position.
   * The exchange is also seq_cst-compatible with the scheduling handshake (see
   * trA_mq_is_marked_empty), so use seq_cst: x86 emits the same xchg. */
  uintptr_t prev = atomic_exchange_explicit(&q->head, (uintptr_t)n, memory_order_seq_cst);
  trA_link *p = (trA_link *)(prev & ~MARK);
  /* Release: the consumer's acquire load of p->next then sees n's contents. */
  atomic_store_explicit(&p->next, n, memory_order_release);
  return (prev & MARK) != 0;
}

trA_link *trA_mq_pop(trA_mq *q) {
  trA_link *tail = q->tail;
  /* Acquire pairs with the producer's release store of next: the node is complete. */
  trA_link *next = atomic_load_explicit(&tail->next, memory_order_acquire);
  if (tail == &q->stub) {
    if (!next)
      return NULL;
    q->tail = next;
    tail = next;
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
  }
  if (next) {
    q->tail = next;
    return tail;
  }
  /* tail is the last linked node. If head moved past it a producer is between its
   * exchange and its link store: report empty for now (the caller retries next turn,
   * because the queue is not markable while head != &stub). Acquire: see that node. */
  uintptr_t head = atomic_load_explicit(&q->head, memory_order_acquire);
  if ((trA_link *)(head & ~MARK) != tail)
    return NULL;
  trA_mq_push(q, &q->stub); /* never reports "was empty": head was a real node */
  next = atomic_load_explicit(&tail->next, memory_order_acquire);
  if (next) {
    q->tail = next;
    return tail;
  }
  return NULL;
}

bool trA_mq_mark_empty(trA_mq *q) {
  /* Only an empty queue is marked: tail at the stub and head still the stub. If the stub
   * was re-pushed behind other nodes, tail is not the stub: not empty. */
  if (q->tail != &q->stub)
    return false;
  uintptr_t expect = (uintptr_t)&q->stub;
  /* Fast path without an RMW: still marked from before (an unused lane) or clearly
   * not empty. seq_cst load keeps the handshake's order (see below). */
  uintptr_t h = atomic_load_explicit(&q->head, memory_order_seq_cst);
  if (h == (expect | MARK))
    return true;
  if (h != expect)
    return false;
  /* seq_cst: part of the store-load handshake with producers (push exchange, then the
   * SCHEDULED fetch_or) that prevents a lost wake-up; see docs/ACTORS.md. */
  if (atomic_compare_exchange_strong_explicit(&q->head, &expect, expect | MARK,
                                              memory_order_seq_cst, memory_order_seq_cst))
    return true;
  return expect == ((uintptr_t)&q->stub | MARK); /* already marked */
}

bool trA_mq_is_marked_empty(trA_mq *q) {
  /* seq_cst load after the consumer's seq_cst clear of SCHEDULED: either we see a
   * producer's exchange (not marked) or that producer sees SCHEDULED clear. */
  return atomic_load_explicit(&q->head, memory_order_seq_cst) & MARK;
}

/* ---- message nodes ------------------------------------------------------------------
 * Pooled nodes (sizeof(trA_msg), payload up to TRA_MSG_INLINE inline) are recycled
 * through magazines: a worker's cache is an array of up to POOL_MAX node pointers, and
 * the runtime's depot holds full magazines (arrays of POOL_BATCH pointers). A worker
 * that frees more than it allocates (a sink) moves its top POOL_BATCH pointers to the
 * depot as one magazine; an empty cache takes a whole magazine back. No node is touched
 * while it moves (the old linked free list walked every cold node once per move), so
 * an allocation touches only the node it hands out. A non-worker thread (an external
 * sender) takes single nodes from the top magazine and frees onto a linked list in the
 * depot, which a worker with an empty cache takes in batches.
 * Bigger payloads get one malloc for node and bytes. */
_Static_assert(sizeof(trA_msg) == 128, "message nodes are two cache lines");
_Static_assert(TRA_POOL_MAX >= 2 * TRA_MAG_SIZE, "a cache holds two magazines");

#define POOL_MAX TRA_POOL_MAX
#define POOL_BATCH TRA_MAG_SIZE

/* Refill an empty worker cache from a magazine (or, without one, a batch of the
 * nodes non-workers freed); a non-worker thread takes one node. NULL when the depot is
 * empty (the caller mallocs). */
static trA_msg *depot_take(troupe_runtime *rt, trA_worker *w) {
  trA_msg *m = NULL;
  pthread_mutex_lock(&rt->depot_lock);
  trA_mag *mag = rt->mags_full;
  if (mag && w) {
    rt->mags_full = mag->next;
    rt->nmags--;
    /* pointers only: the nodes stay cold until handed out */
    memcpy(w->cache, mag->v, mag->n * sizeof mag->v[0]);
    w->npool = mag->n - 1;
    m = w->cache[w->npool];
    mag->next = rt->mags_empty; /* the empty shell is kept for reuse */
    rt->mags_empty = mag;
  } else if (mag) {
    m = mag->v[--mag->n];
    if (!mag->n) {
      rt->mags_full = mag->next;
      rt->nmags--;
      mag->next = rt->mags_empty;
      rt->mags_empty = mag;
    }
  } else if (rt->depot) {
    m = rt->depot;
    rt->depot = (trA_msg *)(void *)atomic_load_explicit(&m->link.next, memory_order_relaxed);
    rt->ndepot--;
    /* a worker takes a batch along while it holds the lock */
    while (w && w->npool < POOL_BATCH && rt->depot) {
      trA_msg *x = rt->depot;
      rt->depot = (trA_msg *)(void *)atomic_load_explicit(&x->link.next, memory_order_relaxed);
      rt->ndepot--;
      w->cache[w->npool++] = x;
    }
  }
  pthread_mutex_unlock(&rt->depot_lock);
  return m;
}

/* The cache is full: move its top POOL_BATCH pointers to the depot as one magazine
 * (in a shell kept from an earlier refill when there is one: no malloc at steady state). */
static void cache_spill(troupe_runtime *rt, trA_worker *w) {
  w->npool -= POOL_BATCH;
  trA_msg **top = w->cache + w->npool;
  pthread_mutex_lock(&rt->depot_lock);
  trA_mag *mag = rt->mags_empty;
  if (mag) {
    rt->mags_empty = mag->next;
  } else {
    pthread_mutex_unlock(&rt->depot_lock);
    mag = trB_malloc(sizeof *mag);
    if (!mag) { /* out of memory for the shell: give the nodes back to malloc instead */
      for (size_t i = 0; i < POOL_BATCH; i++)
        free(top[i]);
      return;
    }
    pthread_mutex_lock(&rt->depot_lock);
  }
  memcpy(mag->v, top, sizeof mag->v);
  mag->n = POOL_BATCH;
  mag->next = rt->mags_full;
  rt->mags_full = mag;
  rt->nmags++;
  pthread_mutex_unlock(&rt->depot_lock);
}

trA_msg *trA_msg_new(troupe_runtime *rt, size_t len) {
  trA_msg *m;
  if (len <= TRA_MSG_INLINE) {
    trA_worker *w = trA_worker_of(rt);
    if (w && w->npool) {
      m = w->cache[--w->npool];
    } else {
      m = depot_take(rt, w);
      if (!m)
        m = trB_malloc(sizeof *m);
      if (!m)
        return NULL;
    }
    m->flags = TRA_MF_POOLED;
    m->data = m->inl;
  } else {
    if (len > SIZE_MAX - sizeof *m)
      return NULL;
    m = trB_malloc(sizeof *m + len);
    if (!m)
      return NULL;
    m->flags = 0;
    m->data = (unsigned char *)(m + 1);
  }
  m->len = len;
  m->kind = TROUPE_MSG_USER;
  m->exit_kind = 0;
  m->target_gen = 0;
  m->tag = 0;
  m->status = 0;
  m->from = 0;
  m->corr = 0;
  m->ts = 0;
  m->release = NULL;
  m->release_user = NULL;
  return m;
}

static void release_payload(trA_msg *m) {
  if (m->flags & TRA_MF_BORROWED) {
    m->flags &= (uint8_t)~TRA_MF_BORROWED;
    if (m->release)
      m->release(m->release_user, m->data, m->len);
  }
}

void trA_msg_free(troupe_runtime *rt, trA_msg *m) {
  release_payload(m);
  if (!(m->flags & TRA_MF_POOLED)) {
    free(m);
    return;
  }
  trA_worker *w = trA_worker_of(rt);
  if (w) {
    if (w->npool == POOL_MAX)
      cache_spill(rt, w);
    w->cache[w->npool++] = m;
    return;
  }
  pthread_mutex_lock(&rt->depot_lock);
  atomic_store_explicit(&m->link.next, (trA_link *)(void *)rt->depot, memory_order_relaxed);
  rt->depot = m;
  rt->ndepot++;
  pthread_mutex_unlock(&rt->depot_lock);
}

/* Free a worker's cached nodes, or (w NULL) the depot's (runtime teardown). */
void trA_pool_drain(troupe_runtime *rt, trA_worker *w) {
  if (w) {
    while (w->npool)
      free(w->cache[--w->npool]);
    return;
  }
  pthread_mutex_lock(&rt->depot_lock);
  while (rt->mags_full) {
    trA_mag *mag = rt->mags_full;
    rt->mags_full = mag->next;
    for (size_t i = 0; i < mag->n; i++)
      free(mag->v[i]);
    free(mag);
  }
  rt->nmags = 0;
  while (rt->mags_empty) {
    trA_mag *mag = rt->mags_empty;
    rt->mags_empty = mag->next;
    free(mag);
  }
  while (rt->depot) {
    trA_msg *x = rt->depot;
    rt->depot = (trA_msg *)(void *)atomic_load_explicit(&x->link.next, memory_order_relaxed);
    free(x);
  }
  rt->ndepot = 0;
  pthread_mutex_unlock(&rt->depot_lock);
}
