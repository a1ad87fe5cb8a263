/*
 * tests/engine/test_api.c: troupe/wasm.h under awkward and hostile use: names holding NUL
 * bytes (lookup by length, calls and globals by export index, import resolution by exact
 * name), the start function's fuel bound, and wrong arguments to every entry point -- each
 * must come back as a clear status, never a crash. The modules are given as bytes with
 * the text they were assembled from (wat2wasm).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "troupe/wasm.h"
#include "engine/test_modules.h"

/*
 * (module
 *   (import "env" "f\00x" (func $f (result i32)))
 *   (func (export "a") (result i32) i32.const 1)
 *   (func (export "a\00b") (result i32) i32.const 7)
 *   (func (export "call_f") (result i32) call $f)
 *   (global (export "g\00") (mut i32) (i32.const 5)))
 */
static const uint8_t names_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
    0x7f, 0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x66, 0x00, 0x78, 0x00, 0x00,
    0x03, 0x04, 0x03, 0x00, 0x00, 0x00, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x05, 0x0b,
    0x07, 0x19, 0x04, 0x01, 0x61, 0x00, 0x01, 0x03, 0x61, 0x00, 0x62, 0x00, 0x02, 0x06,
    0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x66, 0x00, 0x03, 0x02, 0x67, 0x00, 0x03, 0x00, 0x0a,
    0x10, 0x03, 0x04, 0x00, 0x41, 0x01, 0x0b, 0x04, 0x00, 0x41, 0x07, 0x0b, 0x04, 0x00,
    0x10, 0x00, 0x0b};

/*
 * (module
 *   (func (export "f\00x") (result i32) i32.const 99))
 */
static const uint8_t nulexp_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
    0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x66, 0x00, 0x78, 0x00, 0x00,
    0x0a, 0x07, 0x01, 0x05, 0x00, 0x41, 0xe3, 0x00, 0x0b};

/*
 * (module
 *   (global $n (mut i32) (i32.const 0))
 *   (func $spin (loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l)))
 *   (start $spin))
 */
static const uint8_t spin_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x08, 0x01,
    0x00, 0x0a, 0x10, 0x01, 0x0e, 0x00, 0x03, 0x40, 0x23, 0x00, 0x41, 0x01, 0x6a, 0x24,
    0x00, 0x0c, 0x00, 0x0b, 0x0b};

/*
 * (module
 *   (global $n (export "n") (mut i32) (i32.const 0))
 *   (func $count (local $i i32)
 *     (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *       (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))
 *     (global.set $n (local.get $i)))
 *   (start $count))
 */
static const uint8_t short_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x05,
    0x01, 0x01, 0x6e, 0x03, 0x00, 0x08, 0x01, 0x00, 0x0a, 0x1c, 0x01, 0x1a, 0x01, 0x01,
    0x7f, 0x03, 0x40, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x20, 0x00, 0x41, 0xe4,
    0x00, 0x49, 0x0d, 0x00, 0x0b, 0x20, 0x00, 0x24, 0x00, 0x0b};

static troupe_wasm_module *load(const uint8_t *bytes, size_t len) {
  troupe_wasm_module *m = NULL;
  troupe_err e = {0};
  if (troupe_wasm_module_new(bytes, len, &m, &e))
    fail_msg("load failed: %s", e.msg);
  return m;
}
#define LOAD(name) load(name##_wasm, sizeof name##_wasm)

static int32_t call0_i32(troupe_wasm_instance *inst, uint32_t index) {
  troupe_wasm_val r = {0};
  troupe_err e = {0};
  if (troupe_wasm_call_at(inst, index, NULL, 0, &r, 1, NULL, NULL, &e))
    fail_msg("call %u failed: %s", index, e.msg);
  return r.of.i32;
}

/* ---- names with NUL bytes ------------------------------------------------------------ */

