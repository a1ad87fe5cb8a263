/*
 * counter: state that lives across messages, in the instance's memory. A MESSAGE adds
 * one (its payload is never read: a pulled payload costs nothing when unwanted); an ASK
 * is answered with {"count":N}; the invocable `get` returns {"count":N} and `add` takes a
 * JSON or CBOR integer and returns the new count. The state is lost on a crash: a
 * restarted counter starts from 0 (state that must survive belongs elsewhere).
 */
#include "troupe_guest.h"

static int64_t count;

static int32_t count_json(uint8_t *buf, size_t cap) {
  return troupe_jsonf(buf, cap, "{\"count\":%lld}", (long long)count);
}

TROUPE_HANDLE_MESSAGE(on_message) {
  uint8_t out[64];
  switch (kind) {
  case TROUPE_KIND_MESSAGE:
    count++;
    break;
  case TROUPE_KIND_ASK: {
    int32_t n = count_json(out, sizeof out);
    if (n >= 0)
      troupe_reply(corr, out, (size_t)n);
    break;
  }
  default:
    break;
  }
  return TROUPE_CONTINUE;
}

TROUPE_EXPORT(get) {
  uint8_t out[64];
  int32_t n = count_json(out, sizeof out);
  if (n >= 0)
    n = troupe_output(out, (size_t)n);
  return n < 0 ? n : 0;
}

/* `add` with 5, "\x80\x04" "5", or CBOR 0x51 0x05: the count plus 5. */
TROUPE_EXPORT(add) {
  uint8_t args[32], out[64];
  int64_t v;
  int32_t n = troupe_input(args, sizeof args);
  if (n < 0 || troupe_payload_int(args, (size_t)n, &v) < 0) {
    troupe_output_json("\"add takes one integer (JSON or CBOR)\"");
    return TROUPE_ERR_INVAL;
  }
  count += v;
  n = count_json(out, sizeof out);
  if (n >= 0)
    n = troupe_output(out, (size_t)n);
  return n < 0 ? n : 0;
}
