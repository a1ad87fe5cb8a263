/*
 * tests/component/test_groups.c: the supervision tree of a host (troupe_host_group_new).
 * A group is a supervisor under its parent with its own strategy and intensity; its
 * members start in order, and every restart of the group -- by its own strategy or when
 * it gives up and its parent restarts it -- brings back every member it holds, with the
 * same ids. A stopped member leaves for good. A group may start with its first members
 * (troupe_host_group_start), which its supervisor starts itself; a member that fails
 * takes the whole group with it. Also: the spec's significant flag with auto_shutdown,
 * subscriptions made by the host, troupe_host_wait_down, and the errors.
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

static troupe_group_spec gspec(const char *name, troupe_group_id parent,
                               troupe_sup_strategy strategy, uint32_t intensity) {
  troupe_group_spec g;
  memset(&g, 0, sizeof g);
  g.name = name;
  g.parent = parent;
  troupe_sup_config_init(&g.supervisor);
  g.supervisor.strategy = strategy;
  g.supervisor.intensity = intensity;
  g.supervisor.period_ms = 60000;
  return g;
}

static troupe_group_id group_new(const troupe_group_spec *g) {
  troupe_group_id id = 0;
  troupe_err err;
  if (troupe_host_group_new(c.h, g, &id, &err))
    fprintf(stderr, "group '%s': %s\n", g->name, err.msg);
  return id;
}

static troupe_component_id spawn_in(const char *name, const char *module, troupe_group_id g) {
  troupe_component_spec s = cu_spec(name, module);
  s.group = g;
  return cu_spawn(&c, &s);
}

/* The members of a group as "c:NAME g:NAME ..." */
static char *members(troupe_group_id g) {
  troupe_group_info gi;
  if (troupe_host_group_info(c.h, g, &gi, NULL))
    return strdup("?");
  char buf[512] = "";
  for (size_t i = 0; i < gi.nmembers; i++) {
    char name[160] = "?";
    if (gi.members[i].is_group) {
      troupe_group_info sub;
      if (!troupe_host_group_info(c.h, gi.members[i].id, &sub, NULL)) {
        snprintf(name, sizeof name, "g:%s", sub.name);
        troupe_group_info_clear(&sub);
      }
    } else {
      troupe_component_info ci;
      if (!troupe_host_info(c.h, gi.members[i].id, &ci, NULL)) {
        snprintf(name, sizeof name, "c:%s", ci.name);
        troupe_component_info_clear(&ci);
      }
    }
    strncat(buf, *buf ? " " : "", sizeof buf - strlen(buf) - 1);
    strncat(buf, name, sizeof buf - strlen(buf) - 1);
  }
  troupe_group_info_clear(&gi);
  return strdup(buf);
}

static troupe_actor_id group_actor(troupe_group_id g) {
  troupe_group_info gi;
  if (troupe_host_group_info(c.h, g, &gi, NULL))
    return 0;
  troupe_actor_id a = gi.actor;
  troupe_group_info_clear(&gi);
  return a;
}

static bool ready_with_restarts(troupe_component_id id, uint32_t n) {
  return cu_restarts(&c, id) == n && cu_state(&c, id) == TROUPE_COMPONENT_READY;
}

static void tree_shape(void **state) {
  (void)state;
  troupe_group_spec ws = gspec("web", 0, TROUPE_ONE_FOR_ONE, 5);
  troupe_group_id web = group_new(&ws);
  assert_true(web);
  troupe_component_id a = spawn_in("web.a", "echo", web);
  troupe_group_spec as = gspec("api", web, TROUPE_ONE_FOR_ONE, 5);
  troupe_group_id api = group_new(&as);
  troupe_component_id b = spawn_in("web.b", "echo", web);
  troupe_component_id x = spawn_in("api.x", "counter", api);
  troupe_component_id top = cu_spawn(&c, &(troupe_component_spec){.name = "top", .module = "echo"});
  assert_true(a && api && b && x && top);
  char *m = members(web);
  assert_string_equal(m, "c:web.a g:api c:web.b");
  free(m);
  m = members(api);
  assert_string_equal(m, "c:api.x");
  free(m);
  m = members(0); /* the root: its components, then its groups */
  assert_string_equal(m, "c:top g:web");
  free(m);
  troupe_group_info gi;
  assert_int_equal(troupe_host_group_info(c.h, api, &gi, NULL), 0);
  assert_int_equal(gi.parent, web);
  assert_string_equal(gi.name, "api");
  assert_true(gi.actor);
  troupe_group_info_clear(&gi);
  troupe_component_info ci;
  assert_int_equal(troupe_host_info(c.h, x, &ci, NULL), 0);
  assert_int_equal(ci.group, api);
  troupe_component_info_clear(&ci);
  troupe_group_id found;
  assert_int_equal(troupe_host_group_lookup(c.h, "api", &found), 0);
  assert_int_equal(found, api);
  assert_int_equal(troupe_host_group_lookup(c.h, "nope", &found), TROUPE_E_NOTFOUND);
}

