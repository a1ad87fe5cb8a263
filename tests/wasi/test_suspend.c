/*
 * tests/wasi/test_suspend.c: suspending mode (cfg.suspend_blocking) call by call,
 * through the trampoline module of wasi_fixture.h: a call that would wait suspends the
 * instance instead, troupe_wasi_pending says what it waits for, troupe_wasi_complete_*
 * writes what the guest sees and gives the result that troupe_wasm_resume takes -- and
 * every preview-1 rule of the blocking mode still holds. Also: locating the context
 * with ctx_of (troupe_wasi_define_shared) while the instance's user pointer is the
 * embedder's. Whole C programs driven this way: test_suspend_programs.c.
 */
#include "wasi_fixture.h"

#include <time.h>

#define HOUR (UINT64_C(3600) * 1000000000u)
#define MS(n) (UINT64_C(n) * 1000000u)

/* A call that must suspend in WASI. */
static void wcall_suspends(fx *f, const char *fname, ...) {
  troupe_wasm_val res;
  va_list ap;
  va_start(ap, fname);
  int rc = wcall_va(f, fname, &res, ap);
  va_end(ap);
  assert_int_equal(rc, TROUPE_E_SUSPENDED);
  assert_int_equal(troupe_wasm_instance_state(f->inst), TROUPE_WASM_SUSPENDED_HOST);
}

/* Resume the trampoline with the completion's result: its errno as the call's result. */
static int32_t resume(fx *f, troupe_wasm_val result) {
  troupe_wasm_val out = {0};
  troupe_wasm_trap trap;
  troupe_err err;
  int rc = troupe_wasm_resume(f->inst, &result, 1, &out, 1, NULL, &trap, &err);
  if (rc != TROUPE_OK)
    fail_msg("resume: %s", err.msg);
  assert_int_equal(troupe_wasm_instance_state(f->inst), TROUPE_WASM_IDLE);
  assert_int_equal(out.of.i32, result.of.i32);
  return out.of.i32;
}

static void fx_suspending(fx *f, troupe_wasi_config cfg) {
  cfg.suspend_blocking = true;
  fx_open(f, cfg);
}

static troupe_wasi_wait pending(fx *f, troupe_wasi_wait_kind want) {
  troupe_wasi_wait w;
  assert_int_equal(troupe_wasi_pending(f->ctx, &w), want);
  assert_int_equal(w.kind, want);
  return w;
}

/* The event at index i of the events array at `out`: userdata, error, type, nbytes,
 * flags. */
typedef struct event {
  uint64_t userdata, nbytes;
  uint16_t error, flags;
  uint8_t type;
} event;

static event event_at(fx *f, uint32_t out, uint32_t i) {
  uint8_t ev[32];
  assert_int_equal(troupe_wasm_memory_read(f->inst, out + 32 * i, ev, sizeof ev), TROUPE_OK);
  return (event){.userdata = trW_get64(ev), .error = (uint16_t)(ev[8] | ev[9] << 8),
                 .type = ev[10], .nbytes = trW_get64(ev + 16),
                 .flags = (uint16_t)(ev[24] | ev[25] << 8)};
}

/* Really wait (at least) ms milliseconds: a completion that comes late. */
static void nap_ms(long ms) {
  struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* ---- sleeping ------------------------------------------------------------------------ */

static void test_sleep_suspends(void **state) {
  (void)state;
  fx f;
  fx_suspending(&f, (troupe_wasi_config){0});
  assert_int_equal(troupe_wasi_pending(f.ctx, NULL), TROUPE_WASI_WAIT_NONE);
  mem_u32(&f, 64, 0xdead);
  sub_clock(&f, 1000, 0xabc, 1, MS(5), 0);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 1, 64);
  troupe_wasi_wait w = pending(&f, TROUPE_WASI_WAIT_SLEEP);
  assert_true(w.has_deadline);
  assert_int_equal(w.timeout, MS(5)); /* the delay asked for, exactly */
  assert_int_equal(w.fd, -1);
  assert_int_equal(f.cap.sleeps, 0); /* the sleep callback is not for this mode */
  assert_int_equal(get_u32(&f, 64), 0xdead); /* nothing written while it waits */

  troupe_wasm_val r;
  troupe_err err;
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "x", 1, &r, &err), TROUPE_E_STATE);
  assert_int_equal(troupe_wasi_complete_sleep(f.ctx, f.inst, &r, &err), TROUPE_OK);
  assert_int_equal(troupe_wasi_pending(f.ctx, NULL), TROUPE_WASI_WAIT_NONE);
  assert_int_equal(r.type, TROUPE_WASM_I32);
  assert_int_equal(get_u32(&f, 64), 1); /* the completion wrote the event */
  event e = event_at(&f, 2000, 0);
  assert_int_equal(e.userdata, 0xabc);
  assert_int_equal(e.error, 0);
  assert_int_equal(e.type, 0);
  assert_int_equal(resume(&f, r), 0);
  /* completed once: a second completion has nothing to complete */
  assert_int_equal(troupe_wasi_complete_sleep(f.ctx, f.inst, &r, &err), TROUPE_E_STATE);
  fx_close(&f);
}

