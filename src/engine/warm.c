/*
 * engine/warm.c: faulting in a fresh linear memory's pages before the guest touches
 * them, one system call per run of pages instead of one page fault per page.
 *
 * Why: on these machines the first touch of a fresh page from user space costs 11-30 us
 * (a fault the hypervisor takes part in), while the kernel fills the same page for
 * about 1 us inside madvise(MADV_POPULATE_WRITE) -- 4 us for a call that fills two.
 * A new instance touches a few pages of its memory at once (a C guest: its data at the
 * bottom, its stack at the top; its data segments, written at instantiation), so its
 * spawn paid those faults: 2 of them, ~30 us, of a tiny component's ~80 us spawn.
 * Recycled memories (pool.c) are resident already and need none of this.
 *
 * Which pages: the ones the module's first instance had written when its first call
 * completed (its `_start` or `_initialize`, normally: resident in the kernel's pagemap
 * and not all zero, pool_reset.c), read once per module and published in the module; later instances with fresh memories get
 * exactly those pages filled at instantiation. A guess, so it costs at worst what it
 * fills and the guest leaves untouched (resident memory), never correctness: the pages
 * are zero either way. Memory 0's first 16 MiB are read, and its first 8 runs of
 * written pages kept (a C guest: data at the bottom, stack at the top of its first
 * pages; Rust's default: a 1 MiB stack first, then the data above it). On a kernel
 * without MADV_POPULATE_WRITE (before 5.14) the first refusal turns it off.
 *
 * Populating still leaves the first write 4-5 us (the hypervisor's part) unless another
 * thread wrote the page first: then it costs 0.02 us. So while the prewarm helper runs
 * (base/prewarm.h: during a burst of spawns the host was told of), a module whose pages
 * are known gets a reserve of memories made on the helper -- mapped, those pages
 * populated and written -- which instantiation takes from when the engine's pool has no
 * recycled memory. Its target starts at 16 memories and doubles each time a take finds
 * it empty, up to 1,024 or 8 MiB of written pages; it is freed with the module.
 */
#include "engine/instance.h"
#include "engine/pool.h"

#include "base/prewarm.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

enum { RESERVE_FIRST = 16, RESERVE_MAX = 1024 };
#define RESERVE_BYTES ((size_t)8 << 20) /* of written pages, per module */

typedef struct trE_reserve {
  pthread_mutex_t mu;
  trB_prewarm_job job;
  trE_module *m;    /* the owner: the reserve dies with it (trE_warm_free) */
  size_t map, size; /* each memory's mapping, and memory 0's initial size */
  uint32_t n, target, cap;
  uint8_t **mem;    /* cap slots */
} trE_reserve;

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older headers lack the name */
#endif

static _Atomic bool unsupported; /* the kernel refused MADV_POPULATE_WRITE */

static void prefault(trE_memory *mem, const trE_page_run *runs, uint32_t n) {
  size_t page = trE_pool_page_size();
  for (uint32_t r = 0; r < n; r++) {
    size_t first = runs[r].first, count = runs[r].count;
    if ((first + count) * page > mem->size) /* a smaller memory than the teacher's */
      return;
    if (madvise(mem->data + first * page, count * page, MADV_POPULATE_WRITE) != 0) {
      if (errno == EINVAL) /* not this kernel's; anything else: only this memory */
        atomic_store_explicit(&unsupported, true, memory_order_relaxed);
      return;
    }
  }
}

void trE_warm_instance(trE_inst *inst) {
  trE_memory *mem = inst->mem;
  if (!mem || !mem->fresh || !mem->data ||
      atomic_load_explicit(&unsupported, memory_order_relaxed))
    return;
  trE_module *m = inst->mod;
  /* acquire: pairs with trE_warm_learn's release, so warm[] is the published set */
  int state = atomic_load_explicit(&m->warm_state, memory_order_acquire);
  if (state == TRE_WARM_KNOWN)
    prefault(mem, m->warm, m->nwarm);
  else if (state == TRE_WARM_UNKNOWN)
    inst->warm_learn = true;
}

void trE_warm_learn(trE_inst *inst) {
  inst->warm_learn = false;
  trE_module *m = inst->mod;
  int expect = TRE_WARM_UNKNOWN;
  /* One instance learns for all (others racing with it just do without); relaxed: the
   * claim publishes nothing, the release below does. */
  if (!atomic_compare_exchange_strong_explicit(&m->warm_state, &expect, TRE_WARM_LEARNING,
                                               memory_order_relaxed, memory_order_relaxed))
    return;
  const trE_memory *mem = inst->mem;
  size_t page = trE_pool_page_size(), pages = page ? (size_t)(mem->size / page) : 0;
  if (pages > TRE_WARM_SCAN_PAGES)
    pages = TRE_WARM_SCAN_PAGES;
  int n = mem->data ? trE_pool_written_runs(mem->data, pages, m->warm, TRE_WARM_RUNS) : 0;
  m->nwarm = n > 0 ? (uint32_t)n : 0; /* no pagemap: nothing to go on, nothing asked again */
  atomic_store_explicit(&m->warm_state, TRE_WARM_KNOWN, memory_order_release);
}

