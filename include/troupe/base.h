/*
 * troupe/base.h: clocks, hashing and trace context shared by every layer and offered to
 * embedders.
 */
#ifndef TROUPE_BASE_H
#define TROUPE_BASE_H

#include "troupe/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Monotonic nanoseconds (CLOCK_MONOTONIC): for durations, timeouts, restart windows. */
TROUPE_API uint64_t troupe_clock_mono_ns(void);
/* Wall-clock nanoseconds since 1970 (CLOCK_REALTIME): for timestamps shown to people. */
TROUPE_API uint64_t troupe_clock_wall_ns(void);
/* Format wall nanoseconds as RFC 3339 UTC with microseconds into buf (>= 28 bytes). */
TROUPE_API void troupe_clock_format_rfc3339(uint64_t wall_ns, char *buf, size_t cap);

/* 64-bit non-cryptographic hash (XXH3) for ids and tables; not for security. */
TROUPE_API uint64_t troupe_hash64(const void *data, size_t len, uint64_t seed);
TROUPE_API uint64_t troupe_hash_str(const char *s);

/* Tracing, lite (docs/OBSERVE.md): every message carries the trace it belongs to -- the
 * chain of handlers that began with one send from outside -- and the span (one handler's
 * run) that sent it, its parent. A sampled chain's spans are logged. */
typedef struct troupe_trace {
  uint64_t id;     /* the chain; 0: none */
  uint64_t parent; /* the sending span; 0: sent from outside any handler */
  bool sampled;    /* its spans are logged */
} troupe_trace;
/* The calling thread's current trace, which every message made now is stamped with: the
 * runtime sets it around a component's handler (the handler's own span as the parent);
 * an embedder may set it around its calls to continue a chain from elsewhere, and clear
 * it ({0}) after. Thread-local; cheap. */
TROUPE_API troupe_trace troupe_trace_current(void);
TROUPE_API void troupe_trace_set(troupe_trace t);
/* A random non-zero 64-bit id (trace and span ids); not for security. */
TROUPE_API uint64_t troupe_trace_id_new(void);
/* true with probability p (0..1): the sampling decision of a new chain. */
TROUPE_API bool troupe_trace_sample(double p);

#ifdef __cplusplus
}
#endif
#endif
