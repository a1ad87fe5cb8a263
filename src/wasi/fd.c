/*
 * wasi/fd.c: the fd_* functions of the WASI host module. A sandboxed program has
 * exactly three descriptors, stdin / stdout / stderr, backed by the embedder's read and
 * write callbacks (troupe_wasi_config; where stdin's bytes come from is input.c's
 * business); they are streams, so positioned operations answer ESPIPE, and nothing here
 * can open a new descriptor (no preopens: fd_prestat_get answers EBADF, which ends
 * libc's preopen scan). Errno choices: docs/WASI.md.
 */
#include "wasi/wasi.h"

/* ---- iovecs ------------------------------------------------------------------------- */

static uint32_t iov_buf(const trW_iovecs *l, uint32_t i) {
  return trW_get32(l->raw + 8 * i);
}
static uint32_t iov_len(const trW_iovecs *l, uint32_t i) {
  return trW_get32(l->raw + 8 * i + 4);
}

/* Load and check every iovec before any byte moves, so that a bad pointer fails the
 * whole call (EFAULT) instead of losing input or emitting half an output. */
static int iovecs_load(const trW_call *wc, uint32_t iovs, uint32_t n, trW_iovecs *l) {
  if (n > TRW_IOV_MAX)
    return TRW_EINVAL;
  l->n = n;
  l->total = 0;
  if (trW_read(wc, iovs, l->raw, (size_t)n * 8))
    return TRW_EFAULT;
  for (uint32_t i = 0; i < n; i++) {
    if (trW_check_range(wc, iov_buf(l, i), iov_len(l, i)))
      return TRW_EFAULT;
    l->total += iov_len(l, i);
  }
  /* The count of bytes moved is returned as a u32 (POSIX: EINVAL beyond SSIZE_MAX). */
  return l->total > UINT32_MAX ? TRW_EINVAL : 0;
}

int trW_scatter(const trW_call *wc, const trW_iovecs *l, const uint8_t *src, size_t n) {
  for (uint32_t i = 0; i < l->n && n > 0; i++) {
    size_t k = TR_MIN((size_t)iov_len(l, i), n);
    if (k && trW_write(wc, iov_buf(l, i), src, k))
      return TRW_EFAULT;
    src += k;
    n -= k;
  }
  return 0;
}

/* ---- read and write ------------------------------------------------------------------ */

/* Deliver the iovecs to the write callback in chunks. A failing callback makes the
 * write short if something was delivered, EIO otherwise (as write(2) does). */
static int stream_write(const trW_call *wc, int stream, const trW_iovecs *l,
                        uint32_t *written) {
  troupe_wasi_ctx *ctx = wc->ctx;
  uint8_t chunk[TRW_CHUNK];
  uint32_t done = 0;
  for (uint32_t i = 0; i < l->n; i++) {
    uint32_t buf = iov_buf(l, i), len = iov_len(l, i);
    for (uint32_t at = 0; at < len;) {
      uint32_t n = TR_MIN(len - at, TRW_CHUNK);
      if (trW_read(wc, (uint64_t)buf + at, chunk, n))
        return TRW_EFAULT;
      if (ctx->write && ctx->write(ctx->user, stream, chunk, n) != 0) {
        if (done == 0)
          return TRW_EIO;
        *written = done;
        return 0;
      }
      at += n;
      done += n;
    }
  }
  *written = done;
  return 0;
}

int trW_fd_write(trW_call *wc, const troupe_wasm_val *args) {
  trW_fd *f = trW_fd_get(wc->ctx, trW_u32(args, 0));
  if (!f || !(f->rights_base & TRW_RIGHT_FD_WRITE))
    return TRW_EBADF; /* not open, or not open for writing (stdin) */
  trW_iovecs l;
  int e = iovecs_load(wc, trW_u32(args, 1), trW_u32(args, 2), &l);
  if (!e)
    e = trW_check_range(wc, trW_u32(args, 3), 4);
  uint32_t written = 0;
  if (!e)
    e = stream_write(wc, f->stream, &l, &written);
  return e ? e : trW_put_u32(wc, trW_u32(args, 3), written);
}

/* With no input at hand in suspending mode, the call suspends with its arguments; when
 * the embedder hands input over (wait.c) the call runs again from the top -- the same
 * checks, then the input it now finds. */
int trW_fd_read(trW_call *wc, const troupe_wasm_val *args) {
  trW_fd *f = trW_fd_get(wc->ctx, trW_u32(args, 0));
  if (!f || !(f->rights_base & TRW_RIGHT_FD_READ))
    return TRW_EBADF; /* not open, or not open for reading (stdout, stderr) */
  trW_iovecs l;
  int e = iovecs_load(wc, trW_u32(args, 1), trW_u32(args, 2), &l);
  /* The result pointer is checked first too: consumed input must reach the guest. */
  if (!e)
    e = trW_check_range(wc, trW_u32(args, 3), 4);
  uint32_t nread = 0;
  bool must_wait = false;
  if (!e)
    e = trW_input_read(wc, &l, &nread, &must_wait);
  if (must_wait) {
    trW_wait w = {.pub = {.kind = TROUPE_WASI_WAIT_READ, .fd = f->stream, .nbytes = l.total}};
    trW_wait_args(&w, args);
    return trW_suspend(wc, &w, TRW_EIO);
  }
  return e ? e : trW_put_u32(wc, trW_u32(args, 3), nread);
}

