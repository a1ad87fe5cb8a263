/*
 * broker/broker_request.c: request/reply over subjects, NATS style. The requester
 * subscribes a fresh inbox "_INBOX.<broker>.<n>", publishes the request with reply_to
 * set to it, and takes the first reply or times out. One atomic state word decides
 * the race between the first reply and the timeout; whoever loses is counted (a late
 * reply) and the inbox is unsubscribed, so later replies match nothing and are counted
 * as late by publish. Blocking form: the caller's thread waits on a condition
 * variable. Async form: a runtime timer, and the answer arrives as a message.
 */
#include "broker/broker.h"

#include <errno.h>
#include <time.h>

enum { RQ_PENDING = 0, RQ_DONE = 1, RQ_ENDED = 2 };

struct trU_breq {
  _Atomic uint32_t refs;
  _Atomic uint32_t state; /* RQ_*: PENDING -> DONE (reply won) or ENDED (timeout won) */
  troupe_broker *b;
  uint64_t corr;
  troupe_sub_id sub;      /* the inbox subscription */
  troupe_actor_id asker;  /* async: who gets the answer; 0 = blocking */
  trU_msg *failed; /* async: the timeout answer, built up front (no NOMEM later) */
  /* blocking only */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool signalled;          /* (mu) the reply is in `reply` */
  int status;              /* (mu) 0 or NOMEM copying the reply */
  troupe_broker_reply reply;
};

void trU_breq_ref(trU_breq *req) {
  /* Relaxed: the caller holds a reference (or the broker lock that pins the inbox). */
  atomic_fetch_add_explicit(&req->refs, 1, memory_order_relaxed);
}

void trU_breq_unref(trU_breq *req) {
  /* Acq_rel as for any refcount: every holder's uses happen before the free (an
   * acquire fence on the last drop would do, but TSan does not model fences). */
  if (atomic_fetch_sub_explicit(&req->refs, 1, memory_order_acq_rel) != 1)
    return;
  if (!req->asker) {
    pthread_mutex_destroy(&req->mu);
    pthread_cond_destroy(&req->cv);
  }
  free(req->reply.data);
  trU_bmsg_unref(req->failed);
  free(req);
}

/* Claim the request for `to` (RQ_DONE or RQ_ENDED). Acq_rel: the winner's later
 * writes (reply bytes) are published by the mutex; the CAS itself only decides. */
static bool claim(trU_breq *req, uint32_t to) {
  uint32_t exp = RQ_PENDING;
  return atomic_compare_exchange_strong_explicit(&req->state, &exp, to, memory_order_acq_rel,
                                                 memory_order_acquire);
}

int trU_breq_deliver(troupe_broker *b, trU_breq *req, trU_msg *m) {
  if (!claim(req, RQ_DONE)) {
    TRU_BK_COUNT(b, late_replies, 1);
    return TRU_REPLY_LATE;
  }
  if (req->asker) {
    /* The SYSTEM lane: the answer is not subject to the mailbox bound, as an ask's
     * REPLY is not. If the asker is gone there is nobody to tell: publish counts the
     * failed send as a drop. */
    int rc = trU_bmsg_send(b->rt, m, req->asker, TROUPE_BROKER_TAG, true);
    troupe_broker_unsubscribe(b, req->sub);
    return rc;
  }
  troupe_broker_envelope e;
  trU_bmsg_view(m, &e);
  void *copy = NULL;
  int st = 0;
  if (e.len && !(copy = trB_memdup(e.data, e.len)))
    st = TROUPE_E_NOMEM;
  pthread_mutex_lock(&req->mu);
  req->reply = (troupe_broker_reply){.from = e.from, .corr = e.corr, .data = copy,
                                     .len = copy ? e.len : 0};
  req->status = st;
  req->signalled = true;
  pthread_cond_signal(&req->cv);
  pthread_mutex_unlock(&req->mu);
  return TROUPE_OK;
}

