/*
 * tests/component/test_lifecycle.c: a component's life as a user of the host sees it.
 * Spawn returns when the component is Ready (or with the failed step and the component
 * id in the error); invoke, ask and send reach it; info, lookup and list describe it;
 * stop runs _cleanup and removes it; the audit log has component_started (with the
 * module hash) and component_stopped (with uptime and reason).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

#include <stdatomic.h>

static void spawn_invoke_ask_stop(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("echo", "echo");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id != 0);

  troupe_component_info info;
  assert_int_equal(troupe_host_info(c.h, id, &info, NULL), 0);
  assert_int_equal(info.id, id);
  assert_string_equal(info.name, "echo");
  assert_string_equal(info.module_ref, "echo");
  assert_int_equal(info.state, TROUPE_COMPONENT_READY);
  assert_int_equal(strlen(info.sha256), 64);
  assert_int_equal(info.restarts, 0);
  assert_true(info.actor != 0);
  assert_true(info.memory_bytes >= 65536);
  assert_int_equal(info.limits.max_memory_pages, 256); /* the defaults, filled in */
  char sha[TROUPE_SHA256_HEX];
  snprintf(sha, sizeof sha, "%s", info.sha256);
  troupe_component_info_clear(&info);

  troupe_component_id found = 0;
  assert_int_equal(troupe_host_lookup(c.h, "echo", &found), 0);
  assert_int_equal(found, id);
  troupe_component_id *ids;
  size_t n;
  assert_int_equal(troupe_host_list(c.h, &ids, &n, NULL), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ids[0], id);
  free(ids);

  char *out;
  assert_int_equal(cu_invoke(&c, id, "echo", "\"hi\"", &out), 0);
  assert_string_equal(out, "\"hi\"");
  free(out);

  size_t qlen;
  uint8_t *q = cu_json("{\"q\":1}", &qlen);
  uint8_t *reply;
  size_t rlen;
  assert_int_equal(troupe_host_ask(c.h, id, 3, q, qlen, TROUPE_SEC(10), &reply, &rlen, NULL), 0);
  assert_int_equal(rlen, qlen);
  assert_memory_equal(reply, q, qlen);
  free(reply);
  free(q);
  assert_int_equal(cu_send_json(&c, id, "\"ignored\""), 0);

  assert_true(cu_log_has(&c.log, "component_started", sha));
  assert_int_equal(troupe_host_stop(c.h, id, NULL), 0);
  assert_int_equal(troupe_host_lookup(c.h, "echo", &found), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_host_info(c.h, id, &info, NULL), TROUPE_E_NOTFOUND);
  assert_int_equal(cu_send_json(&c, id, "1"), TROUPE_E_NOTFOUND);
  assert_true(CU_WAIT(cu_log_has(&c.log, "component_stopped", "reason=shutdown")));
  assert_true(cu_log_has(&c.log, "component_stopped", "uptime_s"));
  cu_host_free(&c);
}

