/*
 * sleeper: plain WASI sleep inside a component. The invocable `sleep` takes
 * milliseconds (a JSON integer; empty arguments mean 100), calls usleep() -- which
 * wasi-libc turns into poll_oneoff with a timeout -- and returns {"slept_ms":N}, measured
 * with troupe.time's monotonic clock. An ASK sleeps 100 ms, then answers the same way.
 * The sleep suspends the instance, not the worker thread: other components run
 * meanwhile, which a host test can see by asking another component during the sleep.
 */
#include <unistd.h>

#include "troupe_guest.h"

static int32_t sleep_ms(int64_t ms, uint8_t *out, size_t cap) {
  int64_t t0 = troupe_time_ns(TROUPE_CLOCK_MONOTONIC);
  usleep((useconds_t)(ms * 1000));
  int64_t t1 = troupe_time_ns(TROUPE_CLOCK_MONOTONIC);
  return troupe_jsonf(out, cap, "{\"slept_ms\":%lld}", (long long)((t1 - t0) / 1000000));
}

/* Exported as "sleep"; the C name differs, since unistd.h has a sleep() of its own. */
TROUPE_EXPORT_AS("sleep", sleep_export) {
  int64_t ms = 100;
  if (args_len > 0) {
    uint8_t args[32];
    int32_t n = troupe_input(args, sizeof args);
    if (n < 0 || troupe_payload_int(args, (size_t)n, &ms) < 0 || ms < 0 || ms > 3600000)
      return TROUPE_ERR_INVAL;
  }
  uint8_t out[48];
  int32_t n = sleep_ms(ms, out, sizeof out);
  if (n >= 0)
    n = troupe_output(out, (size_t)n);
  return n < 0 ? n : 0;
}

TROUPE_HANDLE_MESSAGE(on_message) {
  if (kind == TROUPE_KIND_ASK) {
    uint8_t out[48];
    int32_t n = sleep_ms(100, out, sizeof out);
    if (n >= 0)
      troupe_reply(corr, out, (size_t)n);
  }
  return TROUPE_CONTINUE;
}