/* Several clocks: the earliest decides the deadline and alone fires; what is ready at
 * the start (a past absolute time, a CPU clock's error) returns at once, as in the
 * blocking mode. */
static void test_sleep_clocks(void **state) {
  (void)state;
  fx f;
  fx_suspending(&f, (troupe_wasi_config){0});
  sub_clock(&f, 1000, 1, 1, MS(7), 0);
  sub_clock(&f, 1048, 2, 0, HOUR, 0);
  sub_clock(&f, 1096, 3, 1, MS(3), 0);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 3, 64);
  assert_int_equal(pending(&f, TROUPE_WASI_WAIT_SLEEP).timeout, MS(3));
  troupe_wasm_val r;
  assert_int_equal(troupe_wasi_complete_sleep(f.ctx, f.inst, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(get_u32(&f, 64), 1);
  assert_int_equal(event_at(&f, 2000, 0).userdata, 3);

  sub_clock(&f, 1000, 4, 1, 1, 1); /* absolute, long past */
  sub_clock(&f, 1048, 5, 1, HOUR, 0);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 2, 64), 0);
  assert_int_equal(get_u32(&f, 64), 1);
  assert_int_equal(event_at(&f, 2000, 0).userdata, 4);
  sub_clock(&f, 1000, 6, 2, HOUR, 0);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 2, 64), 0);
  assert_int_equal(event_at(&f, 2000, 0).error, TRW_ENOTSUP);
  assert_int_equal(troupe_wasi_pending(f.ctx, NULL), TROUPE_WASI_WAIT_NONE);

  /* an absolute realtime deadline an hour ahead is a wait of (at most) an hour */
  uint64_t now = trW_clock_now(TRW_CLOCK_REALTIME);
  sub_clock(&f, 1000, 7, 0, now + HOUR, 1);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 1, 64);
  troupe_wasi_wait w = pending(&f, TROUPE_WASI_WAIT_SLEEP);
  assert_true(w.timeout <= HOUR && w.timeout > HOUR / 2);
  assert_int_equal(troupe_wasi_complete_error(f.ctx, f.inst, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), TRW_EINTR); /* as a sleep callback's failure */
  fx_close(&f);
}

/* ---- reading ------------------------------------------------------------------------- */

static void test_read_suspends(void **state) {
  (void)state;
  fx f;
  fx_suspending(&f, (troupe_wasi_config){0});
  iovec(&f, 100, 1000, 4);
  iovec(&f, 108, 2000, 100);
  mem_u32(&f, 200, 0xdead);
  wcall_suspends(&f, "fd_read", 0, 100, 2, 200);
  troupe_wasi_wait w = pending(&f, TROUPE_WASI_WAIT_READ);
  assert_int_equal(w.fd, 0);
  assert_int_equal(w.nbytes, 104);
  assert_false(w.has_deadline);
  assert_int_equal(get_u32(&f, 200), 0xdead);

  troupe_wasm_val r;
  troupe_err err;
  assert_int_equal(troupe_wasi_complete_sleep(f.ctx, f.inst, &r, &err), TROUPE_E_STATE);
  assert_non_null(strstr(err.msg, "a read"));
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "hello world", 11, &r, &err),
                   TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(get_u32(&f, 200), 11);
  char got[12] = {0};
  assert_int_equal(troupe_wasm_memory_read(f.inst, 1000, got, 4), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_read(f.inst, 2000, got + 4, 7), TROUPE_OK);
  assert_string_equal(got, "hello world");

  /* a zero-length read returns at once; a read of stdout is EBADF, no wait */
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 0, 200), 0);
  assert_int_equal(get_u32(&f, 200), 0);
  assert_int_equal(wcall(&f, "fd_read", 1, 100, 1, 200), TRW_EBADF);
  assert_int_equal(troupe_wasi_pending(f.ctx, NULL), TROUPE_WASI_WAIT_NONE);
  fx_close(&f);
}

