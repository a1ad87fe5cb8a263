/*
 * component/cache.c: compiled modules keyed by the SHA-256 of their bytes (comp.h).
 * Every component instance starts here, on whatever worker spawns it, so a hit must be
 * cheap and a compile must never hold anyone else up:
 *
 *   - one mutex guards a chained hash table of entries; a hit is a lookup and a
 *     reference count increment under it;
 *   - a miss inserts an entry in state COMPILING and compiles with the lock released,
 *     so lookups of other modules, and other compiles, proceed meanwhile;
 *   - a get that finds a COMPILING entry waits on the cache's condition variable until
 *     the compiler publishes READY (it shares the module) or FAILED (it gets the same
 *     error, message included); one compile per module however many ask at once.
 *
 * A failed entry leaves the table as soon as it is published, so the next get compiles
 * again (bytes are identified by their hash, so it will fail the same way; nothing
 * stale is kept). The entry itself lives until its last waiter has read the error.
 * Entries never leave the table otherwise: a module is kept until the cache is freed.
 */
#include "component/comp.h"

#include <pthread.h>

typedef enum entry_state { COMPILING, READY, FAILED } entry_state;

typedef struct entry {
  struct entry *next; /* bucket chain */
  uint8_t sha256[TROUPE_SHA256_BYTES];
  entry_state state;
  troupe_wasm_module *module; /* READY: the cache's reference */
  troupe_err error;           /* FAILED: the compile's error */
  unsigned waiters;           /* gets waiting on this entry (it is freed by the last) */
} entry;

struct trP_cache {
  pthread_mutex_t mu;
  pthread_cond_t done; /* broadcast when any compile finishes: finishes are rare */
  entry **buckets;     /* everything below guarded by mu */
  size_t nbuckets;     /* a power of two */
  size_t nentries;     /* in the table, any state */
  trP_cache_stats stats;
};

/* The hash is already uniform: its first bytes are a fine bucket index. */
static size_t bucket_of(const uint8_t sha[TROUPE_SHA256_BYTES], size_t nbuckets) {
  uint64_t h;
  memcpy(&h, sha, sizeof h);
  return (size_t)(h & (nbuckets - 1));
}

int trP_cache_new(trP_cache **out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "module cache: no output given");
  *out = NULL;
  trP_cache *c = trB_calloc(1, sizeof *c);
  if (c) {
    c->nbuckets = 16;
    c->buckets = trB_calloc(c->nbuckets, sizeof *c->buckets);
  }
  if (!c || !c->buckets) {
    free(c);
    return troupe_err_set(err, TROUPE_E_NOMEM, "module cache: out of memory");
  }
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->done, NULL);
  *out = c;
  return TROUPE_OK;
}

/* No get may be in flight (the owner frees the cache after its workers have stopped),
 * so every entry is READY. */
void trP_cache_free(trP_cache *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->nbuckets; i++) {
    for (entry *e = c->buckets[i], *next; e; e = next) {
      next = e->next;
      troupe_wasm_module_free(e->module);
      free(e);
    }
  }
  free(c->buckets);
  pthread_cond_destroy(&c->done);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

static entry **slot_of(trP_cache *c, const uint8_t sha[TROUPE_SHA256_BYTES]) {
  entry **p = &c->buckets[bucket_of(sha, c->nbuckets)];
  while (*p && memcmp((*p)->sha256, sha, TROUPE_SHA256_BYTES) != 0)
    p = &(*p)->next;
  return p;
}

/* Double the buckets at load 1. Best effort: without memory the chains just get longer. */
static void maybe_grow(trP_cache *c) {
  if (c->nentries < c->nbuckets || c->nbuckets > SIZE_MAX / 4)
    return;
  size_t n = c->nbuckets * 2;
  entry **b = trB_calloc(n, sizeof *b);
  if (!b)
    return;
  for (size_t i = 0; i < c->nbuckets; i++) {
    for (entry *e = c->buckets[i], *next; e; e = next) {
      next = e->next;
      size_t j = bucket_of(e->sha256, n);
      e->next = b[j];
      b[j] = e;
    }
  }
  free(c->buckets);
  c->buckets = b;
  c->nbuckets = n;
}

/* Wait for e's compile to finish, then take its result. Called and returns with mu held. */
static int await(trP_cache *c, entry *e, troupe_wasm_module **out, troupe_err *err) {
  e->waiters++;
  while (e->state == COMPILING)
    pthread_cond_wait(&c->done, &c->mu);
  e->waiters--;
  if (e->state == READY) {
    c->stats.hits++;
    *out = troupe_wasm_module_ref(e->module);
    return TROUPE_OK;
  }
  /* FAILED: already out of the table; the last reader frees it. */
  int rc = e->error.code;
  if (err)
    *err = e->error;
  if (e->waiters == 0)
    free(e);
  return rc;
}

