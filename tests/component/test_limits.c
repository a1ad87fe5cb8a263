/*
 * tests/component/test_limits.c: every limit of troupe_component_limits, enforced. A
 * component over a limit traps (a crash: its supervisor restarts it, the caller gets
 * the trap) or gets an error code; the host and the other components carry on.
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
  return cu_host_new(&c, 2);
}

static int teardown(void **state) {
  (void)state;
  cu_host_free(&c);
  return 0;
}

static troupe_component_id spawn_with(const char *name, troupe_component_limits lim) {
  troupe_component_spec s = cu_spec(name, "probe");
  s.limits = lim;
  return cu_spawn(&c, &s);
}

/* A trap for the caller, a restart for the component, which answers again. */
static void expect_trap(troupe_component_id id, const char *fn, const char *arg, const char *says) {
  uint32_t before = cu_restarts(&c, id);
  char *out = NULL;
  assert_int_equal(cu_invoke(&c, id, fn, arg, &out), TROUPE_E_TRAP);
  print_message("%s(%s): %s\n", fn, arg ? arg : "", out);
  assert_non_null(strstr(out, says));
  free(out);
  assert_true(CU_WAIT(cu_restarts(&c, id) == before + 1 &&
                      cu_state(&c, id) == TROUPE_COMPONENT_READY));
  assert_int_equal(cu_invoke_int(&c, id, "work", "3"), 3);
}

static void memory_pages(void **state) {
  (void)state;
  troupe_component_id probe = spawn_with("mem-probe", (troupe_component_limits){0});
  troupe_component_info info;
  assert_int_equal(troupe_host_info(c.h, probe, &info, NULL), 0);
  uint32_t pages = (uint32_t)(info.memory_bytes / 65536);
  troupe_component_info_clear(&info);
  troupe_component_id id =
      spawn_with("mem", (troupe_component_limits){.max_memory_pages = pages + 2});
  assert_true(id);
  assert_int_equal(cu_invoke_int(&c, id, "grow", "2"), pages);  /* to the limit: old size */
  assert_int_equal(cu_invoke_int(&c, id, "grow", "1"), -1);     /* beyond it: refused */
  assert_int_equal(cu_invoke_int(&c, probe, "grow", "2"), pages); /* another has its own */
}

static void stack_bytes(void **state) {
  (void)state;
  troupe_component_limits small = {.max_stack_bytes = 64 * 1024, .max_call_depth = 1000000};
  troupe_component_limits big = {.max_stack_bytes = 16u << 20, .max_call_depth = 1000000};
  troupe_component_id s = spawn_with("stack-small", small), b = spawn_with("stack-big", big);
  assert_true(s && b);
  assert_int_equal(cu_invoke_int(&c, s, "deep", "100"), 100);
  assert_int_equal(cu_invoke_int(&c, b, "deep", "20000"), 20000);
  expect_trap(s, "deep", "20000", "call stack exhausted");
}

static void call_depth(void **state) {
  (void)state;
  troupe_component_id id = spawn_with("depth", (troupe_component_limits){.max_call_depth = 200});
  assert_int_equal(cu_invoke_int(&c, id, "deep", "100"), 100);
  expect_trap(id, "deep", "1000", "call stack exhausted");
}

static void fuel_per_message(void **state) {
  (void)state;
  troupe_component_id id = spawn_with(
      "fuel", (troupe_component_limits){.fuel_per_message = 2000000, .fuel_slice = 50000});
  assert_int_equal(cu_invoke_int(&c, id, "work", "1000"), 1000);
  expect_trap(id, "spin", NULL, "fuel limit of 2000000 per message exhausted");
  /* a message that spins is a crash too */
  uint32_t before = cu_restarts(&c, id);
  assert_int_equal(cu_send_json(&c, id, "\"spin\""), 0);
  assert_true(CU_WAIT(cu_restarts(&c, id) == before + 1));
  assert_true(CU_WAIT(cu_log_has(&c.log, "component_stopped", "fuel limit")));
}

