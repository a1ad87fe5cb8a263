/*
 * base/slab.h: the small-object allocator (slab.c) for what every component holds --
 * its actor state, engine instance, record, spec, WASI context, first call's stacks.
 *
 * Why not malloc: on these machines a fresh page costs its first toucher 10-11 us (a
 * fault the hypervisor takes part in), but 4.8 us when the kernel filled it beforehand
 * in a batch (madvise(MADV_POPULATE_WRITE): 0.7 us a page, then 4.1 at the first
 * write). malloc's fresh heap pages fault one by one as its chunk headers reach them; a
 * spawn that grows the population paid ~1.7 of those. The slab carves objects from
 * chunks it populates in one call, and packs them without headers.
 *
 * Threading: every function may be called from any thread; an object may be freed by
 * another thread than the one that allocated it.
 */
#ifndef TROUPE_SRC_BASE_SLAB_H
#define TROUPE_SRC_BASE_SLAB_H

#include "base/base.h"

/* Objects of up to TRB_SLAB_MAX bytes in classes of 64-byte steps, 64-byte aligned.
 * `size` at free must be the size given at alloc. Larger sizes, and every size in
 * AddressSanitizer builds (so that leaks, overflows and use-after-free of these objects
 * stay visible), go to malloc/free, 64-byte aligned too. NULL when out of memory or when
 * a test injects a failure (trB_alloc_fail_after). The memory is kept for the next
 * objects of its class, never returned to the system: the population's peak stays
 * resident, as with malloc's arenas. */
#define TRB_SLAB_MAX ((size_t)2048)
void *trB_slab_alloc(size_t size);  /* uninitialised */
void *trB_slab_calloc(size_t size); /* zeroed */
void trB_slab_free(void *p, size_t size);

/* The chunks carved so far, in bytes (tests, benchmarks). */
size_t trB_slab_mapped_bytes(void);

#endif
