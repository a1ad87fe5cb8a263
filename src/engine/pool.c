/*
 * engine/pool.c: recycling what freed instances leave behind -- linear memory mappings
 * (classes of 64 KiB << k bytes) and execution-stack blocks (512 << k bytes) -- so that
 * spawning an instance reuses pages that are already resident: the first touch of a
 * fresh page costs a fault (about 15 us on this VM), a fresh mapping a syscall or two
 * (about 1 us each), against 0.5 us to memset a 64 KiB memory that stayed warm.
 *
 * Two levels, as the actor runtime's message nodes (src/actor/mailbox.c): each thread
 * keeps a small cache per class (no lock, bounded in bytes), and one depot (a mutex)
 * holds what the caches spill, bounded in bytes per kind; past its bound, memory goes
 * back to the system. A cache that overflows moves half of its class to the depot in
 * one locked step, an empty one takes a batch back, so the lock is taken once per
 * batch at most. A thread's cache goes to the depot when the thread exits.
 *
 * Free blocks are linked through their first word. A memory is reset *before* it is
 * cached (instance A's data never reaches a cache: pool_reset.c zeroes the pages it
 * wrote), and its link word is cleared when it is handed out, so a cached memory is all
 * zero except that word.
 *
 * Dirty memories. The reset is a pread of /proc/self/pagemap and a memset of the pages
 * written, 2-3 us: a sixth of a component's restart, whose new instance takes a memory
 * right after its old one gave one. When the instance's owner asks for it (a crash,
 * troupe_wasm_instance_free_ex) and some thread runs idle work (a runtime's workers,
 * base/idle.h), a freed memory of a class up to TRE_POOL_MEMSET_MAX (an idle step stays
 * a memset of at most that) goes to the depot's dirty list unreset instead,
 * and the first idle worker resets it and puts it with the clean ones (tidy). A take
 * never hands out a dirty memory: with no clean one at hand it resets a dirty one
 * itself -- except the first SPARES times per class, when it maps a fresh one instead,
 * so that a memory that crash-loops through one instance has a second to alternate with
 * and the reset happens while the other one is in use.
 *
 *   give (worker A) ──► depot.dirty[c] ──tidy (idle worker B)──► depot.head[c] ──► take
 *                              └──────────── take, nothing clean: reset here ──────┘
 */
#include "engine/pool.h"
#include "base/idle.h"
#include "base/slab.h"
#include "troupe/wasm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

enum {
  MEM_CLASSES = 7,    /* 64 KiB .. 4 MiB */
  STACK_CLASSES = 12, /* 512 B .. 1 MiB */
  NCLASS = MEM_CLASSES + STACK_CLASSES,
  CACHE_MAX = 32, /* blocks of one class in one thread's cache */
  SPARES = 2,     /* fresh memories mapped per class while dirty ones wait (above) */
};
#define MEM_MIN ((size_t)64 << 10)
#define STACK_MIN ((size_t)512)
/* Per thread: what a cache may hold of each kind. Classes bigger than that go straight
 * to the depot. */
static const size_t cache_bytes[2] = {(size_t)1 << 20, (size_t)256 << 10};
/* The depot's bound per kind: at most this much idle memory is kept for the process. */
static const size_t depot_bound[2] = {(size_t)64 << 20, (size_t)16 << 20};

typedef enum kind { KIND_MEM = 0, KIND_STACK = 1 } kind;

typedef struct node {
  struct node *next;
} node;

/* A memory on the dirty list: its link and how much of it may have been written. */
typedef struct dirty_node {
  struct dirty_node *next;
  size_t dirty;
} dirty_node;

typedef struct cache {
  node *head[NCLASS];
  uint32_t n[NCLASS];
  bool registered; /* its thread's exit hands it to the depot */
} cache;

static _Thread_local cache tls;

