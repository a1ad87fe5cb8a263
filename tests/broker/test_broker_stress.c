/*
 * tests/actor/test_broker_stress.c: everything at once, for TSan. Publisher threads
 * and publisher actors publish while another thread churns subscriptions, another
 * spawns subscribers and kills them (janitor cleanup racing publishes), and another
 * makes blocking requests (inboxes come and go). At rest the accounting must add up:
 * each stable subscriber got every message exactly once, the broker's counters equal
 * the sum of the publish results, and what the subscribers handled is exactly
 * delivered minus discarded (the victims die with deliveries queued).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/actor_util.h"
#include "troupe/broker.h"

enum { PUB_THREADS = 3, PUB_PER_THREAD = 3000, PUB_ACTORS = 2, PUB_PER_ACTOR = 1000 };

typedef struct shared {
  troupe_runtime *rt;
  troupe_broker *b;
  _Atomic uint64_t delivered, dropped; /* summed publish results */
  _Atomic int actors_done;
  _Atomic int stop_churn;
  _Atomic uint64_t victims; /* subscribed, then killed */
} shared;

typedef struct counter {
  shared *sh;
  _Atomic int n;
} counter;

static int count_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  counter *c = troupe_actor_state(self);
  troupe_broker_envelope e;
  if (troupe_broker_decode(m, &e) == 0) {
    atomic_fetch_add(&c->n, 1);
    if (strcmp(e.subject, "svc.echo") == 0)
      troupe_broker_respond(c->sh->b, troupe_self(self), &e, e.data, e.len, NULL);
    return TROUPE_CONTINUE;
  }
  if (m->kind == TROUPE_MSG_USER && m->len == 2 && memcmp(m->data, "go", 2) == 0) {
    for (int i = 0; i < PUB_PER_ACTOR; i++) {
      troupe_publish_result r;
      char subj[32];
      snprintf(subj, sizeof subj, "s.actor.%d", i % 5);
      if (troupe_broker_publish(c->sh->b, troupe_self(self), subj, "a", 1, &r, NULL) == 0) {
        atomic_fetch_add(&c->sh->delivered, r.delivered);
        atomic_fetch_add(&c->sh->dropped, r.dropped_full + r.dropped_noproc + r.dropped_other);
      }
    }
    atomic_fetch_add(&c->sh->actors_done, 1);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour counting = {"counting", NULL, count_handle, NULL};

typedef struct targ {
  shared *sh;
  int index;
  troupe_actor_id churn_actor;
} targ;

static void *publisher(void *p) {
  targ *t = p;
  char subj[32];
  for (int i = 0; i < PUB_PER_THREAD; i++) {
    snprintf(subj, sizeof subj, "s.%d.%d", t->index, i % 10);
    troupe_publish_result r;
    if (troupe_broker_publish(t->sh->b, 0, subj, "p", 1, &r, NULL) == 0) {
      atomic_fetch_add(&t->sh->delivered, r.delivered);
      atomic_fetch_add(&t->sh->dropped, r.dropped_full + r.dropped_noproc + r.dropped_other);
    }
  }
  return NULL;
}

/* Subscribe and unsubscribe one actor over and over, keeping a window of 4. */
static void *sub_churner(void *p) {
  targ *t = p;
  troupe_sub_id win[4] = {0};
  char pat[32];
  for (int i = 0; i < 5 || !atomic_load(&t->sh->stop_churn); i++) {
    if (win[i % 4])
      assert_int_equal(troupe_broker_unsubscribe(t->sh->b, win[i % 4]), 0);
    snprintf(pat, sizeof pat, i % 3 ? "s.%d.*" : "s.>", i % 5);
    assert_int_equal(troupe_broker_subscribe(t->sh->b, t->churn_actor, pat,
                                             i % 2 ? "q" : NULL, &win[i % 4], NULL), 0);
  }
  for (int i = 0; i < 4; i++)
    if (win[i])
      assert_int_equal(troupe_broker_unsubscribe(t->sh->b, win[i]), 0);
  return NULL;
}

/* Spawn subscribers and kill them while publishing goes on: half of them at once, half
 * after a millisecond of deliveries (some then die with deliveries still queued). */
static counter victims;
static void *killer(void *p) {
  targ *t = p;
  victims.sh = t->sh;
  for (int i = 0; i < 5 || !atomic_load(&t->sh->stop_churn); i++) {
    troupe_actor_id a;
    if (troupe_spawn(t->sh->rt, NULL, &counting, &victims, NULL, &a, NULL))
      continue;
    troupe_sub_id s;
    if (troupe_broker_subscribe(t->sh->b, a, "s.>", NULL, &s, NULL) == 0)
      atomic_fetch_add(&t->sh->victims, 1);
    if (i & 1)
      tu_sleep_ms(1);
    troupe_exit(t->sh->rt, 0, a, TROUPE_EXIT_KILL, 0, NULL);
    tu_sleep_ms(1);
  }
  return NULL;
}

static void *requester(void *p) {
  targ *t = p;
  for (int i = 0; i < 100; i++) {
    troupe_broker_reply rep;
    assert_int_equal(troupe_broker_request(t->sh->b, "svc.echo", "r", 1, TROUPE_SEC(30), &rep,
                                           NULL), 0);
    assert_int_equal(rep.len, 1);
    troupe_broker_reply_free(&rep);
  }
  return NULL;
}

static void test_concurrent_publish_subscribe(void **st) {
  (void)st;
  static shared sh;
  memset(&sh, 0, sizeof sh);
  sh.rt = tu_runtime(2);
  assert_non_null(sh.rt);
  assert_int_equal(troupe_broker_new(sh.rt, &sh.b, NULL), 0);
  static counter stable[2], churn, pubs[PUB_ACTORS], svc;
  troupe_actor_id sid[2], cid, pid[PUB_ACTORS], svcid;
  for (int i = 0; i < 2; i++) {
    stable[i].sh = &sh;
    assert_int_equal(troupe_spawn(sh.rt, NULL, &counting, &stable[i], NULL, &sid[i], NULL), 0);
    troupe_sub_id s;
    assert_int_equal(troupe_broker_subscribe(sh.b, sid[i], "s.>", NULL, &s, NULL), 0);
  }
  churn.sh = &sh;
  svc.sh = &sh;
  assert_int_equal(troupe_spawn(sh.rt, NULL, &counting, &churn, NULL, &cid, NULL), 0);
  assert_int_equal(troupe_spawn(sh.rt, NULL, &counting, &svc, NULL, &svcid, NULL), 0);
  troupe_sub_id s;
  assert_int_equal(troupe_broker_subscribe(sh.b, svcid, "svc.echo", NULL, &s, NULL), 0);
  for (int i = 0; i < PUB_ACTORS; i++) {
    pubs[i].sh = &sh;
    assert_int_equal(troupe_spawn(sh.rt, NULL, &counting, &pubs[i], NULL, &pid[i], NULL), 0);
  }

  pthread_t th[PUB_THREADS], tc, tk, tr;
  targ args[PUB_THREADS], ca = {&sh, 0, cid};
  pthread_create(&tc, NULL, sub_churner, &ca);
  pthread_create(&tk, NULL, killer, &ca);
  pthread_create(&tr, NULL, requester, &ca);
  for (int i = 0; i < PUB_THREADS; i++) {
    args[i] = (targ){&sh, i, 0};
    pthread_create(&th[i], NULL, publisher, &args[i]);
  }
  for (int i = 0; i < PUB_ACTORS; i++)
    assert_int_equal(troupe_send(sh.rt, 0, pid[i], "go", 2), 0);
  for (int i = 0; i < PUB_THREADS; i++)
    pthread_join(th[i], NULL);
  pthread_join(tr, NULL);
  assert_true(TU_WAIT(atomic_load(&sh.actors_done) == PUB_ACTORS));
  atomic_store(&sh.stop_churn, 1);
  pthread_join(tc, NULL);
  pthread_join(tk, NULL);

  const int total = PUB_THREADS * PUB_PER_THREAD + PUB_ACTORS * PUB_PER_ACTOR;
  for (int i = 0; i < 2; i++)
    assert_true(TU_WAIT(atomic_load(&stable[i].n) == total));
  /* The killed subscribers are all reaped; only the stable ones and svc remain. */
  troupe_broker_stats bs;
  assert_true(TU_WAIT((troupe_broker_stats_get(sh.b, &bs), bs.subscriptions == 3)));
  assert_true(atomic_load(&sh.victims) >= 5);
  assert_int_equal(bs.cleaned, atomic_load(&sh.victims)); /* each had one subscription */
  assert_int_equal(troupe_runtime_stop(sh.rt, NULL), 0);
  troupe_broker_stats_get(sh.b, &bs);
  /* Counters equal the per-publish results (+ the requests and their replies). */
  assert_int_equal(bs.published, total + 2 * 100);
  assert_int_equal(bs.requests, 100);
  assert_int_equal(bs.delivered, atomic_load(&sh.delivered) + 2 * 100);
  assert_int_equal(bs.dropped_full + bs.dropped_noproc + bs.dropped_other,
                   atomic_load(&sh.dropped));
  assert_int_equal(bs.dropped_full, 0);
  assert_int_equal(atomic_load(&svc.n), 100);
  /* Every delivery was handled by a subscriber (or, for the 100 replies, taken by the
   * blocked requester) or discarded with its killed subscriber: none unaccounted. */
  uint64_t handled = (uint64_t)atomic_load(&stable[0].n) + atomic_load(&stable[1].n) +
                     atomic_load(&churn.n) + atomic_load(&victims.n) + atomic_load(&svc.n) + 100;
  for (int i = 0; i < PUB_ACTORS; i++)
    handled += (uint64_t)atomic_load(&pubs[i].n);
  assert_int_equal(bs.delivered - bs.discarded, handled);
  troupe_broker_free(sh.b);
  troupe_runtime_free(sh.rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_concurrent_publish_subscribe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
