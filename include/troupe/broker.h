/*
 * troupe/broker.h: publish/subscribe between actors over NATS-style subjects, plus
 * request/reply through unique inboxes. A broker belongs to one runtime; publishers are
 * any thread or actor, subscribers are actors, and every delivery is an ordinary message
 * in the subscriber's mailbox (so mailbox bounds apply and drops are counted, never
 * silent: see troupe_broker_stats). Subjects map one-to-one onto NATS subjects. docs/BROKER.md has the design.
 */
#ifndef TROUPE_BROKER_H
#define TROUPE_BROKER_H

#include "troupe/actor.h"
#include "troupe/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------
 * Subjects (exactly NATS's rules). A subject is tokens separated by '.': no empty
 * token, no space, tab, CR, LF or form feed anywhere, valid UTF-8. In a subscription
 * pattern the whole token `*` matches exactly one token and the whole token `>`
 * matches one or more remaining tokens (only allowed as the last token). `*` or `>`
 * inside a longer token ("a*b") are ordinary characters, as in NATS. A publish
 * subject may not contain the wildcard tokens. Errors are TROUPE_E_INVAL with a
 * message naming the offending token.
 * ------------------------------------------------------------------------------- */
TROUPE_API int troupe_subject_validate(const char *subject, troupe_err *err);
TROUPE_API int troupe_subject_validate_pattern(const char *pattern, troupe_err *err);
/* True when the valid `pattern` matches the valid publish `subject` (false if either
 * is invalid). The broker uses its trie instead; this is the reference semantics. */
TROUPE_API bool troupe_subject_matches(const char *pattern, const char *subject);

/* ---------------------------------------------------------------------------------
 * Broker lifetime. One broker per runtime (troupe_broker_of finds it). The broker
 * spawns one helper actor (behaviour "broker") that monitors subscribers so their
 * subscriptions disappear when they terminate.
 * Order at shutdown: troupe_runtime_stop(rt); troupe_broker_free(b);
 * troupe_runtime_free(rt).
 * ------------------------------------------------------------------------------- */
typedef struct troupe_broker troupe_broker;

/* EXISTS when rt already has a broker; STOPPED when rt is stopping. */
TROUPE_API int troupe_broker_new(troupe_runtime *rt, troupe_broker **out, troupe_err *err);
/* Free after troupe_runtime_stop (pending requests then have ended). b may be NULL. */
TROUPE_API void troupe_broker_free(troupe_broker *b);
/* The broker of rt, or NULL. */
TROUPE_API troupe_broker *troupe_broker_of(troupe_runtime *rt);

/* ---------------------------------------------------------------------------------
 * Subscriptions. One delivery per matching subscription (NATS semantics): an actor
 * with two subscriptions that both match a subject receives the message twice.
 * A queue group (NATS queue subscriptions): among the matching subscriptions sharing a
 * queue name, exactly one (chosen at random) receives each message.
 * ------------------------------------------------------------------------------- */
typedef uint64_t troupe_sub_id; /* never 0 */

/* Subscribe actor `who` (must be alive: else NOTFOUND) to `pattern`. `queue` is NULL
 * or a queue group name (a valid single token, no wildcards). Any thread. */
TROUPE_API int troupe_broker_subscribe(troupe_broker *b, troupe_actor_id who,
                                       const char *pattern, const char *queue,
                                       troupe_sub_id *out, troupe_err *err);
/* NOTFOUND when id is unknown (already removed, e.g. its actor terminated). */
TROUPE_API int troupe_broker_unsubscribe(troupe_broker *b, troupe_sub_id id);
/* Subscriptions currently held by `who` (0 once it terminated and was cleaned up). */
TROUPE_API size_t troupe_broker_count_subs(troupe_broker *b, troupe_actor_id who);

/* ---------------------------------------------------------------------------------
 * Delivered messages. A subscriber recognises a broker delivery by
 * msg->tag == TROUPE_BROKER_TAG (kind USER; kind SYSTEM for the reply to its own
 * troupe_broker_request_async) or TROUPE_BROKER_TAG_FAILED (kind SYSTEM: its async
 * request failed, envelope.status says why), and decodes it with
 * troupe_broker_decode. Applications must not use these two tag values themselves.
 * ------------------------------------------------------------------------------- */
#define TROUPE_BROKER_TAG 0x54424d31u        /* "TBM1" */
#define TROUPE_BROKER_TAG_FAILED 0x54424d46u /* "TBMF" */

typedef struct troupe_broker_envelope {
  troupe_actor_id from;  /* publisher, TROUPE_NO_ACTOR from a non-actor thread */
  const char *subject;   /* NUL-terminated */
  const char *reply_to;  /* the optional "to": reply subject (an inbox), else NULL */
  const void *data;
  size_t len;
  uint64_t corr;         /* correlation id: set on requests and their replies, else 0 */
  uint64_t timestamp_ns; /* wall clock (troupe_clock_wall_ns) at publish */
  troupe_trace trace;    /* the publisher's troupe_trace_current() at publish */
  int status;            /* 0; TROUPE_E_TIMEOUT etc. for TROUPE_BROKER_TAG_FAILED */
} troupe_broker_envelope;

/* Fill *out from a received message. Pointers borrow the message bytes: valid only
 * during the handler call. INVAL when msg is not a broker message. */
TROUPE_API int troupe_broker_decode(const troupe_message *msg, troupe_broker_envelope *out);

/* ---------------------------------------------------------------------------------
 * Publishing. Any thread. Returns 0 when the subject was valid and matching ran, even
 * if some deliveries were dropped: *res (optional) says what happened to each match.
 * INVAL (bad subject), STOPPED (runtime stopped), NOMEM.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_publish_args {
  troupe_actor_id from;
  const char *subject;
  const char *reply_to; /* NULL or a valid publish subject */
  const void *data;
  size_t len;
  uint64_t corr;
} troupe_publish_args;

