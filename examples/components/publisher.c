/*
 * publisher: the broker from the publishing side, and timers. The invocable `publish`
 * publishes its arguments (any prefixed payload) on "news.flash" and returns the
 * publish status; `start` takes an interval in milliseconds (a JSON integer) and from
 * then on a TIMER message (troupe.send_after, re-armed at each tick) publishes
 * {"tick":N} on "news.tick"; `stop` cancels the timer. _cleanup cancels it too and says
 * so in the log (an orderly stop runs it; a crash does not).
 */
#include <stdlib.h>

#include "troupe_guest.h"

#define TICK_TAG 1

static int64_t timer = -1; /* the pending timer, -1 when none */
static int64_t interval_ms;
static int64_t ticks;

TROUPE_EXPORT(publish) {
  uint8_t *a = troupe_input_alloc(args_len);
  if (!a)
    return TROUPE_ERR_NOMEM;
  int32_t rc = troupe_publish("news.flash", a, (size_t)args_len);
  free(a);
  if (rc < 0)
    troupe_logf(TROUPE_LEVEL_WARN, "publish on news.flash: %s", troupe_error_name(rc));
  return rc < 0 ? rc : 0;
}

TROUPE_EXPORT(start) {
  uint8_t args[32];
  int32_t n = troupe_input(args, sizeof args);
  if (n < 0 || troupe_payload_int(args, (size_t)n, &interval_ms) < 0 || interval_ms <= 0)
    return TROUPE_ERR_INVAL;
  if (timer >= 0)
    troupe_abi_cancel_timer(timer);
  timer = troupe_send_after(interval_ms, TICK_TAG, NULL, 0);
  return timer < 0 ? (int32_t)timer : 0;
}

TROUPE_EXPORT(stop) {
  int32_t cancelled = timer >= 0 ? troupe_abi_cancel_timer(timer) : 0;
  timer = -1;
  return cancelled < 0 ? cancelled : 0;
}

TROUPE_HANDLE_MESSAGE(on_message) {
  if (kind != TROUPE_KIND_TIMER || tag != TICK_TAG || corr != timer)
    return TROUPE_CONTINUE; /* a stale tick of a cancelled timer, or not ours */
  uint8_t msg[48];
  int32_t n = troupe_jsonf(msg, sizeof msg, "{\"tick\":%lld}", (long long)++ticks);
  if (n >= 0)
    troupe_publish("news.tick", msg, (size_t)n);
  timer = troupe_send_after(interval_ms, TICK_TAG, NULL, 0);
  return TROUPE_CONTINUE;
}

TROUPE_CLEANUP(on_cleanup) {
  if (timer >= 0)
    troupe_abi_cancel_timer(timer);
  troupe_logf(TROUPE_LEVEL_INFO, "publisher stopping after %lld ticks", (long long)ticks);
}
