/*
 * tests/supervisor/test_sup_history.c: the restart history behind the intensity
 * (src/supervisor/sup_intensity.c). White-box, with times chosen by the test: the
 * verdicts at the boundaries, agreement with OTP's list-of-times rule over a long
 * pseudo-random run, memory that follows the restarts inside the window (a burst grows
 * it, a quiet spell shrinks it back), unlimited keeping nothing, out of memory. Then
 * through real supervisors: huge intensities start and restart like any other,
 * unlimited never gives up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "supervisor/sup.h"
#include "test_sup_util.h"

/* The capacity is a power of two and at most four times what is held (or tiny). */
static void assert_fits(const trS_hist *h) {
  assert_true(h->cap == 0 || (h->cap & (h->cap - 1)) == 0);
  assert_true(h->n <= h->cap);
  assert_true(h->cap <= 4 || h->cap < 4 * h->n);
}

/* ---- verdicts at the boundaries ------------------------------------------------------ */
typedef struct hist_case {
  const char *what;
  uint32_t intensity;
  uint64_t period;
  uint64_t times[6];
  const char *verdicts; /* per time: M may restart, G give up */
  size_t held;          /* entries kept after the last one */
} hist_case;

static const hist_case cases[] = {
    {"MaxR 3: three restarts pass, a fourth within the period gives up", 3, 100,
     {0, 10, 20, 30}, "MMMG", 3},
    {"an entry exactly one period old still counts (inclusive, as OTP)", 1, 100, {0, 100},
     "MG", 1},
    {"one tick more and it has left the window", 1, 100, {0, 101}, "MM", 1},
    {"intensity 0: the first restart gives up", 0, 100, {5}, "G", 0},
    {"restarts a period apart never add up", 2, 100, {0, 150, 300, 450, 600}, "MMMMM", 1},
    {"after a quiet spell only the new burst counts", 2, 100, {0, 1, 500, 501, 502}, "MMMMG",
     2},
    {"equal times all count", 2, 100, {7, 7, 7}, "MMG", 2},
};

static void test_verdict_table(void **st) {
  (void)st;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const hist_case *c = &cases[i];
    print_message("%s\n", c->what);
    trS_hist h = {0};
    for (size_t k = 0; c->verdicts[k]; k++) {
      trS_verdict v = trS_hist_add(&h, c->intensity, c->period, c->times[k]);
      assert_int_equal(v, c->verdicts[k] == 'M' ? TRS_MAY_RESTART : TRS_GIVE_UP);
    }
    assert_int_equal(h.n, c->held);
    if (!c->held)
      assert_null(h.t); /* nothing was ever kept, nothing allocated */
    trS_hist_free(&h);
  }
}

/* ---- agreement with OTP's rule ---------------------------------------------------------
 * OTP keeps every restart time and counts those within the period of now. Over a long
 * run with bursts and pauses, the ring must give the same verdict every time and hold
 * exactly the restarts inside the window. */
static uint64_t rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void test_agrees_with_otp_rule(void **st) {
  (void)st;
  static uint64_t kept[20000];
  const uint32_t intensities[] = {1, 3, 17, 1000};
  for (size_t r = 0; r < sizeof intensities / sizeof intensities[0]; r++) {
    uint32_t maxr = intensities[r];
    uint64_t seed = 0x9e3779b97f4a7c15ull + r, now = 0, period = 1000;
    size_t nkept = 0, old = 0; /* kept[old..nkept): not yet dropped (OTP's list) */
    trS_hist h = {0};
    for (int i = 0; i < 20000; i++) {
      uint64_t x = rng(&seed);
      now += x % 8 == 0 ? x % 3000 : x % 4; /* mostly bursts, now and then a pause */
      while (old < nkept && now > kept[old] + period)
        old++;
      size_t within = nkept - old;
      trS_verdict want = within + 1 > maxr ? TRS_GIVE_UP : TRS_MAY_RESTART;
      if (want == TRS_MAY_RESTART) {
        kept[nkept++] = now;
        within++;
      }
      assert_int_equal(trS_hist_add(&h, maxr, period, now), want);
      assert_int_equal(h.n, within);
      if (want == TRS_MAY_RESTART)
        assert_fits(&h);
    }
    trS_hist_free(&h);
  }
}

/* ---- memory follows the window --------------------------------------------------------- */
static void test_memory_follows_window(void **st) {
  (void)st;
  const uint32_t huge[] = {2000000000u, UINT32_MAX - 1};
  for (size_t i = 0; i < 2; i++) {
    trS_sup s;
    memset(&s, 0, sizeof s);
    s.cfg.intensity = huge[i];
    s.period_ns = 1000;
    assert_null(s.hist.t); /* a supervisor that never restarted holds no history */
    for (uint64_t t = 0; t < 1000; t++) { /* a burst of 1000 inside one period */
      assert_int_equal(trS_add_restart(&s, t), TRS_MAY_RESTART);
      assert_fits(&s.hist);
    }
    assert_int_equal(s.hist.n, 1000);
    assert_int_equal(s.hist.cap, 1024); /* 8 KiB, not 8 bytes x (intensity + 1) */
    /* long after the burst: everything old is forgotten and the ring shrinks back */
    assert_int_equal(trS_add_restart(&s, 5000), TRS_MAY_RESTART);
    assert_int_equal(s.hist.n, 1);
    assert_true(s.hist.cap <= 4);
    /* a steady trickle, one restart per half period: two held, never more */
    for (uint64_t t = 5500; t < 50000; t += 500) {
      assert_int_equal(trS_add_restart(&s, t), TRS_MAY_RESTART);
      assert_true(s.hist.n <= 3 && s.hist.cap <= 4);
    }
    assert_int_equal(s.total_restarts, 1000 + 1 + 89);
    trS_hist_free(&s.hist);
  }
}

