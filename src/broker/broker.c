/*
 * broker/broker.c: the broker's lifetime, subscriptions and their cleanup. A
 * subscription sits in three places under the broker's write lock: the subject trie
 * (for matching), the id map (unsubscribe by id) and its actor's list (cleanup). A
 * helper actor, the janitor, monitors every subscriber once; its DOWN message removes
 * all of that actor's subscriptions, so none outlives its actor for long.
 */
#include "broker/broker.h"

#include <stdio.h>

struct trU_arec {
  troupe_actor_id id;
  trU_arec *hnext;
  trU_sub *head; /* its subscriptions */
  size_t n;
  bool watched;  /* the janitor was asked to monitor it */
};

enum { TAG_WATCH = 0x54424d57u }; /* "TBMW": janitor, please monitor data[0..8) */

_Static_assert(TROUPE_TAG_IN_RANGE(TROUPE_BROKER_TAG, TROUPE_TAG_RANGE_BROKER) &&
                   TROUPE_TAG_IN_RANGE(TROUPE_BROKER_TAG_FAILED, TROUPE_TAG_RANGE_BROKER) &&
                   TROUPE_TAG_IN_RANGE(TAG_WATCH, TROUPE_TAG_RANGE_BROKER),
               "a broker tag outside its range (include/troupe/actor.h)");

/* ---- counters ------------------------------------------------------------------- */
/* The address of a thread-local object differs per thread, which spreads threads over
 * the shards without any registration. */
static _Thread_local char tls_anchor;

trU_bk_shard *trU_bk_shard_mine(troupe_broker *b) {
  uintptr_t x = (uintptr_t)&tls_anchor;
  x ^= x >> 17;
  x *= 0x9e3779b97f4a7c15ull;
  return &b->shards[(x >> 40) % TRU_BK_SHARDS];
}

TROUPE_API void troupe_broker_stats_get(troupe_broker *b, troupe_broker_stats *out) {
  memset(out, 0, sizeof *out);
  if (!b)
    return;
  for (size_t i = 0; i < TRU_BK_SHARDS; i++) {
#define TRU_X_SUM(n) out->n += atomic_load_explicit(&b->shards[i].n, memory_order_relaxed);
    TRU_BK_COUNTERS(TRU_X_SUM)
#undef TRU_X_SUM
  }
  pthread_rwlock_rdlock(&b->lock);
  out->subscriptions = b->nids;
  pthread_rwlock_unlock(&b->lock);
}

/* ---- the two maps (write lock held) ------------------------------------------------ */
static size_t bucket(uint64_t key, size_t nb) {
  return (size_t)(troupe_hash64(&key, sizeof key, 0) & (nb - 1));
}

static int ids_grow(troupe_broker *b) {
  if (b->nids + 1 <= b->nids_b)
    return TROUPE_OK;
  size_t nb = b->nids_b ? b->nids_b * 2 : 64;
  trU_sub **v = trB_calloc(nb, sizeof *v);
  if (!v)
    return TROUPE_E_NOMEM;
  for (size_t i = 0; i < b->nids_b; i++) {
    for (trU_sub *s = b->ids[i], *next; s; s = next) {
      next = s->hnext;
      s->hnext = v[bucket(s->id, nb)];
      v[bucket(s->id, nb)] = s;
    }
  }
  free(b->ids);
  b->ids = v;
  b->nids_b = nb;
  return TROUPE_OK;
}

static trU_sub **ids_find(troupe_broker *b, troupe_sub_id id) {
  if (!b->nids_b)
    return NULL;
  for (trU_sub **pp = &b->ids[bucket(id, b->nids_b)]; *pp; pp = &(*pp)->hnext)
    if ((*pp)->id == id)
      return pp;
  return NULL;
}

static trU_arec **actors_find(troupe_broker *b, troupe_actor_id id) {
  if (!b->nactors_b)
    return NULL;
  for (trU_arec **pp = &b->actors[bucket(id, b->nactors_b)]; *pp; pp = &(*pp)->hnext)
    if ((*pp)->id == id)
      return pp;
  return NULL;
}

