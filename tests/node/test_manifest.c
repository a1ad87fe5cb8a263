/*
 * tests/node/test_manifest.c: application manifests (include/troupe/manifest.h).
 * A table of manifests with exactly the errors each must produce (line:column: field:
 * message), a complete manifest read back field by field (specs, configs, units,
 * defaults, the tree, positions, resolved paths), hostile input (deep nesting, huge
 * scalars, billion laughs, bytes that are not UTF-8, NULs, empty and oversized files,
 * several documents), out-of-memory swept over a load, and the files under
 * data/manifests/ plus examples/apps/demo.yaml through the API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"
#include "troupe/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA TROUPE_TEST_DATA "/manifests/"

static const troupe_manifest_options k_opts = {.modules_dir = TROUPE_COMPONENTS_DIR};

/* "line:column: field: message" of error i, without the file. */
static const char *err_text(const troupe_manifest_errors *e, size_t i, char *buf, size_t cap) {
  const troupe_manifest_error *x = &e->v[i];
  snprintf(buf, cap, "%u:%u: %s: %s", (unsigned)x->line, (unsigned)x->column, x->field,
           x->message);
  return buf;
}

static void dump_errors(const troupe_manifest_errors *e) {
  char buf[1024];
  for (size_t i = 0; i < e->n; i++)
    print_message("    got: %s\n", err_text(e, i, buf, sizeof buf));
}

/* ---- the table of wrong manifests ----------------------------------------------------- */
typedef struct bad_case {
  const char *name;
  const char *yaml;
  /* each error, in order, as the start of "line:column: field: message" */
  const char *errors[8];
} bad_case;

/* A root that lists every component the cases below define, so they only fail where
 * they mean to. */
#define ROOT_OF(...) "supervisors:\n  root:\n    children: [" __VA_ARGS__ "]\n"

