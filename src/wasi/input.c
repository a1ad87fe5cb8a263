/*
 * wasi/input.c: where the bytes of stdin come from, for fd_read (fd.c) and for
 * poll_oneoff's readiness of stdin (poll.c). In order: bytes already handed over but not
 * yet read (troupe_wasi_complete_read, or taken from the read callback by a poll), then
 * the end of input once the embedder said so, then the configured source -- the read
 * callback, or the configured bytes, or nothing (end of input at once in blocking mode;
 * in suspending mode a wait for troupe_wasi_complete_read).
 */
#include "wasi/wasi.h"

/* ---- bytes handed over but not yet read -------------------------------------------- */

static size_t held(const troupe_wasi_ctx *ctx) { return ctx->in.len - ctx->in.pos; }

void trW_input_free(troupe_wasi_ctx *ctx) {
  free(ctx->in.buf);
  ctx->in.buf = NULL;
  ctx->in.pos = ctx->in.len = 0;
}

int trW_input_push(troupe_wasi_ctx *ctx, const void *data, size_t len) {
  if (len == 0)
    return TROUPE_OK;
  trW_input *in = &ctx->in;
  size_t keep = held(ctx);
  if (keep > SIZE_MAX - len)
    return TROUPE_E_NOMEM;
  /* A fresh buffer with what is left in front: the old one is freed only once the new
   * one exists, so a failure keeps everything as it was. */
  uint8_t *buf = trB_malloc(keep + len);
  if (!buf)
    return TROUPE_E_NOMEM;
  if (keep)
    memcpy(buf, in->buf + in->pos, keep);
  memcpy(buf + keep, data, len);
  free(in->buf);
  in->buf = buf;
  in->pos = 0;
  in->len = keep + len;
  return TROUPE_OK;
}

/* Give the guest what is held, as far as its buffers go. */
static int take_held(const trW_call *wc, const trW_iovecs *l, uint32_t *nread) {
  troupe_wasi_ctx *ctx = wc->ctx;
  size_t n = TR_MIN((size_t)l->total, held(ctx));
  int e = trW_scatter(wc, l, ctx->in.buf + ctx->in.pos, n);
  if (e)
    return e;
  ctx->in.pos += n;
  if (held(ctx) == 0)
    trW_input_free(ctx);
  *nread = (uint32_t)n;
  return 0;
}

/* The configured bytes stand for stdin unless a callback does; with neither, stdin is
 * empty in blocking mode and fed by the embedder in suspending mode. */
static bool configured_bytes(const troupe_wasi_ctx *ctx) {
  return !ctx->read && (ctx->stdin_len > 0 || !ctx->suspend);
}

/* ---- reads ------------------------------------------------------------------------- */

int trW_input_read(const trW_call *wc, const trW_iovecs *l, uint32_t *nread, bool *must_wait) {
  troupe_wasi_ctx *ctx = wc->ctx;
  *nread = 0;
  if (l->total == 0)
    return 0; /* a read of nothing returns nothing at once, with or without input */
  if (held(ctx))
    return take_held(wc, l, nread);
  if (ctx->in.eof)
    return 0;
  if (configured_bytes(ctx)) {
    size_t n = TR_MIN((size_t)l->total, ctx->stdin_len - ctx->stdin_pos);
    int e = n ? trW_scatter(wc, l, ctx->stdin_data + ctx->stdin_pos, n) : 0;
    if (e)
      return e;
    ctx->stdin_pos += n;
    *nread = (uint32_t)n;
    return 0;
  }
  if (!ctx->read) {
    *must_wait = true; /* suspending mode, input comes with troupe_wasi_complete_read */
    return 0;
  }
  /* One callback answer, at most one chunk, as readv(2) on a pipe returns what is there
   * rather than waiting to fill every buffer. */
  uint8_t chunk[TRW_CHUNK];
  size_t want = TR_MIN((size_t)l->total, sizeof chunk);
  int64_t got = ctx->read(ctx->user, chunk, want);
  if (got == TROUPE_WASI_WOULD_BLOCK) {
    if (!ctx->suspend)
      return TRW_EAGAIN;
    *must_wait = true;
    return 0;
  }
  if (got < 0 || (uint64_t)got > want)
    return TRW_EIO;
  *nread = (uint32_t)got;
  return trW_scatter(wc, l, chunk, (size_t)got);
}

/* ---- readiness for poll_oneoff ------------------------------------------------------- */

/* Suspending mode with a read callback: the only way to know whether input is there is
 * to ask for it. What the callback gives is held for the next read; its end of input is
 * remembered. If no buffer can be had, or the callback fails, stdin counts as ready:
 * the guest's read will then ask the callback itself (and see the error). */
static bool ask_callback(troupe_wasi_ctx *ctx) {
  trW_input *in = &ctx->in;
  in->buf = trB_malloc(TRW_CHUNK);
  if (!in->buf)
    return true;
  int64_t got = ctx->read(ctx->user, in->buf, TRW_CHUNK);
  if (got > 0 && (uint64_t)got <= TRW_CHUNK) {
    in->pos = 0;
    in->len = (size_t)got;
    return true;
  }
  trW_input_free(ctx);
  if (got == 0)
    in->eof = true;
  return got != TROUPE_WASI_WOULD_BLOCK;
}

bool trW_input_ready(const trW_call *wc, uint64_t *nbytes, bool *hangup) {
  troupe_wasi_ctx *ctx = wc->ctx;
  *nbytes = 0;
  *hangup = false;
  if (!held(ctx) && !ctx->in.eof) {
    if (configured_bytes(ctx)) {
      *nbytes = ctx->stdin_len - ctx->stdin_pos;
      *hangup = *nbytes == 0;
      return true;
    }
    if (!ctx->suspend)
      return true; /* blocking mode: the read callback may wait inside fd_read */
    if (!ctx->read || !ask_callback(ctx))
      return false;
  }
  *nbytes = held(ctx);
  *hangup = *nbytes == 0 && ctx->in.eof;
  return true;
}
