/*
 * component/caps.c: capabilities and the rules every message from a component obeys
 * before it leaves: the sender may send to the target's name (send_to), the target
 * accepts the sender's name (accept_from; none given = everyone), the payload fits
 * both sides' max_message_bytes and is what its multicodec prefix says. The host
 * itself (an embedder, the CLI: from == NULL) is trusted and skips the capability test.
 * A refusal is an error to the sender, and the caller records an audit event; nothing
 * is delivered.
 */
#include "component/comp.h"

#include "troupe/codec.h"

#include <time.h>

bool trP_may_send(troupe_host *h, const trP_rec *from, const trP_rec *to) {
  TR_UNUSED(h);
  if (!from)
    return true;
  const troupe_component_caps *fc = &from->spec->s.caps, *tc = &to->spec->s.caps;
  if (!trP_patterns_match(&fc->send_to, to->name))
    return false;
  return tc->accept_from.n == 0 || trP_patterns_match(&tc->accept_from, from->name);
}

/* Does pattern `outer` match every subject that `inner` matches? Token by token: '>'
 * in outer takes the rest; '*' in outer takes any one token but not inner's '>';
 * a literal takes only the same literal. */
bool trP_pattern_covers(const char *outer, const char *inner) {
  const char *o = outer, *i = inner;
  for (;;) {
    size_t ol = strcspn(o, "."), il = strcspn(i, ".");
    if (ol == 1 && o[0] == '>')
      return true;
    if (il == 1 && i[0] == '>')
      return false; /* inner takes any number of tokens here; outer takes one */
    if (!(ol == 1 && o[0] == '*') && !(ol == il && memcmp(o, i, ol) == 0))
      return false;
    o += ol;
    i += il;
    if (!*o || !*i)
      return !*o && !*i;
    o++;
    i++;
  }
}

int trP_payload_check(const void *data, size_t len, troupe_err *err) {
  if (!len)
    return TROUPE_OK;
  troupe_payload p;
  return troupe_codec_decode(data, len, &p, err);
}

/* Everything a message must pass before it leaves; then a block for it (or NULL). */
static trP_msg *prepare(troupe_host *h, const trP_rec *from, troupe_actor_id from_actor,
                        trP_rec *to, uint32_t tag, const void *data, size_t len, bool checked,
                        int *rc, troupe_err *err) {
  *rc = TROUPE_OK;
  if (!checked && !trP_may_send(h, from, to)) {
    *rc = troupe_err_set(err, TROUPE_E_DENIED, "component '%s' may not send to '%s'",
                         from->name, to->name);
    return NULL;
  }
  if (len > to->spec->s.limits.max_message_bytes ||
      (from && len > from->spec->s.limits.max_message_bytes)) {
    *rc = troupe_err_set(err, TROUPE_E_TOO_LARGE,
                         "a message of %zu bytes to '%s' is larger than max_message_bytes", len,
                         to->name);
    return NULL;
  }
  if ((*rc = trP_payload_check(data, len, err)))
    return NULL;
  trP_msg *m = trP_msg_new(to, from ? from->id : 0, from_actor, TRP_KIND_MESSAGE, tag, data, len);
  if (!m)
    *rc = troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  return m;
}

static int delivered(int rc, const trP_rec *to, troupe_err *err) {
  switch (rc) {
  case TROUPE_OK:
    return TROUPE_OK;
  case TROUPE_E_MAILBOX_FULL:
    return troupe_err_set(err, rc, "the mailbox of '%s' is full", to->name);
  case TROUPE_E_TIMEOUT:
    return troupe_err_set(err, rc, "the mailbox of '%s' stayed full", to->name);
  case TROUPE_E_NOTFOUND:
    return troupe_err_set(err, rc, "component '%s' is gone", to->name);
  default:
    return troupe_err_set(err, rc, "send to '%s' failed", to->name);
  }
}

int trP_send(troupe_host *h, const trP_rec *from, troupe_actor_id from_actor, trP_rec *to,
             uint32_t tag, const void *data, size_t len, troupe_err *err) {
  int rc;
  trP_msg *m = prepare(h, from, from_actor, to, tag, data, len, false, &rc, err);
  if (!m)
    return rc;
  return delivered(trP_msg_deliver(h->rt, m, 0), to, err);
}

int trP_send_allowed(troupe_host *h, const trP_rec *from, troupe_actor_id from_actor,
                     trP_rec *to, uint32_t tag, const void *data, size_t len, troupe_err *err) {
  int rc;
  trP_msg *m = prepare(h, from, from_actor, to, tag, data, len, true, &rc, err);
  if (!m)
    return rc;
  return delivered(trP_msg_deliver(h->rt, m, 0), to, err);
}

int trP_send_wait(troupe_host *h, trP_rec *to, uint32_t tag, const void *data, size_t len,
                  uint64_t wait_ns, troupe_err *err) {
  uint64_t deadline = troupe_clock_mono_ns() + wait_ns;
  for (;;) {
    int rc;
    trP_msg *m = prepare(h, NULL, TROUPE_NO_ACTOR, to, tag, data, len, false, &rc, err);
    if (!m)
      return rc;
    uint64_t now = troupe_clock_mono_ns();
    rc = trP_msg_deliver_wait(h->rt, m, deadline > now ? deadline - now : 0);
    /* MAILBOX_FULL comes only from the held queue of a component between incarnations,
     * which has no mailbox to wait on: retry shortly until the deadline. */
    if (rc != TROUPE_E_MAILBOX_FULL || troupe_clock_mono_ns() >= deadline)
      return delivered(rc == TROUPE_E_MAILBOX_FULL ? TROUPE_E_TIMEOUT : rc, to, err);
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}