static const bad_case k_bad[] = {
    {"unknown top-level field",
     "nodes: {}\n" ROOT_OF(""),
     {"1:1: nodes: unknown field (expected one of: node, components, supervisors, "
      "subscriptions)"}},
    {"unknown component field",
     "components:\n  echo:\n    path: echo.wasm\n    colour: red\n" ROOT_OF("echo"),
     {"4:5: components.echo.colour: unknown field (expected one of: module, path, limits,"}},
    {"wrong type: an integer",
     "components:\n  echo:\n    path: echo.wasm\n    limits:\n      max_call_depth: abc\n"
     ROOT_OF("echo"),
     {"5:23: components.echo.limits.max_call_depth: expected an integer, got 'abc'"}},
    {"wrong type: pages",
     "components:\n  echo:\n    path: echo.wasm\n    limits:\n      max_memory_pages: abc\n"
     ROOT_OF("echo"),
     {"5:25: components.echo.limits.max_memory_pages: expected a number of 64 KiB pages, or "
      "a size: 16MiB, 1GiB; got 'abc'"}},
    {"wrong type: a mapping where a list goes",
     "components:\n  echo:\n    path: echo.wasm\n    caps:\n      send_to: {a: b}\n"
     ROOT_OF("echo"),
     {"5:16: components.echo.caps.send_to: expected a list, got a mapping"}},
    {"wrong type: a list where a string goes",
     "components:\n  echo:\n    path: [echo.wasm]\n" ROOT_OF("echo"),
     {"3:11: components.echo.path: expected a string, got a list"}},
    {"missing module",
     "components:\n  echo:\n    restart: transient\n" ROOT_OF("echo"),
     {"2:3: components.echo: missing required field 'module' (a store reference) or 'path'"}},
    {"both module and path",
     "components:\n  echo:\n    module: echo\n    path: echo.wasm\n" ROOT_OF("echo"),
     {"2:3: components.echo: give either 'module' or 'path', not both"}},
    {"missing supervisors",
     "components: {}\n",
     {"1:1: supervisors: missing required field (at least the root)"}},
    {"a field given twice",
     "components:\n  echo:\n    path: echo.wasm\n    path: echo.wasm\n" ROOT_OF("echo"),
     {"4:5: components.echo.path: given twice (first at line 3)"}},
    {"duplicate component names (the second's fields still checked)",
     "components:\n  echo:\n    path: echo.wasm\n  echo:\n    module: echo\n    colour: red\n"
     ROOT_OF("echo"),
     {"4:3: components.echo: component 'echo' is defined twice (first at line 2)",
      "6:5: components.echo.colour: unknown field"}},
    {"a supervisor named like a component",
     "components:\n  echo:\n    path: echo.wasm\nsupervisors:\n  root:\n    children: [echo]\n"
     "  echo:\n    children: []\n",
     {"7:3: supervisors.echo: 'echo' is also a component's name (line 2)",
      "7:3: supervisors.echo: supervisor 'echo' is in no supervisor's children, but 'root'"}},
    {"a bad name",
     "components:\n  \"a b\":\n    path: echo.wasm\n" ROOT_OF(""),
     {"2:3: components.a b: a name may hold only letters, digits, '_', '-' and '.'"}},
    {"names: empty tokens, a trailing dot, too long",
     "components:\n  a..b:\n    path: echo.wasm\n  c.:\n    path: echo.wasm\n"
     "  " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:\n    path: echo.wasm\n" ROOT_OF(""),
     {"2:3: components.a..b: a name is dot-separated tokens: found an empty token",
      "4:3: components.c.: a name may not end with '.'",
      "6:3: components.aaaa"}},
    {"unknown child",
     "components:\n  echo:\n    path: echo.wasm\n" ROOT_OF("echo, ghost"),
     {"6:22: supervisors.root.children[1]: no component or supervisor named 'ghost'"}},
    {"a component in no supervisor",
     "components:\n  echo:\n    path: echo.wasm\n  lonely:\n    path: echo.wasm\n"
     ROOT_OF("echo"),
     {"4:3: components.lonely: component 'lonely' is in no supervisor's children"}},
    {"a component in two supervisors",
     "components:\n  echo:\n    path: echo.wasm\nsupervisors:\n  root:\n"
     "    children: [echo, sub]\n  sub:\n    children: [echo]\n",
     {"8:16: supervisors.sub.children[0]: component 'echo' is already a child of supervisor "
      "'root' (line 6)"}},
    {"listed twice by one supervisor",
     "components:\n  echo:\n    path: echo.wasm\n" ROOT_OF("echo, echo"),
     {"6:22: supervisors.root.children[1]: component 'echo' is already a child of supervisor "
      "'root' (line 6)"}},
    {"a cycle of supervisors",
     "supervisors:\n  root:\n    children: []\n  a:\n    children: [b]\n  b:\n"
     "    children: [a]\n",
     {"4:3: supervisors.a: supervisors form a cycle: a -> b -> a (each is a child of the "
      "next)"}},
    {"duplicate supervisor names",
     "supervisors:\n  root:\n    children: []\n  root:\n    children: []\n",
     {"4:3: supervisors.root: supervisor 'root' is defined twice (first at line 2)"}},
    {"a supervisor with two parents",
     "supervisors:\n  root:\n    children: [a, b]\n  a:\n    children: [b]\n  b:\n"
     "    children: []\n",
     {"5:16: supervisors.a.children[0]: supervisor 'b' is already a child of supervisor 'root' "
      "(line 3): a supervisor has one parent"}},
    {"unknown supervisor field",
     "supervisors:\n  root:\n    kids: []\n",
     {"3:5: supervisors.root.kids: unknown field (expected one of: strategy, intensity, "
      "period_ms, auto_shutdown, restart_delay_ms, restart_delay_max_ms, restart, children)"}},
    {"a supervisor its own child",
     "supervisors:\n  root:\n    children: [root]\n",
     {"3:16: supervisors.root.children[0]: supervisor 'root' cannot be its own child"}},
    {"two roots",
     "supervisors:\n  root:\n    children: []\n  other:\n    children: []\n",
     {"4:3: supervisors.other: supervisor 'other' is in no supervisor's children, but 'root' "
      "(line 2) is already the root: a manifest has one root"}},
    {"no supervisor at all",
     "components: {}\nsupervisors: {}\n",
     {"2:14: supervisors: a manifest needs at least one supervisor (the root)"}},
    {"malformed capability patterns",
     "components:\n  echo:\n    path: echo.wasm\n    caps:\n"
     "      send_to: [\"a..b\", \"x.>.y\", \"a b\", \"\"]\n      publish: [news.>]\n"
     ROOT_OF("echo"),
     {"5:17: components.echo.caps.send_to[0]: malformed pattern 'a..b': token 2 is empty",
      "5:25: components.echo.caps.send_to[1]: malformed pattern 'x.>.y': token 2 '>' must be "
      "the last token",
      "5:34: components.echo.caps.send_to[2]: malformed pattern 'a b': token 1 contains "
      "whitespace",
      "5:41: components.echo.caps.send_to[3]: malformed pattern '': empty"}},
    {"malformed subscription",
     "components:\n  echo:\n    path: echo.wasm\n" ROOT_OF("echo")
     "subscriptions:\n  - component: echo\n    subject: \"news.>.x\"\n  - component: ghost\n"
     "    subject: news.x\n  - subject: x\n",
     {"9:14: subscriptions[0].subject: malformed pattern 'news.>.x'",
      "10:16: subscriptions[1].component: no component named 'ghost'",
      "12:5: subscriptions[2]: missing required field 'component'"}},
    {"bad module references",
     "components:\n  a:\n    module: \"sha256:xyz\"\n  b:\n    module: b@\n"
     "  c:\n    module: ./c.wasm\n" ROOT_OF("a, b, c"),
     {"3:13: components.a.module: module reference 'sha256:xyz'",
      "5:13: components.b.module: module reference 'b@'",
      "7:13: components.c.module: module reference './c.wasm'"}},
    {"module file missing",
     "components:\n  echo:\n    path: nothere.wasm\n" ROOT_OF("echo"),
     {"3:11: components.echo.path: module file 'nothere.wasm' not found (looked for '"}},
    {"significant on a permanent component",
     "components:\n  job:\n    path: echo.wasm\n    significant: true\nsupervisors:\n"
     "  root:\n    auto_shutdown: any_significant\n    children: [job]\n",
     {"4:18: components.job.significant: a significant component must have restart transient "
      "or temporary"}},
    {"significant without auto_shutdown",
     "components:\n  job:\n    path: echo.wasm\n    restart: temporary\n    significant: true\n"
     ROOT_OF("job"),
     {"5:18: components.job.significant: significant has no effect: its supervisor 'root' "
      "has auto_shutdown never"}},
    {"values out of range",
     "node:\n  workers: 5000\ncomponents:\n  echo:\n    path: echo.wasm\n    limits:\n"
     "      max_memory_pages: 70000\n      max_message_bytes: 2GiB\n"
     "      max_stack_bytes: 99999999999999999999999\n    health_threshold: 0\n"
     "supervisors:\n  root:\n    intensity: -1\n    period_ms: 0\n    children: [echo]\n",
     {"2:12: node.workers: '5000' is out of range: 0..1024",
      "7:25: components.echo.limits.max_memory_pages: '70000' is out of range: 1..65536 pages",
      "8:26: components.echo.limits.max_message_bytes: '2GiB' is out of range: 1..1073741824 "
      "bytes",
      "9:24: components.echo.limits.max_stack_bytes: '99999999999999999999999' is out of range",
      "10:23: components.echo.health_threshold: '0' is out of range: 1..4294967295",
      "13:16: supervisors.root.intensity: expected an integer or 'unlimited', got '-1'",
      "14:16: supervisors.root.period_ms: '0' is out of range: at least 1 ms"}},
    {"units that do not fit",
     "components:\n  echo:\n    path: echo.wasm\n    shutdown_ms: 5 years\n    limits:\n"
     "      max_memory_pages: 100KiB\n      start_timeout_ms: 1.5s\n" ROOT_OF("echo"),
     {"4:18: components.echo.shutdown_ms: expected a duration: milliseconds, or with a unit: "
      "500ms, 5s, 2m, 1h; got '5 years'",
      "6:25: components.echo.limits.max_memory_pages: '100KiB' is not a whole number of 64 "
      "KiB pages",
      "7:25: components.echo.limits.start_timeout_ms: expected a duration"}},
    {"enumerations",
     "components:\n  echo:\n    path: echo.wasm\n    restart: sometimes\n" "supervisors:\n"
     "  root:\n    strategy: simple_one_for_one\n    auto_shutdown: maybe\n    children: [echo]\n",
     {"4:14: components.echo.restart: expected one of permanent, transient, temporary; got "
      "'sometimes'",
      "7:15: supervisors.root.strategy: simple_one_for_one is not for manifests",
      "8:20: supervisors.root.auto_shutdown: expected one of never, any_significant, "
      "all_significant; got 'maybe'"}},
    {"booleans are true or false",
     "components:\n  echo:\n    path: echo.wasm\n    restart: transient\n    significant: yes\n"
     ROOT_OF("echo"),
     {"5:18: components.echo.significant: expected true or false, got 'yes'"}},
    {"environment",
     "components:\n  echo:\n    path: echo.wasm\n    env:\n      \"A=B\": x\n      C: [1]\n"
     "      D: 1\n      D: 2\n" ROOT_OF("echo"),
     {"5:7: components.echo.env.A=B: a variable's name may not be empty or hold '='",
      "6:10: components.echo.env.C: expected a string, got a list",
      "8:7: components.echo.env.D: given twice (first at line 7)"}},
    {"YAML syntax error",
     "components:\n  echo: [a, b\nsupervisors:\n  root: {}\n",
     {"3:12: : YAML syntax error: did not find expected ',' or ']' (while parsing a flow "
      "sequence at line 2, column 9)"}},
    {"tabs are not indentation",
     "supervisors:\n\troot: {}\n",
     {"2:1: : YAML syntax error: found character that cannot start any token"}},
    {"aliases are refused",
     "components:\n  echo:\n    path: echo.wasm\n    caps: &c\n      send_to: [x]\n"
     "  other:\n    path: echo.wasm\n    caps: *c\n" ROOT_OF("echo, other"),
     {"4:11: : anchors (&c) and aliases are not supported",
      "8:11: : aliases (*c) are not supported"}},
    {"two documents",
     "supervisors:\n  root: {}\n---\nsupervisors:\n  root: {}\n",
     {"3:1: : a manifest is one YAML document: found a second one"}},
    {"empty file", "", {"1:1: : the manifest is empty"}},
    {"only comments", "# nothing\n\n# here\n", {"1:1: : the manifest is empty"}},
    {"a list at the top", "- a\n- b\n", {"1:1: : expected a mapping with 'components' and "
                                          "'supervisors', got a list"}},
    {"a NUL inside a name",
     "components:\n  \"a\\0b\":\n    path: echo.wasm\n" ROOT_OF(""),
     {"2:3: components: expected a string, got one holding a NUL byte"}},
    {"bytes that are not UTF-8",
     "components:\n  ech\xff:\n    path: echo.wasm\n" ROOT_OF(""),
     {"2:6: : not a valid YAML file: invalid leading UTF-8 octet (byte 0xff)"}},
    {"node settings",
     "node:\n  name: \"my node\"\n  trusted_keys: [\"a b\"]\n  log_level: loud\n  store: \"\"\n"
     ROOT_OF(""),
     {"2:9: node.name: 'my node': a name may hold only letters",
      "3:18: node.trusted_keys[0]: a key may not hold white space",
      "4:14: node.log_level: expected one of debug, info, warn, error, off; got 'loud'",
      "5:10: node.store: may not be empty"}},
};

