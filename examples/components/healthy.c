/*
 * healthy: a component with a _health export, for the health-check tests. It reports
 * what it was last told: the invocable `set` (or a MESSAGE) takes 0 healthy,
 * 1 degraded or 2 unhealthy as a JSON or CBOR integer. _health returns that answer and,
 * when not healthy, a reason with troupe.output ("told to be degraded"), which the host
 * shows in the component's info. A supervisor that sees enough unhealthy answers in a
 * row restarts it -- healthy again, since a new instance starts from its initial state.
 */
#include "troupe_guest.h"

static int32_t status = TROUPE_HEALTHY;

static int32_t set_from_input(void) {
  uint8_t args[32];
  int64_t v;
  int32_t n = troupe_input(args, sizeof args);
  if (n < 0 || troupe_payload_int(args, (size_t)n, &v) < 0 || v < TROUPE_HEALTHY ||
      v > TROUPE_UNHEALTHY)
    return TROUPE_ERR_INVAL;
  status = (int32_t)v;
  return 0;
}

TROUPE_EXPORT(set) { return set_from_input(); }

TROUPE_HANDLE_MESSAGE(on_message) {
  if (kind == TROUPE_KIND_MESSAGE && set_from_input() < 0)
    troupe_log(TROUPE_LEVEL_WARN, "healthy: a MESSAGE must be 0, 1 or 2");
  return TROUPE_CONTINUE;
}

TROUPE_HEALTH(health) {
  if (status == TROUPE_DEGRADED)
    troupe_output_json("\"told to be degraded\"");
  else if (status == TROUPE_UNHEALTHY)
    troupe_output_json("\"told to be unhealthy\"");
  return status;
}
