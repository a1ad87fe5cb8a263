/*
 * subscriber: the broker from the receiving side. It subscribes to "news.>" at the
 * start of each incarnation (TROUPE_INIT runs inside _initialize; a subscription ends
 * with the incarnation, so a restarted subscriber subscribes again), counts the
 * PUBLICATIONs it receives and remembers the last subject (troupe.input_subject). An
 * ASK, or the invocable `count`, answers {"count":N,"last":"SUBJECT"}.
 */
#include "troupe_guest.h"

static int64_t received;
static char last[128] = "";

TROUPE_INIT(subscribe_news) {
  int64_t sub = troupe_subscribe("news.>");
  if (sub < 0) /* e.g. DENIED: no subscribe capability; the component still starts */
    troupe_logf(TROUPE_LEVEL_ERROR, "subscribe news.>: %s", troupe_error_name((int)sub));
}

static int32_t answer(uint8_t *buf, size_t cap) {
  return troupe_jsonf(buf, cap, "{\"count\":%lld,\"last\":\"%s\"}", (long long)received, last);
}

TROUPE_HANDLE_MESSAGE(on_message) {
  uint8_t out[200];
  if (kind == TROUPE_KIND_PUBLICATION) {
    received++;
    /* Subjects are tokens of [A-Za-z0-9_-] and dots: safe inside a JSON string. */
    troupe_subject(last, sizeof last);
  } else if (kind == TROUPE_KIND_ASK) {
    int32_t n = answer(out, sizeof out);
    if (n >= 0)
      troupe_reply(corr, out, (size_t)n);
  }
  return TROUPE_CONTINUE;
}

TROUPE_EXPORT(count) {
  uint8_t out[200];
  int32_t n = answer(out, sizeof out);
  if (n >= 0)
    n = troupe_output(out, (size_t)n);
  return n < 0 ? n : 0;
}