static void test_nul_names(void **state) {
  (void)state;
  troupe_wasm_module *m = LOAD(names);
  troupe_wasm_extern_desc d;
  assert_int_equal(troupe_wasm_module_export(m, 1, &d), TROUPE_OK);
  assert_int_equal(d.name_len, 3);
  assert_memory_equal(d.name, "a\0b", 3);
  assert_int_equal(troupe_wasm_module_import(m, 0, &d), TROUPE_OK);
  assert_int_equal(d.module_len, 3);
  assert_int_equal(d.name_len, 3);
  assert_memory_equal(d.name, "f\0x", 3);

  /* "env"."f\0x" is not "env"."f": linking by the C-string prefix would be wrong */
  static const uint8_t i32[] = {TROUPE_WASM_I32};
  troupe_wasm_functype ft = {.nresults = 1, .results = i32};
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "f", &ft, NULL, NULL, NULL),
                   TROUPE_E_INVAL); /* no function */
  troupe_wasm_module *mx = LOAD(nulexp);
  troupe_wasm_instance *x = NULL, *inst = NULL;
  assert_int_equal(troupe_wasm_instantiate(mx, NULL, NULL, &x, NULL, NULL), TROUPE_OK);
  troupe_err e = {0};
  assert_int_equal(troupe_wasm_linker_define_instance(l, "en", x, NULL), TROUPE_OK);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, &e), TROUPE_E_UNLINKABLE);
  assert_null(inst);
  /* an instance's export "f\0x" registered as "env" is exactly the import */
  assert_int_equal(troupe_wasm_linker_define_instance(l, "env", x, NULL), TROUPE_OK);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, &e), TROUPE_OK);

  uint32_t a = 0, anb = 0, g = 0, callf = 0, none = 0;
  assert_int_equal(troupe_wasm_export_find(m, "a", 1, &a), TROUPE_OK);
  assert_int_equal(troupe_wasm_export_find(m, "a\0b", 3, &anb), TROUPE_OK);
  assert_int_equal(troupe_wasm_export_find(m, "call_f", 6, &callf), TROUPE_OK);
  assert_int_equal(troupe_wasm_export_find(m, "g\0", 2, &g), TROUPE_OK);
  assert_int_equal(troupe_wasm_export_find(m, "a\0", 2, &none), TROUPE_E_NOTFOUND);
  assert_int_equal(none, UINT32_MAX);
  assert_int_equal(troupe_wasm_export_find(m, NULL, 1, &none), TROUPE_E_NOTFOUND);
  assert_int_equal(a, 0);
  assert_int_equal(anb, 1);
  assert_int_equal(call0_i32(inst, a), 1);
  assert_int_equal(call0_i32(inst, anb), 7);
  assert_int_equal(call0_i32(inst, callf), 99);
  const troupe_wasm_functype *t = troupe_wasm_export_functype_at(inst, anb);
  assert_non_null(t);
  assert_int_equal(t->nresults, 1);
  assert_null(troupe_wasm_export_functype_at(inst, g)); /* a global, not a function */
  assert_null(troupe_wasm_export_functype_at(inst, 99));
  /* the module's own name, NULs and all, with its real length */
  size_t len = 0;
  const char *name = troupe_wasm_export_name_at(m, anb, &len);
  assert_non_null(name);
  assert_int_equal(len, 3);
  assert_memory_equal(name, "a\0b", 4); /* NUL-terminated after the 3 bytes */
  assert_string_equal(troupe_wasm_export_name_at(m, callf, NULL), "call_f");
  assert_null(troupe_wasm_export_name_at(m, 99, &len));
  assert_null(troupe_wasm_export_name_at(NULL, 0, &len));

  troupe_wasm_val v;
  assert_int_equal(troupe_wasm_global_get_at(inst, g, &v), TROUPE_OK);
  assert_int_equal(v.of.i32, 5);
  assert_int_equal(troupe_wasm_global_set_at(inst, g, TROUPE_WASM_VAL_I32(6)), TROUPE_OK);
  assert_int_equal(troupe_wasm_global_get_at(inst, g, &v), TROUPE_OK);
  assert_int_equal(v.of.i32, 6);
  assert_int_equal(troupe_wasm_global_get(inst, "g", &v), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_global_get_at(inst, anb, &v), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_global_set_at(inst, 99, v), TROUPE_E_NOTFOUND);
  /* the C-string forms still work for ordinary names */
  assert_int_equal(troupe_wasm_call(inst, "a", NULL, 0, &v, 1, NULL, NULL, NULL), TROUPE_OK);
  assert_int_equal(v.of.i32, 1);

  troupe_wasm_instance_free(inst);
  troupe_wasm_instance_free(x);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
  troupe_wasm_module_free(mx);
}

