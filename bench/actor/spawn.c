/*
 * spawn.c: spawn cost and idle memory at spawn_n actors (1,000,000). A run spawns them
 * all from the main thread and waits until every init has run (the Erlang side waits
 * until the run queues are empty: every process sits in its receive); the cost is that
 * time / N. Memory is the resident-set growth of this process over the first (cold)
 * run, / N, read from /proc/self/statm. Then every actor is told to stop and the run
 * waits until they are all gone, which is timed too (exit_us, a row of our own).
 * spawn_in_actor_us makes the same 1M spawns from an actor, as Erlang's come from a
 * process (the main thread's spawns go through the runtime's inject queue).
 */
#include "bench.h"

#include <stdlib.h>
#include <unistd.h>

typedef struct spawn_ctl {
  _Atomic uint64_t inited;
} spawn_ctl;

static int idle_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)self;
  (void)err;
  /* relaxed: a counter the main thread polls; nothing else is published through it */
  atomic_fetch_add_explicit(&((spawn_ctl *)arg)->inited, 1, memory_order_relaxed);
  return TROUPE_CONTINUE;
}

static int idle_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  (void)err;
  return m->kind == TROUPE_MSG_USER ? TROUPE_STOP : TROUPE_CONTINUE;
}
static const troupe_behaviour idle_b = {.name = "bench-idle", .init = idle_init,
                                        .handle = idle_handle};

static double rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, res = 0;
  if (!f)
    return -1;
  int n = fscanf(f, "%lu %lu", &size, &res);
  fclose(f);
  return n == 2 ? (double)res * (double)sysconf(_SC_PAGESIZE) : -1;
}

static bool wait_inited(spawn_ctl *c, uint64_t n, double timeout_s) {
  uint64_t end = troupe_clock_mono_ns() + (uint64_t)(timeout_s * 1e9);
  while (atomic_load_explicit(&c->inited, memory_order_relaxed) < n) {
    if (troupe_clock_mono_ns() > end)
      return false;
    usleep(200);
  }
  return true;
}

/* One run: spawn n, wait for their inits, optionally measure memory, stop them all.
 * Returns false if something did not finish in time. */
static bool spawn_once(troupe_runtime *rt, troupe_actor_id *ids, uint32_t n, double *spawn_us,
                       double *bytes, double *exit_us) {
  spawn_ctl c = {0};
  troupe_runtime_stats st;
  troupe_runtime_stats_get(rt, &st);
  uint64_t live0 = st.live;
  double rss0 = rss_bytes();
  uint64_t t0 = troupe_clock_mono_ns();
  for (uint32_t i = 0; i < n; i++)
    ids[i] = bab_spawn(rt, NULL, &idle_b, &c, NULL);
  if (!wait_inited(&c, n, 300))
    return false;
  uint64_t t1 = troupe_clock_mono_ns();
  *spawn_us = (double)(t1 - t0) / 1e3 / n;
  if (bytes)
    *bytes = (rss_bytes() - rss0) / n;
  uint64_t t2 = troupe_clock_mono_ns();
  for (uint32_t i = 0; i < n; i++)
    if (troupe_send(rt, 0, ids[i], NULL, 0))
      return false;
  if (!bab_wait_live(rt, live0, 300))
    return false;
  *exit_us = (double)(troupe_clock_mono_ns() - t2) / 1e3 / n;
  return true;
}