/* one_for_all: one member crashes, every member restarts, each under its own id. */
static void one_for_all(void **state) {
  (void)state;
  troupe_group_spec gs = gspec("all", 0, TROUPE_ONE_FOR_ALL, 5);
  troupe_group_id g = group_new(&gs);
  troupe_component_id p = spawn_in("all.p", "probe", g);
  troupe_component_id q = spawn_in("all.q", "probe", g);
  assert_true(g && p && q);
  assert_int_equal(cu_send_json(&c, p, "\"crash\""), 0);
  assert_true(CU_WAIT(ready_with_restarts(p, 1) && ready_with_restarts(q, 1)));
  assert_int_equal(cu_invoke_int(&c, q, "self_id", NULL), (long long)q);
}

/* A group that gives up is restarted by its parent with all its members, the nested
 * group and its member included; ids stay, the group's supervisor is a new actor. */
static void group_gives_up(void **state) {
  (void)state;
  troupe_group_spec gs = gspec("brittle", 0, TROUPE_ONE_FOR_ONE, 0);
  troupe_group_id g = group_new(&gs);
  troupe_component_id p = spawn_in("brittle.p", "probe", g);
  troupe_group_spec ns = gspec("inner", g, TROUPE_ONE_FOR_ONE, 5);
  troupe_group_id inner = group_new(&ns);
  troupe_component_id q = spawn_in("inner.q", "probe", inner);
  assert_true(g && p && inner && q);
  troupe_actor_id before = group_actor(g), inner_before = group_actor(inner);
  assert_true(before && inner_before);
  assert_int_equal(cu_send_json(&c, p, "\"crash\""), 0);
  assert_true(CU_WAIT(ready_with_restarts(p, 1) && ready_with_restarts(q, 1)));
  assert_true(CU_WAIT(group_actor(g) != 0 && group_actor(inner) != 0));
  assert_int_not_equal(group_actor(g), before);
  assert_int_not_equal(group_actor(inner), inner_before);
  char *m = members(g);
  assert_string_equal(m, "c:brittle.p g:inner");
  free(m);
  /* messages still reach the restarted members by id */
  assert_int_equal(cu_invoke_int(&c, q, "self_id", NULL), (long long)q);
}

/* A stopped member leaves its group: gone now, and not brought back by a restart. */
static void stopped_member_leaves(void **state) {
  (void)state;
  troupe_group_spec gs = gspec("leave", 0, TROUPE_ONE_FOR_ALL, 0);
  troupe_group_id g = group_new(&gs);
  troupe_component_id p = spawn_in("leave.p", "probe", g);
  troupe_component_id q = spawn_in("leave.q", "probe", g);
  assert_true(g && p && q);
  troupe_err err;
  assert_int_equal(troupe_host_stop(c.h, q, &err), 0);
  troupe_component_id none;
  assert_int_equal(troupe_host_lookup(c.h, "leave.q", &none), TROUPE_E_NOTFOUND);
  char *m = members(g);
  assert_string_equal(m, "c:leave.p");
  free(m);
  troupe_actor_id before = group_actor(g);
  assert_int_equal(cu_send_json(&c, p, "\"crash\""), 0); /* gives up: restarted by root */
  assert_true(CU_WAIT(group_actor(g) != 0 && group_actor(g) != before &&
                      ready_with_restarts(p, 1)));
  assert_int_equal(troupe_host_lookup(c.h, "leave.q", &none), TROUPE_E_NOTFOUND);
  /* the name is free again */
  troupe_component_id q2 = spawn_in("leave.q", "echo", g);
  assert_true(q2 && q2 != q);
  /* restart of one member goes through its group's supervisor */
  assert_int_equal(troupe_host_restart(c.h, p, &err), 0);
  assert_true(CU_WAIT(ready_with_restarts(p, 2)));
}

