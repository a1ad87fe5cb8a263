/*
 * timer.c: the timer lateness rows (timer_lateness_us_p50/_p99/_max): how late a
 * timeout wakes an actor while the workers are busy. The load: 16 asker actors keep
 * WINDOW asks each in flight to 1,000 responders, which burn WORK_NS of CPU per ask
 * before replying (long run queues, full batches, both workers always busy), until the
 * askers have made `timer_asks` asks (1,000,000; 100,000 with --quick). The probes: 16
 * prober actors, idle but for this, each keep one ask in flight to a responder that
 * never answers it, with a PROBE_NS timeout. When the probe's ASK_FAILED (TIMEOUT)
 * reaches the prober's handler, lateness = that moment - (the moment before the ask +
 * PROBE_NS): what the embedder sees, the timer's own delay plus the woken actor's wait
 * for a worker. (A prober, not a busy asker: an actor with a backlog of its own sees
 * its timeout only after the messages queued before it, here and in Erlang alike.)
 * The Erlang side (actor_bench.erl) runs the same load with `receive ... after` in the
 * probers. A warm-up run (a quarter of the asks), then up to 3 runs; samples pooled.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

enum {
  TL_ASKERS = 16,
  TL_PROBERS = 16,
  TL_RESPONDERS = 1000,
  TL_WINDOW = 64,           /* work asks in flight per asker */
  TL_MAX_SAMPLES = 1 << 14, /* per prober and run */
  TAG_WORK = 1,
  TAG_MUTE = 2,
};
#define TL_WORK_NS 2000u             /* CPU a responder burns per work ask */
#define TL_PROBE_NS TROUPE_MS(2)     /* the probes' timeout */
#define TL_WORK_TIMEOUT TROUPE_SEC(60)

typedef struct tl_run {
  troupe_actor_id resp[TL_RESPONDERS];
  _Atomic uint64_t issued;   /* work asks handed out so far */
  uint64_t target;           /* work asks per run */
  _Atomic bool stopping;     /* the load is over: probers stop too */
  _Atomic uint32_t finished; /* askers and probers with nothing left in flight */
  _Atomic int done;
  _Atomic int failed;        /* an unexpected ask failure: the run is void */
} tl_run;

/* An asker (load) or a prober (samples != NULL). */
typedef struct tl_actor {
  tl_run *run;
  uint32_t rng;
  uint32_t in_flight;
  uint64_t probe_corr, probe_deadline;
  size_t n;
  double *samples; /* probers: TL_MAX_SAMPLES, lateness in microseconds */
} tl_actor;

static uint32_t tl_rand(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

static int responder_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  if (m->kind != TROUPE_MSG_ASK || m->tag != TAG_WORK)
    return TROUPE_CONTINUE; /* TAG_MUTE: never answered, the asker's timeout fires */
  uint64_t end = troupe_clock_mono_ns() + TL_WORK_NS;
  while (troupe_clock_mono_ns() < end)
    ;
  troupe_reply(troupe_actor_runtime(self), troupe_self(self), m->corr, NULL, 0);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour responder_b = {.name = "bench-busy", .handle = responder_handle};

static troupe_actor_id pick(tl_actor *a) {
  return a->run->resp[tl_rand(&a->rng) % TL_RESPONDERS];
}

/* Relaxed flags and counters below: the runtime's messages order the actors' own
 * state; these only say when to stop, and the last finisher's acq_rel RMW plus the
 * release of `done` publish the samples to the main thread. */
static int finish_if_idle(tl_actor *a) {
  if (!atomic_load_explicit(&a->run->stopping, memory_order_relaxed) || a->in_flight ||
      a->probe_corr)
    return TROUPE_CONTINUE;
  if (atomic_fetch_add_explicit(&a->run->finished, 1, memory_order_acq_rel) + 1 ==
      TL_ASKERS + TL_PROBERS)
    atomic_store_explicit(&a->run->done, 1, memory_order_release);
  return TROUPE_CONTINUE;
}

static int work_ask(troupe_actor *self, tl_actor *a, troupe_err *err) {
  if (atomic_fetch_add_explicit(&a->run->issued, 1, memory_order_relaxed) >= a->run->target) {
    atomic_store_explicit(&a->run->stopping, true, memory_order_relaxed);
    return TROUPE_CONTINUE;
  }
  uint64_t corr;
  int st = troupe_ask_async(self, pick(a), TAG_WORK, NULL, 0, TL_WORK_TIMEOUT, &corr, err);
  if (st == 0)
    a->in_flight++;
  return st;
}

static int asker_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  tl_actor *a = troupe_actor_state(self);
  int st = 0;
  if (m->kind == TROUPE_MSG_USER) { /* go */
    for (int i = 0; i < TL_WINDOW && !st; i++)
      st = work_ask(self, a, err);
    return st ? st : finish_if_idle(a);
  }
  if (m->kind == TROUPE_MSG_ASK_FAILED) {
    atomic_store_explicit(&a->run->failed, 1, memory_order_relaxed);
    return troupe_err_set(err, m->status, "timer bench: a work ask failed");
  }
  if (m->kind != TROUPE_MSG_REPLY)
    return TROUPE_CONTINUE;
  a->in_flight--;
  st = atomic_load_explicit(&a->run->stopping, memory_order_relaxed) ? 0 : work_ask(self, a, err);
  return st ? st : finish_if_idle(a);
}
static const troupe_behaviour asker_b = {.name = "bench-asker", .handle = asker_handle};

