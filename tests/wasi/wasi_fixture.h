/*
 * tests/wasi/wasi_fixture.h: what the WASI tests share -- a module made here that
 * imports every preview-1 function and exports a trampoline for each under the same
 * name (so a test writes guest memory, calls e.g. "fd_write" with raw arguments and
 * checks the errno and the memory), a fixture holding module, linker, context and
 * instance with callbacks that record what the embedder saw, and guest-memory helpers.
 */
#ifndef TROUPE_TESTS_WASI_FIXTURE_H
#define TROUPE_TESTS_WASI_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wasi/wasi.h"

/* ---- a module importing everything --------------------------------------------------- */

typedef struct bytes {
  uint8_t *p;
  size_t n, cap;
} bytes;

static inline void put(bytes *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}
static inline void put8(bytes *b, uint8_t v) { put(b, &v, 1); }
static inline void uleb(bytes *b, uint32_t v) {
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    put8(b, c | (v ? 0x80 : 0));
  } while (v);
}
static inline void name(bytes *b, const char *s) {
  uleb(b, (uint32_t)strlen(s));
  put(b, s, strlen(s));
}
static inline void section(bytes *mod, uint8_t id, bytes *body) {
  put8(mod, id);
  uleb(mod, (uint32_t)body->n);
  put(mod, body->p, body->n);
  body->n = 0;
}

typedef struct fn {
  const char *name, *params, *results;
} fn;
static const fn fns[] = {
#define X(n, p, r) {#n, p, r},
    TRW_FUNCS(X)
#undef X
};
#define NFNS (sizeof fns / sizeof fns[0])

static inline void valtypes(bytes *b, const char *sig) {
  uleb(b, (uint32_t)strlen(sig));
  for (; *sig; sig++)
    put8(b, *sig == 'I' ? 0x7e : 0x7f);
}

/* types: one per function; imports: all of wasi; functions: a trampoline per import
 * (local.get each param, call the import); memory 0 of one page (unless !memory);
 * exports: "memory" and each trampoline under the function's name. */
static inline bytes build_module(bool memory) {
  bytes mod = {0}, s = {0};
  put(&mod, "\0asm\1\0\0\0", 8);
  uleb(&s, NFNS);
  for (size_t i = 0; i < NFNS; i++) {
    put8(&s, 0x60);
    valtypes(&s, fns[i].params);
    valtypes(&s, fns[i].results);
  }
  section(&mod, 1, &s);
  uleb(&s, NFNS);
  for (size_t i = 0; i < NFNS; i++) {
    name(&s, TROUPE_WASI_MODULE);
    name(&s, fns[i].name);
    put8(&s, 0x00);
    uleb(&s, (uint32_t)i);
  }
  section(&mod, 2, &s);
  uleb(&s, NFNS);
  for (size_t i = 0; i < NFNS; i++)
    uleb(&s, (uint32_t)i);
  section(&mod, 3, &s);
  if (memory) {
    put(&s, "\x01\x00\x01", 3); /* one memory, min 1 page, no max */
    section(&mod, 5, &s);
  }
  uleb(&s, NFNS + memory);
  if (memory) {
    name(&s, "memory");
    put8(&s, 0x02);
    uleb(&s, 0);
  }
  for (size_t i = 0; i < NFNS; i++) {
    name(&s, fns[i].name);
    put8(&s, 0x00);
    uleb(&s, (uint32_t)(NFNS + i));
  }
  section(&mod, 7, &s);
  uleb(&s, NFNS);
  for (size_t i = 0; i < NFNS; i++) {
    bytes body = {0};
    uleb(&body, 0); /* no locals */
    for (uint32_t p = 0; p < strlen(fns[i].params); p++) {
      put8(&body, 0x20);
      uleb(&body, p);
    }
    put8(&body, 0x10);
    uleb(&body, (uint32_t)i);
    put8(&body, 0x0b);
    uleb(&s, (uint32_t)body.n);
    put(&s, body.p, body.n);
    free(body.p);
  }
  section(&mod, 10, &s);
  free(s.p);
  return mod;
}

/* ---- fixture ----------------------------------------------------------------------------- */

typedef struct captured {
  bytes out[3];
  int fail_writes; /* the write callback fails from this call on (if > 0) */
  int writes;
  uint64_t slept_ns;
  int sleeps;
  const char *input; /* for the read callback */
  size_t input_pos;
} captured;

static inline int cap_write(void *user, int fd, const void *data, size_t len) {
  captured *c = user;
  c->writes++;
  if (c->fail_writes && c->writes >= c->fail_writes)
    return -1;
  assert_true(fd == 1 || fd == 2);
  put(&c->out[fd], data, len);
  return 0;
}

static inline int64_t cap_read(void *user, void *buf, size_t len) {
  captured *c = user;
  size_t left = strlen(c->input) - c->input_pos, n = TR_MIN(left, TR_MIN(len, (size_t)3));
  memcpy(buf, c->input + c->input_pos, n); /* 3 bytes at most: a trickling pipe */
  c->input_pos += n;
  return (int64_t)n;
}

static inline int cap_sleep(void *user, uint64_t ns) {
  captured *c = user;
  c->sleeps++;
  c->slept_ns += ns;
  return 0;
}

