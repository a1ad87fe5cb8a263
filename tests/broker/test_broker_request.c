/*
 * tests/actor/test_broker_request.c: request/reply over subjects. Blocking requests
 * from a non-runtime thread get the first reply through a unique inbox, or TIMEOUT;
 * replies after that are dropped and counted as late; no responders is NOTFOUND; the
 * blocking form refuses to run on a worker; the async form answers an actor with one
 * message carrying its corr (the reply, or a failure with status TIMEOUT), and a reply
 * to an async requester killed meanwhile is not counted as delivered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/actor_util.h"
#include "troupe/broker.h"

#include <stdlib.h>

/* ---- responder: echo, reply twice, or keep the request unanswered ------------------ */
typedef struct resp {
  troupe_broker *b;
  pthread_mutex_t mu;
  char kept_inbox[8][64]; /* inboxes of svc.slow requests */
  uint64_t kept_corr[8];
  _Atomic int nkept;
} resp;

static int resp_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  resp *r = troupe_actor_state(self);
  troupe_broker_envelope e;
  if (troupe_broker_decode(m, &e))
    return TROUPE_CONTINUE;
  troupe_actor_id me = troupe_self(self);
  if (strcmp(e.subject, "svc.echo") == 0) {
    troupe_broker_respond(r->b, me, &e, e.data, e.len, NULL);
  } else if (strcmp(e.subject, "svc.twice") == 0) {
    troupe_broker_respond(r->b, me, &e, "1", 1, NULL);
    troupe_broker_respond(r->b, me, &e, "2", 1, NULL);
  } else if (strcmp(e.subject, "svc.slow") == 0) {
    pthread_mutex_lock(&r->mu);
    int n = atomic_load(&r->nkept);
    if (n < 8 && e.reply_to) {
      snprintf(r->kept_inbox[n], sizeof r->kept_inbox[n], "%s", e.reply_to);
      r->kept_corr[n] = e.corr;
      atomic_store(&r->nkept, n + 1);
    }
    pthread_mutex_unlock(&r->mu);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour responder = {"responder", NULL, resp_handle, NULL};

/* ---- requester actor: "a:<subject>" async request ("L:<subject>" with a long timeout),
 * "b" tries the blocking form ------------------------------------------------------- */
typedef struct reqr {
  troupe_broker *b;
  pthread_mutex_t mu;
  int start_rc;
  uint64_t corr;       /* returned by request_async */
  uint32_t tag;        /* of the answer */
  uint64_t got_corr;
  int status;
  char data[16];
  troupe_msg_kind kind;
  _Atomic int answers;
  _Atomic int started;
} reqr;

static int reqr_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  reqr *r = troupe_actor_state(self);
  troupe_broker_envelope e;
  if (troupe_broker_decode(m, &e) == 0 ||
      (m->tag == TROUPE_BROKER_TAG_FAILED && m->kind == TROUPE_MSG_SYSTEM)) {
    pthread_mutex_lock(&r->mu);
    r->tag = m->tag;
    r->kind = m->kind;
    r->got_corr = e.corr;
    r->status = e.status;
    snprintf(r->data, sizeof r->data, "%.*s", (int)e.len, (const char *)e.data);
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add(&r->answers, 1);
    return TROUPE_CONTINUE;
  }
  if (m->kind != TROUPE_MSG_USER || m->len < 1)
    return TROUPE_CONTINUE;
  char buf[64];
  snprintf(buf, sizeof buf, "%.*s", (int)m->len, (const char *)m->data);
  pthread_mutex_lock(&r->mu);
  if (buf[0] == 'a' || buf[0] == 'L') { /* L: a timeout no test waits for */
    r->start_rc = troupe_broker_request_async(r->b, self, buf + 2, "ping", 4,
                                              buf[0] == 'a' ? TROUPE_MS(30) : TROUPE_SEC(600),
                                              &r->corr, NULL);
  } else {
    troupe_broker_reply rep;
    r->start_rc = troupe_broker_request(r->b, "svc.echo", "x", 1, TROUPE_SEC(1), &rep, NULL);
  }
  pthread_mutex_unlock(&r->mu);
  atomic_fetch_add(&r->started, 1);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour requester = {"requester", NULL, reqr_handle, NULL};

typedef struct fix {
  troupe_runtime *rt;
  troupe_broker *b;
  resp r;
  troupe_actor_id responder;
} fix;

static fix *fix_new(void) {
  fix *f = calloc(1, sizeof *f);
  f->rt = tu_runtime(2);
  assert_int_equal(troupe_broker_new(f->rt, &f->b, NULL), 0);
  f->r.b = f->b;
  pthread_mutex_init(&f->r.mu, NULL);
  assert_int_equal(troupe_spawn(f->rt, NULL, &responder, &f->r, NULL, &f->responder, NULL), 0);
  troupe_sub_id s;
  assert_int_equal(troupe_broker_subscribe(f->b, f->responder, "svc.*", NULL, &s, NULL), 0);
  return f;
}

static void fix_free(fix *f) {
  assert_int_equal(troupe_runtime_stop(f->rt, NULL), 0);
  troupe_broker_free(f->b);
  troupe_runtime_free(f->rt);
  pthread_mutex_destroy(&f->r.mu);
  free(f);
}

static troupe_broker_stats stats(fix *f) {
  troupe_broker_stats s;
  troupe_broker_stats_get(f->b, &s);
  return s;
}

static troupe_actor_id spawn_requester(fix *f, reqr *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  r->b = f->b;
  troupe_actor_id a;
  assert_int_equal(troupe_spawn(f->rt, NULL, &requester, r, NULL, &a, NULL), 0);
  return a;
}

/* ---- tests ----------------------------------------------------------------------- */
static void test_request_reply(void **st) {
  (void)st;
  fix *f = fix_new();
  troupe_broker_reply rep;
  troupe_err err = {0};
  for (int i = 0; i < 20; i++) {
    char msg[16];
    snprintf(msg, sizeof msg, "ping%d", i);
    int rc = troupe_broker_request(f->b, "svc.echo", msg, strlen(msg), TROUPE_SEC(10), &rep, &err);
    if (rc)
      fail_msg("request: %s", err.msg);
    assert_int_equal(rep.len, strlen(msg));
    assert_memory_equal(rep.data, msg, rep.len);
    assert_int_equal(rep.from, f->responder);
    assert_true(rep.corr != 0);
    troupe_broker_reply_free(&rep);
  }
  troupe_broker_stats s = stats(f);
  assert_int_equal(s.requests, 20);
  assert_int_equal(s.request_timeouts, 0);
  assert_int_equal(s.late_replies, 0);
  assert_int_equal(s.subscriptions, 1); /* every inbox was unsubscribed */
  assert_int_equal(troupe_broker_request(f->b, "nobody.home", "x", 1, TROUPE_SEC(1), &rep, &err),
                   TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_broker_request(f->b, "svc.*", "x", 1, TROUPE_SEC(1), &rep, &err),
                   TROUPE_E_INVAL);
  fix_free(f);
}

/* No reply in time: TIMEOUT. A reply sent afterwards is dropped and counted. */
static void test_timeout_then_late_reply(void **st) {
  (void)st;
  fix *f = fix_new();
  troupe_broker_reply rep;
  troupe_err err = {0};
  assert_int_equal(troupe_broker_request(f->b, "svc.slow", "q", 1, TROUPE_MS(30), &rep, &err),
                   TROUPE_E_TIMEOUT);
  assert_null(rep.data);
  assert_true(TU_WAIT(atomic_load(&f->r.nkept) == 1));
  assert_int_equal(stats(f).request_timeouts, 1);
  pthread_mutex_lock(&f->r.mu);
  troupe_broker_envelope req = {.reply_to = f->r.kept_inbox[0], .corr = f->r.kept_corr[0]};
  pthread_mutex_unlock(&f->r.mu);
  assert_int_equal(strncmp(req.reply_to, "_INBOX.", 7), 0);
  troupe_publish_args pa = {.subject = req.reply_to, .data = "late", .len = 4, .corr = req.corr};
  troupe_publish_result res;
  assert_int_equal(troupe_broker_publish_ex(f->b, &pa, &res, NULL), 0);
  assert_int_equal(res.matched, 0);
  assert_int_equal(stats(f).late_replies, 1);
  /* A second request gets a different inbox. */
  assert_int_equal(troupe_broker_request(f->b, "svc.slow", "q", 1, TROUPE_MS(10), &rep, &err),
                   TROUPE_E_TIMEOUT);
  assert_true(TU_WAIT(atomic_load(&f->r.nkept) == 2));
  assert_string_not_equal(f->r.kept_inbox[0], f->r.kept_inbox[1]);
  assert_true(f->r.kept_corr[0] != f->r.kept_corr[1]);
  fix_free(f);
}

/* Only the first of two replies is taken; the second is a late reply. */
static void test_first_reply_wins(void **st) {
  (void)st;
  fix *f = fix_new();
  troupe_broker_reply rep;
  assert_int_equal(troupe_broker_request(f->b, "svc.twice", "q", 1, TROUPE_SEC(10), &rep, NULL), 0);
  assert_int_equal(rep.len, 1);
  assert_memory_equal(rep.data, "1", 1);
  troupe_broker_reply_free(&rep);
  troupe_broker_stats s;
  assert_true(TU_WAIT((s = stats(f), s.late_replies == 1)));
  fix_free(f);
}

static void test_async_request(void **st) {
  (void)st;
  fix *f = fix_new();
  static reqr r;
  troupe_actor_id a = spawn_requester(f, &r);
  /* reply */
  assert_int_equal(troupe_send(f->rt, 0, a, "a:svc.echo", 10), 0);
  assert_true(TU_WAIT(atomic_load(&r.answers) == 1));
  pthread_mutex_lock(&r.mu);
  assert_int_equal(r.start_rc, 0);
  assert_true(r.corr != 0);
  assert_int_equal(r.got_corr, r.corr);
  assert_int_equal(r.tag, TROUPE_BROKER_TAG);
  assert_int_equal(r.kind, TROUPE_MSG_SYSTEM);
  assert_string_equal(r.data, "ping");
  pthread_mutex_unlock(&r.mu);
  /* timeout */
  assert_int_equal(troupe_send(f->rt, 0, a, "a:svc.slow", 10), 0);
  assert_true(TU_WAIT(atomic_load(&r.answers) == 2));
  pthread_mutex_lock(&r.mu);
  assert_int_equal(r.start_rc, 0);
  assert_int_equal(r.tag, TROUPE_BROKER_TAG_FAILED);
  assert_int_equal(r.status, TROUPE_E_TIMEOUT);
  assert_int_equal(r.got_corr, r.corr);
  pthread_mutex_unlock(&r.mu);
  assert_int_equal(stats(f).request_timeouts, 1);
  /* no responders: fails at once, nothing arrives later */
  assert_int_equal(troupe_send(f->rt, 0, a, "a:none.here", 11), 0);
  assert_true(TU_WAIT(atomic_load(&r.started) == 3));
  pthread_mutex_lock(&r.mu);
  assert_int_equal(r.start_rc, TROUPE_E_NOTFOUND);
  pthread_mutex_unlock(&r.mu);
  /* the blocking form refuses to block a worker */
  assert_int_equal(troupe_send(f->rt, 0, a, "b", 1), 0);
  assert_true(TU_WAIT(atomic_load(&r.started) == 4));
  pthread_mutex_lock(&r.mu);
  assert_int_equal(r.start_rc, TROUPE_E_STATE);
  pthread_mutex_unlock(&r.mu);
  tu_sleep_ms(60);
  assert_int_equal(atomic_load(&r.answers), 2);
  assert_int_equal(stats(f).subscriptions, 1);
  /* async from a thread that is not the actor's own: STATE */
  uint64_t corr;
  troupe_err err;
  troupe_actor *fake = (troupe_actor *)(uintptr_t)&r; /* never dereferenced: not current */
  assert_int_equal(troupe_broker_request_async(f->b, fake, "svc.echo", "x", 1, 1, &corr, &err),
                   TROUPE_E_STATE);
  fix_free(f);
  pthread_mutex_destroy(&r.mu);
}

/* The async requester is killed before the reply comes: the reply is not delivered
 * (the killed actor accepts nothing more); publish says the subscriber is gone. */
static void test_reply_to_killed_requester(void **st) {
  (void)st;
  fix *f = fix_new();
  static reqr r;
  troupe_actor_id a = spawn_requester(f, &r);
  assert_int_equal(troupe_send(f->rt, 0, a, "L:svc.slow", 10), 0);
  assert_true(TU_WAIT(atomic_load(&f->r.nkept) == 1)); /* the responder holds it */
  pthread_mutex_lock(&r.mu);
  assert_int_equal(r.start_rc, 0);
  pthread_mutex_unlock(&r.mu);
  assert_int_equal(troupe_exit(f->rt, 0, a, TROUPE_EXIT_KILL, 0, NULL), 0);
  pthread_mutex_lock(&f->r.mu);
  troupe_publish_args pa = {.subject = f->r.kept_inbox[0], .data = "pong", .len = 4,
                            .corr = f->r.kept_corr[0]};
  troupe_publish_result res;
  assert_int_equal(troupe_broker_publish_ex(f->b, &pa, &res, NULL), 0);
  pthread_mutex_unlock(&f->r.mu);
  assert_int_equal(res.matched, 1); /* the inbox was still subscribed */
  assert_int_equal(res.delivered, 0);
  assert_int_equal(res.dropped_noproc, 1);
  troupe_broker_stats s = stats(f);
  assert_int_equal(s.delivered, 1); /* the request itself, to the responder */
  assert_int_equal(s.dropped_noproc, 1);
  assert_int_equal(s.late_replies, 0);
  assert_int_equal(s.subscriptions, 1); /* the request is over: its inbox is gone */
  assert_int_equal(atomic_load(&r.answers), 0);
  fix_free(f);
  pthread_mutex_destroy(&r.mu);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_reply),
      cmocka_unit_test(test_timeout_then_late_reply),
      cmocka_unit_test(test_first_reply_wins),
      cmocka_unit_test(test_async_request),
      cmocka_unit_test(test_reply_to_killed_requester),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
