/*
 * wasi/wasi.c: the WASI preview 1 host module's context (what a program sees: args,
 * environ, stdio callbacks, exit status) and its registration in a linker. Each
 * preview-1 function is a thin host function generated from TRW_FUNCS that finds
 * its context through a locator (the one bound context, the instance's user pointer,
 * or the embedder's ctx_of) and hands over to its implementation in fd.c, poll.c,
 * misc.c or deny.c; the guest-memory helpers they share live here too.
 */
#include "wasi/wasi.h"

#include <stdio.h>

/* ---- string lists (argv, environ) ---------------------------------------------- */

static int strings_init(trW_strings *s, size_t count, const char *const *list,
                        const char *what, troupe_err *err) {
  memset(s, 0, sizeof *s);
  if (count == 0)
    return TROUPE_OK;
  if (!list)
    return troupe_err_set(err, TROUPE_E_INVAL, "wasi: %s count is %zu but the array is NULL",
                          what, count);
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++) {
    if (!list[i])
      return troupe_err_set(err, TROUPE_E_INVAL, "wasi: %s[%zu] is NULL", what, i);
    total += strlen(list[i]) + 1;
    /* The guest receives the sizes as u32 and the strings in a 32-bit memory. */
    if (total > UINT32_MAX || count > UINT32_MAX / 4)
      return troupe_err_set(err, TROUPE_E_INVAL, "wasi: %s too large for a 32-bit guest", what);
  }
  s->offsets = trB_calloc(count, sizeof *s->offsets);
  s->blob = trB_malloc((size_t)total);
  if (!s->offsets || !s->blob) {
    free(s->offsets);
    free(s->blob);
    memset(s, 0, sizeof *s);
    return troupe_err_set(err, TROUPE_E_NOMEM, "wasi: out of memory copying %s", what);
  }
  uint32_t at = 0;
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(list[i]) + 1;
    s->offsets[i] = at;
    memcpy(s->blob + at, list[i], n);
    at += (uint32_t)n;
  }
  s->count = count;
  s->blob_len = at;
  return TROUPE_OK;
}

static void strings_free(trW_strings *s) {
  free(s->offsets);
  free(s->blob);
}

/* ---- the context ----------------------------------------------------------------- */

/* The locators of troupe_wasi_define: a context bound at define time finds itself; a
 * shared linker without a locator of the embedder's finds the context on the
 * instance's user pointer. */
static troupe_wasi_ctx *bound_ctx(troupe_wasm_instance *inst, void *user) {
  (void)inst;
  return user;
}

static troupe_wasi_ctx *user_pointer_ctx(troupe_wasm_instance *inst, void *user) {
  (void)user;
  return troupe_wasm_instance_user(inst);
}

static const troupe_wasi_locator by_user_pointer = {.ctx_of = user_pointer_ctx};

/* stdin may read and poll; stdout/stderr may write and poll. Nobody may seek or tell
 * (they are streams), so libc's isatty() only depends on the file type. */
static void fds_init(troupe_wasi_ctx *ctx) {
  for (uint8_t fd = 0; fd < TRW_NFDS; fd++) {
    trW_fd *f = &ctx->fds[fd];
    f->open = true;
    f->stream = fd;
    f->flags = 0;
    f->rights_base = (fd == 0 ? TRW_RIGHT_FD_READ : TRW_RIGHT_FD_WRITE) |
                     TRW_RIGHT_FD_FDSTAT_SET_FLAGS | TRW_RIGHT_FD_FILESTAT_GET |
                     TRW_RIGHT_POLL_FD_READWRITE;
    f->rights_inheriting = 0;
  }
}

int troupe_wasi_ctx_new(const troupe_wasi_config *cfg, troupe_wasi_ctx **out, troupe_err *err) {
  static const troupe_wasi_config none;
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "wasi: out is NULL");
  *out = NULL;
  if (!cfg)
    cfg = &none;
  troupe_wasi_ctx *ctx = trB_slab_calloc(sizeof *ctx); /* base/slab.h */
  if (!ctx)
    return troupe_err_set(err, TROUPE_E_NOMEM, "wasi: out of memory");
  int rc = strings_init(&ctx->args, cfg->argc, cfg->argv, "argv", err);
  if (rc == TROUPE_OK)
    rc = strings_init(&ctx->env, cfg->envc, cfg->env, "env", err);
  if (rc != TROUPE_OK)
    goto fail;
  if (!cfg->read && cfg->stdin_len > 0) {
    if (!cfg->stdin_data) {
      rc = troupe_err_set(err, TROUPE_E_INVAL, "wasi: stdin_len is %zu but stdin_data is NULL",
                          cfg->stdin_len);
      goto fail;
    }
    ctx->stdin_data = trB_memdup(cfg->stdin_data, cfg->stdin_len);
    if (!ctx->stdin_data) {
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "wasi: out of memory copying stdin");
      goto fail;
    }
    ctx->stdin_len = cfg->stdin_len;
  }
  ctx->magic = TRW_CTX_MAGIC;
  ctx->write = cfg->write;
  ctx->read = cfg->read;
  ctx->sleep = cfg->sleep;
  ctx->user = cfg->user;
  ctx->tty_mask = cfg->tty_mask;
  ctx->suspend = cfg->suspend_blocking;
  ctx->self = (troupe_wasi_locator){.ctx_of = bound_ctx, .user = ctx};
  ctx->wait.pub.fd = -1;
  fds_init(ctx);
  *out = ctx;
  return TROUPE_OK;
fail:
  troupe_wasi_ctx_free(ctx);
  return rc;
}

