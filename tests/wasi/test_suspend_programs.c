/*
 * tests/wasi/test_suspend_programs.c: whole C programs (tests/wasi/programs/sleeper.c,
 * stdin_pieces.c, poll_stdin.c, built for wasm32-wasi by the ctest fixture
 * wasi_suspend_wasm) run twice: in the blocking mode, with all of stdin at once and a
 * sleep callback that records what it is asked; and in suspending mode the way an actor
 * would run them -- a shared linker finding the context through the embedder's own
 * structure on the instance's user pointer, short fuel slices, and at each WASI
 * suspension a driver that reads troupe_wasi_pending, feeds the next piece of stdin or
 * says the timer fired, and resumes. Both runs must print the same bytes and end with
 * the same status, and the waits must be exactly those the program makes.
 */
#include "wasi_fixture.h"

#include <pthread.h>
#include <stdio.h>

#ifndef WASI_SUSPEND_WASM_DIR
#error "WASI_SUSPEND_WASM_DIR: the folder of the programs built by the wasi_suspend_wasm fixture"
#endif

#define HOUR (UINT64_C(3600) * 1000000000u)
#define MAX_SLEEPS 16

/* ---- one run of a program ---------------------------------------------------------------- */

typedef struct run {
  bytes out[3];    /* what fds 1 and 2 wrote */
  int32_t status;  /* exit status */
  uint64_t sleeps[MAX_SLEEPS]; /* blocking: asked of the sleep callback; suspending: the
                                * timeouts of the SLEEP waits */
  int nsleeps;
  int waits[4];    /* suspending: the WASI waits seen, by troupe_wasi_wait_kind */
  int fuel_slices; /* suspending: resumptions after the fuel ran out */
} run;

static int run_write(void *user, int fd, const void *data, size_t len) {
  run *r = user;
  assert_true(fd == 1 || fd == 2);
  put(&r->out[fd], data, len);
  return 0;
}

static int run_sleep(void *user, uint64_t ns) {
  run *r = user;
  assert_true(r->nsleeps < MAX_SLEEPS);
  r->sleeps[r->nsleeps++] = ns;
  return 0;
}

static void run_free(run *r) {
  for (int i = 0; i < 3; i++)
    free(r->out[i].p);
}

static troupe_wasm_module *load(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/cli_suspend_%s.wasm", WASI_SUSPEND_WASM_DIR, name);
  FILE *fp = fopen(path, "rb");
  if (!fp)
    fail_msg("cannot open %s (built by the ctest fixture wasi_suspend_wasm)", path);
  bytes b = {0};
  uint8_t buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
    put(&b, buf, n);
  fclose(fp);
  troupe_wasm_module *m = NULL;
  troupe_err err;
  if (troupe_wasm_module_new(b.p, b.n, &m, &err) != TROUPE_OK)
    fail_msg("%s: %s", path, err.msg);
  free(b.p);
  return m;
}

/* The status of a finished _start: 0 when it returned, the code of proc_exit. */
static int32_t status_of(int rc, const troupe_wasm_trap *trap, const troupe_err *err) {
  if (rc == TROUPE_OK)
    return 0;
  if (rc == TROUPE_E_TRAP && trap->kind == TROUPE_WASM_TRAP_EXIT)
    return trap->exit_code;
  fail_msg("_start failed: %s", err->msg);
  return -1;
}

static void run_blocking(const char *name, const char *input, run *r) {
  troupe_err err;
  troupe_wasm_module *m = load(name);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  troupe_wasi_ctx *ctx;
  const char *argv[] = {name};
  troupe_wasi_config cfg = {.argc = 1, .argv = argv, .write = run_write, .sleep = run_sleep,
                            .user = r, .stdin_data = (const uint8_t *)input,
                            .stdin_len = input ? strlen(input) : 0};
  assert_int_equal(troupe_wasi_ctx_new(&cfg, &ctx, &err), TROUPE_OK);
  assert_int_equal(troupe_wasi_define(ctx, l, &err), TROUPE_OK);
  troupe_wasm_instance *inst;
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, &err), TROUPE_OK);
  troupe_wasm_trap trap = {0};
  int rc = troupe_wasm_call(inst, "_start", NULL, 0, NULL, 0, NULL, &trap, &err);
  r->status = status_of(rc, &trap, &err);
  troupe_wasm_instance_free(inst);
  troupe_wasi_ctx_free(ctx);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

/* ---- the suspending driver ---------------------------------------------------------------- */

