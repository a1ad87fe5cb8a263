/*
 * base/alloc.c: checked allocation. Every allocation in Troupe goes through these so
 * that size overflow is an error rather than a short buffer, and so that tests can inject
 * out-of-memory at the Nth allocation and check each entry point fails cleanly.
 */
#include "base/base.h"

#include <stdatomic.h>

/* Remaining successful allocations before injected failure; < 0 means never fail.
 * Relaxed ordering: tests set it from the thread that then allocates. */
static _Atomic long g_fail_after = -1;

void trB_alloc_fail_after(long n) { atomic_store_explicit(&g_fail_after, n, memory_order_relaxed); }

bool trB_alloc_injected_failure(void) {
  long n = atomic_load_explicit(&g_fail_after, memory_order_relaxed);
  if (TR_LIKELY(n < 0))
    return false;
  if (n == 0)
    return true;
  atomic_fetch_sub_explicit(&g_fail_after, 1, memory_order_relaxed);
  return false;
}

void *trB_malloc(size_t size) {
  if (trB_alloc_injected_failure())
    return NULL;
  return malloc(size ? size : 1);
}

void *trB_calloc(size_t n, size_t size) {
  if (trB_alloc_injected_failure())
    return NULL;
  if (n == 0 || size == 0)
    return calloc(1, 1);
  size_t total;
  if (__builtin_mul_overflow(n, size, &total))
    return NULL; /* checked here so sanitizers do not report it as a bug */
  return calloc(n, size);
}

void *trB_realloc_array(void *p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total))
    return NULL;
  if (trB_alloc_injected_failure())
    return NULL;
  return realloc(p, total ? total : 1);
}

void *trB_calloc_aligned(size_t align, size_t size) {
  if (trB_alloc_injected_failure())
    return NULL;
  /* aligned_alloc wants a multiple of align: round up, checking for overflow */
  size_t total;
  if (__builtin_add_overflow(size ? size : 1, align - 1, &total))
    return NULL;
  total &= ~(align - 1);
  void *p = aligned_alloc(align, total);
  if (p)
    memset(p, 0, total);
  return p;
}

char *trB_strdup(const char *s) { return trB_memdup(s, strlen(s) + 1); }

void *trB_memdup(const void *p, size_t len) {
  void *q = trB_malloc(len);
  if (q && len)
    memcpy(q, p, len);
  return q;
}
