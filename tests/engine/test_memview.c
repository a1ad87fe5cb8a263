/*
 * tests/engine/test_memview.c: a host function's view of the calling instance's linear
 * memory (troupe_wasm_hostcall_memory, troupe_wasm_hostcall_memory_range): the view is
 * the memory itself -- the data segment is there, the host's writes are what the guest
 * loads next, a memory.grow before the call shows in its size -- each instance sees its
 * own memory, ranges are bounds-checked without overflow, and a missing memory, a
 * memory index other than 0 or a missing argument is a status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "troupe/wasm.h"

/*
 * (module
 *   (import "env" "peek" (func $peek (param i32 i32) (result i32)))
 *   (memory (export "mem") 1)
 *   (data (i32.const 16) "hello, host")
 *   (func (export "peek") (param i32 i32) (result i32)
 *     (call $peek (local.get 0) (local.get 1)))
 *   (func (export "grow_peek") (param i32 i32) (result i32)
 *     (drop (memory.grow (i32.const 1)))
 *     (call $peek (local.get 0) (local.get 1)))
 *   (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))
 */
static const uint8_t view_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60, 0x02, 0x7f,
    0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e,
    0x76, 0x04, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x00, 0x03, 0x04, 0x03, 0x00, 0x00, 0x01,
    0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x22, 0x04, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
    0x04, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x01, 0x09, 0x67, 0x72, 0x6f, 0x77, 0x5f, 0x70,
    0x65, 0x65, 0x6b, 0x00, 0x02, 0x05, 0x6c, 0x6f, 0x61, 0x64, 0x38, 0x00, 0x03, 0x0a,
    0x20, 0x03, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x0b, 0x0d, 0x00, 0x41,
    0x01, 0x40, 0x00, 0x1a, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x0b, 0x07, 0x00, 0x20,
    0x00, 0x2d, 0x00, 0x00, 0x0b, 0x0b, 0x11, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x0b, 0x68,
    0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x68, 0x6f, 0x73, 0x74};

/*
 * (module
 *   (import "env" "peek" (func $peek (param i32 i32) (result i32)))
 *   (func (export "peek") (param i32 i32) (result i32)
 *     (call $peek (local.get 0) (local.get 1))))
 */
static const uint8_t nomem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f,
    0x7f, 0x01, 0x7f, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x70, 0x65, 0x65,
    0x6b, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 0x70, 0x65, 0x65,
    0x6b, 0x00, 0x01, 0x0a, 0x0a, 0x01, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00,
    0x0b};

/* What the host function "env.peek(offset, len)" saw, and what it does: with `upcase`
 * it upper-cases the range in place; it returns the range's first byte, or -1 when the
 * range was refused. */
typedef struct probe {
  bool upcase;
  int rc_view, rc_range;
  uint8_t *data, *range;
  uint64_t size;
  char copy[32];
  /* edge cases of the range helper, checked during the call */
  int rc_edges[6];
  uint8_t *edge_end;
} probe;

static int peek(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                troupe_wasm_val *results) {
  probe *p = user;
  uint64_t off = (uint32_t)args[0].of.i32, len = (uint32_t)args[1].of.i32;
  p->rc_view = troupe_wasm_hostcall_memory(call, 0, &p->data, &p->size);
  p->rc_range = troupe_wasm_hostcall_memory_range(call, 0, off, len, &p->range);
  uint8_t *ignored = NULL;
  uint64_t ignored_size = 0;
  p->rc_edges[0] = troupe_wasm_hostcall_memory_range(call, 0, p->size, 0, &p->edge_end);
  p->rc_edges[1] = troupe_wasm_hostcall_memory_range(call, 0, p->size + 1, 0, &ignored);
  p->rc_edges[2] = troupe_wasm_hostcall_memory_range(call, 0, UINT64_MAX - 2, 5, &ignored);
  p->rc_edges[3] = troupe_wasm_hostcall_memory_range(call, 0, 1, UINT64_MAX, &ignored);
  p->rc_edges[4] = troupe_wasm_hostcall_memory(call, 1, &ignored, &ignored_size);
  p->rc_edges[5] = troupe_wasm_hostcall_memory_range(call, 0, 0, 1, NULL);
  if (p->rc_range != TROUPE_OK || len == 0) {
    results[0] = TROUPE_WASM_VAL_I32(-1);
    return TROUPE_OK;
  }
  size_t n = len < sizeof p->copy - 1 ? (size_t)len : sizeof p->copy - 1;
  memcpy(p->copy, p->range, n);
  p->copy[n] = '\0';
  if (p->upcase)
    for (uint64_t i = 0; i < len; i++)
      p->range[i] = (uint8_t)toupper(p->range[i]);
  results[0] = TROUPE_WASM_VAL_I32(p->range[0]);
  return TROUPE_OK;
}