void troupe_wasi_ctx_free(troupe_wasi_ctx *ctx) {
  if (!ctx)
    return;
  strings_free(&ctx->args);
  strings_free(&ctx->env);
  free(ctx->stdin_data);
  trW_input_free(ctx);
  ctx->magic = 0;
  trB_slab_free(ctx, sizeof *ctx);
}

bool troupe_wasi_exited(const troupe_wasi_ctx *ctx, int32_t *code) {
  if (!ctx || !ctx->exited)
    return false;
  if (code)
    *code = ctx->exit_code;
  return true;
}

trW_fd *trW_fd_get(troupe_wasi_ctx *ctx, uint32_t fd) {
  if (fd >= TRW_NFDS || !ctx->fds[fd].open)
    return NULL;
  return &ctx->fds[fd];
}

/* ---- guest memory ------------------------------------------------------------------ */

int trW_check_range(const trW_call *wc, uint64_t ptr, uint64_t len) {
  uint64_t size = troupe_wasm_memory_size(wc->inst);
  return ptr <= size && len <= size - ptr ? 0 : TRW_EFAULT;
}

int trW_read(const trW_call *wc, uint64_t ptr, void *dst, size_t len) {
  return troupe_wasm_memory_read(wc->inst, ptr, dst, len) == TROUPE_OK ? 0 : TRW_EFAULT;
}

int trW_write(const trW_call *wc, uint64_t ptr, const void *src, size_t len) {
  return troupe_wasm_memory_write(wc->inst, ptr, src, len) == TROUPE_OK ? 0 : TRW_EFAULT;
}

int trW_put_u32(const trW_call *wc, uint64_t ptr, uint32_t v) {
  uint8_t b[4];
  trW_le32(b, v);
  return trW_write(wc, ptr, b, sizeof b);
}

int trW_put_u64(const trW_call *wc, uint64_t ptr, uint64_t v) {
  uint8_t b[8];
  trW_le64(b, v);
  return trW_write(wc, ptr, b, sizeof b);
}

/* ---- host functions and registration ------------------------------------------------ */

typedef int (*wasi_impl)(trW_call *wc, const troupe_wasm_val *args);

/* What every generated host function does: find the context through its locator (the
 * function's user pointer), run the implementation, return its errno as the i32 result
 * -- or pass an exit/trap/suspension status through. */
static int dispatch(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                    troupe_wasm_val *results, wasi_impl impl, bool has_result) {
  troupe_wasm_instance *inst = troupe_wasm_hostcall_instance(call);
  const troupe_wasi_locator *loc = user;
  troupe_wasi_ctx *ctx = loc->ctx_of(inst, loc->user);
  if (!ctx || ctx->magic != TRW_CTX_MAGIC)
    return troupe_wasm_host_trap(call, "WASI function called without a WASI context");
  trW_call wc = {.call = call, .inst = inst, .ctx = ctx};
  int r = impl(&wc, args);
  if (!has_result || r < 0)
    return r;
  results[0] = TROUPE_WASM_VAL_I32(r);
  return TROUPE_OK;
}

#define TRW_X_HOST(name, params, results)                                                \
  static int host_##name(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,    \
                         troupe_wasm_val *res) {                                              \
    return dispatch(call, user, args, res, trW_##name, sizeof(results) > 1);             \
  }
TRW_FUNCS(TRW_X_HOST)
#undef TRW_X_HOST

typedef struct wasi_row {
  const char *name, *params, *results;
  troupe_wasm_host_fn fn;
} wasi_row;

static const wasi_row rows[] = {
#define TRW_X_ROW(name, params, results) {#name, params, results, host_##name},
    TRW_FUNCS(TRW_X_ROW)
#undef TRW_X_ROW
};

/* 'i' / 'I' to value types; n <= 9 for every preview-1 function. */
static uint32_t sig_types(const char *sig, uint8_t *out) {
  uint32_t n = 0;
  for (; sig[n]; n++)
    out[n] = sig[n] == 'I' ? TROUPE_WASM_I64 : TROUPE_WASM_I32;
  return n;
}

int troupe_wasi_define(troupe_wasi_ctx *ctx, troupe_wasm_linker *linker, troupe_err *err) {
  if (ctx && ctx->magic != TRW_CTX_MAGIC)
    return troupe_err_set(err, TROUPE_E_INVAL, "wasi: not a WASI context");
  return troupe_wasi_define_shared(linker, ctx ? &ctx->self : &by_user_pointer, err);
}

int troupe_wasi_define_shared(troupe_wasm_linker *linker, const troupe_wasi_locator *how,
                              troupe_err *err) {
  if (!linker)
    return troupe_err_set(err, TROUPE_E_INVAL, "wasi: linker is NULL");
  if (!how || !how->ctx_of)
    return troupe_err_set(err, TROUPE_E_INVAL, "wasi: no locator (how or how->ctx_of is NULL)");
  /* The engine hands the user pointer back as given; dispatch only reads through it. */
  void *user = (void *)how;
  for (size_t i = 0; i < TR_ARRAY_LEN(rows); i++) {
    uint8_t params[16], results[2];
    troupe_wasm_functype type = {0};
    type.nparams = sig_types(rows[i].params, params);
    type.nresults = sig_types(rows[i].results, results);
    type.params = params;
    type.results = results;
    int rc = troupe_wasm_linker_define_func(linker, TROUPE_WASI_MODULE, rows[i].name, &type,
                                            rows[i].fn, user, err);
    if (rc != TROUPE_OK)
      return rc;
  }
  return TROUPE_OK;
}
