/*
 * broker/broker.h: internals shared by the broker's files: subject tokens (subject.c),
 * the subscription trie (subject_trie.c), subscriptions and the broker itself
 * (broker.c), envelopes and publishing (broker_publish.c), request/reply
 * (broker_request.c). The broker sees the core only through the public headers and
 * actor/ext.h, the core's extension API.
 */
#ifndef TROUPE_SRC_BROKER_BROKER_H
#define TROUPE_SRC_BROKER_BROKER_H

#include "actor/ext.h"
#include "troupe/broker.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- subjects (subject.c) ---------------------------------------------------------
 * A subject split into tokens that point into the caller's string. Up to
 * TRU_TOK_INLINE tokens live inside the struct; longer subjects use the heap. */
#define TRU_TOK_INLINE 16

typedef struct trU_tok {
  const char *p;
  size_t len;
} trU_tok;

typedef struct trU_tokens {
  trU_tok *v; /* inl or heap */
  size_t n;
  trU_tok inl[TRU_TOK_INLINE];
} trU_tokens;

/* Validate `s` (a subscription pattern when `pattern`, else a publish subject) and split
 * it. INVAL with a message naming the bad token, or NOMEM. On success free with
 * trU_tokens_free; on failure nothing needs freeing. */
int trU_subject_split(const char *s, bool pattern, trU_tokens *out, troupe_err *err);
void trU_tokens_free(trU_tokens *t);
static inline bool trU_tok_is(const trU_tok *t, char c) {
  return t->len == 1 && t->p[0] == c;
}

/* ---- subscriptions --------------------------------------------------------------- */
typedef struct trU_snode trU_snode;
typedef struct trU_breq trU_breq;

typedef struct trU_sub {
  troupe_sub_id id;
  troupe_actor_id actor;  /* subscriber; 0 for an inbox of a pending request */
  trU_breq *req;          /* the request owning this inbox, else NULL */
  char *queue;            /* queue group or NULL */
  trU_snode *node;        /* where it sits in the trie */
  uint32_t slot;          /* its index in node's list */
  struct trU_sub *hnext;  /* id hash chain (broker.c) */
  struct trU_sub *anext;  /* per-actor list (broker.c) */
  struct trU_sub **aprev; /* &previous->anext or &head */
} trU_sub;

/* ---- the trie (subject_trie.c) ----------------------------------------------------
 * Not thread-safe by itself: the broker holds its rwlock (readers match). */
typedef struct trU_strie trU_strie;

typedef struct trU_subvec {
  trU_sub **v;
  size_t n, cap;
  trU_sub *inl[16];
} trU_subvec;

void trU_subvec_init(trU_subvec *sv);
void trU_subvec_free(trU_subvec *sv);

trU_strie *trU_strie_new(void);
void trU_strie_free(trU_strie *t); /* the subs themselves stay the caller's */
/* Put s at the node for `pat` (a validated pattern). NOMEM leaves the trie as it was. */
int trU_strie_insert(trU_strie *t, const trU_tokens *pat, trU_sub *s);
void trU_strie_remove(trU_strie *t, trU_sub *s);
/* Append every sub whose pattern matches the literal subject `subj`; *visited gets
 * the number of trie nodes entered (the matching work). NOMEM. */
int trU_strie_match(const trU_strie *t, const trU_tokens *subj, trU_subvec *out,
                    uint64_t *visited);
size_t trU_strie_node_count(const trU_strie *t); /* including the root */

/* ---- broker ---------------------------------------------------------------------- */
typedef struct trU_msg trU_msg;

/* Counters are sharded by thread so concurrent publishers do not fight over one cache
 * line; each shard is written with relaxed atomic adds (counts only, no ordering). */
#define TRU_BK_COUNTERS(X)                                                               \
  X(published) X(delivered) X(dropped_full) X(dropped_noproc) X(dropped_other)          \
  X(cleaned) X(requests) X(request_timeouts) X(late_replies) X(discarded)

typedef struct trU_bk_shard {
#define TRU_X_FIELD(n) _Atomic uint64_t n;
  TRU_BK_COUNTERS(TRU_X_FIELD)
#undef TRU_X_FIELD
  char pad_[64];
} trU_bk_shard;
#define TRU_BK_SHARDS 16

typedef struct trU_arec trU_arec; /* per-subscriber record (broker.c) */

struct troupe_broker {
  troupe_runtime *rt;
  /* Readers: publish (matching). Writers: subscribe, unsubscribe, termination cleanup.
   * Guards trie, the id map, the actor map and every trU_sub's links. */
  pthread_rwlock_t lock;
  trU_strie *trie;
  trU_sub **ids;      /* id -> sub, chained through hnext; nids_b buckets */
  size_t nids, nids_b;
  trU_arec **actors;  /* actor id -> record */
  size_t nactors, nactors_b;
  _Atomic uint64_t next_id;   /* relaxed: uniqueness only */
  troupe_actor_id janitor;
  char inbox_prefix[40];      /* "_INBOX.<unique>." */
  size_t inbox_prefix_len;
  trU_bk_shard shards[TRU_BK_SHARDS];
};

trU_bk_shard *trU_bk_shard_mine(troupe_broker *b);
#define TRU_BK_COUNT(b, field, n)                                                          \
  atomic_fetch_add_explicit(&trU_bk_shard_mine(b)->field, (n), memory_order_relaxed)

/* Subscribe an inbox owned by `req` (actor 0). */
int trU_sub_inbox(troupe_broker *b, const char *inbox, trU_breq *req,
                  troupe_sub_id *out, troupe_err *err);
/* Called by publish (no broker lock held) when a message reaches a request inbox:
 * m is the shared envelope (take a reference to keep it). TROUPE_OK when it was taken as
 * the reply and handed on (to the blocked thread, or into the async requester's
 * mailbox); TRU_REPLY_LATE when the request had already ended (counted here as a late
 * reply); else the send status of an async requester that could not take it (NOTFOUND:
 * it is gone or being killed; the request is over all the same). */
#define TRU_REPLY_LATE 1
int trU_breq_deliver(troupe_broker *b, trU_breq *req, trU_msg *m);
void trU_breq_ref(trU_breq *req);
void trU_breq_unref(trU_breq *req);
/* A fresh inbox subject and correlation id (buf >= TRU_INBOX_MAX bytes). */
#define TRU_INBOX_MAX 64
uint64_t trU_new_inbox(troupe_broker *b, char *buf);

/* Encoded envelopes: refcounted so one copy serves every subscriber (borrowed sends). */
void trU_bmsg_unref(trU_msg *m);
/* Send m to `to` (SYSTEM lane when sys) with `tag`; takes its own reference. */
int trU_bmsg_send(troupe_runtime *rt, trU_msg *m, troupe_actor_id to, uint32_t tag,
                  bool sys);
/* Build an envelope; NULL on NOMEM. Refcount 1. */
trU_msg *trU_bmsg_new(troupe_actor_id from, const char *subject, const char *reply_to,
                      const void *data, size_t len, uint64_t corr, int status);
/* Decoded view of m (pointers into m). */
void trU_bmsg_view(const trU_msg *m, troupe_broker_envelope *out);
/* The broker's drop hook (trA_runtime_on_drop, user NULL): counts `discarded`, the
 * deliveries the runtime threw away unhandled (see troupe_broker_stats). */
void trU_bmsg_dropped(troupe_runtime *rt, const trA_dropped *d, void *user);

#endif
