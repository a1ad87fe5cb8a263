/*
 * actor/runtime.c: creating, stopping and freeing a runtime, its statistics, and the
 * hooks other parts of the layer use (extension slots, stop hooks). Stop follows OTP's
 * order: root actors get exit(shutdown) one at a time, newest first, and are killed
 * after the shutdown timeout; supervisors among them stop their own children first.
 */
#include "actor/core.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void troupe_runtime_config_init(troupe_runtime_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
}

static unsigned default_workers(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n <= 0 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}

int troupe_runtime_new(const troupe_runtime_config *cfg, troupe_runtime **out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "runtime: out is NULL");
  *out = NULL;
  troupe_runtime *rt = trB_calloc(1, sizeof *rt);
  if (!rt)
    return troupe_err_set(err, TROUPE_E_NOMEM, "runtime: out of memory");
  if (cfg)
    rt->cfg = *cfg;
  if (!rt->cfg.workers)
    rt->cfg.workers = default_workers();
  if (rt->cfg.workers > 1024) {
    unsigned n = rt->cfg.workers;
    free(rt);
    return troupe_err_set(err, TROUPE_E_RANGE, "runtime: %u workers (max 1024)", n);
  }
  if (!rt->cfg.batch)
    rt->cfg.batch = 64;
  if (!rt->cfg.shutdown_timeout_ns)
    rt->cfg.shutdown_timeout_ns = TROUPE_SEC(5);
  rt->nworkers = rt->cfg.workers;
  trA_slots_init(rt);
  trA_asks_init(rt);
  trA_spaces_init(rt);
  trA_names_init(rt);
  pthread_mutex_init(&rt->inject_lock, NULL);
  trA_mq_init(&rt->inject);
  pthread_mutex_init(&rt->depot_lock, NULL);
  pthread_mutex_init(&rt->hooks_lock, NULL);
  pthread_mutex_init(&rt->stop_lock, NULL);
  rt->workers = trB_calloc(rt->nworkers, sizeof *rt->workers);
  if (!rt->workers)
    goto nomem;
  for (unsigned i = 0; i < rt->nworkers; i++) {
    trA_worker *w = &rt->workers[i];
    w->rt = rt;
    w->index = i;
    w->rng = 0x9e3779b97f4a7c15ull * (i + 1);
    trA_timers_init(w);
  }
  for (unsigned i = 0; i < rt->nworkers; i++) /* after every lock exists: free needs them */
    if (trA_deque_init(&rt->workers[i].dq, 256) || trA_deque_init(&rt->workers[i].urgent, 64))
      goto nomem;
  if (trA_workers_start(rt)) {
    rt->workers_joined = true;
    troupe_runtime_free(rt);
    return troupe_err_set(err, TROUPE_E_NOMEM, "runtime: cannot start worker threads");
  }
  *out = rt;
  return TROUPE_OK;
nomem:
  rt->workers_joined = true;
  atomic_store_explicit(&rt->state, TRA_RT_STOPPED, memory_order_relaxed);
  troupe_runtime_free(rt);
  return troupe_err_set(err, TROUPE_E_NOMEM, "runtime: out of memory");
}

unsigned troupe_runtime_workers(const troupe_runtime *rt) { return rt ? rt->nworkers : 0; }


void *trA_runtime_ext(troupe_runtime *rt, trA_ext_slot slot) {
  return (unsigned)slot < TRA_EXT_COUNT ? atomic_load_explicit(&rt->ext[slot], memory_order_acquire)
                                        : NULL;
}

void trA_runtime_set_ext(troupe_runtime *rt, trA_ext_slot slot, void *p) {
  if ((unsigned)slot < TRA_EXT_COUNT) /* release: the object's setup is visible */
    atomic_store_explicit(&rt->ext[slot], p, memory_order_release);
}