/* What happened to each selected subscription: exactly one of delivered, dropped_full,
 * dropped_noproc, dropped_other, or (a request inbox whose request had already ended)
 * a late reply, counted only in the stats. */
typedef struct troupe_publish_result {
  uint32_t matched;        /* subscriptions selected (one per queue group) */
  uint32_t delivered;      /* accepted into the mailbox of a live subscriber (see below) */
  uint32_t dropped_full;   /* subscriber's bounded mailbox was full */
  uint32_t dropped_noproc; /* subscriber gone or being killed (cleanup pending) */
  uint32_t dropped_other;  /* runtime stopped or out of memory */
  uint64_t nodes_visited;  /* trie nodes the match visited (cost, for tests/metrics) */
} troupe_publish_result;

TROUPE_API int troupe_broker_publish(troupe_broker *b, troupe_actor_id from,
                                     const char *subject, const void *data, size_t len,
                                     troupe_publish_result *res, troupe_err *err);
TROUPE_API int troupe_broker_publish_ex(troupe_broker *b, const troupe_publish_args *args,
                                        troupe_publish_result *res, troupe_err *err);

/* ---------------------------------------------------------------------------------
 * Request/reply. A request is published to `subject` with reply_to set to a fresh
 * inbox "_INBOX.<broker>.<n>" and a fresh corr; the requester gets the first reply
 * published to that inbox, or TIMEOUT. Replies arriving later are dropped and counted
 * (stats.late_replies). A responder answers with troupe_broker_respond.
 * NOTFOUND when no subscription matched the request subject (NATS "no responders").
 * ------------------------------------------------------------------------------- */
typedef struct troupe_broker_reply {
  troupe_actor_id from;
  uint64_t corr;
  void *data;
  size_t len;
} troupe_broker_reply;
TROUPE_API void troupe_broker_reply_free(troupe_broker_reply *r);

/* Blocking, for non-worker threads (STATE on a worker thread: use the async form). */
TROUPE_API int troupe_broker_request(troupe_broker *b, const char *subject, const void *data,
                                     size_t len, uint64_t timeout_ns,
                                     troupe_broker_reply *reply, troupe_err *err);
/* Async, self only: returns at once with *corr. Later `self` gets exactly one SYSTEM
 * message with that corr: tag TROUPE_BROKER_TAG (the reply) or
 * TROUPE_BROKER_TAG_FAILED (envelope.status TIMEOUT, subject = the request's subject). */
TROUPE_API int troupe_broker_request_async(troupe_broker *b, troupe_actor *self,
                                           const char *subject, const void *data,
                                           size_t len, uint64_t timeout_ns, uint64_t *corr,
                                           troupe_err *err);
/* Publish a reply to `req` (a decoded request): to req->reply_to with req->corr.
 * INVAL when the request has no reply_to. */
TROUPE_API int troupe_broker_respond(troupe_broker *b, troupe_actor_id from,
                                     const troupe_broker_envelope *req, const void *data,
                                     size_t len, troupe_err *err);

/* ---------------------------------------------------------------------------------
 * Counters: totals since troupe_broker_new, exact once quiet (kept per thread and
 * summed on read, so during traffic one counter may lead another by a few).
 *
 * `delivered` means accepted into the mailbox of a subscriber that was alive at that
 * moment: not dying, and not killed by a troupe_exit(KILL) that had returned (from then
 * on a killed actor accepts nothing, as in OTP where the kill arrives before any later
 * message from the same sender); for a blocking request's inbox, handed to the waiting
 * thread. A delivered message can still go unhandled: the subscriber may die with it
 * queued (it crashes on an earlier message, is killed afterwards, or the runtime stops).
 * The runtime then discards it and the broker counts it in `discarded`, so once quiet
 *     delivered - discarded = broker messages given to subscribers' handlers
 *                             (+ replies given to blocked troupe_broker_request callers).
 * ------------------------------------------------------------------------------- */
typedef struct troupe_broker_stats {
  uint64_t published;       /* publishes that matched (valid subject, no NOMEM) */
  uint64_t delivered;       /* sum of troupe_publish_result.delivered */
  uint64_t dropped_full;    /* ... .dropped_full: bounded mailbox full */
  uint64_t dropped_noproc;  /* ... .dropped_noproc: subscriber gone or being killed */
  uint64_t dropped_other;   /* ... .dropped_other: runtime stopped, out of memory */
  uint64_t subscriptions;   /* live now (request inboxes included) */
  uint64_t cleaned;         /* subscriptions removed because their actor terminated */
  uint64_t requests;        /* requests made (blocking and async), each published once */
  uint64_t request_timeouts;/* of them, those that timed out */
  uint64_t late_replies;    /* replies after the first or the timeout: not delivered */
  uint64_t discarded;       /* delivered, then thrown away unhandled: the subscriber died */
} troupe_broker_stats;
TROUPE_API void troupe_broker_stats_get(troupe_broker *b, troupe_broker_stats *out);

#ifdef __cplusplus
}
#endif
#endif
