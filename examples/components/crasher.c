/*
 * crasher: every way a component can fail, for supervision tests. A MESSAGE fails by
 * its tag: 0 traps (__builtin_trap, an `unreachable`), 1 returns a negative code
 * (TROUPE_ERR_INVAL: a crash with that code, no trap), 2 stops normally (handle-message
 * returns TROUPE_STOP), 3 calls exit(3) (WASI proc_exit: a crash with exit code 3). The
 * invocable `crash` traps. Any other tag is an ordinary message, counted; an ASK "ping"
 * is answered "pong" (so a test can tell that a restarted crasher is back) and an ASK
 * "count" {"handled":N}, the ordinary messages this incarnation has handled (the count
 * starts again from 0 after a crash: it shows what the next incarnation received).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "troupe_guest.h"

static int64_t handled;

static bool asked_for(const char *q, size_t len, const char *word) {
  return len == strlen(word) && memcmp(q, word, len) == 0;
}

TROUPE_HANDLE_MESSAGE(on_message) {
  if (kind == TROUPE_KIND_ASK) {
    char q[16];
    const char *text;
    size_t n;
    int32_t got = troupe_input(q, sizeof q);
    uint8_t out[48];
    int32_t olen;
    bool json = got >= 0 && troupe_payload_json(q, (size_t)got, &text, &n) == 0;
    if (json && asked_for(text, n, "\"ping\""))
      troupe_reply_json(corr, "\"pong\"");
    else if (json && asked_for(text, n, "\"count\"") &&
             (olen = troupe_jsonf(out, sizeof out, "{\"handled\":%lld}", (long long)handled)) >= 0)
      troupe_reply(corr, out, (size_t)olen);
    else
      troupe_reply_json(corr, "\"ask me ping\"");
    return TROUPE_CONTINUE;
  }
  if (kind != TROUPE_KIND_MESSAGE)
    return TROUPE_CONTINUE;
  switch (tag) {
  case 0:
    troupe_log(TROUPE_LEVEL_INFO, "crasher: trapping");
    __builtin_trap();
  case 1:
    return TROUPE_ERR_INVAL;
  case 2:
    return TROUPE_STOP;
  case 3:
    exit(3);
  default:
    handled++;
    return TROUPE_CONTINUE;
  }
}

TROUPE_EXPORT(crash) { __builtin_trap(); }
