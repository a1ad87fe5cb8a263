/*
 * base/slab.c: the small-object allocator of slab.h.
 *
 * Size classes of 64-byte steps up to TRB_SLAB_MAX. Two levels, as the engine's pool
 * (engine/pool.c) and the actor runtime's message nodes: each thread keeps a bounded
 * free list per class (no lock), and a depot per class (a mutex) holds what the caches
 * spill, as batches, plus the unused rest of the chunk being carved. An empty cache
 * takes a batch (half its bound) from the depot in one locked step, a full one gives
 * half back as one, so the lock is taken once per batch at most. A thread's cache goes
 * to the depot when it exits.
 *
 * Chunks are 64 KiB anonymous mappings populated in one madvise(MADV_POPULATE_WRITE),
 * or written ahead by the prewarm helper while one runs (trB_chunk_take; slab.h says
 * why), carved by bumping a pointer. A class's chunk is resident as a
 * whole as soon as it is taken: at most 32 x 64 KiB more than the objects need.
 *
 * Free objects are linked through their first word. In AddressSanitizer builds every
 * call goes to malloc/free instead (slab.h).
 */
#include "base/slab.h"
#include "base/prewarm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_BYPASS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_BYPASS 1
#endif
#endif
#ifndef SLAB_BYPASS
#define SLAB_BYPASS 0
#endif

enum { STEP = 64, NCLS = TRB_SLAB_MAX / STEP };
#define CHUNK ((size_t)64 << 10)

/* A free object. The first object of a batch in the depot also links the next batch
 * and counts its own (every class holds at least 64 bytes). */
typedef struct obj {
  struct obj *next;
  struct obj *next_batch;
  uint32_t n;
} obj;

typedef struct tcache {
  obj *head[NCLS];
  uint32_t n[NCLS];
  bool registered;
} tcache;

static _Thread_local tcache tls;

/* The depot, per class on a cache line of its own: threads freeing or allocating
 * different classes never meet. Its critical sections are a few pointer moves (a batch
 * is taken or given whole; a chunk is mapped outside the lock), so an adaptive mutex
 * spins through them rather than sleeping: a sleeping waiter costs a futex wake-up of
 * tens of microseconds on these machines. */
typedef struct depot_class {
  pthread_mutex_t mu;
  obj *batches;         /* spilled batches, each `n` objects long */
  char *bump, *end;     /* the chunk being carved */
} __attribute__((aligned(64))) depot_class;

static depot_class depot[NCLS];
static pthread_once_t depot_once = PTHREAD_ONCE_INIT;

static void depot_init(void) {
  pthread_mutexattr_t at;
  pthread_mutexattr_init(&at);
  (void)pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ADAPTIVE_NP); /* else the default */
  for (int c = 0; c < NCLS; c++)
    pthread_mutex_init(&depot[c].mu, &at);
  pthread_mutexattr_destroy(&at);
}

static _Atomic size_t mapped; /* relaxed: a statistic */

/* A chunk: written by the prewarm helper when one runs, else populated here. */
static char *chunk_new(void) {
  char *p = trB_chunk_take();
  if (p)
    atomic_fetch_add_explicit(&mapped, CHUNK, memory_order_relaxed);
  return p;
}

size_t trB_slab_mapped_bytes(void) { return atomic_load_explicit(&mapped, memory_order_relaxed); }

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;

static size_t class_size(int c) { return (size_t)(c + 1) * STEP; }

/* Objects of class c one thread keeps: about 16 KiB, at least 4, at most 64. */
static uint32_t cap(int c) {
  size_t k = ((size_t)16 << 10) / class_size(c);
  return k < 4 ? 4 : k > 64 ? 64 : (uint32_t)k;
}

/* Hand the first k objects of a thread's list to the depot, as one batch. */
static void spill(int c, uint32_t k) {
  obj *first = tls.head[c], *last = first;
  for (uint32_t i = 1; i < k; i++)
    last = last->next;
  tls.head[c] = last->next;
  tls.n[c] -= k;
  last->next = NULL;
  first->n = k;
  pthread_once(&depot_once, depot_init);
  depot_class *d = &depot[c];
  pthread_mutex_lock(&d->mu);
  first->next_batch = d->batches;
  d->batches = first;
  pthread_mutex_unlock(&d->mu);
}