int trA_runtime_on_stop(troupe_runtime *rt, trA_stop_fn fn, void *user) {
  if (!rt || !fn)
    return TROUPE_E_INVAL;
  pthread_mutex_lock(&rt->hooks_lock);
  trA_hook *v = trB_realloc_array(rt->hooks, rt->nhooks + 1, sizeof *v);
  if (v) {
    rt->hooks = v;
    rt->hooks[rt->nhooks++] = (trA_hook){fn, user};
  }
  pthread_mutex_unlock(&rt->hooks_lock);
  return v ? TROUPE_OK : TROUPE_E_NOMEM;
}

/* Add (fn, user) to a hook table (with `once`, unless it is there already); RANGE when
 * full. */
static int add_hook(troupe_runtime *rt, trA_xhook *v, _Atomic uint32_t *count, uint32_t max,
                    void (*fn)(void), void *user, bool once) {
  int rc = TROUPE_E_RANGE;
  pthread_mutex_lock(&rt->hooks_lock);
  uint32_t n = atomic_load_explicit(count, memory_order_relaxed);
  for (uint32_t i = 0; once && i < n && rc; i++)
    if (v[i].fn == fn && v[i].user == user)
      rc = TROUPE_OK;
  if (rc && n < max) {
    v[n] = (trA_xhook){fn, user};
    /* Release: whoever runs the hooks and sees the new count (acquire) sees the entry. */
    atomic_store_explicit(count, n + 1, memory_order_release);
    rc = TROUPE_OK;
  }
  pthread_mutex_unlock(&rt->hooks_lock);
  return rc;
}

int trA_runtime_on_exit(troupe_runtime *rt, trA_exit_fn fn, void *user) {
  if (!rt || !fn)
    return TROUPE_E_INVAL;
  return add_hook(rt, rt->exit_hooks, &rt->nexit_hooks, TRA_EXIT_HOOKS_MAX, (void (*)(void))fn,
                  user, false);
}

int trA_runtime_on_drop(troupe_runtime *rt, trA_drop_fn fn, void *user) {
  if (!rt || !fn)
    return TROUPE_E_INVAL;
  return add_hook(rt, rt->drop_hooks, &rt->ndrop_hooks, TRA_DROP_HOOKS_MAX, (void (*)(void))fn,
                  user, true);
}

void troupe_runtime_stats_get(troupe_runtime *rt, troupe_runtime_stats *out) {
  memset(out, 0, sizeof *out);
  if (!rt)
    return;
#define TRA_X_SUM(n)                                                                          \
  out->n = atomic_load_explicit(&rt->ext_c.n, memory_order_relaxed);                         \
  for (unsigned i = 0; i < rt->nworkers; i++)                                                 \
    out->n += atomic_load_explicit(&rt->workers[i].c.n, memory_order_relaxed);
  TRA_COUNTERS(TRA_X_SUM)
#undef TRA_X_SUM
  out->live = atomic_load_explicit(&rt->live, memory_order_relaxed);
}

unsigned troupe_runtime_worker_stats(troupe_runtime *rt, troupe_worker_stats *out, unsigned cap) {
  if (!rt)
    return 0;
  for (unsigned i = 0; i < rt->nworkers && i < cap; i++) {
    trA_worker *w = &rt->workers[i];
    uint64_t since, parked;
    uint32_t s1, s2;
    unsigned tries = 0;
    do { /* the reader's side of sched.c's park_note */
      if (++tries % 64 == 0)
        sched_yield(); /* the owner was preempted in the middle of its note */
      s1 = atomic_load_explicit(&w->park_seq, memory_order_acquire);
      since = atomic_load_explicit(&w->park_since, memory_order_relaxed);
      parked = atomic_load_explicit(&w->parked_ns, memory_order_relaxed);
      atomic_thread_fence(memory_order_acquire);
      s2 = atomic_load_explicit(&w->park_seq, memory_order_relaxed);
    } while ((s1 & 1) || s1 != s2);
    uint64_t now = troupe_clock_mono_ns();
    out[i].parked = since != 0;
    /* A park under way counts up to now: the figure grows while the worker sleeps. */
    /* A park under way counts up to now by the reader's clock, which can run a few ns
     * past the owner's at the park's end: the highest value any reader got is kept, so
     * the figure never goes back (a Prometheus counter must not). */
    uint64_t v = parked + (since && now > since ? now - since : 0);
    uint64_t seen = atomic_load_explicit(&w->parked_seen, memory_order_relaxed);
    while (v > seen && !atomic_compare_exchange_weak_explicit(&w->parked_seen, &seen, v,
                                                              memory_order_relaxed,
                                                              memory_order_relaxed))
      ;
    out[i].parked_ns = v > seen ? v : seen;
    out[i].queued = (uint32_t)(trA_deque_size(&w->dq) + trA_deque_size(&w->urgent));
  }
  return rt->nworkers;
}

