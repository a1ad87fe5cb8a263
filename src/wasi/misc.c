/*
 * wasi/misc.c: the WASI host functions that are not about descriptors: arguments
 * and environment (copied from the configuration), clocks, randomness, poll_oneoff
 * (clock subscriptions sleep through the embedder's callback or nanosleep; stdio
 * subscriptions are always ready), proc_exit, proc_raise and sched_yield.
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

enum { CLOCK_ID_REALTIME = 0, CLOCK_ID_MONOTONIC = 1, CLOCK_ID_PROCESS = 2, CLOCK_ID_THREAD = 3 };

static int host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case CLOCK_ID_REALTIME: *out = CLOCK_REALTIME; return 0;
  case CLOCK_ID_MONOTONIC: *out = CLOCK_MONOTONIC; return 0;
  case CLOCK_ID_PROCESS: *out = CLOCK_PROCESS_CPUTIME_ID; return 0;
  case CLOCK_ID_THREAD: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
  default: return TRW_EINVAL;
  }
}

/* Nanoseconds as a WASI timestamp (u64; a time before 1970 reads as 0). */
static uint64_t ts_ns(const struct timespec *ts) {
  if (ts->tv_sec < 0)
    return 0;
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static uint64_t now_ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0)
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

/* ---- poll_oneoff --------------------------------------------------------------------------- */

enum { SUB_CLOCK = 0, SUB_FD_READ = 1, SUB_FD_WRITE = 2 };
enum { SUB_SIZE = 48, EVENT_SIZE = 32, SUBCLOCK_ABSTIME = 1, EVENT_HANGUP = 1 };

/* One subscription, decoded against the call's start time `start` (monotonic ns): its
 * deadline if it is a clock (relative timeouts count from the start of the call), and
 * whether it is ready at the start.
 * Layout in guest memory: userdata u64 @0, tag u8 @8, then at @16 either a clock (id u32
 * @16, timeout u64 @24, precision u64 @32, flags u16 @40) or an fd (u32 @16). */
typedef struct sub {
  uint64_t userdata;
  uint8_t tag;
  uint16_t error;
  bool ready;
  uint64_t deadline; /* clocks without error: monotonic ns */
  uint64_t nbytes;
  uint16_t rwflags;
} sub;

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static int sub_decode(const trW_call *wc, const uint8_t raw[SUB_SIZE], uint64_t start,
                      sub *s) {
  memset(s, 0, sizeof *s);
  s->userdata = trW_get64(raw);
  s->tag = raw[8];
  if (s->tag == SUB_CLOCK) {
    uint32_t id = trW_get32(raw + 16);
    uint64_t timeout = trW_get64(raw + 24);
    bool absolute = (raw[40] | raw[41] << 8) & SUBCLOCK_ABSTIME;
    if (id == CLOCK_ID_REALTIME || id == CLOCK_ID_MONOTONIC) {
      if (absolute) {
        /* An absolute time on either clock becomes a delay from now, then a deadline
         * on the monotonic clock (which sleeping is measured against). */
        uint64_t cur = id == CLOCK_ID_REALTIME ? now_ns(CLOCK_REALTIME) : start;
        timeout = timeout > cur ? timeout - cur : 0;
      }
      s->deadline = sat_add(start, timeout);
      s->ready = s->deadline <= start;
    } else {
      s->error = id == CLOCK_ID_PROCESS || id == CLOCK_ID_THREAD ? TRW_ENOTSUP
                                                                  : TRW_EINVAL;
      s->ready = true;
    }
    return 0;
  }
  if (s->tag != SUB_FD_READ && s->tag != SUB_FD_WRITE)
    return TRW_EINVAL;
  /* stdio never blocks from the guest's point of view: output is taken at once, and
   * input is either configured bytes (nbytes known, HANGUP at the end) or a callback
   * that may wait inside fd_read. */
  troupe_wasi_ctx *ctx = wc->ctx;
  trW_fd *f = trW_fd_get(ctx, trW_get32(raw + 16));
  uint64_t need = s->tag == SUB_FD_READ ? TRW_RIGHT_FD_READ : TRW_RIGHT_FD_WRITE;
  s->ready = true;
  if (!f || !(f->rights_base & need)) {
    s->error = TRW_EBADF;
  } else if (s->tag == SUB_FD_READ && !ctx->read) {
    s->nbytes = ctx->stdin_len - ctx->stdin_pos;
    if (s->nbytes == 0)
      s->rwflags = EVENT_HANGUP;
  }
  return 0;
}

