/*
 * wasi/poll.c: poll_oneoff, what sleep(), nanosleep() and poll() become. Subscriptions
 * are clocks (deadlines), stdin reads (input.c says whether input is there) and stdio
 * writes (always ready). When nothing is ready the call waits for the earliest deadline:
 * in blocking mode through the sleep callback or nanosleep, in suspending mode by
 * suspending the instance (wait.c) until the embedder completes it -- the call then runs
 * again against the time it started, so its events are those of one uninterrupted call.
 */
#include "wasi/wasi.h"

#include <errno.h>
#include <time.h>

enum { SUB_CLOCK = 0, SUB_FD_READ = 1, SUB_FD_WRITE = 2 };
enum { SUB_SIZE = 48, EVENT_SIZE = 32, SUBCLOCK_ABSTIME = 1, EVENT_HANGUP = 1 };

/* When the call started, on the monotonic clock (which deadlines are measured on) and
 * on the realtime clock (which absolute realtime timeouts are converted with). Read once
 * per call, so both passes -- and a completion much later -- decode alike. */
typedef struct poll_start {
  uint64_t mono, real;
} poll_start;

/* One subscription, decoded against the call's start: its deadline if it is a clock
 * (relative timeouts count from the start of the call), and whether it is ready.
 * Layout in guest memory: userdata u64 @0, tag u8 @8, then at @16 either a clock (id u32
 * @16, timeout u64 @24, precision u64 @32, flags u16 @40) or an fd (u32 @16). */
typedef struct sub {
  uint64_t userdata;
  uint8_t tag;
  uint16_t error;
  bool ready;
  bool waits_input; /* a read of stdin with no input yet (suspending mode) */
  uint64_t deadline; /* clocks without error: monotonic ns */
  uint64_t nbytes;
  uint16_t rwflags;
} sub;

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static void clock_decode(const uint8_t raw[SUB_SIZE], const poll_start *start, sub *s) {
  uint32_t id = trW_get32(raw + 16);
  uint64_t timeout = trW_get64(raw + 24);
  bool absolute = (raw[40] | raw[41] << 8) & SUBCLOCK_ABSTIME;
  if (id != TRW_CLOCK_REALTIME && id != TRW_CLOCK_MONOTONIC) {
    s->error = id == TRW_CLOCK_PROCESS || id == TRW_CLOCK_THREAD ? TRW_ENOTSUP : TRW_EINVAL;
    s->ready = true;
    return;
  }
  if (absolute) {
    /* An absolute time on either clock becomes a delay from the start, then a deadline
     * on the monotonic clock (which waiting is measured against). */
    uint64_t cur = id == TRW_CLOCK_REALTIME ? start->real : start->mono;
    timeout = timeout > cur ? timeout - cur : 0;
  }
  s->deadline = sat_add(start->mono, timeout);
  s->ready = s->deadline <= start->mono;
}

