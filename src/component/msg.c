/*
 * component/msg.c: how a message reaches a component, and why none is lost across a
 * restart.
 *
 * A component keeps its id and its queued messages when its supervisor restarts it,
 * but each incarnation is a new actor with a new actor id and a new mailbox. So the
 * layer sends every MESSAGE and TIMER as one block (trP_msg: header + payload) *lent* to
 * the runtime (troupe_send_args.release), and keeps per component a held queue:
 *
 *        sender ──► rec->actor != 0 ? ──yes──► troupe_send_ex(actor) ──OK──► mailbox
 *                         │ no                       │ NOTFOUND (dying)
 *                         ▼                          ▼
 *                    held queue (under rec->mu) ◄────┘
 *                         ▲
 *   dying incarnation ────┘  messages it still had queued or deferred come back
 *   (drop hook + release)    through the drop hook and go in *front* of what senders
 *                            held after it (held_cursor), so their order is kept
 *
 *   next incarnation's init: held queue ──► its own mailbox (system lane, in order),
 *                            then rec->actor = its id; from then on sends go direct.
 *
 * rec->actor is written under rec->mu only (adopt, release) and read without it by
 * senders: a sender that reads 0 or a dead id takes the lock and re-checks, so a
 * message is either in a live mailbox or in the held queue, never in neither. The
 * release/acquire pair on rec->actor orders the drained queue before direct sends.
 *
 * A runtime refuses a send synchronously, on the sending thread, calling release
 * before troupe_send_ex returns; the sender must keep its block then (to hold it), so
 * release ignores the block the calling thread is sending (tl_sending).
 */
#include "component/comp.h"

static _Thread_local trP_msg *tl_sending;

trP_msg *trP_msg_new(trP_rec *to, troupe_component_id from, troupe_actor_id from_actor,
                     uint8_t kind, uint32_t tag, const void *data, size_t len) {
  if (len > UINT32_MAX)
    return NULL;
  trP_msg *m = trB_malloc(sizeof *m + len);
  if (!m)
    return NULL;
  m->next = NULL;
  m->to = trP_rec_ref(to);
  m->from = from;
  m->from_actor = from_actor;
  m->guest_tag = tag;
  m->kind = kind;
  atomic_init(&m->dropped, false);
  m->corr = 0;
  m->tr = trP_trace_out(to->host);
  m->len = (uint32_t)len;
  if (len)
    memcpy(m->data, data, len);
  return m;
}

void trP_msg_free(trP_msg *m) {
  if (!m)
    return;
  trP_rec_unref(m->to);
  free(m);
}

/* Put a message of a dead incarnation back, after the ones already put back and ahead
 * of what senders held meanwhile. False when the component is gone for good. */
static bool requeue(trP_msg *m) {
  trP_rec *r = m->to;
  pthread_mutex_lock(&r->mu);
  if (r->gone) {
    pthread_mutex_unlock(&r->mu);
    return false;
  }
  if (r->held_cursor) {
    m->next = r->held_cursor->next;
    r->held_cursor->next = m;
  } else {
    m->next = r->held_head;
    r->held_head = m;
  }
  if (r->held_tail == r->held_cursor)
    r->held_tail = m;
  r->held_cursor = m;
  r->held_n++;
  troupe_actor_id cur = atomic_load_explicit(&r->actor, memory_order_relaxed);
  pthread_mutex_unlock(&r->mu);
  /* A straggler: the next incarnation may already have adopted the queue. Tell it. */
  if (cur)
    troupe_send_ex(r->host->rt, &(troupe_send_args){.to = cur, .tag = TRP_TAG_HELD,
                                                    .flags = TROUPE_SEND_SYSTEM});
  return true;
}

void trP_msg_release(void *user, const void *data, size_t len) {
  TR_UNUSED(data);
  TR_UNUSED(len);
  trP_msg *m = user;
  if (m == tl_sending)
    return; /* refused on the sending thread: trP_msg_deliver keeps it */
  if (atomic_load_explicit(&m->dropped, memory_order_relaxed) && requeue(m))
    return;
  trP_msg_free(m);
}

void trP_drop_hook(troupe_runtime *rt, const trA_dropped *d, void *user) {
  TR_UNUSED(rt);
  TR_UNUSED(user);
  if (d->release != trP_msg_release)
    return;
  trP_msg *m = d->release_user;
  /* Relaxed: release runs next on this same thread. */
  atomic_store_explicit(&m->dropped, true, memory_order_relaxed);
}

