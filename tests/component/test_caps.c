/*
 * tests/component/test_caps.c: the capability matrix. For each action a component can
 * take toward another or toward the broker (send, ask, monitor, publish, subscribe,
 * spawn), one component that may and one that may not; a refusal is DENIED for the
 * sender, an audit event (capability_denied), and nothing delivered. The target's own
 * accept_from list refuses senders it does not name even when they may send.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

static cu_host c;
static troupe_component_id allowed, nobody, target, picky, other;

#define LIST(...) ((troupe_pattern_list){(const char *const[]){__VA_ARGS__}, \
                   sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)})

static int setup(void **state) {
  (void)state;
  if (cu_host_new(&c, 2))
    return -1;
  troupe_component_spec s = cu_spec("svc.allowed", "probe");
  s.caps.send_to = LIST("svc.target", "svc.picky");
  s.caps.publish = LIST("news.*");
  s.caps.subscribe = LIST("news.>");
  s.caps.spawn = LIST("probe");
  allowed = cu_spawn(&c, &s);
  s = cu_spec("svc.nobody", "probe"); /* no capabilities at all */
  nobody = cu_spawn(&c, &s);
  s = cu_spec("svc.target", "probe");
  target = cu_spawn(&c, &s);
  s = cu_spec("svc.picky", "probe");
  s.caps.accept_from = LIST("svc.other");
  picky = cu_spawn(&c, &s);
  s = cu_spec("svc.other", "probe");
  s.caps.send_to = LIST("svc.*");
  other = cu_spawn(&c, &s);
  return allowed && nobody && target && picky && other ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  cu_host_free(&c);
  return 0;
}

typedef struct row {
  const char *what;
  troupe_component_id *from;
  const char *fn, *arg;
  bool ok; /* true: a non-negative answer; false: DENIED */
} row;

static void matrix(void **state) {
  (void)state;
  const row rows[] = {
      {"send, named in send_to", &allowed, "send_to", "\"svc.target\"", true},
      {"send, no send_to", &nobody, "send_to", "\"svc.target\"", false},
      {"send, accept_from refuses", &allowed, "send_to", "\"svc.picky\"", false},
      {"send, accept_from names it", &other, "send_to", "\"svc.picky\"", true},
      {"ask, named in send_to", &allowed, "ask_async_to", "\"svc.target\"", true},
      {"ask, no send_to", &nobody, "ask_async_to", "\"svc.target\"", false},
      {"ask, accept_from refuses", &allowed, "ask_async_to", "\"svc.picky\"", false},
      {"monitor, named in send_to", &allowed, "monitor_name", "\"svc.target\"", true},
      {"monitor, no send_to", &nobody, "monitor_name", "\"svc.target\"", false},
      {"publish inside news.*", &allowed, "publish_on", "\"news.sports\"", true},
      {"publish outside news.*", &allowed, "publish_on", "\"weather.today\"", false},
      {"publish, no capability", &nobody, "publish_on", "\"news.sports\"", false},
      {"subscribe news.sports.>", &allowed, "subscribe_to", "\"news.sports.>\"", true},
      {"subscribe news.*", &allowed, "subscribe_to", "\"news.*\"", true},
      {"subscribe >, wider than news.>", &allowed, "subscribe_to", "\">\"", false},
      {"subscribe, no capability", &nobody, "subscribe_to", "\"news.sports\"", false},
      {"spawn probe", &allowed, "spawn_probe", "\"spawned.one\"", true},
      {"spawn, no capability", &nobody, "spawn_probe", "\"spawned.two\"", false},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    long long v = cu_invoke_int(&c, *rows[i].from, rows[i].fn, rows[i].arg);
    print_message("%-34s -> %lld\n", rows[i].what, v);
    if (rows[i].ok)
      assert_true(v >= 0);
    else
      assert_int_equal(v, TROUPE_E_DENIED);
  }
  assert_true(cu_log_has(&c.log, "capability_denied", "action=send"));
  assert_true(cu_log_has(&c.log, "capability_denied", "action=publish"));
  assert_true(cu_log_has(&c.log, "capability_denied", "action=subscribe"));
  assert_true(cu_log_has(&c.log, "capability_denied", "action=spawn"));
  assert_true(cu_log_has(&c.log, "capability_denied", "action=ask"));
  /* what was refused never arrived: target got exactly the one allowed send, picky too */
  char *out;
  assert_true(CU_WAIT(cu_invoke_starts(&c, target, "counters", "[1,")));
  assert_int_equal(cu_invoke(&c, picky, "counters", NULL, &out), 0);
  assert_memory_equal(out, "[1,", 3);
  free(out);
  /* the spawned one runs, with the spawner's capabilities and limits */
  troupe_component_id sp;
  assert_int_equal(troupe_host_lookup(c.h, "spawned.one", &sp), 0);
  assert_int_equal(cu_state(&c, sp), TROUPE_COMPONENT_READY);
  assert_int_equal(cu_invoke_int(&c, sp, "send_to", "\"svc.target\""), 0);
  assert_int_equal(troupe_host_lookup(c.h, "spawned.two", &sp), TROUPE_E_NOTFOUND);
}

/* The host is trusted: it reaches even a component that accepts almost nobody. */
static void host_is_trusted(void **state) {
  (void)state;
  assert_int_equal(cu_send_json(&c, picky, "\"from the host\""), 0);
  assert_int_equal(cu_invoke_int(&c, picky, "work", "2"), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matrix),
      cmocka_unit_test(host_is_trusted),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