/* ---- the reserve: memories made ahead on the prewarm helper --------------------------- */

/* On the helper: fill the reserve up to its target. */
static void reserve_fill(void *arg) {
  trE_reserve *r = arg;
  const trE_module *m = r->m;
  size_t page = trE_pool_page_size();
  for (;;) {
    pthread_mutex_lock(&r->mu);
    bool full = r->n >= r->target;
    pthread_mutex_unlock(&r->mu);
    if (full)
      return;
    uint8_t *p = mmap(NULL, r->map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return;
    for (uint32_t i = 0; i < m->nwarm; i++)
      if ((m->warm[i].first + m->warm[i].count) * page <= r->size)
        trB_prewarm_touch(p + m->warm[i].first * page, m->warm[i].count * page);
    pthread_mutex_lock(&r->mu);
    bool kept = r->n < r->cap;
    if (kept)
      r->mem[r->n++] = p;
    pthread_mutex_unlock(&r->mu);
    if (!kept)
      munmap(p, r->map);
  }
}

static trE_reserve *reserve_of(trE_module *m, size_t map) {
  /* acquire: pairs with the release that installed it, so its fields are seen made */
  trE_reserve *r = atomic_load_explicit(&m->reserve, memory_order_acquire);
  if (r || m->nmemories <= m->nmemory_imports || !trB_prewarm_running())
    return r; /* made only when a helper could fill it */
  size_t page = trE_pool_page_size(), touched = 0;
  for (uint32_t i = 0; i < m->nwarm; i++)
    touched += (size_t)m->warm[i].count * page;
  uint32_t cap = touched ? (uint32_t)TR_MIN((size_t)RESERVE_MAX, RESERVE_BYTES / touched) : 0;
  if (!cap)
    return NULL; /* nothing to prepare: no page is known */
  r = trB_calloc(1, sizeof *r);
  if (!r || !(r->mem = trB_calloc(cap, sizeof *r->mem)) || pthread_mutex_init(&r->mu, NULL)) {
    if (r)
      free(r->mem);
    free(r);
    return NULL;
  }
  r->m = m;
  r->map = map;
  r->size = m->memories[m->nmemory_imports].min * TRE_PAGE_SIZE;
  r->cap = cap;
  r->target = TR_MIN((uint32_t)RESERVE_FIRST, cap);
  r->job = (trB_prewarm_job){.fn = reserve_fill, .arg = r};
  trE_reserve *none = NULL;
  /* release: publishes the fields above; a racing instance's reserve loses and goes */
  if (!atomic_compare_exchange_strong_explicit(&m->reserve, &none, r, memory_order_release,
                                               memory_order_acquire)) {
    pthread_mutex_destroy(&r->mu);
    free(r->mem);
    free(r);
    return none;
  }
  return r;
}

uint8_t *trE_warm_take(trE_module *m, size_t map) {
  /* acquire: pairs with trE_warm_learn's release (warm[] is read by the fill) */
  if (atomic_load_explicit(&m->warm_state, memory_order_acquire) != TRE_WARM_KNOWN || !m->nwarm)
    return NULL;
  trE_reserve *r = reserve_of(m, map);
  if (!r || r->map != map)
    return NULL;
  pthread_mutex_lock(&r->mu);
  uint8_t *p = r->n ? r->mem[--r->n] : NULL;
  if (!p && r->target < r->cap) /* a burst outran the reserve: keep more */
    r->target = r->target * 2 < r->cap ? r->target * 2 : r->cap;
  bool want = r->n < r->target / 2 + 1;
  pthread_mutex_unlock(&r->mu);
  if (want)
    trB_prewarm_want(&r->job);
  return p;
}

void trE_warm_free(trE_module *m) {
  trE_reserve *r = atomic_load_explicit(&m->reserve, memory_order_acquire);
  if (!r)
    return;
  trB_prewarm_cancel(&r->job); /* waits if the helper is filling it now */
  for (uint32_t i = 0; i < r->n; i++)
    munmap(r->mem[i], r->map);
  pthread_mutex_destroy(&r->mu);
  free(r->mem);
  free(r);
  atomic_store_explicit(&m->reserve, NULL, memory_order_relaxed);
}
