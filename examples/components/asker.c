/*
 * asker: a component calling another one. The invocable `ask` takes the name of a
 * component (a JSON string; empty arguments mean "echo"), finds it with troupe.lookup,
 * asks it {"from":"asker","n":N} with troupe.ask, and returns the reply as its result.
 * The ask suspends this instance until the answer comes: the worker thread runs other
 * actors meanwhile. A reply longer than the first buffer is read in full with
 * troupe.reply_read. Errors (NOTFOUND, TIMEOUT, DENIED, ...) are returned as the
 * invocation's status, with their name as its message.
 */
#include <stdlib.h>

#include "troupe_guest.h"

static int64_t asked;

static int32_t fail(int32_t code, const char *what) {
  char msg[96];
  snprintf(msg, sizeof msg, "\"%s: %s\"", what, troupe_error_name(code));
  troupe_output_json(msg);
  return code;
}

TROUPE_EXPORT(ask) {
  char name[129] = "echo";
  if (args_len > 0) {
    uint8_t args[160];
    int32_t n = troupe_input(args, sizeof args);
    if (n < 0 || troupe_payload_string(args, (size_t)n, name, sizeof name) < 0)
      return fail(TROUPE_ERR_INVAL, "ask takes a component name (a JSON string)");
  }
  int64_t to = troupe_lookup(name);
  if (to < 0)
    return fail((int32_t)to, "lookup");

  char question[64];
  snprintf(question, sizeof question, "{\"from\":\"asker\",\"n\":%lld}", (long long)++asked);
  uint8_t first[256];
  int32_t len = troupe_ask_json(to, 0, question, first, sizeof first, 5000);
  if (len < 0)
    return fail(len, "ask");
  if ((size_t)len <= sizeof first) {
    int32_t rc = troupe_output(first, (size_t)len);
    return rc < 0 ? rc : 0;
  }

  /* A long answer: the rest is still at the host, read it without asking again. */
  uint8_t *all = malloc((size_t)len);
  if (!all)
    return fail(TROUPE_ERR_NOMEM, "reply");
  int32_t got = 0, n;
  while (got < len && (n = troupe_reply_read(all + got, (size_t)(len - got), (size_t)got)) > 0)
    got += n;
  int32_t rc = got == len ? troupe_output(all, (size_t)len) : TROUPE_ERR_STATE;
  free(all);
  return rc < 0 ? rc : 0;
}
