/*
 * tests/component/test_scale.c: many components. 1,000 spawn/stop cycles leave nothing
 * behind (the ASan build checks for leaks; the resident set stays flat here), 10,000
 * components live at once and all answer, and 100 spawns from 8 threads at once all
 * succeed. How fast and how small is `make bench-component`'s business.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

#include <stdatomic.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
      break;
  if (f)
    fclose(f);
  return kib;
}

static void spawn_stop_cycles(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  long after_warmup = 0;
  for (int i = 0; i < 1000; i++) {
    troupe_component_spec s = cu_spec("cycle", "echo");
    troupe_component_id id = cu_spawn(&c, &s);
    assert_true(id);
    if (i % 100 == 0)
      assert_int_equal(cu_invoke(&c, id, "echo", "1", NULL), 0);
    assert_int_equal(troupe_host_stop(c.h, id, NULL), 0);
    if (i == 199)
      after_warmup = rss_kib();
  }
  long end = rss_kib();
  print_message("RSS after 200 cycles %ld KiB, after 1000 %ld KiB\n", after_warmup, end);
  if (!SANITIZED) /* sanitizers keep freed memory in quarantine: RSS says nothing there */
    assert_true(end - after_warmup < 8 * 1024);
  troupe_component_id *ids;
  size_t n;
  assert_int_equal(troupe_host_list(c.h, &ids, &n, NULL), 0);
  assert_int_equal(n, 0);
  free(ids);
  cu_host_free(&c);
}

static void ten_thousand_live(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  enum { N = 10000 };
  troupe_component_id *ids = calloc(N, sizeof *ids);
  for (int i = 0; i < N; i++) {
    char name[32];
    snprintf(name, sizeof name, "echo-%d", i);
    troupe_component_spec s = cu_spec(name, "echo");
    ids[i] = cu_spawn(&c, &s);
    assert_true(ids[i]);
  }
  troupe_component_id *listed;
  size_t n;
  assert_int_equal(troupe_host_list(c.h, &listed, &n, NULL), 0);
  assert_int_equal(n, N);
  free(listed);
  size_t qlen;
  uint8_t *q = cu_json("\"are you there\"", &qlen);
  for (int i = 0; i < N; i += 97) { /* a spread of them answer */
    uint8_t *r;
    size_t rl;
    assert_int_equal(troupe_host_ask(c.h, ids[i], 1, q, qlen, TROUPE_SEC(20), &r, &rl, NULL), 0);
    free(r);
  }
  free(q);
  print_message("%d live components, RSS %ld KiB\n", N, rss_kib());
  free(ids);
  cu_host_free(&c);
}

typedef struct spawner {
  cu_host *c;
  int first, count;
  _Atomic int *ok;
} spawner;

static void *spawn_some(void *arg) {
  spawner *s = arg;
  for (int i = s->first; i < s->first + s->count; i++) {
    char name[32];
    snprintf(name, sizeof name, "par-%d", i);
    troupe_component_spec sp = cu_spec(name, "echo");
    if (cu_spawn(s->c, &sp))
      atomic_fetch_add(s->ok, 1);
  }
  return NULL;
}

static void concurrent_spawns(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  _Atomic int ok = 0;
  pthread_t t[8];
  spawner sp[8];
  for (int i = 0; i < 8; i++) {
    sp[i] = (spawner){.c = &c, .first = i * 13, .count = i < 4 ? 13 : 12, .ok = &ok};
    assert_int_equal(pthread_create(&t[i], NULL, spawn_some, &sp[i]), 0);
  }
  for (int i = 0; i < 8; i++)
    pthread_join(t[i], NULL);
  assert_int_equal(atomic_load(&ok), 100);
  cu_host_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(spawn_stop_cycles),
      cmocka_unit_test(ten_thousand_live),
      cmocka_unit_test(concurrent_spawns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
