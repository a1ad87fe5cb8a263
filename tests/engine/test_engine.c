/*
 * tests/engine/test_engine.c: the engine core through its public API (troupe/wasm.h):
 * round trips (imports, exports, calls, globals, memory), traps as values with their
 * location, fuel suspension and resumption (results identical to an uninterrupted run),
 * host suspension, the call-depth and memory limits, 10,000 load/instantiate/free
 * cycles (leaks show under ASan). Threads: test_threads.c; hostile use: test_api.c;
 * lifetimes across instances: test_lifetime.c.
 *
 * Modules are assembled here from bytes by a tiny builder, so every test module can be
 * read (and regenerated) from this file alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "troupe/wasm.h"

/* ---- a tiny module builder --------------------------------------------------------- */

typedef struct wb {
  uint8_t *p;
  size_t n, cap;
} wb;

static void wb_byte(wb *b, uint8_t x) {
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 256;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  b->p[b->n++] = x;
}
static void wb_bytes(wb *b, const uint8_t *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    wb_byte(b, x[i]);
}
static void wb_u(wb *b, uint64_t v) {
  do {
    uint8_t x = v & 0x7f;
    v >>= 7;
    wb_byte(b, (uint8_t)(x | (v ? 0x80 : 0)));
  } while (v);
}
static void wb_str(wb *b, const char *s) {
  wb_u(b, strlen(s));
  wb_bytes(b, (const uint8_t *)s, strlen(s));
}
/* Append section `id` with content c (c is emptied). Returns the content's offset. */
static size_t wb_sec(wb *m, uint8_t id, wb *c) {
  wb_byte(m, id);
  wb_u(m, c->n);
  size_t at = m->n;
  wb_bytes(m, c->p, c->n);
  c->n = 0;
  return at;
}

static uint8_t vt(char c) {
  switch (c) {
  case 'i': return 0x7F;
  case 'I': return 0x7E;
  case 'f': return 0x7D;
  default: return 0x7C;
  }
}

/* "ii:i" -> a functype entry */
static void wb_sig(wb *b, const char *sig) {
  const char *colon = strchr(sig, ':');
  wb_byte(b, 0x60);
  wb_u(b, (size_t)(colon - sig));
  for (const char *p = sig; p < colon; p++)
    wb_byte(b, vt(*p));
  wb_u(b, strlen(colon + 1));
  for (const char *p = colon + 1; *p; p++)
    wb_byte(b, vt(*p));
}

typedef struct fspec {
  const char *sig;    /* "ii:i" */
  const char *locals; /* one char per local */
  const uint8_t *code;
  size_t len;         /* includes the final end */
  const char *export;
} fspec;

typedef struct mspec {
  const char *imports[4]; /* "module.name" host functions */
  const char *import_sigs[4];
  int nimports;
  fspec funcs[6];
  int nfuncs;
  int mem_pages;          /* -1: no memory */
  int mem_max;            /* -1: none */
  bool global;            /* a mutable i32 global exported as "g", init 7 */
} mspec;

typedef struct built {
  uint8_t *bytes;
  size_t len;
  size_t code_at[6]; /* offset of each function's first instruction */
} built;

