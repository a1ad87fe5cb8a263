/*
 * tests/component/test_restart.c: failure and restart. A trap is a crash whose reason
 * names the trap, the function and the offset; the supervisor restarts the component
 * under the same id and name with a fresh instance; messages queued behind the one that
 * crashed it are handled by the new incarnation, none lost; whoever asked the crashing
 * message gets an error, and so does an asker whose target dies mid-ask.
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

static void no_message_lost(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("crashy", "probe");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  troupe_component_info before;
  assert_int_equal(troupe_host_info(c.h, id, &before, NULL), 0);
  /* the crash, then 500 messages right behind it: all go to the next incarnation */
  assert_int_equal(cu_send_json(&c, id, "\"crash\""), 0);
  for (int i = 0; i < 500; i++) {
    char text[16];
    snprintf(text, sizeof text, "%d", i);
    assert_int_equal(cu_send_json(&c, id, text), 0);
  }
  assert_true(CU_WAIT(cu_restarts(&c, id) == 1 && cu_state(&c, id) == TROUPE_COMPONENT_READY));
  char *out = NULL;
  for (int tries = 0; tries < 4000; tries++) {
    free(out);
    out = NULL;
    if (cu_invoke(&c, id, "counters", NULL, &out) == 0 && strncmp(out, "[500,", 5) == 0)
      break;
    cu_sleep_ms(5);
  }
  assert_non_null(out);
  assert_memory_equal(out, "[500,", 5);
  free(out);
  assert_int_equal(cu_invoke(&c, id, "last_payload", NULL, &out), 0);
  assert_string_equal(out, "499"); /* in order: the last one last */
  free(out);
  troupe_component_info after;
  assert_int_equal(troupe_host_info(c.h, id, &after, NULL), 0);
  assert_int_equal(after.id, id);
  assert_string_equal(after.name, "crashy");
  assert_int_equal(after.restarts, 1);
  assert_true(after.actor != before.actor); /* a new incarnation */
  assert_int_equal(after.last_exit.kind, TROUPE_EXIT_CRASH);
  assert_non_null(strstr(after.last_exit.message, "unreachable (function "));
  assert_non_null(strstr(after.last_exit.message, "offset 0x"));
  assert_non_null(strstr(after.last_exit.message, "handle-message"));
  troupe_component_info_clear(&before);
  troupe_component_info_clear(&after);
  assert_true(cu_log_has(&c.log, "component_stopped", "reason=crash"));
}

/* The asker whose question crashed the component gets an error, not silence. */
static void asker_of_the_crash(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("asked", "probe");
  troupe_component_id id = cu_spawn(&c, &s);
  size_t n;
  uint8_t *q = cu_json("\"crash\"", &n), *r = NULL;
  size_t rl;
  troupe_err err;
  assert_int_equal(troupe_host_ask(c.h, id, 1, q, n, TROUPE_SEC(20), &r, &rl, &err),
                   TROUPE_E_NOT_RUNNING);
  free(q);
  assert_true(CU_WAIT(cu_restarts(&c, id) == 1 && cu_state(&c, id) == TROUPE_COMPONENT_READY));
}

/* A component asking another that dies mid-ask gets NOT_RUNNING as its answer (the
 * victim spins on a message queued before the question, so the stop comes mid-ask). */
static void target_killed_while_answering(void **state) {
  (void)state;
  const char *to[] = {"spinner"};
  troupe_component_spec a = cu_spec("asker2", "probe");
  a.caps.send_to = (troupe_pattern_list){to, 1};
  troupe_component_spec v = cu_spec("spinner", "probe");
  v.restart = TROUPE_TEMPORARY;
  v.shutdown_ms = 50;
  troupe_component_id w = cu_spawn(&c, &a), vid = cu_spawn(&c, &v);
  assert_true(w && vid);
  /* host asks the victim "spin" in the background: it spins in handle-message */
  size_t n;
  uint8_t *q = cu_json("\"spin\"", &n);
  assert_int_equal(troupe_host_send(c.h, vid, 1, q, n, NULL), 0); /* a MESSAGE "spin" */
  free(q);
  /* the waiter's ask now queues behind the spin: it cannot be answered */
  assert_true(cu_invoke_int(&c, w, "ask_async_to", "\"spinner\"") > 0);
  assert_int_equal(troupe_host_stop(c.h, vid, NULL), 0);
  assert_true(CU_WAIT(cu_invoke_contains(&c, w, "counters", ",0,1]")));
  assert_int_equal(cu_invoke_int(&c, w, "last_tag_value", NULL), TROUPE_E_NOT_RUNNING);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(no_message_lost),
      cmocka_unit_test(asker_of_the_crash),
      cmocka_unit_test(target_killed_while_answering),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