/* What an actor would hang on its instance: its own structure, the context inside. */
typedef struct component {
  troupe_wasi_ctx *wasi;
  run *r;
  const char *const *pieces; /* stdin, piece by piece (NULL-terminated); then its end */
  const char *script;        /* at each POLL wait: 'T' the timer fires first, else input */
  size_t next_piece, next_step;
} component;

static troupe_wasi_ctx *component_wasi(troupe_wasm_instance *inst, void *user) {
  (void)user;
  component *c = troupe_wasm_instance_user(inst);
  return c ? c->wasi : NULL;
}

static const troupe_wasi_locator by_component = {.ctx_of = component_wasi};

/* What to complete a wait with: the timer, or a piece of input (NULL: its end). */
typedef struct action {
  bool timer;
  const char *piece;
} action;

static action next_input(component *c) {
  const char *piece = c->pieces ? c->pieces[c->next_piece] : NULL;
  if (piece)
    c->next_piece++;
  return (action){.piece = piece};
}

/* One WASI wait: check what it is and choose how to complete it. */
static action decide(component *c) {
  troupe_wasi_wait w;
  troupe_wasi_wait_kind kind = troupe_wasi_pending(c->wasi, &w);
  assert_int_not_equal(kind, TROUPE_WASI_WAIT_NONE);
  c->r->waits[kind]++;
  switch (kind) {
  case TROUPE_WASI_WAIT_SLEEP:
    assert_true(w.has_deadline);
    assert_int_equal(w.fd, -1);
    assert_true(c->r->nsleeps < MAX_SLEEPS);
    c->r->sleeps[c->r->nsleeps++] = w.timeout;
    return (action){.timer = true};
  case TROUPE_WASI_WAIT_READ:
    assert_int_equal(w.fd, 0);
    assert_true(w.nbytes > 0);
    return next_input(c);
  case TROUPE_WASI_WAIT_POLL:
    assert_int_equal(w.fd, 0);
    assert_true(w.has_deadline);
    assert_int_equal(w.timeout, UINT64_C(250) * 1000000u); /* poll(..., 250) */
    if (c->script && c->script[c->next_step++] == 'T')
      return (action){.timer = true};
    return next_input(c);
  default:
    fail_msg("unknown wait kind %d", kind);
  }
  return (action){0};
}

/* One step of the driver -- complete the wait (when `host`), then resume -- as a
 * scheduler would run it on whichever worker picks the actor up: no assertions here,
 * the statuses are checked by the caller. */
typedef struct step {
  component *c;
  troupe_wasm_instance *inst;
  bool host;
  action act;
  const troupe_wasm_call_opts *slice;
  int completed, resumed; /* statuses */
  troupe_wasm_trap trap;
  troupe_err err;
} step;

static void *step_run(void *arg) {
  step *st = arg;
  troupe_wasm_val result;
  st->completed = TROUPE_OK;
  if (st->host && st->act.timer)
    st->completed = troupe_wasi_complete_sleep(st->c->wasi, st->inst, &result, &st->err);
  else if (st->host)
    st->completed = troupe_wasi_complete_read(st->c->wasi, st->inst, st->act.piece,
                                              st->act.piece ? strlen(st->act.piece) : 0,
                                              &result, &st->err);
  if (st->completed != TROUPE_OK)
    return NULL;
  size_t n = st->host ? 1 : 0;
  st->resumed = troupe_wasm_resume(st->inst, n ? &result : NULL, n, NULL, 0, st->slice,
                                   &st->trap, &st->err);
  return NULL;
}

/* Run the step here, or on a thread of its own (joined before the next step). */
static int step_do(step *st, bool on_thread) {
  if (on_thread) {
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, step_run, st), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
  } else {
    step_run(st);
  }
  if (st->completed != TROUPE_OK)
    fail_msg("completing the wait: %s", st->err.msg);
  return st->resumed;
}

/* Start the program in suspending mode and drive it; each step on a new thread if
 * `threads`. With stop_at_wait > 0, free the instance and context while suspended in
 * that wait instead of completing it. */
