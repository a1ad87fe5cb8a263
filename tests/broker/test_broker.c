/*
 * tests/actor/test_broker.c: publish/subscribe through a running runtime. Delivery to
 * each matching subscription exactly once (twice for an actor with two matching
 * subscriptions), the envelope's fields, mailbox-full drops counted per publish and in
 * the stats, unsubscribe, cleanup when a subscriber terminates, queue groups, and the
 * cost of a publish independent of 100,000 unrelated subscriptions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/actor_util.h"
#include "troupe/broker.h"

/* ---- a subscriber that records broker deliveries ----------------------------------- */
#define BR_MAX 1024
typedef struct br_entry {
  char subject[64], reply[64], data[64];
  size_t len;
  uint64_t corr, ts;
  troupe_actor_id from;
  troupe_msg_kind kind;
} br_entry;

typedef struct brec {
  pthread_mutex_t mu;
  br_entry e[BR_MAX];
  _Atomic int n;
  _Atomic int other; /* non-broker messages */
  troupe_broker *b;  /* publisher mode: publish on "go" */
} brec;

static void brec_init(brec *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
}

static br_entry brec_get(brec *r, int i) {
  pthread_mutex_lock(&r->mu);
  br_entry e = r->e[i];
  pthread_mutex_unlock(&r->mu);
  return e;
}

static int br_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  brec *r = troupe_actor_state(self);
  troupe_broker_envelope env;
  if (troupe_broker_decode(m, &env) == 0) {
    pthread_mutex_lock(&r->mu);
    int n = atomic_load(&r->n);
    if (n < BR_MAX) {
      br_entry *e = &r->e[n];
      snprintf(e->subject, sizeof e->subject, "%s", env.subject);
      snprintf(e->reply, sizeof e->reply, "%s", env.reply_to ? env.reply_to : "");
      e->len = env.len;
      memcpy(e->data, env.data, env.len < sizeof e->data ? env.len : sizeof e->data);
      e->corr = env.corr;
      e->ts = env.timestamp_ns;
      e->from = env.from;
      e->kind = m->kind;
    }
    atomic_store(&r->n, n + 1);
    pthread_mutex_unlock(&r->mu);
    return TROUPE_CONTINUE;
  }
  if (m->kind == TROUPE_MSG_USER && m->len == 4 && memcmp(m->data, "stop", 4) == 0)
    return TROUPE_STOP;
  if (m->kind == TROUPE_MSG_USER && m->len == 2 && memcmp(m->data, "go", 2) == 0 && r->b)
    troupe_broker_publish(r->b, troupe_self(self), "from.actor", "hi", 2, NULL, NULL);
  atomic_fetch_add(&r->other, 1);
  return TROUPE_CONTINUE;
}

static const troupe_behaviour br_sub = {"br-sub", NULL, br_handle, NULL};

static int suspend_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)self, (void)arg, (void)err;
  return TROUPE_SUSPEND;
}
static const troupe_behaviour br_sleeper = {"br-sleeper", suspend_init, br_handle, NULL};

typedef struct benv {
  troupe_runtime *rt;
  troupe_broker *b;
} benv;

static benv env_new(unsigned workers) {
  benv e = {tu_runtime(workers), NULL};
  assert_non_null(e.rt);
  assert_int_equal(troupe_broker_new(e.rt, &e.b, NULL), 0);
  return e;
}

static void env_free(benv *e) {
  assert_int_equal(troupe_runtime_stop(e->rt, NULL), 0);
  troupe_broker_free(e->b);
  troupe_runtime_free(e->rt);
}

static troupe_actor_id spawn_rec(benv *e, brec *r) {
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(e->rt, NULL, &br_sub, r, NULL, &id, NULL), 0);
  return id;
}

static troupe_sub_id sub(benv *e, troupe_actor_id who, const char *pattern) {
  troupe_sub_id s = 0;
  troupe_err err = {0};
  int rc = troupe_broker_subscribe(e->b, who, pattern, NULL, &s, &err);
  if (rc)
    fail_msg("subscribe %s: %s", pattern, err.msg);
  assert_true(s != 0);
  return s;
}

static troupe_publish_result pub(benv *e, const char *subject) {
  troupe_publish_result r;
  assert_int_equal(troupe_broker_publish(e->b, 0, subject, "x", 1, &r, NULL), 0);
  return r;
}

