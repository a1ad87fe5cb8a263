/*
 * tests/engine/test_lifetime.c: who keeps what alive. A function reference stored at run
 * time into another instance's table, or a linker's table or global, must keep working
 * after the embedder frees the instance it belongs to (store groups, docs/ENGINE.md), and
 * everything must be released once the embedder has freed it all (ASan's leak check and
 * valgrind see both halves). Also: instances outlive the linker whose host functions
 * they import, however the linker grew meanwhile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "troupe/wasm.h"
#include "engine/test_modules.h"

/*
 * (module
 *   (type $t (func (result i32)))
 *   (table (export "tab") 2 funcref)
 *   (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))
 */
static const uint8_t tab_a_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x00, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x01, 0x04, 0x04, 0x01, 0x70,
    0x00, 0x02, 0x07, 0x0e, 0x02, 0x03, 0x74, 0x61, 0x62, 0x01, 0x00, 0x04, 0x63, 0x61,
    0x6c, 0x6c, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x11, 0x00, 0x00, 0x0b};

/*
 * (module
 *   (type $t (func (result i32)))
 *   (import "A" "tab" (table 2 funcref))
 *   (func $f (result i32) i32.const 42)
 *   (elem declare func $f)
 *   (func (export "store") (param i32) (table.set 0 (local.get 0) (ref.func $f))))
 */
static const uint8_t tab_b_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x00, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x00, 0x02, 0x0b, 0x01, 0x01, 0x41, 0x03, 0x74, 0x61, 0x62,
    0x01, 0x70, 0x00, 0x02, 0x03, 0x03, 0x02, 0x00, 0x01, 0x07, 0x09, 0x01, 0x05, 0x73,
    0x74, 0x6f, 0x72, 0x65, 0x00, 0x01, 0x09, 0x05, 0x01, 0x03, 0x00, 0x01, 0x00, 0x0a,
    0x0f, 0x02, 0x04, 0x00, 0x41, 0x2a, 0x0b, 0x08, 0x00, 0x20, 0x00, 0xd2, 0x00, 0x26,
    0x00, 0x0b};

/*
 * (module
 *   (import "A" "tab" (table 2 funcref))
 *   (memory 1)
 *   (func $g (result i32) i32.const 44)
 *   (elem (i32.const 1) $g)
 *   (data (i32.const 65536) "x"))
 */
static const uint8_t tab_c_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
    0x7f, 0x02, 0x0b, 0x01, 0x01, 0x41, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00, 0x02,
    0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x09, 0x07, 0x01, 0x00, 0x41,
    0x01, 0x0b, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2c, 0x0b, 0x0b, 0x09,
    0x01, 0x00, 0x41, 0x80, 0x80, 0x04, 0x0b, 0x01, 0x78};

/*
 * (module
 *   (type $t (func (result i32)))
 *   (import "host" "g" (global $g (mut funcref)))
 *   (table 1 funcref)
 *   (func $f (result i32) i32.const 45)
 *   (elem declare func $f)
 *   (func (export "store") (param i32) (global.set $g (ref.func $f)))
 *   (func (export "call") (param i32) (result i32)
 *     (table.set 0 (i32.const 0) (global.get $g))
 *     (call_indirect (type $t) (i32.const 0))))
 */
static const uint8_t host_glob_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x03, 0x60, 0x00, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0b, 0x01, 0x04,
    0x68, 0x6f, 0x73, 0x74, 0x01, 0x67, 0x03, 0x70, 0x01, 0x03, 0x04, 0x03, 0x00, 0x01,
    0x02, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x07, 0x10, 0x02, 0x05, 0x73, 0x74, 0x6f,
    0x72, 0x65, 0x00, 0x01, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x02, 0x09, 0x05, 0x01,
    0x03, 0x00, 0x01, 0x00, 0x0a, 0x1b, 0x03, 0x04, 0x00, 0x41, 0x2d, 0x0b, 0x06, 0x00,
    0xd2, 0x00, 0x24, 0x00, 0x0b, 0x0d, 0x00, 0x41, 0x00, 0x23, 0x00, 0x26, 0x00, 0x41,
    0x00, 0x11, 0x00, 0x00, 0x0b};

static troupe_wasm_module *load(const uint8_t *bytes, size_t len) {
  troupe_wasm_module *m = NULL;
  troupe_err e = {0};
  if (troupe_wasm_module_new(bytes, len, &m, &e))
    fail_msg("load failed: %s", e.msg);
  return m;
}
#define LOAD(name) load(name##_wasm, sizeof name##_wasm)

static troupe_wasm_instance *inst_new(troupe_wasm_module *m, troupe_wasm_linker *l) {
  troupe_wasm_instance *inst = NULL;
  troupe_err e = {0};
  if (troupe_wasm_instantiate(m, l, NULL, &inst, NULL, &e))
    fail_msg("instantiate failed: %s", e.msg);
  return inst;
}