static int sleep_ns(troupe_wasi_ctx *ctx, uint64_t ns) {
  if (ctx->sleep)
    return ctx->sleep(ctx->user, ns) ? TRW_EINTR : 0;
  struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
  struct timespec rem;
  while (nanosleep(&ts, &rem) != 0) {
    if (errno != EINTR)
      return TRW_EINVAL;
    ts = rem;
  }
  return 0;
}

int trW_poll_oneoff(trW_call *wc, const troupe_wasm_val *args) {
  uint32_t in = trW_u32(args, 0), out = trW_u32(args, 1);
  uint32_t nsubs = trW_u32(args, 2), nevents_ptr = trW_u32(args, 3);
  if (nsubs == 0)
    return TRW_EINVAL;
  if (trW_check_range(wc, in, (uint64_t)nsubs * SUB_SIZE) ||
      trW_check_range(wc, out, (uint64_t)nsubs * EVENT_SIZE) ||
      trW_check_range(wc, nevents_ptr, 4))
    return TRW_EFAULT;

  /* Pass 1: is anything ready now? If not, every subscription is a clock: sleep until
   * the earliest deadline. */
  const uint64_t start = now_ns(CLOCK_MONOTONIC);
  uint64_t now = start, earliest = UINT64_MAX;
  bool any_ready = false;
  uint8_t raw[SUB_SIZE];
  sub s;
  for (uint32_t i = 0; i < nsubs; i++) {
    int e = trW_read(wc, (uint64_t)in + (uint64_t)i * SUB_SIZE, raw, SUB_SIZE);
    if (!e)
      e = sub_decode(wc, raw, start, &s);
    if (e)
      return e;
    any_ready |= s.ready;
    if (s.tag == SUB_CLOCK && !s.error && s.deadline < earliest)
      earliest = s.deadline;
  }
  if (!any_ready) {
    int e = sleep_ns(wc->ctx, earliest - start);
    if (e)
      return e;
    /* The earliest deadline has passed by definition, even if the sleep callback does
     * not really wait (a test, a simulated clock). */
    now = TR_MAX(now_ns(CLOCK_MONOTONIC), earliest);
  }

  /* Pass 2: one event per subscription that is ready now. */
  uint32_t nevents = 0;
  for (uint32_t i = 0; i < nsubs; i++) {
    int e = trW_read(wc, (uint64_t)in + (uint64_t)i * SUB_SIZE, raw, SUB_SIZE);
    if (!e)
      e = sub_decode(wc, raw, start, &s);
    if (e)
      return e;
    if (s.tag == SUB_CLOCK && !s.error)
      s.ready = s.deadline <= now;
    if (!s.ready)
      continue;
    /* userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24 */
    uint8_t ev[EVENT_SIZE] = {0};
    trW_le64(ev, s.userdata);
    trW_le16(ev + 8, s.error);
    ev[10] = s.tag;
    trW_le64(ev + 16, s.nbytes);
    trW_le16(ev + 24, s.rwflags);
    if (trW_write(wc, (uint64_t)out + (uint64_t)nevents * EVENT_SIZE, ev, sizeof ev))
      return TRW_EFAULT;
    nevents++;
  }
  return trW_put_u32(wc, nevents_ptr, nevents);
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
