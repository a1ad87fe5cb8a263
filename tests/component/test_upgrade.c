/*
 * tests/component/test_upgrade.c: hot code upgrade (troupe_host_upgrade). The new
 * instance keeps the component's id, name and mailbox; the state crosses when both
 * modules have the hand-over pair, else the new one starts fresh; no message is lost,
 * even with senders running through the upgrade; any failure -- a start that traps, a
 * state refused, a save that fails, a module that does not load or compile -- leaves the
 * old instance running as it was; restarts afterwards use the new module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

static cu_host c;

static int setup(void **state) {
  (void)state;
  return cu_host_new(&c, 2);
}

static int teardown(void **state) {
  (void)state;
  cu_host_free(&c);
  return 0;
}

/* A module whose _start traps: (module (func (export "_start") unreachable)) */
static const uint8_t trap_start[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04,
                                     0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a,
                                     0x01, 0x06, '_',  's',  't',  'a',  'r',  't',  0x00, 0x00,
                                     0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b};

static troupe_component_id spawn_env(const char *name, const char *module, const char *env) {
  troupe_component_spec s = cu_spec(name, module);
  const char *e[] = {env};
  if (env) {
    s.env = e;
    s.envc = 1;
  }
  return cu_spawn(&c, &s);
}

static bool counters_start(troupe_component_id id, const char *prefix) {
  char *out = NULL;
  bool ok = cu_invoke(&c, id, "counters", NULL, &out) == 0 && !strncmp(out, prefix, strlen(prefix));
  free(out);
  return ok;
}

static char *info_module(troupe_component_id id) {
  troupe_component_info info;
  if (troupe_host_info(c.h, id, &info, NULL))
    return NULL;
  char *m = strdup(info.module_ref);
  troupe_component_info_clear(&info);
  return m;
}

static void state_carried(void **state) {
  (void)state;
  troupe_component_id id = spawn_env("up.carry", "probe", NULL);
  assert_true(id);
  for (int i = 0; i < 3; i++)
    assert_int_equal(cu_send_json(&c, id, "1"), 0);
  assert_true(CU_WAIT(counters_start(id, "[3,")));
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, id, "probe", NULL, 0, 0, &err), 0);
  assert_true(counters_start(id, "[3,")); /* the count came across */
  assert_int_equal(cu_invoke_int(&c, id, "state_loads", NULL), 1);
  assert_int_equal(cu_invoke_int(&c, id, "self_id", NULL), (long long)id);
  assert_int_equal(cu_restarts(&c, id), 0); /* an upgrade is not a restart */
  assert_int_equal(cu_state(&c, id), TROUPE_COMPONENT_READY);
  assert_true(cu_log_has(&c.log, "component_upgraded", "state=carried"));
  /* again: the new instance hands its state on in turn */
  assert_int_equal(troupe_host_upgrade(c.h, id, "probe", NULL, 0, 0, &err), 0);
  assert_int_equal(cu_invoke_int(&c, id, "state_loads", NULL), 2);
}

static void fresh_start(void **state) {
  (void)state;
  troupe_component_id id = spawn_env("up.fresh", "probe", NULL);
  assert_true(id);
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, id, "echo", NULL, 0, 0, &err), 0);
  char *m = info_module(id);
  assert_string_equal(m, "echo");
  free(m);
  char *out = NULL;
  assert_int_equal(cu_invoke(&c, id, "echo", "[1,2]", &out), 0);
  assert_string_equal(out, "[1,2]");
  free(out);
  assert_int_equal(cu_invoke(&c, id, "counters", NULL, NULL), TROUPE_E_NOTFOUND);
  assert_true(cu_log_has(&c.log, "component_upgraded", "state=fresh"));
}

typedef struct sender {
  troupe_component_id id;
  int n;
} sender;

static void *send_all(void *arg) {
  sender *s = arg;
  for (int i = 0; i < s->n; i++)
    if (cu_send_json(&c, s->id, "7"))
      return (void *)1;
  return NULL;
}

/* Messages sent before, during and after the swap: every one is counted once, by the
 * old instance or the new one (which took the old one's count). */
static void no_message_lost(void **state) {
  (void)state;
  troupe_component_id id = spawn_env("up.busy", "probe", NULL);
  assert_true(id);
  sender s = {id, 3000};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, send_all, &s), 0);
  troupe_err err;
  for (int i = 0; i < 3; i++)
    assert_int_equal(troupe_host_upgrade(c.h, id, "probe", NULL, 0, 0, &err), 0);
  void *res;
  pthread_join(t, &res);
  assert_null(res);
  assert_true(CU_WAIT(counters_start(id, "[3000,")));
  assert_int_equal(cu_invoke_int(&c, id, "state_loads", NULL), 3);
}