static void test_bad_manifests(void **state) {
  (void)state;
  int failures = 0;
  for (size_t c = 0; c < sizeof k_bad / sizeof k_bad[0]; c++) {
    const bad_case *bc = &k_bad[c];
    troupe_manifest *m = (troupe_manifest *)1;
    troupe_manifest_errors errs = {0};
    int rc = troupe_manifest_parse(bc->yaml, strlen(bc->yaml), "t/app.yaml", &k_opts, &m, &errs);
    size_t want = 0;
    while (want < 8 && bc->errors[want])
      want++;
    bool ok = rc == TROUPE_E_INVAL && m == NULL && errs.n == want;
    char buf[1024];
    for (size_t i = 0; ok && i < want; i++) {
      err_text(&errs, i, buf, sizeof buf);
      ok = strncmp(buf, bc->errors[i], strlen(bc->errors[i])) == 0 &&
           strcmp(errs.v[i].file, "t/app.yaml") == 0;
    }
    if (!ok) {
      print_message("case '%s': rc %d, %zu errors, wanted %zu:\n", bc->name, rc, errs.n, want);
      for (size_t i = 0; i < want; i++)
        print_message("   want: %s\n", bc->errors[i]);
      dump_errors(&errs);
      failures++;
    }
    troupe_manifest_errors_clear(&errs);
  }
  assert_int_equal(failures, 0);
}

