/*
 * tests/broker/test_broker_suspend.c: an actor suspended on a broker request, the way a
 * component waits in a host call. troupe_actor_suspend_for(corr of the request) makes
 * the broker's reply (a SYSTEM message carrying that corr) the one message that wakes
 * it: user messages and a RESUME sent meanwhile stay deferred, in order, and come after
 * the reply. With a plain suspension the reply would be deferred and the actor would
 * sleep until some RESUME.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/actor_util.h"
#include "troupe/broker.h"

#include <stdlib.h>

/* ---- a service that keeps the request until the test answers it ------------------- */
typedef struct svc {
  pthread_mutex_t mu;
  char inbox[64];
  uint64_t corr;
  _Atomic int got;
} svc;

static int svc_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  svc *s = troupe_actor_state(self);
  troupe_broker_envelope e;
  if (troupe_broker_decode(m, &e) == 0 && e.reply_to) {
    pthread_mutex_lock(&s->mu);
    snprintf(s->inbox, sizeof s->inbox, "%s", e.reply_to);
    s->corr = e.corr;
    pthread_mutex_unlock(&s->mu);
    atomic_store(&s->got, 1);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour svc_b = {"svc", NULL, svc_handle, NULL};

/* ---- the waiter: "go" makes the request and suspends for its corr; it logs what it
 * handles after that ----------------------------------------------------------------- */
typedef struct waiter {
  troupe_broker *b;
  pthread_mutex_t mu;
  uint64_t corr;
  int n;
  char seen[8][16]; /* "reply", "m1", "m2", "resume" */
  bool suspended_at[8];
  _Atomic int count;
} waiter;

static void note(waiter *w, troupe_actor *self, const char *what) {
  pthread_mutex_lock(&w->mu);
  if (w->n < 8) {
    snprintf(w->seen[w->n], sizeof w->seen[0], "%s", what);
    w->suspended_at[w->n++] = troupe_actor_suspended(self);
  }
  pthread_mutex_unlock(&w->mu);
  atomic_fetch_add(&w->count, 1);
}

static int waiter_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  waiter *w = troupe_actor_state(self);
  troupe_broker_envelope e;
  if (m->kind == TROUPE_MSG_USER && m->len == 2 && memcmp(m->data, "go", 2) == 0) {
    uint64_t corr;
    int rc = troupe_broker_request_async(w->b, self, "svc.q", "?", 1, TROUPE_SEC(600), &corr,
                                         err);
    if (rc)
      return rc;
    pthread_mutex_lock(&w->mu);
    w->corr = corr;
    pthread_mutex_unlock(&w->mu);
    troupe_actor_suspend_for(self, corr);
    return TROUPE_SUSPEND;
  }
  if (troupe_broker_decode(m, &e) == 0 && m->kind == TROUPE_MSG_SYSTEM) {
    pthread_mutex_lock(&w->mu);
    bool mine = m->corr == w->corr && e.corr == w->corr;
    pthread_mutex_unlock(&w->mu);
    note(w, self, mine ? "reply" : "other-reply");
  } else if (m->kind == TROUPE_MSG_RESUME) {
    note(w, self, "resume");
  } else if (m->kind == TROUPE_MSG_USER) {
    char b[16];
    snprintf(b, sizeof b, "%.*s", (int)m->len, (const char *)m->data);
    note(w, self, b);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour waiter_b = {"waiter", NULL, waiter_handle, NULL};

static int index_of(waiter *w, const char *what) {
  for (int i = 0; i < w->n; i++)
    if (strcmp(w->seen[i], what) == 0)
      return i;
  return -1;
}

/* ---- the scene: the service subscribed to svc.*, a waiter that has made its request
 * and suspended for it, and the service holding the request -------------------------- */
typedef struct scene {
  troupe_runtime *rt;
  troupe_broker *b;
  svc s;
  waiter *w;
  troupe_actor_id wid;
} scene;

static void scene_start(scene *sc, const troupe_spawn_opts *waiter_opts) {
  memset(sc, 0, sizeof *sc);
  sc->rt = tu_runtime(2);
  assert_non_null(sc->rt);
  assert_int_equal(troupe_broker_new(sc->rt, &sc->b, NULL), 0);
  pthread_mutex_init(&sc->s.mu, NULL);
  troupe_actor_id sid;
  assert_int_equal(troupe_spawn(sc->rt, NULL, &svc_b, &sc->s, NULL, &sid, NULL), 0);
  troupe_sub_id sub;
  assert_int_equal(troupe_broker_subscribe(sc->b, sid, "svc.*", NULL, &sub, NULL), 0);
  sc->w = calloc(1, sizeof *sc->w);
  assert_non_null(sc->w);
  sc->w->b = sc->b;
  pthread_mutex_init(&sc->w->mu, NULL);
  assert_int_equal(troupe_spawn(sc->rt, NULL, &waiter_b, sc->w, waiter_opts, &sc->wid, NULL), 0);
  assert_int_equal(troupe_send(sc->rt, 0, sc->wid, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&sc->s.got) == 1));
}

/* The service answers the request: a publish to the waiter's inbox with its corr. */
static void scene_answer(scene *sc) {
  pthread_mutex_lock(&sc->s.mu);
  troupe_publish_args pa = {.subject = sc->s.inbox, .data = "!", .len = 1, .corr = sc->s.corr};
  pthread_mutex_unlock(&sc->s.mu);
  assert_int_equal(troupe_broker_publish_ex(sc->b, &pa, NULL, NULL), 0);
}

static void scene_end(scene *sc) {
  assert_int_equal(troupe_runtime_stop(sc->rt, NULL), 0);
  troupe_broker_free(sc->b);
  troupe_runtime_free(sc->rt);
  pthread_mutex_destroy(&sc->s.mu);
  pthread_mutex_destroy(&sc->w->mu);
  free(sc->w);
}

static void broker_reply_wakes_an_actor_suspended_for_its_corr(void **st) {
  (void)st;
  scene sc;
  scene_start(&sc, NULL);
  waiter *w = sc.w;
  /* While it waits: user messages and a RESUME, none of which may wake it. */
  assert_int_equal(troupe_send(sc.rt, 0, sc.wid, "m1", 2), 0);
  assert_int_equal(troupe_actor_resume(sc.rt, sc.wid, 7), 0);
  assert_int_equal(troupe_send(sc.rt, 0, sc.wid, "m2", 2), 0);
  tu_sleep_ms(50); /* give a wrong wake-up the chance to show */
  assert_int_equal(atomic_load(&w->count), 0);

  scene_answer(&sc);
  assert_true(TU_WAIT(atomic_load(&w->count) == 4));

  pthread_mutex_lock(&w->mu);
  assert_string_equal(w->seen[0], "reply");
  assert_true(w->suspended_at[0]); /* delivered while suspended: it ends the wait */
  for (int i = 1; i < 4; i++)
    assert_false(w->suspended_at[i]);
  assert_true(index_of(w, "m1") > 0 && index_of(w, "m1") < index_of(w, "m2"));
  assert_true(index_of(w, "resume") > 0);
  pthread_mutex_unlock(&w->mu);
  scene_end(&sc);
}

/* A waiter with a mailbox bound of 2 keeps its bound while it defers user messages:
 * what it took off its lane to look for the awaited message still counts. */
static void deferred_messages_keep_counting_in_the_bound(void **st) {
  (void)st;
  scene sc;
  troupe_spawn_opts o = {.mailbox_bound = 2};
  scene_start(&sc, &o);
  assert_int_equal(troupe_send(sc.rt, 0, sc.wid, "m1", 2), 0);
  assert_int_equal(troupe_send(sc.rt, 0, sc.wid, "m2", 2), 0);
  tu_sleep_ms(20); /* it takes them off the lane and defers them */
  assert_int_equal(troupe_send(sc.rt, 0, sc.wid, "m3", 2), TROUPE_E_MAILBOX_FULL);
  scene_answer(&sc);
  assert_true(TU_WAIT(atomic_load(&sc.w->count) == 3));
  /* Handled: the bound frees up again (the count drops when a handler has returned). */
  uint64_t dl = troupe_clock_mono_ns() + TROUPE_SEC(10);
  int rc;
  while ((rc = troupe_send(sc.rt, 0, sc.wid, "m4", 2)) == TROUPE_E_MAILBOX_FULL &&
         troupe_clock_mono_ns() < dl)
    tu_sleep_ms(1);
  assert_int_equal(rc, 0);
  assert_true(TU_WAIT(atomic_load(&sc.w->count) == 4));
  scene_end(&sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(broker_reply_wakes_an_actor_suspended_for_its_corr),
      cmocka_unit_test(deferred_messages_keep_counting_in_the_bound),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