static void run_suspending(const char *name, component *c, run *r, int stop_at_wait,
                           bool threads) {
  troupe_err err;
  troupe_wasm_module *m = load(name);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasi_define_shared(l, &by_component, &err), TROUPE_OK);
  const char *argv[] = {name};
  troupe_wasi_config cfg = {.argc = 1, .argv = argv, .write = run_write, .user = r,
                            .suspend_blocking = true};
  c->r = r;
  assert_int_equal(troupe_wasi_ctx_new(&cfg, &c->wasi, &err), TROUPE_OK);
  troupe_wasm_instance *inst;
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &inst, NULL, &err), TROUPE_OK);
  troupe_wasm_instance_set_user(inst, c);

  /* Short fuel slices, as a scheduler gives: fuel and WASI suspensions interleave. */
  const troupe_wasm_call_opts slice = {.fuel = 20000};
  step st = {.c = c, .inst = inst, .slice = &slice};
  int rc = troupe_wasm_call(inst, "_start", NULL, 0, NULL, 0, &slice, &st.trap, &st.err);
  int nwaits = 0;
  while (rc == TROUPE_E_SUSPENDED) {
    st.host = troupe_wasm_instance_state(inst) == TROUPE_WASM_SUSPENDED_HOST;
    if (st.host) {
      if (++nwaits == stop_at_wait)
        break;
      st.act = decide(c);
    } else {
      assert_int_equal(troupe_wasi_pending(c->wasi, NULL), TROUPE_WASI_WAIT_NONE);
      r->fuel_slices++;
    }
    rc = step_do(&st, threads);
  }
  if (stop_at_wait) {
    assert_int_equal(rc, TROUPE_E_SUSPENDED);
    assert_int_not_equal(troupe_wasi_pending(c->wasi, NULL), TROUPE_WASI_WAIT_NONE);
  } else {
    r->status = status_of(rc, &st.trap, &st.err);
    assert_ptr_equal(troupe_wasm_instance_user(inst), c); /* still the embedder's */
  }
  troupe_wasm_instance_free(inst);
  troupe_wasi_ctx_free(c->wasi);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

static void assert_same_output(const run *a, const run *b) {
  for (int fd = 1; fd <= 2; fd++) {
    if (a->out[fd].n != b->out[fd].n ||
        (a->out[fd].n && memcmp(a->out[fd].p, b->out[fd].p, a->out[fd].n) != 0))
      fail_msg("fd %d differs:\n--- blocking:\n%.*s\n--- suspending:\n%.*s", fd,
               (int)a->out[fd].n, a->out[fd].p, (int)b->out[fd].n, b->out[fd].p);
  }
  assert_int_equal(a->status, b->status);
}

static void assert_output(const run *r, const char *want) {
  if (r->out[1].n != strlen(want) || memcmp(r->out[1].p, want, r->out[1].n) != 0)
    fail_msg("stdout:\n%.*s\n--- want:\n%s", (int)r->out[1].n, r->out[1].p, want);
}

/* ---- the programs -------------------------------------------------------------------------- */

/* sleeper.c in both modes: the same output, and one wait per sleep but sleep(0), each
 * asking what the blocking mode asked its sleep callback for. */
static void sleeper_both_modes(bool threads) {
  run b = {0}, s = {0};
  component c = {0};
  run_blocking("sleeper", NULL, &b);
  run_suspending("sleeper", &c, &s, 0, threads);
  assert_same_output(&b, &s);
  assert_non_null(strstr((const char *)s.out[1].p, "done"));
  assert_int_equal(s.waits[TROUPE_WASI_WAIT_SLEEP], 5);
  assert_int_equal(s.waits[TROUPE_WASI_WAIT_READ] + s.waits[TROUPE_WASI_WAIT_POLL], 0);
  assert_int_equal(b.nsleeps, 5);
  const uint64_t relative[] = {1500000, UINT64_C(2000000005), 1000000000, 25000000};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(b.sleeps[i], relative[i]);
    assert_int_equal(s.sleeps[i], relative[i]);
  }
  /* the absolute deadline an hour ahead: a wait of (nearly) an hour both ways */
  assert_true(b.sleeps[4] <= HOUR && b.sleeps[4] > HOUR / 2);
  assert_true(s.sleeps[4] <= HOUR && s.sleeps[4] > HOUR / 2);
  assert_true(s.fuel_slices > 0);
  run_free(&b);
  run_free(&s);
}

static void test_sleeper(void **state) {
  (void)state;
  sleeper_both_modes(false);
}

static const char stdin_text[] =
    "Hello world\n"
    "second line\n"
    "a third line, longer than the pieces it arrives in, "
    "0123456789012345678901234567890123456789012345678901234567890123456789\n"
    "fourth\n\n"
    "sixth line after an empty one\n"
    "and a last one without newline";

/* A text cut into pieces at sizes smaller and larger than the program's reads. */
typedef struct piece_store {
  char store[16][512];
  const char *list[17]; /* NULL-terminated */
} piece_store;