/* ---- stop ----------------------------------------------------------------------- */
/* Wait until an actor's death is complete (its slot freed, not merely marked dead):
 * each death bumps exit_epoch while someone waits here. */
static bool wait_dead(troupe_runtime *rt, troupe_actor_id id, uint64_t timeout_ns) {
  uint64_t deadline = timeout_ns == TROUPE_INFINITY ? UINT64_MAX
                                                    : troupe_clock_mono_ns() + timeout_ns;
  bool ok = true;
  /* Most exits take microseconds: poll briefly before involving the futex. */
  for (int i = 0; i < 200; i++) {
    if (!trA_slot_in_use(rt, id))
      return true;
    if (i > 20)
      sched_yield();
  }
  atomic_fetch_add_explicit(&rt->exit_waiters, 1, memory_order_seq_cst);
  for (;;) {
    uint32_t e = atomic_load_explicit(&rt->exit_epoch, memory_order_seq_cst);
    if (!trA_slot_in_use(rt, id))
      break;
    uint64_t now = troupe_clock_mono_ns();
    if (now >= deadline) {
      ok = false;
      break;
    }
    uint64_t left = deadline - now;
    if (left > TROUPE_MS(10)) /* bounded naps: robust even if a wake-up were missed */
      left = TROUPE_MS(10);
    struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
    syscall(SYS_futex, (uint32_t *)(void *)&rt->exit_epoch, FUTEX_WAIT_PRIVATE, e, &ts, NULL, 0);
  }
  atomic_fetch_sub_explicit(&rt->exit_waiters, 1, memory_order_seq_cst);
  return ok;
}

/* Nap until some actor's death completes (exit_epoch moves) or at most max_ns. */
static void nap_for_a_death(troupe_runtime *rt, uint64_t max_ns) {
  atomic_fetch_add_explicit(&rt->exit_waiters, 1, memory_order_seq_cst);
  uint32_t e = atomic_load_explicit(&rt->exit_epoch, memory_order_seq_cst);
  if (atomic_load_explicit(&rt->live, memory_order_seq_cst)) {
    struct timespec ts = {(time_t)(max_ns / 1000000000u), (long)(max_ns % 1000000000u)};
    syscall(SYS_futex, (uint32_t *)(void *)&rt->exit_epoch, FUTEX_WAIT_PRIVATE, e, &ts, NULL, 0);
  }
  atomic_fetch_sub_explicit(&rt->exit_waiters, 1, memory_order_seq_cst);
}

/* Close the gate of outside spawns and wait until none is inside (the argument is at
 * the gate, in troupe_spawn): from here on every outside spawn that succeeded has
 * published its actor, so the sweeps below see it, and every later one fails with
 * STOPPED. Relaxed close: its place in spawn_gate's modification order is what divides
 * the spawns; the acquire loads, which read it or later values, order the sweeps after
 * the spawns let in. A spawn inside is short (an allocation or two, a registry lock),
 * but on a loaded machine its thread may be preempted: yield to it, then nap. */
