/*
 * tests/component/test_as_sdk.c: the AssemblyScript guest SDK (sdk/assemblyscript)
 * against the real host. The AS examples (examples/components/assemblyscript/) answer
 * like their C twins and talk to C components (asks and pub/sub both ways); as_counter's
 * count goes across hot upgrades, to and from the Rust counter too; as_crasher
 * crashes as asked and its supervisor restarts it; as_probe puts every SDK call behind
 * an export, and each is driven here by the same tests as rust_probe
 * (sdk_test_helper.h): messaging, asks now / later / async, pub-sub, timers, monitors
 * and DOWN, spawn within and beyond its capabilities, log, time, health, cleanup, JSON
 * and Borsh payloads, and errors arriving as the named codes that are the host's. And
 * the conformance table: the same calls to the C examples and their Rust and
 * AssemblyScript twins give identical statuses and results.
 */
#include "sdk_test_helper.h"

static const sdk_lang as_lang = {
    .probe = "as_probe",
    .echo = "as_echo",
    .silent = "publisher", /* the C publisher answers no ask */
    .cleanup_line = "as_probe cleanup after",
};

static void echo_and_counter_answer_like_c(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_id aecho = spawn_caps(&c, "aecho", "as_echo", no_caps);
  troupe_component_id counter = spawn_caps(&c, "acounter", "as_counter", no_caps);
  troupe_component_id cprobe = spawn_caps(&c, "cprobe", "probe",
                                          (troupe_component_caps){.send_to = LIST("aecho")});

  /* echo: the host asks, the ASK's payload comes back; the export returns its args */
  size_t n, rl;
  uint8_t *q = cu_json("{\"hi\":[1,2]}", &n), *reply;
  assert_int_equal(troupe_host_ask(c.h, aecho, 3, q, n, TROUPE_SEC(10), &reply, &rl, NULL), 0);
  assert_int_equal(rl, n);
  assert_memory_equal(reply, q, n);
  free(reply);
  free(q);
  expect(&c, aecho, "echo", "\"hi\"", "\"hi\"");
  expect(&c, aecho, "echo", NULL, "");
  /* a C component asks the AS one (troupe_ask_json from C, the reply from AS) */
  expect(&c, cprobe, "ask_to", "\"aecho\"", "\"question\"");

  /* counter: MESSAGEs count, an ASK and `get` answer, `add` takes a JSON or CBOR integer */
  for (int i = 0; i < 3; i++)
    assert_int_equal(cu_send_json(&c, counter, "\"tick\""), 0);
  assert_true(CU_WAIT(result_has(&c, counter, "get", "{\"count\":3}", NULL)));
  expect(&c, counter, "add", "5", "{\"count\":8}");
  expect(&c, counter, "add", "-10", "{\"count\":-2}");
  expect_err(&c, counter, "add", "\"five\"", TROUPE_E_INVAL, "add takes one integer");
  static const uint8_t cbor_add[] = {0x51, 0x18, 100}; /* CBOR 100 */
  uint8_t *res = NULL;
  size_t rlen = 0;
  troupe_err err;
  assert_int_equal(troupe_host_invoke(c.h, counter, "add", cbor_add, sizeof cbor_add,
                                      TROUPE_SEC(20), &res, &rlen, &err), 0);
  assert_int_equal(rlen, 2 + strlen("{\"count\":98}"));
  assert_memory_equal(res + 2, "{\"count\":98}", rlen - 2);
  free(res);
  q = cu_json("null", &n);
  assert_int_equal(troupe_host_ask(c.h, counter, 0, q, n, TROUPE_SEC(10), &reply, &rl, NULL), 0);
  assert_int_equal(rl, 2 + strlen("{\"count\":98}"));
  free(reply);
  free(q);
  /* its count goes across a hot upgrade (_state_save -> _state_load, a Borsh i64), to
   * itself and to the Rust counter and back (the same format); to the C counter, which
   * takes no state, it starts afresh */
  assert_int_equal(troupe_host_upgrade(c.h, counter, "as_counter", NULL, 0, 0, &err), 0);
  expect(&c, counter, "get", NULL, "{\"count\":98}");
  assert_int_equal(troupe_host_upgrade(c.h, counter, "rust_counter", NULL, 0, 0, &err), 0);
  expect(&c, counter, "add", "1", "{\"count\":99}");
  assert_int_equal(troupe_host_upgrade(c.h, counter, "as_counter", NULL, 0, 0, &err), 0);
  expect(&c, counter, "get", NULL, "{\"count\":99}");
  assert_int_equal(troupe_host_upgrade(c.h, counter, "counter", NULL, 0, 0, &err), 0);
  expect(&c, counter, "add", "2", "{\"count\":2}");
  cu_host_free(&c);
}