/* ---- tests ----------------------------------------------------------------------- */
static void test_delivery_once_per_subscription(void **st) {
  (void)st;
  benv e = env_new(2);
  static brec ra, rb, rc;
  brec_init(&ra), brec_init(&rb), brec_init(&rc);
  troupe_actor_id a = spawn_rec(&e, &ra), b = spawn_rec(&e, &rb), c = spawn_rec(&e, &rc);
  sub(&e, a, "a.*");
  sub(&e, b, "a.>");
  sub(&e, b, "a.b"); /* b has two subscriptions matching a.b: two deliveries */
  sub(&e, c, "x.>");
  troupe_publish_result r = pub(&e, "a.b");
  assert_int_equal(r.matched, 3);
  assert_int_equal(r.delivered, 3);
  assert_int_equal(r.dropped_full + r.dropped_noproc + r.dropped_other, 0);
  r = pub(&e, "a.b.c");
  assert_int_equal(r.matched, 1);
  r = pub(&e, "b");
  assert_int_equal(r.matched, 0);
  assert_true(TU_WAIT(atomic_load(&ra.n) == 1 && atomic_load(&rb.n) == 3));
  tu_sleep_ms(20); /* nothing more may arrive */
  assert_int_equal(atomic_load(&ra.n), 1);
  assert_int_equal(atomic_load(&rb.n), 3);
  assert_int_equal(atomic_load(&rc.n), 0);
  troupe_broker_stats s;
  troupe_broker_stats_get(e.b, &s);
  assert_int_equal(s.published, 3);
  assert_int_equal(s.delivered, 4);
  assert_int_equal(s.subscriptions, 4);
  env_free(&e);
}

/* Every envelope field arrives as published. */
static void test_envelope_fields(void **st) {
  (void)st;
  benv e = env_new(1);
  static brec r;
  brec_init(&r);
  troupe_actor_id a = spawn_rec(&e, &r);
  sub(&e, a, "orders.*");
  uint64_t before = troupe_clock_wall_ns();
  troupe_publish_args pa = {.from = a, .subject = "orders.new", .reply_to = "reply.here",
                            .data = "payload", .len = 7, .corr = 42};
  troupe_publish_result res;
  assert_int_equal(troupe_broker_publish_ex(e.b, &pa, &res, NULL), 0);
  assert_int_equal(res.delivered, 1);
  assert_true(TU_WAIT(atomic_load(&r.n) == 1));
  br_entry x = brec_get(&r, 0);
  assert_string_equal(x.subject, "orders.new");
  assert_string_equal(x.reply, "reply.here");
  assert_int_equal(x.len, 7);
  assert_memory_equal(x.data, "payload", 7);
  assert_int_equal(x.corr, 42);
  assert_int_equal(x.from, a);
  assert_int_equal(x.kind, TROUPE_MSG_USER);
  assert_true(x.ts >= before && x.ts <= troupe_clock_wall_ns());
  /* Zero-length payload, no reply subject. */
  assert_int_equal(troupe_broker_publish(e.b, 0, "orders.x", NULL, 0, NULL, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&r.n) == 2));
  x = brec_get(&r, 1);
  assert_int_equal(x.len, 0);
  assert_string_equal(x.reply, "");
  assert_int_equal(x.from, 0);
  env_free(&e);
}

/* A publisher actor's id is the envelope's from. */
static void test_publish_from_actor(void **st) {
  (void)st;
  benv e = env_new(2);
  static brec rs, rp;
  brec_init(&rs), brec_init(&rp);
  rp.b = e.b;
  troupe_actor_id s = spawn_rec(&e, &rs), p = spawn_rec(&e, &rp);
  sub(&e, s, "from.>");
  assert_int_equal(troupe_send(e.rt, 0, p, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&rs.n) == 1));
  assert_int_equal(brec_get(&rs, 0).from, p);
  env_free(&e);
}

