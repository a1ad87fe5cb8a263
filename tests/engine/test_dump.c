/*
 * tests/engine/test_dump.c: troupe_wasm_module_dump, the public view of compiled code --
 * its format for an imported and a defined function (names escaped, every export
 * named), one function alone, and its errors. Which ops fusions emit is fixed by the
 * golden tests in tests/engine/dump/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "troupe/wasm.h"

/*
 * (module
 *   (import "env" "h" (func $h (param i32)))
 *   (func (export "a\00\"b") (export "second") (param i32)
 *     (call $h (local.get 0))))
 */
static const uint8_t names_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f,
    0x00, 0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x68, 0x00, 0x00, 0x03, 0x02,
    0x01, 0x00, 0x07, 0x11, 0x02, 0x04, 0x61, 0x00, 0x22, 0x62, 0x00, 0x01, 0x06, 0x73,
    0x65, 0x63, 0x6f, 0x6e, 0x64, 0x00, 0x01, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00,
    0x10, 0x00, 0x0b};

static const char import_text[] = "func 0 \"env\" \"h\": imported\n";
static const char func_text[] =
    "func 1 \"a\\x00\\x22b\" \"second\": params 1, locals 0, results 0, frame 3, "
    "entry fuel 3, 7 words\n"
    "     0  copy                 s1 s0\n"
    "     3  call                 func 0 s1\n"
    "     6  ret\n";

static int setup(void **state) {
  troupe_wasm_module *m = NULL;
  assert_int_equal(troupe_wasm_module_new(names_wasm, sizeof names_wasm, &m, NULL), 0);
  *state = m;
  return 0;
}

static int teardown(void **state) {
  troupe_wasm_module_free(*state);
  return 0;
}

/* The dump of func_index into a string (the caller frees it). */
static char *dump(const troupe_wasm_module *m, uint32_t func_index, int *rc) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  *rc = troupe_wasm_module_dump(m, func_index, f, NULL);
  fclose(f);
  return buf;
}

static void every_function_with_its_names(void **state) {
  int rc;
  char *text = dump(*state, TROUPE_WASM_DUMP_ALL, &rc);
  assert_int_equal(rc, TROUPE_OK);
  char want[512];
  snprintf(want, sizeof want, "%s\n%s", import_text, func_text);
  assert_string_equal(text, want);
  free(text);
}

static void one_function(void **state) {
  int rc;
  char *text = dump(*state, 1, &rc);
  assert_int_equal(rc, TROUPE_OK);
  assert_string_equal(text, func_text);
  free(text);
  text = dump(*state, 0, &rc);
  assert_int_equal(rc, TROUPE_OK);
  assert_string_equal(text, import_text); /* an import has no code */
  free(text);
}

static void errors(void **state) {
  troupe_err err;
  assert_int_equal(troupe_wasm_module_dump(NULL, 0, stdout, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_module_dump(*state, 0, NULL, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_module_dump(*state, 2, stdout, &err), TROUPE_E_RANGE);
  assert_string_equal(troupe_err_message(&err), "dump: no function 2 (the module has 2)");
  FILE *ro = fopen("/dev/null", "r"); /* every write fails */
  assert_non_null(ro);
  assert_int_equal(troupe_wasm_module_dump(*state, 1, ro, &err), TROUPE_E_IO);
  fclose(ro);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(every_function_with_its_names, setup, teardown),
      cmocka_unit_test_setup_teardown(one_function, setup, teardown),
      cmocka_unit_test_setup_teardown(errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