static trU_arec *actors_get(troupe_broker *b, troupe_actor_id id, bool *created) {
  trU_arec **pp = actors_find(b, id);
  *created = false;
  if (pp)
    return *pp;
  if (b->nactors + 1 > b->nactors_b) {
    size_t nb = b->nactors_b ? b->nactors_b * 2 : 64;
    trU_arec **v = trB_calloc(nb, sizeof *v);
    if (!v)
      return NULL;
    for (size_t i = 0; i < b->nactors_b; i++) {
      for (trU_arec *r = b->actors[i], *next; r; r = next) {
        next = r->hnext;
        r->hnext = v[bucket(r->id, nb)];
        v[bucket(r->id, nb)] = r;
      }
    }
    free(b->actors);
    b->actors = v;
    b->nactors_b = nb;
  }
  trU_arec *r = trB_calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->id = id;
  r->hnext = b->actors[bucket(id, b->nactors_b)];
  b->actors[bucket(id, b->nactors_b)] = r;
  b->nactors++;
  *created = true;
  return r;
}

static void actors_del(troupe_broker *b, trU_arec *r) {
  trU_arec **pp = actors_find(b, r->id);
  if (pp) {
    *pp = r->hnext;
    b->nactors--;
  }
  free(r);
}

/* Unhook s from the trie, the id map and its actor list (write lock held). */
static void sub_unhook(troupe_broker *b, trU_sub *s) {
  trU_strie_remove(b->trie, s);
  trU_sub **pp = ids_find(b, s->id);
  if (pp) {
    *pp = s->hnext;
    b->nids--;
  }
  if (s->aprev) {
    *s->aprev = s->anext;
    if (s->anext)
      s->anext->aprev = s->aprev;
    s->aprev = NULL;
    trU_arec **rp = actors_find(b, s->actor);
    if (rp)
      (*rp)->n--;
  }
}

static void sub_free(trU_sub *s) {
  if (s) {
    free(s->queue);
    free(s);
  }
}

/* ---- janitor ------------------------------------------------------------------- */
/* Remove every subscription of a terminated actor. */
static void drop_actor(troupe_broker *b, troupe_actor_id id) {
  trU_sub *list = NULL;
  size_t n = 0;
  pthread_rwlock_wrlock(&b->lock);
  trU_arec **rp = actors_find(b, id);
  if (rp) {
    trU_arec *r = *rp;
    while (r->head) {
      trU_sub *s = r->head;
      sub_unhook(b, s);
      s->anext = list; /* reuse the link for the free list */
      list = s;
      n++;
    }
    actors_del(b, r);
  }
  pthread_rwlock_unlock(&b->lock);
  while (list) {
    trU_sub *next = list->anext;
    sub_free(list);
    list = next;
  }
  if (n)
    TRU_BK_COUNT(b, cleaned, n);
}

static int jan_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  troupe_broker *b = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_SYSTEM && m->tag == TAG_WATCH && m->len == sizeof(uint64_t)) {
    troupe_actor_id id;
    memcpy(&id, m->data, sizeof id);
    uint64_t ref;
    /* A dead target still yields a DOWN (noproc), which then cleans up. */
    int rc = troupe_monitor(self, id, &ref);
    if (rc != 0) {
      /* Out of memory: keep the live actor's subscriptions (removing them would break
       * it silently), let its next subscribe ask again, and say so in the audit log. */
      pthread_rwlock_wrlock(&b->lock);
      trU_arec **rp = actors_find(b, id);
      if (rp)
        (*rp)->watched = false;
      pthread_rwlock_unlock(&b->lock);
      troupe_log_field f = TROUPE_LOG_STR("error", troupe_strerror(rc));
      trA_event(troupe_actor_runtime(self), TROUPE_LOG_WARN, "broker.unwatched", id, &f, 1);
    }
  } else if (m->kind == TROUPE_MSG_DOWN) {
    /* noproc from a live actor: it could not record our monitor (out of memory), not a
     * death. Treat it like the failed monitor above: keep its subscriptions. */
    if (m->reason.kind == TROUPE_EXIT_NOPROC && troupe_actor_alive(troupe_actor_runtime(self),
                                                                  m->from)) {
      pthread_rwlock_wrlock(&b->lock);
      trU_arec **rp = actors_find(b, m->from);
      if (rp)
        (*rp)->watched = false;
      pthread_rwlock_unlock(&b->lock);
      troupe_log_field f = TROUPE_LOG_STR("error", "monitor not recorded by the subscriber");
      trA_event(troupe_actor_runtime(self), TROUPE_LOG_WARN, "broker.unwatched", m->from, &f, 1);
    } else {
      drop_actor(b, m->from);
    }
  }
  return TROUPE_CONTINUE;
}

static const troupe_behaviour janitor_behaviour = {"broker", NULL, jan_handle, NULL};

