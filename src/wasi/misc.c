/*
 * wasi/misc.c: the WASI host functions that are not about descriptors or waiting:
 * arguments and environment (copied from the configuration), clocks (also what
 * poll_oneoff in poll.c measures deadlines with), randomness, proc_exit, proc_raise and
 * sched_yield.
 */
#include "wasi/wasi.h"

#include <errno.h>
#include <sys/random.h>
#include <time.h>

/* ---- args and environ ------------------------------------------------------------------ */

static int strings_sizes(const trW_call *wc, const trW_strings *s,
                         const troupe_wasm_val *args) {
  int e = trW_put_u32(wc, trW_u32(args, 0), (uint32_t)s->count);
  return e ? e : trW_put_u32(wc, trW_u32(args, 1), s->blob_len);
}

/* The strings go to buf, and a pointer to each to ptrs[i]. Both ranges are checked
 * first; buf + blob_len fits in the 32-bit memory, so every pointer fits in a u32. */
static int strings_get(const trW_call *wc, const trW_strings *s,
                       const troupe_wasm_val *args) {
  uint32_t ptrs = trW_u32(args, 0), buf = trW_u32(args, 1);
  if (trW_check_range(wc, ptrs, (uint64_t)s->count * 4) ||
      trW_check_range(wc, buf, s->blob_len))
    return TRW_EFAULT;
  if (s->blob_len && trW_write(wc, buf, s->blob, s->blob_len))
    return TRW_EFAULT;
  uint8_t tmp[256 * 4];
  for (size_t i = 0; i < s->count;) {
    size_t n = TR_MIN(s->count - i, (size_t)256);
    for (size_t j = 0; j < n; j++)
      trW_le32(tmp + 4 * j, buf + s->offsets[i + j]);
    if (trW_write(wc, (uint64_t)ptrs + 4 * i, tmp, 4 * n))
      return TRW_EFAULT;
    i += n;
  }
  return 0;
}

int trW_args_sizes_get(trW_call *wc, const troupe_wasm_val *args) {
  return strings_sizes(wc, &wc->ctx->args, args);
}
int trW_args_get(trW_call *wc, const troupe_wasm_val *args) {
  return strings_get(wc, &wc->ctx->args, args);
}
int trW_environ_sizes_get(trW_call *wc, const troupe_wasm_val *args) {
  return strings_sizes(wc, &wc->ctx->env, args);
}
int trW_environ_get(trW_call *wc, const troupe_wasm_val *args) {
  return strings_get(wc, &wc->ctx->env, args);
}

/* ---- clocks ---------------------------------------------------------------------------- */

static int host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case TRW_CLOCK_REALTIME: *out = CLOCK_REALTIME; return 0;
  case TRW_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return 0;
  case TRW_CLOCK_PROCESS: *out = CLOCK_PROCESS_CPUTIME_ID; return 0;
  case TRW_CLOCK_THREAD: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
  default: return TRW_EINVAL;
  }
}

/* Nanoseconds as a WASI timestamp (u64; a time before 1970 reads as 0). */
static uint64_t ts_ns(const struct timespec *ts) {
  if (ts->tv_sec < 0)
    return 0;
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

uint64_t trW_clock_now(uint32_t id) {
  clockid_t c;
  struct timespec ts;
  if (host_clock(id, &c) || clock_gettime(c, &ts) != 0)
    return 0;
  return ts_ns(&ts);
}

int trW_clock_time_get(trW_call *wc, const troupe_wasm_val *args) {
  clockid_t c;
  if (host_clock(trW_u32(args, 0), &c))
    return TRW_EINVAL;
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0)
    return TRW_EINVAL;
  return trW_put_u64(wc, trW_u32(args, 2), ts_ns(&ts));
}

int trW_clock_res_get(trW_call *wc, const troupe_wasm_val *args) {
  clockid_t c;
  if (host_clock(trW_u32(args, 0), &c))
    return TRW_EINVAL;
  struct timespec ts;
  if (clock_getres(c, &ts) != 0)
    return TRW_EINVAL;
  return trW_put_u64(wc, trW_u32(args, 1), ts_ns(&ts));
}

/* ---- randomness -------------------------------------------------------------------------- */

int trW_random_get(trW_call *wc, const troupe_wasm_val *args) {
  uint32_t buf = trW_u32(args, 0), len = trW_u32(args, 1);
  if (trW_check_range(wc, buf, len))
    return TRW_EFAULT;
  uint8_t chunk[TRW_CHUNK];
  for (uint32_t at = 0; at < len;) {
    size_t n = TR_MIN((size_t)(len - at), sizeof chunk);
    ssize_t got = getrandom(chunk, n, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return TRW_EIO;
    }
    if (trW_write(wc, (uint64_t)buf + at, chunk, (size_t)got))
      return TRW_EFAULT;
    at += (uint32_t)got;
  }
  return 0;
}

/* ---- process ------------------------------------------------------------------------------- */

int trW_proc_exit(trW_call *wc, const troupe_wasm_val *args) {
  int32_t code = args[0].of.i32;
  wc->ctx->exited = true;
  wc->ctx->exit_code = code;
  return troupe_wasm_host_exit(wc->call, code);
}

/* Signals are gone from later versions of preview 1; a sandbox has none to raise. */
int trW_proc_raise(trW_call *wc, const troupe_wasm_val *args) {
  (void)wc;
  (void)args;
  return TRW_ENOSYS;
}

/* An instance runs on one thread at a time and is preempted by fuel, so there is
 * nothing to yield to inside the engine. */
int trW_sched_yield(trW_call *wc, const troupe_wasm_val *args) {
  (void)wc;
  (void)args;
  return 0;
}
