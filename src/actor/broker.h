/*
 * actor/broker.h: internals shared by the broker's files: subject tokens (subject.c),
 * the subscription trie (subject_trie.c), subscriptions and the broker itself
 * (broker.c), request/reply (broker_request.c). Kept apart from actor/actor.h, which
 * belongs to the runtime core; the broker uses only the core's public and internal API.
 */
#ifndef TROUPE_SRC_ACTOR_BROKER_H
#define TROUPE_SRC_ACTOR_BROKER_H

#include "actor/actor.h"
#include "troupe/broker.h"

/* ---- subjects (subject.c) ---------------------------------------------------------
 * A subject split into tokens that point into the caller's string. Up to
 * TRA_TOK_INLINE tokens live inside the struct; longer subjects use the heap. */
#define TRA_TOK_INLINE 16

typedef struct trA_tok {
  const char *p;
  size_t len;
} trA_tok;

typedef struct trA_tokens {
  trA_tok *v; /* inl or heap */
  size_t n;
  trA_tok inl[TRA_TOK_INLINE];
} trA_tokens;

/* Validate `s` (a subscription pattern when `pattern`, else a publish subject) and split
 * it. INVAL with a message naming the bad token, or NOMEM. On success free with
 * trA_tokens_free; on failure nothing needs freeing. */
int trA_subject_split(const char *s, bool pattern, trA_tokens *out, troupe_err *err);
void trA_tokens_free(trA_tokens *t);
static inline bool trA_tok_is(const trA_tok *t, char c) {
  return t->len == 1 && t->p[0] == c;
}

/* ---- subscriptions --------------------------------------------------------------- */
typedef struct trA_snode trA_snode;
typedef struct trA_breq trA_breq;

typedef struct trA_sub {
  troupe_sub_id id;
  troupe_actor_id actor;  /* subscriber; 0 for an inbox of a pending request */
  trA_breq *req;          /* the request owning this inbox, else NULL */
  char *queue;            /* queue group or NULL */
  trA_snode *node;        /* where it sits in the trie */
  uint32_t slot;          /* its index in node's list */
  struct trA_sub *hnext;  /* id hash chain (broker.c) */
  struct trA_sub *anext;  /* per-actor list (broker.c) */
  struct trA_sub **aprev; /* &previous->anext or &head */
} trA_sub;

/* ---- the trie (subject_trie.c) ----------------------------------------------------
 * Not thread-safe by itself: the broker holds its rwlock (readers match). */
typedef struct trA_strie trA_strie;

typedef struct trA_subvec {
  trA_sub **v;
  size_t n, cap;
  trA_sub *inl[16];
} trA_subvec;

void trA_subvec_init(trA_subvec *sv);
void trA_subvec_free(trA_subvec *sv);
int trA_subvec_push(trA_subvec *sv, trA_sub *s);

trA_strie *trA_strie_new(void);
void trA_strie_free(trA_strie *t); /* the subs themselves stay the caller's */
/* Put s at the node for `pat` (a validated pattern). NOMEM leaves the trie as it was. */
int trA_strie_insert(trA_strie *t, const trA_tokens *pat, trA_sub *s);
void trA_strie_remove(trA_strie *t, trA_sub *s);
/* Append every sub whose pattern matches the literal subject `subj`; *visited gets
 * the number of trie nodes entered (the matching work). NOMEM. */
int trA_strie_match(const trA_strie *t, const trA_tokens *subj, trA_subvec *out,
                    uint64_t *visited);
size_t trA_strie_node_count(const trA_strie *t); /* including the root */

/* ---- broker ---------------------------------------------------------------------- */
typedef struct trA_broker_msg trA_broker_msg;

/* Counters are sharded by thread so concurrent publishers do not fight over one cache
 * line; each shard is written with relaxed atomic adds (counts only, no ordering). */
#define TRA_BK_COUNTERS(X)                                                               \
  X(published) X(delivered) X(dropped_full) X(dropped_noproc) X(dropped_other)          \
  X(cleaned) X(requests) X(request_timeouts) X(late_replies)

typedef struct trA_bk_shard {
#define TRA_X_FIELD(n) _Atomic uint64_t n;
  TRA_BK_COUNTERS(TRA_X_FIELD)
#undef TRA_X_FIELD
  char pad_[64];
} trA_bk_shard;
#define TRA_BK_SHARDS 16

typedef struct trA_arec trA_arec; /* per-subscriber record (broker.c) */

struct troupe_broker {
  troupe_runtime *rt;
  /* Readers: publish (matching). Writers: subscribe, unsubscribe, termination cleanup.
   * Guards trie, the id map, the actor map and every trA_sub's links. */
  pthread_rwlock_t lock;
  trA_strie *trie;
  trA_sub **ids;      /* id -> sub, chained through hnext; nids_b buckets */
  size_t nids, nids_b;
  trA_arec **actors;  /* actor id -> record */
  size_t nactors, nactors_b;
  _Atomic uint64_t next_id;   /* relaxed: uniqueness only */
  _Atomic uint64_t next_corr; /* relaxed: uniqueness only */
  troupe_actor_id janitor;
  char inbox_prefix[40];      /* "_INBOX.<unique>." */
  size_t inbox_prefix_len;
  trA_bk_shard shards[TRA_BK_SHARDS];
};

trA_bk_shard *trA_bk_shard_mine(troupe_broker *b);
#define TRA_BK_COUNT(b, field, n)                                                          \
  atomic_fetch_add_explicit(&trA_bk_shard_mine(b)->field, (n), memory_order_relaxed)

/* Subscribe an inbox owned by `req` (actor 0). */
int trA_broker_sub_inbox(troupe_broker *b, const char *inbox, trA_breq *req,
                         troupe_sub_id *out, troupe_err *err);
/* Called by publish (no broker lock held) when a message reaches a request inbox:
 * m is the shared envelope (take a reference to keep it). True when it was taken as
 * the reply; false when the request had already ended (counted as a late reply). */
bool trA_breq_deliver(troupe_broker *b, trA_breq *req, trA_broker_msg *m);
void trA_breq_ref(trA_breq *req);
void trA_breq_unref(trA_breq *req);
/* True when `subject` is one of this broker's inboxes (for late-reply counting). */
bool trA_broker_is_inbox(troupe_broker *b, const char *subject);
/* A fresh inbox subject and correlation id (buf >= TRA_INBOX_MAX bytes). */
#define TRA_INBOX_MAX 64
uint64_t trA_broker_new_inbox(troupe_broker *b, char *buf);

/* Encoded envelopes: refcounted so one copy serves every subscriber (borrowed sends). */
void trA_bmsg_ref(trA_broker_msg *m);
void trA_bmsg_unref(trA_broker_msg *m);
/* Send m to `to` (SYSTEM lane when sys) with `tag`; takes its own reference. */
int trA_bmsg_send(troupe_runtime *rt, trA_broker_msg *m, troupe_actor_id to, uint32_t tag,
                  bool sys);
/* Build an envelope; NULL on NOMEM. Refcount 1. */
trA_broker_msg *trA_bmsg_new(troupe_actor_id from, const char *subject, const char *reply_to,
                             const void *data, size_t len, uint64_t corr, int status);
/* Decoded view of m (pointers into m). */
void trA_bmsg_view(const trA_broker_msg *m, troupe_broker_envelope *out);

#endif
