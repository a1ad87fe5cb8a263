/*
 * base/prewarm.c: the helper thread of prewarm.h and its reserve of 64 KiB chunks.
 *
 * One helper per process, started by the first user and joined by the last. It keeps
 * the reserve at its target and runs the jobs other layers queue (the engine's linear
 * memories prepared for a module, engine/warm.c). The target starts at 1 MiB and
 * doubles, up to 32 MiB, each time a take finds the reserve empty: a burst teaches it
 * how much to keep. What the reserve holds is resident; the last stop unmaps it.
 *
 * Everything is under one mutex: a chunk is taken once per 64 KiB of small objects and
 * a job queued once per batch of memories, far from any hot path.
 */
#include "base/prewarm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older headers lack the name */
#endif

enum {
  TARGET_FIRST = 16, /* 1 MiB */
  TARGET_MAX = 512,  /* 32 MiB */
  BATCH = 16,        /* chunks mapped and touched per round: one mmap, one madvise */
};

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake; /* the helper waits here for work */
  pthread_cond_t done; /* trB_prewarm_cancel waits here for a running job */
  int users;
  bool running, stop;
  pthread_t thread;
  void *reserve[TARGET_MAX];
  size_t n, target;
  trB_prewarm_job *head, *tail, *current;
  _Atomic bool active; /* running, readable without the lock (relaxed: a hint) */
} g = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .target = TARGET_FIRST,
};

static size_t page_size(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096;
}

static void *map_fresh(size_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void trB_prewarm_touch(void *p, size_t len) {
  size_t page = page_size();
  /* Populating first halves the writes' cost (0.7 + 4.1 us a page instead of 10); a
   * kernel without MADV_POPULATE_WRITE refuses and the writes fault the pages in. */
  (void)madvise(p, len, MADV_POPULATE_WRITE);
  for (size_t off = 0; off < len; off += page)
    ((volatile char *)p)[off] = 0;
}

static void *helper(void *arg) {
  (void)arg;
  (void)pthread_setname_np(pthread_self(), "troupe-prewarm");
  pthread_mutex_lock(&g.mu);
  while (!g.stop) {
    trB_prewarm_job *job = g.head;
    if (job) {
      g.head = job->next;
      if (!g.head)
        g.tail = NULL;
      job->next = NULL;
      job->queued = false;
      g.current = job;
      pthread_mutex_unlock(&g.mu);
      job->fn(job->arg);
      pthread_mutex_lock(&g.mu);
      g.current = NULL;
      pthread_cond_broadcast(&g.done);
      continue;
    }
    if (g.n < g.target) {
      size_t k = TR_MIN(g.target - g.n, (size_t)BATCH);
      pthread_mutex_unlock(&g.mu);
      char *region = map_fresh(k * TRB_CHUNK);
      if (region)
        trB_prewarm_touch(region, k * TRB_CHUNK);
      pthread_mutex_lock(&g.mu);
      if (!region) { /* short of memory: stop filling until a take asks again */
        g.target = g.n;
        continue;
      }
      for (size_t i = 0; i < k; i++) {
        if (g.n < TARGET_MAX)
          g.reserve[g.n++] = region + i * TRB_CHUNK;
        else
          munmap(region + i * TRB_CHUNK, TRB_CHUNK);
      }
      continue;
    }
    pthread_cond_wait(&g.wake, &g.mu);
  }
  pthread_mutex_unlock(&g.mu);
  return NULL;
}

int trB_prewarm_start(void) {
  pthread_mutex_lock(&g.mu);
  int rc = 0;
  if (g.users++ == 0) {
    g.stop = false;
    g.target = TARGET_FIRST;
    rc = pthread_create(&g.thread, NULL, helper, NULL);
    g.running = rc == 0;
    atomic_store_explicit(&g.active, g.running, memory_order_relaxed);
    if (rc)
      g.users = 0;
  }
  pthread_mutex_unlock(&g.mu);
  return rc;
}

void trB_prewarm_stop(void) {
  pthread_mutex_lock(&g.mu);
  if (g.users == 0 || --g.users > 0) {
    pthread_mutex_unlock(&g.mu);
    return;
  }
  g.stop = true;
  atomic_store_explicit(&g.active, false, memory_order_relaxed);
  pthread_cond_signal(&g.wake);
  pthread_t t = g.thread;
  pthread_mutex_unlock(&g.mu);
  pthread_join(t, NULL);
  pthread_mutex_lock(&g.mu);
  g.running = false;
  for (trB_prewarm_job *j = g.head; j; j = j->next)
    j->queued = false; /* their owners cancel them; nothing will run them now */
  g.head = g.tail = NULL;
  size_t n = g.n;
  g.n = 0;
  void *drop[TARGET_MAX];
  memcpy(drop, g.reserve, n * sizeof *drop);
  pthread_mutex_unlock(&g.mu);
  for (size_t i = 0; i < n; i++)
    munmap(drop[i], TRB_CHUNK);
}

void *trB_chunk_take(void) {
  void *p = NULL;
  pthread_mutex_lock(&g.mu);
  if (g.n)
    p = g.reserve[--g.n];
  else if (g.running)
    g.target = TR_MIN(g.target * 2, (size_t)TARGET_MAX);
  if (g.running && g.n < g.target / 2)
    pthread_cond_signal(&g.wake);
  pthread_mutex_unlock(&g.mu);
  if (!p && (p = map_fresh(TRB_CHUNK)))
    (void)madvise(p, TRB_CHUNK, MADV_POPULATE_WRITE);
  return p;
}

bool trB_prewarm_want(trB_prewarm_job *job) {
  pthread_mutex_lock(&g.mu);
  bool ok = g.running && !g.stop;
  if (ok && !job->queued) {
    job->queued = true;
    job->next = NULL;
    if (g.tail)
      g.tail->next = job;
    else
      g.head = job;
    g.tail = job;
    pthread_cond_signal(&g.wake);
  }
  pthread_mutex_unlock(&g.mu);
  return ok;
}

void trB_prewarm_cancel(trB_prewarm_job *job) {
  pthread_mutex_lock(&g.mu);
  if (job->queued) {
    trB_prewarm_job **pp = &g.head, *prev = NULL;
    while (*pp && *pp != job) {
      prev = *pp;
      pp = &(*pp)->next;
    }
    if (*pp) {
      *pp = job->next;
      if (g.tail == job)
        g.tail = prev;
    }
    job->queued = false;
    job->next = NULL;
  }
  while (g.current == job)
    pthread_cond_wait(&g.done, &g.mu);
  pthread_mutex_unlock(&g.mu);
}

bool trB_prewarm_running(void) {
  return atomic_load_explicit(&g.active, memory_order_relaxed);
}

size_t trB_prewarm_reserve_chunks(void) {
  pthread_mutex_lock(&g.mu);
  size_t n = g.n;
  pthread_mutex_unlock(&g.mu);
  return n;
}
