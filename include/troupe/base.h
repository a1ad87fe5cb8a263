/*
 * troupe/base.h: clocks and hashing shared by every layer and offered to embedders.
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

#ifdef __cplusplus
}
#endif
#endif
