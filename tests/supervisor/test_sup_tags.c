/*
 * tests/supervisor/test_sup_tags.c: the tag ranges of include/troupe/actor.h as seen by
 * a layer above the core. Every tag the core and supervision send lies in its layer's
 * range inside the reserved 0x54xxxxxx block, so an application that keeps its tags
 * outside that block can never be mistaken for the runtime (a supervisor tells its
 * protocol messages apart by tag alone). The sources check the same at compile time;
 * this states the rule where the tests are read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "troupe/actor.h"
#include "troupe/supervisor.h"

static void runtime_tags_lie_in_their_layers_ranges(void **st) {
  (void)st;
  assert_true(TROUPE_TAG_IN_RANGE(TROUPE_TAG_HEALTH, TROUPE_TAG_RANGE_CORE));
  assert_true(TROUPE_TAG_IN_RANGE(TROUPE_SUP_TAG_ACK, TROUPE_TAG_RANGE_SUP));
  assert_true(TROUPE_TAG_IN_RANGE(TROUPE_SUP_TAG_REQ, TROUPE_TAG_RANGE_SUP));
  assert_true(TROUPE_TAG_IN_RANGE(TROUPE_SUP_TAG_TICK, TROUPE_TAG_RANGE_SUP));
  assert_true(TROUPE_TAG_IN_RANGE(TROUPE_SUP_TAG_ANSWER, TROUPE_TAG_RANGE_SUP));
  const uint32_t tags[] = {TROUPE_TAG_HEALTH, TROUPE_SUP_TAG_ACK, TROUPE_SUP_TAG_REQ,
                           TROUPE_SUP_TAG_TICK, TROUPE_SUP_TAG_ANSWER};
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
    assert_true(TROUPE_TAG_IS_RESERVED(tags[i]));
}

static void layer_ranges_are_distinct_and_reserved(void **st) {
  (void)st;
  const uint32_t r[] = {TROUPE_TAG_RANGE_CORE, TROUPE_TAG_RANGE_SUP, TROUPE_TAG_RANGE_BROKER,
                        TROUPE_TAG_RANGE_COMPONENT, TROUPE_TAG_RANGE_NODE};
  size_t n = sizeof r / sizeof r[0];
  for (size_t i = 0; i < n; i++) {
    assert_true(TROUPE_TAG_IS_RESERVED(r[i]));
    for (size_t j = i + 1; j < n; j++)
      assert_false(TROUPE_TAG_IN_RANGE(r[i], r[j]));
  }
}

static void application_tags_are_free(void **st) {
  (void)st;
  assert_false(TROUPE_TAG_IS_RESERVED(0u));
  assert_false(TROUPE_TAG_IS_RESERVED(1u));
  assert_false(TROUPE_TAG_IS_RESERVED(0x53550001u)); /* 'S' 'U': free, not the runtime's */
  assert_false(TROUPE_TAG_IS_RESERVED(0x55000000u));
  assert_false(TROUPE_TAG_IS_RESERVED(0xffffffffu));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(runtime_tags_lie_in_their_layers_ranges),
      cmocka_unit_test(layer_ranges_are_distinct_and_reserved),
      cmocka_unit_test(application_tags_are_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
