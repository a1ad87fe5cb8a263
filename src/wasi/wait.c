/*
 * wasi/wait.c: suspending mode. A call that would wait (fd_read with no input, a
 * poll_oneoff with nothing ready) records what it waits for in its context and suspends
 * the instance (trW_suspend). The embedder reads that with troupe_wasi_pending and, when
 * it has come, completes it here: the input or the timer is made available, and the
 * suspended call runs again from the top, now finding it -- one code path for waiting
 * and not waiting, so a completed call behaves exactly as an uninterrupted one. The run
 * writes guest memory through the engine's accessors and yields the errno the embedder
 * resumes the instance with (troupe_wasm_resume), on whatever thread it likes.
 */
#include "wasi/wasi.h"

int trW_suspend(const trW_call *wc, const trW_wait *w, int otherwise) {
  if (!wc->call)
    return otherwise; /* completing a wait: what it waited for has come, by contract */
  troupe_wasi_ctx *ctx = wc->ctx;
  /* An earlier wait still recorded here was abandoned (its instance aborted or freed):
   * it owns nothing, so it is simply replaced. */
  ctx->wait = *w;
  ctx->wait.inst = wc->inst;
  return troupe_wasm_host_suspend(wc->call);
}

troupe_wasi_wait_kind troupe_wasi_pending(const troupe_wasi_ctx *ctx, troupe_wasi_wait *what) {
  static const troupe_wasi_wait none = {.kind = TROUPE_WASI_WAIT_NONE, .fd = -1};
  const troupe_wasi_wait *w = ctx && ctx->magic == TRW_CTX_MAGIC ? &ctx->wait.pub : &none;
  if (w->kind == TROUPE_WASI_WAIT_NONE)
    w = &none;
  if (what)
    *what = *w;
  return w->kind;
}

static const char *kind_name(troupe_wasi_wait_kind k) {
  switch (k) {
  case TROUPE_WASI_WAIT_SLEEP: return "a sleep";
  case TROUPE_WASI_WAIT_READ: return "a read";
  case TROUPE_WASI_WAIT_POLL: return "a poll";
  default: return "nothing";
  }
}

/* Is ctx waiting in a way `verb` completes (kinds: a mask of 1 << kind), with `inst`
 * suspended in that very call? troupe_wasm_abort or a suspension elsewhere would leave
 * a stale record here: the engine says which host function the instance waits in. */
static int check(troupe_wasi_ctx *ctx, troupe_wasm_instance *inst, const troupe_wasm_val *result,
                 unsigned kinds, const char *verb, troupe_err *err) {
  if (!ctx || ctx->magic != TRW_CTX_MAGIC || !inst || !result)
    return troupe_err_set(err, TROUPE_E_INVAL, "wasi: %s: NULL or invalid argument", verb);
  const trW_wait *w = &ctx->wait;
  if (!(kinds & (1u << w->pub.kind)))
    return troupe_err_set(err, TROUPE_E_STATE, "wasi: %s: the program waits for %s", verb,
                          kind_name(w->pub.kind));
  if (w->inst != inst)
    return troupe_err_set(err, TROUPE_E_STATE, "wasi: %s: another instance is waiting", verb);
  const char *fn = w->pub.kind == TROUPE_WASI_WAIT_READ ? "fd_read" : "poll_oneoff";
  troupe_wasm_extern_desc d;
  if (troupe_wasm_suspended_host(inst, &d) != TROUPE_OK ||
      d.module_len != strlen(TROUPE_WASI_MODULE) ||
      memcmp(d.module, TROUPE_WASI_MODULE, d.module_len) != 0 || d.name_len != strlen(fn) ||
      memcmp(d.name, fn, d.name_len) != 0)
    return troupe_err_set(err, TROUPE_E_STATE, "wasi: %s: the instance is not suspended in %s",
                          verb, fn);
  return TROUPE_OK;
}

/* Run the suspended call again, the wait over, and give its errno as the result. */
static int rerun(troupe_wasi_ctx *ctx, troupe_wasm_instance *inst, bool timer_fired,
                 troupe_wasm_val *result) {
  const trW_wait w = ctx->wait;
  ctx->wait = (trW_wait){.pub = {.kind = TROUPE_WASI_WAIT_NONE, .fd = -1}};
  trW_call wc = {.call = NULL, .inst = inst, .ctx = ctx, .resumed = &w,
                 .timer_fired = timer_fired};
  troupe_wasm_val args[4];
  for (int i = 0; i < 4; i++)
    args[i] = TROUPE_WASM_VAL_I32((int32_t)w.args[i]);
  int r = w.pub.kind == TROUPE_WASI_WAIT_READ ? trW_fd_read(&wc, args)
                                               : trW_poll_oneoff(&wc, args);
  *result = TROUPE_WASM_VAL_I32(r);
  return TROUPE_OK;
}

#define KIND(k) (1u << TROUPE_WASI_WAIT_##k)

int troupe_wasi_complete_sleep(troupe_wasi_ctx *ctx, troupe_wasm_instance *inst,
                               troupe_wasm_val *result, troupe_err *err) {
  int rc = check(ctx, inst, result, KIND(SLEEP) | KIND(POLL), "complete_sleep", err);
  if (rc != TROUPE_OK)
    return rc;
  if (!ctx->wait.pub.has_deadline)
    return troupe_err_set(err, TROUPE_E_STATE,
                          "wasi: complete_sleep: the poll waits for input with no deadline");
  return rerun(ctx, inst, true, result);
}

int troupe_wasi_complete_read(troupe_wasi_ctx *ctx, troupe_wasm_instance *inst,
                              const void *data, size_t len, troupe_wasm_val *result,
                              troupe_err *err) {
  int rc = check(ctx, inst, result, KIND(READ) | KIND(POLL), "complete_read", err);
  if (rc != TROUPE_OK)
    return rc;
  if (len && !data)
    return troupe_err_set(err, TROUPE_E_INVAL, "wasi: complete_read: %zu bytes at NULL", len);
  /* Held first, then read: the call takes what its buffers hold and the rest stays. */
  if (trW_input_push(ctx, data, len) != TROUPE_OK)
    return troupe_err_set(err, TROUPE_E_NOMEM, "wasi: complete_read: out of memory keeping "
                          "%zu bytes of input", len);
  if (len == 0)
    ctx->in.eof = true;
  return rerun(ctx, inst, false, result);
}

int troupe_wasi_complete_error(troupe_wasi_ctx *ctx, troupe_wasm_instance *inst,
                               troupe_wasm_val *result, troupe_err *err) {
  int rc = check(ctx, inst, result, KIND(SLEEP) | KIND(READ) | KIND(POLL), "complete_error",
                 err);
  if (rc != TROUPE_OK)
    return rc;
  /* As the callbacks' failures: a read callback's -1 is EIO, a sleep callback's nonzero
   * EINTR. */
  bool read = ctx->wait.pub.kind == TROUPE_WASI_WAIT_READ;
  ctx->wait = (trW_wait){.pub = {.kind = TROUPE_WASI_WAIT_NONE, .fd = -1}};
  *result = TROUPE_WASM_VAL_I32(read ? TRW_EIO : TRW_EINTR);
  return TROUPE_OK;
}
