/*
 * spinner: code that never returns, for the fuel and kill paths. The invocable `spin`
 * loops forever, and so does handle-message for a MESSAGE; only the host can end it
 * (the fuel limit per message, a kill, a stop's timeout). Between slices of fuel the
 * worker thread goes on with other actors, so one spinner does not stall the host. An
 * ASK is answered "idle" while it is not spinning.
 */
#include "troupe_guest.h"

/* volatile: the loop has a side effect, so no compiler may remove or shorten it. */
static volatile uint64_t laps;

static void spin_forever(void) {
  for (;;)
    laps++;
}

TROUPE_HANDLE_MESSAGE(on_message) {
  if (kind == TROUPE_KIND_MESSAGE)
    spin_forever();
  if (kind == TROUPE_KIND_ASK)
    troupe_reply_json(corr, "\"idle\"");
  return TROUPE_CONTINUE;
}

TROUPE_EXPORT(spin) {
  spin_forever();
  return 0;
}