static struct {
  pthread_mutex_t lock;
  node *head[NCLASS];
  uint32_t n[NCLASS];
  /* Changed under the lock, which orders the real accounting; atomic (relaxed) only so
   * that a full or empty depot can be guessed without it -- a give then skips resetting
   * what would only be unmapped, a take skips the lock. A stale guess costs a reset or
   * a lock, never a block. */
  _Atomic size_t bytes[2];
  /* Memories given back unreset (counted in bytes[KIND_MEM]), and how many fresh ones
   * each class mapped in their stead. ndirty_all is a hint for idle workers, read
   * without the lock (relaxed: a stale zero leaves a memory for the next take to reset,
   * a stale count costs a lock). */
  dirty_node *dirty[MEM_CLASSES];
  uint32_t ndirty[MEM_CLASSES], spares[MEM_CLASSES];
  _Atomic uint32_t ndirty_all;
  uint64_t drains; /* trE_pool_drain calls: one during a tidy zeroed its memory's count */
} depot = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;

static kind kind_of(int c) { return c < MEM_CLASSES ? KIND_MEM : KIND_STACK; }

static size_t class_bytes(int c) {
  return c < MEM_CLASSES ? MEM_MIN << c : STACK_MIN << (c - MEM_CLASSES);
}

static uint32_t cache_cap(int c) {
  size_t cap = cache_bytes[kind_of(c)] / class_bytes(c);
  return cap < CACHE_MAX ? (uint32_t)cap : CACHE_MAX;
}

static uint32_t batch(int c) {
  uint32_t cap = cache_cap(c);
  return cap > 1 ? cap / 2 : 1;
}

/* The class of exactly `bytes` of a kind (a power of two from the kind's smallest
 * class), or -1. */
static int class_of(kind k, size_t bytes) {
  size_t min = k == KIND_MEM ? MEM_MIN : STACK_MIN;
  int n = k == KIND_MEM ? MEM_CLASSES : STACK_CLASSES;
  if (bytes < min || (bytes & (bytes - 1)))
    return -1;
  int i = __builtin_ctzll(bytes) - __builtin_ctzll(min);
  return i < n ? (k == KIND_MEM ? i : MEM_CLASSES + i) : -1;
}

static void release(int c, node *p) {
  if (kind_of(c) == KIND_MEM)
    munmap(p, class_bytes(c));
  else
    trB_slab_free(p, class_bytes(c));
}

static void release_chain(int c, node *p) {
  while (p) {
    node *next = p->next;
    release(c, p);
    p = next;
  }
}

/* Detach the first (up to) k blocks of a list; the chain ends in NULL. */
static node *detach(node **head, uint32_t *n, uint32_t k) {
  node *first = *head, *last = NULL, *p = first;
  uint32_t i = 0;
  for (; i < k && p; i++) {
    last = p;
    p = p->next;
  }
  if (last)
    last->next = NULL;
  *head = p;
  *n -= i;
  return first;
}

/* Push a NULL-terminated chain of `k` blocks of class c onto the depot, as many as its
 * bound allows; the rest goes back to the system (outside the lock). */
static void depot_put(int c, node *chain, uint32_t k) {
  size_t sz = class_bytes(c);
  kind kd = kind_of(c);
  pthread_mutex_lock(&depot.lock);
  size_t have = atomic_load_explicit(&depot.bytes[kd], memory_order_relaxed);
  size_t room = have < depot_bound[kd] ? (depot_bound[kd] - have) / sz : 0;
  uint32_t take = room < k ? (uint32_t)room : k;
  node *rest = chain;
  if (take) {
    uint32_t n = take;
    node *kept = detach(&rest, &n, take);
    node *tail = kept;
    while (tail->next)
      tail = tail->next;
    tail->next = depot.head[c];
    depot.head[c] = kept;
    depot.n[c] += take;
    atomic_store_explicit(&depot.bytes[kd], have + (size_t)take * sz, memory_order_relaxed);
  }
  pthread_mutex_unlock(&depot.lock);
  release_chain(c, rest);
}

/* A thread exits: its cache goes to the depot. */
static void cache_exit(void *p) {
  cache *t = p;
  for (int c = 0; c < NCLASS; c++) {
    uint32_t k = t->n[c];
    node *chain = detach(&t->head[c], &t->n[c], k);
    if (chain)
      depot_put(c, chain, k);
  }
  t->registered = false; /* a later give registers again, and this runs again */
}