/* Each step of a start fails with its own error, naming the component. */
static void start_failures(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_err err;
  troupe_component_id id = 0;
  struct {
    const char *name, *module;
    const uint8_t *bytes;
    size_t len;
    const char *env;
    int code;
    const char *says;
  } cases[] = {
      {"missing", "no-such-module", NULL, 0, NULL, TROUPE_E_NOTFOUND, "load failed"},
      {"garbage", NULL, (const uint8_t *)"\0asm\1\0\0\0\x01\xff", 10, NULL, TROUPE_E_MALFORMED,
       "compile failed"},
      /* (module (import "troupe" "no_such_import" (func))) */
      {"unlinkable", NULL,
       (const uint8_t *)"\0asm\1\0\0\0\x01\x04\x01\x60\x00\x00\x02\x19\x01\x06troupe\x0eno_such_import\x00\x00",
       41, NULL, TROUPE_E_UNLINKABLE, "instantiation failed"},
      {"trapper", "probe", NULL, 0, "PROBE_START_TRAP=1", TROUPE_E_TRAP,
       "start function failed: unreachable"},
      {"exiter", "probe", NULL, 0, "PROBE_START_EXIT=3", TROUPE_E_EXIT,
       "start function failed: program exited with code 3"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    troupe_component_spec s = cu_spec(cases[i].name, cases[i].module);
    s.module_bytes = cases[i].bytes;
    s.module_len = cases[i].len;
    const char *env[] = {cases[i].env};
    if (cases[i].env) {
      s.env = env;
      s.envc = 1;
    }
    print_message("case %s\n", cases[i].name);
    int rc = troupe_host_spawn(c.h, &s, &id, &err);
    print_message("  -> %s: %s\n", troupe_err_name(rc), err.msg);
    assert_int_equal(rc, cases[i].code);
    assert_int_equal(id, 0);
    assert_non_null(strstr(err.msg, cases[i].says));
    char who[160];
    snprintf(who, sizeof who, "'%s'", cases[i].name);
    assert_non_null(strstr(err.msg, who));
    assert_non_null(strstr(err.msg, "component "));
    troupe_component_id none;
    assert_int_equal(troupe_host_lookup(c.h, cases[i].name, &none), TROUPE_E_NOTFOUND);
  }
  /* The host goes on: a good component starts after all that. */
  troupe_component_spec ok = cu_spec("fine", "echo");
  assert_true(cu_spawn(&c, &ok) != 0);
  cu_host_free(&c);
}

static void bad_specs(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 1), 0);
  troupe_err err;
  troupe_component_id id;
  troupe_component_spec s = cu_spec("two words", "echo");
  assert_int_equal(troupe_host_spawn(c.h, &s, &id, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "two words"));
  s = cu_spec("a", NULL);
  assert_int_equal(troupe_host_spawn(c.h, &s, &id, &err), TROUPE_E_INVAL);
  const char *pats[] = {"a..b"};
  s = cu_spec("b", "echo");
  s.caps.send_to = (troupe_pattern_list){pats, 1};
  assert_int_equal(troupe_host_spawn(c.h, &s, &id, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "send_to"));
  s = cu_spec("c", "echo");
  s.limits.max_stack_bytes = 100;
  assert_int_equal(troupe_host_spawn(c.h, &s, &id, &err), TROUPE_E_RANGE);
  s = cu_spec("dup", "echo");
  assert_true(cu_spawn(&c, &s) != 0);
  assert_int_equal(troupe_host_spawn(c.h, &s, &id, &err), TROUPE_E_NAME_TAKEN);
  cu_host_free(&c);
}

/* Invocations: results, guest errors with their message, malformed results, unknown
 * exports, bad arguments. */
static void invocations(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("p", "probe");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id != 0);
  char *out;
  assert_int_equal(cu_invoke_int(&c, id, "work", "1000"), 1000);
  assert_int_equal(cu_invoke_int(&c, id, "self_id", NULL), (long long)id);
  assert_int_equal(cu_invoke(&c, id, "fail", NULL, &out), TROUPE_E_NOTFOUND);
  assert_non_null(strstr(out, "no such thing"));
  free(out);
  assert_int_equal(cu_invoke(&c, id, "bad_result", NULL, &out), TROUPE_E_MALFORMED_PAYLOAD);
  free(out);
  assert_int_equal(cu_invoke(&c, id, "nope", NULL, &out), TROUPE_E_NOTFOUND);
  assert_non_null(strstr(out, "no invocable export 'nope'"));
  free(out);
  assert_int_equal(cu_invoke(&c, id, "_health", NULL, &out), TROUPE_E_NOTFOUND);
  free(out);
  assert_int_equal(cu_invoke(&c, id, "handle-message", NULL, &out), TROUPE_E_NOTFOUND);
  free(out);
  uint8_t *res;
  size_t rl;
  troupe_err err;
  assert_int_equal(troupe_host_invoke(c.h, id, "work", "{}", 2, TROUPE_SEC(5), &res, &rl, &err),
                   TROUPE_E_UNKNOWN_CODEC);
  /* A trap is an error for the caller and a crash for the component, which restarts. */
  assert_int_equal(cu_invoke(&c, id, "trap", NULL, &out), TROUPE_E_TRAP);
  assert_non_null(strstr(out, "unreachable"));
  assert_non_null(strstr(out, "offset 0x"));
  free(out);
  assert_true(CU_WAIT(cu_restarts(&c, id) == 1 && cu_state(&c, id) == TROUPE_COMPONENT_READY));
  assert_int_equal(cu_invoke_int(&c, id, "work", "5"), 5);
  cu_host_free(&c);
}

/* Not Ready: an invocation during a slow start is refused at once, and a message sent
 * meanwhile waits and is handled once the component is Ready. */
typedef struct spawn_job {
  cu_host *c;
  troupe_component_spec s;
  _Atomic troupe_component_id id;
  _Atomic int rc;
} spawn_job;

