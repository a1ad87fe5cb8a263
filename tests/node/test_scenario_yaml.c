/*
 * tests/node/test_scenario_yaml.c: the node layer's YAML reader (src/node/yaml.c), which
 * the scenarios and the manifests share: the tree it builds (places, plain and quoted
 * scalars, pairs of a mapping), each refusal with its place, carrying on after anchors
 * and aliases when the caller asks (as the manifest does) and stopping at the first
 * refusal otherwise (as a scenario does), its bounds, a tree in the caller's allocator,
 * and out of memory at every allocation (no leak: ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"
#include "node/yaml.h"

#include <stdio.h>
#include <string.h>

/* What a callback saw: the refusals in order, as "LINE:COL PROBLEM". */
typedef struct seen {
  char text[1024];
  size_t len;
  int count;
  bool go_on;
} seen;

static bool record(void *ctx, const trN_yaml_error *e) {
  seen *s = ctx;
  s->count++;
  s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "%s%u:%u %d",
                             s->len ? ", " : "", (unsigned)e->line, (unsigned)e->column,
                             (int)e->problem);
  return s->go_on;
}

static int parse(const char *text, seen *s, trN_ynode **root) {
  trN_yaml_config cfg = {.max_bytes = 1 << 20, .max_nodes = 1000, .error = record,
                         .error_ctx = s};
  return trN_yaml_parse(text, strlen(text), &cfg, root);
}

static void test_tree(void **state) {
  (void)state;
  static const char text[] = "a: 1\nb: [x, 'y', !!str z]\nc:\n  d: ~\n";
  seen s = {0};
  trN_ynode *root = NULL;
  assert_int_equal(parse(text, &s, &root), TROUPE_OK);
  assert_int_equal(s.count, 0);
  assert_non_null(root);
  assert_int_equal(root->kind, TRN_Y_MAP);
  assert_int_equal(root->n, 3); /* pairs */
  assert_string_equal(root->items[0]->text, "a");
  const trN_ynode *b = root->items[3];
  assert_int_equal(b->kind, TRN_Y_SEQ);
  assert_int_equal(b->n, 3);
  assert_int_equal(b->line, 2);
  assert_int_equal(b->column, 4);
  assert_true(b->items[0]->plain);
  assert_false(b->items[1]->plain); /* quoted */
  assert_false(b->items[2]->plain); /* tagged */
  assert_int_equal(b->items[1]->column, 8);
  const trN_ynode *c = root->items[5];
  assert_int_equal(c->kind, TRN_Y_MAP);
  assert_int_equal(c->items[1]->line, 4);
  assert_int_equal(c->items[1]->column, 6);
  trN_yaml_free(root);

  /* nothing at all: no tree, no error */
  assert_int_equal(parse("", &s, &root), TROUPE_OK);
  assert_null(root);
  assert_int_equal(parse("# only a comment\n", &s, &root), TROUPE_OK);
  assert_null(root);
}