static trU_breq *req_new(troupe_broker *b, troupe_actor_id asker) {
  trU_breq *req = trB_calloc(1, sizeof *req);
  if (!req)
    return NULL;
  atomic_init(&req->refs, 1);
  atomic_init(&req->state, RQ_PENDING);
  req->b = b;
  req->asker = asker;
  if (!asker) {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* immune to wall-clock jumps */
    int rc = pthread_cond_init(&req->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc) {
      free(req);
      return NULL;
    }
    pthread_mutex_init(&req->mu, NULL);
  }
  return req;
}

/* Subscribe the inbox and publish the request. On success the request is live (the
 * inbox exists); on failure it has been unsubscribed again. */
static int start(troupe_broker *b, trU_breq *req, troupe_actor_id from, const char *subject,
                 const void *data, size_t len, troupe_err *err) {
  char inbox[TRU_INBOX_MAX];
  req->corr = trU_new_inbox(b, inbox);
  int rc = troupe_subject_validate(subject, err);
  if (!rc)
    rc = trU_sub_inbox(b, inbox, req, &req->sub, err);
  if (rc)
    return rc;
  TRU_BK_COUNT(b, requests, 1);
  troupe_publish_args a = {.from = from, .subject = subject, .reply_to = inbox,
                           .data = data, .len = len, .corr = req->corr};
  troupe_publish_result r;
  rc = troupe_broker_publish_ex(b, &a, &r, err);
  if (!rc && r.matched == 0)
    rc = troupe_err_set(err, TROUPE_E_NOTFOUND, "no responders on \"%.80s\"", subject);
  else if (!rc && r.delivered == 0)
    rc = troupe_err_set(err, r.dropped_full ? TROUPE_E_MAILBOX_FULL : TROUPE_E_NOT_RUNNING,
                        "no responder on \"%.80s\" could take the request", subject);
  if (rc) {
    claim(req, RQ_ENDED);
    troupe_broker_unsubscribe(b, req->sub);
  }
  return rc;
}

TROUPE_API void troupe_broker_reply_free(troupe_broker_reply *r) {
  if (r) {
    free(r->data);
    memset(r, 0, sizeof *r);
  }
}

TROUPE_API int troupe_broker_request(troupe_broker *b, const char *subject, const void *data,
                                     size_t len, uint64_t timeout_ns,
                                     troupe_broker_reply *reply, troupe_err *err) {
  if (!b || !reply || (len && !data))
    return troupe_err_set(err, TROUPE_E_INVAL, "troupe_broker_request: bad argument");
  memset(reply, 0, sizeof *reply);
  if (trA_current_runtime())
    return troupe_err_set(err, TROUPE_E_STATE,
                          "blocking request on a worker thread: use troupe_broker_request_async");
  trU_breq *req = req_new(b, 0);
  if (!req)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  int rc = start(b, req, TROUPE_NO_ACTOR, subject, data, len, err);
  if (rc)
    goto done;
  uint64_t now = troupe_clock_mono_ns();
  uint64_t dl = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
  /* troupe_clock_mono_ns is CLOCK_MONOTONIC, the condition variable's clock. */
  struct timespec ts = {(time_t)(dl / 1000000000u), (long)(dl % 1000000000u)};
  bool past = false, timed_out = false;
  pthread_mutex_lock(&req->mu);
  while (!req->signalled) {
    if (past) { /* a reply claimed it just as we timed out: its signal is coming */
      pthread_cond_wait(&req->cv, &req->mu);
    } else if (pthread_cond_timedwait(&req->cv, &req->mu, &ts) == ETIMEDOUT) {
      past = true;
      if (claim(req, RQ_ENDED)) {
        timed_out = true;
        break;
      }
    }
  }
  if (!timed_out) {
    rc = req->status;
    *reply = req->reply;
    req->reply = (troupe_broker_reply){0};
  }
  pthread_mutex_unlock(&req->mu);
  troupe_broker_unsubscribe(b, req->sub);
  if (timed_out) {
    TRU_BK_COUNT(b, request_timeouts, 1);
    rc = troupe_err_set(err, TROUPE_E_TIMEOUT, "no reply on \"%.80s\" in time", subject);
  } else if (rc) {
    troupe_err_set(err, rc, "out of memory copying the reply");
  }
done:
  trU_breq_unref(req);
  return rc;
}