/* Compile for a new entry (mu not held), then publish the result (mu taken here). */
static int compile(trP_cache *c, entry *e, const uint8_t *bytes, size_t len,
                   troupe_wasm_module **out, troupe_err *err) {
  troupe_wasm_module *m = NULL;
  troupe_err cerr;
  troupe_err_clear(&cerr);
  int rc = troupe_wasm_module_new(bytes, len, &m, &cerr);
  if (rc != TROUPE_OK && (cerr.code != rc || !cerr.msg[0]))
    troupe_err_set(&cerr, rc, "module compilation failed: %s", troupe_strerror(rc));
  if (rc == TROUPE_OK)
    *out = troupe_wasm_module_ref(m); /* the caller's; m itself is the cache's */

  pthread_mutex_lock(&c->mu);
  if (rc == TROUPE_OK) {
    e->module = m;
    e->state = READY;
    c->stats.modules++;
  } else {
    e->error = cerr;
    e->state = FAILED;
    c->stats.compile_failures++;
    *slot_of(c, e->sha256) = e->next; /* e is in the table: its slot is found */
    c->nentries--;
  }
  pthread_cond_broadcast(&c->done);
  bool free_now = rc != TROUPE_OK && e->waiters == 0;
  pthread_mutex_unlock(&c->mu);
  if (rc != TROUPE_OK) {
    if (err)
      *err = cerr;
    if (free_now)
      free(e);
  }
  return rc;
}

int trP_cache_get_hashed(trP_cache *c, const uint8_t sha256[TROUPE_SHA256_BYTES],
                         const uint8_t *bytes, size_t len, troupe_wasm_module **out,
                         troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "module cache: no output given");
  *out = NULL;
  if (!c || !sha256 || (!bytes && len))
    return troupe_err_set(err, TROUPE_E_INVAL, "module cache: missing cache, hash or bytes");

  pthread_mutex_lock(&c->mu);
  entry **slot = slot_of(c, sha256);
  entry *e = *slot;
  if (e && e->state == READY) {
    c->stats.hits++;
    *out = troupe_wasm_module_ref(e->module);
    pthread_mutex_unlock(&c->mu);
    return TROUPE_OK;
  }
  if (e) {
    int rc = await(c, e, out, err);
    pthread_mutex_unlock(&c->mu);
    return rc;
  }
  e = trB_calloc(1, sizeof *e);
  if (!e) {
    pthread_mutex_unlock(&c->mu);
    return troupe_err_set(err, TROUPE_E_NOMEM, "module cache: out of memory");
  }
  memcpy(e->sha256, sha256, TROUPE_SHA256_BYTES);
  e->state = COMPILING;
  *slot = e;
  c->nentries++;
  c->stats.misses++;
  maybe_grow(c);
  pthread_mutex_unlock(&c->mu);
  return compile(c, e, bytes, len, out, err);
}

int trP_cache_lookup(trP_cache *c, const uint8_t sha256[TROUPE_SHA256_BYTES],
                     troupe_wasm_module **out) {
  *out = NULL;
  pthread_mutex_lock(&c->mu);
  entry *e = *slot_of(c, sha256);
  if (e && e->state == READY) {
    c->stats.hits++;
    *out = troupe_wasm_module_ref(e->module);
  }
  pthread_mutex_unlock(&c->mu);
  return *out ? TROUPE_OK : TROUPE_E_NOTFOUND;
}

int trP_cache_get(trP_cache *c, const uint8_t *bytes, size_t len, troupe_wasm_module **out,
                  uint8_t sha256[TROUPE_SHA256_BYTES], troupe_err *err) {
  uint8_t sha[TROUPE_SHA256_BYTES];
  if (out)
    *out = NULL;
  if (!bytes && len)
    return troupe_err_set(err, TROUPE_E_INVAL, "module cache: no bytes");
  troupe_sha256(bytes, len, sha);
  if (sha256)
    memcpy(sha256, sha, TROUPE_SHA256_BYTES);
  return trP_cache_get_hashed(c, sha, bytes, len, out, err);
}

void trP_cache_stats_get(trP_cache *c, trP_cache_stats *out) {
  pthread_mutex_lock(&c->mu);
  *out = c->stats;
  pthread_mutex_unlock(&c->mu);
}
