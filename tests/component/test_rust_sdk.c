/*
 * tests/component/test_rust_sdk.c: the Rust guest SDK (sdk/rust) against the real host.
 * The Rust examples (examples/components/rust/) answer like their C twins and talk to
 * C components (ask both ways, publish and subscribe both ways, timers, cleanup, state
 * kept across a hot upgrade); rust_probe puts every SDK call behind an export, and each
 * is driven here: messaging, asks now / later / async, pub-sub, timers, monitors and
 * DOWN, spawn within and beyond its capabilities, log, time, health, cleanup, JSON and
 * Borsh payloads, and errors arriving as the enum whose codes and names are the host's.
 * And a conformance table: the same calls to a C example and its Rust twin give the
 * same statuses and results. The probe tests and the table are shared with the
 * AssemblyScript SDK's test (sdk_test_helper.h).
 */
#include "sdk_test_helper.h"

static const sdk_lang rust_lang = {
    .probe = "rust_probe",
    .echo = "rust_sdk_echo",
    .silent = "rust_publisher", /* answers no ask */
    .cleanup_line = "rust_probe cleanup after",
};

/* ---- the examples --------------------------------------------------------------------- */

static void echo_counter_and_asker_answer_across_languages(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_id echo = spawn_caps(&c, "echo", "echo", no_caps);
  troupe_component_id recho = spawn_caps(&c, "recho", "rust_sdk_echo", no_caps);
  troupe_component_id counter = spawn_caps(&c, "rcounter", "rust_counter", no_caps);
  spawn_caps(&c, "secret", "echo", no_caps);
  troupe_component_id asker = spawn_caps(&c, "rasker", "rust_asker",
                                         (troupe_component_caps){.send_to = LIST("echo", "recho")});
  troupe_component_id cprobe = spawn_caps(&c, "cprobe", "probe",
                                          (troupe_component_caps){.send_to = LIST("recho")});
  (void)echo;

  /* echo: the host asks, the ASK's payload comes back; the export returns its args */
  size_t n, rl;
  uint8_t *q = cu_json("{\"hi\":[1,2]}", &n), *reply;
  assert_int_equal(troupe_host_ask(c.h, recho, 3, q, n, TROUPE_SEC(10), &reply, &rl, NULL), 0);
  assert_int_equal(rl, n);
  assert_memory_equal(reply, q, n);
  free(reply);
  free(q);
  expect(&c, recho, "echo", "\"hi\"", "\"hi\"");
  /* a C component asks the Rust one (troupe_ask_json from C, reply from Rust) */
  expect(&c, cprobe, "ask_to", "\"recho\"", "\"question\"");

  /* counter: MESSAGEs count, an ASK and `get` answer, `add` takes an integer */
  for (int i = 0; i < 3; i++)
    assert_int_equal(cu_send_json(&c, counter, "\"tick\""), 0);
  assert_true(CU_WAIT(result_has(&c, counter, "get", "{\"count\":3}", NULL)));
  expect(&c, counter, "add", "5", "{\"count\":8}");
  expect(&c, counter, "add", "-10", "{\"count\":-2}");
  expect_err(&c, counter, "add", "\"five\"", TROUPE_E_INVAL, "add takes one integer");
  q = cu_json("null", &n);
  assert_int_equal(troupe_host_ask(c.h, counter, 0, q, n, TROUPE_SEC(10), &reply, &rl, NULL), 0);
  assert_int_equal(rl, 2 + strlen("{\"count\":-2}"));
  assert_memory_equal(reply + 2, "{\"count\":-2}", rl - 2);
  free(reply);
  free(q);
  /* its state goes across a hot upgrade (_state_save -> _state_load, Borsh i64) */
  troupe_err err;
  assert_int_equal(troupe_host_upgrade(c.h, counter, "rust_counter", NULL, 0, 0, &err), 0);
  expect(&c, counter, "get", NULL, "{\"count\":-2}");
  /* to the C counter, which takes no state: it starts afresh */
  assert_int_equal(troupe_host_upgrade(c.h, counter, "counter", NULL, 0, 0, &err), 0);
  expect(&c, counter, "get", NULL, "{\"count\":0}");

  /* asker: Rust asks Rust and C by name, and the errors come back named */
  expect(&c, asker, "ask", "\"recho\"", "{\"from\":\"asker\",\"n\":1}");
  expect(&c, asker, "ask", "\"echo\"", "{\"from\":\"asker\",\"n\":2}");
  expect(&c, asker, "ask", NULL, "{\"from\":\"asker\",\"n\":3}");
  expect_err(&c, asker, "ask", "\"nobody\"", TROUPE_E_NOTFOUND, "lookup: NOTFOUND");
  expect_err(&c, asker, "ask", "\"secret\"", TROUPE_E_DENIED, "ask: DENIED");
  expect_err(&c, asker, "ask", "42", TROUPE_E_INVAL, "a component name");
  cu_host_free(&c);
}

static void publisher_and_subscriber_across_languages(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_caps pub = {.publish = LIST("news.>")}, sub = {.subscribe = LIST("news.>")};
  troupe_component_id rsub = spawn_caps(&c, "rsub", "rust_subscriber", sub);
  troupe_component_id csub = spawn_caps(&c, "csub", "subscriber", sub);
  troupe_component_id rpub = spawn_caps(&c, "rpub", "rust_publisher", pub);
  troupe_component_id cpub = spawn_caps(&c, "cpub", "publisher", pub);

  /* Rust publishes: the Rust and the C subscriber receive it */
  expect(&c, rpub, "publish", "{\"a\":1}", "");
  assert_true(CU_WAIT(result_has(&c, rsub, "count", "{\"count\":1,\"last\":\"news.flash\"}",
                                 NULL)));
  assert_true(CU_WAIT(result_has(&c, csub, "count", "\"count\":1,", "news.flash")));
  /* C publishes: the Rust subscriber receives it */
  expect(&c, cpub, "publish", "\"from c\"", "");
  assert_true(CU_WAIT(result_has(&c, rsub, "count", "{\"count\":2,\"last\":\"news.flash\"}",
                                 NULL)));

  /* timers: ticks every 5 ms until stopped; a second stop finds no timer */
  expect(&c, rpub, "start", "5", "");
  assert_true(CU_WAIT(result_has(&c, rsub, "count", "\"last\":\"news.tick\"", NULL)));
  expect(&c, rpub, "stop", NULL, "");
  expect(&c, rpub, "stop", NULL, "");
  expect_err(&c, rpub, "start", "0", TROUPE_E_INVAL, "interval");

  /* _cleanup runs at an orderly stop */
  assert_int_equal(troupe_host_stop(c.h, rpub, NULL), 0);
  assert_true(CU_WAIT(cu_log_has(&c.log, "component_log", "rust_publisher stopping after")));
  cu_host_free(&c);
}

/* ---- conformance: C and Rust (test_as_sdk.c runs the table for all three) --------- */

static void c_and_rust_components_give_identical_results(void **state) {
  (void)state;
  sdk_conformance(1);
}

int main(void) {
  sdk = &rust_lang;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(echo_counter_and_asker_answer_across_languages),
      cmocka_unit_test(publisher_and_subscriber_across_languages),
      cmocka_unit_test(c_and_rust_components_give_identical_results),
      SDK_PROBE_TESTS,
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
