/*
 * pubsub.c: broker publish fan-out. 1,000 subscriber actors on one subject; a publisher
 * actor publishes `rounds` messages (a few per turn, then it yields); the rate is the
 * deliveries per second from the first publish until every subscriber has seen every
 * message. The Erlang side has no broker: its publisher sends to each pid of a list
 * (what a hand-written pub/sub without matching costs there).
 */
#include "bench.h"
#include "troupe/broker.h"

#include <stdlib.h>

enum { SUBS = 1000, ROUNDS = 1000, PER_TURN = 4 };

typedef struct pub_ctl {
  troupe_broker *b;
  uint32_t rounds, left;
  _Atomic uint32_t finished;
  uint64_t t_end;
  _Atomic int done;
} pub_ctl;

typedef struct sub_state {
  pub_ctl *ctl;
  uint32_t got;
} sub_state;

static int sub_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  sub_state *s = troupe_actor_state(self);
  if (m->kind != TROUPE_MSG_USER || m->tag != TROUPE_BROKER_TAG || ++s->got != s->ctl->rounds)
    return TROUPE_CONTINUE;
  s->got = 0;
  /* acq_rel: the last finisher sees every other subscriber done before it stamps t_end */
  if (atomic_fetch_add_explicit(&s->ctl->finished, 1, memory_order_acq_rel) + 1 == SUBS) {
    s->ctl->t_end = troupe_clock_mono_ns();
    atomic_store_explicit(&s->ctl->done, 1, memory_order_release); /* publishes t_end */
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour sub_b = {.name = "bench-sub", .handle = sub_handle};

static int pub_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  pub_ctl *c = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER)
    c->left = c->rounds;
  else if (m->kind != TROUPE_MSG_RESUME)
    return TROUPE_CONTINUE;
  for (int i = 0; i < PER_TURN && c->left; i++, c->left--) {
    uint64_t v = c->left;
    int st = troupe_broker_publish(c->b, troupe_self(self), "bench.fan", &v, sizeof v, NULL, err);
    if (st)
      return st;
  }
  return c->left ? TROUPE_YIELD : TROUPE_CONTINUE;
}
static const troupe_behaviour pub_b = {.name = "bench-pub", .handle = pub_handle};

static double pub_once(troupe_runtime *rt, pub_ctl *c, troupe_actor_id pub, uint32_t rounds) {
  c->rounds = rounds;
  atomic_store_explicit(&c->finished, 0, memory_order_relaxed);
  atomic_store_explicit(&c->done, 0, memory_order_relaxed);
  uint64_t t0 = troupe_clock_mono_ns();
  if (troupe_send(rt, 0, pub, NULL, 0) || !bab_wait_flag(&c->done, 120))
    return -1;
  return (double)rounds * SUBS / ((double)(c->t_end - t0) / 1e9);
}

void bab_pubsub(const bab_cfg *cfg) {
  troupe_runtime *rt = bab_runtime();
  troupe_err err = {0};
  pub_ctl c = {0};
  int st = troupe_broker_new(rt, &c.b, &err);
  if (st)
    bab_die("broker_new", st, &err);
  sub_state *subs = calloc(SUBS, sizeof *subs);
  double *rates = calloc((size_t)cfg->reps, sizeof *rates);
  if (!subs || !rates)
    bab_die("calloc", TROUPE_E_NOMEM, NULL);
  for (int i = 0; i < SUBS; i++) {
    subs[i].ctl = &c;
    troupe_actor_id id = bab_spawn(rt, NULL, &sub_b, &subs[i], NULL);
    troupe_sub_id sid;
    if ((st = troupe_broker_subscribe(c.b, id, "bench.fan", NULL, &sid, &err)))
      bab_die("subscribe", st, &err);
  }
  troupe_actor_id pub = bab_spawn(rt, NULL, &pub_b, &c, NULL);
  bool ok = pub_once(rt, &c, pub, ROUNDS / 4) > 0; /* warm-up */
  for (int rep = 0; ok && rep < cfg->reps; rep++)
    ok = (rates[rep] = pub_once(rt, &c, pub, ROUNDS)) > 0;
  if (ok)
    bab_emit(cfg, "broker_fanout_msgs_per_s", "msgs/s", bab_median(rates, (size_t)cfg->reps));
  else
    fprintf(stderr, "troupe-bench-actor: pubsub: a run did not finish\n");
  bab_stats(rt, "pubsub");
  troupe_runtime_stop(rt, NULL);
  troupe_broker_free(c.b);
  troupe_runtime_free(rt);
  free(subs);
  free(rates);
}