/* More input than the buffers take is kept: the next reads get it without waiting,
 * then the read waits again; the end of input is sticky. */
static void test_read_in_pieces(void **state) {
  (void)state;
  fx f;
  fx_suspending(&f, (troupe_wasi_config){0});
  iovec(&f, 100, 1000, 4);
  wcall_suspends(&f, "fd_read", 0, 100, 1, 200);
  assert_int_equal(pending(&f, TROUPE_WASI_WAIT_READ).nbytes, 4);
  troupe_wasm_val r;
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "0123456789", 10, &r, NULL),
                   TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  char got[5] = {0};
  const char *want[] = {"0123", "4567", "89"};
  for (int i = 0; i < 3; i++) {
    if (i > 0)
      assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
    assert_int_equal(get_u32(&f, 200), strlen(want[i]));
    memset(got, 0, sizeof got);
    assert_int_equal(troupe_wasm_memory_read(f.inst, 1000, got, strlen(want[i])), TROUPE_OK);
    assert_string_equal(got, want[i]);
  }
  wcall_suspends(&f, "fd_read", 0, 100, 1, 200);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, NULL, 0, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(get_u32(&f, 200), 0);
  mem_u32(&f, 200, 0xdead);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 0);
  fx_close(&f);
}

/* A read callback that has input sometimes: WOULD_BLOCK suspends in suspending mode;
 * in blocking mode the same answer is EAGAIN. Configured bytes never wait. */
typedef struct trickle {
  const char *queue[4];
  int next;
  int calls;
} trickle;

static int64_t trickle_read(void *user, void *buf, size_t len) {
  trickle *t = user;
  t->calls++;
  const char *s = t->queue[t->next];
  if (!s)
    return TROUPE_WASI_WOULD_BLOCK;
  t->next++;
  size_t n = TR_MIN(len, strlen(s));
  memcpy(buf, s, n);
  return (int64_t)n;
}

static void open_trickle(fx *f, trickle *t, bool suspending) {
  troupe_err err;
  troupe_wasm_instance_free(f->inst);
  troupe_wasi_ctx_free(f->ctx);
  troupe_wasi_config cfg = {.read = trickle_read, .user = t, .suspend_blocking = suspending};
  assert_int_equal(troupe_wasi_ctx_new(&cfg, &f->ctx, &err), TROUPE_OK);
  troupe_wasm_linker_free(f->linker);
  f->linker = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasi_define(f->ctx, f->linker, &err), TROUPE_OK);
  assert_int_equal(troupe_wasm_instantiate(f->mod, f->linker, NULL, &f->inst, NULL, &err),
                   TROUPE_OK);
}

static void test_read_callback_would_block(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  trickle t = {.queue = {"ab"}};
  open_trickle(&f, &t, true);
  iovec(&f, 100, 1000, 16);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 2);
  wcall_suspends(&f, "fd_read", 0, 100, 1, 200);
  assert_int_equal(pending(&f, TROUPE_WASI_WAIT_READ).nbytes, 16);
  troupe_wasm_val r;
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "cde", 3, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(get_u32(&f, 200), 3);
  char got[4] = {0};
  assert_int_equal(troupe_wasm_memory_read(f.inst, 1000, got, 3), TROUPE_OK);
  assert_string_equal(got, "cde");
  assert_int_equal(t.calls, 2); /* the completion did not ask the callback again */

  t = (trickle){0};
  open_trickle(&f, &t, false);
  iovec(&f, 100, 1000, 16);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), TRW_EAGAIN);
  assert_int_equal(troupe_wasi_pending(f.ctx, NULL), TROUPE_WASI_WAIT_NONE);
  fx_close(&f);

  fx_suspending(&f, (troupe_wasi_config){.stdin_data = (const uint8_t *)"xy", .stdin_len = 2});
  iovec(&f, 100, 1000, 16);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 2);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 0);
  fx_close(&f);
}

