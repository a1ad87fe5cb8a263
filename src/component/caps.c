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

int trP_send(troupe_host *h, const trP_rec *from, troupe_actor_id from_actor, trP_rec *to,
             uint32_t tag, const void *data, size_t len, troupe_err *err) {
  if (!trP_may_send(h, from, to))
    return troupe_err_set(err, TROUPE_E_DENIED, "component '%s' may not send to '%s'",
                          from->name, to->name);
  if (len > to->spec->s.limits.max_message_bytes ||
      (from && len > from->spec->s.limits.max_message_bytes))
    return troupe_err_set(err, TROUPE_E_TOO_LARGE,
                          "a message of %zu bytes to '%s' is larger than max_message_bytes", len,
                          to->name);
  int rc = trP_payload_check(data, len, err);
  if (rc)
    return rc;
  trP_msg *m = trP_msg_new(to, from ? from->id : 0, from_actor, TRP_KIND_MESSAGE, tag, data, len);
  if (!m)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  rc = trP_msg_deliver(h->rt, m, 0);
  if (rc == TROUPE_E_MAILBOX_FULL)
    return troupe_err_set(err, rc, "the mailbox of '%s' is full", to->name);
  if (rc == TROUPE_E_NOTFOUND)
    return troupe_err_set(err, rc, "component '%s' is gone", to->name);
  if (rc)
    return troupe_err_set(err, rc, "send to '%s' failed", to->name);
  return TROUPE_OK;
}