static const char *const *cut(piece_store *p, const char *text) {
  static const size_t sizes[] = {1, 5, 2, 90, 1, 3, 40};
  size_t at = 0, n = 0, len = strlen(text);
  for (; at < len && n < TR_ARRAY_LEN(p->store); n++) {
    size_t k = n < TR_ARRAY_LEN(sizes) ? sizes[n] : 400;
    k = TR_MIN(k, len - at);
    memcpy(p->store[n], text + at, k);
    p->store[n][k] = 0;
    p->list[n] = p->store[n];
    at += k;
  }
  assert_int_equal(at, len);
  p->list[n] = NULL;
  return p->list;
}

static size_t count(const char *const *list) {
  size_t n = 0;
  while (list[n])
    n++;
  return n;
}

/* Run `name` on stdin_text in both modes -- all at once, and in pieces -- and check the
 * outputs are the same and contain `says`, and that every wait was of kind `waits`: one
 * per piece (more than a read takes is kept, not asked for again) and one for the end. */
static void same_on_text(const char *name, troupe_wasi_wait_kind waits, const char *says,
                         bool threads) {
  piece_store p;
  run b = {0}, s = {0};
  component c = {.pieces = cut(&p, stdin_text)};
  run_blocking(name, stdin_text, &b);
  run_suspending(name, &c, &s, 0, threads);
  assert_same_output(&b, &s);
  assert_non_null(strstr((const char *)s.out[1].p, says));
  assert_int_equal(c.next_piece, count(c.pieces));
  int all = 0;
  for (int k = 0; k < 4; k++)
    all += s.waits[k];
  assert_int_equal(s.waits[waits], count(c.pieces) + 1);
  assert_int_equal(all, s.waits[waits]);
  run_free(&b);
  run_free(&s);
}

static void test_stdin_pieces(void **state) {
  (void)state;
  same_on_text("stdin_pieces", TROUPE_WASI_WAIT_READ, "eof 1", false);
}

/* Every wait is the poll: read() then finds the bytes there. */
static void test_poll_stdin_input_first(void **state) {
  (void)state;
  same_on_text("poll_stdin", TROUPE_WASI_WAIT_POLL, "end of input (hangup)\n", false);
}

/* The timer wins some polls: the program sees timeouts exactly there. */
static void test_poll_stdin_timer_first(void **state) {
  (void)state;
  static const char *const input[] = {"one\ntw", "o\nthr", NULL};
  run s = {0};
  component c = {.pieces = input, .script = "TDTTDT."};
  run_suspending("poll_stdin", &c, &s, 0, false);
  assert_output(&s, "(timeout)\n"
                    "line 1: one\n"
                    "(timeout)\n"
                    "(timeout)\n"
                    "line 2: two\n"
                    "(timeout)\n"
                    "end of input (hangup)\n"
                    "line 3 (no newline): thr\n"
                    "3 lines, 4 timeouts\n");
  assert_int_equal(s.status, 0);
  assert_int_equal(s.waits[TROUPE_WASI_WAIT_POLL], 7);
  run_free(&s);
}

/* A scheduler completes and resumes an actor on whichever worker runs it next: every
 * step on a thread of its own gives the same run. */
static void test_steps_on_other_threads(void **state) {
  (void)state;
  sleeper_both_modes(true);
  same_on_text("stdin_pieces", TROUPE_WASI_WAIT_READ, "eof 1", true);
  same_on_text("poll_stdin", TROUPE_WASI_WAIT_POLL, "end of input (hangup)\n", true);
}

/* An actor stopped while its program waits frees the instance and the context as they
 * are: nothing leaks (ASan), whatever the wait. */
static void test_freed_while_waiting(void **state) {
  (void)state;
  static const char *const input[] = {"x\n", NULL};
  for (int at = 1; at <= 2; at++) {
    run s = {0};
    component c = {0};
    run_suspending("sleeper", &c, &s, at, false);
    run_free(&s);
    run p = {0};
    component cp = {.pieces = input};
    run_suspending("poll_stdin", &cp, &p, at, false);
    run_free(&p);
    run r = {0};
    component cr = {.pieces = input};
    run_suspending("stdin_pieces", &cr, &r, at, false);
    run_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sleeper),
      cmocka_unit_test(test_stdin_pieces),
      cmocka_unit_test(test_poll_stdin_input_first),
      cmocka_unit_test(test_poll_stdin_timer_first),
      cmocka_unit_test(test_steps_on_other_threads),
      cmocka_unit_test(test_freed_while_waiting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
