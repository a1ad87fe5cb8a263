/*
 * tests/component/test_cache.c: the module cache (component/comp.h, cache.c). The same
 * bytes give the same compiled module and one compile; different bytes, different
 * modules; bytes the engine refuses give the engine's error and are not kept; threads
 * asking at once for one new module cause exactly one compile, share its module, or all
 * get its error with its message; many threads over a few modules leave one compile
 * each (also under TSan); and out-of-memory swept over a get.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "component/comp.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const uint8_t k_empty[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
/* the empty module plus a custom section "a" / "b": valid, and different bytes */
static const uint8_t k_custom_a[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00,
                                     0x00, 0x00, 0x02, 0x01, 'a'};
static const uint8_t k_custom_b[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00,
                                     0x00, 0x00, 0x02, 0x01, 'b'};
/* version 2 of the binary format does not exist */
static const uint8_t k_bad_version[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};

static void assert_stats(trP_cache *c, uint64_t hits, uint64_t misses, uint64_t failures,
                         size_t modules) {
  trP_cache_stats st;
  trP_cache_stats_get(c, &st);
  assert_int_equal(st.hits, hits);
  assert_int_equal(st.misses, misses);
  assert_int_equal(st.compile_failures, failures);
  assert_int_equal(st.modules, modules);
}

/* A module big enough that compiling it takes a while (a few milliseconds), so threads
 * that start together really do find it COMPILING: nfuncs functions of type [] -> [],
 * each `i32.const 1 drop` repeated. With broken set, the last function lacks its `end`:
 * the engine refuses it only after reading everything before it. */
typedef struct buf {
  uint8_t *p;
  size_t n, cap;
} buf;

static void put(buf *b, uint8_t v) {
  if (b->n == b->cap) {
    b->cap = b->cap ? 2 * b->cap : 256;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  b->p[b->n++] = v;
}

static void put_leb(buf *b, uint32_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    put(b, byte | (v ? 0x80 : 0));
  } while (v);
}

static void put_section(buf *b, uint8_t id, const buf *body) {
  put(b, id);
  put_leb(b, (uint32_t)body->n);
  for (size_t i = 0; i < body->n; i++)
    put(b, body->p[i]);
}

