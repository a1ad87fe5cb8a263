/*
 * actor/health.c: the health protocol, part of the core so that every actor can be asked
 * how it is, supervised or not (a component answers from its `_health` export). The
 * question is an ASK tagged TROUPE_TAG_HEALTH; the answer a reply of one troupe_health
 * byte and an optional reason. An actor answers itself from handle(), or sets a
 * callback and the dispatcher answers before handle() sees the question. Supervision
 * (src/supervisor/) asks periodically and records the answers in the registry.
 */
#include "actor/core.h"

#include <stdio.h>

/* The tag ranges of include/troupe/actor.h: each layer's range is reserved and distinct
 * from the others; the core's own tags lie in its range. */
#define TRA_RANGE_OK(r) (TROUPE_TAG_IS_RESERVED(r) && ((r)&0xffffu) == 0)
_Static_assert(TRA_RANGE_OK(TROUPE_TAG_RANGE_CORE) && TRA_RANGE_OK(TROUPE_TAG_RANGE_SUP) &&
                   TRA_RANGE_OK(TROUPE_TAG_RANGE_BROKER) &&
                   TRA_RANGE_OK(TROUPE_TAG_RANGE_COMPONENT) &&
                   TRA_RANGE_OK(TROUPE_TAG_RANGE_NODE),
               "a layer tag range outside the reserved 0x54xxxxxx");
_Static_assert(TROUPE_TAG_RANGE_CORE != TROUPE_TAG_RANGE_SUP &&
                   TROUPE_TAG_RANGE_CORE != TROUPE_TAG_RANGE_BROKER &&
                   TROUPE_TAG_RANGE_CORE != TROUPE_TAG_RANGE_COMPONENT &&
                   TROUPE_TAG_RANGE_CORE != TROUPE_TAG_RANGE_NODE &&
                   TROUPE_TAG_RANGE_SUP != TROUPE_TAG_RANGE_BROKER &&
                   TROUPE_TAG_RANGE_SUP != TROUPE_TAG_RANGE_COMPONENT &&
                   TROUPE_TAG_RANGE_SUP != TROUPE_TAG_RANGE_NODE &&
                   TROUPE_TAG_RANGE_BROKER != TROUPE_TAG_RANGE_COMPONENT &&
                   TROUPE_TAG_RANGE_BROKER != TROUPE_TAG_RANGE_NODE &&
                   TROUPE_TAG_RANGE_COMPONENT != TROUPE_TAG_RANGE_NODE,
               "two layers share a tag range");
_Static_assert(TROUPE_TAG_IN_RANGE(TROUPE_TAG_HEALTH, TROUPE_TAG_RANGE_CORE),
               "TROUPE_TAG_HEALTH outside the core's tag range");

bool troupe_is_health_check(const troupe_message *msg) {
  return msg && msg->kind == TROUPE_MSG_ASK && msg->tag == TROUPE_TAG_HEALTH;
}

int troupe_health_answer(troupe_runtime *rt, troupe_actor_id self, uint64_t corr,
                         troupe_health h, const char *reason) {
  if (!rt || h < TROUPE_HEALTH_HEALTHY || h > TROUPE_HEALTH_UNHEALTHY)
    return TROUPE_E_INVAL;
  size_t n = reason ? strlen(reason) : 0;
  unsigned char small[128];
  unsigned char *buf = n + 1 <= sizeof small ? small : trB_malloc(n + 1);
  if (!buf)
    return TROUPE_E_NOMEM;
  buf[0] = (unsigned char)h;
  if (n)
    memcpy(buf + 1, reason, n);
  int rc = troupe_reply(rt, self, corr, buf, n + 1);
  if (buf != small)
    free(buf);
  return rc;
}

int troupe_actor_set_health_fn(troupe_actor *self, troupe_health_fn fn) {
  if (!self)
    return TROUPE_E_INVAL;
  if (!fn && !self->ext)
    return TROUPE_OK;
  trA_ext *x = trA_ext_get(self);
  if (!x)
    return TROUPE_E_NOMEM;
  x->health = fn;
  /* A suspended actor with a callback takes its user lane, where questions arrive. */
  if (fn)
    self->flags |= TRA_AF_HEALTH_FN;
  else
    self->flags &= (uint16_t)~TRA_AF_HEALTH_FN;
  return TROUPE_OK;
}

bool trA_wants_health_answer(const troupe_actor *a, const trA_msg *m) {
  return m->kind == TROUPE_MSG_ASK && m->tag == TROUPE_TAG_HEALTH && a->ext && a->ext->health;
}

/* The callback may not stop the actor: it only reports. */
void trA_answer_health(troupe_runtime *rt, troupe_actor *a, trA_msg *m) {
  char reason[TROUPE_ERR_MSG_MAX];
  reason[0] = '\0';
  troupe_health h = a->ext->health(a, reason, sizeof reason);
  reason[sizeof reason - 1] = '\0';
  if (h < TROUPE_HEALTH_HEALTHY || h > TROUPE_HEALTH_UNHEALTHY) {
    snprintf(reason, sizeof reason, "health callback returned %d", (int)h);
    h = TROUPE_HEALTH_UNHEALTHY;
  }
  troupe_health_answer(rt, trA_self_id(a), m->corr, h, reason[0] ? reason : NULL);
  TRA_COUNT(rt, msgs_received, 1);
  trA_msg_free(rt, m);
}
