/*
 * tests/engine/test_threads.c: the engine across threads (also run under TSan): one
 * compiled module shared by threads that each instantiate, call with fuel slices, resume
 * and free; instances of one store group made and freed concurrently on several
 * threads against one shared linker (the group lock's path); and
 * troupe_wasm_instance_interrupt from another thread -- an instance spinning forever
 * with unlimited fuel is stopped (the test would hang otherwise), and a long loop
 * interrupted again and again from outside still ends with its exact result; and
 * memories recycled between threads (pool.c's caches and depot) always read zero, also
 * when they are freed as a crash's (TROUPE_WASM_FREE_RESET_LATER) and zeroed by another
 * thread's idle work or by the take that needs them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "troupe/wasm.h"
#include "base/idle.h"
#include "engine/pool.h"
#include "engine/test_modules.h"

/*
 * (module
 *   (func $fib (export "fib") (param i32) (result i32)
 *     (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
 *       (then (local.get 0))
 *       (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
 *                      (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
 */
static const uint8_t fib_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x66, 0x69, 0x62, 0x00,
    0x00, 0x0a, 0x1e, 0x01, 0x1c, 0x00, 0x20, 0x00, 0x41, 0x02, 0x49, 0x04, 0x7f, 0x20,
    0x00, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x00, 0x20, 0x00, 0x41, 0x02, 0x6b,
    0x10, 0x00, 0x6a, 0x0b, 0x0b};

static troupe_wasm_module *load(const uint8_t *bytes, size_t len) {
  troupe_wasm_module *m = NULL;
  troupe_err e = {0};
  if (troupe_wasm_module_new(bytes, len, &m, &e))
    fail_msg("load failed: %s", e.msg);
  return m;
}

typedef struct thr {
  troupe_wasm_module *m;
  const troupe_wasm_linker *l;
  int ok;
  unsigned free_flags; /* troupe_wasm_instance_free_ex's */
} thr;

static void *fib_thread(void *p) {
  thr *t = p;
  for (int i = 0; i < 200; i++) {
    troupe_wasm_instance *inst = NULL;
    if (troupe_wasm_instantiate(t->m, NULL, NULL, &inst, NULL, NULL) != 0)
      return NULL;
    troupe_wasm_val a = TROUPE_WASM_VAL_I32(12 + i % 5), r;
    troupe_wasm_call_opts o = {.fuel = (uint64_t)(i % 7) * 50};
    int rc = troupe_wasm_call(inst, "fib", &a, 1, &r, 1, &o, NULL, NULL);
    while (rc == TROUPE_E_SUSPENDED)
      rc = troupe_wasm_resume(inst, NULL, 0, &r, 1, &o, NULL, NULL);
    static const int32_t want[] = {144, 233, 377, 610, 987};
    if (rc == 0 && r.of.i32 == want[i % 5])
      t->ok++;
    troupe_wasm_instance_free(inst);
  }
  return NULL;
}

static void test_shared_module_threads(void **state) {
  (void)state;
  troupe_wasm_module *m = load(fib_wasm, sizeof fib_wasm);
  pthread_t th[4];
  thr t[4];
  for (int i = 0; i < 4; i++) {
    t[i] = (thr){.m = troupe_wasm_module_ref(m)};
    assert_int_equal(pthread_create(&th[i], NULL, fib_thread, &t[i]), 0);
  }
  troupe_wasm_module_free(m); /* the threads' references keep it */
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(t[i].ok, 200);
    troupe_wasm_module_free(t[i].m);
  }
}

/* Each thread instantiates against the shared linker's table (so every instance joins
 * the linker's group under the group lock), calls through slot 0 -- a function of an
 * instance the embedder already freed -- and frees its instance (a group handle dropped
 * concurrently with the other threads' joins). The table is only read here. */
static void *group_thread(void *p) {
  thr *t = p;
  for (int i = 0; i < 100; i++) {
    troupe_wasm_instance *inst = NULL;
    if (troupe_wasm_instantiate(t->m, t->l, NULL, &inst, NULL, NULL) != 0)
      return NULL;
    troupe_wasm_val slot = TROUPE_WASM_VAL_I32(0), r;
    int rc = troupe_wasm_call(inst, "call", &slot, 1, &r, 1, NULL, NULL, NULL);
    if (rc == 0 && r.of.i32 == 43)
      t->ok++;
    troupe_wasm_instance_free(inst);
  }
  return NULL;
}

