/*
 * tests/node/test_scenario_match.c: the test kit's JSON matcher as a table of cases --
 * exact and subset, objects, arrays, numbers by value, type differences -- and the path
 * it names for the first difference (what a failing step's diagnostic shows).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "node/scenario.h"

#include <string.h>

typedef struct mcase {
  const char *want, *got;
  bool subset, match;
  const char *where; /* a substring of the explanation of a mismatch */
} mcase;

static const mcase cases[] = {
    /* scalars: the same in both modes */
    {"1", "1", false, true, NULL},
    {"1", "1.0", false, true, NULL}, /* numbers by value: YAML cannot say which */
    {"1", "2", true, false, "at $: the number differs"},
    {"\"a\"", "\"a\"", true, true, NULL},
    {"\"a\"", "\"ab\"", true, false, "at $: the string differs"},
    {"\"1\"", "1", true, false, "at $: expected a string, got a number"},
    {"null", "null", false, true, NULL},
    {"true", "false", true, false, "at $: the value differs"},
    {"null", "false", true, false, "expected null, got a boolean"},
    /* objects: exact wants the same keys; subset lets got have more */
    {"{\"a\":1}", "{\"a\":1}", false, true, NULL},
    {"{\"a\":1}", "{\"a\":1,\"b\":2}", false, false, "at $.b: not expected"},
    {"{\"a\":1}", "{\"a\":1,\"b\":2}", true, true, NULL},
    {"{\"a\":1,\"c\":3}", "{\"a\":1,\"b\":2}", true, false, "at $.c: missing"},
    {"{}", "{\"anything\":[1]}", true, true, NULL},
    {"{}", "[]", true, false, "expected an object, got an array"},
    /* recursively */
    {"{\"a\":{\"b\":{\"c\":1}}}", "{\"a\":{\"b\":{\"c\":1,\"d\":2},\"e\":3}}", true, true, NULL},
    {"{\"a\":{\"b\":{\"c\":1}}}", "{\"a\":{\"b\":{\"c\":2}}}", true, false, "at $.a.b.c:"},
    {"{\"a\":{\"b\":1}}", "{\"a\":{\"b\":1,\"x\":0}}", false, false, "at $.a.x: not expected"},
    /* arrays: element-wise, same length, elements matched in the same mode */
    {"[1,2,3]", "[1,2,3]", false, true, NULL},
    {"[1,2]", "[1,2,3]", true, false, "at $: expected 2 elements, got 3"},
    {"[1,3,2]", "[1,2,3]", true, false, "at $[1]: the number differs"},
    {"[{\"id\":1},{\"id\":2}]", "[{\"id\":1,\"n\":\"a\"},{\"id\":2,\"n\":\"b\"}]", true, true, NULL},
    {"[{\"id\":1},{\"id\":2}]", "[{\"id\":1,\"n\":\"a\"},{\"id\":2,\"n\":\"b\"}]", false, false,
     "at $[0].n: not expected"},
    {"{\"items\":[{\"id\":1},{\"id\":3}]}", "{\"items\":[{\"id\":1},{\"id\":2}]}", true, false,
     "at $.items[1].id: the number differs"},
    {"[]", "[]", false, true, NULL},
};

static json_t *parse(const char *text) {
  json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
  assert_non_null(j);
  return j;
}

static void test_match_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const mcase *c = &cases[i];
    json_t *want = parse(c->want), *got = parse(c->got);
    char where[256];
    bool m = trN_json_match(want, got, c->subset, where, sizeof where);
    if (m != c->match)
      fail_msg("case %zu: %s %s %s: expected %s, got %s (%s)", i, c->want,
               c->subset ? "subset of" : "equal to", c->got, c->match ? "match" : "mismatch",
               m ? "match" : "mismatch", where);
    if (!m && c->where && !strstr(where, c->where))
      fail_msg("case %zu: explanation '%s' lacks '%s'", i, where, c->where);
    json_decref(want);
    json_decref(got);
  }
}

/* The expected values come from YAML: plain scalars are typed as YAML 1.2's core
 * schema says, quoted ones are strings. */
static void test_yaml_values(void **state) {
  (void)state;
  static const char text[] = "a: 5\nb: \"5\"\nc: -2.5\nd: true\ne: ~\nf: hello\ng: [1, '2']\n"
                             "h: {x: null}\ni: 0x10\nj: 1e3\nk: ''\n";
  trN_ynode *root = NULL;
  troupe_err err;
  assert_int_equal(trN_scenario_yaml_load(text, sizeof text - 1, "v.yaml", &root, &err), TROUPE_OK);
  const trN_ynode *bad = NULL;
  json_t *j = trN_yaml_to_json(root, &bad);
  assert_non_null(j);
  json_t *want = parse("{\"a\":5,\"b\":\"5\",\"c\":-2.5,\"d\":true,\"e\":null,\"f\":\"hello\","
                       "\"g\":[1,\"2\"],\"h\":{\"x\":null},\"i\":\"0x10\",\"j\":1000.0,\"k\":\"\"}");
  char where[256];
  if (!trN_json_match(want, j, false, where, sizeof where))
    fail_msg("YAML values: %s", where);
  assert_true(json_is_integer(json_object_get(j, "a")));
  assert_true(json_is_string(json_object_get(j, "b")));
  json_decref(want);
  json_decref(j);
  trN_yaml_free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_match_table),
      cmocka_unit_test(test_yaml_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
