/*
 * engine/pool.h: the recycler (pool.c) of what freed instances leave behind -- linear
 * memory mappings and execution-stack blocks -- so that a new instance gets pages that
 * are already resident instead of faulting fresh ones in. instance.c takes and gives
 * memories, exec.c stacks. Thread-safe: per-thread caches and one shared depot.
 */
#ifndef TROUPE_SRC_ENGINE_POOL_H
#define TROUPE_SRC_ENGINE_POOL_H

#include "base/base.h"

/* The mapping size for a linear memory of `bytes` (a multiple of 64 KiB, > 0): the
 * smallest pooled class that holds it (64 KiB << k), or `bytes` itself beyond the
 * largest class. A memory may grow inside its mapping without a syscall. */
size_t trE_pool_mem_map_bytes(uint64_t bytes);
/* A mapping of `map` bytes (from trE_pool_mem_map_bytes), all zero: a recycled one when
 * `map` is a class size and one is cached, else a fresh anonymous mapping. NULL when
 * the system refuses. */
uint8_t *trE_pool_mem_take(size_t map, bool *fresh);
/* The two halves of trE_pool_mem_take: only a recycled one (NULL when none is cached),
 * only a fresh mapping (NULL when the system refuses). */
uint8_t *trE_pool_mem_take_cached(size_t map);
uint8_t *trE_pool_mem_map_new(size_t map);
/* Give back a mapping of `map` bytes whose first `dirty` bytes may have been written
 * (the memory's size: a memory never shrinks, and nothing writes past its size). The
 * pages written are zeroed (trE_pool_reset) and the mapping cached; or it is unmapped
 * (not a class size, the caches and the depot full, or the reset failed). Never hands
 * one instance's data to another. */
void trE_pool_mem_give(uint8_t *data, size_t map, size_t dirty);
/* Whether the memories this thread gives back from now on may wait unreset for an idle
 * worker (troupe_wasm_instance_free_ex); returns the previous setting. */
bool trE_pool_reset_later(bool later);

/* pool_reset.c: make the first `dirty` bytes at data (page-aligned) all zero, touching
 * only the pages that were written (the kernel's pagemap says which); a memory with
 * more than TRE_POOL_MEMSET_MAX resident is discarded with madvise instead, and without
 * pagemap the whole range is zeroed. false if the kernel refused (then do not reuse). */
bool trE_pool_reset(uint8_t *data, size_t dirty);

/* A run of OS pages: pages first .. first + count - 1 of a mapping. */
typedef struct trE_page_run {
  uint32_t first, count;
} trE_page_run;
/* The OS page size, and the runs of written pages among the `pages` at `data` (at most
 * TRE_WARM_SCAN_PAGES), in address order, the first `max` of them into runs[]: written
 * is resident (pagemap) and not all zero -- a page only read maps the shared zero page,
 * which pagemap shows as present too. Returns how many runs it stored; -1 when pagemap
 * cannot be read. */
#define TRE_WARM_RUNS 8
#define TRE_WARM_SCAN_PAGES 4096 /* 16 MiB of 4 KiB pages */
size_t trE_pool_page_size(void);
int trE_pool_written_runs(const uint8_t *data, size_t pages, trE_page_run *runs, int max);

/* Execution-stack blocks (exec.c): `bytes` of uninitialised memory, malloc'd or
 * recycled (class sizes 512 << k are cached); NULL when out of memory. The interpreter
 * writes every slot before it reads it (validation guarantees it), so a recycled block
 * needs no reset. */
void *trE_pool_stack_take(size_t bytes);
void trE_pool_stack_give(void *p, size_t bytes);

/* What the calling thread's cache and the depot hold, in bytes (tests, benchmarks). */
size_t trE_pool_cached_bytes(void);
size_t trE_pool_depot_bytes(void);
/* Return everything the calling thread's cache and the depot hold to the system. */
void trE_pool_drain(void);

#define TRE_POOL_MEMSET_MAX ((size_t)256 << 10)

#endif