typedef struct fixture {
  troupe_wasm_module *m;
  troupe_wasm_linker *l;
  probe p;
} fixture;

static void setup_for(fixture *f, const uint8_t *bytes, size_t len) {
  memset(f, 0, sizeof *f);
  troupe_err e = {0};
  if (troupe_wasm_module_new(bytes, len, &f->m, &e))
    fail_msg("load failed: %s", e.msg);
  f->l = troupe_wasm_linker_new();
  static const uint8_t ii[] = {TROUPE_WASM_I32, TROUPE_WASM_I32}, i[] = {TROUPE_WASM_I32};
  troupe_wasm_functype ft = {.nparams = 2, .params = ii, .nresults = 1, .results = i};
  assert_int_equal(troupe_wasm_linker_define_func(f->l, "env", "peek", &ft, peek, &f->p, NULL),
                   TROUPE_OK);
}

static void teardown(fixture *f) {
  troupe_wasm_linker_free(f->l);
  troupe_wasm_module_free(f->m);
}

static troupe_wasm_instance *instance(fixture *f) {
  troupe_wasm_instance *inst = NULL;
  troupe_err e = {0};
  if (troupe_wasm_instantiate(f->m, f->l, NULL, &inst, NULL, &e))
    fail_msg("instantiate failed: %s", e.msg);
  return inst;
}

static int32_t call2(troupe_wasm_instance *inst, const char *name, int32_t a, int32_t b) {
  troupe_wasm_val args[2] = {TROUPE_WASM_VAL_I32(a), TROUPE_WASM_VAL_I32(b)}, r;
  troupe_err e = {0};
  if (troupe_wasm_call(inst, name, args, 2, &r, 1, NULL, NULL, &e))
    fail_msg("call %s failed: %s", name, e.msg);
  return r.of.i32;
}