static built build(const mspec *s) {
  wb m = {0}, c = {0};
  const uint8_t hdr[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  wb_bytes(&m, hdr, sizeof hdr);
  /* types: imports first, then functions, one each */
  wb_u(&c, (size_t)(s->nimports + s->nfuncs));
  for (int i = 0; i < s->nimports; i++)
    wb_sig(&c, s->import_sigs[i]);
  for (int i = 0; i < s->nfuncs; i++)
    wb_sig(&c, s->funcs[i].sig);
  wb_sec(&m, 1, &c);
  if (s->nimports) {
    wb_u(&c, (size_t)s->nimports);
    for (int i = 0; i < s->nimports; i++) {
      char mod[64];
      const char *dot = strchr(s->imports[i], '.');
      snprintf(mod, sizeof mod, "%.*s", (int)(dot - s->imports[i]), s->imports[i]);
      wb_str(&c, mod);
      wb_str(&c, dot + 1);
      wb_byte(&c, 0);
      wb_u(&c, (size_t)i);
    }
    wb_sec(&m, 2, &c);
  }
  wb_u(&c, (size_t)s->nfuncs);
  for (int i = 0; i < s->nfuncs; i++)
    wb_u(&c, (size_t)(s->nimports + i));
  wb_sec(&m, 3, &c);
  if (s->mem_pages >= 0) {
    wb_u(&c, 1);
    wb_byte(&c, s->mem_max >= 0 ? 1 : 0);
    wb_u(&c, (size_t)s->mem_pages);
    if (s->mem_max >= 0)
      wb_u(&c, (size_t)s->mem_max);
    wb_sec(&m, 5, &c);
  }
  if (s->global) {
    wb_u(&c, 1);
    wb_byte(&c, 0x7F);
    wb_byte(&c, 1);
    wb_byte(&c, 0x41);
    wb_byte(&c, 7);
    wb_byte(&c, 0x0B);
    wb_sec(&m, 6, &c);
  }
  int nexp = 0;
  for (int i = 0; i < s->nfuncs; i++)
    nexp += s->funcs[i].export != NULL;
  nexp += s->mem_pages >= 0;
  nexp += s->global;
  wb_u(&c, (size_t)nexp);
  for (int i = 0; i < s->nfuncs; i++)
    if (s->funcs[i].export) {
      wb_str(&c, s->funcs[i].export);
      wb_byte(&c, 0);
      wb_u(&c, (size_t)(s->nimports + i));
    }
  if (s->mem_pages >= 0) {
    wb_str(&c, "mem");
    wb_byte(&c, 2);
    wb_u(&c, 0);
  }
  if (s->global) {
    wb_str(&c, "g");
    wb_byte(&c, 3);
    wb_u(&c, 0);
  }
  wb_sec(&m, 7, &c);
  /* code: each body is built apart so that its instructions' offsets are known */
  built out = {0};
  wb bodies = {0};
  size_t rel[6];
  wb_u(&bodies, (size_t)s->nfuncs);
  for (int i = 0; i < s->nfuncs; i++) {
    wb body = {0};
    const char *l = s->funcs[i].locals ? s->funcs[i].locals : "";
    wb_u(&body, strlen(l));
    for (const char *p = l; *p; p++) {
      wb_u(&body, 1);
      wb_byte(&body, vt(*p));
    }
    size_t instr_at = body.n;
    wb_bytes(&body, s->funcs[i].code, s->funcs[i].len);
    wb_u(&bodies, body.n);
    rel[i] = bodies.n + instr_at;
    wb_bytes(&bodies, body.p, body.n);
    free(body.p);
  }
  size_t at = wb_sec(&m, 10, &bodies);
  for (int i = 0; i < s->nfuncs; i++)
    out.code_at[i] = at + rel[i];
  free(bodies.p);
  free(c.p);
  out.bytes = m.p;
  out.len = m.n;
  return out;
}

static troupe_wasm_module *load(const mspec *s, built *b) {
  *b = build(s);
  troupe_wasm_module *m = NULL;
  troupe_err e = {0};
  int rc = troupe_wasm_module_new(b->bytes, b->len, &m, &e);
  if (rc)
    fail_msg("load failed: %s", e.msg);
  return m;
}

/* ---- instruction bytes ------------------------------------------------------------- */
#define LGET(i) 0x20, (i)
#define LSET(i) 0x21, (i)
#define I32C(x) 0x41, (x) /* -64 <= x < 64 */
#define CALL(f) 0x10, (f)
#define END 0x0B

/* fib(n) = n < 2 ? n : fib(n-1) + fib(n-2); function 0 of its module (no imports). */
static const uint8_t fib_code[] = {LGET(0), I32C(2), 0x49, 0x04, 0x7F, LGET(0), 0x05,
                                   LGET(0), I32C(1), 0x6B, CALL(0), LGET(0), I32C(2),
                                   0x6B, CALL(0), 0x6A, END, END};

/* sum of i*i for i < n, as i64 (params: n; locals: i i32, acc i64) */
static const uint8_t sumsq_code[] = {0x02, 0x40, 0x03, 0x40, LGET(1), LGET(0), 0x4F, 0x0D, 1,
                                     LGET(2), LGET(1), LGET(1), 0x6C, 0xAD, 0x7C, LSET(2),
                                     LGET(1), I32C(1), 0x6A, LSET(1), 0x0C, 0, END, END,
                                     LGET(2), END};

/* sum of i for i < n as a do-while loop: the back-edge is a conditional br_if 0 */
static const uint8_t dowhile_code[] = {0x03, 0x40, LGET(2), LGET(1), 0x6A, LSET(2), LGET(1),
                                       I32C(1), 0x6A, 0x22, 1, LGET(0), 0x49, 0x0D, 0, END,
                                       LGET(2), END};

static const mspec calc_spec = {
    .nfuncs = 3,
    .funcs = {{"i:i", NULL, fib_code, sizeof fib_code, "fib"},
              {"i:I", "iI", sumsq_code, sizeof sumsq_code, "sumsq"},
              {"i:i", "ii", dowhile_code, sizeof dowhile_code, "dowhile"}},
    .mem_pages = -1,
};

static int32_t call_i32(troupe_wasm_instance *inst, const char *name, int32_t arg) {
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(arg), r;
  troupe_wasm_trap trap;
  troupe_err e = {0};
  int rc = troupe_wasm_call(inst, name, &a, 1, &r, 1, NULL, &trap, &e);
  if (rc)
    fail_msg("call %s failed: %s", name, e.msg);
  return r.of.i32;
}

/* ---- tests ---------------------------------------------------------------------- */

static int add_host(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                    troupe_wasm_val *results) {
  (void)call;
  results[0] = TROUPE_WASM_VAL_I32(args[0].of.i32 + *(int32_t *)user);
  return TROUPE_OK;
}

static void test_round_trip(void **state) {
  (void)state;
  /* add(a, b) = env.h(a) + b; store/load through memory; the global */
  static const uint8_t add_code[] = {LGET(0), CALL(0), LGET(1), 0x6A, END};
  static const uint8_t store_code[] = {LGET(0), LGET(1), 0x36, 2, 0, LGET(0), 0x28, 2, 0,
                                       0x23, 0, 0x6A, END};
  const mspec s = {.nimports = 1, .imports = {"env.h"}, .import_sigs = {"i:i"},
                   .nfuncs = 2,
                   .funcs = {{"ii:i", NULL, add_code, sizeof add_code, "add"},
                             {"ii:i", NULL, store_code, sizeof store_code, "store"}},
                   .mem_pages = 1, .mem_max = 3, .global = true};
  built b;
  troupe_wasm_module *m = load(&s, &b);
  assert_int_equal(troupe_wasm_module_import_count(m), 1);
  assert_int_equal(troupe_wasm_module_export_count(m), 4);
  troupe_wasm_extern_desc d;
  assert_int_equal(troupe_wasm_module_import(m, 0, &d), 0);
  assert_string_equal(d.module, "env");
  assert_string_equal(d.name, "h");
  assert_int_equal(d.kind, TROUPE_WASM_EXTERN_FUNC);
  assert_int_equal(d.func.nparams, 1);
  assert_int_equal(troupe_wasm_module_import(m, 1, &d), TROUPE_E_RANGE);
  assert_int_equal(troupe_wasm_module_export(m, 2, &d), 0);
  assert_string_equal(d.name, "mem");
  assert_int_equal(d.kind, TROUPE_WASM_EXTERN_MEMORY);
  assert_int_equal(d.memory.min, 1);
  assert_int_equal(d.memory.max, 3);
  free(b.bytes); /* the module keeps nothing of the input */

  troupe_err e = {0};
  troupe_wasm_instance *inst = NULL;
  /* unlinkable: missing import, then a wrong type */
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, &e), TROUPE_E_UNLINKABLE);
  assert_non_null(strstr(e.msg, "unknown import env.h"));
  static const uint8_t ii[] = {TROUPE_WASM_I32, TROUPE_WASM_I32};
  int32_t bias = 100;
  troupe_wasm_functype wrong = {.nparams = 2, .nresults = 1, .params = ii, .results = ii};
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "h", &wrong, add_host, &bias, &e), 0);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, &e), TROUPE_E_UNLINKABLE);
  assert_non_null(strstr(e.msg, "incompatible import type for env.h"));
  troupe_wasm_functype right = {.nparams = 1, .nresults = 1, .params = ii, .results = ii};
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "h", &right, add_host, &bias, &e), 0);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, &e), 0);

  troupe_wasm_val args[2] = {TROUPE_WASM_VAL_I32(5), TROUPE_WASM_VAL_I32(6)}, r;
  assert_int_equal(troupe_wasm_call(inst, "add", args, 2, &r, 1, NULL, NULL, &e), 0);
  assert_int_equal(r.type, TROUPE_WASM_I32);
  assert_int_equal(r.of.i32, 111);
  /* wrong argument type / count, unknown export */
  troupe_wasm_val bad[2] = {TROUPE_WASM_VAL_I64(5), TROUPE_WASM_VAL_I32(6)};
  assert_int_equal(troupe_wasm_call(inst, "add", bad, 2, &r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "add", args, 1, &r, 1, NULL, NULL, &e), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "nope", args, 2, &r, 1, NULL, NULL, &e),
                   TROUPE_E_NOTFOUND);
  const troupe_wasm_functype *ft = troupe_wasm_export_functype(inst, "add");
  assert_non_null(ft);
  assert_int_equal(ft->nparams, 2);
  assert_null(troupe_wasm_export_functype(inst, "mem"));

  /* memory: store(8, 1234) writes, returns load + g */
  troupe_wasm_val sa[2] = {TROUPE_WASM_VAL_I32(8), TROUPE_WASM_VAL_I32(1234)};
  assert_int_equal(troupe_wasm_call(inst, "store", sa, 2, &r, 1, NULL, NULL, &e), 0);
  assert_int_equal(r.of.i32, 1241);
  int32_t word = 0;
  assert_int_equal(troupe_wasm_memory_read(inst, 8, &word, 4), 0);
  assert_int_equal(word, 1234);
  assert_int_equal(troupe_wasm_memory_size(inst), 65536);
  assert_int_equal(troupe_wasm_memory_read(inst, 65534, &word, 4), TROUPE_E_RANGE);
  word = 99;
  assert_int_equal(troupe_wasm_memory_write(inst, 65532, &word, 4), 0);
  assert_int_equal(troupe_wasm_memory_write(inst, UINT64_MAX, &word, 4), TROUPE_E_RANGE);

  /* the global */
  troupe_wasm_val g;
  assert_int_equal(troupe_wasm_global_get(inst, "g", &g), 0);
  assert_int_equal(g.of.i32, 7);
  assert_int_equal(troupe_wasm_global_set(inst, "g", TROUPE_WASM_VAL_I32(10)), 0);
  assert_int_equal(troupe_wasm_global_set(inst, "g", TROUPE_WASM_VAL_I64(10)), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasm_call(inst, "store", sa, 2, &r, 1, NULL, NULL, &e), 0);
  assert_int_equal(r.of.i32, 1244);
  assert_int_equal(troupe_wasm_global_get(inst, "nope", &g), TROUPE_E_NOTFOUND);

  int tag;
  troupe_wasm_instance_set_user(inst, &tag);
  assert_ptr_equal(troupe_wasm_instance_user(inst), &tag);
  assert_ptr_equal(troupe_wasm_instance_module(inst), m);
  troupe_wasm_instance_free(inst);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