static int32_t call_i32(troupe_wasm_instance *inst, const char *name, int32_t arg) {
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(arg), r = {0};
  troupe_err e = {0};
  if (troupe_wasm_call(inst, name, &a, 1, &r, 1, NULL, NULL, &e))
    fail_msg("call %s failed: %s", name, e.msg);
  return r.of.i32;
}

static void store(troupe_wasm_instance *inst, int32_t slot) {
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(slot);
  assert_int_equal(troupe_wasm_call(inst, "store", &a, 1, NULL, 0, NULL, NULL, NULL), 0);
}

/* A exports a table; B imports it and stores its own function into it; B (and the
 * linker) are freed; calling through A's table still reaches B's function. */
static void test_funcref_in_exporter_table(void **state) {
  (void)state;
  troupe_wasm_module *ma = LOAD(tab_a), *mb = LOAD(tab_b);
  for (int order = 0; order < 2; order++) {
    troupe_wasm_instance *a = inst_new(ma, NULL);
    troupe_wasm_linker *l = troupe_wasm_linker_new();
    assert_int_equal(troupe_wasm_linker_define_instance(l, "A", a, NULL), 0);
    troupe_wasm_instance *b = inst_new(mb, l);
    store(b, 0);
    if (order == 0) {
      troupe_wasm_instance_free(b);
      troupe_wasm_linker_free(l);
    } else {
      troupe_wasm_linker_free(l);
      troupe_wasm_instance_free(b);
    }
    assert_int_equal(call_i32(a, "call", 0), 42); /* B's function, B freed */
    troupe_wasm_instance_free(a);                 /* now the whole group goes */
  }
  /* the other way round: the exporter is freed first, the importer still works */
  troupe_wasm_instance *a = inst_new(ma, NULL);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_linker_define_instance(l, "A", a, NULL), 0);
  troupe_wasm_instance *b = inst_new(mb, l);
  troupe_wasm_instance_free(a);
  troupe_wasm_linker_free(l);
  store(b, 1);
  troupe_wasm_instance_free(b);
  troupe_wasm_module_free(ma);
  troupe_wasm_module_free(mb);
}

/* The same through a table the linker made: both instances join the linker's group. */
static void test_funcref_in_host_table(void **state) {
  (void)state;
  troupe_wasm_module *m = LOAD(host_tab);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  troupe_wasm_limits_desc lim = {.min = 2};
  assert_int_equal(troupe_wasm_linker_define_table(l, "host", "tab", TROUPE_WASM_FUNCREF, lim,
                                                   NULL), 0);
  troupe_wasm_instance *a = inst_new(m, l), *b = inst_new(m, l);
  store(b, 1);
  troupe_wasm_instance_free(b);
  assert_int_equal(call_i32(a, "call", 1), 43);
  troupe_wasm_linker_free(l);
  assert_int_equal(call_i32(a, "call", 1), 43);
  store(a, 0);
  assert_int_equal(call_i32(a, "call", 0), 43);
  troupe_wasm_instance_free(a);
  troupe_wasm_module_free(m);
}

/* The same through a funcref global the linker made. */
static void test_funcref_in_host_global(void **state) {
  (void)state;
  troupe_wasm_module *m = LOAD(host_glob);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  troupe_wasm_val null = {.type = TROUPE_WASM_FUNCREF, .of.ref = NULL};
  assert_int_equal(troupe_wasm_linker_define_global(l, "host", "g", null, true, NULL), 0);
  troupe_wasm_instance *a = inst_new(m, l), *b = inst_new(m, l);
  store(b, 0);
  troupe_wasm_instance_free(b);
  troupe_wasm_linker_free(l);
  assert_int_equal(call_i32(a, "call", 0), 45); /* B's function, read from the global */
  troupe_wasm_instance_free(a);
  troupe_wasm_module_free(m);
}

/* An instance that fails to instantiate after its element segment wrote its function
 * into an imported table: the write persists (WebAssembly 2.0), so the function must
 * stay callable through the table. */
static void test_failed_instance_in_table(void **state) {
  (void)state;
  troupe_wasm_module *ma = LOAD(tab_a), *mc = LOAD(tab_c);
  troupe_wasm_instance *a = inst_new(ma, NULL), *c = NULL;
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_linker_define_instance(l, "A", a, NULL), 0);
  troupe_wasm_trap trap;
  assert_int_equal(troupe_wasm_instantiate(mc, l, NULL, &c, &trap, NULL),
                   TROUPE_E_UNINSTANTIABLE);
  assert_null(c);
  assert_int_equal(trap.kind, TROUPE_WASM_TRAP_MEMORY_OOB);
  troupe_wasm_linker_free(l);
  assert_int_equal(call_i32(a, "call", 1), 44);
  troupe_wasm_instance_free(a);
  troupe_wasm_module_free(ma);
  troupe_wasm_module_free(mc);
}

