/*
 * tests/engine/test_stack_limit.c: the execution stack's budget per instance
 * (troupe_wasm_limits.max_stack_bytes). Runaway recursion under a 64 KiB budget traps
 * cleanly with "call stack exhausted" and allocates no more than the budget (counted by
 * the engine and seen in the process's resident memory); a larger budget gets deeper,
 * in proportion; the depth reached does not depend on fuel slicing; a function whose own
 * frame does not fit traps when called; a budget below the minimum is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/instance.h"
#include "troupe/wasm.h"

/*
 * (module
 *   (global $depth (export "depth") (mut i32) (i32.const 0))
 *   (func $rec (export "rec") (param $n i32) (result i32)
 *     (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
 *     (i32.add (call $rec (i32.add (local.get $n) (i32.const 1))) (local.get $n)))
 *   (func (export "big") (result i64) (local i64 ... 600 of them) (local.get 599)))
 */
static const uint8_t rec_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x60, 0x00, 0x01, 0x7e, 0x03, 0x03, 0x02, 0x00, 0x01, 0x06, 0x06, 0x01,
    0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x15, 0x03, 0x05, 0x64, 0x65, 0x70, 0x74, 0x68,
    0x03, 0x00, 0x03, 0x72, 0x65, 0x63, 0x00, 0x00, 0x03, 0x62, 0x69, 0x67, 0x00, 0x01,
    0x0a, 0x1e, 0x02, 0x13, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6a, 0x24, 0x00, 0x20, 0x00,
    0x41, 0x01, 0x6a, 0x10, 0x00, 0x20, 0x00, 0x6a, 0x0b, 0x08, 0x01, 0xd8, 0x04, 0x7e,
    0x20, 0xd7, 0x04, 0x0b};

static troupe_wasm_module *load(void) {
  troupe_wasm_module *m = NULL;
  troupe_err e = {0};
  if (troupe_wasm_module_new(rec_wasm, sizeof rec_wasm, &m, &e))
    fail_msg("load failed: %s", e.msg);
  return m;
}

/* The call depth is not what stops these recursions: only the stack budget is. */
static troupe_wasm_instance *make(troupe_wasm_module *m, uint64_t budget) {
  troupe_wasm_limits lim = {.max_call_depth = 100000000, .max_stack_bytes = budget};
  troupe_wasm_instance *inst = NULL;
  troupe_err e = {0};
  if (troupe_wasm_instantiate(m, NULL, &lim, &inst, NULL, &e))
    fail_msg("instantiate failed: %s", e.msg);
  return inst;
}

/* rec(0) in fuel slices of `slice` units (0: unsliced) until it traps: the depth it
 * reached, from its global. */
static int32_t recurse(troupe_wasm_instance *inst, uint64_t slice) {
  troupe_wasm_val zero = TROUPE_WASM_VAL_I32(0), r, d;
  assert_int_equal(troupe_wasm_global_set(inst, "depth", zero), TROUPE_OK);
  troupe_wasm_call_opts o = {.fuel = slice};
  troupe_wasm_trap t = {0};
  int rc = troupe_wasm_call(inst, "rec", &zero, 1, &r, 1, &o, &t, NULL);
  while (rc == TROUPE_E_SUSPENDED)
    rc = troupe_wasm_resume(inst, NULL, 0, &r, 1, &o, &t, NULL);
  assert_int_equal(rc, TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_STACK_EXHAUSTED);
  assert_string_equal(t.message, "call stack exhausted");
  assert_int_equal(troupe_wasm_global_get(inst, "depth", &d), TROUPE_OK);
  return d.of.i32;
}

static long resident_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, resident = -1;
  if (f) {
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
      resident = -1;
    fclose(f);
  }
  assert_true(resident >= 0);
  return resident * sysconf(_SC_PAGESIZE);
}

