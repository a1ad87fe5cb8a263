/*
 * tests/engine/test_segments.c: an active data or element segment that does not fit
 * fails instantiation with a trap that says what failed -- instantiation, which segment,
 * its offset and length, the size of the memory or table -- since no function ran to
 * give a location (func_index is UINT32_MAX). The message begins with the trap kind's
 * own text, which the spec tests match, and err carries the same message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "troupe/wasm.h"

/*
 * (module
 *   (memory 1)
 *   (data (i32.const 0) "ok")
 *   (data (i32.const 65534) "abcd"))
 */
static const uint8_t data_oob_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00,
    0x01, 0x0b, 0x13, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x6f, 0x6b, 0x00,
    0x41, 0xfe, 0xff, 0x03, 0x0b, 0x04, 0x61, 0x62, 0x63, 0x64};

/*
 * (module
 *   (table 2 funcref)
 *   (func $f)
 *   (elem (i32.const 1) $f $f))
 */
static const uint8_t elem_oob_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x02,
    0x09, 0x08, 0x01, 0x00, 0x41, 0x01, 0x0b, 0x02, 0x00, 0x00, 0x0a, 0x04,
    0x01, 0x02, 0x00, 0x0b};

/*
 * (module
 *   (import "env" "at" (global i32))
 *   (memory 1)
 *   (data (global.get 0) "x"))
 */
static const uint8_t data_at_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0b, 0x01, 0x03,
    0x65, 0x6e, 0x76, 0x02, 0x61, 0x74, 0x03, 0x7f, 0x00, 0x05, 0x03, 0x01,
    0x00, 0x01, 0x0b, 0x07, 0x01, 0x00, 0x23, 0x00, 0x0b, 0x01, 0x78};

/* Instantiating bytes (with l) fails with a trap of `kind` and exactly `message`, which
 * err repeats; no function ran. */
static void instantiate_fails(const uint8_t *bytes, size_t len, const troupe_wasm_linker *l,
                              troupe_wasm_trap_kind kind, const char *message) {
  troupe_wasm_module *m;
  assert_int_equal(troupe_wasm_module_new(bytes, len, &m, NULL), TROUPE_OK);
  troupe_wasm_instance *inst = NULL;
  troupe_wasm_trap trap;
  troupe_err err;
  troupe_err_clear(&err);
  memset(&trap, 0, sizeof trap);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, &trap, &err),
                   TROUPE_E_UNINSTANTIABLE);
  assert_int_equal(trap.kind, kind);
  assert_int_equal(trap.func_index, UINT32_MAX);
  assert_string_equal(trap.message, message);
  assert_string_equal(troupe_err_message(&err), message);
  troupe_wasm_module_free(m);
}

static void test_data_segment_out_of_bounds(void **state) {
  (void)state;
  instantiate_fails(data_oob_wasm, sizeof data_oob_wasm, NULL, TROUPE_WASM_TRAP_MEMORY_OOB,
                    "out of bounds memory access: data segment 1 (offset 65534, length 4) "
                    "does not fit in memory 0 (65536 bytes) at instantiation");
}

static void test_element_segment_out_of_bounds(void **state) {
  (void)state;
  instantiate_fails(elem_oob_wasm, sizeof elem_oob_wasm, NULL, TROUPE_WASM_TRAP_TABLE_OOB,
                    "out of bounds table access: element segment 0 (offset 1, length 2) "
                    "does not fit in table 0 (2 elements) at instantiation");
}

/* The offset comes from an imported global, so only instantiation knows it; an i32
 * offset is unsigned (-1 is 4294967295, not a negative number). */
static void test_offset_from_a_global(void **state) {
  (void)state;
  static const struct {
    int32_t at;
    const char *message;
  } cases[] = {
      {65536, "out of bounds memory access: data segment 0 (offset 65536, length 1) does "
              "not fit in memory 0 (65536 bytes) at instantiation"},
      {-1, "out of bounds memory access: data segment 0 (offset 4294967295, length 1) does "
           "not fit in memory 0 (65536 bytes) at instantiation"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    troupe_wasm_linker *l = troupe_wasm_linker_new();
    assert_non_null(l);
    assert_int_equal(troupe_wasm_linker_define_global(l, "env", "at",
                                                      TROUPE_WASM_VAL_I32(cases[i].at), false,
                                                      NULL), TROUPE_OK);
    instantiate_fails(data_at_wasm, sizeof data_at_wasm, l, TROUPE_WASM_TRAP_MEMORY_OOB,
                      cases[i].message);
    troupe_wasm_linker_free(l);
  }
  /* and the last byte fits */
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_linker_define_global(l, "env", "at", TROUPE_WASM_VAL_I32(65535),
                                                    false, NULL), TROUPE_OK);
  troupe_wasm_module *m;
  assert_int_equal(troupe_wasm_module_new(data_at_wasm, sizeof data_at_wasm, &m, NULL), 0);
  troupe_wasm_instance *inst;
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, NULL), TROUPE_OK);
  char x = 0;
  assert_int_equal(troupe_wasm_memory_read(inst, 65535, &x, 1), TROUPE_OK);
  assert_int_equal(x, 'x');
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(m);
  troupe_wasm_linker_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_segment_out_of_bounds),
      cmocka_unit_test(test_element_segment_out_of_bounds),
      cmocka_unit_test(test_offset_from_a_global),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