/* ---- async ---------------------------------------------------------------------- */
static void on_timeout(troupe_runtime *rt, void *arg) {
  trU_breq *req = arg;
  if (claim(req, RQ_ENDED)) {
    troupe_broker_unsubscribe(req->b, req->sub);
    TRU_BK_COUNT(req->b, request_timeouts, 1);
    (void)trU_bmsg_send(rt, req->failed, req->asker, TROUPE_BROKER_TAG_FAILED, true);
  }
  trU_breq_unref(req);
}

/* The timer will never fire (runtime stopping): end the request quietly. */
static void on_timer_drop(troupe_runtime *rt, void *arg) {
  (void)rt;
  trU_breq *req = arg;
  if (claim(req, RQ_ENDED))
    troupe_broker_unsubscribe(req->b, req->sub);
  trU_breq_unref(req);
}

TROUPE_API int troupe_broker_request_async(troupe_broker *b, troupe_actor *self,
                                           const char *subject, const void *data,
                                           size_t len, uint64_t timeout_ns, uint64_t *corr,
                                           troupe_err *err) {
  if (!b || !self || !corr || (len && !data) || !subject)
    return troupe_err_set(err, TROUPE_E_INVAL, "troupe_broker_request_async: bad argument");
  *corr = 0;
  if (trA_current_actor() != self)
    return troupe_err_set(err, TROUPE_E_STATE, "troupe_broker_request_async is self only");
  trU_breq *req = req_new(b, troupe_self(self));
  if (!req)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  int rc = start(b, req, troupe_self(self), subject, data, len, err);
  if (rc)
    goto done;
  /* Built now so the timeout path cannot run out of memory. A reply may already
   * have won the race; then this envelope is simply never sent. */
  if (!(req->failed = trU_bmsg_new(TROUPE_NO_ACTOR, subject, NULL, NULL, 0, req->corr,
                                   TROUPE_E_TIMEOUT))) {
    rc = TROUPE_E_NOMEM;
    if (claim(req, RQ_ENDED)) {
      troupe_broker_unsubscribe(b, req->sub);
      troupe_err_set(err, rc, "out of memory");
    } else {
      rc = TROUPE_OK;
      *corr = req->corr;
    }
    goto done;
  }
  *corr = req->corr;
  trU_breq_ref(req); /* the timer's */
  rc = trA_timer_start(b->rt, timeout_ns, on_timeout, on_timer_drop, req, false, NULL);
  if (rc) {
    trU_breq_unref(req);
    if (claim(req, RQ_ENDED)) {
      troupe_broker_unsubscribe(b, req->sub);
      *corr = 0;
      troupe_err_set(err, rc, "cannot start the request timer");
    } else {
      rc = TROUPE_OK; /* the reply already won: it is on its way */
    }
  }
done:
  trU_breq_unref(req);
  return rc;
}

TROUPE_API int troupe_broker_respond(troupe_broker *b, troupe_actor_id from,
                                     const troupe_broker_envelope *req, const void *data,
                                     size_t len, troupe_err *err) {
  if (!b || !req)
    return troupe_err_set(err, TROUPE_E_INVAL, "troupe_broker_respond: NULL argument");
  if (!req->reply_to)
    return troupe_err_set(err, TROUPE_E_INVAL, "the request has no reply_to subject");
  troupe_publish_args a = {.from = from, .subject = req->reply_to, .data = data, .len = len,
                           .corr = req->corr};
  return troupe_broker_publish_ex(b, &a, NULL, err);
}