static void close_gate(troupe_runtime *rt) {
  atomic_fetch_or_explicit(&rt->spawn_gate, TRA_GATE_CLOSED, memory_order_relaxed);
  for (unsigned i = 0;
       atomic_load_explicit(&rt->spawn_gate, memory_order_acquire) & ~TRA_GATE_CLOSED; i++) {
    if (i < 64) {
      sched_yield();
    } else {
      struct timespec ts = {0, 50000};
      nanosleep(&ts, NULL);
    }
  }
}

typedef struct root {
  uint64_t seq;
  troupe_actor_id id;
  bool plain; /* never trapped exits nor linked: nothing depends on its exit order */
  bool wait;  /* TROUPE_SPAWN_STOP_WAIT: no shutdown timeout */
} root;

static int by_seq_desc(const void *x, const void *y) {
  const root *a = x, *b = y;
  return a->seq < b->seq ? 1 : a->seq > b->seq ? -1 : 0;
}

/* Live actors (roots only, or all), newest first. */
static root *collect(troupe_runtime *rt, bool roots_only, size_t *n) {
  uint32_t used = trA_segtab_used(&rt->slots);
  root *v = trB_malloc((used ? used : 1) * sizeof *v);
  *n = 0;
  if (!v)
    return NULL;
  for (uint32_t i = 0; i < used; i++) {
    troupe_actor *a = trA_segtab_get(&rt->slots, i);
    if (!a)
      continue;
    uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
    if (TRA_STATE(gs) != TRA_SLOT_ALIVE)
      continue;
    if (roots_only && atomic_load_explicit(&a->parent, memory_order_relaxed))
      continue;
    uint8_t tr = atomic_load_explicit(&a->traits, memory_order_relaxed);
    v[(*n)++] = (root){atomic_load_explicit(&a->spawn_seq, memory_order_relaxed),
                       TRA_ID(i, TRA_GEN(gs)), tr == 0, (tr & TRA_TR_STOP_WAIT) != 0};
  }
  qsort(v, *n, sizeof *v, by_seq_desc);
  return v;
}

/* Drop what is left in every mailbox so the counters balance (workers are gone). */
static void drain_all(troupe_runtime *rt) {
  uint32_t used = trA_segtab_used(&rt->slots);
  for (uint32_t i = 0; i < used; i++) {
    troupe_actor *a = trA_segtab_get(&rt->slots, i);
    if (!a || !a->rt)
      continue;
    trA_mq *lanes[2] = {&a->sys, &a->user};
    for (int l = 0; l < 2; l++) {
      trA_link *n;
      while ((n = trA_mq_pop(lanes[l]))) {
        trA_msg *m = (trA_msg *)(void *)n;
        if (m->flags & TRA_MF_COUNTED)
          atomic_fetch_sub_explicit(&a->mcount, 1, memory_order_relaxed);
        trA_drop_notify(rt, m, TRA_ID(a->index, m->target_gen));
        TRA_COUNT(rt, msgs_dropped, 1);
        if (m->kind == TROUPE_MSG_ASK)
          trA_ask_complete(rt, m->corr, TROUPE_E_STOPPED, 0, NULL, 0, false);
        trA_msg_free(rt, m);
      }
    }
  }
}

/* Asks still pending once every mailbox is drained. An outside asker that looked its
 * target up while it was alive and pushed its question only after the drain -- its
 * thread descheduled across the whole stop -- would wait out its timeout (forever without
 * one): fail them STOPPED (the node is dropped by runtime_free's drain). The seq_cst
 * fence pairs with the blocking asker's, between publishing its record and looking its
 * target up (ask.c): either this sees the record pending, or that lookup sees the target
 * dead. Asks of actors, all dead now, are failed the same way (their timers are gone). */
