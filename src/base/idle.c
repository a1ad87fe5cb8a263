/*
 * base/idle.c: the registry of idle.h. Jobs are added once per process and never
 * removed, so the runner reads the table without a lock: a slot is published by a
 * release store of the count after the pointer is written.
 */
#include "base/idle.h"

#include <pthread.h>
#include <stdatomic.h>

static struct {
  pthread_mutex_t add; /* serialises trB_idle_add */
  trB_idle_job jobs[TRB_IDLE_JOBS];
  _Atomic int njobs;
  _Atomic int runners;
} g = {.add = PTHREAD_MUTEX_INITIALIZER};

bool trB_idle_add(trB_idle_job job) {
  bool ok = true;
  pthread_mutex_lock(&g.add);
  int n = atomic_load_explicit(&g.njobs, memory_order_relaxed);
  for (int i = 0; i < n; i++)
    if (g.jobs[i] == job)
      goto out;
  if (n == TRB_IDLE_JOBS) {
    ok = false;
    goto out;
  }
  g.jobs[n] = job;
  /* Release: a runner that sees the count sees the slot. */
  atomic_store_explicit(&g.njobs, n + 1, memory_order_release);
out:
  pthread_mutex_unlock(&g.add);
  return ok;
}

/* Relaxed: the count is a hint for whether deferring is worth it; what a deferred
 * piece of work needs for its safety is the deferring layer's own lock. */
void trB_idle_runner_enter(void) {
  atomic_fetch_add_explicit(&g.runners, 1, memory_order_relaxed);
}

void trB_idle_runner_leave(void) {
  /* The last runner does what waits before it goes, so that deferred work does not sit
   * until someone happens to need its result (a memory given back in the same instant
   * may still wait: its result is reachable without a runner, which is the rule). */
  if (atomic_fetch_sub_explicit(&g.runners, 1, memory_order_relaxed) == 1)
    while (trB_idle_run())
      ;
}

int trB_idle_runners(void) {
  return atomic_load_explicit(&g.runners, memory_order_relaxed);
}

bool trB_idle_run(void) {
  int n = atomic_load_explicit(&g.njobs, memory_order_acquire);
  for (int i = 0; i < n; i++)
    if (g.jobs[i]())
      return true;
  return false;
}
