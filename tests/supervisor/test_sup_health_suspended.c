/*
 * tests/supervisor/test_sup_health_suspended.c: a supervised child that waits, suspended,
 * on an ask nobody answers (a component blocked in a long host call) keeps being judged
 * healthy: its health callback answers the supervisor's checks while it is suspended,
 * so it is not restarted and its handler does not run. (Before, the questions waited
 * behind the suspension, went unanswered and the child was restarted as failed.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_sup_util.h"

typedef struct sc {
  troupe_actor_id sink;   /* never answers */
  _Atomic int starts;
  _Atomic int handled;    /* handle() calls */
  _Atomic int reported;   /* health callback calls */
  _Atomic troupe_actor_id pid;
} sc;

static sc the_child;

static troupe_health sc_health(troupe_actor *self, char *reason, size_t cap) {
  (void)self;
  (void)reason;
  (void)cap;
  atomic_fetch_add(&the_child.reported, 1);
  return TROUPE_HEALTH_HEALTHY;
}

static int sc_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)arg;
  (void)err;
  atomic_fetch_add(&the_child.starts, 1);
  atomic_store(&the_child.pid, troupe_self(self));
  return troupe_actor_set_health_fn(self, sc_health);
}

/* "wait": ask the sink with a ten-minute timeout and suspend until the answer. */
static int sc_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  atomic_fetch_add(&the_child.handled, 1);
  if (m->kind == TROUPE_MSG_USER && m->len == 4 && memcmp(m->data, "wait", 4) == 0) {
    uint64_t corr;
    int rc = troupe_ask_async(self, the_child.sink, 1, NULL, 0, TROUPE_SEC(600), &corr, err);
    return rc ? rc : TROUPE_SUSPEND;
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour sc_b = {"suspender", sc_init, sc_handle, NULL};

static int sc_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                    const void *extra, size_t extra_len, troupe_actor_id *out, troupe_err *err) {
  (void)extra;
  (void)extra_len;
  return troupe_spawn(troupe_actor_runtime(sup), sup, &sc_b, arg, opts, out, err);
}

static int sink_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  (void)m;
  (void)err;
  return TROUPE_CONTINUE; /* keeps every ask unanswered */
}
static const troupe_behaviour sink_b = {"sink", NULL, sink_handle, NULL};

static void suspended_child_with_health_callback_is_not_restarted(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  memset(&the_child, 0, sizeof the_child);
  assert_int_equal(troupe_spawn(rt, NULL, &sink_b, NULL, NULL, &the_child.sink, NULL), 0);
  troupe_child_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.id = "waiter";
  spec.start = sc_start;
  spec.arg = &the_child;
  spec.health_interval_ms = 5;
  spec.health_timeout_ms = 20;
  spec.health_threshold = 2;
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, NULL, &spec, 1, &sup, NULL), 0);
  troupe_actor_id pid = atomic_load(&the_child.pid);
  assert_int_equal(troupe_send(rt, 0, pid, "wait", 4), 0);
  assert_true(TU_WAIT(atomic_load(&the_child.handled) == 1));
  int before = atomic_load(&the_child.reported);
  /* Forty checks later: a missed answer would have cost it its life long before. */
  assert_true(TU_WAIT(atomic_load(&the_child.reported) >= before + 40));
  assert_int_equal(atomic_load(&the_child.starts), 1);
  assert_int_equal(atomic_load(&the_child.pid), pid);
  assert_true(troupe_actor_alive(rt, pid));
  assert_int_equal(atomic_load(&the_child.handled), 1); /* still suspended */
  troupe_actor_info info;
  assert_int_equal(troupe_registry_info(rt, pid, &info), 0);
  assert_int_equal(info.health, TROUPE_HEALTH_HEALTHY);
  troupe_actor_info_clear(&info);
  ts_free(rt, lg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(suspended_child_with_health_callback_is_not_restarted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