static void publish_and_subscribe_with_c_both_ways(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_caps pubsub = {.publish = LIST("news.>"), .subscribe = LIST("news.>")};
  troupe_component_id csub = spawn_caps(&c, "csub", "subscriber", pubsub);
  troupe_component_id cpub = spawn_caps(&c, "cpub", "publisher", pubsub);
  troupe_component_id aprobe = spawn_caps(&c, "aprobe", "as_probe", pubsub);
  assert_true(int_call(&c, aprobe, "subscribe", "[\"news.>\"]") > 0);

  /* AS publishes: the C subscriber receives it */
  expect(&c, aprobe, "publish", "[\"news.from_as\", {\"a\":1}]", "true");
  assert_true(CU_WAIT(result_has(&c, csub, "count", "\"count\":1,", "news.from_as")));
  /* C publishes: the AS probe receives it, from the C publisher, with its subject */
  expect(&c, cpub, "publish", "\"from c\"", "");
  char want[64];
  snprintf(want, sizeof want, "\"from\":%llu,", (unsigned long long)cpub);
  assert_true(CU_WAIT(result_has(&c, aprobe, "last", "\"subject\":\"news.flash\"", want)));
  assert_true(result_has(&c, aprobe, "last", "\"kind\":\"PUBLICATION\"", "\"payload\":\"from c\""));
  cu_host_free(&c);
}

static void crasher_crashes_as_asked_and_is_restarted(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_id id = spawn_caps(&c, "acrasher", "as_crasher", no_caps);
  size_t n, rl;
  uint8_t *ping = cu_json("\"ping\"", &n), *reply = NULL;

  /* tag 0: a trap; tag 1: a negative code; tag 3: a failed assert (AssemblyScript's
   * abort, logged through troupe.log); each a crash the supervisor restarts */
  static const int32_t tags[] = {0, 1, 3};
  for (unsigned i = 0; i < sizeof tags / sizeof tags[0]; i++) {
    uint32_t before = cu_restarts(&c, id);
    assert_int_equal(troupe_host_send(c.h, id, tags[i], ping, n, NULL), 0);
    assert_true(CU_WAIT(cu_restarts(&c, id) == before + 1));
    assert_true(CU_WAIT(cu_state(&c, id) == TROUPE_COMPONENT_READY));
    assert_true(CU_WAIT(troupe_host_ask(c.h, id, 0, ping, n, TROUPE_SEC(10), &reply, &rl,
                                        NULL) == 0));
    assert_int_equal(rl, 2 + strlen("\"pong\""));
    assert_memory_equal(reply + 2, "\"pong\"", rl - 2);
    free(reply);
  }
  assert_true(cu_log_has(&c.log, "component_log", "abort: crasher: asked to fail an assert"));
  /* an ordinary message is counted; the invocable `crash` traps */
  assert_int_equal(troupe_host_send(c.h, id, 9, ping, n, NULL), 0);
  uint8_t *count = cu_json("\"count\"", &n);
  assert_true(CU_WAIT(troupe_host_ask(c.h, id, 0, count, n, TROUPE_SEC(10), &reply, &rl,
                                      NULL) == 0 &&
                      (rl == 2 + strlen("{\"handled\":1}") &&
                               memcmp(reply + 2, "{\"handled\":1}", rl - 2) == 0
                           ? (free(reply), true)
                           : (free(reply), false))));
  free(count);
  expect_err(&c, id, "crash", NULL, TROUPE_E_TRAP, "unreachable");
  free(ping);
  cu_host_free(&c);
}

static void c_rust_and_as_components_give_identical_results(void **state) {
  (void)state;
  sdk_conformance(-1);
}

int main(void) {
  sdk = &as_lang;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(echo_and_counter_answer_like_c),
      cmocka_unit_test(publish_and_subscribe_with_c_both_ways),
      cmocka_unit_test(crasher_crashes_as_asked_and_is_restarted),
      cmocka_unit_test(c_rust_and_as_components_give_identical_results),
      SDK_PROBE_TESTS,
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