static void test_traps(void **state) {
  (void)state;
  /* div(a, b) = a / b (signed); index 2 in the body is the div */
  static const uint8_t div_code[] = {LGET(0), LGET(1), 0x6D, END};
  static const uint8_t unr_code[] = {0x01, 0x00, END};
  static const uint8_t load_code[] = {LGET(0), 0x28, 2, 0, END};
  const mspec s = {.nfuncs = 3,
                   .funcs = {{"ii:i", NULL, div_code, sizeof div_code, "div"},
                             {":", NULL, unr_code, sizeof unr_code, "unr"},
                             {"i:i", NULL, load_code, sizeof load_code, "load"}},
                   .mem_pages = 1, .mem_max = -1};
  built b;
  troupe_wasm_module *m = load(&s, &b);
  troupe_wasm_instance *inst = NULL;
  troupe_err e = {0};
  assert_int_equal(troupe_wasm_instantiate(m, NULL, NULL, &inst, NULL, &e), 0);
  troupe_wasm_trap t;
  troupe_wasm_val args[2] = {TROUPE_WASM_VAL_I32(1), TROUPE_WASM_VAL_I32(0)}, r;
  assert_int_equal(troupe_wasm_call(inst, "div", args, 2, &r, 1, NULL, &t, &e), TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_INT_DIV_ZERO);
  assert_string_equal(t.message, "integer divide by zero");
  assert_int_equal(t.func_index, 0);
  assert_int_equal(t.code_offset, b.code_at[0] + 4);
  args[0] = TROUPE_WASM_VAL_I32(INT32_MIN);
  args[1] = TROUPE_WASM_VAL_I32(-1);
  assert_int_equal(troupe_wasm_call(inst, "div", args, 2, &r, 1, NULL, &t, &e), TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_INT_OVERFLOW);
  /* the instance stays usable after a trap */
  args[0] = TROUPE_WASM_VAL_I32(-9);
  args[1] = TROUPE_WASM_VAL_I32(2);
  assert_int_equal(troupe_wasm_call(inst, "div", args, 2, &r, 1, NULL, &t, &e), 0);
  assert_int_equal(r.of.i32, -4);
  assert_int_equal(troupe_wasm_call(inst, "unr", NULL, 0, NULL, 0, NULL, &t, &e), TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_UNREACHABLE);
  assert_int_equal(t.func_index, 1);
  assert_int_equal(t.code_offset, b.code_at[1] + 1);
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(65533);
  assert_int_equal(troupe_wasm_call(inst, "load", &a, 1, &r, 1, NULL, &t, &e), TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_MEMORY_OOB);
  assert_int_equal(t.code_offset, b.code_at[2] + 2);
  a = TROUPE_WASM_VAL_I32(65532);
  assert_int_equal(troupe_wasm_call(inst, "load", &a, 1, &r, 1, NULL, &t, &e), 0);
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(m);
  free(b.bytes);
}