static void make_key(void) {
  if (pthread_key_create(&key, cache_exit) != 0)
    key = (pthread_key_t)-1; /* no destructor: the cache dies with the thread */
}

static cache *my_cache(void) {
  cache *t = &tls;
  if (!t->registered) {
    pthread_once(&key_once, make_key);
    if (key != (pthread_key_t)-1)
      pthread_setspecific(key, t);
    t->registered = true;
  }
  return t;
}

/* This thread's cache of class c is empty: take a batch from the depot. false if the
 * depot has none. Out of line: the common take is a pop. */
static __attribute__((noinline)) bool refill(int c) {
  /* nothing of this kind in the depot (a guess without the lock): no lock to take */
  if (atomic_load_explicit(&depot.bytes[kind_of(c)], memory_order_relaxed) == 0)
    return false;
  pthread_mutex_lock(&depot.lock);
  uint32_t k = depot.n[c] < batch(c) ? depot.n[c] : batch(c);
  node *chain = detach(&depot.head[c], &depot.n[c], k);
  atomic_fetch_sub_explicit(&depot.bytes[kind_of(c)], (size_t)k * class_bytes(c),
                            memory_order_relaxed);
  pthread_mutex_unlock(&depot.lock);
  tls.head[c] = chain;
  tls.n[c] = k;
  return chain != NULL;
}

static void *take_dirty(int c);

static void *take(int c) {
  if (!tls.n[c] && !refill(c))
    return kind_of(c) == KIND_MEM ? take_dirty(c) : NULL;
  node *p = tls.head[c];
  tls.head[c] = p->next;
  tls.n[c]--;
  p->next = NULL; /* a memory is all zero again */
  return p;
}

/* Whether a block of class c given now would be kept: room in this thread's cache, or in
 * the depot (read without the lock: a guess, on the safe side either way -- a block
 * kept is reset, one released is not). */
static bool would_keep(int c) {
  if (tls.n[c] < cache_cap(c))
    return true;
  kind kd = kind_of(c);
  return atomic_load_explicit(&depot.bytes[kd], memory_order_relaxed) + class_bytes(c) <=
         depot_bound[kd];
}

static void give(int c, node *p) {
  cache *t = my_cache();
  uint32_t cap = cache_cap(c);
  if (cap == 0) {
    p->next = NULL;
    depot_put(c, p, 1);
    return;
  }
  if (t->n[c] >= cap) {
    uint32_t k = batch(c);
    node *chain = detach(&t->head[c], &t->n[c], k);
    depot_put(c, chain, k);
  }
  p->next = t->head[c];
  t->head[c] = p;
  t->n[c]++;
}

/* ---- dirty memories ------------------------------------------------------------------- */

static _Thread_local bool tls_later; /* trE_pool_reset_later */

bool trE_pool_reset_later(bool later) {
  bool was = tls_later;
  tls_later = later;
  return was;
}

static pthread_once_t tidy_once = PTHREAD_ONCE_INIT;
static bool tidy(void);
static bool tidy_added; /* written once under tidy_once: the registry took the job */
static void add_tidy(void) { tidy_added = trB_idle_add(tidy); }

/* Put a written memory on the dirty list for an idle worker, if the depot has room for
 * it. The list's node is written into the memory's first page, which the reset zeroes
 * with the rest. */