/* ---- poll on stdin and a clock ---------------------------------------------------------- */

static void test_poll_stdin_and_clock(void **state) {
  (void)state;
  fx f;
  fx_suspending(&f, (troupe_wasi_config){0});
  troupe_wasm_val r;
  sub_clock(&f, 1000, 1, 1, MS(250), 0);
  sub_fd(&f, 1048, 2, 1, 0);
  /* the timer comes first: only the clock has an event */
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 2, 64);
  troupe_wasi_wait w = pending(&f, TROUPE_WASI_WAIT_POLL);
  assert_true(w.has_deadline);
  assert_int_equal(w.timeout, MS(250));
  assert_int_equal(w.fd, 0);
  assert_int_equal(troupe_wasi_complete_sleep(f.ctx, f.inst, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(get_u32(&f, 64), 1);
  assert_int_equal(event_at(&f, 2000, 0).userdata, 1);

  /* input comes first: only stdin has an event, with the bytes there; a poll does not
   * consume them */
  sub_clock(&f, 1000, 1, 1, HOUR, 0);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 2, 64);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "abc", 3, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(get_u32(&f, 64), 1);
  event e = event_at(&f, 2000, 0);
  assert_int_equal(e.userdata, 2);
  assert_int_equal(e.type, 1);
  assert_int_equal(e.nbytes, 3);
  assert_int_equal(e.flags, 0);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 2, 64), 0);
  assert_int_equal(event_at(&f, 2000, 0).nbytes, 3);
  iovec(&f, 100, 3000, 2);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 2);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 2, 64), 0);
  assert_int_equal(event_at(&f, 2000, 0).nbytes, 1);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);

  /* A completed poll is one call from its start: clocks due by the completion fire,
   * however late it comes (really waited here: 3 ms past both deadlines) */
  sub_clock(&f, 1000, 1, 1, MS(1), 0);
  sub_fd(&f, 1048, 2, 1, 0);
  sub_clock(&f, 1096, 3, 1, MS(2), 0);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 3, 64);
  assert_int_equal(pending(&f, TROUPE_WASI_WAIT_POLL).timeout, MS(1));
  nap_ms(5);
  assert_int_equal(troupe_wasi_complete_sleep(f.ctx, f.inst, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(get_u32(&f, 64), 2);
  assert_int_equal(event_at(&f, 2000, 0).userdata, 1);
  assert_int_equal(event_at(&f, 2000, 1).userdata, 3);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 3, 64);
  nap_ms(5);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "z", 1, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(get_u32(&f, 64), 3); /* the input and both clocks */
  assert_int_equal(event_at(&f, 2000, 1).userdata, 2);
  assert_int_equal(event_at(&f, 2000, 2).userdata, 3);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);

  /* stdin alone, no deadline: no timer can complete it; its end is a HANGUP event */
  wcall_suspends(&f, "poll_oneoff", 1048, 2000, 1, 64);
  w = pending(&f, TROUPE_WASI_WAIT_POLL);
  assert_false(w.has_deadline);
  assert_int_equal(troupe_wasi_complete_sleep(f.ctx, f.inst, &r, NULL), TROUPE_E_STATE);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, NULL, 0, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  e = event_at(&f, 2000, 0);
  assert_int_equal(e.userdata, 2);
  assert_int_equal(e.nbytes, 0);
  assert_int_equal(e.flags, 1);
  fx_close(&f);
}

/* Stdout is always ready, so a poll on it and a clock never waits; a read callback is
 * asked whether input is there, and what it gives is kept for the read. */
static void test_poll_ready_at_once(void **state) {
  (void)state;
  fx f;
  fx_suspending(&f, (troupe_wasi_config){0});
  sub_clock(&f, 1000, 1, 1, HOUR, 0);
  sub_fd(&f, 1048, 2, 2, 1);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 2, 64), 0);
  assert_int_equal(get_u32(&f, 64), 1);
  assert_int_equal(event_at(&f, 2000, 0).userdata, 2);

  trickle t = {.queue = {NULL, "pq"}};
  open_trickle(&f, &t, true);
  sub_clock(&f, 1000, 1, 1, HOUR, 0);
  sub_fd(&f, 1048, 2, 1, 0);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 2, 64); /* the callback would block */
  assert_int_equal(t.calls, 1);
  troupe_wasm_val r;
  assert_int_equal(troupe_wasi_complete_error(f.ctx, f.inst, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), TRW_EINTR);
  t.next = 1;
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 2, 64), 0);
  assert_int_equal(event_at(&f, 2000, 0).nbytes, 2);
  iovec(&f, 100, 3000, 8);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 2);
  assert_int_equal(t.calls, 2);
  fx_close(&f);
}