static void test_invalid_messages(void **state) {
  (void)state;
  static const uint8_t bad[] = {I32C(1), 0x42, 1, 0x6A, END}; /* i32.add of an i64 */
  const mspec s = {.nfuncs = 1, .funcs = {{":i", NULL, bad, sizeof bad, NULL}}, .mem_pages = -1};
  built b = build(&s);
  troupe_wasm_module *m = NULL;
  troupe_err e = {0};
  assert_int_equal(troupe_wasm_module_new(b.bytes, b.len, &m, &e), TROUPE_E_INVALID);
  assert_null(m);
  assert_non_null(strstr(e.msg, "code section"));
  assert_non_null(strstr(e.msg, "type mismatch"));
  char off[32];
  snprintf(off, sizeof off, "offset 0x%zx", b.code_at[0] + 4);
  assert_non_null(strstr(e.msg, off));
  free(b.bytes);
  static const uint8_t unk[] = {LGET(3), END};
  const mspec s2 = {.nfuncs = 1, .funcs = {{":i", NULL, unk, sizeof unk, NULL}}, .mem_pages = -1};
  b = build(&s2);
  assert_int_equal(troupe_wasm_module_new(b.bytes, b.len, &m, &e), TROUPE_E_INVALID);
  assert_non_null(strstr(e.msg, "unknown local"));
  free(b.bytes);
  static const uint8_t simd[] = {0xFD, 0x0C, END};
  const mspec s3 = {.nfuncs = 1, .funcs = {{":", NULL, simd, sizeof simd, NULL}}, .mem_pages = -1};
  b = build(&s3);
  assert_int_not_equal(troupe_wasm_module_new(b.bytes, b.len, &m, &e), 0);
  free(b.bytes);
}