/* ---- a complete manifest, read back ----------------------------------------------- */
static const char k_full[] =
    "# a complete manifest\n"                                     /* 1 */
    "node:\n"                                                     /* 2 */
    "  name: shop\n"                                              /* 3 */
    "  workers: 3\n"                                              /* 4 */
    "  store: state/store.db\n"                                   /* 5 */
    "  trusted_keys: [k1, k2]\n"                                  /* 6 */
    "  log: logs/node.jsonl\n"                                    /* 7 */
    "  log_level: debug\n"                                        /* 8 */
    "components:\n"                                               /* 9 */
    "  cart:\n"                                                   /* 10 */
    "    path: echo.wasm\n"                                       /* 11 */
    "    limits:\n"                                               /* 12 */
    "      max_memory_pages: 16MiB\n"                             /* 13 */
    "      max_stack_bytes: 512KiB\n"                             /* 14 */
    "      max_call_depth: 500\n"                                 /* 15 */
    "      fuel_slice: 20000\n"                                   /* 16 */
    "      fuel_per_message: 1000000\n"                           /* 17 */
    "      mailbox_bound: 64\n"                                   /* 18 */
    "      max_message_bytes: 64 KiB\n"                           /* 19 */
    "      start_timeout_ms: 2s\n"                                /* 20 */
    "      cleanup_timeout_ms: 250\n"                             /* 21 */
    "    caps:\n"                                                 /* 22 */
    "      send_to: [pay, \"audit.*\"]\n"                         /* 23 */
    "      accept_from: [\">\"]\n"                                /* 24 */
    "      publish: [shop.>]\n"                                   /* 25 */
    "      subscribe: [prices.*]\n"                               /* 26 */
    "      spawn: [\"worker@1.*\"]\n"                             /* 27 */
    "    args: [cart, --fast]\n"                                  /* 28 */
    "    env:\n"                                                  /* 29 */
    "      MODE: test\n"                                          /* 30 */
    "      N: 5\n"                                                /* 31 */
    "    restart: transient\n"                                    /* 32 */
    "    shutdown_ms: 1m\n"                                       /* 33 */
    "    health_interval_ms: 500ms\n"                             /* 34 */
    "    health_threshold: 4\n"                                   /* 35 */
    "    significant: true\n"                                     /* 36 */
    "  pay:\n"                                                    /* 37 */
    "    module: pay@2.1.0\n"                                     /* 38 */
    "  audit.log:\n"                                              /* 39 */
    "    module: sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
    "supervisors:\n"                                              /* 41 */
    "  top:\n"                                                    /* 42 */
    "    strategy: rest_for_one\n"                                /* 43 */
    "    intensity: unlimited\n"                                  /* 44 */
    "    period_ms: 2h\n"                                         /* 45 */
    "    children: [pay, front]\n"                                /* 46 */
    "  front:\n"                                                  /* 47 */
    "    strategy: one_for_all\n"                                 /* 48 */
    "    intensity: 2\n"                                          /* 49 */
    "    period_ms: 10s\n"                                        /* 50 */
    "    auto_shutdown: all_significant\n"                        /* 51 */
    "    restart: transient\n"                                    /* 52 */
    "    restart_delay_ms: 10ms\n"                                /* 53 */
    "    restart_delay_max_ms: 1s\n"                              /* 54 */
    "    children: [cart, audit.log]\n"                           /* 55 */
    "subscriptions:\n"                                            /* 56 */
    "  - component: cart\n"                                       /* 57 */
    "    subject: prices.>\n";                                    /* 58 */