static void message_bytes(void **state) {
  (void)state;
  troupe_component_id id =
      spawn_with("small-msgs", (troupe_component_limits){.max_message_bytes = 1000});
  size_t n = 1500;
  uint8_t *big = malloc(n);
  memcpy(big, "\x80\x04\"", 3);
  memset(big + 3, 'x', n - 4);
  big[n - 1] = '"';
  troupe_err err;
  assert_int_equal(troupe_host_send(c.h, id, 1, big, n, &err), TROUPE_E_TOO_LARGE);
  uint8_t *r;
  size_t rl;
  assert_int_equal(troupe_host_ask(c.h, id, 1, big, n, TROUPE_SEC(5), &r, &rl, &err),
                   TROUPE_E_TOO_LARGE);
  assert_int_equal(troupe_host_invoke(c.h, id, "work", big, n, TROUPE_SEC(5), &r, &rl, &err),
                   TROUPE_E_TOO_LARGE);
  free(big);
  /* its own output over the limit: the import says TOO_LARGE, the export returns it */
  char *out;
  assert_int_equal(cu_invoke(&c, id, "big", "2000", &out), TROUPE_E_TOO_LARGE);
  free(out);
  assert_int_equal(cu_invoke(&c, id, "big", "10", &out), 0);
  free(out);
}

/* A bounded mailbox refuses at once when full; a component sender may wait instead. */
typedef struct sleeper_job {
  troupe_component_id id;
  int rc;
} sleeper_job;

static void *sleep_in(void *arg) {
  sleeper_job *j = arg;
  j->rc = (int)cu_invoke_int(&c, j->id, "sleep_ms", "600");
  return NULL;
}

static uint64_t messages_of(troupe_component_id id) {
  troupe_component_info info;
  if (troupe_host_info(c.h, id, &info, NULL))
    return 0;
  uint64_t n = info.messages;
  troupe_component_info_clear(&info);
  return n;
}

static void mailbox_bound(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("bounded", "probe");
  s.limits.mailbox_bound = 3;
  const char *to_bounded[] = {"bounded"};
  troupe_component_spec ws = cu_spec("writer", "probe");
  ws.caps.send_to = (troupe_pattern_list){to_bounded, 1};
  troupe_component_id w = cu_spawn(&c, &ws), b = cu_spawn(&c, &s);
  assert_true(w && b);
  /* b sleeps in an invocation: messages queue behind it, up to the bound */
  sleeper_job j = {.id = b};
  pthread_t t;
  troupe_component_info info;
  assert_int_equal(troupe_host_info(c.h, b, &info, NULL), 0);
  uint64_t handled = info.messages;
  troupe_component_info_clear(&info);
  assert_int_equal(pthread_create(&t, NULL, sleep_in, &j), 0);
  /* the invocation has begun (counted as it starts): b sleeps from now on */
  assert_true(CU_WAIT(messages_of(b) > handled));
  int accepted = 0, rc = 0;
  for (int i = 0; i < 100000 && rc == 0; i++) {
    rc = cu_send_json(&c, b, "\"queued\"");
    if (rc == 0)
      accepted++;
  }
  assert_int_equal(rc, TROUPE_E_MAILBOX_FULL);
  /* the host may wait for room instead: briefly (it stays full: TIMEOUT) ... */
  size_t ml;
  uint8_t *msg = cu_json("\"patient\"", &ml);
  troupe_err err;
  assert_int_equal(troupe_host_send_wait(c.h, b, 1, msg, ml, TROUPE_MS(20), &err),
                   TROUPE_E_TIMEOUT);
  /* the writer sends 50 with send_wait to the full mailbox: it waits, none is refused */
  assert_int_equal(cu_invoke_int(&c, w, "send_many", "[\"bounded\",50]"), 50);
  /* ... or long enough: it gets in once b drains */
  assert_int_equal(troupe_host_send_wait(c.h, b, 1, msg, ml, TROUPE_SEC(20), &err), 0);
  free(msg);
  pthread_join(t, NULL);
  assert_true(j.rc >= 600);
  char expect[32], *out = NULL;
  snprintf(expect, sizeof expect, "[%d,", accepted + 51);
  for (int tries = 0; tries < 2000; tries++) {
    free(out);
    out = NULL;
    if (cu_invoke(&c, b, "counters", NULL, &out) == 0 && strncmp(out, expect, strlen(expect)) == 0)
      break;
    cu_sleep_ms(5);
  }
  assert_non_null(out);
  assert_memory_equal(out, expect, strlen(expect));
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(memory_pages),     cmocka_unit_test(stack_bytes),
      cmocka_unit_test(call_depth),       cmocka_unit_test(fuel_per_message),
      cmocka_unit_test(message_bytes),    cmocka_unit_test(mailbox_bound),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