static void fail_pending_asks(troupe_runtime *rt) {
  atomic_thread_fence(memory_order_seq_cst);
  uint32_t used = trA_segtab_used(&rt->asks);
  for (uint32_t i = 0; i < used; i++) {
    trA_ask *r = trA_segtab_get(&rt->asks, i);
    uint64_t w = r ? atomic_load_explicit(&r->word, memory_order_acquire) : 0;
    if (r && TRA_STATE(w) == TRA_ASK_PENDING)
      trA_ask_complete(rt, TRA_ID(i, TRA_GEN(w)), TROUPE_E_STOPPED, 0, NULL, 0, false);
  }
}

/* Actors still alive once the workers are gone (one that an actor spawned after the
 * last kill round, or one that never got to run its kill): end them here, on the
 * stopping thread, so their terminate runs and nothing leaks. Not an outside spawn:
 * close_gate waited for those, and the sweeps stopped their actors. */
static void reap_all(troupe_runtime *rt) {
  uint32_t used = trA_segtab_used(&rt->slots);
  for (uint32_t i = 0; i < used; i++) {
    troupe_actor *a = trA_segtab_get(&rt->slots, i);
    if (!a || !a->rt)
      continue;
    uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
    if (TRA_STATE(gs) == TRA_SLOT_ALIVE)
      trA_actor_die(rt, a, TROUPE_EXIT_KILLED, 0, "runtime stopped");
  }
}

int troupe_runtime_stop(troupe_runtime *rt, troupe_err *err) {
  if (!rt)
    return TROUPE_E_INVAL;
  if (trA_on_worker(rt))
    return troupe_err_set(err, TROUPE_E_STATE, "stop: called from a worker thread");
  pthread_mutex_lock(&rt->stop_lock);
  if (atomic_load_explicit(&rt->state, memory_order_acquire) == TRA_RT_STOPPED) {
    pthread_mutex_unlock(&rt->stop_lock);
    return TROUPE_OK;
  }
  /* seq_cst: the other half of trA_deliver_take's handshake (send.c). */
  atomic_store_explicit(&rt->state, TRA_RT_STOPPING, memory_order_seq_cst);
  close_gate(rt);
  int rc = TROUPE_OK;
  uint64_t tmo = rt->cfg.shutdown_timeout_ns;
  /* 1. roots, newest first: shutdown, then kill after the timeout */
  size_t n;
  root *v = collect(rt, true, &n);
  for (size_t i = 0; v && i < n;) {
    /* A supervisor-like root (it traps exits or has links) is stopped alone; a run of
     * plain roots next to each other is signalled in order and awaited together: they
     * do nothing on shutdown but terminate, and one at a time would cost a worker
     * wake-up each (seconds for a million actors). */
    size_t j = i + 1;
    if (v[i].plain)
      while (j < n && v[j].plain && j - i < 4096)
        j++;
    for (size_t k = i; k < j; k++)
      troupe_exit(rt, 0, v[k].id, TROUPE_EXIT_SHUTDOWN, 0, "runtime stop");
    for (size_t k = i; k < j; k++) {
      if (!wait_dead(rt, v[k].id, v[k].wait ? TROUPE_INFINITY : tmo)) {
        troupe_exit(rt, 0, v[k].id, TROUPE_EXIT_KILL, 0, "shutdown timeout");
        wait_dead(rt, v[k].id, tmo);
      }
    }
    i = j;
  }
  free(v);
  /* 2. whatever is left (orphans, actors that actors spawned meanwhile): kill, several
   * rounds. Live actors that no sweep collects are in the middle of dying (DEAD, their
   * links, monitors and exit hooks still being told) or of being spawned by an actor:
   * wait for them (from the first such sweep, up to the shutdown timeout and never
   * more than 5 s: a `live` that never drops would otherwise hang an infinite one)
   * instead of sweeping an empty list 100 times in a few microseconds and reporting
   * TIMEOUT (test_stop.c). */
  uint64_t quiet_by = 0;
  for (int round = 0; round < 100 && atomic_load_explicit(&rt->live, memory_order_relaxed);) {
    v = collect(rt, false, &n);
    if (v && n == 0) {
      free(v);
      uint64_t now = troupe_clock_mono_ns();
      if (!quiet_by)
        quiet_by = now + TR_MIN(tmo, (uint64_t)TROUPE_SEC(5));
      if (now >= quiet_by)
        break;
      nap_for_a_death(rt, TROUPE_MS(10));
      continue;
    }
    round++;
    for (size_t i = 0; v && i < n; i++)
      troupe_exit(rt, 0, v[i].id, TROUPE_EXIT_KILL, 0, "runtime stop");
    for (size_t i = 0; v && i < n; i++)
      wait_dead(rt, v[i].id, tmo);
    free(v);
  }
  if (atomic_load_explicit(&rt->live, memory_order_relaxed))
    rc = troupe_err_set(err, TROUPE_E_TIMEOUT, "stop: %llu actors did not exit",
                        (unsigned long long)atomic_load_explicit(&rt->live, memory_order_relaxed));
  /* 3. workers, once no outside thread runs a turn it took before stop began (what it
   * leaves goes to them). Acquire: see what those turns did. */
  while (atomic_load_explicit(&rt->inline_turns, memory_order_acquire)) {
    struct timespec ts = {0, 100000}; /* a turn: one fuel slice or one handler */
    nanosleep(&ts, NULL);
  }
  atomic_store_explicit(&rt->state, TRA_RT_STOPPED, memory_order_release);
  if (!rt->workers_joined) {
    trA_workers_join(rt);
    rt->workers_joined = true;
  }
  reap_all(rt);
  drain_all(rt);
  fail_pending_asks(rt);
  /* 4. hooks, newest first */
  pthread_mutex_lock(&rt->hooks_lock);
  trA_hook *hooks = rt->hooks;
  size_t nh = rt->nhooks;
  rt->hooks = NULL;
  rt->nhooks = 0;
  pthread_mutex_unlock(&rt->hooks_lock);
  for (size_t i = nh; i-- > 0;)
    hooks[i].fn(rt, hooks[i].user);
  free(hooks);
  pthread_mutex_unlock(&rt->stop_lock);
  return rc;
}