static int sub_decode(const trW_call *wc, const uint8_t raw[SUB_SIZE], const poll_start *start,
                      sub *s) {
  memset(s, 0, sizeof *s);
  s->userdata = trW_get64(raw);
  s->tag = raw[8];
  if (s->tag == SUB_CLOCK) {
    clock_decode(raw, start, s);
    return 0;
  }
  if (s->tag != SUB_FD_READ && s->tag != SUB_FD_WRITE)
    return TRW_EINVAL;
  /* Output never waits: it is taken at once. */
  trW_fd *f = trW_fd_get(wc->ctx, trW_get32(raw + 16));
  uint64_t need = s->tag == SUB_FD_READ ? TRW_RIGHT_FD_READ : TRW_RIGHT_FD_WRITE;
  s->ready = true;
  if (!f || !(f->rights_base & need)) {
    s->error = TRW_EBADF;
  } else if (s->tag == SUB_FD_READ) {
    bool hangup;
    s->ready = trW_input_ready(wc, &s->nbytes, &hangup);
    s->waits_input = !s->ready;
    s->rwflags = hangup ? EVENT_HANGUP : 0;
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

/* What pass 1 learnt: is anything ready, and if not, what to wait for. */
typedef struct poll_scan {
  bool any_ready, waits_input, has_deadline;
  uint64_t earliest;
} poll_scan;

/* Subscription i of the array at `in`, read and decoded. */
static int sub_at(const trW_call *wc, uint32_t in, uint32_t i, const poll_start *start, sub *s) {
  uint8_t raw[SUB_SIZE];
  int e = trW_read(wc, (uint64_t)in + (uint64_t)i * SUB_SIZE, raw, SUB_SIZE);
  return e ? e : sub_decode(wc, raw, start, s);
}

static int scan(const trW_call *wc, uint32_t in, uint32_t nsubs, const poll_start *start,
                poll_scan *ps) {
  *ps = (poll_scan){.earliest = UINT64_MAX};
  sub s;
  for (uint32_t i = 0; i < nsubs; i++) {
    int e = sub_at(wc, in, i, start, &s);
    if (e)
      return e;
    ps->any_ready |= s.ready;
    ps->waits_input |= s.waits_input;
    if (s.tag == SUB_CLOCK && !s.error) {
      ps->has_deadline = true;
      ps->earliest = TR_MIN(ps->earliest, s.deadline);
    }
  }
  return 0;
}

/* Pass 2: one event per subscription ready at `now`, and their count. */
static int write_events(const trW_call *wc, const troupe_wasm_val *args, const poll_start *start,
                        uint64_t now) {
  uint32_t in = trW_u32(args, 0), out = trW_u32(args, 1);
  uint32_t nsubs = trW_u32(args, 2), nevents_ptr = trW_u32(args, 3);
  uint32_t nevents = 0;
  sub s;
  for (uint32_t i = 0; i < nsubs; i++) {
    int e = sub_at(wc, in, i, start, &s);
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

/* Nothing ready in suspending mode: record the wait and suspend. */
static int suspend_poll(const trW_call *wc, const troupe_wasm_val *args, const poll_start *start,
                        const poll_scan *ps) {
  trW_wait w = {.start_mono = start->mono, .start_real = start->real};
  w.pub.kind = ps->waits_input ? TROUPE_WASI_WAIT_POLL : TROUPE_WASI_WAIT_SLEEP;
  w.pub.fd = ps->waits_input ? 0 : -1;
  w.pub.has_deadline = ps->has_deadline;
  if (ps->has_deadline) {
    w.pub.deadline = ps->earliest;
    w.pub.timeout = ps->earliest - start->mono;
  }
  trW_wait_args(&w, args);
  return trW_suspend(wc, &w, TRW_EINTR);
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

  /* A completed wait runs again against its own start, as one call. */
  poll_start start;
  if (wc->resumed)
    start = (poll_start){wc->resumed->start_mono, wc->resumed->start_real};
  else
    start = (poll_start){trW_clock_now(TRW_CLOCK_MONOTONIC), trW_clock_now(TRW_CLOCK_REALTIME)};
  poll_scan ps;
  int e = scan(wc, in, nsubs, &start, &ps);
  if (e)
    return e;
  uint64_t now = wc->resumed ? trW_clock_now(TRW_CLOCK_MONOTONIC) : start.mono;
  if (!ps.any_ready && !wc->resumed) {
    if (wc->ctx->suspend)
      return suspend_poll(wc, args, &start, &ps);
    /* Blocking mode: nothing is ready, so every subscription is a clock. */
    e = sleep_ns(wc->ctx, ps.earliest - start.mono);
    if (e)
      return e;
    now = TR_MAX(trW_clock_now(TRW_CLOCK_MONOTONIC), ps.earliest);
  }
  /* The earliest deadline has passed by definition once the sleep callback returned or
   * the embedder said the time has come, even if neither really waited: a simulated
   * clock. */
  if (wc->timer_fired && ps.has_deadline)
    now = TR_MAX(now, ps.earliest);
  return write_events(wc, args, &start, now);
}