/* ---- completion errors, abandoned waits ---------------------------------------------- */

static void test_complete_refusals(void **state) {
  (void)state;
  fx f;
  fx_suspending(&f, (troupe_wasi_config){0});
  troupe_wasm_val r;
  troupe_err err;
  iovec(&f, 100, 1000, 4);
  wcall_suspends(&f, "fd_read", 0, 100, 1, 200);
  assert_int_equal(troupe_wasi_complete_read(NULL, f.inst, "a", 1, &r, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, NULL, "a", 1, &r, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "a", 1, NULL, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, NULL, 1, &r, &err), TROUPE_E_INVAL);

  /* another instance of the same context is not the one waiting */
  troupe_wasm_instance *other;
  assert_int_equal(troupe_wasm_instantiate(f.mod, f.linker, NULL, &other, NULL, &err), TROUPE_OK);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, other, "a", 1, &r, &err), TROUPE_E_STATE);
  troupe_wasm_instance_free(other);

  /* out of memory keeping the input: nothing changes, the wait stays */
  trB_alloc_fail_after(0);
  int rc = troupe_wasi_complete_read(f.ctx, f.inst, "abcdef", 6, &r, &err);
  trB_alloc_fail_after(-1);
  assert_int_equal(rc, TROUPE_E_NOMEM);
  assert_int_equal(pending(&f, TROUPE_WASI_WAIT_READ).nbytes, 4);
  assert_int_equal(troupe_wasi_complete_error(f.ctx, f.inst, &r, &err), TROUPE_OK);
  assert_int_equal(resume(&f, r), TRW_EIO);

  /* an aborted wait cannot be completed; the next wait replaces it */
  wcall_suspends(&f, "fd_read", 0, 100, 1, 200);
  troupe_wasm_abort(f.inst);
  assert_int_equal(troupe_wasi_pending(f.ctx, NULL), TROUPE_WASI_WAIT_READ);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "a", 1, &r, &err), TROUPE_E_STATE);
  assert_non_null(strstr(err.msg, "not suspended in fd_read"));
  sub_clock(&f, 1000, 1, 1, MS(1), 0);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 1, 64);
  assert_int_equal(troupe_wasi_pending(f.ctx, NULL), TROUPE_WASI_WAIT_SLEEP);
  assert_int_equal(troupe_wasi_complete_sleep(f.ctx, f.inst, &r, &err), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  assert_int_equal(troupe_wasi_pending(NULL, NULL), TROUPE_WASI_WAIT_NONE);
  fx_close(&f);
}

/* Freed while suspended, with input kept in the context: nothing leaks (ASan). */
static void test_abandoned_while_suspended(void **state) {
  (void)state;
  fx f;
  fx_suspending(&f, (troupe_wasi_config){0});
  troupe_wasm_val r;
  sub_fd(&f, 1000, 2, 1, 0);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 1, 64);
  assert_int_equal(troupe_wasi_complete_read(f.ctx, f.inst, "kept", 4, &r, NULL), TROUPE_OK);
  assert_int_equal(resume(&f, r), 0);
  sub_clock(&f, 1000, 1, 1, HOUR, 0);
  wcall_suspends(&f, "poll_oneoff", 1000, 2000, 1, 64);
  troupe_wasm_instance_free(f.inst);
  f.inst = NULL;
  assert_int_equal(troupe_wasi_pending(f.ctx, NULL), TROUPE_WASI_WAIT_SLEEP);
  fx_close(&f);
}

/* ---- shared linkers: the embedder's locator -------------------------------------------- */

/* What a component layer hangs on an instance's user pointer: its own structure, which
 * holds the WASI context among other things. */
typedef struct component {
  uint32_t tag;
  troupe_wasi_ctx *wasi;
  int lookups;
} component;

static troupe_wasi_ctx *component_wasi(troupe_wasm_instance *inst, void *user) {
  component *c = troupe_wasm_instance_user(inst);
  (*(int *)user)++;
  if (!c)
    return NULL;
  c->lookups++;
  return c->wasi;
}