static int32_t load8(troupe_wasm_instance *inst, int32_t addr) {
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(addr), r;
  assert_int_equal(troupe_wasm_call(inst, "load8", &a, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  return r.of.i32;
}

static void test_view_is_the_memory(void **state) {
  (void)state;
  fixture f;
  setup_for(&f, view_wasm, sizeof view_wasm);
  troupe_wasm_instance *inst = instance(&f);
  f.p.upcase = true;
  assert_int_equal(call2(inst, "peek", 16, 11), 'H');
  assert_int_equal(f.p.rc_view, TROUPE_OK);
  assert_int_equal(f.p.size, 65536);
  assert_int_equal(f.p.size, troupe_wasm_memory_size(inst));
  assert_int_equal(f.p.rc_range, TROUPE_OK);
  assert_ptr_equal(f.p.range, f.p.data + 16);
  assert_string_equal(f.p.copy, "hello, host"); /* the data segment, read in place */
  /* the host's writes are the guest's memory: no copy back */
  assert_int_equal(load8(inst, 16), 'H');
  char buf[12] = {0};
  assert_int_equal(troupe_wasm_memory_read(inst, 16, buf, 11), TROUPE_OK);
  assert_string_equal(buf, "HELLO, HOST");
  troupe_wasm_instance_free(inst);
  teardown(&f);
}

static void test_ranges_are_checked(void **state) {
  (void)state;
  fixture f;
  setup_for(&f, view_wasm, sizeof view_wasm);
  troupe_wasm_instance *inst = instance(&f);
  assert_int_equal(call2(inst, "peek", 65530, 6), 0); /* the last six bytes */
  assert_int_equal(f.p.rc_range, TROUPE_OK);
  assert_ptr_equal(f.p.range, f.p.data + 65530);
  assert_int_equal(call2(inst, "peek", 65530, 7), -1); /* one past the end */
  assert_int_equal(f.p.rc_range, TROUPE_E_RANGE);
  assert_null(f.p.range);
  assert_int_equal(call2(inst, "peek", -1, 1), -1); /* offset 4 GiB - 1 */
  assert_int_equal(f.p.rc_range, TROUPE_E_RANGE);
  /* checked inside the call: an empty range at the end is in bounds, past it is not;
   * offset + len overflowing 64 bits is out of bounds; memory 1 does not exist; no out */
  assert_int_equal(f.p.rc_edges[0], TROUPE_OK);
  assert_ptr_equal(f.p.edge_end, f.p.data + 65536);
  assert_int_equal(f.p.rc_edges[1], TROUPE_E_RANGE);
  assert_int_equal(f.p.rc_edges[2], TROUPE_E_RANGE);
  assert_int_equal(f.p.rc_edges[3], TROUPE_E_RANGE);
  assert_int_equal(f.p.rc_edges[4], TROUPE_E_NOTFOUND);
  assert_int_equal(f.p.rc_edges[5], TROUPE_E_INVAL);
  troupe_wasm_instance_free(inst);
  teardown(&f);
}

static void test_view_follows_growth(void **state) {
  (void)state;
  fixture f;
  setup_for(&f, view_wasm, sizeof view_wasm);
  troupe_wasm_instance *inst = instance(&f);
  /* the guest grows its memory, then calls: the view has the new size, and the range
   * that was past the end is inside now */
  assert_int_equal(call2(inst, "grow_peek", 65536, 4), 0);
  assert_int_equal(f.p.rc_view, TROUPE_OK);
  assert_int_equal(f.p.size, 2 * 65536);
  assert_int_equal(f.p.rc_range, TROUPE_OK);
  troupe_wasm_instance_free(inst);
  teardown(&f);
}

static void test_each_instance_sees_its_own(void **state) {
  (void)state;
  fixture f;
  setup_for(&f, view_wasm, sizeof view_wasm);
  troupe_wasm_instance *a = instance(&f), *b = instance(&f);
  assert_int_equal(troupe_wasm_memory_write(b, 16, "jelly", 5), TROUPE_OK);
  assert_int_equal(call2(a, "peek", 16, 5), 'h');
  assert_string_equal(f.p.copy, "hello");
  uint8_t *data_a = f.p.data;
  assert_int_equal(call2(b, "peek", 16, 5), 'j');
  assert_string_equal(f.p.copy, "jelly");
  assert_ptr_not_equal(f.p.data, data_a);
  troupe_wasm_instance_free(a);
  troupe_wasm_instance_free(b);
  teardown(&f);
}

static void test_no_memory(void **state) {
  (void)state;
  fixture f;
  setup_for(&f, nomem_wasm, sizeof nomem_wasm);
  troupe_wasm_instance *inst = instance(&f);
  f.p.size = 99;
  assert_int_equal(call2(inst, "peek", 0, 0), -1);
  assert_int_equal(f.p.rc_view, TROUPE_E_NOTFOUND);
  assert_null(f.p.data);
  assert_int_equal(f.p.size, 0);
  assert_int_equal(f.p.rc_range, TROUPE_E_NOTFOUND);
  troupe_wasm_instance_free(inst);
  teardown(&f);
  uint8_t *d = NULL;
  uint64_t n = 0;
  assert_int_equal(troupe_wasm_hostcall_memory(NULL, 0, &d, &n), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_hostcall_memory_range(NULL, 0, 0, 0, &d), TROUPE_E_INVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_view_is_the_memory),
      cmocka_unit_test(test_ranges_are_checked),
      cmocka_unit_test(test_view_follows_growth),
      cmocka_unit_test(test_each_instance_sees_its_own),
      cmocka_unit_test(test_no_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