static void cache_exit(void *p) {
  (void)p;
  for (int c = 0; c < NCLS; c++)
    if (tls.n[c])
      spill(c, tls.n[c]);
  tls.registered = false;
}

static void make_key(void) {
  if (pthread_key_create(&key, cache_exit) != 0)
    key = (pthread_key_t)-1; /* no destructor: a thread's cache dies with the thread */
}

/* This thread's list of class c is empty: take a spilled batch from the depot, else
 * carve from its chunk, else from a new one. false when the system has no memory. Out
 * of line: the common allocation is a pop. */
static __attribute__((noinline)) bool refill(int c) {
  if (!tls.registered) {
    pthread_once(&key_once, make_key);
    if (key != (pthread_key_t)-1)
      pthread_setspecific(key, &tls);
    tls.registered = true;
  }
  pthread_once(&depot_once, depot_init);
  depot_class *d = &depot[c];
  uint32_t want = cap(c) / 2, k = 0;
  size_t sz = class_size(c);
  obj *chain = NULL;
  char *spare = NULL; /* a chunk mapped outside the lock that another thread beat */
  pthread_mutex_lock(&d->mu);
  if (d->batches) {
    chain = d->batches;
    d->batches = chain->next_batch;
    k = chain->n;
  }
  while (k < want) {
    if (!d->bump || d->bump + sz > d->end) {
      char *chunk = spare;
      spare = NULL;
      if (!chunk) {
        pthread_mutex_unlock(&d->mu);
        chunk = chunk_new();
        pthread_mutex_lock(&d->mu);
        if (!chunk)
          break;
        if (d->bump && d->bump + sz <= d->end) { /* another thread's chunk came first */
          spare = chunk;
          continue;
        }
      }
      d->bump = chunk;
      d->end = chunk + CHUNK;
    }
    obj *o = (obj *)(void *)d->bump;
    d->bump += sz;
    o->next = chain;
    chain = o;
    k++;
  }
  pthread_mutex_unlock(&d->mu);
  if (spare) { /* rare: two threads mapped a chunk for one class at once */
    munmap(spare, CHUNK);
    atomic_fetch_sub_explicit(&mapped, CHUNK, memory_order_relaxed);
  }
  tls.head[c] = chain;
  tls.n[c] = k;
  return k > 0;
}

static int class_of(size_t size) { return size ? (int)((size - 1) / STEP) : 0; }

void *trB_slab_alloc(size_t size) {
  if (trB_alloc_injected_failure())
    return NULL;
  if (SLAB_BYPASS || size > TRB_SLAB_MAX) {
    size_t total; /* aligned_alloc wants a multiple of the alignment */
    if (__builtin_add_overflow(size ? size : 1, (size_t)STEP - 1, &total))
      return NULL;
    return aligned_alloc(STEP, total & ~((size_t)STEP - 1));
  }
  int c = class_of(size);
  if (!tls.n[c] && !refill(c))
    return NULL;
  obj *o = tls.head[c];
  tls.head[c] = o->next;
  tls.n[c]--;
  return o;
}

void *trB_slab_calloc(size_t size) {
  if (SLAB_BYPASS || size > TRB_SLAB_MAX)
    return trB_calloc_aligned(STEP, size);
  void *p = trB_slab_alloc(size);
  if (p)
    memset(p, 0, size);
  return p;
}

void trB_slab_free(void *p, size_t size) {
  if (!p)
    return;
  if (SLAB_BYPASS || size > TRB_SLAB_MAX) {
    free(p);
    return;
  }
  int c = class_of(size);
  obj *o = p;
  o->next = tls.head[c];
  tls.head[c] = o;
  if (++tls.n[c] > cap(c))
    spill(c, cap(c) / 2);
}