/* ---- the start function's fuel -------------------------------------------------------- */

static void test_start_fuel(void **state) {
  (void)state;
  troupe_wasm_module *spin = LOAD(spin), *shortm = LOAD(short);
  troupe_wasm_limits lim = {.start_fuel = 10000};
  troupe_wasm_instance *inst = (troupe_wasm_instance *)&lim; /* must be reset */
  troupe_wasm_trap trap = {0};
  troupe_err e = {0};
  /* without the bound this never returns */
  assert_int_equal(troupe_wasm_instantiate(spin, NULL, &lim, &inst, &trap, &e),
                   TROUPE_E_UNINSTANTIABLE);
  assert_null(inst);
  assert_int_equal(trap.kind, TROUPE_WASM_TRAP_FUEL_EXHAUSTED);
  assert_non_null(strstr(e.msg, "fuel"));
  /* enough fuel: the start function completes (100 iterations) */
  assert_int_equal(troupe_wasm_instantiate(shortm, NULL, &lim, &inst, &trap, &e), TROUPE_OK);
  troupe_wasm_val v;
  assert_int_equal(troupe_wasm_global_get(inst, "n", &v), TROUPE_OK);
  assert_int_equal(v.of.i32, 100);
  troupe_wasm_instance_free(inst);
  /* too little for the same module */
  lim.start_fuel = 20;
  assert_int_equal(troupe_wasm_instantiate(shortm, NULL, &lim, &inst, &trap, NULL),
                   TROUPE_E_UNINSTANTIABLE);
  assert_int_equal(trap.kind, TROUPE_WASM_TRAP_FUEL_EXHAUSTED);
  /* 0 = unlimited, as before */
  lim.start_fuel = 0;
  assert_int_equal(troupe_wasm_instantiate(shortm, NULL, &lim, &inst, NULL, NULL), TROUPE_OK);
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(spin);
  troupe_wasm_module_free(shortm);
}

/* ---- hostile calls ---------------------------------------------------------------- */

typedef struct hostctx {
  bool reenter;      /* h calls back into its own instance */
  int reenter_rc;
} hostctx;

static int h_fn(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                troupe_wasm_val *results) {
  hostctx *c = user;
  if (c->reenter) {
    troupe_wasm_instance *self = troupe_wasm_hostcall_instance(call);
    troupe_wasm_val a = TROUPE_WASM_VAL_I32(1), r;
    c->reenter_rc = troupe_wasm_call(self, "inc", &a, 1, &r, 1, NULL, NULL, NULL);
    troupe_wasm_abort(self); /* ignored: the instance is running */
  }
  results[0] = TROUPE_WASM_VAL_I32(args[0].of.i32 + 1);
  return TROUPE_OK;
}

static int wait_fn(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                   troupe_wasm_val *results) {
  (void)user, (void)args, (void)results;
  return troupe_wasm_host_suspend(call);
}