/* auto_shutdown: a significant member that ends normally ends its (transient) group,
 * which is then not restarted. */
static void significant_member(void **state) {
  (void)state;
  troupe_group_spec gs = gspec("job", 0, TROUPE_ONE_FOR_ONE, 5);
  gs.supervisor.auto_shutdown = TROUPE_AUTO_ANY_SIGNIFICANT;
  gs.restart = TROUPE_TRANSIENT;
  troupe_group_id g = group_new(&gs);
  troupe_component_spec s = cu_spec("job.main", "crasher");
  s.group = g;
  s.restart = TROUPE_TRANSIENT;
  s.significant = true;
  troupe_component_id main = cu_spawn(&c, &s);
  troupe_component_id side = spawn_in("job.side", "echo", g);
  assert_true(g && main && side);
  size_t n;
  uint8_t *bye = cu_json("\"bye\"", &n);
  assert_int_equal(troupe_host_send(c.h, main, 2, bye, n, NULL), 0); /* tag 2: stop normally */
  free(bye);
  assert_true(CU_WAIT(group_actor(g) == 0));
  assert_true(CU_WAIT(cu_state(&c, side) == TROUPE_COMPONENT_TERMINATED));
  cu_sleep_ms(50);
  assert_int_equal(group_actor(g), 0); /* transient, ended normally: not restarted */
}

static void errors(void **state) {
  (void)state;
  troupe_err err;
  troupe_group_id id;
  troupe_group_spec gs = gspec("dup", 0, TROUPE_ONE_FOR_ONE, 5);
  assert_true(group_new(&gs));
  assert_int_equal(troupe_host_group_new(c.h, &gs, &id, &err), TROUPE_E_NAME_TAKEN);
  gs = gspec("orphan", 999, TROUPE_ONE_FOR_ONE, 5);
  assert_int_equal(troupe_host_group_new(c.h, &gs, &id, &err), TROUPE_E_NOTFOUND);
  assert_non_null(strstr(err.msg, "no parent group 999"));
  gs = gspec("simple", 0, TROUPE_SIMPLE_ONE_FOR_ONE, 5);
  assert_int_equal(troupe_host_group_new(c.h, &gs, &id, &err), TROUPE_E_INVAL);
  gs = gspec("sig", 0, TROUPE_ONE_FOR_ONE, 5);
  gs.significant = true;
  assert_int_equal(troupe_host_group_new(c.h, &gs, &id, &err), TROUPE_E_INVAL);
  gs = gspec("bad name", 0, TROUPE_ONE_FOR_ONE, 5);
  assert_int_equal(troupe_host_group_new(c.h, &gs, &id, &err), TROUPE_E_INVAL);
  troupe_component_spec s = cu_spec("lost", "echo");
  s.group = 12345;
  troupe_component_id cid;
  assert_int_equal(troupe_host_spawn(c.h, &s, &cid, &err), TROUPE_E_NOTFOUND);
  assert_non_null(strstr(err.msg, "no group 12345"));
  s = cu_spec("sigperm", "echo");
  s.significant = true;
  assert_int_equal(troupe_host_spawn(c.h, &s, &cid, &err), TROUPE_E_INVAL);
  troupe_group_info gi;
  assert_int_equal(troupe_host_group_info(c.h, 777, &gi, &err), TROUPE_E_NOTFOUND);
  /* a member that fails to start leaves no trace in its group */
  troupe_group_id g = group_new(&(troupe_group_spec){.name = "fails",
                                                     .supervisor = gspec("", 0, 0, 5).supervisor});
  assert_true(g);
  s = cu_spec("fails.x", "no-such-module");
  s.group = g;
  assert_int_not_equal(troupe_host_spawn(c.h, &s, &cid, &err), 0);
  char *m = members(g);
  assert_string_equal(m, "");
  free(m);
}

/* A group started with its members: they run in order, Ready, each under its own id,
 * and members spawned later come after them; a restart brings them back. */