static uint8_t *big_module(uint32_t nfuncs, uint32_t ops, bool broken, size_t *len) {
  buf m = {0}, sec = {0}, code = {0};
  static const uint8_t magic[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  for (size_t i = 0; i < sizeof magic; i++)
    put(&m, magic[i]);
  put(&sec, 1), put(&sec, 0x60), put(&sec, 0), put(&sec, 0); /* type 0: [] -> [] */
  put_section(&m, 1, &sec);
  sec.n = 0;
  put_leb(&sec, nfuncs);
  for (uint32_t i = 0; i < nfuncs; i++)
    put(&sec, 0);
  put_section(&m, 3, &sec);
  sec.n = 0;
  put_leb(&sec, nfuncs);
  for (uint32_t i = 0; i < nfuncs; i++) {
    code.n = 0;
    put(&code, 0); /* no locals */
    for (uint32_t k = 0; k < ops; k++)
      put(&code, 0x41), put(&code, 0x01), put(&code, 0x1a); /* i32.const 1; drop */
    put(&code, broken && i == nfuncs - 1 ? 0x01 : 0x0b);    /* end (or a nop) */
    put_leb(&sec, (uint32_t)code.n);
    for (size_t k = 0; k < code.n; k++)
      put(&sec, code.p[k]);
  }
  put_section(&m, 10, &sec);
  free(sec.p);
  free(code.p);
  *len = m.n;
  return m.p;
}

static void test_same_bytes_one_compile(void **state) {
  (void)state;
  trP_cache *c;
  troupe_err err;
  assert_int_equal(trP_cache_new(&c, &err), TROUPE_OK);
  troupe_wasm_module *m1, *m2, *m3;
  uint8_t sha[TROUPE_SHA256_BYTES], expect[TROUPE_SHA256_BYTES];
  assert_int_equal(trP_cache_get(c, k_empty, sizeof k_empty, &m1, sha, &err), TROUPE_OK);
  troupe_sha256(k_empty, sizeof k_empty, expect);
  assert_memory_equal(sha, expect, TROUPE_SHA256_BYTES);
  assert_stats(c, 0, 1, 0, 1);
  /* a copy of the bytes elsewhere is the same module: the key is the content */
  uint8_t copy[sizeof k_empty];
  memcpy(copy, k_empty, sizeof copy);
  assert_int_equal(trP_cache_get(c, copy, sizeof copy, &m2, NULL, &err), TROUPE_OK);
  assert_ptr_equal(m1, m2);
  assert_stats(c, 1, 1, 0, 1);
  /* a caller that knows the hash (a store blob) gets it without rehashing */
  assert_int_equal(trP_cache_get_hashed(c, sha, k_empty, sizeof k_empty, &m3, &err), TROUPE_OK);
  assert_ptr_equal(m1, m3);
  assert_stats(c, 2, 1, 0, 1);
  /* each get handed out a reference of its own: all three can be dropped, and the
   * cache's own keeps the module alive for the next get */
  troupe_wasm_module_free(m1);
  troupe_wasm_module_free(m2);
  troupe_wasm_module_free(m3);
  assert_int_equal(trP_cache_get(c, k_empty, sizeof k_empty, &m1, NULL, &err), TROUPE_OK);
  assert_int_equal(troupe_wasm_module_export_count(m1), 0);
  assert_stats(c, 3, 1, 0, 1);
  /* the cache can be freed while callers still hold modules */
  trP_cache_free(c);
  assert_int_equal(troupe_wasm_module_export_count(m1), 0);
  troupe_wasm_module_free(m1);
  trP_cache_free(NULL);
}

static void test_different_bytes_different_modules(void **state) {
  (void)state;
  trP_cache *c;
  troupe_err err;
  assert_int_equal(trP_cache_new(&c, &err), TROUPE_OK);
  troupe_wasm_module *a, *b, *e, *a2;
  assert_int_equal(trP_cache_get(c, k_custom_a, sizeof k_custom_a, &a, NULL, &err), TROUPE_OK);
  assert_int_equal(trP_cache_get(c, k_custom_b, sizeof k_custom_b, &b, NULL, &err), TROUPE_OK);
  assert_int_equal(trP_cache_get(c, k_empty, sizeof k_empty, &e, NULL, &err), TROUPE_OK);
  assert_ptr_not_equal(a, b);
  assert_ptr_not_equal(a, e);
  assert_ptr_not_equal(b, e);
  assert_stats(c, 0, 3, 0, 3);
  assert_int_equal(trP_cache_get(c, k_custom_a, sizeof k_custom_a, &a2, NULL, &err), TROUPE_OK);
  assert_ptr_equal(a, a2);
  assert_stats(c, 1, 3, 0, 3);
  troupe_wasm_module_free(a);
  troupe_wasm_module_free(a2);
  troupe_wasm_module_free(b);
  troupe_wasm_module_free(e);
  trP_cache_free(c);
}

/* Many modules: the table grows past its first buckets and still finds each. */
static void test_many_modules(void **state) {
  (void)state;
  trP_cache *c;
  troupe_err err;
  assert_int_equal(trP_cache_new(&c, &err), TROUPE_OK);
  enum { N = 300 };
  static troupe_wasm_module *mods[N];
  for (int round = 0; round < 2; round++) {
    for (uint32_t i = 0; i < N; i++) {
      /* the empty module with a custom section named by i */
      uint8_t bytes[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
                         0x00, 0x03, 0x02, (uint8_t)('a' + i % 26), (uint8_t)('a' + i / 26)};
      troupe_wasm_module *m;
      assert_int_equal(trP_cache_get(c, bytes, sizeof bytes, &m, NULL, &err), TROUPE_OK);
      if (round == 0)
        mods[i] = m;
      else {
        assert_ptr_equal(m, mods[i]);
        troupe_wasm_module_free(m);
      }
    }
  }
  assert_stats(c, N, N, 0, N);
  for (uint32_t i = 0; i < N; i++)
    troupe_wasm_module_free(mods[i]);
  trP_cache_free(c);
}

static void test_malformed_not_cached(void **state) {
  (void)state;
  troupe_err direct;
  troupe_wasm_module *m = NULL;
  assert_int_equal(troupe_wasm_module_new(k_bad_version, sizeof k_bad_version, &m, &direct),
                   TROUPE_E_MALFORMED);
  assert_true(direct.msg[0] != '\0');

  trP_cache *c;
  troupe_err err;
  assert_int_equal(trP_cache_new(&c, &err), TROUPE_OK);
  for (int i = 1; i <= 2; i++) {
    troupe_err_clear(&err);
    m = (troupe_wasm_module *)&m;
    assert_int_equal(trP_cache_get(c, k_bad_version, sizeof k_bad_version, &m, NULL, &err),
                     TROUPE_E_MALFORMED);
    assert_null(m);
    assert_int_equal(err.code, TROUPE_E_MALFORMED);
    assert_string_equal(err.msg, direct.msg); /* the engine's own words */
    assert_stats(c, 0, (uint64_t)i, (uint64_t)i, 0); /* not kept: compiled again */
  }
  /* a broken module also leaves nothing behind for a good one */
  assert_int_equal(trP_cache_get(c, k_empty, sizeof k_empty, &m, NULL, &err), TROUPE_OK);
  troupe_wasm_module_free(m);
  assert_stats(c, 0, 3, 2, 1);
  trP_cache_free(c);
}

/* ---- threads ------------------------------------------------------------------------ */

enum { THREADS = 8 };

typedef struct racer {
  trP_cache *c;
  const uint8_t *bytes;
  size_t len;
  pthread_barrier_t *start;
  troupe_wasm_module *module;
  int rc;
  troupe_err err;
} racer;

static void *race(void *arg) {
  racer *r = arg;
  pthread_barrier_wait(r->start);
  r->rc = trP_cache_get(r->c, r->bytes, r->len, &r->module, NULL, &r->err);
  return NULL;
}

static void run_race(trP_cache *c, const uint8_t *bytes, size_t len, racer rs[THREADS]) {
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS);
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) {
    rs[i] = (racer){.c = c, .bytes = bytes, .len = len, .start = &start};
    assert_int_equal(pthread_create(&th[i], NULL, race, &rs[i]), 0);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&start);
}

