/*
 * echo: the smallest useful component. An ASK is answered with its own payload; a
 * MESSAGE is ignored; the invocable `echo` returns its arguments. What it shows: the
 * pulled payload (read with troupe_input only when wanted, of any size) and the two
 * ways out, troupe_reply for an ASK and troupe_output for an invocation.
 */
#include <stdlib.h>

#include "troupe_guest.h"

TROUPE_HANDLE_MESSAGE(on_message) {
  if (kind != TROUPE_KIND_ASK)
    return TROUPE_CONTINUE; /* a MESSAGE (or anything else): not even read */
  uint8_t *q = troupe_input_alloc(len);
  if (!q)
    return TROUPE_ERR_NOMEM; /* out of memory: crash, the supervisor restarts us */
  int32_t rc = troupe_reply(corr, q, (size_t)len);
  free(q);
  /* A reply can fail without it being our fault (the asker gave up: TIMEOUT). */
  if (rc < 0)
    troupe_logf(TROUPE_LEVEL_WARN, "reply: %s", troupe_error_name(rc));
  return TROUPE_CONTINUE;
}

/* `troupe invoke echo echo '"hi"'` returns "hi". */
TROUPE_EXPORT(echo) {
  uint8_t *a = troupe_input_alloc(args_len);
  if (!a)
    return TROUPE_ERR_NOMEM;
  int32_t rc = troupe_output(a, (size_t)args_len);
  free(a);
  return rc < 0 ? rc : 0;
}
