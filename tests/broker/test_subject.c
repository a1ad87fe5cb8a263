/*
 * tests/actor/test_subject.c: subject syntax and the subscription trie. Validation
 * tables for publish subjects and subscription patterns (nats-server's rules), the
 * error message naming the bad token, a wildcard matching table run both through the
 * reference matcher and the trie, and the trie's cost: the nodes a match visits do not
 * change when 100,000 unrelated subscriptions are added.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "broker/broker.h"

#include <stdio.h>

typedef struct vcase {
  const char *s;
  bool pub_ok; /* valid as a publish subject */
  bool sub_ok; /* valid as a subscription pattern */
} vcase;

static const vcase vcases[] = {
    {"foo", true, true},
    {"foo.bar", true, true},
    {"foo.bar.baz", true, true},
    {"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t", true, true}, /* > 16 tokens: heap path */
    {"_INBOX.abc.1", true, true},
    {"foo-bar_baz$%&", true, true},
    {"a*b", true, true},   /* wildcards only count as whole tokens (NATS) */
    {"a>", true, true},
    {"*a.>b", true, true},
    {"f\xc3\xbc\xc3\x9f.\xe2\x82\xac", true, true}, /* UTF-8 */
    {"*", false, true},
    {">", false, true},
    {"foo.*", false, true},
    {"foo.>", false, true},
    {"*.bar", false, true},
    {"*.*.>", false, true},
    {"foo.*.baz", false, true},
    {"", false, false},
    {".", false, false},
    {"foo.", false, false},
    {".foo", false, false},
    {"foo..bar", false, false},
    {"foo bar", false, false},
    {"foo.bar ", false, false},
    {" ", false, false},
    {"foo\t.bar", false, false},
    {"foo.\n", false, false},
    {"foo\r", false, false},
    {"fo\fo", false, false},
    {">.foo", false, false},
    {"foo.>.bar", false, false},
    {"foo.>.>", false, false},
    {"*.>.*", false, false},
    {"\xff", false, false},          /* invalid UTF-8 */
    {"a.\xc3", false, false},        /* truncated sequence */
    {"\xc0\xaf", false, false},      /* overlong */
    {"\xed\xa0\x80", false, false},  /* surrogate */
    {"\xef\xbf\xbd", false, false},  /* U+FFFD: nats-server rejects it too */
};

static void test_validation_table(void **st) {
  (void)st;
  for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
    const vcase *c = &vcases[i];
    troupe_err e = {0};
    int p = troupe_subject_validate(c->s, &e);
    if ((p == 0) != c->pub_ok)
      fail_msg("publish \"%s\": got %d (%s), want %s", c->s, p, e.msg, c->pub_ok ? "ok" : "INVAL");
    if (p)
      assert_int_equal(p, TROUPE_E_INVAL);
    int s = troupe_subject_validate_pattern(c->s, &e);
    if ((s == 0) != c->sub_ok)
      fail_msg("pattern \"%s\": got %d (%s), want %s", c->s, s, e.msg, c->sub_ok ? "ok" : "INVAL");
    if (s)
      assert_int_equal(s, TROUPE_E_INVAL);
  }
  assert_int_equal(troupe_subject_validate(NULL, NULL), TROUPE_E_INVAL);
  assert_int_equal(troupe_subject_validate_pattern(NULL, NULL), TROUPE_E_INVAL);
}

/* The message says which token is wrong and why. */
static void test_error_messages(void **st) {
  (void)st;
  troupe_err e = {0};
  assert_int_equal(troupe_subject_validate("foo..bar", &e), TROUPE_E_INVAL);
  assert_non_null(strstr(e.msg, "token 2 is empty"));
  assert_int_equal(troupe_subject_validate("a.b.*", &e), TROUPE_E_INVAL);
  assert_non_null(strstr(e.msg, "token 3 is the wildcard '*'"));
  assert_int_equal(troupe_subject_validate_pattern("a.>.c", &e), TROUPE_E_INVAL);
  assert_non_null(strstr(e.msg, "token 2 '>' must be the last token"));
  assert_int_equal(troupe_subject_validate_pattern("a.b c", &e), TROUPE_E_INVAL);
  assert_non_null(strstr(e.msg, "token 2 contains whitespace"));
  assert_int_equal(troupe_subject_validate("x.\xff", &e), TROUPE_E_INVAL);
  assert_non_null(strstr(e.msg, "token 2 is not valid UTF-8"));
}

typedef struct mcase {
  const char *pattern, *subject;
  bool match;
} mcase;