static void fini_ask(void *elem, void *user) {
  trA_ask *r = elem;
  free(r->reply_data);
  r->reply_data = NULL;
}

void troupe_runtime_free(troupe_runtime *rt) {
  if (!rt)
    return;
  if (!rt->workers_joined)
    troupe_runtime_stop(rt, NULL);
  else
    drain_all(rt);
  troupe_timer *t = rt->inject_timers;
  while (t) {
    troupe_timer *nx = t->next_inject;
    if (t->dtor)
      t->dtor(rt, t->arg);
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
      free(t);
    t = nx;
  }
  rt->inject_timers = NULL;
  for (unsigned i = 0; rt->workers && i < rt->nworkers; i++) {
    trA_timers_destroy(&rt->workers[i]);
    trA_pool_drain(rt, &rt->workers[i]);
    trA_deque_destroy(&rt->workers[i].dq);
    trA_deque_destroy(&rt->workers[i].urgent);
  }
  trA_pool_drain(rt, NULL);
  free(rt->workers);
  trA_segtab_destroy(&rt->slots, NULL, NULL);
  trA_segtab_destroy(&rt->asks, fini_ask, NULL);
  trA_segtab_destroy(&rt->spaces, NULL, NULL);
  trA_names_destroy(rt);
  pthread_mutex_destroy(&rt->inject_lock);
  pthread_mutex_destroy(&rt->depot_lock);
  pthread_mutex_destroy(&rt->hooks_lock);
  pthread_mutex_destroy(&rt->stop_lock);
  free(rt->hooks);
  free(rt);
}
