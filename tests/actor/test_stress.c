/*
 * tests/actor/test_stress.c: concurrency stress. Many actors forward hop-counted
 * messages to random peers, answer asks, ask each other asynchronously and sometimes
 * crash; foreign threads send, ask (blocking) and kill; the main thread respawns dead
 * actors. After a bounded time the runtime stops and every counter must balance:
 * sent == received + dropped, every ask ended exactly once (reply, timeout or failure),
 * every blocking ask returned its own reply. Size and time: TROUPE_STRESS_ACTORS and
 * TROUPE_STRESS_MS (defaults 100000 actors, also under sanitizers; 2 s, 1 s under sanitizers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "actor_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static troupe_runtime *rt;
static _Atomic uint64_t *ids;
static uint32_t nids;
static _Atomic bool running;
static _Atomic uint64_t actor_replies_seen, actor_ask_failed_seen, actor_asks_made;

static uint32_t xs(uint32_t *s) {
  uint32_t x = *s ? *s : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

typedef struct hop {
  uint32_t hops, seed;
} hop;

static int node_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  troupe_runtime *r = troupe_actor_runtime(self);
  switch (m->kind) {
  case TROUPE_MSG_ASK:
    troupe_reply(r, troupe_self(self), m->corr, m->data, m->len);
    return TROUPE_CONTINUE;
  case TROUPE_MSG_REPLY:
    atomic_fetch_add_explicit(&actor_replies_seen, 1, memory_order_relaxed);
    return TROUPE_CONTINUE;
  case TROUPE_MSG_ASK_FAILED:
    atomic_fetch_add_explicit(&actor_ask_failed_seen, 1, memory_order_relaxed);
    return TROUPE_CONTINUE;
  case TROUPE_MSG_USER:
    break;
  default:
    return TROUPE_CONTINUE;
  }
  if (m->len != sizeof(hop))
    return TROUPE_CONTINUE;
  hop h;
  memcpy(&h, m->data, sizeof h);
  uint32_t s = h.seed;
  uint32_t roll = xs(&s) % 1000;
  if (roll == 0)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "random crash");
  troupe_actor_id to = atomic_load_explicit(&ids[xs(&s) % nids], memory_order_relaxed);
  if (roll < 10) {
    uint64_t corr;
    if (troupe_ask_async(self, to, 0, "q", 1, TROUPE_MS(50), &corr, NULL) == 0)
      atomic_fetch_add_explicit(&actor_asks_made, 1, memory_order_relaxed);
  }
  if (h.hops > 0 && atomic_load_explicit(&running, memory_order_relaxed)) {
    hop n = {h.hops - 1, s};
    troupe_send(r, troupe_self(self), to, &n, sizeof n);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour node = {"node", NULL, node_handle, NULL};

typedef struct driver_stats {
  uint64_t sends, asks_ok, asks_timeout, asks_other, kills, bad_replies;
} driver_stats;

static void *driver(void *arg) {
  driver_stats *ds = arg;
  uint32_t s = (uint32_t)(uintptr_t)arg * 2654435761u;
  while (atomic_load(&running)) {
    uint32_t op = xs(&s) % 100;
    troupe_actor_id to = atomic_load(&ids[xs(&s) % nids]);
    if (op < 80) {
      hop h = {8, xs(&s)};
      if (troupe_send(rt, 0, to, &h, sizeof h) == 0)
        ds->sends++;
    } else if (op < 99) {
      uint32_t q = xs(&s);
      troupe_reply_msg r;
      int rc = troupe_ask(rt, to, 0, &q, sizeof q, TROUPE_MS(200), &r, NULL);
      if (rc == 0) {
        ds->asks_ok++;
        if (r.len != sizeof q || memcmp(r.data, &q, sizeof q) != 0)
          ds->bad_replies++;
        troupe_reply_free(&r);
      } else if (rc == TROUPE_E_TIMEOUT) {
        ds->asks_timeout++;
      } else {
        ds->asks_other++;
      }
    } else {
      if (troupe_exit(rt, 0, to, TROUPE_EXIT_KILL, 0, NULL) == 0)
        ds->kills++;
    }
  }
  return NULL;
}

static uint32_t env_or(const char *name, uint32_t dflt) {
  const char *v = getenv(name);
  return v && *v ? (uint32_t)strtoul(v, NULL, 10) : dflt;
}

static void test_stress(void **st) {
  (void)st;
  nids = env_or("TROUPE_STRESS_ACTORS", 100000);
  uint32_t ms = env_or("TROUPE_STRESS_MS", SANITIZED ? 1000 : 2000);
  rt = tu_runtime(0);
  assert_non_null(rt);
  ids = calloc(nids, sizeof *ids);
  assert_non_null(ids);
  for (uint32_t i = 0; i < nids; i++) {
    troupe_actor_id id;
    assert_int_equal(troupe_spawn(rt, NULL, &node, NULL, NULL, &id, NULL), 0);
    atomic_store(&ids[i], id);
  }
  atomic_store(&running, true);
  enum { NDRIVERS = 2 };
  pthread_t th[NDRIVERS];
  static driver_stats ds[NDRIVERS];
  for (int i = 0; i < NDRIVERS; i++)
    pthread_create(&th[i], NULL, driver, &ds[i]);
  uint64_t deadline = troupe_clock_mono_ns() + TROUPE_MS(ms);
  uint64_t respawned = 0;
  while (troupe_clock_mono_ns() < deadline) {
    tu_sleep_ms(10);
    for (uint32_t i = 0; i < nids; i++) { /* replace the dead (a supervisor's job, later) */
      if (!troupe_actor_alive(rt, atomic_load(&ids[i]))) {
        troupe_actor_id id;
        if (troupe_spawn(rt, NULL, &node, NULL, NULL, &id, NULL) == 0) {
          atomic_store(&ids[i], id);
          respawned++;
        }
      }
    }
  }
  atomic_store(&running, false);
  for (int i = 0; i < NDRIVERS; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  uint64_t ext_asks = 0, ext_ok = 0, bad = 0;
  for (int i = 0; i < NDRIVERS; i++) {
    ext_asks += ds[i].asks_ok + ds[i].asks_timeout;
    ext_ok += ds[i].asks_ok;
    bad += ds[i].bad_replies;
  }
  print_message("actors %u, %u ms: sent %llu received %llu dropped %llu rejected %llu; "
                "asks %llu replies %llu timeouts %llu failed %llu late %llu; "
                "crashed %llu respawned %llu steals %llu parks %llu\n",
                nids, ms, (unsigned long long)s.msgs_sent, (unsigned long long)s.msgs_received,
                (unsigned long long)s.msgs_dropped, (unsigned long long)s.msgs_rejected,
                (unsigned long long)s.asks, (unsigned long long)s.replies,
                (unsigned long long)s.ask_timeouts, (unsigned long long)s.ask_failed,
                (unsigned long long)s.late_replies, (unsigned long long)s.crashed,
                (unsigned long long)respawned, (unsigned long long)s.steals,
                (unsigned long long)s.parks);
  assert_int_equal(bad, 0);
  assert_int_equal(s.live, 0);
  assert_true(s.msgs_sent > 1000);
  assert_int_equal(s.msgs_sent, s.msgs_received + s.msgs_dropped);
  assert_int_equal(s.asks, s.replies + s.ask_timeouts + s.ask_failed);
  assert_true(s.replies >= ext_ok);
  assert_true(ext_asks > 0);
  assert_true(s.crashed > 0);
  troupe_runtime_free(rt);
  free(ids);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_stress)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
