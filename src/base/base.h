/*
 * base/base.h: the support layer's internal header, included by every layer above.
 * Allocation helpers that check for overflow and can be made to fail on purpose (tests
 * sweep out-of-memory over entry points, as SQLite does), plus small utilities.
 * Internal externs of this layer carry the prefix trB_.
 */
#ifndef TROUPE_SRC_BASE_H
#define TROUPE_SRC_BASE_H

#include "troupe/base.h"
#include "troupe/error.h"
#include "troupe/log.h"

#include <stdlib.h>
#include <string.h>

#define TR_UNUSED(x) ((void)(x))
#define TR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TR_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TR_MAX(a, b) ((a) > (b) ? (a) : (b))
#if defined(__GNUC__) || defined(__clang__)
#define TR_LIKELY(x) __builtin_expect(!!(x), 1)
#define TR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define TR_LIKELY(x) (x)
#define TR_UNLIKELY(x) (x)
#endif

/* malloc/calloc/realloc that return NULL on failure or on size overflow (n * size),
 * and that a test can make fail (see trB_alloc_fail_after). Free with free(). */
void *trB_malloc(size_t size);
void *trB_calloc(size_t n, size_t size);
void *trB_realloc_array(void *p, size_t n, size_t size);
/* size zeroed bytes at an address that is a multiple of align (a power of two, at
 * least sizeof(void *)), e.g. 64 for a struct that starts on a cache line of its own. */
void *trB_calloc_aligned(size_t align, size_t size);
char *trB_strdup(const char *s);
void *trB_memdup(const void *p, size_t len);

/* A cheap count for timing short stretches (a component's handler slices): the TSC on
 * x86-64 (about 8 ns to read in this VM, where clock_gettime costs 26 ns), the
 * monotonic clock in nanoseconds elsewhere. Only differences mean anything; a
 * difference that went backwards (a TSC that differs between CPUs) reads as 0.
 * trB_ticks_per_us: the rate, measured once per process (about 1 ms the first time). */
static inline uint64_t trB_ticks(void) {
#if defined(__x86_64__)
  return __builtin_ia32_rdtsc();
#else
  return troupe_clock_mono_ns();
#endif
}
double trB_ticks_per_us(void);

/* v in decimal at the end of out[20] (no NUL): returns where the digits start. Lines
 * that carry numbers (the log's, a component's metadata) are written on a spawn's path,
 * where snprintf's ~80 ns a number add up. */
static inline char *trB_u64_digits(char out[20], uint64_t v) {
  char *p = out + 20;
  do
    *--p = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  return p;
}

/* Text built into a fixed buffer, cut at its end and always NUL-terminated: what the
 * paths a crash and a restart take use instead of snprintf (a trap's reason, an id),
 * ~80 ns a call there. trB_sb_init needs cap >= 1. */
typedef struct trB_sb {
  char *p, *end; /* end: the last byte, kept for the NUL */
} trB_sb;
static inline trB_sb trB_sb_init(char *buf, size_t cap) {
  *buf = '\0';
  return (trB_sb){buf, buf + cap - 1};
}
static inline void trB_sb_mem(trB_sb *b, const char *s, size_t n) {
  size_t room = (size_t)(b->end - b->p);
  n = n < room ? n : room;
  memcpy(b->p, s, n);
  b->p += n;
  *b->p = '\0';
}
static inline void trB_sb_str(trB_sb *b, const char *s) { trB_sb_mem(b, s, strlen(s)); }
static inline void trB_sb_u64(trB_sb *b, uint64_t v) {
  char d[20], *p = trB_u64_digits(d, v);
  trB_sb_mem(b, p, (size_t)(d + 20 - p));
}
static inline void trB_sb_hex(trB_sb *b, uint64_t v) {
  char d[16], *p = d + 16;
  do
    *--p = "0123456789abcdef"[v & 15];
  while ((v >>= 4) != 0);
  trB_sb_mem(b, p, (size_t)(d + 16 - p));
}

/* Writing a JSON string (the log's lines, a component's metadata) a run at a time: how
 * many of s's first bytes go out as they are, and the escape of the byte that ends such
 * a run -- `"`, `\` or a control byte -- into e (returns its length, 2 or 6). Other
 * bytes pass through: the text is expected to be UTF-8, nobody here validates it. */
static inline size_t trB_json_plain(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p >= 0x20 && *p != '"' && *p != '\\')
    p++;
  return (size_t)(p - (const unsigned char *)s);
}
size_t trB_json_escape(unsigned char c, char e[6]);

/* Test hook: the allocation after `n` more successful ones fails (and every one after
 * it, until reset with n < 0). Process-wide; only tests call it. */
void trB_alloc_fail_after(long n);
/* Whether the allocation being made now is the one to fail (and count it if not): for
 * allocators of their own (slab.c), which follow the same rule as trB_malloc. */
bool trB_alloc_injected_failure(void);

#endif
