/*
 * tests/base/test_slab.c: the slab (src/base/slab.h), as specifications:
 *   - a slab object is zeroed by calloc, 64-byte aligned, as large as asked, and reused
 *     by its class after a free; larger sizes go to malloc and come back through free;
 *     an injected out-of-memory fails it like every allocator;
 *   - objects handed between threads and freed by another thread are never given to two
 *     owners at once (each owner's pattern is intact when it frees);
 *   - a class's objects are carved from 64 KiB chunks, and freed ones are reused before
 *     anything new is mapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "base/slab.h"

#include <pthread.h>
#include <stdatomic.h>

#if defined(__SANITIZE_ADDRESS__)
#define BYPASS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BYPASS 1
#endif
#endif
#ifndef BYPASS
#define BYPASS 0
#endif

static void test_slab_objects(void **state) {
  (void)state;
  static const size_t sizes[] = {1, 63, 64, 65, 344, 808, 1024, 2047, 2048};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = trB_slab_calloc(sizes[i]);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    for (size_t j = 0; j < sizes[i]; j++)
      assert_int_equal(p[j], 0);
    memset(p, 0xab, sizes[i]); /* the whole size is ours */
    trB_slab_free(p, sizes[i]);
    unsigned char *q = trB_slab_calloc(sizes[i]);
    assert_non_null(q);
    if (!BYPASS) /* the class's free list is last in, first out */
      assert_ptr_equal(q, p);
    for (size_t j = 0; j < sizes[i]; j++) /* zeroed again, whatever the last owner left */
      assert_int_equal(q[j], 0);
    trB_slab_free(q, sizes[i]);
  }
  /* Beyond the largest class: malloc's, aligned all the same. */
  unsigned char *big = trB_slab_alloc(TRB_SLAB_MAX + 1);
  assert_non_null(big);
  assert_int_equal((uintptr_t)big % 64, 0);
  memset(big, 1, TRB_SLAB_MAX + 1);
  trB_slab_free(big, TRB_SLAB_MAX + 1);
  trB_slab_free(NULL, 100); /* as free(NULL) */
  assert_null(trB_slab_alloc(SIZE_MAX - 10));
}

static void test_slab_injected_failure(void **state) {
  (void)state;
  trB_alloc_fail_after(0);
  assert_null(trB_slab_alloc(100));
  assert_null(trB_slab_calloc(100));
  assert_null(trB_slab_calloc(TRB_SLAB_MAX * 2));
  trB_alloc_fail_after(-1);
  void *p = trB_slab_alloc(100);
  assert_non_null(p);
  trB_slab_free(p, 100);
}

/* Threads allocate, fill with their own byte, pass half of their objects to the next
 * thread through a mailbox slot, and free what they receive after checking it. */
enum { THREADS = 4, ROUNDS = 2000, PER = 16 };

typedef struct handoff {
  pthread_mutex_t mu;
  void *obj[PER];
  size_t size[PER];
  unsigned char fill[PER];
  int n;
} handoff;

static handoff box[THREADS];
static atomic_int bad;

static void check_free(void *p, size_t size, unsigned char fill) {
  const unsigned char *b = p;
  for (size_t i = 0; i < size; i++)
    if (b[i] != fill) {
      atomic_fetch_add(&bad, 1);
      break;
    }
  trB_slab_free(p, size);
}

static void *churn(void *arg) {
  int me = (int)(intptr_t)arg;
  unsigned seed = (unsigned)me * 2654435761u + 1;
  for (int r = 0; r < ROUNDS; r++) {
    void *mine[PER];
    size_t sz[PER];
    for (int i = 0; i < PER; i++) {
      seed = seed * 1103515245u + 12345u;
      sz[i] = 1 + (seed >> 8) % TRB_SLAB_MAX;
      mine[i] = trB_slab_alloc(sz[i]);
      if (!mine[i]) {
        atomic_fetch_add(&bad, 1);
        return NULL;
      }
      memset(mine[i], me + 1, sz[i]);
    }
    handoff *next = &box[(me + 1) % THREADS];
    pthread_mutex_lock(&next->mu);
    int give = PER / 2;
    for (int i = 0; i < give && next->n < PER; i++) {
      next->obj[next->n] = mine[i];
      next->size[next->n] = sz[i];
      next->fill[next->n++] = (unsigned char)(me + 1);
      mine[i] = NULL;
    }
    pthread_mutex_unlock(&next->mu);
    for (int i = 0; i < PER; i++)
      if (mine[i])
        check_free(mine[i], sz[i], (unsigned char)(me + 1));
    handoff *in = &box[me];
    pthread_mutex_lock(&in->mu);
    for (int i = 0; i < in->n; i++)
      check_free(in->obj[i], in->size[i], in->fill[i]);
    in->n = 0;
    pthread_mutex_unlock(&in->mu);
  }
  return NULL;
}

static void test_slab_threads(void **state) {
  (void)state;
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    pthread_mutex_init(&box[i].mu, NULL);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)(intptr_t)i), 0);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) { /* what was passed on after its receiver ended */
    for (int j = 0; j < box[i].n; j++)
      check_free(box[i].obj[j], box[i].size[j], box[i].fill[j]);
    box[i].n = 0;
    pthread_mutex_destroy(&box[i].mu);
  }
  assert_int_equal(atomic_load(&bad), 0);
}

/* Carving: objects of one class come out of one 64 KiB chunk until it is used up. */
static void test_slab_chunks(void **state) {
  (void)state;
  if (BYPASS)
    skip();
  enum { SIZE = 1000, N = 200 }; /* class 1,024: 64 a chunk */
  void *v[N];
  size_t before = trB_slab_mapped_bytes();
  for (int i = 0; i < N; i++) {
    v[i] = trB_slab_alloc(SIZE);
    assert_non_null(v[i]);
    memset(v[i], i, SIZE);
  }
  size_t grew = trB_slab_mapped_bytes() - before;
  assert_int_equal(grew % (64 << 10), 0);
  /* 200 objects of 1,024 bytes fit in 4 chunks (with what earlier tests left) */
  assert_true(grew <= (size_t)4 << 16);
  for (int i = 0; i < N; i++) {
    const unsigned char *b = v[i];
    assert_int_equal(b[0], (unsigned char)i);
    assert_int_equal(b[SIZE - 1], (unsigned char)i);
    trB_slab_free(v[i], SIZE);
  }
  /* freed objects are reused: the same 200 again map nothing new */
  before = trB_slab_mapped_bytes();
  for (int i = 0; i < N; i++)
    v[i] = trB_slab_alloc(SIZE);
  assert_int_equal(trB_slab_mapped_bytes(), before);
  for (int i = 0; i < N; i++)
    trB_slab_free(v[i], SIZE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slab_objects),   cmocka_unit_test(test_slab_injected_failure),
      cmocka_unit_test(test_slab_threads),   cmocka_unit_test(test_slab_chunks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