static void test_concurrent_one_compile(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = big_module(2000, 40, false, &len);
  trP_cache *c;
  troupe_err err;
  assert_int_equal(trP_cache_new(&c, &err), TROUPE_OK);
  racer rs[THREADS];
  run_race(c, bytes, len, rs);
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(rs[i].rc, TROUPE_OK);
    assert_ptr_equal(rs[i].module, rs[0].module);
  }
  assert_stats(c, THREADS - 1, 1, 0, 1);
  for (int i = 0; i < THREADS; i++)
    troupe_wasm_module_free(rs[i].module);
  trP_cache_free(c);
  free(bytes);
}

/* Threads that meet one failing compile each come back with its error and message;
 * however they interleave, no failure is kept, and every compile attempt is a miss. */
static void test_concurrent_failure_shared(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = big_module(2000, 40, true, &len);
  troupe_err direct;
  troupe_wasm_module *m = NULL;
  int want = troupe_wasm_module_new(bytes, len, &m, &direct);
  assert_true(want == TROUPE_E_MALFORMED || want == TROUPE_E_INVALID);
  trP_cache *c;
  troupe_err err;
  assert_int_equal(trP_cache_new(&c, &err), TROUPE_OK);
  racer rs[THREADS];
  run_race(c, bytes, len, rs);
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(rs[i].rc, want);
    assert_null(rs[i].module);
    assert_string_equal(rs[i].err.msg, direct.msg);
  }
  trP_cache_stats st;
  trP_cache_stats_get(c, &st);
  assert_true(st.misses >= 1 && st.misses <= THREADS);
  assert_int_equal(st.compile_failures, st.misses);
  assert_int_equal(st.hits, 0);
  assert_int_equal(st.modules, 0);
  trP_cache_free(c);
  free(bytes);
}

