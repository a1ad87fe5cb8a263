/*
 * crasher: every way a component can fail, for supervision tests. A MESSAGE fails by
 * its tag: 0 traps (__builtin_trap, an `unreachable`), 1 returns a negative code
 * (TROUPE_ERR_INVAL: a crash with that code, no trap), 2 stops normally (handle-message
 * returns TROUPE_STOP), 3 calls exit(3) (WASI proc_exit: a crash with exit code 3). The
 * invocable `crash` traps. An ASK "ping" is answered "pong", so a test can tell that a
 * restarted crasher is back.
 */
#include <stdlib.h>
#include <string.h>

#include "troupe_guest.h"

TROUPE_HANDLE_MESSAGE(on_message) {
  if (kind == TROUPE_KIND_ASK) {
    char q[16];
    const char *text;
    size_t n;
    int32_t got = troupe_input(q, sizeof q);
    if (got >= 0 && troupe_payload_json(q, (size_t)got, &text, &n) == 0 && n == 6 &&
        memcmp(text, "\"ping\"", 6) == 0)
      troupe_reply_json(corr, "\"pong\"");
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
    return TROUPE_CONTINUE;
  }
}

TROUPE_EXPORT(crash) { __builtin_trap(); }