static void *spawn_thread(void *arg) {
  spawn_job *j = arg;
  troupe_component_id id = 0;
  atomic_store(&j->rc, troupe_host_spawn(j->c->h, &j->s, &id, NULL));
  atomic_store(&j->id, id);
  return NULL;
}

static void not_ready(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  spawn_job j = {.c = &c, .s = cu_spec("slow", "probe")};
  const char *env[] = {"PROBE_START_SLEEP_MS=500"};
  j.s.env = env;
  j.s.envc = 1;
  atomic_init(&j.rc, 1);
  atomic_init(&j.id, 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, spawn_thread, &j), 0);
  troupe_component_id id = 0;
  assert_true(CU_WAIT(troupe_host_lookup(c.h, "slow", &id) == 0));
  assert_true(CU_WAIT(cu_state(&c, id) == TROUPE_COMPONENT_STARTING));
  char *out;
  assert_int_equal(cu_invoke(&c, id, "work", "1", &out), TROUPE_E_NOT_READY);
  assert_non_null(strstr(out, "not ready"));
  free(out);
  assert_int_equal(cu_send_json(&c, id, "\"early\""), 0);
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&j.rc), 0);
  assert_int_equal(atomic_load(&j.id), id);
  assert_int_equal(cu_state(&c, id), TROUPE_COMPONENT_READY);
  assert_int_equal(cu_invoke(&c, id, "last_payload", NULL, &out), 0);
  assert_string_equal(out, "\"early\"");
  free(out);
  cu_host_free(&c);
}

/* _cleanup runs at an orderly stop, under its timeout; a trap, a timeout or an attempt
 * to wait there is logged, and the stop still completes. */