static void spawn_series(const bab_cfg *cfg, uint32_t n, const char *suffix, bool memory) {
  troupe_runtime *rt = bab_runtime();
  troupe_actor_id *ids = malloc((size_t)n * sizeof *ids);
  int reps = cfg->reps < 3 ? cfg->reps : 3; /* each 1M run takes seconds on both sides */
  double *sp = calloc((size_t)reps, sizeof *sp), *ex = calloc((size_t)reps, sizeof *ex);
  if (!ids || !sp || !ex)
    bab_die("malloc", TROUPE_E_NOMEM, NULL);
  for (uint32_t i = 0; i < n; i++) /* touch the id array before the RSS baseline */
    ids[i] = 0;
  double bytes = -1;
  bool ok = true;
  for (int rep = 0; ok && rep < reps; rep++)
    ok = spawn_once(rt, ids, n, &sp[rep], rep == 0 && memory ? &bytes : NULL, &ex[rep]);
  char row[64];
  if (ok && cfg->out != stdout) /* the runs themselves, for the log */
    fprintf(stderr, "  troupe spawn runs at %u: %.3f %.3f %.3f us\n", n, sp[0],
            reps > 1 ? sp[1] : 0, reps > 2 ? sp[2] : 0);
  if (ok) {
    snprintf(row, sizeof row, "spawn_cold_us%s", suffix);
    bab_emit(cfg, row, "us", sp[0]);
    snprintf(row, sizeof row, "spawn_us%s", suffix);
    bab_emit(cfg, row, "us", bab_median(sp, (size_t)reps));
    snprintf(row, sizeof row, "exit_us%s", suffix);
    bab_emit(cfg, row, "us", bab_median(ex, (size_t)reps));
    if (memory)
      bab_emit(cfg, "idle_actor_bytes", "bytes", bytes);
  } else {
    fprintf(stderr, "troupe-bench-actor: spawn %u: a run did not finish\n", n);
  }
  bab_stats(rt, suffix[0] ? suffix : "spawn");
  troupe_runtime_free(rt);
  free(ids);
  free(sp);
  free(ex);
}

/* ---- the same spawns made by an actor (Erlang's spawns come from a process too) --- */
enum { SPAWN_CHUNK = 4096 };

typedef struct spawner {
  spawn_ctl *ctl;
  troupe_actor_id *ids;
  uint32_t n, next;
  int status;
} spawner;

/* Spawns a chunk per turn and yields, so the new actors' inits interleave. */
static int spawner_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  spawner *s = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER)
    s->next = 0;
  else if (m->kind != TROUPE_MSG_RESUME)
    return TROUPE_CONTINUE;
  troupe_runtime *rt = troupe_actor_runtime(self);
  for (int i = 0; i < SPAWN_CHUNK && s->next < s->n; i++, s->next++) {
    int st = troupe_spawn(rt, self, &idle_b, s->ctl, NULL, &s->ids[s->next], err);
    if (st)
      return st;
  }
  return s->next < s->n ? TROUPE_YIELD : TROUPE_CONTINUE;
}
static const troupe_behaviour spawner_b = {.name = "bench-spawner", .handle = spawner_handle};

static void spawn_in_actor(const bab_cfg *cfg) {
  troupe_runtime *rt = bab_runtime();
  uint32_t n = cfg->spawn_n;
  spawner s = {.n = n, .ids = malloc((size_t)n * sizeof *s.ids)};
  int reps = cfg->reps < 3 ? cfg->reps : 3;
  double *sp = calloc((size_t)reps, sizeof *sp);
  if (!s.ids || !sp)
    bab_die("malloc", TROUPE_E_NOMEM, NULL);
  troupe_actor_id sid = bab_spawn(rt, NULL, &spawner_b, &s, NULL);
  bool ok = bab_wait_live(rt, 1, 10);
  for (int rep = 0; ok && rep < reps; rep++) {
    spawn_ctl c = {0};
    s.ctl = &c; /* read by the spawner after the GO below: the mailbox orders it */
    uint64_t t0 = troupe_clock_mono_ns();
    ok = !troupe_send(rt, 0, sid, NULL, 0) && wait_inited(&c, n, 300);
    sp[rep] = (double)(troupe_clock_mono_ns() - t0) / 1e3 / n;
    for (uint32_t i = 0; ok && i < n; i++)
      ok = !troupe_send(rt, 0, s.ids[i], NULL, 0);
    ok = ok && bab_wait_live(rt, 1, 300);
  }
  if (ok)
    bab_emit(cfg, "spawn_in_actor_us", "us", bab_median(sp, (size_t)reps));
  else
    fprintf(stderr, "troupe-bench-actor: spawn from an actor: a run did not finish\n");
  bab_stats(rt, "spawn_in_actor");
  troupe_runtime_free(rt);
  free(s.ids);
  free(sp);
}

void bab_spawn_rows(const bab_cfg *cfg) {
  spawn_series(cfg, cfg->spawn_n / 10, "_100k", false);
  spawn_series(cfg, cfg->spawn_n, "", true);
  spawn_in_actor(cfg);
}