static void test_group_threads(void **state) {
  (void)state;
  troupe_wasm_module *m = load(host_tab_wasm, sizeof host_tab_wasm);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  troupe_wasm_limits_desc lim = {.min = 2};
  assert_int_equal(troupe_wasm_linker_define_table(l, "host", "tab", TROUPE_WASM_FUNCREF, lim,
                                                   NULL), 0);
  /* slot 0 is filled once, before the threads start; they only read it */
  troupe_wasm_instance *first = NULL;
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &first, NULL, NULL), 0);
  troupe_wasm_val slot = TROUPE_WASM_VAL_I32(0);
  assert_int_equal(troupe_wasm_call(first, "store", &slot, 1, NULL, 0, NULL, NULL, NULL), 0);
  troupe_wasm_instance_free(first); /* its function stays reachable through the table */
  pthread_t th[4];
  thr t[4];
  for (int i = 0; i < 4; i++) {
    t[i] = (thr){.m = m, .l = l};
    assert_int_equal(pthread_create(&th[i], NULL, group_thread, &t[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(t[i].ok, 100);
  }
  troupe_wasm_linker_free(l); /* the last handle: the whole group (401 instances) goes */
  troupe_wasm_module_free(m);
}

/* ---- interrupts from another thread ------------------------------------------------ */

typedef struct spinner {
  _Atomic int started; /* env.started ran: the call is inside the instance */
  _Atomic int stops;   /* interrupted suspensions the caller has seen */
  _Atomic bool done;
  troupe_wasm_instance *inst;
  int fired;
} spinner;

static int note_started(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                        troupe_wasm_val *results) {
  (void)call;
  (void)args;
  (void)results;
  atomic_fetch_add(&((spinner *)user)->started, 1);
  return TROUPE_OK;
}

static troupe_wasm_linker *spin_linker(spinner *s) {
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  troupe_wasm_functype none = {0};
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "started", &none, note_started, s,
                                                  NULL), 0);
  return l;
}

/* Waits until the round's call is running inside the instance, then interrupts it. */
static void *interrupt_when_started(void *p) {
  spinner *s = p;
  int want = atomic_load(&s->stops) + 1;
  while (atomic_load(&s->started) < want)
    sched_yield();
  troupe_wasm_instance_interrupt(s->inst);
  return NULL;
}

static void test_interrupt_spinning_instance(void **state) {
  (void)state;
  spinner s = {0};
  troupe_wasm_module *m = load(interrupt_wasm, sizeof interrupt_wasm);
  troupe_wasm_linker *l = spin_linker(&s);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &s.inst, NULL, NULL), 0);
  for (int round = 0; round < 20; round++) {
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, interrupt_when_started, &s), 0);
    /* unlimited fuel, an endless loop: only the interrupt brings this call back */
    troupe_err e = {0};
    assert_int_equal(troupe_wasm_call(s.inst, "spin", NULL, 0, NULL, 0, NULL, NULL, &e),
                     TROUPE_E_SUSPENDED);
    assert_int_equal(troupe_wasm_instance_state(s.inst), TROUPE_WASM_SUSPENDED_INTERRUPT);
    assert_string_equal(e.msg, "execution suspended (interrupt)");
    atomic_fetch_add(&s.stops, 1);
    pthread_join(th, NULL);
    if (round % 2) { /* resumable: a slice of fuel later it is suspended for fuel */
      troupe_wasm_call_opts o = {.fuel = 500};
      assert_int_equal(troupe_wasm_resume(s.inst, NULL, 0, NULL, 0, &o, NULL, NULL),
                       TROUPE_E_SUSPENDED);
      assert_int_equal(troupe_wasm_instance_state(s.inst), TROUPE_WASM_SUSPENDED_FUEL);
    }
    troupe_wasm_abort(s.inst);
  }
  troupe_wasm_instance_free(s.inst);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

/* Fires an interrupt, waits until the caller has seen it, fires the next: up to 200,
 * until the call is done. */
static void *interrupt_repeatedly(void *p) {
  spinner *s = p;
  while (s->fired < 200 && !atomic_load(&s->done)) {
    troupe_wasm_instance_interrupt(s->inst);
    s->fired++;
    while (atomic_load(&s->stops) < s->fired && !atomic_load(&s->done))
      sched_yield();
  }
  return NULL;
}

static void test_interrupted_loop_keeps_its_result(void **state) {
  (void)state;
  spinner s = {0};
  troupe_wasm_module *m = load(interrupt_wasm, sizeof interrupt_wasm);
  troupe_wasm_linker *l = spin_linker(&s);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &s.inst, NULL, NULL), 0);
  pthread_t th;
  /* the first interrupt is fired before the call starts: at least one stop for sure */
  troupe_wasm_instance_interrupt(s.inst);
  s.fired = 1;
  troupe_wasm_val k = TROUPE_WASM_VAL_I32(3000000), r = {0};
  int rc = troupe_wasm_call(s.inst, "count", &k, 1, &r, 1, NULL, NULL, NULL);
  assert_int_equal(rc, TROUPE_E_SUSPENDED);
  atomic_fetch_add(&s.stops, 1);
  assert_int_equal(pthread_create(&th, NULL, interrupt_repeatedly, &s), 0);
  while ((rc = troupe_wasm_resume(s.inst, NULL, 0, &r, 1, NULL, NULL, NULL)) ==
         TROUPE_E_SUSPENDED) {
    assert_int_equal(troupe_wasm_instance_state(s.inst), TROUPE_WASM_SUSPENDED_INTERRUPT);
    atomic_fetch_add(&s.stops, 1);
  }
  atomic_store(&s.done, true);
  pthread_join(th, NULL);
  assert_int_equal(rc, TROUPE_OK);
  assert_int_equal(r.of.i32, interrupt_count_expected(3000000));
  assert_true(atomic_load(&s.stops) >= 1 && atomic_load(&s.stops) <= 201);
  troupe_wasm_abort(s.inst);
  troupe_wasm_instance_free(s.inst);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

