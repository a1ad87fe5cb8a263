/*
 * base/slab.c: the small-object allocator of slab.h.
 *
 * Size classes of 64-byte steps up to TRB_SLAB_MAX. Two levels, as the engine's pool
 * (engine/pool.c) and the actor runtime's message nodes: each thread keeps a bounded
 * free list per class (no lock), and one depot (a mutex) holds what the caches spill
 * plus, per class, the unused rest of the chunk being carved. An empty cache takes half
 * its bound from the depot in one locked step, a full one gives half back, so the lock
 * is taken once per batch at most. A thread's cache goes to the depot when it exits.
 *
 * Chunks are 64 KiB anonymous mappings populated in one madvise(MADV_POPULATE_WRITE)
 * (slab.h says why), carved by bumping a pointer. A class's chunk is resident as a
 * whole as soon as it is taken: at most 32 x 64 KiB more than the objects need.
 *
 * Free objects are linked through their first word. In AddressSanitizer builds every
 * call goes to malloc/free instead (slab.h).
 */
#include "base/slab.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older headers lack the name */
#endif

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

typedef struct obj {
  struct obj *next;
} obj;

typedef struct tcache {
  obj *head[NCLS];
  uint32_t n[NCLS];
  bool registered;
} tcache;

static _Thread_local tcache tls;

static struct {
  pthread_mutex_t mu;
  obj *head[NCLS];
  char *bump[NCLS], *end[NCLS]; /* the chunk being carved for each class */
} depot = {.mu = PTHREAD_MUTEX_INITIALIZER};

static _Atomic size_t mapped; /* relaxed: a statistic */

/* A fresh chunk, populated: the kernel fills its pages in one call, so the objects'
 * first writes skip the fault (on a kernel without MADV_POPULATE_WRITE they fault as
 * malloc's would). */
static char *chunk_new(void) {
  void *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  (void)madvise(p, CHUNK, MADV_POPULATE_WRITE);
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

/* Hand the first k objects of a thread's list to the depot. */
static void spill(int c, uint32_t k) {
  obj *first = tls.head[c], *last = first;
  for (uint32_t i = 1; i < k; i++)
    last = last->next;
  tls.head[c] = last->next;
  tls.n[c] -= k;
  pthread_mutex_lock(&depot.mu);
  last->next = depot.head[c];
  depot.head[c] = first;
  pthread_mutex_unlock(&depot.mu);
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

/* This thread's list of class c is empty: take a batch from the depot's free objects,
 * then from its chunk, then from a new chunk. false when the system has no memory.
 * Out of line: the common allocation is a pop. */
static __attribute__((noinline)) bool refill(int c) {
  if (!tls.registered) {
    pthread_once(&key_once, make_key);
    if (key != (pthread_key_t)-1)
      pthread_setspecific(key, &tls);
    tls.registered = true;
  }
  uint32_t want = cap(c) / 2, k = 0;
  size_t sz = class_size(c);
  obj *chain = NULL;
  pthread_mutex_lock(&depot.mu);
  while (k < want && depot.head[c]) {
    obj *o = depot.head[c];
    depot.head[c] = o->next;
    o->next = chain;
    chain = o;
    k++;
  }
  while (k < want) {
    if (!depot.bump[c] || depot.bump[c] + sz > depot.end[c]) {
      /* Under the depot's lock: a chunk is made once per 64 KiB of a class. */
      char *chunk = chunk_new();
      if (!chunk)
        break;
      depot.bump[c] = chunk;
      depot.end[c] = chunk + CHUNK;
    }
    obj *o = (obj *)(void *)depot.bump[c];
    depot.bump[c] += sz;
    o->next = chain;
    chain = o;
    k++;
  }
  pthread_mutex_unlock(&depot.mu);
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