static void started_with_members(void **state) {
  (void)state;
  troupe_component_spec ms[3] = {cu_spec("b.1", "probe"), cu_spec("b.2", "counter"),
                                 cu_spec("b.3", "probe")};
  ms[1].group = 4242; /* ignored: the members are the group's */
  troupe_component_id ids[3] = {0};
  troupe_group_spec gs = gspec("batch", 0, TROUPE_ONE_FOR_ALL, 5);
  troupe_group_id g = 0;
  size_t failed = 99;
  troupe_err err;
  assert_int_equal(troupe_host_group_start(c.h, &gs, ms, 3, ids, &failed, &g, &err), 0);
  assert_int_equal(failed, 3);
  assert_true(g && ids[0] && ids[1] && ids[2]);
  assert_true(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
  for (int i = 0; i < 3; i++)
    assert_int_equal(cu_state(&c, ids[i]), TROUPE_COMPONENT_READY);
  assert_int_equal(cu_invoke_int(&c, ids[0], "self_id", NULL), (long long)ids[0]);
  troupe_component_id late = spawn_in("b.4", "echo", g);
  assert_true(late);
  char *m = members(g);
  assert_string_equal(m, "c:b.1 c:b.2 c:b.3 c:b.4");
  free(m);
  /* one_for_all: a member's crash restarts them all, each under its own id */
  assert_int_equal(cu_send_json(&c, ids[0], "\"crash\""), 0);
  CU_WAIT(ready_with_restarts(ids[0], 1) && ready_with_restarts(ids[2], 1) &&
          ready_with_restarts(late, 1));
  assert_int_equal(cu_invoke_int(&c, ids[2], "self_id", NULL), (long long)ids[2]);
}

/* A member that cannot start fails the group: its own error, its index, and nothing of
 * the group stays (the members before it were stopped, the name is free again). */
static void started_with_a_failing_member(void **state) {
  (void)state;
  troupe_component_spec ms[3] = {cu_spec("f.1", "probe"), cu_spec("f.2", "no-such-module"),
                                 cu_spec("f.3", "probe")};
  troupe_component_id ids[3] = {0};
  troupe_group_spec gs = gspec("failing", 0, TROUPE_ONE_FOR_ONE, 5);
  troupe_group_id g = 0, found;
  size_t failed = 99;
  troupe_err err;
  int rc = troupe_host_group_start(c.h, &gs, ms, 3, ids, &failed, &g, &err);
  assert_int_not_equal(rc, 0);
  assert_int_equal(failed, 1);
  assert_int_equal(g, 0);
  assert_non_null(strstr(err.msg, "'f.2'"));
  assert_int_equal(troupe_host_group_lookup(c.h, "failing", &found), TROUPE_E_NOTFOUND);
  troupe_component_id cid;
  assert_int_equal(troupe_host_lookup(c.h, "f.1", &cid), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_host_lookup(c.h, "f.3", &cid), TROUPE_E_NOTFOUND);
  /* two members of one name: the second is refused before anything starts */
  troupe_component_spec dup[2] = {cu_spec("d.x", "probe"), cu_spec("d.x", "probe")};
  gs = gspec("failing", 0, TROUPE_ONE_FOR_ONE, 5);
  assert_int_equal(troupe_host_group_start(c.h, &gs, dup, 2, ids, &failed, &g, &err),
                   TROUPE_E_NAME_TAKEN);
  assert_int_equal(failed, 1);
  assert_int_equal(troupe_host_lookup(c.h, "d.x", &cid), TROUPE_E_NOTFOUND);
  /* members need their ids' room */
  assert_int_equal(troupe_host_group_start(c.h, &gs, dup, 2, NULL, NULL, &g, &err),
                   TROUPE_E_INVAL);
  /* the name was given back each time: the group starts now with good members */
  ms[1] = cu_spec("f.2", "probe");
  assert_int_equal(troupe_host_group_start(c.h, &gs, ms, 3, ids, &failed, &g, &err), 0);
  assert_true(g);
  char *m = members(g);
  assert_string_equal(m, "c:f.1 c:f.2 c:f.3");
  free(m);
}

/* A burst of spawns with the prewarm helper on (troupe_host_prewarm_begin/end): the
 * members of a large group start and work as without it, pairs nest, and a host freed
 * with a begin left open ends it. */
static void prewarmed_burst(void **state) {
  (void)state;
  enum { N = 300 };
  troupe_component_spec *ms = calloc(N, sizeof *ms);
  char (*names)[16] = calloc(N, sizeof *names);
  troupe_component_id *ids = calloc(N, sizeof *ids);
  assert_true(ms && names && ids);
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "burst.%d", i);
    ms[i] = cu_spec(names[i], "probe");
  }
  troupe_host_prewarm_begin(c.h);
  troupe_host_prewarm_begin(c.h); /* nested */
  troupe_group_spec gs = gspec("burst", 0, TROUPE_ONE_FOR_ONE, 5);
  troupe_group_id g;
  troupe_err err;
  assert_int_equal(troupe_host_group_start(c.h, &gs, ms, N, ids, NULL, &g, &err), 0);
  troupe_host_prewarm_end(c.h);
  troupe_host_prewarm_end(c.h);
  troupe_host_prewarm_end(c.h); /* one end too many: ignored */
  for (int i = 0; i < N; i += 37)
    assert_int_equal(cu_invoke_int(&c, ids[i], "self_id", NULL), (long long)ids[i]);
  free(ms);
  free(names);
  free(ids);
  cu_host other;
  assert_int_equal(cu_host_new(&other, 1), 0);
  troupe_host_prewarm_begin(other.h);
  troupe_component_spec s = cu_spec("lone", "probe");
  assert_true(cu_spawn(&other, &s));
  cu_host_free(&other); /* ends the helper it began */
}