static bool defer(int c, uint8_t *data, size_t dirty) {
  pthread_once(&tidy_once, add_tidy);
  size_t sz = class_bytes(c);
  /* Only while the job is registered, and for a memory whose reset is a memset (up to
   * TRE_POOL_MEMSET_MAX: an idle step stays a few microseconds). */
  if (!tidy_added || sz > TRE_POOL_MEMSET_MAX)
    return false;
  pthread_mutex_lock(&depot.lock);
  size_t have = atomic_load_explicit(&depot.bytes[KIND_MEM], memory_order_relaxed);
  bool room = have + sz <= depot_bound[KIND_MEM];
  if (room) {
    dirty_node *d = (dirty_node *)(void *)data;
    d->dirty = dirty;
    d->next = depot.dirty[c];
    depot.dirty[c] = d;
    depot.ndirty[c]++;
    atomic_store_explicit(&depot.bytes[KIND_MEM], have + sz, memory_order_relaxed);
    atomic_fetch_add_explicit(&depot.ndirty_all, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&depot.lock);
  return room;
}

/* Under the depot's lock: unlink the first dirty memory of class c. */
static dirty_node *pop_dirty(int c) {
  dirty_node *d = depot.dirty[c];
  depot.dirty[c] = d->next;
  depot.ndirty[c]--;
  atomic_fetch_sub_explicit(&depot.ndirty_all, 1, memory_order_relaxed);
  return d;
}

/* Zero a memory taken off the dirty list; false (and unmapped) if the kernel refused. */
static bool clean(int c, dirty_node *d) {
  size_t dirty = d->dirty;
  if (trE_pool_reset((uint8_t *)d, dirty))
    return true;
  munmap(d, class_bytes(c));
  return false;
}

/* A take found no clean memory of class c: a fresh mapping while the class has spares
 * left to make (NULL: the caller maps one), else a dirty one reset here. SPARES bounds
 * only the fresh mappings made while dirty memories wait: a take that finds none (one
 * may be out of the lists, being reset) maps a fresh one as any take with nothing
 * cached does, and what is given back beyond the depot's bound is unmapped. */
static void *take_dirty(int c) {
  if (!atomic_load_explicit(&depot.ndirty_all, memory_order_relaxed))
    return NULL;
  pthread_mutex_lock(&depot.lock);
  dirty_node *d = NULL;
  if (depot.ndirty[c] && depot.spares[c] < SPARES) {
    depot.spares[c]++;
  } else if (depot.ndirty[c]) {
    d = pop_dirty(c);
    atomic_fetch_sub_explicit(&depot.bytes[KIND_MEM], class_bytes(c), memory_order_relaxed);
  }
  pthread_mutex_unlock(&depot.lock);
  if (!d || !clean(c, d))
    return NULL;
  d->next = NULL; /* all zero again */
  return d;
}

/* The idle job: reset one dirty memory and put it with the clean ones. Its bytes stay
 * counted in the depot throughout, so that the bound holds while it is out of the
 * lists -- unless a drain zeroed the count meanwhile: then it is counted again if there
 * is room, else it goes back to the system. */
static bool tidy(void) {
  if (!atomic_load_explicit(&depot.ndirty_all, memory_order_relaxed))
    return false;
  pthread_mutex_lock(&depot.lock);
  int c = 0;
  while (c < MEM_CLASSES && !depot.ndirty[c])
    c++;
  dirty_node *d = c < MEM_CLASSES ? pop_dirty(c) : NULL;
  uint64_t drains = depot.drains;
  pthread_mutex_unlock(&depot.lock);
  if (!d)
    return false;
  size_t sz = class_bytes(c);
  bool ok = clean(c, d); /* false: unmapped */
  bool drop = false;
  pthread_mutex_lock(&depot.lock);
  size_t have = atomic_load_explicit(&depot.bytes[KIND_MEM], memory_order_relaxed);
  if (depot.drains == drains) {
    if (!ok)
      atomic_store_explicit(&depot.bytes[KIND_MEM], have - sz, memory_order_relaxed);
  } else if (ok && have + sz <= depot_bound[KIND_MEM]) {
    atomic_store_explicit(&depot.bytes[KIND_MEM], have + sz, memory_order_relaxed);
  } else {
    drop = ok;
    ok = false;
  }
  if (ok) {
    node *p = (node *)(void *)d;
    p->next = depot.head[c];
    depot.head[c] = p;
    depot.n[c]++;
  }
  pthread_mutex_unlock(&depot.lock);
  if (drop)
    munmap(d, sz);
  return true;
}

/* ---- linear memories ------------------------------------------------------------------ */

size_t trE_pool_mem_map_bytes(uint64_t bytes) {
  if (bytes > class_bytes(MEM_CLASSES - 1))
    return bytes <= SIZE_MAX ? (size_t)bytes : 0;
  size_t map = MEM_MIN;
  while (map < bytes)
    map *= 2;
  return map;
}

uint8_t *trE_pool_mem_take_cached(size_t map) {
  int c = class_of(KIND_MEM, map);
  return c >= 0 ? take(c) : NULL;
}

uint8_t *trE_pool_mem_map_new(size_t map) {
  uint8_t *p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

uint8_t *trE_pool_mem_take(size_t map, bool *fresh) {
  uint8_t *p = trE_pool_mem_take_cached(map);
  *fresh = !p;
  return p ? p : trE_pool_mem_map_new(map);
}

void trE_pool_mem_give(uint8_t *data, size_t map, size_t dirty) {
  int c = class_of(KIND_MEM, map);
  if (c < 0 || !would_keep(c)) {
    munmap(data, map);
    return;
  }
  /* Reset by an idle worker when the caller asked for it and there is one (above)... */
  if (dirty && tls_later && trB_idle_runners() > 0 && defer(c, data, dirty))
    return;
  /* ...or here, only what was written (pool_reset.c); a memory that cannot be reset is
   * not reused. */
  if (!trE_pool_reset(data, dirty)) {
    munmap(data, map);
    return;
  }
  give(c, (node *)(void *)data);
}

/* ---- stack blocks --------------------------------------------------------------------- */

void *trE_pool_stack_take(size_t bytes) {
  int c = class_of(KIND_STACK, bytes);
  void *p = c >= 0 ? take(c) : NULL;
  /* the slab sends what it does not carve (over TRB_SLAB_MAX) to malloc */
  return p ? p : trB_slab_alloc(bytes);
}

void trE_pool_stack_give(void *p, size_t bytes) {
  if (!p)
    return;
  int c = class_of(KIND_STACK, bytes);
  if (c < 0)
    trB_slab_free(p, bytes);
  else
    give(c, p);
}

/* ---- inspection ----------------------------------------------------------------------- */

size_t trE_pool_cached_bytes(void) {
  size_t total = 0;
  for (int c = 0; c < NCLASS; c++)
    total += tls.n[c] * class_bytes(c);
  return total;
}

size_t trE_pool_depot_bytes(void) {
  pthread_mutex_lock(&depot.lock);
  size_t total = atomic_load_explicit(&depot.bytes[KIND_MEM], memory_order_relaxed) +
                 atomic_load_explicit(&depot.bytes[KIND_STACK], memory_order_relaxed);
  pthread_mutex_unlock(&depot.lock);
  return total;
}

void troupe_wasm_pool_trim(void) {
  trE_pool_drain();
}

void trE_pool_drain(void) {
  node *chains[NCLASS];
  dirty_node *dirty[MEM_CLASSES];
  pthread_mutex_lock(&depot.lock);
  for (int c = 0; c < NCLASS; c++)
    chains[c] = detach(&depot.head[c], &depot.n[c], depot.n[c]);
  for (int c = 0; c < MEM_CLASSES; c++) {
    dirty[c] = depot.dirty[c];
    depot.dirty[c] = NULL;
    depot.ndirty[c] = 0;
    depot.spares[c] = 0;
  }
  atomic_store_explicit(&depot.ndirty_all, 0, memory_order_relaxed);
  depot.drains++;
  atomic_store_explicit(&depot.bytes[KIND_MEM], 0, memory_order_relaxed);
  atomic_store_explicit(&depot.bytes[KIND_STACK], 0, memory_order_relaxed);
  pthread_mutex_unlock(&depot.lock);
  for (int c = 0; c < NCLASS; c++) {
    release_chain(c, chains[c]);
    release_chain(c, detach(&tls.head[c], &tls.n[c], tls.n[c]));
  }
  for (int c = 0; c < MEM_CLASSES; c++)
    for (dirty_node *d = dirty[c], *next; d; d = next) {
      next = d->next;
      munmap(d, class_bytes(c));
    }
}
