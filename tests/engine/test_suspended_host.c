/*
 * tests/engine/test_suspended_host.c: troupe_wasm_suspended_host tells the embedder
 * which host function a suspended instance waits on -- its module and name (with their
 * lengths) and its type -- so an embedder serving many host functions knows what to
 * supply on resume. It names the host function itself, also when the suspended call
 * reached it through another instance's export, and refuses when nothing waits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "engine/test_modules.h"
#include "troupe/wasm.h"

/*
 * (module
 *   (import "b" "waits" (func $w (result i32)))
 *   (func (export "run") (result i32) (i32.mul (call $w) (i32.const 2))))
 */
static const uint8_t relay_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
    0x7f, 0x02, 0x0b, 0x01, 0x01, 0x62, 0x05, 0x77, 0x61, 0x69, 0x74, 0x73, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x01, 0x0a,
    0x09, 0x01, 0x07, 0x00, 0x10, 0x00, 0x41, 0x02, 0x6c, 0x0b};

static int suspend_host(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                        troupe_wasm_val *results) {
  (void)user, (void)args, (void)results;
  return troupe_wasm_host_suspend(call);
}

static const uint8_t i32[] = {TROUPE_WASM_I32};

/* hostcall_wasm (test_modules.h) instantiated against env.h: i32 -> i32 and env.wait:
 * -> i32, both suspending. */
typedef struct fixture {
  troupe_wasm_module *m;
  troupe_wasm_linker *l;
  troupe_wasm_instance *inst;
} fixture;

static void fixture_open(fixture *f) {
  assert_int_equal(troupe_wasm_module_new(hostcall_wasm, sizeof hostcall_wasm, &f->m, NULL), 0);
  f->l = troupe_wasm_linker_new();
  assert_non_null(f->l);
  const troupe_wasm_functype h = {.nparams = 1, .nresults = 1, .params = i32, .results = i32};
  const troupe_wasm_functype wait = {.nresults = 1, .results = i32};
  assert_int_equal(troupe_wasm_linker_define_func(f->l, "env", "h", &h, suspend_host, NULL, NULL), 0);
  assert_int_equal(troupe_wasm_linker_define_func(f->l, "env", "wait", &wait, suspend_host, NULL,
                                                  NULL), 0);
  assert_int_equal(troupe_wasm_instantiate(f->m, f->l, NULL, &f->inst, NULL, NULL), 0);
}

static void fixture_close(fixture *f) {
  troupe_wasm_instance_free(f->inst);
  troupe_wasm_linker_free(f->l);
  troupe_wasm_module_free(f->m);
}

static void assert_waits_on(const troupe_wasm_instance *inst, const char *module,
                            const char *name, uint32_t nparams) {
  troupe_wasm_extern_desc d;
  assert_int_equal(troupe_wasm_suspended_host(inst, &d), TROUPE_OK);
  assert_int_equal(d.kind, TROUPE_WASM_EXTERN_FUNC);
  assert_int_equal(d.module_len, strlen(module));
  assert_memory_equal(d.module, module, d.module_len);
  assert_int_equal(d.module[d.module_len], '\0');
  assert_int_equal(d.name_len, strlen(name));
  assert_memory_equal(d.name, name, d.name_len);
  assert_int_equal(d.name[d.name_len], '\0');
  assert_int_equal(d.func.nparams, nparams);
  assert_int_equal(d.func.nresults, 1);
  assert_int_equal(d.func.results[0], TROUPE_WASM_I32);
  /* the type alone agrees */
  const troupe_wasm_functype *t = troupe_wasm_suspended_host_type(inst);
  assert_non_null(t);
  assert_int_equal(t->nparams, nparams);
}