static const mcase mcases[] = {
    {"a.*", "a", false},         {"a.*", "a.b", true},        {"a.*", "a.b.c", false},
    {"a.*", "b.c", false},       {"a.>", "a", false},         {"a.>", "a.b", true},
    {"a.>", "a.b.c", true},      {"a.>", "a.b.c.d.e", true},  {"a.>", "b.a", false},
    {"*.b", "a.b", true},        {"*.b", "b", false},         {"*.b", "a.b.c", false},
    {"*.b", "x.y", false},       {">", "a", true},            {">", "a.b", true},
    {">", "a.b.c.d", true},      {"*", "a", true},            {"*", "a.b", false},
    {"a.b", "a.b", true},        {"a.b", "a.bc", false},      {"a.b", "a", false},
    {"a.b", "a.b.c", false},     {"*.*", "a.b", true},        {"*.*", "a", false},
    {"*.>", "a", false},         {"*.>", "a.b", true},        {"a.*.c", "a.b.c", true},
    {"a.*.c", "a.b.d", false},   {"a.*.>", "a.b.c.d", true},  {"a.*.>", "a.b", false},
    {"a*b", "a*b", true},        {"a*b", "axb", false},
};

/* Reference semantics (troupe_subject_matches) and the trie agree on the table. */
static void test_matching_table(void **st) {
  (void)st;
  size_t n = sizeof mcases / sizeof mcases[0];
  for (size_t i = 0; i < n; i++)
    if (troupe_subject_matches(mcases[i].pattern, mcases[i].subject) != mcases[i].match)
      fail_msg("reference: %s vs %s", mcases[i].pattern, mcases[i].subject);
  /* One trie with every distinct pattern; each subject must match exactly the set the
   * table says. */
  trU_strie *t = trU_strie_new();
  assert_non_null(t);
  trU_sub subs[sizeof mcases / sizeof mcases[0]];
  memset(subs, 0, sizeof subs);
  for (size_t i = 0; i < n; i++) {
    trU_tokens p;
    assert_int_equal(trU_subject_split(mcases[i].pattern, true, &p, NULL), 0);
    subs[i].id = i + 1;
    assert_int_equal(trU_strie_insert(t, &p, &subs[i]), 0);
    trU_tokens_free(&p);
  }
  for (size_t i = 0; i < n; i++) {
    trU_tokens s;
    assert_int_equal(trU_subject_split(mcases[i].subject, false, &s, NULL), 0);
    trU_subvec out;
    trU_subvec_init(&out);
    uint64_t visited = 0;
    assert_int_equal(trU_strie_match(t, &s, &out, &visited), 0);
    for (size_t j = 0; j < n; j++) {
      size_t hits = 0;
      for (size_t k = 0; k < out.n; k++)
        hits += out.v[k] == &subs[j];
      bool want = troupe_subject_matches(mcases[j].pattern, mcases[i].subject);
      if (hits != (want ? 1u : 0u))
        fail_msg("trie: pattern %s vs %s: %zu hits, want %d", mcases[j].pattern,
                 mcases[i].subject, hits, want);
    }
    trU_subvec_free(&out);
    trU_tokens_free(&s);
  }
  /* Removing every subscription prunes the trie back to its root. */
  for (size_t i = 0; i < n; i++)
    trU_strie_remove(t, &subs[i]);
  assert_int_equal(trU_strie_node_count(t), 1);
  trU_strie_free(t);
}

static size_t match_count(trU_strie *t, const char *subject, uint64_t *visited) {
  trU_tokens s;
  assert_int_equal(trU_subject_split(subject, false, &s, NULL), 0);
  trU_subvec out;
  trU_subvec_init(&out);
  assert_int_equal(trU_strie_match(t, &s, &out, visited), 0);
  size_t n = out.n;
  trU_subvec_free(&out);
  trU_tokens_free(&s);
  return n;
}

static void insert(trU_strie *t, const char *pattern, trU_sub *s) {
  trU_tokens p;
  assert_int_equal(trU_subject_split(pattern, true, &p, NULL), 0);
  assert_int_equal(trU_strie_insert(t, &p, s), 0);
  trU_tokens_free(&p);
}

/* Matching work is the same with and without 100,000 unrelated subscriptions: siblings
 * of the path (a.b.x<i>), deeper under it (a.b.c.d<i>), elsewhere (u<i>.x) and under
 * wildcards that do not fit (a.*.y<i>). */
