/*
 * broker/broker_publish.c: envelopes and publishing. A publish validates the subject,
 * matches it in the trie under the read lock (so publishers run in parallel), picks
 * one member per queue group, then - with no lock held - builds the envelope once and
 * hands the same refcounted bytes to every subscriber as a borrowed message. Each
 * delivery's fate (queued, mailbox full, subscriber gone) is counted, never dropped
 * silently; so is a queued delivery the subscriber then never handles (it died first),
 * which the runtime reports through the broker's drop hook.
 */
#include "broker/broker.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- envelopes -------------------------------------------------------------------
 * One allocation: the header, then subject NUL, reply NUL (when present), payload.
 * The header's magic lets troupe_broker_decode reject a forged USER message that only
 * happens to carry the tag; the lengths are checked against the message length. */
#define TRU_BMSG_MAGIC 0x42524f4b45523031ull /* "BROKER01" */
#define TRU_NO_REPLY UINT32_MAX

struct trU_msg {
  uint64_t magic;
  _Atomic uint32_t refs;
  int32_t status;
  troupe_actor_id from;
  uint64_t corr;
  uint64_t ts;
  troupe_trace trace; /* the publishing thread's, at publish (a message's chain) */
  uint32_t subj_len;
  uint32_t reply_len; /* TRU_NO_REPLY when none */
  size_t data_len;
  size_t total;
  char bytes[];
};

trU_msg *trU_bmsg_new(troupe_actor_id from, const char *subject, const char *reply_to,
                      const void *data, size_t len, uint64_t corr, int status) {
  size_t sl = strlen(subject), rl = reply_to ? strlen(reply_to) : 0;
  if (sl >= UINT32_MAX || rl >= UINT32_MAX)
    return NULL;
  size_t total = sizeof(trU_msg) + sl + 1 + (reply_to ? rl + 1 : 0);
  if (len > SIZE_MAX - total)
    return NULL;
  total += len;
  trU_msg *m = trB_malloc(total);
  if (!m)
    return NULL;
  m->magic = TRU_BMSG_MAGIC;
  atomic_init(&m->refs, 1);
  m->status = status;
  m->from = from;
  m->corr = corr;
  m->ts = troupe_clock_wall_ns();
  m->trace = troupe_trace_current();
  m->subj_len = (uint32_t)sl;
  m->reply_len = reply_to ? (uint32_t)rl : TRU_NO_REPLY;
  m->data_len = len;
  m->total = total;
  char *p = m->bytes;
  memcpy(p, subject, sl + 1);
  p += sl + 1;
  if (reply_to) {
    memcpy(p, reply_to, rl + 1);
    p += rl + 1;
  }
  if (len)
    memcpy(p, data, len);
  return m;
}