static int h_fn(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                troupe_wasm_val *results) {
  (void)call, (void)user;
  results[0] = TROUPE_WASM_VAL_I32(args[0].of.i32 + 1);
  return TROUPE_OK;
}

static int wait_fn(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                   troupe_wasm_val *results) {
  (void)user, (void)args, (void)results;
  return troupe_wasm_host_suspend(call);
}

/* Host function imports point at the linker's definitions: the linker may grow (its
 * definitions move) and be freed while its instances live on. */
static void test_linker_freed_first(void **state) {
  (void)state;
  static const uint8_t i32[] = {TROUPE_WASM_I32};
  troupe_wasm_functype hft = {.nparams = 1, .params = i32, .nresults = 1, .results = i32};
  troupe_wasm_functype wft = {.nresults = 1, .results = i32};
  troupe_wasm_module *m = LOAD(hostcall);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "h", &hft, h_fn, NULL, NULL), 0);
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "wait", &wft, wait_fn, NULL, NULL),
                   0);
  troupe_wasm_instance *a = inst_new(m, l);
  for (int i = 0; i < 200; i++) { /* grow the linker's definitions */
    char name[32];
    snprintf(name, sizeof name, "f%d", i);
    assert_int_equal(troupe_wasm_linker_define_func(l, "env", name, &hft, h_fn, NULL, NULL), 0);
  }
  troupe_wasm_instance *b = inst_new(m, l);
  troupe_wasm_linker_free(l);
  assert_int_equal(call_i32(a, "inc", 10), 11);
  assert_int_equal(call_i32(b, "inc", 20), 21);
  troupe_wasm_val r;
  assert_int_equal(troupe_wasm_call(a, "waits", NULL, 0, &r, 1, NULL, NULL, NULL),
                   TROUPE_E_SUSPENDED);
  const troupe_wasm_functype *ft = troupe_wasm_suspended_host_type(a);
  assert_non_null(ft);
  assert_int_equal(ft->nresults, 1);
  assert_int_equal(ft->results[0], TROUPE_WASM_I32);
  troupe_wasm_val v = TROUPE_WASM_VAL_I32(5);
  assert_int_equal(troupe_wasm_resume(a, &v, 1, &r, 1, NULL, NULL, NULL), 0);
  assert_int_equal(r.of.i32, 6);
  troupe_wasm_instance_free(a);
  troupe_wasm_instance_free(b);
  troupe_wasm_module_free(m);
}

/* Many instances registered in one linker and chained through it, freed in a scrambled
 * order: groups merge, and everything is released exactly once at the end. */
static void test_group_merges(void **state) {
  (void)state;
  troupe_wasm_module *ma = LOAD(tab_a), *mb = LOAD(tab_b);
  troupe_wasm_linker *l1 = troupe_wasm_linker_new(), *l2 = troupe_wasm_linker_new();
  troupe_wasm_instance *as[4], *bs[4];
  for (int i = 0; i < 4; i++) {
    as[i] = inst_new(ma, NULL);
    /* as[0], as[2] in l1; as[1], as[3] in l2; as[3] in l1 too: l1 and l2 become one group */
    assert_int_equal(troupe_wasm_linker_define_instance(i % 2 ? l2 : l1, "A", as[i], NULL), 0);
  }
  assert_int_equal(troupe_wasm_linker_define_instance(l1, "A", as[3], NULL), 0);
  for (int i = 0; i < 4; i++) {
    bs[i] = inst_new(mb, i % 2 ? l2 : l1);
    store(bs[i], i % 2);
  }
  troupe_wasm_instance_free(bs[0]);
  troupe_wasm_linker_free(l2);
  troupe_wasm_instance_free(bs[3]);
  troupe_wasm_instance_free(as[2]);
  troupe_wasm_instance_free(bs[1]);
  troupe_wasm_instance_free(as[0]);
  troupe_wasm_instance_free(bs[2]);
  /* "A" resolves to the last definition: as[3] in both linkers, so every bs[i] wrote
   * into as[3]'s table; it outlives all the writers */
  troupe_wasm_instance_free(as[1]);
  troupe_wasm_linker_free(l1);
  assert_int_equal(call_i32(as[3], "call", 0), 42);
  assert_int_equal(call_i32(as[3], "call", 1), 42);
  troupe_wasm_instance_free(as[3]);
  troupe_wasm_module_free(ma);
  troupe_wasm_module_free(mb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_funcref_in_exporter_table),
      cmocka_unit_test(test_funcref_in_host_table),
      cmocka_unit_test(test_funcref_in_host_global),
      cmocka_unit_test(test_failed_instance_in_table),
      cmocka_unit_test(test_linker_freed_first),
      cmocka_unit_test(test_group_merges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