/* Positioned I/O, seeking and space management make no sense on a stream. */
static int stream_only(trW_call *wc, const troupe_wasm_val *args, int err) {
  return trW_fd_get(wc->ctx, trW_u32(args, 0)) ? err : TRW_EBADF;
}

int trW_fd_pread(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_ESPIPE);
}
int trW_fd_pwrite(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_ESPIPE);
}
int trW_fd_seek(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_ESPIPE);
}
int trW_fd_tell(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_ESPIPE);
}
int trW_fd_advise(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_ESPIPE);
}
int trW_fd_allocate(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_ESPIPE);
}
/* fsync(2) and ftruncate(2) on a pipe or terminal: EINVAL. */
int trW_fd_sync(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_EINVAL);
}
int trW_fd_datasync(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_EINVAL);
}
int trW_fd_filestat_set_size(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_EINVAL);
}
/* Setting times needs FD_FILESTAT_SET_TIMES, which stdio never has. */
int trW_fd_filestat_set_times(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_ENOTCAPABLE);
}
int trW_fd_readdir(trW_call *wc, const troupe_wasm_val *args) {
  return stream_only(wc, args, TRW_ENOTDIR);
}
/* No preopened directories: EBADF for every fd is how a runtime says "no more". */
int trW_fd_prestat_get(trW_call *wc, const troupe_wasm_val *args) {
  (void)wc;
  (void)args;
  return TRW_EBADF;
}
int trW_fd_prestat_dir_name(trW_call *wc, const troupe_wasm_val *args) {
  (void)wc;
  (void)args;
  return TRW_EBADF;
}

/* ---- descriptor state ---------------------------------------------------------------- */

int trW_fd_close(trW_call *wc, const troupe_wasm_val *args) {
  trW_fd *f = trW_fd_get(wc->ctx, trW_u32(args, 0));
  if (!f)
    return TRW_EBADF;
  f->open = false;
  return 0;
}

/* Atomically make `to` refer to what `from` refers to, closing `from` (the spec's
 * semantics); both must be open. */
int trW_fd_renumber(trW_call *wc, const troupe_wasm_val *args) {
  uint32_t from = trW_u32(args, 0), to = trW_u32(args, 1);
  trW_fd *f = trW_fd_get(wc->ctx, from), *t = trW_fd_get(wc->ctx, to);
  if (!f || !t)
    return TRW_EBADF;
  if (from != to) {
    *t = *f;
    f->open = false;
  }
  return 0;
}

static uint8_t fd_filetype(const troupe_wasi_ctx *ctx, const trW_fd *f) {
  return (ctx->tty_mask >> f->stream) & 1u ? TRW_FILETYPE_CHARACTER_DEVICE
                                           : TRW_FILETYPE_UNKNOWN;
}

int trW_fd_fdstat_get(trW_call *wc, const troupe_wasm_val *args) {
  trW_fd *f = trW_fd_get(wc->ctx, trW_u32(args, 0));
  if (!f)
    return TRW_EBADF;
  uint8_t st[24] = {0}; /* filetype u8 @0, flags u16 @2, rights u64 @8, inheriting u64 @16 */
  st[0] = fd_filetype(wc->ctx, f);
  trW_le16(st + 2, f->flags);
  trW_le64(st + 8, f->rights_base);
  trW_le64(st + 16, f->rights_inheriting);
  return trW_write(wc, trW_u32(args, 1), st, sizeof st);
}

/* APPEND and NONBLOCK are recorded (a stream appends anyway, and the callbacks decide
 * whether to wait); the synchronous-I/O flags are not supported on a stream. */
int trW_fd_fdstat_set_flags(trW_call *wc, const troupe_wasm_val *args) {
  trW_fd *f = trW_fd_get(wc->ctx, trW_u32(args, 0));
  if (!f)
    return TRW_EBADF;
  uint32_t flags = trW_u32(args, 1);
  if (flags > 0xffff)
    return TRW_EINVAL;
  if (flags & ~(uint32_t)(TRW_FDFLAG_APPEND | TRW_FDFLAG_NONBLOCK))
    return TRW_ENOTSUP;
  f->flags = (uint16_t)flags;
  return 0;
}

/* Rights may only be dropped, never gained. */
int trW_fd_fdstat_set_rights(trW_call *wc, const troupe_wasm_val *args) {
  trW_fd *f = trW_fd_get(wc->ctx, trW_u32(args, 0));
  if (!f)
    return TRW_EBADF;
  uint64_t base = trW_u64(args, 1), inheriting = trW_u64(args, 2);
  if ((base & ~f->rights_base) || (inheriting & ~f->rights_inheriting))
    return TRW_ENOTCAPABLE;
  f->rights_base = base;
  f->rights_inheriting = inheriting;
  return 0;
}

int trW_fd_filestat_get(trW_call *wc, const troupe_wasm_val *args) {
  trW_fd *f = trW_fd_get(wc->ctx, trW_u32(args, 0));
  if (!f)
    return TRW_EBADF;
  if (!(f->rights_base & TRW_RIGHT_FD_FILESTAT_GET))
    return TRW_ENOTCAPABLE;
  /* dev u64 @0, ino u64 @8, filetype u8 @16, nlink u64 @24, size @32, atim/mtim/ctim */
  uint8_t st[64] = {0};
  st[16] = fd_filetype(wc->ctx, f);
  trW_le64(st + 24, 1);
  return trW_write(wc, trW_u32(args, 1), st, sizeof st);
}