/* A full bounded mailbox drops that delivery, says so in the result and the stats. */
static void test_mailbox_full_counted(void **st) {
  (void)st;
  benv e = env_new(2);
  static brec r, other;
  brec_init(&r), brec_init(&other);
  troupe_spawn_opts o = {.mailbox_bound = 2};
  troupe_actor_id a, b2 = spawn_rec(&e, &other);
  assert_int_equal(troupe_spawn(e.rt, NULL, &br_sleeper, &r, &o, &a, NULL), 0);
  sub(&e, a, "t.*");
  sub(&e, b2, "t.*");
  for (int i = 0; i < 5; i++) {
    troupe_publish_result res = pub(&e, "t.x");
    assert_int_equal(res.matched, 2);
    assert_int_equal(res.delivered, i < 2 ? 2 : 1);
    assert_int_equal(res.dropped_full, i < 2 ? 0 : 1);
  }
  troupe_broker_stats s;
  troupe_broker_stats_get(e.b, &s);
  assert_int_equal(s.dropped_full, 3);
  assert_int_equal(s.delivered, 7);
  assert_int_equal(troupe_actor_resume(e.rt, a, 0), 0);
  assert_true(TU_WAIT(atomic_load(&r.n) == 2 && atomic_load(&other.n) == 5));
  tu_sleep_ms(20);
  assert_int_equal(atomic_load(&r.n), 2);
  env_free(&e);
}

static void test_unsubscribe(void **st) {
  (void)st;
  benv e = env_new(1);
  static brec r;
  brec_init(&r);
  troupe_actor_id a = spawn_rec(&e, &r);
  troupe_sub_id s1 = sub(&e, a, "u.*"), s2 = sub(&e, a, "u.>");
  assert_int_equal(troupe_broker_count_subs(e.b, a), 2);
  assert_int_equal(pub(&e, "u.v").matched, 2);
  assert_int_equal(troupe_broker_unsubscribe(e.b, s1), 0);
  assert_int_equal(troupe_broker_unsubscribe(e.b, s1), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_broker_count_subs(e.b, a), 1);
  assert_int_equal(pub(&e, "u.v").matched, 1);
  assert_int_equal(troupe_broker_unsubscribe(e.b, s2), 0);
  assert_int_equal(pub(&e, "u.v").matched, 0);
  assert_true(TU_WAIT(atomic_load(&r.n) == 3));
  troupe_broker_stats s;
  troupe_broker_stats_get(e.b, &s);
  assert_int_equal(s.subscriptions, 0);
  assert_int_equal(troupe_broker_unsubscribe(e.b, 0), TROUPE_E_INVAL);
  env_free(&e);
}

/* Subscriptions vanish when their actor terminates, however it ends. */
static void test_termination_cleanup(void **st) {
  (void)st;
  benv e = env_new(2);
  static brec r;
  brec_init(&r);
  troupe_actor_id a = spawn_rec(&e, &r);
  sub(&e, a, "c.1");
  sub(&e, a, "c.*");
  sub(&e, a, ">");
  assert_int_equal(pub(&e, "c.1").matched, 3);
  assert_int_equal(troupe_send(e.rt, 0, a, "stop", 4), 0);
  assert_true(TU_WAIT(troupe_broker_count_subs(e.b, a) == 0));
  troupe_broker_stats s;
  troupe_broker_stats_get(e.b, &s);
  assert_int_equal(s.cleaned, 3);
  assert_int_equal(s.subscriptions, 0);
  assert_int_equal(pub(&e, "c.1").matched, 0);
  /* A dead actor cannot subscribe. */
  troupe_sub_id id = 0;
  assert_int_equal(troupe_broker_subscribe(e.b, a, "c.2", NULL, &id, NULL), TROUPE_E_NOTFOUND);
  /* Killed right after subscribing (the janitor may only learn of it afterwards). */
  static brec k;
  brec_init(&k);
  for (int i = 0; i < 50; i++) {
    troupe_actor_id x = spawn_rec(&e, &k);
    sub(&e, x, "k.*");
    sub(&e, x, "k.>");
    assert_int_equal(troupe_exit(e.rt, 0, x, TROUPE_EXIT_KILL, 0, NULL), 0);
  }
  assert_true(TU_WAIT((troupe_broker_stats_get(e.b, &s), s.subscriptions == 0)));
  assert_int_equal(s.cleaned, 3 + 100);
  assert_int_equal(pub(&e, "k.x").matched, 0);
  env_free(&e);
}