static void test_full_manifest(void **state) {
  (void)state;
  troupe_manifest *m = NULL;
  troupe_manifest_errors errs = {0};
  int rc = troupe_manifest_parse(k_full, strlen(k_full), "apps/shop.yaml", &k_opts, &m, &errs);
  if (rc)
    dump_errors(&errs);
  assert_int_equal(rc, TROUPE_OK);
  assert_int_equal(errs.n, 0);
  assert_string_equal(m->path, "apps/shop.yaml");
  assert_string_equal(m->dir, "apps");

  /* node: paths resolved against the manifest's folder; modules_dir from the options */
  assert_string_equal(m->node.name, "shop");
  assert_int_equal(m->node.workers, 3);
  assert_string_equal(m->node.store, "apps/state/store.db");
  assert_int_equal(m->node.ntrusted_keys, 2);
  assert_string_equal(m->node.trusted_keys[1], "k2");
  assert_string_equal(m->node.log, "apps/logs/node.jsonl");
  assert_int_equal(m->node.log_level, TROUPE_LOG_DEBUG);
  assert_string_equal(m->node.modules_dir, TROUPE_COMPONENTS_DIR);
  assert_int_equal(m->node.pos.line, 3);

  /* components in file order */
  assert_int_equal(m->ncomponents, 3);
  const troupe_manifest_component *cart = &m->components[0];
  const troupe_component_spec *s = &cart->spec;
  assert_string_equal(s->name, "cart");
  assert_null(s->module);
  assert_string_equal(cart->module_path, TROUPE_COMPONENTS_DIR "/echo.wasm");
  assert_int_equal(s->limits.max_memory_pages, 256);
  assert_int_equal(s->limits.max_stack_bytes, 512 * 1024);
  assert_int_equal(s->limits.max_call_depth, 500);
  assert_int_equal(s->limits.fuel_slice, 20000);
  assert_int_equal(s->limits.fuel_per_message, 1000000);
  assert_int_equal(s->limits.mailbox_bound, 64);
  assert_int_equal(s->limits.max_message_bytes, 65536);
  assert_int_equal(s->limits.start_timeout_ms, 2000);
  assert_int_equal(s->limits.cleanup_timeout_ms, 250);
  assert_int_equal(s->caps.send_to.n, 2);
  assert_string_equal(s->caps.send_to.v[1], "audit.*");
  assert_int_equal(s->caps.accept_from.n, 1);
  assert_string_equal(s->caps.accept_from.v[0], ">");
  assert_string_equal(s->caps.publish.v[0], "shop.>");
  assert_string_equal(s->caps.subscribe.v[0], "prices.*");
  assert_string_equal(s->caps.spawn.v[0], "worker@1.*");
  assert_int_equal(s->argc, 2);
  assert_string_equal(s->argv[0], "cart");
  assert_string_equal(s->argv[1], "--fast");
  assert_int_equal(s->envc, 2);
  assert_string_equal(s->env[0], "MODE=test");
  assert_string_equal(s->env[1], "N=5");
  assert_int_equal(s->restart, TROUPE_TRANSIENT);
  assert_int_equal(s->shutdown_ms, 60000);
  assert_int_equal(s->health_interval_ms, 500);
  assert_int_equal(s->health_threshold, 4);
  assert_true(cart->significant);
  assert_int_equal(cart->pos.line, 10);
  assert_int_equal(cart->pos.column, 3);
  assert_string_equal(cart->pos.file, "apps/shop.yaml");

  /* a store reference; everything else zero (= the host's defaults), accept_from NULL */
  const troupe_manifest_component *pay = &m->components[1];
  assert_string_equal(pay->spec.module, "pay@2.1.0");
  assert_null(pay->module_path);
  troupe_component_limits zero;
  memset(&zero, 0, sizeof zero);
  assert_memory_equal(&pay->spec.limits, &zero, sizeof zero);
  assert_null(pay->spec.caps.accept_from.v);
  assert_int_equal(pay->spec.caps.send_to.n, 0);
  assert_int_equal(pay->spec.restart, TROUPE_PERMANENT);
  assert_int_equal(pay->spec.shutdown_ms, 0);
  assert_false(pay->significant);
  assert_string_equal(m->components[2].spec.name, "audit.log");
  assert_true(strncmp(m->components[2].spec.module, "sha256:0123", 11) == 0);

  /* supervisors: configs, children in order, parents, the root */
  assert_int_equal(m->nsupervisors, 2);
  const troupe_manifest_supervisor *top = &m->supervisors[0], *front = &m->supervisors[1];
  assert_int_equal(m->root, 0);
  assert_int_equal(top->parent, TROUPE_MANIFEST_NO_PARENT);
  assert_int_equal(front->parent, 0);
  assert_string_equal(top->config.name, "top");
  assert_int_equal(top->config.strategy, TROUPE_REST_FOR_ONE);
  assert_int_equal(top->config.intensity, TROUPE_SUP_INTENSITY_UNLIMITED);
  assert_int_equal(top->config.period_ms, 7200000);
  assert_int_equal(top->config.auto_shutdown, TROUPE_AUTO_NEVER);
  assert_int_equal(top->restart, TROUPE_PERMANENT);
  assert_int_equal(top->nchildren, 2);
  assert_int_equal(top->children[0].kind, TROUPE_MANIFEST_COMPONENT);
  assert_int_equal(top->children[0].index, 1);
  assert_int_equal(top->children[1].kind, TROUPE_MANIFEST_SUPERVISOR);
  assert_int_equal(top->children[1].index, 1);
  assert_int_equal(top->children[1].pos.line, 46);
  assert_int_equal(top->children[1].pos.column, 21);
  assert_int_equal(front->config.strategy, TROUPE_ONE_FOR_ALL);
  assert_int_equal(front->config.intensity, 2);
  assert_int_equal(front->config.period_ms, 10000);
  assert_int_equal(front->config.auto_shutdown, TROUPE_AUTO_ALL_SIGNIFICANT);
  assert_int_equal(front->config.restart_delay_ms, 10);
  assert_int_equal(front->config.restart_delay_max_ms, 1000);
  assert_int_equal(front->restart, TROUPE_TRANSIENT);
  assert_int_equal(front->nchildren, 2);
  assert_int_equal(front->children[0].index, 0);
  assert_int_equal(front->children[1].index, 2);
  assert_int_equal(m->components[0].supervisor, 1);
  assert_int_equal(m->components[1].supervisor, 0);

  /* subscriptions */
  assert_int_equal(m->nsubscriptions, 1);
  assert_int_equal(m->subscriptions[0].component, 0);
  assert_string_equal(m->subscriptions[0].subject, "prices.>");
  assert_int_equal(m->subscriptions[0].pos.line, 57);

  assert_int_equal(troupe_manifest_find_component(m, "pay"), 1);
  assert_int_equal(troupe_manifest_find_component(m, "nope"), SIZE_MAX);
  assert_int_equal(troupe_manifest_find_supervisor(m, "front"), 1);
  troupe_manifest_free(m);
}

/* Defaults: a supervisor with nothing set has troupe_sup_config_init's values; no
 * node section gives NULLs and info; module paths are relative to the manifest's folder
 * unless modules_dir says otherwise (itself relative to the manifest). */
