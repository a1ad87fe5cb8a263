/*
 * tests/node/test_sqlstore_host.c: a host loading components from the SQLite store: the
 * example echo component added to a real store file, spawned by name, by version and by
 * hash, and asked; with trusted keys, a host that cannot start an unsigned component
 * says why, naming the module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sqlstore_util.h"
#include "troupe/actor.h"
#include "troupe/component.h"

typedef struct fx {
  char *dir, *db;
  troupe_signing_key key;
  uint8_t *echo;
  size_t echo_len;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->dir = su_tmpdir();
  f->db = su_path(f->dir, "store.db");
  f->echo = su_component("echo", &f->echo_len);
  if (!f->echo || !f->echo_len || su_key(f->dir, "k.key", &f->key))
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  troupe_signing_key_clear(&f->key);
  su_rmrf(f->dir);
  free(f->echo);
  free(f->dir);
  free(f->db);
  free(f);
  return 0;
}

/* A host over the store file, trusting key when it is not NULL. */
static troupe_host *host_over(fx *f, const troupe_signing_key *key, troupe_store **st) {
  uint8_t keys[1][TROUPE_ED25519_PUBLIC_BYTES];
  troupe_sqlstore_options o = {0};
  if (key) {
    memcpy(keys[0], key->public_key, TROUPE_ED25519_PUBLIC_BYTES);
    o.trusted_keys = keys;
    o.ntrusted = 1;
  }
  troupe_sqlstore *s;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_open(f->db, &o, &s, &err), TROUPE_OK);
  assert_int_equal(troupe_sqlstore_to_store(s, st, &err), TROUPE_OK);
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = 2;
  cfg.store = *st;
  troupe_host *h = NULL;
  assert_int_equal(troupe_host_new(&cfg, &h, &err), TROUPE_OK);
  return h;
}

static void add_echo(fx *f, const char *version, const troupe_signing_key *key) {
  troupe_sqlstore *s;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_open(f->db, NULL, &s, &err), TROUPE_OK);
  int rc = troupe_sqlstore_add(s, "echo", version, f->echo, f->echo_len, key, NULL, NULL, &err);
  if (rc)
    fprintf(stderr, "add: %s\n", err.msg);
  assert_int_equal(rc, TROUPE_OK);
  troupe_sqlstore_close(s);
}

/* Ask the component a JSON question; the reply's text (malloc'd). */
static char *ask(troupe_host *h, troupe_component_id id, const char *json) {
  size_t n = strlen(json);
  uint8_t *q = malloc(n + 2);
  q[0] = 0x80;
  q[1] = 0x04;
  memcpy(q + 2, json, n);
  uint8_t *reply = NULL;
  size_t rlen = 0;
  troupe_err err;
  int rc = troupe_host_ask(h, id, 1, q, n + 2, TROUPE_SEC(20), &reply, &rlen, &err);
  free(q);
  if (rc) {
    fprintf(stderr, "ask: %s\n", err.msg);
    return NULL;
  }
  char *text = rlen >= 2 ? strndup((const char *)reply + 2, rlen - 2) : strdup("");
  free(reply);
  return text;
}

static void host_spawns_echo_from_the_store_and_asks_it(void **state) {
  fx *f = *state;
  add_echo(f, "1.0.0", NULL);
  char hex[65], by_hash[80];
  uint8_t sha[32];
  troupe_sha256(f->echo, f->echo_len, sha);
  troupe_sha256_hex(sha, hex);
  snprintf(by_hash, sizeof by_hash, "sha256:%s", hex);
  troupe_store *st;
  troupe_host *h = host_over(f, NULL, &st);
  const char *refs[] = {"echo", "echo@1.0.0", by_hash};
  const char *names[] = {"e1", "e2", "e3"};
  for (int i = 0; i < 3; i++) {
    troupe_component_spec spec = {.name = names[i], .module = refs[i]};
    troupe_component_id id = 0;
    troupe_err err;
    int rc = troupe_host_spawn(h, &spec, &id, &err);
    if (rc)
      fprintf(stderr, "spawn %s: %s\n", refs[i], err.msg);
    assert_int_equal(rc, TROUPE_OK);
    char *reply = ask(h, id, "{\"hello\":\"store\"}");
    assert_non_null(reply);
    assert_string_equal(reply, "{\"hello\":\"store\"}");
    free(reply);
    troupe_component_info info;
    assert_int_equal(troupe_host_info(h, id, &info, NULL), TROUPE_OK);
    troupe_component_info_clear(&info);
  }
  troupe_host_free(h);
  troupe_store_free(st);
}

static void trusting_host_refuses_unsigned_and_runs_signed(void **state) {
  fx *f = *state;
  add_echo(f, "1", NULL);
  add_echo(f, "2", &f->key);
  troupe_store *st;
  troupe_host *h = host_over(f, &f->key, &st);
  troupe_component_spec spec = {.name = "unsigned", .module = "echo@1"};
  troupe_component_id id = 0;
  troupe_err err;
  assert_int_equal(troupe_host_spawn(h, &spec, &id, &err), TROUPE_E_SIGNATURE);
  assert_non_null(strstr(err.msg, "'echo@1' is not signed"));
  spec = (troupe_component_spec){.name = "signed", .module = "echo"}; /* the newest: 2 */
  assert_int_equal(troupe_host_spawn(h, &spec, &id, &err), TROUPE_OK);
  char *reply = ask(h, id, "[1,2,3]");
  assert_non_null(reply);
  assert_string_equal(reply, "[1,2,3]");
  free(reply);
  troupe_host_free(h);
  troupe_store_free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(host_spawns_echo_from_the_store_and_asks_it, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(trusting_host_refuses_unsigned_and_runs_signed, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