/* Threads getting a few modules over and over in different orders: one compile each. */
typedef struct churner {
  trP_cache *c;
  int seed;
  troupe_wasm_module *first[3];
  int failures;
} churner;

static const uint8_t *const k_mix[3] = {k_empty, k_custom_a, k_custom_b};
static const size_t k_mix_len[3] = {sizeof k_empty, sizeof k_custom_a, sizeof k_custom_b};

static void *churn(void *arg) {
  churner *ch = arg;
  for (int i = 0; i < 300; i++) {
    int k = (i * 7 + ch->seed) % 3;
    troupe_wasm_module *m;
    if (trP_cache_get(ch->c, k_mix[k], k_mix_len[k], &m, NULL, NULL) != TROUPE_OK) {
      ch->failures++;
      continue;
    }
    if (!ch->first[k])
      ch->first[k] = troupe_wasm_module_ref(m);
    else if (ch->first[k] != m)
      ch->failures++;
    troupe_wasm_module_free(m);
  }
  return NULL;
}

static void test_concurrent_churn(void **state) {
  (void)state;
  trP_cache *c;
  troupe_err err;
  assert_int_equal(trP_cache_new(&c, &err), TROUPE_OK);
  churner chs[THREADS] = {0};
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) {
    chs[i].c = c;
    chs[i].seed = i;
    assert_int_equal(pthread_create(&th[i], NULL, churn, &chs[i]), 0);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(chs[i].failures, 0);
    for (int k = 0; k < 3; k++) {
      assert_ptr_equal(chs[i].first[k], chs[0].first[k]);
      troupe_wasm_module_free(chs[i].first[k]);
    }
  }
  assert_stats(c, THREADS * 300 - 3, 3, 0, 3);
  trP_cache_free(c);
}

static void test_out_of_memory(void **state) {
  (void)state;
  bool succeeded = false;
  for (long n = 0; n < 200 && !succeeded; n++) {
    trP_cache *c = NULL;
    troupe_err err;
    troupe_wasm_module *m = NULL;
    trB_alloc_fail_after(n);
    int rc = trP_cache_new(&c, &err);
    if (rc == TROUPE_OK)
      rc = trP_cache_get(c, k_custom_a, sizeof k_custom_a, &m, NULL, &err);
    trB_alloc_fail_after(-1);
    assert_true(rc == TROUPE_OK || rc == TROUPE_E_NOMEM);
    if (rc == TROUPE_OK)
      succeeded = true;
    if (c) {
      /* nothing half-made was kept: the next get compiles or hits the one module */
      troupe_wasm_module *again;
      assert_int_equal(trP_cache_get(c, k_custom_a, sizeof k_custom_a, &again, NULL, &err),
                       TROUPE_OK);
      if (m)
        assert_ptr_equal(m, again);
      troupe_wasm_module_free(again);
      trP_cache_stats st;
      trP_cache_stats_get(c, &st);
      assert_int_equal(st.modules, 1);
    }
    troupe_wasm_module_free(m);
    trP_cache_free(c);
  }
  assert_true(succeeded);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_bytes_one_compile),
      cmocka_unit_test(test_different_bytes_different_modules),
      cmocka_unit_test(test_many_modules),
      cmocka_unit_test(test_malformed_not_cached),
      cmocka_unit_test(test_concurrent_one_compile),
      cmocka_unit_test(test_concurrent_failure_shared),
      cmocka_unit_test(test_concurrent_churn),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
