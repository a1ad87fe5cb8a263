/*
 * actor/sched.c: the M:N scheduler. Worker threads each own a run queue (deque.c); an
 * actor whose mailbox goes from empty to non-empty is scheduled by its sender (on the
 * sender's own queue, or the runtime's inject queue from non-worker threads). Idle
 * workers steal, spin briefly, then park on a futex until woken or their next timer is
 * due, so an idle runtime uses no CPU. See docs/ACTORS.md for the wake-up handshake.
 */
#include "actor/core.h"
#include "base/idle.h"

#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Thread_local trA_worker *trA_tls_worker;
_Thread_local troupe_actor *trA_tls_inline;
_Thread_local uint64_t trA_tls_inline_now;

uint64_t *trA_cached_clock(troupe_runtime *rt) {
  trA_worker *w = trA_worker_of(rt);
  if (w)
    return &w->now;
  return trA_tls_inline && trA_tls_inline->rt == rt ? &trA_tls_inline_now : NULL;
}

uint64_t trA_now(troupe_runtime *rt) {
  uint64_t *c = trA_cached_clock(rt);
  return c ? *c : troupe_clock_mono_ns();
}

/* A turn run by an outside thread (trA_run_inline) counts as the actor's: its handler
 * sees itself as the running actor and is refused the blocking calls, as on a worker;
 * only the worker's own structures (queues, node caches, timers) are not there. */
troupe_runtime *trA_current_runtime(void) {
  return trA_tls_worker ? trA_tls_worker->rt : trA_tls_inline ? trA_tls_inline->rt : NULL;
}
troupe_actor *trA_current_actor(void) {
  return trA_tls_worker ? trA_tls_worker->current : trA_tls_inline;
}
bool trA_on_worker(troupe_runtime *rt) {
  return trA_worker_of(rt) != NULL || (trA_tls_inline && trA_tls_inline->rt == rt);
}