/* Run `name(arg)` in fuel slices of `slice` until it completes; returns the number of
 * suspensions and the result in *out. */
static int run_sliced(troupe_wasm_instance *inst, const char *name, int32_t arg, uint64_t slice,
                      troupe_wasm_val *out) {
  troupe_wasm_call_opts o = {.fuel = slice};
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(arg);
  troupe_err e = {0};
  int n = 0;
  int rc = troupe_wasm_call(inst, name, &a, 1, out, 1, &o, NULL, &e);
  while (rc == TROUPE_E_SUSPENDED) {
    assert_int_equal(troupe_wasm_instance_state(inst), TROUPE_WASM_SUSPENDED_FUEL);
    /* another call while suspended is refused */
    troupe_wasm_val r2;
    assert_int_equal(troupe_wasm_call(inst, name, &a, 1, &r2, 1, NULL, NULL, NULL),
                     TROUPE_E_STATE);
    n++;
    rc = troupe_wasm_resume(inst, NULL, 0, out, 1, &o, NULL, &e);
  }
  assert_int_equal(rc, 0);
  assert_int_equal(troupe_wasm_instance_state(inst), TROUPE_WASM_IDLE);
  return n;
}

static void test_fuel_resume(void **state) {
  (void)state;
  built b;
  troupe_wasm_module *m = load(&calc_spec, &b);
  free(b.bytes);
  troupe_wasm_instance *inst = NULL;
  assert_int_equal(troupe_wasm_instantiate(m, NULL, NULL, &inst, NULL, NULL), 0);
  /* loop-heavy */
  troupe_wasm_val whole, sliced;
  assert_int_equal(run_sliced(inst, "sumsq", 3000, 0, &whole), 0);
  assert_int_equal(whole.of.i64, (int64_t)2999 * 3000 * 5999 / 6);
  int n = run_sliced(inst, "sumsq", 3000, 7, &sliced);
  assert_true(n > 100);
  assert_int_equal(sliced.of.i64, whole.of.i64);
  assert_int_equal(run_sliced(inst, "dowhile", 5000, 0, &whole), 0);
  assert_int_equal(whole.of.i32, 5000 * 4999 / 2);
  n = run_sliced(inst, "dowhile", 5000, 5, &sliced);
  assert_true(n > 100);
  assert_int_equal(sliced.of.i32, whole.of.i32);
  /* call-heavy */
  assert_int_equal(run_sliced(inst, "fib", 20, 0, &whole), 0);
  assert_int_equal(whole.of.i32, 6765);
  for (uint64_t slice = 1; slice <= 64; slice *= 4) {
    n = run_sliced(inst, "fib", 20, slice, &sliced);
    assert_true(n > 10);
    assert_int_equal(sliced.of.i32, 6765);
  }
  /* trap instead of suspending */
  troupe_wasm_call_opts o = {.fuel = 50, .trap_on_fuel_out = true};
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(20), r;
  troupe_wasm_trap t;
  assert_int_equal(troupe_wasm_call(inst, "fib", &a, 1, &r, 1, &o, &t, NULL), TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_FUEL_EXHAUSTED);
  /* abort a suspended call: the instance is usable again */
  o.trap_on_fuel_out = false;
  assert_int_equal(troupe_wasm_call(inst, "fib", &a, 1, &r, 1, &o, &t, NULL), TROUPE_E_SUSPENDED);
  troupe_wasm_abort(inst);
  assert_int_equal(troupe_wasm_instance_state(inst), TROUPE_WASM_IDLE);
  assert_int_equal(call_i32(inst, "fib", 10), 55);
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(m);
}