static void test_unlimited_keeps_nothing(void **st) {
  (void)st;
  trS_sup s;
  memset(&s, 0, sizeof s);
  s.cfg.intensity = TROUPE_SUP_INTENSITY_UNLIMITED;
  s.period_ns = UINT64_MAX / 2;
  for (uint64_t t = 0; t < 1000000; t++)
    assert_int_equal(trS_add_restart(&s, t), TRS_MAY_RESTART);
  assert_int_equal(s.total_restarts, 1000000);
  assert_null(s.hist.t);
  assert_int_equal(s.hist.cap, 0);
}

/* ---- out of memory --------------------------------------------------------------------- */
static int alloc_reset(void **st) {
  (void)st;
  trB_alloc_fail_after(-1); /* also when an assertion left the test early */
  return 0;
}

static void test_out_of_memory(void **st) {
  (void)st;
  trS_hist h = {0};
  trB_alloc_fail_after(0);
  assert_int_equal(trS_hist_add(&h, 100, 1000, 0), TRS_NO_MEMORY); /* the first entry */
  trB_alloc_fail_after(-1);
  assert_int_equal(h.n, 0);
  for (uint64_t t = 0; t < 4; t++)
    assert_int_equal(trS_hist_add(&h, 100, 1000, t), TRS_MAY_RESTART);
  size_t cap = h.cap;
  assert_int_equal(h.n, cap); /* full: the next one must grow it */
  trB_alloc_fail_after(0);
  assert_int_equal(trS_hist_add(&h, 100, 1000, 10), TRS_NO_MEMORY);
  trB_alloc_fail_after(-1);
  assert_int_equal(h.n, cap); /* unchanged: the failed restart is not recorded */
  assert_int_equal(trS_hist_add(&h, 100, 1000, 11), TRS_MAY_RESTART);
  assert_int_equal(h.n, cap + 1);
  /* the count stays right across the growth: the oldest entries are still 0..3 */
  assert_int_equal(trS_hist_add(&h, 100, 1000, 1001), TRS_MAY_RESTART); /* drops 0 */
  assert_int_equal(h.n, cap + 1);
  /* a shrink that fails only keeps the larger ring */
  for (uint64_t t = 1002; h.n < 64; t++)
    assert_int_equal(trS_hist_add(&h, 100, 1000, t), TRS_MAY_RESTART);
  cap = h.cap;
  trB_alloc_fail_after(0);
  assert_int_equal(trS_hist_add(&h, 100, 1000, 100000), TRS_MAY_RESTART);
  trB_alloc_fail_after(-1);
  assert_int_equal(h.n, 1);
  assert_int_equal(h.cap, cap);
  assert_int_equal(trS_hist_add(&h, 100, 1000, 100001), TRS_MAY_RESTART);
  assert_true(h.cap <= 4);
  trS_hist_free(&h);
}

/* ---- through real supervisors ------------------------------------------------------ */
typedef struct sup_case {
  const char *what;
  uint32_t intensity;
  int crashes;
  bool gives_up; /* at the last crash */
} sup_case;

static const sup_case sup_cases[] = {
    {"intensity 2e9", 2000000000u, 20, false},
    {"intensity UINT32_MAX - 1", UINT32_MAX - 1, 20, false},
    {"unlimited", TROUPE_SUP_INTENSITY_UNLIMITED, 300, false},
    {"intensity 3 (control: the 4th crash gives up)", 3, 4, true},
};

static void run_sup_case(troupe_runtime *rt, const sup_case *k) {
  print_message("%s\n", k->what);
  ts_child a;
  ts_child_init(&a, "a", NULL);
  troupe_child_spec spec = ts_spec(&a, TROUPE_PERMANENT);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, k->intensity, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, &spec, 1, &sup, NULL), 0);
  ts_watch w;
  ts_watch_start(rt, &w, sup);
  int survived = k->gives_up ? k->crashes - 1 : k->crashes;
  ts_crash_times(rt, sup, &a, survived);
  assert_int_equal(atomic_load(&a.starts), survived + 1);
  troupe_child_counts n;
  assert_int_equal(troupe_sup_count_children(rt, sup, &n, NULL), 0);
  assert_int_equal(n.restarts, (uint64_t)survived);
  if (k->gives_up) {
    assert_true(ts_kill_with(rt, atomic_load(&a.pid), "crash"));
    assert_true(TU_WAIT(atomic_load(&w.down) == 1));
    assert_int_equal(atomic_load(&w.kind), TROUPE_EXIT_SHUTDOWN);
    assert_string_equal(w.text, "reached max restart intensity");
    return;
  }
  assert_true(troupe_actor_alive(rt, sup));
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&w.down) == 1));
}

static void test_supervisors_table(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  assert_non_null(rt);
  for (size_t i = 0; i < sizeof sup_cases / sizeof sup_cases[0]; i++)
    run_sup_case(rt, &sup_cases[i]);
  ts_free(rt, lg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_verdict_table),
      cmocka_unit_test(test_agrees_with_otp_rule),
      cmocka_unit_test(test_memory_follows_window),
      cmocka_unit_test(test_unlimited_keeps_nothing),
      cmocka_unit_test_teardown(test_out_of_memory, alloc_reset),
      cmocka_unit_test(test_supervisors_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