/* ---- futex ---------------------------------------------------------------------- */
static void futex_wait(_Atomic uint32_t *addr, uint32_t expect, uint64_t timeout_ns) {
  struct timespec ts, *tp = NULL;
  if (timeout_ns != UINT64_MAX) {
    ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
    ts.tv_nsec = (long)(timeout_ns % 1000000000u);
    tp = &ts;
  }
  syscall(SYS_futex, (uint32_t *)(void *)addr, FUTEX_WAIT_PRIVATE, expect, tp, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr, int n) {
  syscall(SYS_futex, (uint32_t *)(void *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/*
 * Wake-up handshake (no lost wake-ups): a parking worker increments `sleepers` and then
 * looks for work once more; a thread that made work available then reads `sleepers`.
 * All four accesses are seq_cst, so at least one side sees the other. The sleeper waits
 * on the futex word `wake_epoch` with the value it read before counting itself, so an
 * epoch bump in between makes the wait return at once. `wake_pending` collapses a burst
 * of wake requests into one syscall; a worker clears it when it enters park (after
 * counting itself, before its last look for work) and when it leaves.
 */
static _Atomic bool *wake_pending(troupe_runtime *rt) { return &rt->wake_pending; }

/*
 * Deferred wake-ups. An embedder's thread that asks and then spins for the answer
 * usually hands its question to a worker that is just finishing a turn (the one that
 * answered its previous question) and will look at the inject queue a few hundred
 * nanoseconds later, but is not yet counted as spinning. Waking a parked worker for it
 * costs a futex syscall on the asker's path, and the woken worker then competes for a
 * CPU with the two threads doing the work. So the asker defers: if its answer has not
 * come within TRA_WAKE_GRACE_NS it wakes a worker itself, and always before it sleeps.
 * A/B against the same build without deferring (2 workers, the VM's slower mode):
 * invoke_us_median 3.4-3.7 -> 2.1-2.6 us, invoke_us_p99 24-74 -> 2.9-3.4 us;
 * ask_external_rtt_us (bench-actor) unchanged, 1.9-2.4 us.
 */
static _Thread_local troupe_runtime *tls_defer_rt;
static _Thread_local bool tls_defer_owed, tls_defer_woke;

void trA_wake_defer(troupe_runtime *rt) {
  tls_defer_rt = rt;
  tls_defer_owed = false;
  tls_defer_woke = false;
}

bool trA_wake_undefer(bool *woke) {
  tls_defer_rt = NULL;
  *woke = tls_defer_woke;
  return tls_defer_owed;
}

void trA_wake(troupe_runtime *rt, bool force) {
  /* Deferred only while some worker is up (running a turn, or about to park) to find
   * the work: when every one of them sleeps, waiting out the grace period is pure delay. */
  if (TR_UNLIKELY(tls_defer_rt == rt) && !force) {
    if (atomic_load_explicit(&rt->sleepers, memory_order_seq_cst) < (int32_t)rt->nworkers) {
      tls_defer_owed = true;
      return;
    }
    tls_defer_woke = true;
  }
  /* A spinning worker will find the work (see "Idle spinners" below); a forced wake (a
   * timer for the parked workers' heaps) does not count on it. */
  if (!force && atomic_load_explicit(&rt->spinning, memory_order_seq_cst) > 0)
    return;
  if (atomic_load_explicit(&rt->sleepers, memory_order_seq_cst) <= 0)
    return;
  if (!force && atomic_exchange_explicit(wake_pending(rt), true, memory_order_seq_cst))
    return;
  if (force)
    atomic_store_explicit(wake_pending(rt), true, memory_order_seq_cst);
  atomic_fetch_add_explicit(&rt->wake_epoch, 1, memory_order_seq_cst);
  futex_wake(&rt->wake_epoch, 1);
}

static void wake_all(troupe_runtime *rt) {
  atomic_fetch_add_explicit(&rt->wake_epoch, 1, memory_order_seq_cst);
  futex_wake(&rt->wake_epoch, INT_MAX);
}

/* ---- scheduling ----------------------------------------------------------------- */
/* The inject queue is the mailbox's intrusive MPSC queue linked through the actor's
 * inj_link (an actor is in it at most once: it holds the run token), so a push from any
 * thread is one exchange, never allocates and cannot fail. Workers are the consumers;
 * a try-lock makes them take turns (a worker that loses just looks elsewhere: the
 * winner is taking the work). inject_pending counts pushes not yet popped. */
static void inject_push(troupe_runtime *rt, troupe_actor *a) {
  trA_mq_push(&rt->inject, &a->inj_link);
  /* seq_cst: part of the sleepers handshake (work published before reading sleepers). */
  atomic_fetch_add_explicit(&rt->inject_pending, 1, memory_order_seq_cst);
}

static troupe_actor *inject_pop(troupe_runtime *rt) {
  /* seq_cst: the parking side of the handshake reads it after counting itself. A pop
   * is only tried after seeing a count, so the count never goes below zero. */
  if (!atomic_load_explicit(&rt->inject_pending, memory_order_seq_cst))
    return NULL;
  /* Acquire / release: the consumer's q->tail (plain) passes from one worker to the next
   * through the try-lock. Relaxed pre-check keeps losers off the cache line's RMW. */
  if (atomic_load_explicit(&rt->inject_busy, memory_order_relaxed) ||
      atomic_exchange_explicit(&rt->inject_busy, 1, memory_order_acquire))
    return NULL;
  trA_link *l = trA_mq_pop(&rt->inject);
  atomic_store_explicit(&rt->inject_busy, 0, memory_order_release);
  if (!l)
    return NULL; /* a pusher is between its exchange and its link: retried later */
  /* Relaxed: a count only; the node itself was published by mq_push/mq_pop. */
  atomic_fetch_sub_explicit(&rt->inject_pending, 1, memory_order_relaxed);
  return (troupe_actor *)(void *)((char *)l - offsetof(troupe_actor, inj_link));
}

static void push_runnable(troupe_runtime *rt, troupe_actor *a) {
  trA_worker *w = trA_worker_of(rt);
  /* Woken by a timer (a timeout, a send_after): it runs before the run queue, so its
   * lateness is the timer's, not a pass over every busy actor's turn (the timer bench
   * row: p50 0.7 ms under load before). Bounded by the timers that fire. */
  if (w && w->in_timers && trA_deque_push(&w->urgent, a) == TROUPE_OK) {
    if (trA_deque_size(&w->urgent) >= 2)
      trA_wake(rt, false);
    return;
  }
  if (w && trA_deque_push(&w->dq, a) == TROUPE_OK) {
    /* The owner runs its queue in order; only surplus work is worth a wake-up (a lone
     * entry is run by this worker next, e.g. the partner of a ping-pong). */
    if (trA_deque_size(&w->dq) >= 2)
      trA_wake(rt, false);
    return;
  }
  inject_push(rt, a);
  trA_wake(rt, false);
}

void trA_handoff(troupe_runtime *rt, troupe_actor *a) { push_runnable(rt, a); }

void trA_schedule(troupe_runtime *rt, troupe_actor *a) {
  /* seq_cst RMW: takes the run token; pairs with the consumer's seq_cst clear and
   * re-check of the lanes (see trA_run_actor's finish). Acquire side: the new runner
   * sees the previous run's writes to the actor. */
  if (atomic_fetch_or_explicit(&a->sched, 1, memory_order_seq_cst) & 1)
    return;
  push_runnable(rt, a);
}

/* The runner keeps the token and puts the actor at the back of its own queue, behind
 * actors that wait in the inject queue (so external senders' actors get turns too). */
void trA_requeue(trA_worker *w, troupe_actor *a) {
  troupe_actor *x;
  for (int i = 0; i < 64 && (x = inject_pop(w->rt)); i++)
    if (trA_deque_push(&w->dq, x) != TROUPE_OK) {
      inject_push(w->rt, x);
      break;
    }
  if (trA_deque_push(&w->dq, a) != TROUPE_OK) {
    inject_push(w->rt, a);
    return;
  }
  if (trA_deque_size(&w->dq) >= 2)
    trA_wake(w->rt, false);
}

/* ---- the worker loop ---------------------------------------------------------- */

/* Looks at a victim's lone queued actor before a thief takes it (a few microseconds of
 * the idle spin; Go's scheduler waits ~3 us before it steals a running P's runnext).
 * A sender schedules its receiver on its own queue and runs it as soon as its turn
 * ends, on a warm cache: stealing that lone actor at once made a chain of messages (a
 * ring, a pipeline) hop between cores at every step, each hop a cross-core miss on
 * the actor, its mailbox and its instance -- bench-component's ring ran at 0.7-1.1M
 * msgs/s on 2 workers against 1.6M on one. Only a turn that goes on (the victim's
 * `turns` unchanged while the thief looks this many times) gives it away; a queue of
 * two or more is stolen from at once, as before. */
#define TRA_LONE_LOOKS 48

static bool leave_lone(trA_worker *w, trA_worker *v) {
  uint32_t t = atomic_load_explicit(&v->turns, memory_order_relaxed);
  if (w->hold_v != v || w->hold_turn != t) {
    w->hold_v = v;
    w->hold_turn = t;
    w->hold_looks = 0;
    return true;
  }
  return ++w->hold_looks < TRA_LONE_LOOKS;
}

static troupe_actor *find_work(trA_worker *w) {
  troupe_runtime *rt = w->rt;
  troupe_actor *a;
  /* Relaxed peek (no call while it is empty, i.e. nearly always); the pop decides. */
  if (atomic_load_explicit(&w->urgent.bottom, memory_order_relaxed) !=
          atomic_load_explicit(&w->urgent.top, memory_order_relaxed) &&
      (a = trA_deque_pop(&w->urgent)))
    return a;
  /* Now and then the inject queue goes first, so it is never starved by local work. */
  if ((++w->tick & 15) == 0 && (a = inject_pop(rt)))
    return a;
  if ((a = trA_deque_pop(&w->dq)))
    return a;
  if ((a = inject_pop(rt))) {
    /* Take a few more along (one lock each, but no contention with the thread that
     * keeps injecting for every single pop); other workers can steal them. */
    troupe_actor *x;
    for (int i = 0; i < 15 && (x = inject_pop(rt)); i++)
      if (trA_deque_push(&w->dq, x) != TROUPE_OK) {
        inject_push(rt, x);
        break;
      }
    return a;
  }
  unsigned n = rt->nworkers;
  if (n > 1) {
    w->rng = w->rng * 6364136223846793005ull + 1442695040888963407ull;
    unsigned start = (unsigned)(w->rng >> 33) % n;
    for (unsigned i = 0; i < n; i++) {
      trA_worker *v = &rt->workers[(start + i) % n];
      if (v == w)
        continue;
      if ((a = trA_deque_pop(&v->urgent))) {
        TRA_COUNT(rt, steals, 1);
        return a;
      }
      int64_t queued = trA_deque_size(&v->dq);
      if (queued <= 0 || (queued == 1 && leave_lone(w, v)))
        continue;
      if ((a = trA_deque_pop(&v->dq))) {
        TRA_COUNT(rt, steals, 1);
        return a;
      }
    }
  }
  return NULL;
}

/* Work this worker could take: the inject queue, injected timers, its own queues and
 * the other workers' queues -- all of them when `lone` (a spinner: it steals a lone
 * queued actor after a while), else only those holding two or more, the surplus a
 * waker asks a worker for (trA_wake at size >= 2): a worker that may not spin parks
 * beside another worker's single next actor, which that worker runs itself (see "Idle
 * spinners"), but not beside surplus whose wake-up a spinner that has since left made
 * the waker skip. */
static bool any_work(trA_worker *w, bool lone) {
  troupe_runtime *rt = w->rt;
  if (atomic_load_explicit(&rt->quit, memory_order_seq_cst) ||
      atomic_load_explicit(&rt->inject_pending, memory_order_seq_cst) ||
      atomic_load_explicit(&rt->timers_injected, memory_order_seq_cst))
    return true;
  if (trA_deque_size(&w->dq) > 0 || trA_deque_size(&w->urgent) > 0)
    return true;
  int64_t enough = lone ? 1 : 2;
  for (unsigned i = 0; i < rt->nworkers; i++)
    if (trA_deque_size(&rt->workers[i].dq) >= enough ||
        trA_deque_size(&rt->workers[i].urgent) >= enough)
      return true;
  return false;
}

/* The park figures of troupe_runtime_worker_stats: when this park began (0: awake) and
 * the time asleep before it, changed together under a sequence count (a seqlock: odd
 * while the owner writes) so that a reader never sees a park both finished and under
 * way -- the sum it reports must never go back. */
static void park_note(trA_worker *w, uint64_t since, uint64_t slept) {
  uint32_t s = atomic_load_explicit(&w->park_seq, memory_order_relaxed);
  atomic_store_explicit(&w->park_seq, s + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release); /* the odd count before the new values */
  atomic_store_explicit(&w->park_since, since, memory_order_relaxed);
  if (slept)
    atomic_store_explicit(&w->parked_ns,
                          atomic_load_explicit(&w->parked_ns, memory_order_relaxed) + slept,
                          memory_order_relaxed);
  atomic_store_explicit(&w->park_seq, s + 2, memory_order_release); /* the values first */
}

static void park(trA_worker *w, bool lone) {
  troupe_runtime *rt = w->rt;
  uint32_t epoch = atomic_load_explicit(&rt->wake_epoch, memory_order_seq_cst);
  atomic_fetch_add_explicit(&rt->sleepers, 1, memory_order_seq_cst);
  /* Clear a wake-up request nobody consumed (its waker found this worker counted in
   * `sleepers` just as it left park): a waker that sees the flag set after this point
   * published its work before we look for work below. */
  atomic_store_explicit(wake_pending(rt), false, memory_order_seq_cst);
  if (!any_work(w, lone)) {
    uint64_t now = troupe_clock_mono_ns();
    /* Also the soon timers of the others: a preempted worker's are fired by us. */
    uint64_t dl = trA_timers_next_any(w);
    if (dl > now) {
      TRA_COUNT(rt, parks, 1);
      bool note = !rt->cfg.no_metrics;
      if (note)
        park_note(w, now, 0);
      futex_wait(&rt->wake_epoch, epoch, dl == UINT64_MAX ? UINT64_MAX : dl - now);
      if (note) {
        uint64_t up = troupe_clock_mono_ns(); /* one more read, on a path that slept */
        park_note(w, 0, up > now ? up - now : 0);
      }
    }
  } else if (atomic_load_explicit(&rt->inject_pending, memory_order_relaxed)) {
    /* A whole spin found no work although the inject queue counts some: a pusher was
     * preempted between its exchange and its link store (the queue is blocked behind
     * it until it runs again), or another worker holds the consumer try-lock. Give the
     * CPU away instead of spinning against that thread on a loaded machine. */
    sched_yield();
  }
  atomic_fetch_sub_explicit(&rt->sleepers, 1, memory_order_seq_cst);
  atomic_store_explicit(wake_pending(rt), false, memory_order_seq_cst);
}

/*
 * Idle spinners. A worker that finds no work spins a while before it parks, to catch
 * work about to come without a futex round trip -- but past its first TRA_PRESPIN looks
 * only max_spinning workers at a time (1 for up to 4 workers) go on; the others park.
 * Every spinner is a thread that wants a CPU: on 2 cores, two idle workers spinning
 * beside the embedder's thread waiting for an invoke's answer made each hand-off a
 * time-slice lottery (a raw ping-pong between two threads costs 0.43 us here, 1.9 us
 * with a third thread spinning beside them; invoke_us_p99 was 39 us, now 1; the figures
 * of the A/B are in docs/ACTORS.md).
 *
 * As in Go's scheduler, a waker skips the wake-up while a worker spins (trA_wake), and
 * a spinner that stops spinning to run work it found wakes a sleeper if work is left
 * over: it decrements `spinning` (seq_cst) and then looks (any_work, seq_cst loads); a
 * waker published its work (a seq_cst RMW) before it read `spinning`, so either the
 * waker saw no spinner and woke someone itself, or the spinner's look sees the work.
 * A spinner that gives up goes through park(), whose look comes after its decrement.
 */
#define TRA_PRESPIN 128u /* ~3-6 us of pauses */
#define TRA_IDLE_WORK 16u /* ~0.5 us of pauses: idle work after that many empty looks */

static bool spin_begin(troupe_runtime *rt) {
  int32_t n = atomic_load_explicit(&rt->spinning, memory_order_relaxed);
  while (n < rt->max_spinning)
    if (atomic_compare_exchange_weak_explicit(&rt->spinning, &n, n + 1, memory_order_seq_cst,
                                              memory_order_relaxed))
      return true;
  return false;
}

static void spin_end(trA_worker *w, bool found) {
  troupe_runtime *rt = w->rt;
  if (atomic_fetch_sub_explicit(&rt->spinning, 1, memory_order_seq_cst) == 1 && found &&
      any_work(w, true))
    trA_wake(rt, false);
}

static void *worker_main(void *arg) {
  trA_worker *w = arg;
  troupe_runtime *rt = w->rt;
  trA_tls_worker = w;
  trB_idle_runner_enter();
  unsigned idle = 0;
  bool spinning = false; /* counted in rt->spinning */
  bool fresh = true; /* `now` was read this iteration: look at the others' timers too */
  /* Acquire: see everything stop did before raising the flag. */
  w->now = troupe_clock_mono_ns();
  while (!atomic_load_explicit(&rt->quit, memory_order_acquire)) {
    /* Reading the clock costs as much as a short message here (a VM's vDSO): refresh
     * it every 8 turns or 16 messages, and when a timer may be due. Timestamps and
     * timer checks are then at most a few short handler calls stale (a long turn is
     * cut when a timer is due: trA_run_actor). */
    if (idle == 0 ? ((w->tick & 7) == 0 || w->since_clock >= 16 ||
                     trA_timers_next_any(w) <= w->now + TROUPE_MS(1))
                  : ((idle & 63) == 0 && trA_timers_next_any(w) <= w->now + TROUPE_MS(1))) {
      /* Idle spin: no clock reads unless a timer is close (then one every 64 spins,
       * i.e. a few microseconds late at most); park reads it before sleeping. */
      w->now = troupe_clock_mono_ns();
      w->since_clock = 0;
      fresh = true;
    }
    /* Relaxed hint: adopt_injected takes the lock and re-checks. */
    if (atomic_load_explicit(&rt->timers_injected, memory_order_relaxed))
      trA_timers_adopt_injected(w);
    trA_timers_run(w, fresh);
    fresh = false;
    troupe_actor *a = find_work(w);
    if (a) {
      if (spinning) {
        spinning = false;
        spin_end(w, true);
      }
      idle = 0;
      trA_run_actor(w, a);
      continue;
    }
    /* Past the first looks, deferred work of the layers below (base/idle.h: a freed
     * linear memory to zero) before more spinning; a step is a few microseconds, and
     * the looks start again after it. Not by a counted spinner: wakers skip their
     * wake-up while one spins, so its work would wait for the step to end. */
    if (!spinning && idle == TRA_IDLE_WORK && trB_idle_run()) {
      idle = 0;
      continue;
    }
    /* The first TRA_PRESPIN looks after a turn are not counted as spinning: the next
     * piece of work often comes that soon (an embedder's next question, after the
     * answer this turn gave), and counting in and out would put two RMWs on a line
     * that every waker reads on each hand-off's path. */
    if (!spinning && idle == TRA_PRESPIN)
      spinning = spin_begin(rt);
    if ((idle < TRA_PRESPIN || spinning) && ++idle < 1024) { /* ~10-50 us in all */
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      continue;
    }
    idle = 0;
    bool spun = spinning;
    if (spinning) {
      spinning = false;
      spin_end(w, false);
    }
    park(w, spun);
    /* Woken (or not allowed to sleep): a counted spinner from here, if there is room,
     * so that when it finds work it passes a wake-up on for what is left, as Go's woken
     * M does -- a burst fans out one worker at a time instead of stopping at one. */
    spinning = spin_begin(rt);
    w->now = troupe_clock_mono_ns();
    w->since_clock = 0;
    fresh = true;
  }
  if (spinning) /* keep the count true at quit */
    spin_end(w, false);
  trB_idle_runner_leave();
  trA_tls_worker = NULL;
  return NULL;
}

int trA_workers_start(troupe_runtime *rt) {
  rt->max_spinning = (int32_t)((rt->nworkers + 3) / 4);
  for (unsigned i = 0; i < rt->nworkers; i++) {
    trA_worker *w = &rt->workers[i];
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      atomic_store_explicit(&rt->quit, true, memory_order_release);
      wake_all(rt);
      for (unsigned j = 0; j < i; j++)
        pthread_join(rt->workers[j].thread, NULL);
      return TROUPE_E_NOMEM;
    }
  }
  return TROUPE_OK;
}

void trA_workers_join(troupe_runtime *rt) {
  atomic_store_explicit(&rt->quit, true, memory_order_release);
  wake_all(rt);
  for (unsigned i = 0; i < rt->nworkers; i++)
    pthread_join(rt->workers[i].thread, NULL);
}
