/*
 * bench/actor/broker_bench.c: "broker publish fan-out". One non-runtime thread
 * publishes to a subject that N actors subscribe to (N = 1, 10, 100), with and
 * without 100,000 unrelated subscriptions in the trie; the clock stops when every
 * delivery has been handled. Prints one row per case (publishes/s, deliveries/s,
 * ns per publish, trie nodes visited per publish). Usage: broker_bench [publishes].
 */
#include "troupe/actor.h"
#include "troupe/base.h"
#include "troupe/broker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Atomic uint64_t received;

static int on_msg(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self, (void)err;
  troupe_broker_envelope e;
  if (troupe_broker_decode(m, &e) == 0)
    atomic_fetch_add_explicit(&received, 1, memory_order_relaxed);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour sink = {"bench-sink", NULL, on_msg, NULL};

static int run(unsigned fanout, bool unrelated, uint64_t pubs) {
  troupe_runtime_config cfg;
  troupe_runtime_config_init(&cfg);
  cfg.workers = 2;
  troupe_runtime *rt = NULL;
  troupe_broker *b = NULL;
  troupe_err err = {0};
  if (troupe_runtime_new(&cfg, &rt, &err) || troupe_broker_new(rt, &b, &err)) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return 1;
  }
  troupe_actor_id first = 0;
  for (unsigned i = 0; i < fanout; i++) {
    troupe_actor_id a;
    troupe_sub_id s;
    if (troupe_spawn(rt, NULL, &sink, NULL, NULL, &a, &err) ||
        troupe_broker_subscribe(b, a, i % 2 ? "bench.*.tick" : "bench.>", NULL, &s, &err)) {
      fprintf(stderr, "subscribe: %s\n", err.msg);
      return 1;
    }
    if (!first)
      first = a;
  }
  if (unrelated) {
    char buf[64];
    for (int i = 0; i < 100000; i++) {
      troupe_sub_id s;
      snprintf(buf, sizeof buf, i & 1 ? "bench.x.u%d" : "u%d.>", i);
      if (troupe_broker_subscribe(b, first, buf, NULL, &s, &err)) {
        fprintf(stderr, "subscribe: %s\n", err.msg);
        return 1;
      }
    }
  }
  atomic_store(&received, 0);
  uint64_t visited = 0, want = 0;
  uint64_t t0 = troupe_clock_mono_ns();
  for (uint64_t i = 0; i < pubs; i++) {
    troupe_publish_result r;
    if (troupe_broker_publish(b, 0, "bench.x.tick", "payload-32-bytes-payload-32-byte", 32, &r,
                              &err)) {
      fprintf(stderr, "publish: %s\n", err.msg);
      return 1;
    }
    visited += r.nodes_visited;
    want += r.delivered;
  }
  uint64_t t1 = troupe_clock_mono_ns();
  while (atomic_load_explicit(&received, memory_order_relaxed) < want) {
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  uint64_t t2 = troupe_clock_mono_ns();
  double secs = (double)(t2 - t0) / 1e9;
  printf("broker publish fan-out  %4u subscribers %-18s %10.0f pub/s %11.0f deliveries/s "
         "%8.0f ns/publish(call) %5.1f nodes/publish\n",
         fanout, unrelated ? "+100k unrelated" : "", (double)pubs / secs, (double)want / secs,
         (double)(t1 - t0) / (double)pubs, (double)visited / (double)pubs);
  troupe_runtime_stop(rt, NULL);
  troupe_broker_free(b);
  troupe_runtime_free(rt);
  return 0;
}

int main(int argc, char **argv) {
  uint64_t pubs = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
  if (!pubs)
    pubs = 20000;
  static const unsigned fan[] = {1, 10, 100};
  for (size_t i = 0; i < sizeof fan / sizeof fan[0]; i++)
    if (run(fan[i], false, pubs))
      return 1;
  return run(10, true, pubs);
}