/* ---- recycled memories across threads ------------------------------------------------ */

/* Each thread makes a batch of instances (taking memories other threads freed, through
 * the depot), checks that every memory reads zero, fills it with its own mark and frees
 * the batch (more than a thread's cache holds, so most goes back to the depot). */
static void *recycle_thread(void *p) {
  thr *t = p;
  enum { BATCH = 24 };
  troupe_wasm_instance *insts[BATCH];
  for (int round = 0; round < 12; round++) {
    for (int i = 0; i < BATCH; i++)
      if (troupe_wasm_instantiate(t->m, NULL, NULL, &insts[i], NULL, NULL) != 0)
        return NULL;
    for (int i = 0; i < BATCH; i++) {
      troupe_wasm_val r = {0}, mark = TROUPE_WASM_VAL_I32(0x40 + round);
      if (troupe_wasm_call(insts[i], "nonzero", NULL, 0, &r, 1, NULL, NULL, NULL) == 0 &&
          r.of.i32 == 0)
        t->ok++;
      troupe_wasm_call(insts[i], "fill", &mark, 1, NULL, 0, NULL, NULL, NULL);
    }
    for (int i = 0; i < BATCH; i++)
      troupe_wasm_instance_free_ex(insts[i], t->free_flags);
  }
  return NULL;
}

/* The idle worker of test_dirty_memory_across_threads: zeroes what waits until told. */
static _Atomic bool idle_stop;
static _Atomic int idle_steps;
static void *idle_thread(void *p) {
  (void)p;
  while (!atomic_load(&idle_stop))
    if (trB_idle_run())
      atomic_fetch_add(&idle_steps, 1);
    else
      sched_yield();
  return NULL;
}

static void test_recycled_memory_across_threads(void **state) {
  (void)state;
  uint8_t bytes[sizeof reader_wasm];
  assert_true(with_memory_pages(reader_wasm, sizeof reader_wasm, 1, bytes));
  troupe_wasm_module *m = load(bytes, sizeof bytes);
  pthread_t th[4];
  thr t[4];
  for (int i = 0; i < 4; i++) {
    t[i] = (thr){.m = m};
    assert_int_equal(pthread_create(&th[i], NULL, recycle_thread, &t[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(t[i].ok, 12 * 24); /* every memory, recycled or not, read zero */
  }
  troupe_wasm_module_free(m);
}

static void test_dirty_memory_across_threads(void **state) {
  (void)state;
  uint8_t bytes[sizeof reader_wasm];
  assert_true(with_memory_pages(reader_wasm, sizeof reader_wasm, 1, bytes));
  troupe_wasm_module *m = load(bytes, sizeof bytes);
  trB_idle_runner_enter(); /* freed memories wait for a runner */
  pthread_t idle, th[4];
  thr t[4];
  /* Round 1, no runner comes round: the takers reset what waits (past the spares).
   * Round 2, an idle thread zeroes memories while the takers go on. */
  for (int round = 0; round < 2; round++) {
    if (round == 1)
      assert_int_equal(pthread_create(&idle, NULL, idle_thread, NULL), 0);
    for (int i = 0; i < 4; i++) {
      t[i] = (thr){.m = m, .free_flags = TROUPE_WASM_FREE_RESET_LATER};
      assert_int_equal(pthread_create(&th[i], NULL, recycle_thread, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
      pthread_join(th[i], NULL);
      assert_int_equal(t[i].ok, 12 * 24); /* every memory, reset by whoever, read zero */
    }
    if (round == 0) /* some wait still: the takers did not need them */
      assert_true(trE_pool_depot_bytes() > 0);
  }
  atomic_store(&idle_stop, true);
  pthread_join(idle, NULL);
  assert_true(atomic_load(&idle_steps) > 0); /* the idle thread did some of it */
  trB_idle_runner_leave(); /* the last runner zeroes what waits as it goes */
  assert_false(trB_idle_run());
  troupe_wasm_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shared_module_threads),
      cmocka_unit_test(test_group_threads),
      cmocka_unit_test(test_interrupt_spinning_instance),
      cmocka_unit_test(test_interrupted_loop_keeps_its_result),
      cmocka_unit_test(test_recycled_memory_across_threads),
      cmocka_unit_test(test_dirty_memory_across_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
