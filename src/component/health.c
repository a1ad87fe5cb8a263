/*
 * component/health.c: how a component answers the health question. The component
 * actor sets the core's health callback, so the runtime asks it even while the
 * component waits in a job: then the last answer stands (a long ask is no illness);
 * when the instance is idle the callback calls _health with one fuel slice, not allowed
 * to wait, and its output is the reason.
 */
#include "component/comp.h"

#include <stdio.h>

/* ---- health ---------------------------------------------------------------------------- */
/* The reason a guest gave (troupe.output) as text: plain UTF-8, or a JSON string with its
 * multicodec prefix (what an SDK's _json helper writes), unquoted. Never NUL inside. */
void trP_reason_text(const uint8_t *p, size_t n, char *out, size_t cap) {
  if (n >= 4 && p[0] == 0x80 && p[1] == 0x04 && p[2] == '"' && p[n - 1] == '"' &&
      !memchr(p + 3, '\\', n - 4)) {
    p += 3;
    n -= 4;
  }
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < cap; i++)
    out[k++] = p[i] ? (char)p[i] : ' ';
  out[k] = '\0';
}

troupe_health trP_health_cb(troupe_actor *self, char *reason, size_t cap) {
  trP_comp *c = troupe_actor_state(self);
  troupe_health h = TROUPE_HEALTH_HEALTHY;
  reason[0] = '\0';
  if (!c->ready) {
    snprintf(reason, cap, "starting");
    return TROUPE_HEALTH_DEGRADED;
  }
  if (c->ex.health == UINT32_MAX)
    return TROUPE_HEALTH_HEALTHY;
  if (c->job != TRP_JOB_NONE) { /* busy in a call: the last answer stands */
    pthread_mutex_lock(&c->rec->mu);
    h = c->rec->health ? c->rec->health : TROUPE_HEALTH_HEALTHY;
    snprintf(reason, cap, "%s", c->rec->health_reason ? c->rec->health_reason : "");
    pthread_mutex_unlock(&c->rec->mu);
    return h;
  }
  troupe_wasm_val res;
  troupe_wasm_trap trap;
  troupe_wasm_call_opts o = {.fuel = c->lim->fuel_slice, .trap_on_fuel_out = true};
  trP_output_reset(c);
  c->no_wait = true;
  int rc = troupe_wasm_call_at(c->inst, c->ex.health, NULL, 0, &res, 1, &o, &trap, NULL);
  c->no_wait = false;
  if (rc == TROUPE_E_SUSPENDED) { /* waited anyway (a WASI call): not allowed here */
    troupe_wasm_abort(c->inst);
    snprintf(reason, cap, "_health tried to wait");
    h = TROUPE_HEALTH_UNHEALTHY;
  } else if (rc == TROUPE_E_TRAP) {
    char t[200];
    trP_trap_text(&trap, t, sizeof t);
    snprintf(reason, cap, "_health trapped: %s", t);
    h = TROUPE_HEALTH_UNHEALTHY;
  } else if (rc) {
    snprintf(reason, cap, "_health failed: %s", troupe_strerror(rc));
    h = TROUPE_HEALTH_UNHEALTHY;
  } else {
    int32_t v = res.of.i32;
    h = v == 0 ? TROUPE_HEALTH_HEALTHY : v == 1 ? TROUPE_HEALTH_DEGRADED : TROUPE_HEALTH_UNHEALTHY;
    trP_reason_text(c->out, c->out_len, reason, cap);
  }
  trP_rec_set_health(c->rec, h, reason);
  return h;
}