/* ---- lifetime -------------------------------------------------------------------- */
TROUPE_API int troupe_broker_new(troupe_runtime *rt, troupe_broker **out, troupe_err *err) {
  if (!rt || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "troupe_broker_new: NULL argument");
  *out = NULL;
  if (trA_runtime_ext(rt, TRA_EXT_BROKER))
    return troupe_err_set(err, TROUPE_E_EXISTS, "the runtime already has a broker");
  troupe_broker *b = trB_calloc(1, sizeof *b);
  if (!b)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  b->rt = rt;
  int rc;
  /* Publishers hold the read side only while matching; writers (subscribe, cleanup)
   * must not starve behind a steady stream of them, so prefer writers where the C
   * library can (glibc); readers are never recursive here, as that option requires. */
  pthread_rwlockattr_t la;
  pthread_rwlockattr_init(&la);
#ifdef __GLIBC__
  pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
  int lrc = pthread_rwlock_init(&b->lock, &la);
  pthread_rwlockattr_destroy(&la);
  if (lrc) {
    free(b);
    return troupe_err_set(err, TROUPE_E_NOMEM, "cannot create the broker lock");
  }
  if (!(b->trie = trU_strie_new())) {
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
    goto fail;
  }
  /* The inbox prefix only has to be unique among brokers that may share a NATS
   * account later: wall clock, monotonic clock and an address mixed together. */
  uint64_t seed[3] = {troupe_clock_wall_ns(), troupe_clock_mono_ns(), (uint64_t)(uintptr_t)b};
  uint64_t u = troupe_hash64(seed, sizeof seed, 0x696e626f78ull);
  b->inbox_prefix_len = (size_t)snprintf(b->inbox_prefix, sizeof b->inbox_prefix,
                                         "_INBOX.%016llx.", (unsigned long long)u);
  /* Once per runtime (registering again is a no-op): it finds the broker through the
   * runtime, so it outlives this one harmlessly. */
  if ((rc = trA_runtime_on_drop(rt, trU_bmsg_dropped, NULL))) {
    troupe_err_set(err, rc, "cannot register the broker's drop hook");
    goto fail;
  }
  troupe_spawn_opts o = {0};
  if ((rc = troupe_spawn(rt, NULL, &janitor_behaviour, b, &o, &b->janitor, err)))
    goto fail;
  trA_runtime_set_ext(rt, TRA_EXT_BROKER, b);
  *out = b;
  return TROUPE_OK;
fail:
  trU_strie_free(b->trie);
  pthread_rwlock_destroy(&b->lock);
  free(b);
  return rc;
}

TROUPE_API troupe_broker *troupe_broker_of(troupe_runtime *rt) {
  return rt ? trA_runtime_ext(rt, TRA_EXT_BROKER) : NULL;
}

TROUPE_API void troupe_broker_free(troupe_broker *b) {
  if (!b)
    return;
  if (trA_runtime_ext(b->rt, TRA_EXT_BROKER) == b)
    trA_runtime_set_ext(b->rt, TRA_EXT_BROKER, NULL);
  for (size_t i = 0; i < b->nids_b; i++) {
    for (trU_sub *s = b->ids[i], *next; s; s = next) {
      next = s->hnext;
      sub_free(s);
    }
  }
  for (size_t i = 0; i < b->nactors_b; i++) {
    for (trU_arec *r = b->actors[i], *next; r; r = next) {
      next = r->hnext;
      free(r);
    }
  }
  free(b->ids);
  free(b->actors);
  trU_strie_free(b->trie);
  pthread_rwlock_destroy(&b->lock);
  free(b);
}

/* ---- subscribe / unsubscribe ------------------------------------------------------ */
/* Queue group names: like NATS clients, non-empty and free of whitespace. */
static int check_queue(const char *q, troupe_err *err) {
  if (!*q)
    return troupe_err_set(err, TROUPE_E_INVAL, "queue group name is empty");
  for (const char *p = q; *p; p++)
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
      return troupe_err_set(err, TROUPE_E_INVAL, "queue group \"%.80s\" contains whitespace", q);
  return TROUPE_OK;
}

/* Insert a prepared sub (write lock taken here). With an actor, also its record;
 * *need_watch says whether the janitor must be told to monitor it. */
static int add_sub(troupe_broker *b, const trU_tokens *pat, trU_sub *s, bool *need_watch) {
  *need_watch = false;
  pthread_rwlock_wrlock(&b->lock);
  int rc = ids_grow(b);
  trU_arec *r = NULL;
  bool created = false;
  if (!rc && s->actor && !(r = actors_get(b, s->actor, &created)))
    rc = TROUPE_E_NOMEM;
  if (!rc && (rc = trU_strie_insert(b->trie, pat, s)) != 0 && created)
    actors_del(b, r);
  if (!rc) {
    size_t k = bucket(s->id, b->nids_b);
    s->hnext = b->ids[k];
    b->ids[k] = s;
    b->nids++;
    if (r) {
      s->anext = r->head;
      if (r->head)
        r->head->aprev = &s->anext;
      s->aprev = &r->head;
      r->head = s;
      r->n++;
      if (!r->watched)
        *need_watch = r->watched = true;
    }
  }
  pthread_rwlock_unlock(&b->lock);
  return rc;
}