static troupe_wasm_instance *hostcall_instance(troupe_wasm_module *m, troupe_wasm_linker **lp,
                                               hostctx *c) {
  static const uint8_t i32[] = {TROUPE_WASM_I32};
  troupe_wasm_functype hft = {.nparams = 1, .params = i32, .nresults = 1, .results = i32};
  troupe_wasm_functype wft = {.nresults = 1, .results = i32};
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "h", &hft, h_fn, c, NULL), 0);
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "wait", &wft, wait_fn, c, NULL), 0);
  troupe_wasm_instance *inst = NULL;
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, NULL), 0);
  *lp = l;
  return inst;
}

/* A module remembers what its imports resolved to in the first linker that linked them
 * (engine.h, import_memo): a second linker with other functions under the same names, or
 * the first one after a definition that shadows an entry, must link what they hold now. */
static int add_fn(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                  troupe_wasm_val *results) {
  (void)call;
  results[0] = TROUPE_WASM_VAL_I32(args[0].of.i32 + (int32_t)(intptr_t)user);
  return TROUPE_OK;
}

static int32_t inc_with(troupe_wasm_module *m, troupe_wasm_linker *l, int32_t x) {
  troupe_wasm_instance *inst = NULL;
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, NULL), TROUPE_OK);
  troupe_wasm_val arg = TROUPE_WASM_VAL_I32(x), res;
  assert_int_equal(troupe_wasm_call(inst, "inc", &arg, 1, &res, 1, NULL, NULL, NULL), TROUPE_OK);
  troupe_wasm_instance_free(inst);
  return res.of.i32;
}

static void test_import_memo(void **state) {
  (void)state;
  static const uint8_t i32[] = {TROUPE_WASM_I32};
  troupe_wasm_functype hft = {.nparams = 1, .params = i32, .nresults = 1, .results = i32};
  troupe_wasm_functype wft = {.nresults = 1, .results = i32};
  troupe_wasm_linker *a = troupe_wasm_linker_new(), *b = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_linker_define_func(a, "env", "h", &hft, add_fn, (void *)1, NULL), 0);
  assert_int_equal(troupe_wasm_linker_define_func(a, "env", "wait", &wft, add_fn, NULL, NULL), 0);
  assert_int_equal(troupe_wasm_linker_define_func(b, "env", "wait", &wft, add_fn, NULL, NULL), 0);
  assert_int_equal(troupe_wasm_linker_define_func(b, "env", "h", &hft, add_fn, (void *)10, NULL), 0);
  troupe_wasm_module *m = LOAD(hostcall);
  assert_int_equal(inc_with(m, a, 5), 6);   /* the memo is made: a's functions */
  assert_int_equal(inc_with(m, a, 5), 6);   /* and used */
  assert_int_equal(inc_with(m, b, 5), 15);  /* another linker: its own functions */
  assert_int_equal(troupe_wasm_linker_define_func(a, "env", "h", &hft, add_fn, (void *)100, NULL), 0);
  assert_int_equal(inc_with(m, a, 5), 105); /* the later definition, not the memo's */
  troupe_wasm_linker_free(a);
  troupe_wasm_linker *c = troupe_wasm_linker_new(); /* may reuse a's address */
  assert_int_equal(troupe_wasm_linker_define_func(c, "env", "h", &hft, add_fn, (void *)1000, NULL), 0);
  assert_int_equal(troupe_wasm_linker_define_func(c, "env", "wait", &wft, add_fn, NULL, NULL), 0);
  assert_int_equal(inc_with(m, c, 5), 1005);
  troupe_wasm_linker_free(b);
  troupe_wasm_linker_free(c);
  troupe_wasm_module_free(m);
}

