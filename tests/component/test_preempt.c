/*
 * tests/component/test_preempt.c: preemption and waiting on ONE worker thread. A
 * component that loops forever is sliced by fuel and rescheduled, so another on the
 * same worker keeps answering; a component that sleeps (WASI) or waits for an answer
 * (troupe.ask) is suspended without holding the worker. Latency itself is measured by
 * `make bench-component` (echo_p99_us_with_spinner); here the bound is generous. The
 * host's calls into a component go through the worker (no_run_here): run on this
 * thread, the echo would answer whatever the worker does. The last test shows that
 * default: the echo answers on the asking thread while the spinner keeps the worker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

static cu_host c;

static int setup(void **state) {
  (void)state;
  return cu_host_new_ex(&c, 1, false);
}

static int teardown(void **state) {
  (void)state;
  cu_host_free(&c);
  return 0;
}

/* echo answers n asks, each within the generous bound, while `busy` holds the worker */
static void echo_answers(troupe_component_id echo, int n) {
  size_t qlen;
  uint8_t *q = cu_json("\"ping\"", &qlen);
  for (int i = 0; i < n; i++) {
    uint8_t *r = NULL;
    size_t rl;
    troupe_err err;
    assert_int_equal(troupe_host_ask(c.h, echo, 1, q, qlen, TROUPE_SEC(10), &r, &rl, &err), 0);
    assert_int_equal(rl, qlen);
    free(r);
  }
  free(q);
}

static void spinner_is_preempted(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("spin", "probe"), e = cu_spec("echo", "echo");
  troupe_component_id spin = cu_spawn(&c, &s), echo = cu_spawn(&c, &e);
  assert_true(spin && echo);
  assert_int_equal(cu_send_json(&c, spin, "\"spin\""), 0); /* loops forever from now on */
  cu_sleep_ms(20);
  echo_answers(echo, 50);
  troupe_component_info info;
  assert_int_equal(troupe_host_info(c.h, spin, &info, NULL), 0);
  assert_true(info.fuel_used > info.limits.fuel_slice); /* it kept running, slice after slice */
  troupe_component_info_clear(&info);
  assert_int_equal(troupe_host_stop(c.h, spin, NULL), 0); /* and it can be stopped */
  assert_int_equal(troupe_host_stop(c.h, echo, NULL), 0);
}

typedef struct bg {
  troupe_component_id id;
  const char *fn, *arg;
  long long result;
} bg;

static void *invoke_bg(void *arg) {
  bg *b = arg;
  b->result = cu_invoke_int(&c, b->id, b->fn, b->arg);
  return NULL;
}

static void sleep_holds_no_worker(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("sleepy", "probe"), e = cu_spec("echo2", "echo");
  troupe_component_id sleepy = cu_spawn(&c, &s), echo = cu_spawn(&c, &e);
  bg b = {.id = sleepy, .fn = "sleep_ms", .arg = "300"};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, invoke_bg, &b), 0);
  cu_sleep_ms(50);
  uint64_t t0 = troupe_clock_mono_ns();
  echo_answers(echo, 20); /* while the only worker would be asleep if sleep blocked it */
  uint64_t answered = troupe_clock_mono_ns() - t0;
  pthread_join(t, NULL);
  assert_true(b.result >= 300); /* it really slept */
  print_message("echo answered 20 asks in %.1f ms during a 300 ms sleep\n", answered / 1e6);
  assert_int_equal(troupe_host_stop(c.h, sleepy, NULL), 0);
  assert_int_equal(troupe_host_stop(c.h, echo, NULL), 0);
}

/* A component waiting in troupe.ask for a slow answer holds no worker either: the slow
 * one (sleeping in its handler) and a third one all run on the one worker. */
static void ask_holds_no_worker(void **state) {
  (void)state;
  const char *to[] = {"slow"};
  troupe_component_spec a = cu_spec("waiting", "probe"), s = cu_spec("slow", "sleeper"),
                        e = cu_spec("echo3", "echo");
  a.caps.send_to = (troupe_pattern_list){to, 1};
  troupe_component_id waiting = cu_spawn(&c, &a), slow = cu_spawn(&c, &s), echo = cu_spawn(&c, &e);
  assert_true(waiting && slow && echo);
  bg b = {.id = waiting, .fn = "ask_to", .arg = "\"slow\""};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, invoke_bg, &b), 0);
  echo_answers(echo, 20);
  pthread_join(t, NULL);
  print_message("ask_to slow -> %lld\n", b.result);
  assert_int_equal(b.result, 0); /* the reply, {"slept_ms":...}, parsed as no integer */
}

/* The default host beside the spinner: the echo answers every ask and the spinner goes
 * on. (That an idle component is run by the asking thread, test_run_here.c shows with
 * the only worker held outright.) */
static void echo_runs_here_beside_spinner(void **state) {
  (void)state;
  cu_host d;
  assert_int_equal(cu_host_new(&d, 1), 0);
  troupe_component_spec s = cu_spec("spin", "probe"), e = cu_spec("echo", "echo");
  troupe_component_id spin = cu_spawn(&d, &s), echo = cu_spawn(&d, &e);
  assert_true(spin && echo);
  assert_int_equal(cu_send_json(&d, spin, "\"spin\""), 0);
  cu_sleep_ms(20);
  troupe_component_info info;
  assert_int_equal(troupe_host_info(d.h, spin, &info, NULL), 0);
  uint64_t fuel0 = info.fuel_used;
  troupe_component_info_clear(&info);
  size_t qlen;
  uint8_t *q = cu_json("\"ping\"", &qlen);
  for (int i = 0; i < 50; i++) {
    uint8_t *r = NULL;
    size_t rl;
    assert_int_equal(troupe_host_ask(d.h, echo, 1, q, qlen, TROUPE_SEC(10), &r, &rl, NULL), 0);
    assert_int_equal(rl, qlen);
    assert_memory_equal(r, q, qlen);
    free(r);
  }
  free(q);
  cu_sleep_ms(20);
  assert_int_equal(troupe_host_info(d.h, spin, &info, NULL), 0);
  assert_true(info.fuel_used > fuel0 + info.limits.fuel_slice); /* still spinning */
  troupe_component_info_clear(&info);
  assert_int_equal(troupe_host_stop(d.h, spin, NULL), 0);
  cu_host_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(spinner_is_preempted),
      cmocka_unit_test(sleep_holds_no_worker),
      cmocka_unit_test(ask_holds_no_worker),
      cmocka_unit_test(echo_runs_here_beside_spinner),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
