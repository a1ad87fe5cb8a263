/*
 * supervisor/sup_intensity.c: restart intensity, i.e. "more than MaxR restarts within
 * MaxT and the supervisor gives up". The times of the restarts still inside the window
 * live in a ring that grows and shrinks with them, so memory follows the restarts that
 * actually happen, not MaxR: a supervisor that may restart 2e9 times holds nothing until
 * its children crash. sup_restart.c asks trS_add_restart before every restart.
 */
#include "supervisor/sup.h"

/*
 * The ring keeps the restart times of the current window in time order, oldest at
 * `head`. A restart first forgets the entries that left the window (now - t > period),
 * from the head, since times only grow; then "more than MaxR restarts within the
 * period" is "MaxR entries are left", counting the new one. The boundary is inclusive
 * like OTP's: an entry exactly `period` old still counts.
 *
 *     MaxR = 3, period 100:   [10][40][95]  + restart at 105  ->  all three within 100
 *                             of 105: with this one 4 > 3, give up (nothing stored)
 *
 * It holds exactly the restarts within the period as of the last one (at most MaxR).
 * Capacity is a power of two: doubled when full, and shrunk once a quarter or less is
 * used (to the smallest power of two at which it is not), as a dynamic table (CLRS
 * 17.4): each restart costs O(1) amortised. Every entry is evicted at most once.
 */
#define TRS_HIST_MIN 4

/* Move the entries, oldest first, into a fresh array of `cap` (>= n) slots. */
static int hist_resize(trS_hist *h, size_t cap) {
  uint64_t *t = trB_realloc_array(NULL, cap, sizeof *t);
  if (!t)
    return TROUPE_E_NOMEM;
  for (size_t i = 0; i < h->n; i++)
    t[i] = h->t[(h->head + i) & (h->cap - 1)];
  free(h->t);
  h->t = t;
  h->cap = cap;
  h->head = 0;
  return TROUPE_OK;
}

trS_verdict trS_hist_add(trS_hist *h, uint32_t intensity, uint64_t period_ns, uint64_t now) {
  while (h->n && now - h->t[h->head] > period_ns) {
    h->head = (h->head + 1) & (h->cap - 1);
    h->n--;
  }
  if (h->n >= intensity)
    return TRS_GIVE_UP;
  size_t cap = h->cap;
  while (cap > TRS_HIST_MIN && h->n <= cap / 4)
    cap /= 2;
  if (h->n == h->cap)
    cap = h->cap ? h->cap * 2 : TRS_HIST_MIN;
  /* A failed shrink only keeps more memory; a failed growth cannot record the restart. */
  if (cap != h->cap && hist_resize(h, cap) && h->n == h->cap)
    return TRS_NO_MEMORY;
  h->t[(h->head + h->n) & (h->cap - 1)] = now;
  h->n++;
  return TRS_MAY_RESTART;
}

void trS_hist_free(trS_hist *h) {
  free(h->t);
  memset(h, 0, sizeof *h);
}

trS_verdict trS_add_restart(trS_sup *s, uint64_t now) {
  s->total_restarts++;
  if (s->cfg.intensity == TROUPE_SUP_INTENSITY_UNLIMITED)
    return TRS_MAY_RESTART; /* never gives up, so nothing to remember */
  return trS_hist_add(&s->hist, s->cfg.intensity, s->period_ns, now);
}