static void test_shared_locator(void **state) {
  (void)state;
  troupe_err err;
  int lookups = 0;
  const troupe_wasi_locator how = {.ctx_of = component_wasi, .user = &lookups};
  troupe_wasm_module *m = shared_module();
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasi_define_shared(NULL, &how, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasi_define_shared(l, NULL, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasi_define_shared(l, &(troupe_wasi_locator){0}, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasi_define_shared(l, &how, &err), TROUPE_OK);

  const char *a1[] = {"first"}, *a2[] = {"second", "x"};
  component c1 = {.tag = 0xc1}, c2 = {.tag = 0xc2};
  troupe_wasi_config cfg1 = {.argc = 1, .argv = a1, .suspend_blocking = true};
  assert_int_equal(troupe_wasi_ctx_new(&cfg1, &c1.wasi, &err), TROUPE_OK);
  assert_int_equal(troupe_wasi_ctx_new(&(troupe_wasi_config){.argc = 2, .argv = a2}, &c2.wasi,
                                       &err), TROUPE_OK);
  fx f1 = {.mod = m, .ctx = c1.wasi}, f2 = {.mod = m, .ctx = c2.wasi}, f3 = {.mod = m};
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &f1.inst, NULL, &err), TROUPE_OK);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &f2.inst, NULL, &err), TROUPE_OK);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &f3.inst, NULL, &err), TROUPE_OK);
  troupe_wasm_instance_set_user(f1.inst, &c1);
  troupe_wasm_instance_set_user(f2.inst, &c2);
  assert_int_equal(wcall(&f1, "args_sizes_get", 64, 68), 0);
  assert_int_equal(wcall(&f2, "args_sizes_get", 64, 68), 0);
  assert_int_equal(get_u32(&f1, 64), 1);
  assert_int_equal(get_u32(&f2, 64), 2);
  assert_int_equal(c1.lookups, 1);
  assert_int_equal(c2.lookups, 1);

  /* suspending through the locator: the wait is recorded in the located context */
  iovec(&f1, 100, 1000, 8);
  wcall_suspends(&f1, "fd_read", 0, 100, 1, 200);
  assert_int_equal(troupe_wasi_pending(c1.wasi, NULL), TROUPE_WASI_WAIT_READ);
  assert_int_equal(troupe_wasi_pending(c2.wasi, NULL), TROUPE_WASI_WAIT_NONE);
  troupe_wasm_val r;
  assert_int_equal(troupe_wasi_complete_read(c1.wasi, f1.inst, "in", 2, &r, &err), TROUPE_OK);
  assert_int_equal(resume(&f1, r), 0);
  assert_int_equal(get_u32(&f1, 200), 2);

  /* the user pointers are still the embedder's */
  assert_ptr_equal(troupe_wasm_instance_user(f1.inst), &c1);
  assert_ptr_equal(troupe_wasm_instance_user(f2.inst), &c2);
  assert_int_equal(c1.tag, 0xc1);

  /* no component on f3: the locator answers NULL, the call traps */
  troupe_wasm_val args[2] = {TROUPE_WASM_VAL_I32(64), TROUPE_WASM_VAL_I32(68)}, res[1];
  troupe_wasm_trap trap;
  assert_int_equal(troupe_wasm_call(f3.inst, "args_sizes_get", args, 2, res, 1, NULL, &trap, &err),
                   TROUPE_E_TRAP);
  assert_int_equal(trap.kind, TROUPE_WASM_TRAP_HOST);
  assert_int_equal(lookups, 4);

  troupe_wasm_instance_free(f1.inst);
  troupe_wasm_instance_free(f2.inst);
  troupe_wasm_instance_free(f3.inst);
  troupe_wasi_ctx_free(c1.wasi);
  troupe_wasi_ctx_free(c2.wasi);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sleep_suspends),
      cmocka_unit_test(test_sleep_clocks),
      cmocka_unit_test(test_read_suspends),
      cmocka_unit_test(test_read_in_pieces),
      cmocka_unit_test(test_read_callback_would_block),
      cmocka_unit_test(test_poll_stdin_and_clock),
      cmocka_unit_test(test_poll_ready_at_once),
      cmocka_unit_test(test_complete_refusals),
      cmocka_unit_test(test_abandoned_while_suspended),
      cmocka_unit_test(test_shared_locator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