/* The spec's subscriptions: made by the host at every start, kept across restarts. */
static void host_subscriptions(void **state) {
  (void)state;
  const char *subs[] = {"news.>"};
  troupe_component_spec s = cu_spec("reader", "probe");
  s.subscriptions = (troupe_pattern_list){subs, 1};
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  size_t n;
  uint8_t *p = cu_json("\"first\"", &n);
  assert_int_equal(troupe_host_publish(c.h, "news.today", p, n, NULL), 0);
  free(p);
  char *out = NULL;
  assert_true(CU_WAIT((free(out), out = NULL, cu_invoke(&c, id, "last_payload", NULL, &out) == 0 &&
                                                  !strcmp(out, "\"first\""))));
  free(out);
  out = NULL;
  assert_int_equal(cu_send_json(&c, id, "\"crash\""), 0);
  assert_true(CU_WAIT(ready_with_restarts(id, 1)));
  p = cu_json("\"second\"", &n);
  assert_int_equal(troupe_host_publish(c.h, "news.later", p, n, NULL), 0);
  free(p);
  assert_true(CU_WAIT((free(out), out = NULL, cu_invoke(&c, id, "last_payload", NULL, &out) == 0 &&
                                                  !strcmp(out, "\"second\""))));
  free(out);
  /* a malformed pattern is refused at spawn */
  const char *bad[] = {"news.>.x"};
  s = cu_spec("reader2", "probe");
  s.subscriptions = (troupe_pattern_list){bad, 1};
  troupe_err err;
  troupe_component_id cid;
  assert_int_equal(troupe_host_spawn(c.h, &s, &cid, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "subscriptions pattern 'news.>.x'"));
}

/* wait_down: a root supervisor that gives up ends the wait with its reason. */
static void wait_down(void **state) {
  (void)state;
  troupe_exit_reason why;
  assert_int_equal(troupe_host_wait_down(c.h, TROUPE_MS(10), &why), TROUPE_E_TIMEOUT);
  cu_host other;
  memset(&other, 0, sizeof other);
  pthread_mutex_init(&other.log.lock, NULL);
  other.lg = troupe_logger_callback(cu_log_fn, &other.log, TROUPE_LOG_DEBUG);
  assert_int_equal(troupe_store_dir_new(TROUPE_COMPONENTS_DIR, &other.store, NULL), 0);
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = 1;
  cfg.store = other.store;
  cfg.log = other.lg;
  cfg.supervisor.intensity = 0;
  assert_int_equal(troupe_host_new(&cfg, &other.h, NULL), 0);
  troupe_component_spec s = cu_spec("fragile", "probe");
  troupe_component_id id = cu_spawn(&other, &s);
  assert_true(id);
  assert_int_equal(cu_send_json(&other, id, "\"crash\""), 0);
  assert_int_equal(troupe_host_wait_down(other.h, TROUPE_SEC(20), &why), 0);
  assert_int_equal(why.kind, TROUPE_EXIT_SHUTDOWN);
  assert_non_null(strstr(why.message, "root supervisor ended"));
  free((void *)why.message);
  cu_host_free(&other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(tree_shape),
      cmocka_unit_test(one_for_all),
      cmocka_unit_test(group_gives_up),
      cmocka_unit_test(stopped_member_leaves),
      cmocka_unit_test(significant_member),
      cmocka_unit_test(errors),
      cmocka_unit_test(started_with_members),
      cmocka_unit_test(started_with_a_failing_member),
      cmocka_unit_test(prewarmed_burst),
      cmocka_unit_test(host_subscriptions),
      cmocka_unit_test(wait_down),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