typedef struct waiter {
  int calls;
  int32_t last_arg;
} waiter;

static int wait_host(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                     troupe_wasm_val *results) {
  (void)results;
  waiter *w = user;
  w->calls++;
  w->last_arg = args[0].of.i32;
  assert_non_null(troupe_wasm_hostcall_instance(call));
  return troupe_wasm_host_suspend(call);
}

static void test_host_suspend(void **state) {
  (void)state;
  /* run(x) = wait(wait(x) + 1) + 1 */
  static const uint8_t run_code[] = {LGET(0), CALL(0), I32C(1), 0x6A, CALL(0), I32C(1), 0x6A, END};
  const mspec s = {.nimports = 1, .imports = {"env.wait"}, .import_sigs = {"i:i"}, .nfuncs = 1,
                   .funcs = {{"i:i", NULL, run_code, sizeof run_code, "run"}}, .mem_pages = -1};
  built b;
  troupe_wasm_module *m = load(&s, &b);
  free(b.bytes);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  static const uint8_t i32[] = {TROUPE_WASM_I32};
  troupe_wasm_functype ft = {.nparams = 1, .nresults = 1, .params = i32, .results = i32};
  waiter w = {0};
  assert_int_equal(troupe_wasm_linker_define_func(l, "env", "wait", &ft, wait_host, &w, NULL), 0);
  troupe_wasm_instance *inst = NULL;
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, NULL), 0);
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(4), r = {0};
  assert_int_equal(troupe_wasm_call(inst, "run", &a, 1, &r, 1, NULL, NULL, NULL),
                   TROUPE_E_SUSPENDED);
  assert_int_equal(troupe_wasm_instance_state(inst), TROUPE_WASM_SUSPENDED_HOST);
  const troupe_wasm_functype *st = troupe_wasm_suspended_host_type(inst);
  assert_non_null(st);
  assert_int_equal(st->nresults, 1);
  assert_int_equal(w.last_arg, 4);
  /* wrong results are refused, the suspension stays */
  assert_int_equal(troupe_wasm_resume(inst, NULL, 0, &r, 1, NULL, NULL, NULL), TROUPE_E_INVAL);
  troupe_wasm_val hr = TROUPE_WASM_VAL_I32(w.last_arg * 10);
  assert_int_equal(troupe_wasm_resume(inst, &hr, 1, &r, 1, NULL, NULL, NULL), TROUPE_E_SUSPENDED);
  assert_int_equal(w.last_arg, 41);
  hr = TROUPE_WASM_VAL_I32(w.last_arg * 10);
  assert_int_equal(troupe_wasm_resume(inst, &hr, 1, &r, 1, NULL, NULL, NULL), 0);
  assert_int_equal(r.of.i32, 411);
  assert_int_equal(w.calls, 2);
  assert_int_equal(troupe_wasm_resume(inst, &hr, 1, &r, 1, NULL, NULL, NULL), TROUPE_E_STATE);
  troupe_wasm_instance_free(inst);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