static void test_refusals(void **state) {
  (void)state;
  char want[64];
  static const struct {
    const char *text;
    unsigned line, col;
    trN_yaml_problem problem;
  } cases[] = {
      {"a: [1, 2\n", 2, 1, TRN_YAML_SYNTAX},
      {"a: 1\n\tb: 2\n", 2, 1, TRN_YAML_SYNTAX},
      {"a: \xff\n", 1, 4, TRN_YAML_ENCODING},
      {"a: 1\n---\nb: 2\n", 2, 1, TRN_YAML_DOCUMENTS},
      {"a: &x 1\n", 1, 4, TRN_YAML_ANCHOR},
      {"a: 1\nb: *x\n", 2, 4, TRN_YAML_ALIAS},
      {"a: \"x\\0y\"\n", 1, 4, TRN_YAML_NUL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    seen s = {0};
    trN_ynode *root = (trN_ynode *)1;
    int rc = parse(cases[i].text, &s, &root);
    snprintf(want, sizeof want, "%u:%u %d", cases[i].line, cases[i].col, (int)cases[i].problem);
    if (rc != TROUPE_E_INVAL || root || s.count != 1 || strcmp(s.text, want))
      fail_msg("case %zu: rc %d, %d refusals '%s', wanted '%s'", i, rc, s.count, s.text, want);
  }
}

/* With a callback that asks for more, every anchor and alias is named (the manifest
 * reports them all) and the rest of the text is still checked; without, the first. */
static void test_carrying_on(void **state) {
  (void)state;
  static const char text[] = "a: &x [1]\nb: *x\nc: \"\\0\"\nd: [\n";
  seen s = {.go_on = true};
  trN_ynode *root = NULL;
  assert_int_equal(parse(text, &s, &root), TROUPE_E_INVAL);
  assert_null(root);
  char want[128];
  snprintf(want, sizeof want, "1:4 %d, 2:4 %d, 3:4 %d, 5:1 %d", TRN_YAML_ANCHOR, TRN_YAML_ALIAS,
           TRN_YAML_NUL, TRN_YAML_SYNTAX);
  assert_string_equal(s.text, want);
  seen first = {0};
  assert_int_equal(parse(text, &first, &root), TROUPE_E_INVAL);
  assert_int_equal(first.count, 1);
  /* keep_nul: a NUL is the caller's business */
  static const char nul[] = "a: \"x\\0y\"\n";
  trN_yaml_config cfg = {.keep_nul = true};
  assert_int_equal(trN_yaml_parse(nul, sizeof nul - 1, &cfg, &root), TROUPE_OK);
  assert_int_equal(root->items[1]->len, 3);
  assert_int_equal(strlen(root->items[1]->text), 1);
  trN_yaml_free(root);
}

static void test_bounds(void **state) {
  (void)state;
  char text[4096];
  size_t n = (size_t)snprintf(text, sizeof text, "a: ");
  for (int i = 0; i < TRN_YAML_MAX_DEPTH; i++)
    text[n++] = '[';
  for (int i = 0; i < TRN_YAML_MAX_DEPTH; i++)
    text[n++] = ']';
  text[n] = '\0';
  seen s = {0};
  trN_ynode *root = NULL;
  /* the top mapping is level 1: the 64th '[' is level 65 */
  assert_int_equal(parse(text, &s, &root), TROUPE_E_INVAL);
  char want[64];
  snprintf(want, sizeof want, "1:%d %d", 3 + TRN_YAML_MAX_DEPTH, TRN_YAML_DEPTH);
  assert_string_equal(s.text, want);
  /* 63 levels inside the mapping are fine */
  memmove(text + 4, text + 5, n - 5);
  text[n - 2] = '\0';
  s = (seen){0};
  assert_int_equal(parse(text, &s, &root), TROUPE_OK);
  trN_yaml_free(root);

  /* nodes: the mapping, its key, a list and 997 items in it are 1000; one more is
   * refused where it is written */
  n = (size_t)snprintf(text, sizeof text, "a: [");
  for (int i = 0; i < 997; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%s1", i ? "," : "");
  snprintf(text + n, sizeof text - n, "]");
  s = (seen){0};
  assert_int_equal(parse(text, &s, &root), TROUPE_OK);
  trN_yaml_free(root);
  snprintf(text + n, sizeof text - n, ",1]");
  assert_int_equal(parse(text, &s, &root), TROUPE_E_INVAL);
  snprintf(want, sizeof want, "1:%zu %d", n + 2, TRN_YAML_NODES);
  assert_string_equal(s.text, want);

  /* size: refused before reading, with no place */
  trN_yaml_config cfg = {.max_bytes = 8, .error = record, .error_ctx = &s};
  s = (seen){0};
  assert_int_equal(trN_yaml_parse("a: 123456", 9, &cfg, &root), TROUPE_E_INVAL);
  snprintf(want, sizeof want, "0:0 %d", TRN_YAML_SIZE);
  assert_string_equal(s.text, want);
}

/* A tree in the caller's allocator: nothing of it is freed by the reader, even when it
 * refuses half-way (the caller frees its arena at once). */
typedef struct bump {
  void *blocks[4096];
  size_t n;
} bump;

static void *bump_alloc(void *ctx, size_t size) {
  bump *b = ctx;
  if (b->n == 4096)
    return NULL;
  return b->blocks[b->n++] = calloc(1, size);
}

static void test_callers_allocator(void **state) {
  (void)state;
  bump b = {.n = 0};
  seen s = {.go_on = true};
  trN_yaml_config cfg = {.alloc = bump_alloc, .alloc_ctx = &b, .error = record, .error_ctx = &s};
  static const char good[] = "a: [1, {b: c}]\n";
  trN_ynode *root = NULL;
  assert_int_equal(trN_yaml_parse(good, sizeof good - 1, &cfg, &root), TROUPE_OK);
  assert_string_equal(root->items[1]->items[1]->items[1]->text, "c");
  static const char bad[] = "a: [1, {b: *c}, [\n";
  assert_int_equal(trN_yaml_parse(bad, sizeof bad - 1, &cfg, &root), TROUPE_E_INVAL);
  assert_int_equal(s.count, 2);
  for (size_t i = 0; i < b.n; i++)
    free(b.blocks[i]);
}

/* Out of memory at every allocation: NOMEM and nothing leaked, until it succeeds. */
static void test_oom_sweep(void **state) {
  (void)state;
  static const char text[] = "a: [1, {b: c, d: [e, f]}]\ng: {h: i}\nj: 'k'\n";
  bool done = false;
  for (long n = 0; n < 1000 && !done; n++) {
    seen s = {0};
    trN_ynode *root = NULL;
    trB_alloc_fail_after(n);
    int rc = parse(text, &s, &root);
    trB_alloc_fail_after(-1);
    if (rc == TROUPE_OK) {
      assert_non_null(root);
      done = true;
    } else {
      assert_int_equal(rc, TROUPE_E_NOMEM);
      assert_null(root);
      assert_int_equal(s.count, 0);
    }
    trN_yaml_free(root);
  }
  assert_true(done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tree),       cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_carrying_on), cmocka_unit_test(test_bounds),
      cmocka_unit_test(test_callers_allocator), cmocka_unit_test(test_oom_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