static trU_sub *sub_new(troupe_broker *b, troupe_actor_id who, const char *queue) {
  trU_sub *s = trB_calloc(1, sizeof *s);
  if (!s)
    return NULL;
  if (queue && !(s->queue = trB_strdup(queue))) {
    free(s);
    return NULL;
  }
  /* Relaxed: ids only need to be unique. */
  s->id = atomic_fetch_add_explicit(&b->next_id, 1, memory_order_relaxed) + 1;
  s->actor = who;
  return s;
}

TROUPE_API int troupe_broker_subscribe(troupe_broker *b, troupe_actor_id who,
                                       const char *pattern, const char *queue,
                                       troupe_sub_id *out, troupe_err *err) {
  if (!b || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "troupe_broker_subscribe: NULL argument");
  *out = 0;
  trU_tokens pat;
  int rc = trU_subject_split(pattern, true, &pat, err);
  if (rc)
    return rc;
  if (queue && (rc = check_queue(queue, err)))
    goto done;
  if (!troupe_actor_alive(b->rt, who)) {
    rc = troupe_err_set(err, TROUPE_E_NOTFOUND, "subscriber is not a live actor");
    goto done;
  }
  trU_sub *s = sub_new(b, who, queue);
  if (!s) {
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
    goto done;
  }
  /* Read before add_sub publishes s: from then on the janitor may reap it at any time
   * (the subscriber may already be dead and watched from an earlier subscription). */
  troupe_sub_id id = s->id;
  bool watch;
  if ((rc = add_sub(b, &pat, s, &watch))) {
    sub_free(s);
    troupe_err_set(err, rc, "out of memory");
    goto done;
  }
  if (watch) {
    troupe_send_args a = {.to = b->janitor, .tag = TAG_WATCH, .flags = TROUPE_SEND_SYSTEM,
                          .data = &who, .len = sizeof who};
    if ((rc = troupe_send_ex(b->rt, &a))) {
      /* Nobody would reap it: undo, and let the next subscribe ask again. */
      pthread_rwlock_wrlock(&b->lock);
      trU_arec **rp = actors_find(b, who);
      if (rp)
        (*rp)->watched = false;
      pthread_rwlock_unlock(&b->lock);
      troupe_broker_unsubscribe(b, id);
      troupe_err_set(err, rc, "cannot watch the subscriber: %s", troupe_strerror(rc));
      goto done;
    }
  }
  *out = id;
done:
  trU_tokens_free(&pat);
  return rc;
}

int trU_sub_inbox(troupe_broker *b, const char *inbox, trU_breq *req,
                  troupe_sub_id *out, troupe_err *err) {
  trU_tokens pat;
  int rc = trU_subject_split(inbox, true, &pat, err);
  if (rc)
    return rc;
  trU_sub *s = sub_new(b, 0, NULL);
  bool watch;
  if (!s)
    rc = TROUPE_E_NOMEM;
  else if (s->req = req, (rc = add_sub(b, &pat, s, &watch)) != 0)
    sub_free(s);
  else
    *out = s->id;
  if (rc)
    troupe_err_set(err, rc, "out of memory");
  trU_tokens_free(&pat);
  return rc;
}

TROUPE_API int troupe_broker_unsubscribe(troupe_broker *b, troupe_sub_id id) {
  if (!b || !id)
    return TROUPE_E_INVAL;
  pthread_rwlock_wrlock(&b->lock);
  trU_sub **pp = ids_find(b, id);
  trU_sub *s = pp ? *pp : NULL;
  if (s)
    sub_unhook(b, s);
  pthread_rwlock_unlock(&b->lock);
  if (!s)
    return TROUPE_E_NOTFOUND;
  sub_free(s);
  return TROUPE_OK;
}

TROUPE_API size_t troupe_broker_count_subs(troupe_broker *b, troupe_actor_id who) {
  if (!b)
    return 0;
  pthread_rwlock_rdlock(&b->lock);
  trU_arec **rp = actors_find(b, who);
  size_t n = rp ? (*rp)->n : 0;
  pthread_rwlock_unlock(&b->lock);
  return n;
}
