/*
 * base/trace.c: the trace context (troupe/base.h): the thread's current trace, which the
 * layers that make messages read when they stamp one (the component layer's messages,
 * the broker's envelopes), and the random ids and sampling decisions of new chains. A
 * per-thread xorshift generator, seeded once per thread from getrandom(2): ids need to
 * be distinct, not secret.
 */
#include "base/base.h"

#include <sys/random.h>

static _Thread_local troupe_trace current;
static _Thread_local uint64_t rng;

troupe_trace troupe_trace_current(void) { return current; }
void troupe_trace_set(troupe_trace t) { current = t; }

static uint64_t next(void) {
  if (TR_UNLIKELY(!rng)) {
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed || !seed)
      seed = troupe_clock_mono_ns() ^ (uint64_t)(uintptr_t)&seed; /* distinct per thread */
    rng = seed | 1;
  }
  /* xorshift64* (Vigna) */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1Dull;
}

uint64_t troupe_trace_id_new(void) {
  uint64_t v;
  while (!(v = next()))
    ;
  return v;
}

bool troupe_trace_sample(double p) {
  if (p <= 0)
    return false;
  if (p >= 1)
    return true;
  return (double)(next() >> 11) * 0x1.0p-53 < p;
}