static void test_visited_independent_of_unrelated(void **st) {
  (void)st;
  trU_strie *t = trU_strie_new();
  trU_sub rel[4];
  memset(rel, 0, sizeof rel);
  insert(t, "a.b.c", &rel[0]);
  insert(t, "a.*.c", &rel[1]);
  insert(t, "a.>", &rel[2]);
  insert(t, "*.b.*", &rel[3]);
  uint64_t v0 = 0, v1 = 0;
  assert_int_equal(match_count(t, "a.b.c", &v0), 4);
  assert_true(v0 > 0);
  enum { N = 100000 };
  trU_sub *un = calloc(N, sizeof *un);
  assert_non_null(un);
  char buf[64];
  for (int i = 0; i < N; i++) {
    switch (i % 4) {
    case 0: snprintf(buf, sizeof buf, "a.b.x%d", i); break;
    case 1: snprintf(buf, sizeof buf, "a.b.c.d%d", i); break;
    case 2: snprintf(buf, sizeof buf, "u%d.x", i); break;
    default: snprintf(buf, sizeof buf, "a.*.y%d", i); break;
    }
    insert(t, buf, &un[i]);
  }
  assert_true(trU_strie_node_count(t) > N);
  assert_int_equal(match_count(t, "a.b.c", &v1), 4);
  assert_int_equal(v1, v0);
  for (int i = 0; i < N; i++)
    trU_strie_remove(t, &un[i]);
  assert_int_equal(match_count(t, "a.b.c", &v1), 4);
  assert_int_equal(v1, v0);
  for (int i = 0; i < 4; i++)
    trU_strie_remove(t, &rel[i]);
  assert_int_equal(trU_strie_node_count(t), 1);
  trU_strie_free(t);
  free(un);
}

/* A subject of 200,000 tokens neither recurses in C nor fails; the explicit stack and
 * the token array grow on the heap. */
static void test_long_subject(void **st) {
  (void)st;
  enum { T = 200000 };
  char *s = malloc(2 * T);
  assert_non_null(s);
  for (int i = 0; i < T; i++) {
    s[2 * i] = 'a';
    s[2 * i + 1] = i + 1 < T ? '.' : '\0';
  }
  trU_strie *t = trU_strie_new();
  trU_sub subs[3];
  memset(subs, 0, sizeof subs);
  insert(t, s, &subs[0]);
  insert(t, "a.>", &subs[1]);
  s[2 * (T - 1)] = '*';
  insert(t, s, &subs[2]); /* a.a.....a.* */
  s[2 * (T - 1)] = 'a';
  uint64_t v = 0;
  assert_int_equal(match_count(t, s, &v), 3);
  assert_true(v >= T);
  trU_strie_free(t); /* iterative too */
  free(s);
}


/* Out-of-memory at every allocation of split, insert and match: each call fails
 * cleanly, the trie stays consistent (removing what was inserted prunes it back to the
 * root: the failed inserts left no orphan nodes), and ASan sees no leak. */
static void test_oom_sweep(void **st) {
  (void)st;
  static const char *pats[] = {"a.b.c", "a.*.c", "a.>", ">", "*.b", "x.y.z.w",
                               "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r", "a.b.c"};
  enum { NP = sizeof pats / sizeof pats[0] };
  bool clean = false;
  for (long n = 0; !clean && n < 10000; n++) {
    trB_alloc_fail_after(n);
    trU_strie *t = trU_strie_new();
    if (!t)
      continue;
    trU_sub subs[NP];
    memset(subs, 0, sizeof subs);
    bool ok = true;
    for (size_t i = 0; i < NP; i++) {
      trU_tokens p;
      int rc = trU_subject_split(pats[i], true, &p, NULL);
      if (rc == 0) {
        rc = trU_strie_insert(t, &p, &subs[i]);
        trU_tokens_free(&p);
      }
      if (rc) {
        assert_int_equal(rc, TROUPE_E_NOMEM);
        ok = false;
      }
    }
    trU_tokens s;
    if (trU_subject_split("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r", false, &s, NULL) == 0) {
      trU_subvec out;
      trU_subvec_init(&out);
      int rc = trU_strie_match(t, &s, &out, NULL);
      assert_true(rc == 0 || rc == TROUPE_E_NOMEM);
      ok &= rc == 0;
      trU_subvec_free(&out);
      trU_tokens_free(&s);
    } else {
      ok = false;
    }
    for (size_t i = 0; i < NP; i++)
      trU_strie_remove(t, &subs[i]); /* a sub that was never inserted has node NULL */
    assert_int_equal(trU_strie_node_count(t), 1);
    trU_strie_free(t);
    clean = ok;
  }
  trB_alloc_fail_after(-1);
  assert_true(clean);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_validation_table),
      cmocka_unit_test(test_error_messages),
      cmocka_unit_test(test_matching_table),
      cmocka_unit_test(test_visited_independent_of_unrelated),
      cmocka_unit_test(test_long_subject),
      cmocka_unit_test(test_oom_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
