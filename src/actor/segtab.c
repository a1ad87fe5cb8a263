/*
 * actor/segtab.c: segmented tables with stable addresses, used for actor slots and ask
 * records. Index -> element is O(1) and lock-free (two loads), the table grows by adding
 * segments of doubling size (never moving an element), and freed indices are reused
 * through a lock-free stack. Elements are type-stable: they are never freed while the
 * runtime lives, which is what lets a stale id be checked against a generation safely.
 */
#include "actor/core.h"

/* Segment k holds (1024 << k) elements and starts at index 1024 * (2^k - 1). */
static inline unsigned seg_of(uint32_t index, uint32_t *offset) {
  uint64_t q = ((uint64_t)index >> TRA_SEG_BASE_SHIFT) + 1;
  unsigned k = 63u - (unsigned)__builtin_clzll(q);
  *offset = index - (uint32_t)(((1ull << k) - 1) << TRA_SEG_BASE_SHIFT);
  return k;
}

static inline _Atomic uint32_t *link_of(trA_segtab *t, void *elem) {
  return (_Atomic uint32_t *)(void *)((char *)elem + t->next_free_off);
}

void trA_segtab_init(trA_segtab *t, size_t elem_size, size_t next_free_off,
                     void (*init_elem)(void *, uint32_t, void *), void *user) {
  for (unsigned k = 0; k < TRA_SEG_MAX; k++)
    atomic_init(&t->seg[k], NULL);
  t->elem_size = elem_size;
  t->next_free_off = next_free_off;
  t->init_elem = init_elem;
  t->init_user = user;
  atomic_init(&t->used, 0);
  atomic_init(&t->free_head, 0);
  pthread_mutex_init(&t->grow_lock, NULL);
}

void trA_segtab_destroy(trA_segtab *t, void (*fini_elem)(void *, void *), void *user) {
  uint32_t used = atomic_load_explicit(&t->used, memory_order_acquire);
  for (unsigned k = 0; k < TRA_SEG_MAX; k++) {
    char *s = atomic_load_explicit(&t->seg[k], memory_order_acquire);
    if (!s)
      continue;
    if (fini_elem) {
      uint64_t start = ((1ull << k) - 1) << TRA_SEG_BASE_SHIFT;
      uint64_t n = 1ull << (k + TRA_SEG_BASE_SHIFT);
      for (uint64_t i = 0; i < n && start + i < used; i++)
        fini_elem(s + i * t->elem_size, user);
    }
    free(s);
    atomic_store_explicit(&t->seg[k], NULL, memory_order_relaxed);
  }
  pthread_mutex_destroy(&t->grow_lock);
}

void *trA_segtab_get(trA_segtab *t, uint32_t index) {
  uint32_t off;
  unsigned k = seg_of(index, &off);
  /* Acquire pairs with the release publication of the segment (zeroed memory). */
  char *s = atomic_load_explicit(&t->seg[k], memory_order_acquire);
  return s ? s + (size_t)off * t->elem_size : NULL;
}

uint32_t trA_segtab_used(trA_segtab *t) {
  return atomic_load_explicit(&t->used, memory_order_acquire);
}

static int ensure_segment(trA_segtab *t, unsigned k) {
  if (atomic_load_explicit(&t->seg[k], memory_order_acquire))
    return TROUPE_OK;
  int rc = TROUPE_OK;
  pthread_mutex_lock(&t->grow_lock);
  if (!atomic_load_explicit(&t->seg[k], memory_order_relaxed)) {
    /* calloc of a big block maps fresh zero pages: untouched elements cost no RSS */
    void *s = trB_calloc((size_t)1 << (k + TRA_SEG_BASE_SHIFT), t->elem_size);
    if (s)
      atomic_store_explicit(&t->seg[k], s, memory_order_release);
    else
      rc = TROUPE_E_NOMEM;
  }
  pthread_mutex_unlock(&t->grow_lock);
  return rc;
}

int trA_segtab_alloc(trA_segtab *t, uint32_t *index) {
  /* Reuse first: Treiber stack with an ABA counter in the high half of the word. */
  uint64_t h = atomic_load_explicit(&t->free_head, memory_order_acquire);
  while ((uint32_t)h != 0) {
    uint32_t idx = (uint32_t)h - 1;
    void *e = trA_segtab_get(t, idx);
    /* Relaxed: a racing pop may make this value stale, but then the CAS fails. */
    uint32_t nx = atomic_load_explicit(link_of(t, e), memory_order_relaxed);
    uint64_t nh = (((h >> 32) + 1) << 32) | nx;
    /* Acquire on success: see everything the freeing thread did before its push. */
    if (atomic_compare_exchange_weak_explicit(&t->free_head, &h, nh, memory_order_acquire,
                                              memory_order_acquire)) {
      *index = idx;
      return TROUPE_OK;
    }
  }
  /* Relaxed: the bump counter only hands out distinct indices. */
  uint32_t idx = atomic_fetch_add_explicit(&t->used, 1, memory_order_relaxed);
  if (idx == UINT32_MAX) {
    atomic_fetch_sub_explicit(&t->used, 1, memory_order_relaxed);
    return TROUPE_E_RANGE;
  }
  uint32_t off;
  unsigned k = seg_of(idx, &off);
  int rc = ensure_segment(t, k);
  if (rc) {
    /* keep the index usable later: initialise nothing, hand it to the free stack once
     * the segment exists is impossible, so just leave a hole (never reachable) */
    return rc;
  }
  void *e = trA_segtab_get(t, idx);
  if (t->init_elem)
    t->init_elem(e, idx, t->init_user);
  *index = idx;
  return TROUPE_OK;
}

void trA_segtab_free(trA_segtab *t, uint32_t index) {
  void *e = trA_segtab_get(t, index);
  uint64_t h = atomic_load_explicit(&t->free_head, memory_order_relaxed);
  for (;;) {
    atomic_store_explicit(link_of(t, e), (uint32_t)h, memory_order_relaxed);
    uint64_t nh = (((h >> 32) + 1) << 32) | ((uint64_t)index + 1);
    /* Release: the element's reset state is visible to whoever pops it. */
    if (atomic_compare_exchange_weak_explicit(&t->free_head, &h, nh, memory_order_release,
                                              memory_order_relaxed))
      return;
  }
}