static void test_names_the_waiting_function(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f);
  troupe_wasm_val r, hr = TROUPE_WASM_VAL_I32(41);
  assert_int_equal(troupe_wasm_call(f.inst, "waits", NULL, 0, &r, 1, NULL, NULL, NULL),
                   TROUPE_E_SUSPENDED);
  assert_waits_on(f.inst, "env", "wait", 0);
  assert_int_equal(troupe_wasm_resume(f.inst, &hr, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  assert_int_equal(r.of.i32, 42);

  troupe_wasm_val a = TROUPE_WASM_VAL_I32(7);
  assert_int_equal(troupe_wasm_call(f.inst, "inc", &a, 1, &r, 1, NULL, NULL, NULL),
                   TROUPE_E_SUSPENDED);
  assert_waits_on(f.inst, "env", "h", 1);
  assert_int_equal(troupe_wasm_resume(f.inst, &hr, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  fixture_close(&f);
}

/* run (relay_wasm) calls b.waits, an export of the hostcall instance, which calls the
 * host function env.wait: the suspension is the caller's, the function named is the host
 * function (not the import "b" "waits" the caller went through). */
static void test_through_another_instance(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f);
  troupe_wasm_linker *l2 = troupe_wasm_linker_new();
  assert_non_null(l2);
  assert_int_equal(troupe_wasm_linker_define_instance(l2, "b", f.inst, NULL), 0);
  troupe_wasm_module *m2;
  assert_int_equal(troupe_wasm_module_new(relay_wasm, sizeof relay_wasm, &m2, NULL), 0);
  troupe_wasm_instance *relay;
  assert_int_equal(troupe_wasm_instantiate(m2, l2, NULL, &relay, NULL, NULL), 0);
  troupe_wasm_val r, hr = TROUPE_WASM_VAL_I32(5);
  assert_int_equal(troupe_wasm_call(relay, "run", NULL, 0, &r, 1, NULL, NULL, NULL),
                   TROUPE_E_SUSPENDED);
  assert_waits_on(relay, "env", "wait", 0);
  troupe_wasm_extern_desc d;
  assert_int_equal(troupe_wasm_suspended_host(f.inst, &d), TROUPE_E_STATE); /* not its call */
  assert_int_equal(troupe_wasm_resume(relay, &hr, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  assert_int_equal(r.of.i32, 12); /* (5 + 1) * 2 */
  troupe_wasm_instance_free(relay);
  troupe_wasm_module_free(m2);
  troupe_wasm_linker_free(l2);
  fixture_close(&f);
}

static void test_nothing_waits(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f);
  troupe_wasm_extern_desc d;
  memset(&d, 0xab, sizeof d);
  assert_int_equal(troupe_wasm_suspended_host(f.inst, &d), TROUPE_E_STATE); /* idle */
  assert_null(d.module);
  assert_null(d.name);
  assert_null(troupe_wasm_suspended_host_type(f.inst));
  assert_int_equal(troupe_wasm_suspended_host(NULL, &d), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_suspended_host(f.inst, NULL), TROUPE_E_INVAL);

  /* after a resumed suspension, nothing waits any more */
  troupe_wasm_val r, hr = TROUPE_WASM_VAL_I32(1);
  assert_int_equal(troupe_wasm_call(f.inst, "waits", NULL, 0, &r, 1, NULL, NULL, NULL),
                   TROUPE_E_SUSPENDED);
  assert_int_equal(troupe_wasm_suspended_host(f.inst, &d), TROUPE_OK);
  assert_int_equal(troupe_wasm_resume(f.inst, &hr, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  assert_int_equal(troupe_wasm_suspended_host(f.inst, &d), TROUPE_E_STATE);
  /* nor after an abandoned one */
  assert_int_equal(troupe_wasm_call(f.inst, "waits", NULL, 0, &r, 1, NULL, NULL, NULL),
                   TROUPE_E_SUSPENDED);
  troupe_wasm_abort(f.inst);
  assert_int_equal(troupe_wasm_suspended_host(f.inst, &d), TROUPE_E_STATE);
  fixture_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_the_waiting_function),
      cmocka_unit_test(test_through_another_instance),
      cmocka_unit_test(test_nothing_waits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