/* Deliver, waiting up to wait_ns for room when wait_ns > 0 (troupe_send_wait). */
static int deliver(troupe_runtime *rt, trP_msg *m, unsigned flags, uint64_t wait_ns) {
  trP_rec *r = m->to;
  for (;;) {
    /* Acquire: pairs with the release store in trP_held_adopt, so a direct send lands
     * after the held messages the incarnation moved into its mailbox. */
    troupe_actor_id a = atomic_load_explicit(&r->actor, memory_order_acquire);
    if (a) {
      troupe_send_args args = {.from = m->from_actor, .to = a, .tag = TRP_TAG_MSG,
                               .flags = flags, .data = m, .len = sizeof *m + m->len,
                               .release = trP_msg_release, .release_user = m};
      tl_sending = m;
      int rc = wait_ns ? troupe_send_wait(rt, &args, wait_ns) : troupe_send_ex(rt, &args);
      tl_sending = NULL;
      if (rc == TROUPE_OK)
        return TROUPE_OK;
      if (rc != TROUPE_E_NOTFOUND) {
        trP_msg_free(m);
        return rc;
      }
    }
    pthread_mutex_lock(&r->mu);
    troupe_actor_id cur = atomic_load_explicit(&r->actor, memory_order_relaxed);
    if (r->gone) {
      pthread_mutex_unlock(&r->mu);
      trP_msg_free(m);
      return TROUPE_E_NOTFOUND;
    }
    if (cur && cur != a) { /* a newer incarnation took over: send to it */
      pthread_mutex_unlock(&r->mu);
      continue;
    }
    uint32_t bound = r->spec->s.limits.mailbox_bound;
    if (bound && r->held_n >= bound && !(flags & TROUPE_SEND_SYSTEM)) {
      pthread_mutex_unlock(&r->mu);
      trP_msg_free(m);
      return TROUPE_E_MAILBOX_FULL;
    }
    m->next = NULL;
    if (r->held_tail)
      r->held_tail->next = m;
    else
      r->held_head = m;
    r->held_tail = m;
    r->held_n++;
    pthread_mutex_unlock(&r->mu);
    return TROUPE_OK;
  }
}

int trP_msg_deliver(troupe_runtime *rt, trP_msg *m, unsigned flags) {
  return deliver(rt, m, flags, 0);
}

int trP_msg_deliver_wait(troupe_runtime *rt, trP_msg *m, uint64_t wait_ns) {
  return deliver(rt, m, 0, wait_ns ? wait_ns : 1);
}

/* Move the held queue into self's mailbox (system lane: in order, ahead of the user
 * lane, and past the mailbox bound, which the held queue already enforced). */
static void drain_locked(trP_rec *r, troupe_runtime *rt, troupe_actor_id self) {
  trP_msg *m = r->held_head;
  r->held_head = r->held_tail = r->held_cursor = NULL;
  r->held_n = 0;
  while (m) {
    trP_msg *next = m->next;
    m->next = NULL;
    atomic_store_explicit(&m->dropped, false, memory_order_relaxed);
    /* A refusal here (out of memory) releases m through trP_msg_release, which frees
     * it: the message is lost and the runtime counted it rejected. */
    troupe_send_ex(rt, &(troupe_send_args){.from = m->from_actor, .to = self,
                                           .tag = TRP_TAG_MSG, .flags = TROUPE_SEND_SYSTEM,
                                           .data = m, .len = sizeof *m + m->len,
                                           .release = trP_msg_release, .release_user = m});
    m = next;
  }
}

void trP_held_adopt(trP_rec *r, troupe_runtime *rt, troupe_actor_id self) {
  pthread_mutex_lock(&r->mu);
  drain_locked(r, rt, self);
  /* Release: a sender that reads self here sees the drained messages queued first. */
  atomic_store_explicit(&r->actor, self, memory_order_release);
  pthread_mutex_unlock(&r->mu);
}

void trP_held_drain(trP_rec *r, troupe_runtime *rt, troupe_actor_id self) {
  pthread_mutex_lock(&r->mu);
  if (atomic_load_explicit(&r->actor, memory_order_relaxed) == self)
    drain_locked(r, rt, self);
  pthread_mutex_unlock(&r->mu);
}

void trP_held_release_actor(trP_rec *r, troupe_actor_id self) {
  pthread_mutex_lock(&r->mu);
  if (atomic_load_explicit(&r->actor, memory_order_relaxed) == self)
    atomic_store_explicit(&r->actor, 0, memory_order_relaxed);
  r->held_cursor = NULL; /* this incarnation's leftovers go first */
  pthread_mutex_unlock(&r->mu);
}