static void test_call_depth(void **state) {
  (void)state;
  built b;
  troupe_wasm_module *m = load(&calc_spec, &b);
  free(b.bytes);
  troupe_wasm_limits lim = {.max_call_depth = 15};
  troupe_wasm_instance *inst = NULL;
  assert_int_equal(troupe_wasm_instantiate(m, NULL, &lim, &inst, NULL, NULL), 0);
  assert_int_equal(call_i32(inst, "fib", 14), 377); /* depth 14 */
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(16), r;
  troupe_wasm_trap t;
  assert_int_equal(troupe_wasm_call(inst, "fib", &a, 1, &r, 1, NULL, &t, NULL), TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_STACK_EXHAUSTED);
  assert_string_equal(t.message, "call stack exhausted");
  troupe_wasm_instance_free(inst);
  /* the default limit still catches runaway recursion, without C recursion */
  static const uint8_t rec[] = {CALL(0), END};
  const mspec s = {.nfuncs = 1, .funcs = {{":", NULL, rec, sizeof rec, "rec"}}, .mem_pages = -1};
  troupe_wasm_module *m2 = load(&s, &b);
  free(b.bytes);
  assert_int_equal(troupe_wasm_instantiate(m2, NULL, NULL, &inst, NULL, NULL), 0);
  assert_int_equal(troupe_wasm_call(inst, "rec", NULL, 0, NULL, 0, NULL, &t, NULL), TROUPE_E_TRAP);
  assert_int_equal(t.kind, TROUPE_WASM_TRAP_STACK_EXHAUSTED);
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(m2);
  troupe_wasm_module_free(m);
}

static void test_memory_limit(void **state) {
  (void)state;
  static const uint8_t grow[] = {LGET(0), 0x40, 0, END};
  const mspec s = {.nfuncs = 1, .funcs = {{"i:i", NULL, grow, sizeof grow, "grow"}},
                   .mem_pages = 1, .mem_max = 10};
  built b;
  troupe_wasm_module *m = load(&s, &b);
  free(b.bytes);
  troupe_wasm_limits lim = {.max_memory_pages = 3};
  troupe_wasm_instance *inst = NULL;
  assert_int_equal(troupe_wasm_instantiate(m, NULL, &lim, &inst, NULL, NULL), 0);
  assert_int_equal(call_i32(inst, "grow", 1), 1);
  assert_int_equal(call_i32(inst, "grow", 2), -1); /* 4 > the instance limit */
  assert_int_equal(call_i32(inst, "grow", 1), 2);
  assert_int_equal(call_i32(inst, "grow", 0), 3);
  assert_int_equal(troupe_wasm_memory_size(inst), 3 * 65536);
  troupe_wasm_instance_free(inst);
  /* the declared maximum applies too */
  assert_int_equal(troupe_wasm_instantiate(m, NULL, NULL, &inst, NULL, NULL), 0);
  assert_int_equal(call_i32(inst, "grow", 10), -1);
  assert_int_equal(call_i32(inst, "grow", 9), 1);
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(m);
}

static void test_many_cycles(void **state) {
  (void)state;
  built b = build(&calc_spec);
  for (int i = 0; i < 10000; i++) {
    troupe_wasm_module *m = NULL;
    assert_int_equal(troupe_wasm_module_new(b.bytes, b.len, &m, NULL), 0);
    troupe_wasm_instance *inst = NULL;
    assert_int_equal(troupe_wasm_instantiate(m, NULL, NULL, &inst, NULL, NULL), 0);
    assert_int_equal(call_i32(inst, "fib", 5), 5);
    troupe_wasm_module_free(m); /* the instance keeps its module alive */
    troupe_wasm_instance_free(inst);
  }
  free(b.bytes);
}

/* An importer keeps what it imported alive: the exporting instance and the linker may
 * be freed first (ASan would catch a use after free). */