typedef struct fx {
  troupe_wasm_module *mod;
  troupe_wasm_linker *linker;
  troupe_wasi_ctx *ctx;
  troupe_wasm_instance *inst;
  captured cap;
} fx;

static inline troupe_wasm_module *module_made(bool memory) {
  bytes b = build_module(memory);
  troupe_wasm_module *m = NULL;
  troupe_err err;
  int rc = troupe_wasm_module_new(b.p, b.n, &m, &err);
  free(b.p);
  if (rc != TROUPE_OK)
    fail_msg("test module rejected: %s", err.msg);
  return m;
}

static inline troupe_wasm_module *shared_module(void) { return module_made(true); }

static inline void fx_open(fx *f, troupe_wasi_config cfg) {
  memset(f, 0, sizeof *f);
  troupe_err err;
  cfg.user = &f->cap;
  if (!cfg.write)
    cfg.write = cap_write;
  if (!cfg.sleep)
    cfg.sleep = cap_sleep;
  f->mod = shared_module();
  f->linker = troupe_wasm_linker_new();
  assert_non_null(f->linker);
  assert_int_equal(troupe_wasi_ctx_new(&cfg, &f->ctx, &err), TROUPE_OK);
  assert_int_equal(troupe_wasi_define(f->ctx, f->linker, &err), TROUPE_OK);
  if (troupe_wasm_instantiate(f->mod, f->linker, NULL, &f->inst, NULL, &err) != TROUPE_OK)
    fail_msg("instantiate: %s", err.msg);
}

static inline void fx_close(fx *f) {
  troupe_wasm_instance_free(f->inst);
  troupe_wasi_ctx_free(f->ctx);
  troupe_wasm_linker_free(f->linker);
  troupe_wasm_module_free(f->mod);
  for (int i = 0; i < 3; i++)
    free(f->cap.out[i].p);
}

/* Call the trampoline `fname` with the values in `sig` order ('i' i32, 'I' i64):
 * returns the engine's status (TROUPE_OK, TROUPE_E_SUSPENDED...), the errno in *res. */
static inline int wcall_va(fx *f, const char *fname, troupe_wasm_val *res, va_list ap) {
  const fn *d = NULL;
  for (size_t i = 0; i < NFNS; i++)
    if (!strcmp(fns[i].name, fname))
      d = &fns[i];
  assert_non_null(d);
  troupe_wasm_val args[16];
  size_t n = strlen(d->params);
  for (size_t i = 0; i < n; i++)
    args[i] = d->params[i] == 'I' ? TROUPE_WASM_VAL_I64(va_arg(ap, int64_t))
                                  : TROUPE_WASM_VAL_I32((int32_t)va_arg(ap, uint32_t));
  troupe_wasm_trap trap = {0};
  troupe_err err = {0};
  *res = (troupe_wasm_val){0};
  int rc = troupe_wasm_call(f->inst, fname, args, n, res, strlen(d->results), NULL, &trap, &err);
  if (rc != TROUPE_OK && rc != TROUPE_E_SUSPENDED)
    fail_msg("%s: call failed: %s (trap %s)", fname, err.msg, trap.message);
  return rc;
}

/* A call that must complete: its errno. */
static inline int32_t wcall(fx *f, const char *fname, ...) {
  troupe_wasm_val res;
  va_list ap;
  va_start(ap, fname);
  int rc = wcall_va(f, fname, &res, ap);
  va_end(ap);
  assert_int_equal(rc, TROUPE_OK);
  assert_int_equal(res.type, TROUPE_WASM_I32);
  return res.of.i32;
}

static inline void mem_put(fx *f, uint32_t at, const void *p, size_t n) {
  assert_int_equal(troupe_wasm_memory_write(f->inst, at, p, n), TROUPE_OK);
}
static inline void mem_u32(fx *f, uint32_t at, uint32_t v) {
  uint8_t b[4];
  trW_le32(b, v);
  mem_put(f, at, b, 4);
}
static inline uint32_t get_u32(fx *f, uint32_t at) {
  uint8_t b[4];
  assert_int_equal(troupe_wasm_memory_read(f->inst, at, b, 4), TROUPE_OK);
  return trW_get32(b);
}
static inline uint64_t get_u64(fx *f, uint32_t at) {
  uint8_t b[8];
  assert_int_equal(troupe_wasm_memory_read(f->inst, at, b, 8), TROUPE_OK);
  return trW_get64(b);
}
static inline void iovec(fx *f, uint32_t at, uint32_t buf, uint32_t len) {
  mem_u32(f, at, buf);
  mem_u32(f, at + 4, len);
}

#define PAGE 65536u
#define BAD 0xfffffff0u

static inline void sub_clock(fx *f, uint32_t at, uint64_t userdata, uint32_t id, uint64_t timeout,
                      uint16_t flags) {
  uint8_t s[48] = {0};
  trW_le64(s, userdata);
  s[8] = 0;
  trW_le32(s + 16, id);
  trW_le64(s + 24, timeout);
  trW_le16(s + 40, flags);
  mem_put(f, at, s, sizeof s);
}

static inline void sub_fd(fx *f, uint32_t at, uint64_t userdata, uint8_t tag, uint32_t fd) {
  uint8_t s[48] = {0};
  trW_le64(s, userdata);
  s[8] = tag;
  trW_le32(s + 16, fd);
  mem_put(f, at, s, sizeof s);
}

#endif
