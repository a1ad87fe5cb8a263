/*
 * violator: a component that reaches beyond its capabilities, for the capability and
 * audit tests. The invocable `trespass` sends a MESSAGE to a component (a JSON string
 * naming it; empty arguments mean "echo") and publishes on "secret.plans"; with the
 * default capabilities (none) both come back DENIED and the host records each attempt
 * as an audit event. It logs each code and returns them as its result,
 * {"send":CODE,"send_error":"NAME","publish":CODE,"publish_error":"NAME"}, with status 0:
 * being refused is the expected outcome, not a failure of the call.
 */
#include "troupe_guest.h"

TROUPE_EXPORT(trespass) {
  char target[129] = "echo";
  if (args_len > 0) {
    uint8_t args[160];
    int32_t n = troupe_input(args, sizeof args);
    if (n < 0 || troupe_payload_string(args, (size_t)n, target, sizeof target) < 0)
      return TROUPE_ERR_INVAL;
  }
  uint8_t msg[32];
  int32_t n = troupe_json(msg, sizeof msg, "\"let me in\"");
  int32_t sent = troupe_send_name(target, 0, msg, (size_t)n);
  int32_t published = troupe_publish("secret.plans", msg, (size_t)n);
  troupe_logf(TROUPE_LEVEL_WARN, "send to %s: %d %s; publish on secret.plans: %d %s", target,
              sent, troupe_error_name(sent), published, troupe_error_name(published));

  uint8_t out[160];
  n = troupe_jsonf(out, sizeof out,
                   "{\"send\":%d,\"send_error\":\"%s\",\"publish\":%d,\"publish_error\":\"%s\"}",
                   sent, troupe_error_name(sent), published, troupe_error_name(published));
  if (n >= 0)
    n = troupe_output(out, (size_t)n);
  return n < 0 ? n : 0;
}
