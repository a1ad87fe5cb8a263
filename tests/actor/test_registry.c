/*
 * tests/actor/test_registry.c: names are unique (NAME_TAKEN), lookups by name and id
 * find live actors and entries disappear when the actor exits; entries carry status,
 * start time, restart count, health and metadata; foreach visits each live actor;
 * lifecycle events reach the audit logger as JSON lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

static void test_names(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log l1, l2;
  tu_log_init(&l1);
  tu_log_init(&l2);
  troupe_spawn_opts o = {.name = "db", .metadata = "{\"v\":1}", .restart_count = 3};
  troupe_actor_id a, b, found;
  troupe_err err;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l1, &o, &a, &err), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l2, &o, &b, &err), TROUPE_E_NAME_TAKEN);
  assert_int_equal(err.code, TROUPE_E_NAME_TAKEN);
  assert_int_equal(troupe_registry_lookup(rt, "db", &found), 0);
  assert_true(found == a);
  assert_int_equal(troupe_registry_lookup(rt, "nope", &found), TROUPE_E_NOTFOUND);
  troupe_actor_info info;
  for (int i = 0; i < 10000; i++) { /* status goes starting -> running after init */
    assert_int_equal(troupe_registry_info(rt, a, &info), 0);
    if (info.status == TROUPE_STATUS_RUNNING)
      break;
    troupe_actor_info_clear(&info);
    tu_sleep_ms(1);
  }
  assert_int_equal(info.status, TROUPE_STATUS_RUNNING);
  assert_string_equal(info.name, "db");
  assert_string_equal(info.metadata, "{\"v\":1}");
  assert_string_equal(info.behaviour, "recorder");
  assert_int_equal(info.restart_count, 3);
  assert_true(info.start_time_ns > 0);
  assert_int_equal(info.health, TROUPE_HEALTH_UNKNOWN);
  troupe_actor_info_clear(&info);
  assert_int_equal(troupe_registry_set_health(rt, a, TROUPE_HEALTH_DEGRADED, "slow disk"), 0);
  assert_int_equal(troupe_registry_set_metadata(rt, a, "m2"), 0);
  assert_int_equal(troupe_registry_set_restart_count(rt, a, 4), 0);
  assert_int_equal(troupe_registry_info(rt, a, &info), 0);
  assert_int_equal(info.health, TROUPE_HEALTH_DEGRADED);
  assert_string_equal(info.health_reason, "slow disk");
  assert_string_equal(info.metadata, "m2");
  assert_int_equal(info.restart_count, 4);
  troupe_actor_info_clear(&info);
  /* a second actor can take a free name; names per actor are unique */
  troupe_actor_id c;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l2, NULL, &c, NULL), 0);
  assert_int_equal(troupe_registry_register(rt, c, "db"), TROUPE_E_NAME_TAKEN);
  assert_int_equal(troupe_registry_register(rt, c, "cache"), 0);
  assert_int_equal(troupe_registry_register(rt, c, "cache2"), TROUPE_E_EXISTS);
  assert_int_equal(troupe_registry_lookup(rt, "cache", &found), 0);
  assert_true(found == c);
  assert_int_equal(troupe_registry_unregister(rt, "cache"), 0);
  assert_int_equal(troupe_registry_lookup(rt, "cache", &found), TROUPE_E_NOTFOUND);
  /* the entry disappears on termination, and the name is free again */
  assert_int_equal(troupe_send(rt, 0, a, "stop", 4), 0);
  assert_true(TU_WAIT(troupe_registry_lookup(rt, "db", &found) == TROUPE_E_NOTFOUND));
  assert_true(TU_WAIT(troupe_registry_info(rt, a, NULL) == TROUPE_E_NOTFOUND));
  assert_int_equal(troupe_registry_register(rt, c, "db"), 0);
  troupe_runtime_free(rt);
}

static bool count_visit(void *user, const troupe_actor_info *info) {
  (*(int *)user)++;
  return info->id != 0;
}

static void test_foreach_many(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log l;
  tu_log_init(&l);
  for (int i = 0; i < 3000; i++) {
    char name[32];
    snprintf(name, sizeof name, "actor-%d", i);
    troupe_spawn_opts o = {.name = name};
    troupe_actor_id id;
    assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l, &o, &id, NULL), 0);
  }
  for (int i = 0; i < 3000; i += 7) {
    char name[32];
    snprintf(name, sizeof name, "actor-%d", i);
    troupe_actor_id id;
    assert_int_equal(troupe_registry_lookup(rt, name, &id), 0);
    troupe_actor_info info;
    assert_int_equal(troupe_registry_info(rt, id, &info), 0);
    assert_string_equal(info.name, name);
    troupe_actor_info_clear(&info);
  }
  int n = 0;
  assert_int_equal(troupe_registry_foreach(rt, count_visit, &n), 3000);
  assert_int_equal(n, 3000);
  troupe_runtime_free(rt);
}

/* Audit sink: collect event names. */
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char ev_seen[4096];
static void on_event(void *user, const troupe_log_record *rec) {
  char line[1024];
  troupe_log_format_json(rec, line, sizeof line);
  pthread_mutex_lock(&ev_lock);
  if (strlen(ev_seen) + strlen(line) < sizeof ev_seen)
    strcat(ev_seen, line);
  pthread_mutex_unlock(&ev_lock);
}

static bool seen(const char *s) {
  pthread_mutex_lock(&ev_lock);
  bool r = strstr(ev_seen, s) != NULL;
  pthread_mutex_unlock(&ev_lock);
  return r;
}

static void test_events(void **st) {
  (void)st;
  troupe_logger *lg = troupe_logger_callback(on_event, NULL, TROUPE_LOG_DEBUG);
  troupe_runtime_config cfg;
  troupe_runtime_config_init(&cfg);
  cfg.workers = 2;
  cfg.audit = lg;
  troupe_runtime *rt;
  assert_int_equal(troupe_runtime_new(&cfg, &rt, NULL), 0);
  static tu_log l;
  tu_log_init(&l);
  troupe_spawn_opts o = {.name = "evt"};
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l, &o, &id, NULL), 0);
  assert_true(TU_WAIT(seen("\"event\":\"actor.started\"")));
  assert_int_equal(troupe_registry_set_health(rt, id, TROUPE_HEALTH_UNHEALTHY, "no db"), 0);
  assert_int_equal(troupe_send(rt, 0, id, "crash", 5), 0);
  assert_true(TU_WAIT(seen("\"event\":\"actor.crashed\"")));
  assert_true(seen("\"event\":\"actor.spawned\""));
  assert_true(seen("\"event\":\"actor.health\""));
  assert_true(seen("\"health\":\"unhealthy\""));
  assert_true(seen("\"name\":\"evt\""));
  assert_true(seen("\"message\":\"asked to crash\""));
  troupe_runtime_free(rt);
  troupe_logger_free(lg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_foreach_many),
      cmocka_unit_test(test_events),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