static void cleanup(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  struct {
    const char *name, *env, *event, *says;
  } cases[] = {
      {"clean-log", "PROBE_CLEANUP=log", "component_log", "message=cleaning up"},
      {"clean-spin", "PROBE_CLEANUP=spin", "component_cleanup_failed", "timed out after 50 ms"},
      {"clean-trap", "PROBE_CLEANUP=trap", "component_cleanup_failed", "unreachable"},
      {"clean-wait", "PROBE_CLEANUP=wait", "component_cleanup_failed", "wait"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    troupe_component_spec s = cu_spec(cases[i].name, "probe");
    const char *env[] = {cases[i].env};
    s.env = env;
    s.envc = 1;
    s.limits.cleanup_timeout_ms = 50;
    troupe_component_id id = cu_spawn(&c, &s);
    assert_true(id);
    assert_int_equal(troupe_host_stop(c.h, id, NULL), 0);
    char who[64];
    snprintf(who, sizeof who, "name=%s", cases[i].name);
    assert_true(CU_WAIT(cu_log_has(&c.log, cases[i].event, who)));
    assert_true(cu_log_has(&c.log, cases[i].event, cases[i].says));
  }
  /* a crash skips _cleanup */
  troupe_component_spec s = cu_spec("crash-nolog", "probe");
  const char *env[] = {"PROBE_CLEANUP=log"};
  s.env = env;
  s.envc = 1;
  s.restart = TROUPE_TEMPORARY;
  troupe_component_id id = cu_spawn(&c, &s);
  assert_int_equal(cu_send_json(&c, id, "\"crash\""), 0);
  assert_true(CU_WAIT(cu_log_has(&c.log, "component_stopped", "name=crash-nolog")));
  assert_false(cu_log_has(&c.log, "component_log", "name=crash-nolog"));
  cu_host_free(&c);
}

/* Publications reach subscribed components, with the subject and the publisher's id. */
static void publish_subscribe(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  const char *news[] = {"news.>"};
  troupe_component_spec sub = cu_spec("reader", "probe"), pub = cu_spec("writer", "probe");
  const char *env[] = {"PROBE_SUBSCRIBE=news.>"};
  sub.env = env;
  sub.envc = 1;
  sub.caps.subscribe = (troupe_pattern_list){news, 1};
  pub.caps.publish = (troupe_pattern_list){news, 1};
  troupe_component_id r = cu_spawn(&c, &sub), w = cu_spawn(&c, &pub);
  assert_true(r && w);
  size_t n;
  uint8_t *m = cu_json("\"from the host\"", &n);
  assert_int_equal(troupe_host_publish(c.h, "news.host", m, n, NULL), 0);
  free(m);
  assert_int_equal(cu_invoke_int(&c, w, "publish_on", "\"news.sports\""), 0);
  char *out = NULL;
  assert_true(CU_WAIT(cu_invoke_starts(&c, r, "counters", "[0,0,0,0,2,")));
  assert_int_equal(cu_invoke(&c, r, "last_subject_text", NULL, &out), 0);
  assert_string_equal(out, "\"news.sports\"");
  free(out);
  assert_int_equal(cu_invoke_int(&c, r, "last_from_id", NULL), (long long)w);
  /* a restart ends the subscription; the new incarnation subscribes again in its start */
  assert_int_equal(troupe_host_restart(c.h, r, NULL), 0);
  assert_int_equal(cu_invoke_int(&c, w, "publish_on", "\"news.again\""), 0);
  assert_true(CU_WAIT(cu_invoke_starts(&c, r, "counters", "[0,0,0,0,1,")));
  cu_host_free(&c);
}

static uint32_t depth_of(cu_host *h, troupe_component_id id) {
  troupe_component_info info;
  if (troupe_host_info(h->h, id, &info, NULL))
    return UINT32_MAX;
  uint32_t d = info.mailbox_depth;
  troupe_component_info_clear(&info);
  return d;
}

/* mailbox_depth: what waits for the component -- messages behind a long job, and
 * messages held while it is between incarnations -- and 0 once handled. */
static void mailbox_depth(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("deep", "probe");
  s.limits.fuel_per_message = 300000000; /* "spin" ends (a trap) after a while */
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  assert_int_equal(depth_of(&c, id), 0);
  assert_int_equal(cu_send_json(&c, id, "\"spin\""), 0);
  for (int i = 0; i < 5; i++)
    assert_int_equal(cu_send_json(&c, id, "1"), 0);
  assert_true(CU_WAIT(depth_of(&c, id) == 5)); /* behind the spin, once it is taken */
  /* the spin traps on its fuel limit; the next incarnation handles the five */
  assert_true(CU_WAIT(cu_restarts(&c, id) == 1 && depth_of(&c, id) == 0));
  /* restarts == 1 can be read while the new incarnation is still starting: an invoke
   * then answers "not ready", so the check is retried */
  assert_true(CU_WAIT(cu_invoke_starts(&c, id, "counters", "[5,")));
  cu_host_free(&c);
}

/* A store that counts its lookups and answers every reference with echo's bytes. */
typedef struct counting {
  uint8_t *bytes;
  size_t len;
  _Atomic int gets;
} counting;

static int counting_get(void *self, const troupe_module_ref *ref, troupe_module_blob *out,
                        troupe_err *err) {
  (void)ref;
  (void)err;
  counting *k = self;
  atomic_fetch_add(&k->gets, 1);
  out->bytes = malloc(k->len);
  memcpy(out->bytes, k->bytes, k->len);
  out->len = k->len;
  out->name = strdup("echo");
  out->version = strdup("1");
  return TROUPE_OK;
}

static void counting_destroy(void *self) { (void)self; }

static const troupe_store_ops k_counting = {.get = counting_get, .destroy = counting_destroy};

/* A reference that cannot change (NAME@VERSION, sha256:) is fetched from the store once
 * per host; a bare NAME (the newest version) every time. */
static void store_asked_once_per_reference(void **state) {
  (void)state;
  counting k = {0};
  FILE *f = fopen(TROUPE_COMPONENTS_DIR "/echo.wasm", "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  k.len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  k.bytes = malloc(k.len);
  assert_int_equal(fread(k.bytes, 1, k.len, f), k.len);
  fclose(f);
  troupe_store *st;
  assert_int_equal(troupe_store_new(&k_counting, &k, &st, NULL), 0);
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = 2;
  cfg.store = st;
  troupe_host *h;
  assert_int_equal(troupe_host_new(&cfg, &h, NULL), 0);
  const char *names[] = {"a1", "a2", "a3"};
  for (int i = 0; i < 3; i++) {
    troupe_component_spec s = cu_spec(names[i], "echo@1");
    troupe_component_id id;
    assert_int_equal(troupe_host_spawn(h, &s, &id, NULL), 0);
  }
  assert_int_equal(atomic_load(&k.gets), 1);
  const char *bare[] = {"b1", "b2"};
  for (int i = 0; i < 2; i++) {
    troupe_component_spec s = cu_spec(bare[i], "echo");
    troupe_component_id id;
    assert_int_equal(troupe_host_spawn(h, &s, &id, NULL), 0);
  }
  assert_int_equal(atomic_load(&k.gets), 3);
  troupe_component_id id;
  assert_int_equal(troupe_host_lookup(h, "a3", &id), 0);
  troupe_component_info info;
  assert_int_equal(troupe_host_info(h, id, &info, NULL), 0);
  assert_string_equal(info.module_ref, "echo@1");
  troupe_component_info_clear(&info);
  troupe_host_free(h);
  troupe_store_free(st);
  free(k.bytes);
}

/* A store that resolves: a bare NAME's module is fetched once, then only resolved while
 * the cache has it; when the store's newest version changes, the next spawn by that name
 * gets the new bytes and runs them. */
typedef struct resolving {
  counting k;
  const char *version;
  _Atomic int resolves;
} resolving;

static int resolving_get(void *self, const troupe_module_ref *ref, troupe_module_blob *out,
                         troupe_err *err) {
  resolving *r = self;
  int rc = counting_get(&r->k, ref, out, err);
  free(out->version);
  out->version = strdup(r->version);
  return rc;
}

static int resolving_resolve(void *self, const troupe_module_ref *ref,
                             uint8_t sha256[TROUPE_SHA256_BYTES], char **version,
                             troupe_err *err) {
  (void)ref;
  (void)err;
  resolving *r = self;
  atomic_fetch_add(&r->resolves, 1);
  troupe_sha256(r->k.bytes, r->k.len, sha256);
  *version = strdup(r->version);
  return TROUPE_OK;
}

static const troupe_store_ops k_resolving = {.get = resolving_get, .destroy = counting_destroy,
                                             .resolve = resolving_resolve};

static uint8_t *read_component(const char *file, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", TROUPE_COMPONENTS_DIR, file);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*len);
  assert_int_equal(fread(b, 1, *len, f), *len);
  fclose(f);
  return b;
}

static void bare_name_resolved_not_fetched(void **state) {
  (void)state;
  size_t elen, clen;
  uint8_t *echo = read_component("echo.wasm", &elen), *counter =
      read_component("counter.wasm", &clen);
  resolving r = {.k = {.bytes = echo, .len = elen}, .version = "1"};
  troupe_store *st;
  assert_int_equal(troupe_store_new(&k_resolving, &r, &st, NULL), 0);
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = 2;
  cfg.store = st;
  troupe_host *h;
  assert_int_equal(troupe_host_new(&cfg, &h, NULL), 0);
  troupe_component_id id;
  const char *names[] = {"b1", "b2", "b3"};
  for (int i = 0; i < 3; i++) {
    troupe_component_spec s = cu_spec(names[i], "echo");
    assert_int_equal(troupe_host_spawn(h, &s, &id, NULL), 0);
  }
  assert_int_equal(atomic_load(&r.k.gets), 1);     /* the first spawn's cache miss */
  assert_int_equal(atomic_load(&r.resolves), 3);
  /* the newest version changes: the next spawn runs the new bytes (counter's) */
  r.k.bytes = counter;
  r.k.len = clen;
  r.version = "2";
  troupe_component_spec s = cu_spec("b4", "echo");
  assert_int_equal(troupe_host_spawn(h, &s, &id, NULL), 0);
  assert_int_equal(atomic_load(&r.k.gets), 2);
  uint8_t *res = NULL;
  size_t rl = 0;
  static const uint8_t q[] = {0x80, 0x04, '"', 'q', '"'}; /* JSON "q" */
  assert_int_equal(troupe_host_ask(h, id, 0, q, sizeof q, TROUPE_SEC(10), &res, &rl, NULL), 0);
  assert_true(rl > 2 && memmem(res, rl, "count", 5)); /* counter answers {"count":N} */
  free(res);
  troupe_host_free(h);
  troupe_store_free(st);
  free(echo);
  free(counter);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(store_asked_once_per_reference),
      cmocka_unit_test(bare_name_resolved_not_fetched),
      cmocka_unit_test(mailbox_depth),
      cmocka_unit_test(spawn_invoke_ask_stop),
      cmocka_unit_test(start_failures),
      cmocka_unit_test(bad_specs),
      cmocka_unit_test(invocations),
      cmocka_unit_test(not_ready),
      cmocka_unit_test(cleanup),
      cmocka_unit_test(publish_subscribe),
  };
  if (getenv("CU_TEST"))
    cmocka_set_test_filter(getenv("CU_TEST"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