static void test_defaults_and_paths(void **state) {
  (void)state;
  const char *y = "node:\n  modules_dir: mods\n  workers: \"4\"\ncomponents:\n  e:\n"
                  "    path: e.wasm\n    caps:\n      accept_from: []\n"
                  "  f:\n    path: /abs/f.wasm\nsupervisors:\n  root:\n    children: [e, f]\n";
  troupe_manifest_options skip = {.skip_files = true};
  troupe_manifest *m = NULL;
  assert_int_equal(troupe_manifest_parse(y, strlen(y), "dir/app.yaml", &skip, &m, NULL), 0);
  assert_string_equal(m->node.modules_dir, "dir/mods");
  assert_int_equal(m->node.workers, 4); /* a quoted number is the number */
  /* an empty accept_from is no list: the host then accepts everyone (documented) */
  assert_int_equal(m->components[0].spec.caps.accept_from.n, 0);
  assert_string_equal(m->components[0].module_path, "dir/mods/e.wasm");
  assert_string_equal(m->components[1].module_path, "/abs/f.wasm");
  assert_string_equal(m->node.name, "app"); /* from the file's name */
  assert_null(m->node.store);
  assert_null(m->node.log);
  assert_int_equal(m->node.log_level, TROUPE_LOG_INFO);
  troupe_sup_config def;
  troupe_sup_config_init(&def);
  assert_int_equal(m->supervisors[0].config.strategy, def.strategy);
  assert_int_equal(m->supervisors[0].config.intensity, def.intensity);
  assert_int_equal(m->supervisors[0].config.period_ms, def.period_ms);
  troupe_manifest_free(m);

  const char *z = "components:\n  e:\n    path: e.wasm\nsupervisors:\n  root:\n"
                  "    children: [e]\n";
  assert_int_equal(troupe_manifest_parse(z, strlen(z), "app.yaml", &skip, &m, NULL), 0);
  assert_string_equal(m->node.modules_dir, ".");
  assert_string_equal(m->components[0].module_path, "./e.wasm");
  troupe_manifest_free(m);
  /* a file name that is no valid name gives none */
  assert_int_equal(troupe_manifest_parse(z, strlen(z), "/x/my app.yaml", &skip, &m, NULL), 0);
  assert_null(m->node.name);
  troupe_manifest_free(m);
}

/* ---- hostile input ---------------------------------------------------------------- */
static int parse_text(const char *text, size_t len, troupe_manifest_errors *errs) {
  troupe_manifest *m = NULL;
  int rc = troupe_manifest_parse(text, len, "hostile.yaml", &k_opts, &m, errs);
  troupe_manifest_free(m);
  return rc;
}

static bool first_error_has(const troupe_manifest_errors *e, const char *needle) {
  return e->n > 0 && strstr(e->v[0].message, needle) != NULL;
}

static void test_deep_nesting(void **state) {
  (void)state;
  size_t depth = 100000;
  char *t = malloc(2 * depth + 16);
  assert_non_null(t);
  size_t o = 0;
  memcpy(t, "node: ", 6);
  o = 6;
  for (size_t i = 0; i < depth; i++)
    t[o++] = '[';
  for (size_t i = 0; i < depth; i++)
    t[o++] = ']';
  t[o++] = '\n';
  troupe_manifest_errors errs = {0};
  assert_int_equal(parse_text(t, o, &errs), TROUPE_E_INVAL);
  assert_int_equal(errs.n, 1);
  assert_true(first_error_has(&errs, "nested deeper than 64 levels"));
  assert_int_equal(errs.v[0].line, 1);
  /* the top mapping is level 1: the 64th '[' would be level 65 */
  assert_int_equal(errs.v[0].column, 6 + 64);
  troupe_manifest_errors_clear(&errs);

  /* block nesting too: 2 spaces per level */
  o = 0;
  for (size_t i = 0; i < 200; i++) {
    for (size_t j = 0; j < 2 * i; j++)
      t[o++] = ' ';
    o += (size_t)sprintf(t + o, "k%zu:\n", i);
  }
  assert_int_equal(parse_text(t, o, &errs), TROUPE_E_INVAL);
  assert_true(first_error_has(&errs, "nested deeper than 64 levels"));
  troupe_manifest_errors_clear(&errs);
  free(t);
}

static void test_huge_scalars(void **state) {
  (void)state;
  /* an 8 MiB module reference: refused, quoted in the message cut short (a key that
   * long is a YAML syntax error: implicit keys have at most 1024 characters) */
  size_t n = 8u << 20;
  char *t = malloc(n + 256);
  assert_non_null(t);
  size_t o = (size_t)sprintf(t, "components:\n  e:\n    module: ");
  memset(t + o, 'a', n);
  o += n;
  o += (size_t)sprintf(t + o, "\nsupervisors:\n  root:\n    children: [e]\n");
  troupe_manifest_errors errs = {0};
  assert_int_equal(parse_text(t, o, &errs), TROUPE_E_INVAL);
  assert_int_equal(errs.n, 1);
  assert_true(first_error_has(&errs, "module reference 'aaaa"));
  assert_true(strlen(errs.v[0].message) < 700);
  troupe_manifest_errors_clear(&errs);
  memcpy(t, "components:\n  ", 14);
  memset(t + 14, 'a', 2000);
  memcpy(t + 14 + 2000, ":\n", 3);
  assert_int_equal(parse_text(t, 14 + 2002, &errs), TROUPE_E_INVAL);
  assert_true(first_error_has(&errs, "YAML syntax error"));
  troupe_manifest_errors_clear(&errs);

  /* a huge integer and a huge pattern: refused, messages stay short */
  o = (size_t)sprintf(t, "node:\n  workers: ");
  memset(t + o, '9', 1 << 20);
  o += 1 << 20;
  o += (size_t)sprintf(t + o, "\nsupervisors:\n  root: {}\n");
  assert_int_equal(parse_text(t, o, &errs), TROUPE_E_INVAL);
  assert_true(first_error_has(&errs, "is out of range"));
  assert_true(strlen(errs.v[0].message) < 200);
  troupe_manifest_errors_clear(&errs);
  free(t);

  /* beyond the size limit: refused before parsing */
  size_t big = (16u << 20) + 1;
  char *b = malloc(big);
  assert_non_null(b);
  memset(b, '#', big);
  assert_int_equal(parse_text(b, big, &errs), TROUPE_E_INVAL);
  assert_int_equal(errs.n, 1);
  assert_true(first_error_has(&errs, "a manifest may have at most"));
  troupe_manifest_errors_clear(&errs);
  free(b);
}