static void test_import_from_instance(void **state) {
  (void)state;
  built b;
  troupe_wasm_module *ma = load(&calc_spec, &b);
  free(b.bytes);
  static const uint8_t twice[] = {LGET(0), CALL(0), LGET(0), CALL(0), 0x6A, END};
  const mspec s = {.nimports = 1, .imports = {"A.fib"}, .import_sigs = {"i:i"}, .nfuncs = 1,
                   .funcs = {{"i:i", NULL, twice, sizeof twice, "twice"}}, .mem_pages = -1};
  troupe_wasm_module *mb = load(&s, &b);
  free(b.bytes);
  troupe_wasm_instance *a = NULL, *bi = NULL;
  assert_int_equal(troupe_wasm_instantiate(ma, NULL, NULL, &a, NULL, NULL), 0);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasm_linker_define_instance(l, "A", a, NULL), 0);
  assert_int_equal(troupe_wasm_instantiate(mb, l, NULL, &bi, NULL, NULL), 0);
  troupe_wasm_linker_free(l);
  troupe_wasm_instance_free(a);
  troupe_wasm_module_free(ma);
  assert_int_equal(call_i32(bi, "twice", 10), 110);
  /* a fuel-suspended call that crossed into the other instance resumes there */
  troupe_wasm_call_opts o = {.fuel = 3};
  troupe_wasm_val arg = TROUPE_WASM_VAL_I32(15), r;
  int rc = troupe_wasm_call(bi, "twice", &arg, 1, &r, 1, &o, NULL, NULL);
  int n = 0;
  while (rc == TROUPE_E_SUSPENDED) {
    n++;
    rc = troupe_wasm_resume(bi, NULL, 0, &r, 1, &o, NULL, NULL);
  }
  assert_int_equal(rc, 0);
  assert_true(n > 10);
  assert_int_equal(r.of.i32, 1220);
  troupe_wasm_instance_free(bi);
  troupe_wasm_module_free(mb);
}

/* Every allocation of load, link, instantiate and call made to fail in turn: each step
 * either works or reports an error; nothing crashes or leaks (ASan checks the leaks). */
static void test_alloc_failures(void **state) {
  (void)state;
  static const uint8_t add_code[] = {LGET(0), CALL(0), LGET(1), 0x6A, END};
  const mspec s = {.nimports = 1, .imports = {"env.h"}, .import_sigs = {"i:i"}, .nfuncs = 3,
                   .funcs = {{"ii:i", NULL, add_code, sizeof add_code, "add"},
                             {"i:i", NULL, fib_code, sizeof fib_code, "fib"},
                             {"i:I", "iI", sumsq_code, sizeof sumsq_code, "sumsq"}},
                   .mem_pages = 1, .mem_max = -1, .global = true};
  /* fib_code calls function 0: here that is the import, fine for this test */
  built b = build(&s);
  static const uint8_t i32[] = {TROUPE_WASM_I32};
  troupe_wasm_functype ft = {.nparams = 1, .nresults = 1, .params = i32, .results = i32};
  int32_t bias = 1;
  bool completed = false;
  for (long n = 0; n < 2000 && !completed; n++) {
    trB_alloc_fail_after(n);
    troupe_wasm_module *m = NULL;
    troupe_wasm_instance *inst = NULL;
    troupe_wasm_linker *l = troupe_wasm_linker_new();
    int rc = l ? 0 : TROUPE_E_NOMEM;
    if (rc == 0)
      rc = troupe_wasm_linker_define_func(l, "env", "h", &ft, add_host, &bias, NULL);
    if (rc == 0)
      rc = troupe_wasm_module_new(b.bytes, b.len, &m, NULL);
    if (rc == 0)
      rc = troupe_wasm_instantiate(m, l, NULL, &inst, NULL, NULL);
    if (rc == 0) {
      troupe_wasm_val args[2] = {TROUPE_WASM_VAL_I32(2), TROUPE_WASM_VAL_I32(3)}, r;
      rc = troupe_wasm_call(inst, "add", args, 2, &r, 1, NULL, NULL, NULL);
      if (rc == 0)
        assert_int_equal(r.of.i32, 6);
      if (rc == 0)
        rc = troupe_wasm_call(inst, "sumsq", args, 1, &r, 1, NULL, NULL, NULL);
    }
    trB_alloc_fail_after(-1);
    assert_true(rc == 0 || rc == TROUPE_E_NOMEM || rc == TROUPE_E_TRAP);
    completed = rc == 0;
    troupe_wasm_instance_free(inst);
    troupe_wasm_module_free(m);
    troupe_wasm_linker_free(l);
  }
  assert_true(completed);
  free(b.bytes);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_traps),
      cmocka_unit_test(test_invalid_messages), cmocka_unit_test(test_fuel_resume),
      cmocka_unit_test(test_host_suspend),  cmocka_unit_test(test_call_depth),
      cmocka_unit_test(test_memory_limit),  cmocka_unit_test(test_many_cycles),
      cmocka_unit_test(test_alloc_failures),
      cmocka_unit_test(test_import_from_instance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
