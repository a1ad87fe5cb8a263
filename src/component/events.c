/*
 * component/events.c: the component layer's audit and log records. Every record names
 * the component by id and name, so a log of a whole host can be filtered per
 * component; the events (component_started, component_stopped, capability_denied,
 * component_log, component_output, component_cleanup_failed) are listed in
 * docs/COMPONENTS.md.
 */
#include "component/comp.h"

bool trP_event_enabled(const troupe_host *h, troupe_log_level lvl) {
  return h->log && troupe_logger_enabled(h->log, lvl);
}

void trP_event(troupe_host *h, troupe_log_level lvl, const char *event, const trP_rec *r,
               const troupe_log_field *extra, size_t n) {
  if (!trP_event_enabled(h, lvl))
    return;
  troupe_log_field f[16];
  size_t k = 0;
  f[k++] = TROUPE_LOG_UINT("component", r ? r->id : 0);
  f[k++] = TROUPE_LOG_STR("name", r ? r->name : "");
  for (size_t i = 0; i < n && k < TR_ARRAY_LEN(f); i++)
    f[k++] = extra[i];
  troupe_log(h->log, lvl, event, f, k);
}