static void bmsg_ref(trU_msg *m) {
  /* Relaxed: the caller already holds a reference, so the object cannot vanish. */
  atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void trU_bmsg_unref(trU_msg *m) {
  /* Acq_rel: release orders this holder's reads before the free; acquire (on the last
   * drop) makes every other holder's reads happen before it. An acquire fence after a
   * release decrement would do, but TSan does not model fences. */
  if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
    free(m);
}

static void bmsg_release(void *user, const void *data, size_t len) {
  (void)data;
  (void)len;
  trU_bmsg_unref(user);
}

int trU_bmsg_send(troupe_runtime *rt, trU_msg *m, troupe_actor_id to, uint32_t tag,
                  bool sys) {
  bmsg_ref(m); /* released by the runtime exactly once, also on failure */
  troupe_send_args a = {.from = m->from, .to = to, .tag = tag,
                        .flags = sys ? TROUPE_SEND_SYSTEM : 0u, .data = m, .len = m->total,
                        .release = bmsg_release, .release_user = m, .corr = m->corr};
  return troupe_send_ex(rt, &a);
}

/* Only this broker's deliveries are counted: its release function marks its envelopes,
 * and the tag leaves out the TROUPE_BROKER_TAG_FAILED answers, which were never counted
 * as delivered. The broker is looked up, not captured: it may be freed and another made
 * after troupe_runtime_stop, while the hook stays registered. */
void trU_bmsg_dropped(troupe_runtime *rt, const trA_dropped *d, void *user) {
  (void)user;
  if (d->release != bmsg_release || d->tag != TROUPE_BROKER_TAG)
    return;
  troupe_broker *b = trA_runtime_ext(rt, TRA_EXT_BROKER);
  if (b)
    TRU_BK_COUNT(b, discarded, 1);
}

void trU_bmsg_view(const trU_msg *m, troupe_broker_envelope *out) {
  out->from = m->from;
  out->subject = m->bytes;
  out->reply_to = m->reply_len == TRU_NO_REPLY ? NULL : m->bytes + m->subj_len + 1;
  out->data = m->bytes + m->subj_len + 1 + (out->reply_to ? m->reply_len + 1 : 0);
  out->len = m->data_len;
  out->corr = m->corr;
  out->timestamp_ns = m->ts;
  out->trace = m->trace;
  out->status = m->status;
}

TROUPE_API int troupe_broker_decode(const troupe_message *msg, troupe_broker_envelope *out) {
  if (!msg || !out || (msg->tag != TROUPE_BROKER_TAG && msg->tag != TROUPE_BROKER_TAG_FAILED) ||
      (msg->kind != TROUPE_MSG_USER && msg->kind != TROUPE_MSG_SYSTEM) || !msg->data ||
      msg->len < sizeof(trU_msg))
    return TROUPE_E_INVAL;
  /* Broker deliveries are borrowed, so data is our own aligned allocation; check the
   * header through memcpy anyway so a forged, copied payload cannot misalign a read. */
  trU_msg h;
  memcpy(&h, msg->data, sizeof h);
  if (h.magic != TRU_BMSG_MAGIC || h.total != msg->len || ((uintptr_t)msg->data & 7u))
    return TROUPE_E_INVAL;
  size_t body = msg->len - sizeof h, need = (size_t)h.subj_len + 1;
  if (h.reply_len != TRU_NO_REPLY)
    need += (size_t)h.reply_len + 1;
  if (need > body || body - need != h.data_len)
    return TROUPE_E_INVAL;
  const trU_msg *m = msg->data;
  if (m->bytes[h.subj_len] != '\0' ||
      (h.reply_len != TRU_NO_REPLY && m->bytes[h.subj_len + 1 + h.reply_len] != '\0'))
    return TROUPE_E_INVAL;
  trU_bmsg_view(m, out);
  return TROUPE_OK;
}

/* ---- matching ------------------------------------------------------------------- */
typedef struct target {
  troupe_actor_id actor;
  trU_breq *req; /* referenced while in the list */
} target;

typedef struct targets {
  target *v;
  size_t n, cap;
  target inl[16];
} targets;

static int targets_push(targets *t, troupe_actor_id actor, trU_breq *req) {
  if (t->n == t->cap) {
    size_t cap = t->cap * 2;
    target *v = t->v == t->inl ? trB_malloc(cap * sizeof *v)
                               : trB_realloc_array(t->v, cap, sizeof *v);
    if (!v)
      return TROUPE_E_NOMEM;
    if (t->v == t->inl)
      memcpy(v, t->inl, sizeof t->inl);
    t->v = v;
    t->cap = cap;
  }
  t->v[t->n++] = (target){actor, req};
  if (req)
    trU_breq_ref(req);
  return TROUPE_OK;
}

static int cmp_queue(const void *a, const void *b) {
  return strcmp((*(trU_sub *const *)a)->queue, (*(trU_sub *const *)b)->queue);
}

/* A per-thread xorshift for queue-group choice: no shared state among publishers. */
static _Thread_local uint64_t tls_rng;
static uint64_t rng_next(void) {
  uint64_t x = tls_rng;
  if (!x)
    x = troupe_clock_mono_ns() ^ (uint64_t)(uintptr_t)&tls_rng ^ 0x9e3779b97f4a7c15ull;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  tls_rng = x;
  return x;
}

/* Under the read lock: every plain match, and one member per queue group. Queue subs
 * are moved to the front part of `m` (reordered in place) to group them by name. */
static int select_targets(trU_subvec *m, targets *out) {
  size_t nq = 0;
  for (size_t i = 0; i < m->n; i++) {
    trU_sub *s = m->v[i];
    if (s->queue) {
      m->v[i] = m->v[nq];
      m->v[nq++] = s;
    }
  }
  for (size_t i = nq; i < m->n; i++)
    if (targets_push(out, m->v[i]->actor, m->v[i]->req))
      return TROUPE_E_NOMEM;
  if (nq > 1)
    qsort(m->v, nq, sizeof *m->v, cmp_queue);
  for (size_t i = 0; i < nq;) {
    size_t j = i + 1;
    while (j < nq && strcmp(m->v[i]->queue, m->v[j]->queue) == 0)
      j++;
    trU_sub *pick = m->v[i + (size_t)(rng_next() % (j - i))];
    if (targets_push(out, pick->actor, pick->req))
      return TROUPE_E_NOMEM;
    i = j;
  }
  return TROUPE_OK;
}

static bool is_inbox(troupe_broker *b, const char *subject) {
  return strncmp(subject, b->inbox_prefix, b->inbox_prefix_len) == 0;
}

uint64_t trU_new_inbox(troupe_broker *b, char *buf) {
  /* From the runtime's one source, so an actor suspended for the request's corr is
   * woken by nothing else (an ask's answer, a DOWN). */
  uint64_t corr = trA_corr_new(b->rt);
  snprintf(buf, TRU_INBOX_MAX, "%s%llu", b->inbox_prefix, (unsigned long long)corr);
  return corr;
}

/* ---- publish -------------------------------------------------------------------- */
TROUPE_API int troupe_broker_publish_ex(troupe_broker *b, const troupe_publish_args *args,
                                        troupe_publish_result *res, troupe_err *err) {
  troupe_publish_result r = {0};
  if (res)
    *res = r;
  if (!b || !args || (args->len && !args->data))
    return troupe_err_set(err, TROUPE_E_INVAL, "troupe_broker_publish: bad argument");
  trU_tokens subj;
  int rc = trU_subject_split(args->subject, false, &subj, err);
  if (rc)
    return rc;
  if (args->reply_to && (rc = troupe_subject_validate(args->reply_to, err))) {
    trU_tokens_free(&subj);
    return rc;
  }
  trU_subvec m;
  trU_subvec_init(&m);
  targets t = {.v = NULL, .n = 0, .cap = 16};
  t.v = t.inl;
  pthread_rwlock_rdlock(&b->lock);
  rc = trU_strie_match(b->trie, &subj, &m, &r.nodes_visited);
  if (!rc)
    rc = select_targets(&m, &t);
  pthread_rwlock_unlock(&b->lock);
  trU_subvec_free(&m);
  trU_tokens_free(&subj);
  trU_msg *env = NULL;
  if (!rc && t.n &&
      !(env = trU_bmsg_new(args->from, args->subject, args->reply_to, args->data, args->len,
                           args->corr, 0)))
    rc = TROUPE_E_NOMEM;
  if (rc) {
    troupe_err_set(err, rc, "out of memory while publishing");
    goto done;
  }
  r.matched = (uint32_t)t.n;
  bool stopped = false;
  for (size_t i = 0; i < t.n; i++) {
    int s;
    if (t.v[i].req) { /* an inbox of a pending request */
      if ((s = trU_breq_deliver(b, t.v[i].req, env)) == TRU_REPLY_LATE)
        continue;
    } else {
      s = trU_bmsg_send(b->rt, env, t.v[i].actor, TROUPE_BROKER_TAG, false);
    }
    if (s == 0)
      r.delivered++;
    else if (s == TROUPE_E_MAILBOX_FULL)
      r.dropped_full++;
    else if (s == TROUPE_E_NOTFOUND)
      r.dropped_noproc++;
    else
      r.dropped_other++, stopped |= s == TROUPE_E_STOPPED;
  }
  if (!t.n && is_inbox(b, args->subject))
    TRU_BK_COUNT(b, late_replies, 1); /* its request already ended */
  trU_bk_shard *sh = trU_bk_shard_mine(b);
  atomic_fetch_add_explicit(&sh->published, 1, memory_order_relaxed);
  if (r.delivered)
    atomic_fetch_add_explicit(&sh->delivered, r.delivered, memory_order_relaxed);
  if (r.dropped_full)
    atomic_fetch_add_explicit(&sh->dropped_full, r.dropped_full, memory_order_relaxed);
  if (r.dropped_noproc)
    atomic_fetch_add_explicit(&sh->dropped_noproc, r.dropped_noproc, memory_order_relaxed);
  if (r.dropped_other)
    atomic_fetch_add_explicit(&sh->dropped_other, r.dropped_other, memory_order_relaxed);
  if (stopped && !r.delivered)
    rc = troupe_err_set(err, TROUPE_E_STOPPED, "runtime stopped");
done:
  for (size_t i = 0; i < t.n; i++)
    if (t.v[i].req)
      trU_breq_unref(t.v[i].req);
  if (t.v != t.inl)
    free(t.v);
  trU_bmsg_unref(env);
  if (res)
    *res = r;
  return rc;
}

TROUPE_API int troupe_broker_publish(troupe_broker *b, troupe_actor_id from,
                                     const char *subject, const void *data, size_t len,
                                     troupe_publish_result *res, troupe_err *err) {
  troupe_publish_args a = {.from = from, .subject = subject, .data = data, .len = len};
  return troupe_broker_publish_ex(b, &a, res, err);
}