static void test_billion_laughs(void **state) {
  (void)state;
  static const char laughs[] =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
      "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
      "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
  troupe_manifest_errors errs = {0};
  assert_int_equal(parse_text(laughs, strlen(laughs), &errs), TROUPE_E_INVAL);
  /* 9 anchors and 72 aliases, each refused where it is written; nothing expanded */
  assert_int_equal(errs.n + errs.more, 81);
  assert_true(first_error_has(&errs, "anchors (&a) and aliases are not supported"));
  troupe_manifest_errors_clear(&errs);

  /* a self-referencing anchor cannot loop either */
  static const char self[] = "a: &x [*x]\n";
  assert_int_equal(parse_text(self, strlen(self), &errs), TROUPE_E_INVAL);
  assert_int_equal(errs.n, 2);
  troupe_manifest_errors_clear(&errs);
}

/* Many components (past every growth of the name table): each found under its
 * supervisor, a duplicate found among them, every reference resolved. */
static void test_many(void **state) {
  (void)state;
  size_t n = 10000, groups = 10;
  size_t cap = n * 64 + groups * (n / groups) * 8 + 4096;
  char *t = malloc(cap);
  assert_non_null(t);
  size_t o = (size_t)sprintf(t, "components:\n");
  for (size_t i = 0; i < n; i++)
    o += (size_t)sprintf(t + o, "  c%zu:\n    module: m%zu@1.0\n", i, i % 7);
  o += (size_t)sprintf(t + o, "supervisors:\n  root:\n    children: [");
  for (size_t g = 0; g < groups; g++)
    o += (size_t)sprintf(t + o, "%sg%zu", g ? ", " : "", g);
  o += (size_t)sprintf(t + o, "]\n");
  for (size_t g = 0; g < groups; g++) {
    o += (size_t)sprintf(t + o, "  g%zu:\n    children: [", g);
    for (size_t i = g * (n / groups); i < (g + 1) * (n / groups); i++)
      o += (size_t)sprintf(t + o, "%sc%zu", i % (n / groups) ? ", " : "", i);
    o += (size_t)sprintf(t + o, "]\n");
  }
  assert_true(o < cap);
  troupe_manifest *m = NULL;
  troupe_manifest_errors errs = {0};
  assert_int_equal(troupe_manifest_parse(t, o, "many.yaml", &k_opts, &m, &errs), 0);
  assert_int_equal(m->ncomponents, n);
  assert_int_equal(m->nsupervisors, groups + 1);
  for (size_t i = 0; i < n; i += 997) {
    char name[32];
    snprintf(name, sizeof name, "c%zu", i);
    assert_int_equal(troupe_manifest_find_component(m, name), i);
    assert_int_equal(m->components[i].supervisor, 1 + i / (n / groups));
  }
  assert_int_equal(m->supervisors[5].children[999].index, 4 * (n / groups) + 999);
  troupe_manifest_free(m);

  /* the last component defined again: found through the grown table */
  char *dup = malloc(o + 64);
  assert_non_null(dup);
  size_t head = (size_t)sprintf(dup, "components:\n  c%zu:\n    module: x\n", n - 1);
  memcpy(dup + head, t + strlen("components:\n"), o - strlen("components:\n"));
  size_t len = head + o - strlen("components:\n");
  assert_int_equal(troupe_manifest_parse(dup, len, "many.yaml", &k_opts, &m, &errs),
                   TROUPE_E_INVAL);
  assert_int_equal(errs.n, 1);
  assert_non_null(strstr(errs.v[0].message, "component 'c9999' is defined twice (first at line 2)"));
  troupe_manifest_errors_clear(&errs);
  free(dup);
  free(t);
}

/* Many errors: the list stops at its capacity and counts the rest. */
static void test_error_cap(void **state) {
  (void)state;
  size_t n = 500;
  char *t = malloc(n * 32 + 64);
  assert_non_null(t);
  size_t o = (size_t)sprintf(t, "node:\n");
  for (size_t i = 0; i < n; i++)
    o += (size_t)sprintf(t + o, "  bogus%zu: 1\n", i);
  troupe_manifest_errors errs = {0};
  assert_int_equal(parse_text(t, o, &errs), TROUPE_E_INVAL);
  assert_int_equal(errs.n, TROUPE_MANIFEST_MAX_ERRORS);
  /* 500 unknown fields, and the missing supervisors */
  assert_int_equal(errs.n + errs.more, n + 1);
  troupe_manifest_errors_clear(&errs);
  free(t);
}

static void test_format(void **state) {
  (void)state;
  troupe_manifest_error e = {.file = "app.yaml", .line = 12, .column = 7,
                             .field = "components.echo.limits.max_memory_pages",
                             .message = "expected an integer, got 'abc'"};
  char buf[256];
  int n = troupe_manifest_error_format(&e, buf, sizeof buf);
  assert_string_equal(buf, "app.yaml:12:7: components.echo.limits.max_memory_pages: expected "
                           "an integer, got 'abc'");
  assert_int_equal(n, (int)strlen(buf));
  troupe_manifest_error io = {.file = "x.yaml", .field = "", .message = "cannot open"};
  troupe_manifest_error_format(&io, buf, sizeof buf);
  assert_string_equal(buf, "x.yaml: cannot open");
  /* truncation returns the length needed, as snprintf */
  assert_int_equal(troupe_manifest_error_format(&e, buf, 10), n);
  assert_int_equal(strlen(buf), 9);
}