static void failed_start_keeps_old(void **state) {
  (void)state;
  troupe_component_id id = spawn_env("up.trap", "probe", NULL);
  assert_true(id);
  assert_int_equal(cu_send_json(&c, id, "1"), 0);
  assert_int_equal(cu_send_json(&c, id, "2"), 0);
  assert_true(CU_WAIT(counters_start(id, "[2,")));
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, id, NULL, trap_start, sizeof trap_start, 0, &err),
                   TROUPE_E_TRAP);
  assert_non_null(strstr(err.msg, "upgrade: start function failed: unreachable"));
  assert_non_null(strstr(err.msg, "the old module runs on"));
  assert_true(counters_start(id, "[2,")); /* the very same instance */
  assert_int_equal(cu_send_json(&c, id, "3"), 0);
  assert_true(CU_WAIT(counters_start(id, "[3,")));
  char *m = info_module(id);
  assert_string_equal(m, "probe");
  free(m);
  assert_int_equal(cu_restarts(&c, id), 0);
  assert_true(cu_log_has(&c.log, "component_upgrade_failed", "unreachable"));
  /* an upgrade by bytes names the module by its hash */
  size_t blen;
  uint8_t *echo = NULL;
  FILE *f = fopen(TROUPE_COMPONENTS_DIR "/echo.wasm", "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  blen = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  echo = malloc(blen);
  assert_int_equal(fread(echo, 1, blen, f), blen);
  fclose(f);
  assert_int_equal(troupe_host_upgrade(c.h, id, NULL, echo, blen, 0, &err), 0);
  free(echo);
  troupe_component_info info;
  assert_int_equal(troupe_host_info(c.h, id, &info, NULL), 0);
  char want[80];
  snprintf(want, sizeof want, "sha256:%s", info.sha256);
  assert_string_equal(info.module_ref, want);
  troupe_component_info_clear(&info);
}

static void refused_state_keeps_old(void **state) {
  (void)state;
  troupe_component_id id = spawn_env("up.refuse", "probe", "PROBE_REFUSE_STATE=1");
  assert_true(id);
  assert_int_equal(cu_send_json(&c, id, "1"), 0);
  assert_true(CU_WAIT(counters_start(id, "[1,")));
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, id, "probe", NULL, 0, 0, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "_state_load refused the state"));
  assert_true(counters_start(id, "[1,"));
  assert_int_equal(cu_invoke_int(&c, id, "state_loads", NULL), 0);
}

static void failed_save_keeps_old(void **state) {
  (void)state;
  troupe_component_id id = spawn_env("up.nosave", "probe", "PROBE_SAVE_FAIL=1");
  assert_true(id);
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, id, "probe", NULL, 0, 0, &err), TROUPE_E_STATE);
  assert_non_null(strstr(err.msg, "state save failed"));
  assert_int_equal(cu_state(&c, id), TROUPE_COMPONENT_READY);
  assert_int_equal(cu_invoke_int(&c, id, "self_id", NULL), (long long)id);
}

static void bad_requests(void **state) {
  (void)state;
  troupe_component_id id = spawn_env("up.bad", "echo", NULL);
  assert_true(id);
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, 999999, "echo", NULL, 0, 0, &err), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_host_upgrade(c.h, id, "no-such-module", NULL, 0, 0, &err),
                   TROUPE_E_NOTFOUND);
  assert_non_null(strstr(err.msg, "'up.bad': upgrade: load failed"));
  const uint8_t junk[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x7f};
  assert_int_not_equal(troupe_host_upgrade(c.h, id, NULL, junk, sizeof junk, 0, &err), 0);
  assert_non_null(strstr(err.msg, "upgrade: compile failed"));
  assert_int_equal(troupe_host_upgrade(c.h, id, "echo", junk, sizeof junk, 0, &err),
                   TROUPE_E_INVAL);
  assert_int_equal(troupe_host_upgrade(c.h, id, NULL, NULL, 0, 0, &err), TROUPE_E_INVAL);
  char *out = NULL; /* still the echo it was */
  assert_int_equal(cu_invoke(&c, id, "echo", "5", &out), 0);
  assert_string_equal(out, "5");
  free(out);
}

/* A crash after the upgrade restarts the new module. */
static void restart_uses_new_module(void **state) {
  (void)state;
  troupe_component_id id = spawn_env("up.then", "echo", NULL);
  assert_true(id);
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, id, "probe", NULL, 0, 0, &err), 0);
  assert_int_equal(cu_send_json(&c, id, "\"crash\""), 0);
  assert_true(CU_WAIT(cu_restarts(&c, id) == 1 && cu_state(&c, id) == TROUPE_COMPONENT_READY));
  assert_int_equal(cu_invoke_int(&c, id, "self_id", NULL), (long long)id); /* probe's export */
}

/* The guest's own subscriptions belong to its instance: after the swap a publication
 * arrives once (the new instance's), not twice. */
static void subscriptions_not_doubled(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("up.sub", "probe");
  const char *env[] = {"PROBE_SUBSCRIBE=up.news"}, *may[] = {"up.>"};
  s.env = env;
  s.envc = 1;
  s.caps.subscribe = (troupe_pattern_list){may, 1};
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, id, "probe", NULL, 0, 0, &err), 0);
  size_t n;
  uint8_t *p = cu_json("1", &n);
  assert_int_equal(troupe_host_publish(c.h, "up.news", p, n, NULL), 0);
  free(p);
  assert_true(CU_WAIT(counters_start(id, "[0,0,0,0,1,")));
  cu_sleep_ms(50);
  assert_true(counters_start(id, "[0,0,0,0,1,"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(state_carried),
      cmocka_unit_test(fresh_start),
      cmocka_unit_test(no_message_lost),
      cmocka_unit_test(failed_start_keeps_old),
      cmocka_unit_test(refused_state_keeps_old),
      cmocka_unit_test(failed_save_keeps_old),
      cmocka_unit_test(bad_requests),
      cmocka_unit_test(restart_uses_new_module),
      cmocka_unit_test(subscriptions_not_doubled),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