/* One member of a queue group per message; plain subscribers still get every one. */
static void test_queue_groups(void **st) {
  (void)st;
  benv e = env_new(2);
  static brec q[3], plain;
  troupe_actor_id qa[3];
  for (int i = 0; i < 3; i++) {
    brec_init(&q[i]);
    qa[i] = spawn_rec(&e, &q[i]);
    troupe_sub_id s;
    assert_int_equal(troupe_broker_subscribe(e.b, qa[i], i == 2 ? "job.>" : "job.*", "workers",
                                             &s, NULL), 0);
  }
  brec_init(&plain);
  sub(&e, spawn_rec(&e, &plain), "job.*");
  for (int i = 0; i < 300; i++)
    assert_int_equal(pub(&e, "job.run").matched, 2);
  assert_true(TU_WAIT(atomic_load(&plain.n) == 300 &&
                      atomic_load(&q[0].n) + atomic_load(&q[1].n) + atomic_load(&q[2].n) == 300));
  for (int i = 0; i < 3; i++)
    assert_true(atomic_load(&q[i].n) > 0);
  troupe_sub_id s;
  troupe_err err = {0};
  assert_int_equal(troupe_broker_subscribe(e.b, qa[0], "job.*", "bad queue", &s, &err),
                   TROUPE_E_INVAL);
  assert_int_equal(troupe_broker_subscribe(e.b, qa[0], "job.*", "", &s, &err), TROUPE_E_INVAL);
  env_free(&e);
}

static void test_bad_input(void **st) {
  (void)st;
  benv e = env_new(1);
  troupe_broker *b2 = NULL;
  assert_int_equal(troupe_broker_new(e.rt, &b2, NULL), TROUPE_E_EXISTS);
  assert_ptr_equal(troupe_broker_of(e.rt), e.b);
  static brec r;
  brec_init(&r);
  troupe_actor_id a = spawn_rec(&e, &r);
  troupe_err err = {0};
  troupe_sub_id s;
  assert_int_equal(troupe_broker_subscribe(e.b, a, "a..b", NULL, &s, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "token 2 is empty"));
  assert_int_equal(troupe_broker_publish(e.b, 0, "a.*", "x", 1, NULL, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "wildcard"));
  troupe_publish_args pa = {.subject = "a.b", .reply_to = "r.>"};
  assert_int_equal(troupe_broker_publish_ex(e.b, &pa, NULL, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_broker_publish(e.b, 0, "a", NULL, 5, NULL, NULL), TROUPE_E_INVAL);
  /* decode refuses what is not a broker envelope, even under the broker's tag. */
  char junk[256] = {0};
  troupe_message m = {.kind = TROUPE_MSG_USER, .tag = TROUPE_BROKER_TAG, .data = junk,
                      .len = sizeof junk};
  troupe_broker_envelope env;
  assert_int_equal(troupe_broker_decode(&m, &env), TROUPE_E_INVAL);
  m.tag = 7;
  assert_int_equal(troupe_broker_decode(&m, &env), TROUPE_E_INVAL);
  env_free(&e);
}

/* Publish cost (trie nodes visited) does not grow with unrelated subscriptions. */
static void test_publish_cost_independent(void **st) {
  (void)st;
  benv e = env_new(1);
  static brec r;
  brec_init(&r);
  troupe_actor_id a = spawn_rec(&e, &r);
  sub(&e, a, "m.n.o");
  sub(&e, a, "m.*.o");
  sub(&e, a, "m.>");
  troupe_publish_result r0 = pub(&e, "m.n.o");
  assert_int_equal(r0.matched, 3);
  char buf[64];
  for (int i = 0; i < 100000; i++) {
    snprintf(buf, sizeof buf, i & 1 ? "m.n.x%d" : "z%d.>", i);
    sub(&e, a, buf);
  }
  troupe_publish_result r1 = pub(&e, "m.n.o");
  assert_int_equal(r1.matched, 3);
  assert_int_equal(r1.nodes_visited, r0.nodes_visited);
  env_free(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_delivery_once_per_subscription),
      cmocka_unit_test(test_envelope_fields),
      cmocka_unit_test(test_publish_from_actor),
      cmocka_unit_test(test_mailbox_full_counted),
      cmocka_unit_test(test_unsubscribe),
      cmocka_unit_test(test_termination_cleanup),
      cmocka_unit_test(test_queue_groups),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_publish_cost_independent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