/* ---- files ---------------------------------------------------------------------- */
static void test_files(void **state) {
  (void)state;
  troupe_manifest *m = NULL;
  troupe_manifest_errors errs = {0};
  assert_int_equal(troupe_manifest_load_ex(DATA "good.yaml", &k_opts, &m, &errs), TROUPE_OK);
  assert_int_equal(m->ncomponents, 4);
  assert_int_equal(m->nsupervisors, 2);
  troupe_manifest_free(m);

  /* the example application, with the build's components (it has Rust and
   * AssemblyScript ones: not built without the guest SDKs) */
#if TROUPE_GUEST_SDKS_BUILT
  const char *demo = TROUPE_TEST_DATA "/../../../examples/apps/demo.yaml";
  int rc = troupe_manifest_load_ex(demo, &k_opts, &m, &errs);
  if (rc)
    dump_errors(&errs);
  assert_int_equal(rc, TROUPE_OK);
  assert_true(m->ncomponents >= 10);
  assert_true(m->nsupervisors >= 3);
  assert_int_equal(m->supervisors[m->root].parent, TROUPE_MANIFEST_NO_PARENT);
  troupe_manifest_free(m);
#else
  print_message("SKIPPED: examples/apps/demo.yaml against the build (no guest SDKs)\n");
#endif

  assert_int_equal(troupe_manifest_load(DATA "bad.yaml", &m, &errs), TROUPE_E_INVAL);
  assert_null(m);
  assert_true(errs.n >= 5);
  for (size_t i = 0; i < errs.n; i++)
    assert_string_equal(errs.v[i].file, DATA "bad.yaml");
  /* in file order */
  for (size_t i = 1; i < errs.n; i++)
    assert_true(errs.v[i - 1].line < errs.v[i].line ||
                (errs.v[i - 1].line == errs.v[i].line &&
                 errs.v[i - 1].column <= errs.v[i].column));

  assert_int_equal(troupe_manifest_load(DATA "no-such-file.yaml", &m, &errs), TROUPE_E_IO);
  assert_int_equal(errs.n, 1);
  assert_int_equal(errs.v[0].line, 0);
  assert_non_null(strstr(errs.v[0].message, "cannot open"));
  assert_int_equal(troupe_manifest_load(DATA, &m, &errs), TROUPE_E_IO);
  assert_non_null(strstr(errs.v[0].message, "not a regular file"));
  /* NULL error list: only the status */
  assert_int_equal(troupe_manifest_load(DATA "bad.yaml", &m, NULL), TROUPE_E_INVAL);
  troupe_manifest_errors_clear(&errs);
  troupe_manifest_free(NULL);
  troupe_manifest_errors_clear(NULL);
}

/* The complete example of docs/MANIFEST.md (its first yaml block) is valid, so the
 * reference cannot drift from the code. */
static void test_doc_example(void **state) {
  (void)state;
  FILE *f = fopen(TROUPE_TEST_DATA "/../../../docs/MANIFEST.md", "rb");
  assert_non_null(f);
  static char doc[1 << 16];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  fclose(f);
  doc[n] = '\0';
  char *start = strstr(doc, "```yaml\n");
  assert_non_null(start);
  start += 8;
  char *end = strstr(start, "```");
  assert_non_null(end);
  troupe_manifest_options skip = {.skip_files = true};
  troupe_manifest *m = NULL;
  troupe_manifest_errors errs = {0};
  int rc = troupe_manifest_parse(start, (size_t)(end - start), "docs/app.yaml", &skip, &m, &errs);
  if (rc)
    dump_errors(&errs);
  assert_int_equal(rc, TROUPE_OK);
  assert_int_equal(m->ncomponents, 4);
  assert_int_equal(m->nsupervisors, 2);
  assert_int_equal(m->components[0].spec.limits.max_memory_pages, 256);
  troupe_manifest_free(m);
}

/* Out of memory at every allocation of a load: NOMEM (or, once the allocations run
 * out, success), never a crash or a leak (ASan). */
static void test_oom_sweep(void **state) {
  (void)state;
  bool done = false;
  for (long n = 0; n < 5000 && !done; n++) {
    troupe_manifest *m = NULL;
    troupe_manifest_errors errs = {0};
    trB_alloc_fail_after(n);
    int rc = troupe_manifest_parse(k_full, strlen(k_full), "apps/shop.yaml", &k_opts, &m, &errs);
    trB_alloc_fail_after(-1);
    if (rc == TROUPE_OK) {
      assert_non_null(m);
      done = true;
    } else {
      assert_int_equal(rc, TROUPE_E_NOMEM);
      assert_null(m);
    }
    troupe_manifest_free(m);
    troupe_manifest_errors_clear(&errs);
  }
  assert_true(done);
  /* and with errors to record */
  const char *bad = "nodes: 1\ncomponents:\n  a:\n    path: x.wasm\n" ROOT_OF("b");
  done = false;
  for (long n = 0; n < 5000 && !done; n++) {
    troupe_manifest *m = NULL;
    troupe_manifest_errors errs = {0};
    trB_alloc_fail_after(n);
    int rc = troupe_manifest_parse(bad, strlen(bad), "bad.yaml", &k_opts, &m, &errs);
    trB_alloc_fail_after(-1);
    assert_true(rc == TROUPE_E_NOMEM || rc == TROUPE_E_INVAL);
    done = rc == TROUPE_E_INVAL && errs.n == 4;
    troupe_manifest_errors_clear(&errs);
  }
  assert_true(done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_manifests),   cmocka_unit_test(test_full_manifest),
      cmocka_unit_test(test_defaults_and_paths), cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_huge_scalars),    cmocka_unit_test(test_billion_laughs),
      cmocka_unit_test(test_many),
      cmocka_unit_test(test_error_cap),       cmocka_unit_test(test_format),
      cmocka_unit_test(test_files),           cmocka_unit_test(test_doc_example),
      cmocka_unit_test(test_oom_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