static int probe_ask(troupe_actor *self, tl_actor *a, troupe_err *err) {
  a->probe_deadline = troupe_clock_mono_ns() + TL_PROBE_NS;
  return troupe_ask_async(self, pick(a), TAG_MUTE, NULL, 0, TL_PROBE_NS, &a->probe_corr, err);
}

static int prober_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  tl_actor *a = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER) /* go */
    return probe_ask(self, a, err);
  if (m->kind != TROUPE_MSG_ASK_FAILED)
    return TROUPE_CONTINUE;
  uint64_t now = troupe_clock_mono_ns();
  if (m->corr != a->probe_corr || m->status != TROUPE_E_TIMEOUT) {
    atomic_store_explicit(&a->run->failed, 1, memory_order_relaxed);
    return troupe_err_set(err, m->status, "timer bench: a probe failed otherwise");
  }
  if (a->n < TL_MAX_SAMPLES)
    a->samples[a->n++] = (double)(now - a->probe_deadline) / 1e3;
  a->probe_corr = 0;
  if (atomic_load_explicit(&a->run->stopping, memory_order_relaxed))
    return finish_if_idle(a);
  return probe_ask(self, a, err);
}
static const troupe_behaviour prober_b = {.name = "bench-prober", .handle = prober_handle};

/* One run in a fresh runtime; appends the probers' samples to all + *k (when all is not
 * NULL). False when the run failed or did not finish. */
static bool tl_once(uint64_t asks, tl_actor *act, double *all, size_t *k) {
  troupe_runtime *rt = bab_runtime();
  tl_run *run = calloc(1, sizeof *run);
  if (!run)
    bab_die("calloc", TROUPE_E_NOMEM, NULL);
  run->target = asks;
  for (int i = 0; i < TL_RESPONDERS; i++)
    run->resp[i] = bab_spawn(rt, NULL, &responder_b, NULL, NULL);
  troupe_actor_id ids[TL_ASKERS + TL_PROBERS];
  for (int i = 0; i < TL_ASKERS + TL_PROBERS; i++) {
    act[i].run = run;
    act[i].rng = 0x9e3779b9u * (uint32_t)(i + 1);
    act[i].in_flight = 0;
    act[i].probe_corr = 0;
    act[i].n = 0;
    ids[i] = bab_spawn(rt, NULL, i < TL_ASKERS ? &asker_b : &prober_b, &act[i], NULL);
  }
  for (int i = 0; i < TL_ASKERS + TL_PROBERS; i++)
    if (troupe_send(rt, 0, ids[i], NULL, 0))
      bab_die("send", TROUPE_E_INTERNAL, NULL);
  bool ok = bab_wait_flag(&run->done, 300) &&
            !atomic_load_explicit(&run->failed, memory_order_relaxed);
  bab_stats(rt, "timer");
  troupe_runtime_free(rt); /* every actor is idle or gone: their state is ours again */
  for (int i = TL_ASKERS; ok && all && i < TL_ASKERS + TL_PROBERS; i++) {
    memcpy(all + *k, act[i].samples, act[i].n * sizeof *all);
    *k += act[i].n;
  }
  free(run);
  return ok;
}

void bab_timer(const bab_cfg *cfg) {
  int runs = cfg->reps < 3 ? cfg->reps : 3;
  tl_actor act[TL_ASKERS + TL_PROBERS] = {{0}};
  double *all = malloc((size_t)runs * TL_PROBERS * TL_MAX_SAMPLES * sizeof *all);
  if (!all)
    bab_die("malloc", TROUPE_E_NOMEM, NULL);
  for (int i = TL_ASKERS; i < TL_ASKERS + TL_PROBERS; i++)
    if (!(act[i].samples = malloc(TL_MAX_SAMPLES * sizeof(double))))
      bab_die("malloc", TROUPE_E_NOMEM, NULL);
  size_t k = 0;
  bool ok = tl_once(cfg->timer_asks / 4, act, NULL, &k); /* warm-up */
  for (int r = 0; ok && r < runs; r++)
    ok = tl_once(cfg->timer_asks, act, all, &k);
  if (ok && k) {
    bab_emit(cfg, "timer_lateness_us_p50", "us", bab_percentile(all, k, 0.5));
    bab_emit(cfg, "timer_lateness_us_p99", "us", bab_percentile(all, k, 0.99));
    bab_emit(cfg, "timer_lateness_us_max", "us", bab_percentile(all, k, 1));
  } else {
    fprintf(stderr, "troupe-bench-actor: timer: a run failed or did not finish\n");
  }
  for (int i = TL_ASKERS; i < TL_ASKERS + TL_PROBERS; i++)
    free(act[i].samples);
  free(all);
}