static void test_small_budget_traps_cleanly(void **state) {
  (void)state;
  troupe_wasm_module *m = load();
  long rss0 = resident_bytes();
  troupe_wasm_instance *inst = make(m, 64 * 1024);
  int32_t depth = recurse(inst, 0);
  /* the budget bounds what the stacks allocated, and most of it was used */
  size_t used = trE_exec_bytes(&inst->ex);
  assert_true(used <= 64 * 1024);
  assert_true(used > 48 * 1024);
  /* a level costs a frame record and at least one slot (rec's frames overlap in their
   * argument): several hundred levels fit, and no more than the budget holds */
  assert_true(depth > 500);
  assert_true((size_t)depth * (sizeof(trE_frame) + sizeof(trE_slot)) <= 64 * 1024);
  /* without the budget this recursion would allocate gigabytes before its depth limit */
  assert_true(resident_bytes() - rss0 < 2 * 1024 * 1024);
  /* the instance stays usable, and a second runaway stops at the same depth */
  assert_int_equal(recurse(inst, 0), depth);
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(m);
}

static void test_larger_budget_goes_deeper(void **state) {
  (void)state;
  troupe_wasm_module *m = load();
  troupe_wasm_instance *small = make(m, 64 * 1024), *large = make(m, 1024 * 1024);
  int32_t d_small = recurse(small, 0), d_large = recurse(large, 0);
  /* 16 times the budget: about 16 times the depth (each stack's last step may stop short
   * of its share, so ask for half of that) */
  assert_true(d_large > 8 * d_small);
  assert_true(trE_exec_bytes(&large->ex) <= 1024 * 1024);
  troupe_wasm_instance_free(small);
  troupe_wasm_instance_free(large);
  troupe_wasm_module_free(m);
}

static void test_depth_independent_of_fuel_slices(void **state) {
  (void)state;
  troupe_wasm_module *m = load();
  troupe_wasm_instance *a = make(m, 64 * 1024), *b = make(m, 64 * 1024);
  int32_t plain = recurse(a, 0);
  assert_int_equal(recurse(b, 7), plain); /* suspended and resumed thousands of times */
  troupe_wasm_instance_free(a);
  troupe_wasm_instance_free(b);
  troupe_wasm_module_free(m);
}

static void test_entry_frame_over_budget(void **state) {
  (void)state;
  troupe_wasm_module *m = load();
  /* "big" has 600 locals: 4.8 KB of frame, over a 4 KiB budget */
  troupe_wasm_instance *inst = make(m, TROUPE_WASM_MIN_STACK_BYTES);
  troupe_wasm_val r;
  troupe_wasm_trap t = {0};
  troupe_err e = {0};
  assert_int_equal(troupe_wasm_call(inst, "big", NULL, 0, &r, 1, NULL, &t, &e), TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_STACK_EXHAUSTED);
  assert_int_equal(strncmp(t.message, "call stack exhausted", 20), 0);
  assert_int_equal(troupe_wasm_instance_state(inst), TROUPE_WASM_IDLE);
  assert_true(recurse(inst, 0) > 10); /* the minimum budget still runs calls */
  troupe_wasm_instance_free(inst);
  inst = make(m, 0); /* the default budget */
  assert_int_equal(troupe_wasm_call(inst, "big", NULL, 0, &r, 1, NULL, &t, NULL), TROUPE_OK);
  assert_int_equal(r.of.i64, 0);
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(m);
}

static void test_budget_below_minimum_refused(void **state) {
  (void)state;
  troupe_wasm_module *m = load();
  troupe_wasm_limits lim = {.max_stack_bytes = TROUPE_WASM_MIN_STACK_BYTES - 1};
  troupe_wasm_instance *inst = NULL;
  troupe_err e = {0};
  assert_int_equal(troupe_wasm_instantiate(m, NULL, &lim, &inst, NULL, &e), TROUPE_E_INVAL);
  assert_null(inst);
  assert_non_null(strstr(e.msg, "max_stack_bytes"));
  troupe_wasm_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_small_budget_traps_cleanly),
      cmocka_unit_test(test_larger_budget_goes_deeper),
      cmocka_unit_test(test_depth_independent_of_fuel_slices),
      cmocka_unit_test(test_entry_frame_over_budget),
      cmocka_unit_test(test_budget_below_minimum_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