static void test_hostile_calls(void **state) {
  (void)state;
  troupe_wasm_module *m = LOAD(hostcall);
  hostctx c = {0};
  troupe_wasm_linker *l;
  troupe_wasm_instance *inst = hostcall_instance(m, &l, &c);
  troupe_wasm_val a1 = TROUPE_WASM_VAL_I32(10), two[2] = {a1, a1}, r[2];
  troupe_wasm_val bad = TROUPE_WASM_VAL_I64(10);
  troupe_err e = {0};
  /* argument count, types, missing buffers */
  assert_int_equal(troupe_wasm_call(inst, "inc", NULL, 0, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "inc", two, 2, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "inc", &bad, 1, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "inc", NULL, 1, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "inc", &a1, 1, NULL, 1, NULL, NULL, &e),
                   TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "inc", &a1, 1, r, 0, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "nope", &a1, 1, r, 1, NULL, NULL, &e),
                   TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_call(inst, NULL, &a1, 1, r, 1, NULL, NULL, &e), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_call(inst, "mem", NULL, 0, NULL, 0, NULL, NULL, &e),
                   TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_call(NULL, "inc", &a1, 1, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call_at(inst, 1000, &a1, 1, r, 1, NULL, NULL, &e),
                   TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_call_at(inst, 0 /* mem */, NULL, 0, NULL, 0, NULL, NULL, &e),
                   TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_call_at(NULL, 0, NULL, 0, NULL, 0, NULL, NULL, &e),
                   TROUPE_E_INVAL);
  /* still usable after all that; two results' room is fine */
  assert_int_equal(troupe_wasm_call(inst, "inc", &a1, 1, r, 2, NULL, NULL, &e), TROUPE_OK);
  assert_int_equal(r[0].of.i32, 11);

  /* resume with nothing suspended */
  assert_int_equal(troupe_wasm_resume(inst, NULL, 0, r, 1, NULL, NULL, &e), TROUPE_E_STATE);
  assert_int_equal(troupe_wasm_resume(NULL, NULL, 0, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  troupe_wasm_abort(inst); /* nothing to abort: harmless */
  troupe_wasm_abort(NULL);

  /* suspended in a host call: other calls are refused, resume is checked */
  assert_int_equal(troupe_wasm_call(inst, "waits", NULL, 0, r, 1, NULL, NULL, &e),
                   TROUPE_E_SUSPENDED);
  assert_int_equal(troupe_wasm_instance_state(inst), TROUPE_WASM_SUSPENDED_HOST);
  assert_int_equal(troupe_wasm_call(inst, "inc", &a1, 1, r, 1, NULL, NULL, &e), TROUPE_E_STATE);
  assert_int_equal(troupe_wasm_resume(inst, NULL, 0, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_resume(inst, &bad, 1, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_resume(inst, NULL, 1, r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_resume(inst, &a1, 1, NULL, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_resume(inst, &a1, 1, r, 0, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_instance_state(inst), TROUPE_WASM_SUSPENDED_HOST);
  assert_int_equal(troupe_wasm_resume(inst, &a1, 1, r, 1, NULL, NULL, &e), TROUPE_OK);
  assert_int_equal(r[0].of.i32, 11);

  /* abort abandons a suspension; resuming afterwards is refused */
  assert_int_equal(troupe_wasm_call(inst, "waits", NULL, 0, r, 1, NULL, NULL, &e),
                   TROUPE_E_SUSPENDED);
  troupe_wasm_abort(inst);
  assert_int_equal(troupe_wasm_instance_state(inst), TROUPE_WASM_IDLE);
  assert_int_equal(troupe_wasm_resume(inst, &a1, 1, r, 1, NULL, NULL, &e), TROUPE_E_STATE);

  /* a host function calling back into its own running instance is refused */
  c.reenter = true;
  assert_int_equal(troupe_wasm_call(inst, "inc", &a1, 1, r, 1, NULL, NULL, &e), TROUPE_OK);
  assert_int_equal(c.reenter_rc, TROUPE_E_STATE);
  assert_int_equal(r[0].of.i32, 11);

  troupe_wasm_instance_free(inst);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

static void test_hostile_globals(void **state) {
  (void)state;
  troupe_wasm_module *m = LOAD(hostcall);
  hostctx c = {0};
  troupe_wasm_linker *l;
  troupe_wasm_instance *inst = hostcall_instance(m, &l, &c);
  troupe_wasm_val v;
  assert_int_equal(troupe_wasm_global_set(inst, "c", TROUPE_WASM_VAL_I32(1)), TROUPE_E_STATE);
  assert_int_equal(troupe_wasm_global_set(inst, "m", TROUPE_WASM_VAL_I32(1)), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_global_set(inst, "inc", TROUPE_WASM_VAL_I32(1)),
                   TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_global_set(inst, NULL, TROUPE_WASM_VAL_I32(1)), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_global_set(NULL, "m", TROUPE_WASM_VAL_I64(1)), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_global_get(inst, "m", NULL), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_global_get(NULL, "m", &v), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_global_get(inst, "mem", &v), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_global_get(inst, "m", &v), TROUPE_OK);
  assert_int_equal(v.of.i64, 4); /* the failed sets changed nothing */
  assert_int_equal(troupe_wasm_global_set(inst, "m", TROUPE_WASM_VAL_I64(-9)), TROUPE_OK);
  assert_int_equal(troupe_wasm_global_get(inst, "m", &v), TROUPE_OK);
  assert_int_equal(v.of.i64, -9);
  assert_int_equal(troupe_wasm_global_get(inst, "c", &v), TROUPE_OK);
  assert_int_equal(v.of.i32, 3);
  troupe_wasm_instance_free(inst);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

static void test_hostile_memory(void **state) {
  (void)state;
  troupe_wasm_module *m = LOAD(hostcall), *mx = LOAD(nulexp);
  hostctx c = {0};
  troupe_wasm_linker *l;
  troupe_wasm_instance *inst = hostcall_instance(m, &l, &c), *nomem = NULL;
  uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const uint64_t size = 65536, four_gib = 1ull << 32;
  assert_int_equal(troupe_wasm_memory_size(inst), size);
  assert_int_equal(troupe_wasm_memory_write(inst, size - 4, buf, 4), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_read(inst, size - 4, buf + 4, 4), TROUPE_OK);
  assert_memory_equal(buf, buf + 4, 4);
  assert_int_equal(troupe_wasm_memory_read(inst, size, buf, 0), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_read(inst, size, buf, 1), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_memory_read(inst, size - 3, buf, 4), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_memory_read(inst, size + 1, buf, 0), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_memory_read(inst, four_gib - 1, buf, 1), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_memory_read(inst, four_gib, buf, 1), TROUPE_E_RANGE);
  /* offset + len wraps around */
  assert_int_equal(troupe_wasm_memory_read(inst, UINT64_MAX, buf, 2), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_memory_read(inst, 1, buf, SIZE_MAX), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_memory_write(inst, UINT64_MAX - 1, buf, 4), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_memory_write(inst, 8, buf, SIZE_MAX - 4), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_memory_write(inst, four_gib - 1, buf, 1), TROUPE_E_RANGE);
  /* missing buffers */
  assert_int_equal(troupe_wasm_memory_read(inst, 0, NULL, 4), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_memory_write(inst, 0, NULL, 4), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_memory_read(inst, 0, NULL, 0), TROUPE_OK);
  /* no memory at all */
  assert_int_equal(troupe_wasm_instantiate(mx, NULL, NULL, &nomem, NULL, NULL), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_size(nomem), 0);
  assert_int_equal(troupe_wasm_memory_read(nomem, 0, buf, 1), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_wasm_memory_write(NULL, 0, buf, 1), TROUPE_E_NOTFOUND);
  troupe_wasm_instance_free(nomem);
  troupe_wasm_instance_free(inst);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
  troupe_wasm_module_free(mx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nul_names),       cmocka_unit_test(test_start_fuel),
      cmocka_unit_test(test_hostile_calls),   cmocka_unit_test(test_hostile_globals),
      cmocka_unit_test(test_hostile_memory),  cmocka_unit_test(test_import_memo),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
