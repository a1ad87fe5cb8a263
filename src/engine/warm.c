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
 * are zero either way. Only memory 0's first 64 OS pages are followed. On a kernel
 * without MADV_POPULATE_WRITE (before 5.14) the first refusal turns it off.
 */
#include "engine/instance.h"
#include "engine/pool.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older headers lack the name */
#endif

enum { WARM_MAX_PAGES = 64 };

static _Atomic bool unsupported; /* the kernel refused MADV_POPULATE_WRITE */

static size_t followed_pages(const trE_memory *mem, size_t page) {
  size_t n = page ? (size_t)(mem->size / page) : 0;
  return n < WARM_MAX_PAGES ? n : WARM_MAX_PAGES;
}

static void prefault(trE_memory *mem, uint64_t mask) {
  size_t page = trE_pool_page_size(), n = followed_pages(mem, page);
  for (size_t i = 0; i < n;) {
    if (!(mask >> i & 1)) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && (mask >> j & 1))
      j++;
    if (madvise(mem->data + i * page, (j - i) * page, MADV_POPULATE_WRITE) != 0) {
      if (errno == EINVAL) /* not this kernel's; anything else: only this memory */
        atomic_store_explicit(&unsupported, true, memory_order_relaxed);
      return;
    }
    i = j;
  }
}

void trE_warm_instance(trE_inst *inst) {
  trE_memory *mem = inst->mem;
  if (!mem || !mem->fresh || !mem->data ||
      atomic_load_explicit(&unsupported, memory_order_relaxed))
    return;
  trE_module *m = inst->mod;
  /* acquire: pairs with trE_warm_learn's release, so warm_pages is the published set */
  int state = atomic_load_explicit(&m->warm_state, memory_order_acquire);
  if (state == TRE_WARM_KNOWN)
    prefault(mem, atomic_load_explicit(&m->warm_pages, memory_order_relaxed));
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
  uint64_t mask = 0;
  const trE_memory *mem = inst->mem;
  if (mem && mem->data && !trE_pool_written(mem->data, followed_pages(mem,
                                            trE_pool_page_size()), &mask))
    mask = 0; /* no pagemap: nothing to go on, and nothing is asked again */
  atomic_store_explicit(&m->warm_pages, mask, memory_order_relaxed);
  atomic_store_explicit(&m->warm_state, TRE_WARM_KNOWN, memory_order_release);
}
