/*
 * node/scenario_parse.c: a scenario's YAML tree (scenario_yaml.c) checked and turned
 * into what the runner needs: the manifest whose application starts first (loaded and
 * checked by troupe/manifest.h; its components named for the steps), the components to
 * spawn (resolved module paths, limits, capabilities, WASI arguments and environment,
 * supervision) and the steps with their payloads already encoded (JSON multicodec
 * prefix, or CBOR) and their expectations as JSON values. Everything a runner could
 * only discover half-way -- an unknown key, a wrong type, a step naming a component the
 * scenario does not have, a module file that is not there, a manifest that is wrong --
 * is refused here, before any host starts, as "FILE:LINE:COL: ...". The format is
 * docs/TESTKIT.md; the key tables below are the same lists.
 */
#include "node/scenario.h"

#include "base/base.h"
#include "troupe/codec.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct pctx {
  const char *path;
  troupe_err *err;
  troupe_scenario *s;
} pctx;

static int fail(pctx *c, const trN_ynode *n, const char *fmt, ...) TROUPE_PRINTF(3, 4);
static int fail(pctx *c, const trN_ynode *n, const char *fmt, ...) {
  char msg[TROUPE_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return troupe_err_set(c->err, TROUPE_E_INVAL, "%s:%u:%u: %s", c->path, n->line, n->column, msg);
}

static int nomem(pctx *c) { return troupe_err_set(c->err, TROUPE_E_NOMEM, "%s: out of memory", c->path); }

static const char *kind_name(const trN_ynode *n) {
  return n->kind == TRN_Y_MAP ? "a mapping" : n->kind == TRN_Y_SEQ ? "a list" : "a scalar";
}

/* The value of key in a mapping, or NULL. */
static const trN_ynode *get(const trN_ynode *map, const char *key) {
  for (size_t i = 0; i < map->n; i++)
    if (map->items[2 * i]->kind == TRN_Y_SCALAR && !strcmp(map->items[2 * i]->text, key))
      return map->items[2 * i + 1];
  return NULL;
}

static bool in_list(const char *key, const char *const *allowed) {
  for (; *allowed; allowed++)
    if (!strcmp(key, *allowed))
      return true;
  return false;
}

/* A mapping whose keys are scalars from `allowed`, each once. */
static int check_map(pctx *c, const trN_ynode *n, const char *what, const char *const *allowed) {
  if (n->kind != TRN_Y_MAP)
    return fail(c, n, "%s must be a mapping, not %s", what, kind_name(n));
  for (size_t i = 0; i < n->n; i++) {
    const trN_ynode *k = n->items[2 * i];
    if (k->kind != TRN_Y_SCALAR)
      return fail(c, k, "%s: a key must be a scalar", what);
    if (!in_list(k->text, allowed)) {
      char known[400] = "";
      size_t len = 0;
      for (const char *const *a = allowed; *a && len < sizeof known; a++)
        len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", a == allowed ? "" : ", ", *a);
      return fail(c, k, "%s: unknown key '%s' (known: %s)", what, k->text, known);
    }
    for (size_t j = 0; j < i; j++)
      if (!strcmp(n->items[2 * j]->text, k->text))
        return fail(c, k, "%s: key '%s' given twice", what, k->text);
  }
  return TROUPE_OK;
}

static int want_str(pctx *c, const trN_ynode *n, const char *what, char **out) {
  if (n->kind != TRN_Y_SCALAR)
    return fail(c, n, "%s must be a string, not %s", what, kind_name(n));
  if (!(*out = trB_strdup(n->text)))
    return nomem(c);
  return TROUPE_OK;
}

static int want_uint(pctx *c, const trN_ynode *n, const char *what, uint64_t min, uint64_t max,
                     uint64_t *out) {
  if (n->kind != TRN_Y_SCALAR || !n->plain || n->text[0] < '0' || n->text[0] > '9')
    return fail(c, n, "%s must be an integer from %llu to %llu", what, (unsigned long long)min,
                (unsigned long long)max);
  char *end;
  unsigned long long v = strtoull(n->text, &end, 10);
  if (*end || v < min || v > max)
    return fail(c, n, "%s must be an integer from %llu to %llu", what, (unsigned long long)min,
                (unsigned long long)max);
  *out = v;
  return TROUPE_OK;
}

static int want_u32(pctx *c, const trN_ynode *n, const char *what, uint32_t min, uint32_t *out) {
  uint64_t v;
  int rc = want_uint(c, n, what, min, UINT32_MAX, &v);
  if (!rc)
    *out = (uint32_t)v;
  return rc;
}

static int want_bool(pctx *c, const trN_ynode *n, const char *what, bool *out) {
  if (n->kind == TRN_Y_SCALAR && n->plain && (!strcmp(n->text, "true") || !strcmp(n->text, "false"))) {
    *out = n->text[0] == 't';
    return TROUPE_OK;
  }
  return fail(c, n, "%s must be true or false", what);
}

/* A list of strings (a single string is a list of one), NULL-terminated. */
static int want_strs(pctx *c, const trN_ynode *n, const char *what, char ***out, size_t *count) {
  size_t k = n->kind == TRN_Y_SEQ ? n->n : 1;
  char **v = trB_calloc(k + 1, sizeof *v);
  if (!v)
    return nomem(c);
  *out = v;
  *count = k;
  for (size_t i = 0; i < k; i++) {
    const trN_ynode *e = n->kind == TRN_Y_SEQ ? n->items[i] : n;
    int rc = want_str(c, e, what, &v[i]);
    if (rc)
      return rc;
  }
  return TROUPE_OK;
}

/* A path, resolved against the scenario's folder (an absolute one as it is). */
static int want_path(pctx *c, const trN_ynode *n, const char *what, char **out) {
  char *rel;
  int rc = want_str(c, n, what, &rel);
  if (rc)
    return rc;
  if (rel[0] == '/') {
    *out = rel;
    return TROUPE_OK;
  }
  size_t len = strlen(c->s->dir) + strlen(rel) + 2;
  if ((*out = trB_malloc(len)))
    snprintf(*out, len, "%s/%s", c->s->dir, rel);
  free(rel);
  return *out ? TROUPE_OK : nomem(c);
}

/* ---- components ---------------------------------------------------------------------- */
static const char *const comp_keys[] = {
    "name",    "module", "ref",         "limits",  "capabilities", "args", "env", "restart",
    "shutdown_ms", "health_interval_ms", "health_threshold", NULL};
static const char *const limit_keys[] = {
    "max_memory_pages", "max_stack_bytes",   "max_call_depth",   "fuel_slice",
    "fuel_per_message", "mailbox_bound",     "max_message_bytes", "start_timeout_ms",
    "cleanup_timeout_ms", NULL};
static const char *const cap_keys[] = {"send_to", "accept_from", "publish", "subscribe", "spawn",
                                       NULL};

static int parse_limits(pctx *c, const trN_ynode *n, troupe_component_limits *l) {
  int rc = check_map(c, n, "limits", limit_keys);
  for (size_t i = 0; !rc && i < n->n; i++) {
    const char *k = n->items[2 * i]->text;
    const trN_ynode *v = n->items[2 * i + 1];
    uint64_t x = 0;
    bool wide = !strcmp(k, "max_stack_bytes") || !strcmp(k, "fuel_slice") ||
                !strcmp(k, "fuel_per_message");
    if ((rc = want_uint(c, v, k, 0, wide ? UINT64_MAX : UINT32_MAX, &x)))
      break;
#define LIM(f)                                                                             \
  if (!strcmp(k, #f))                                                                      \
    l->f = (__typeof__(l->f))x;
    LIM(max_memory_pages) LIM(max_stack_bytes) LIM(max_call_depth) LIM(fuel_slice)
    LIM(fuel_per_message) LIM(mailbox_bound) LIM(max_message_bytes) LIM(start_timeout_ms)
    LIM(cleanup_timeout_ms)
#undef LIM
  }
  return rc;
}

static int parse_restart(pctx *c, const trN_ynode *n, troupe_restart_type *out) {
  static const char *const names[] = {"permanent", "transient", "temporary"};
  if (n->kind == TRN_Y_SCALAR)
    for (int i = 0; i < 3; i++)
      if (!strcmp(n->text, names[i])) {
        *out = (troupe_restart_type)i;
        return TROUPE_OK;
      }
  return fail(c, n, "restart must be permanent, transient or temporary");
}

static int parse_env(pctx *c, const trN_ynode *n, trN_comp *m) {
  if (n->kind == TRN_Y_SEQ) {
    int rc = want_strs(c, n, "env", &m->env, &m->envc);
    for (size_t i = 0; !rc && i < m->envc; i++)
      if (!strchr(m->env[i], '=') || m->env[i][0] == '=')
        rc = fail(c, n->items[i], "env: '%s' is not NAME=VALUE", m->env[i]);
    return rc;
  }
  if (n->kind != TRN_Y_MAP)
    return fail(c, n, "env must be a mapping (NAME: value) or a list of NAME=VALUE");
  m->envc = n->n;
  if (!(m->env = trB_calloc(m->envc + 1, sizeof *m->env)))
    return nomem(c);
  for (size_t i = 0; i < n->n; i++) {
    const trN_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
    if (k->kind != TRN_Y_SCALAR || !k->text[0] || strchr(k->text, '='))
      return fail(c, k, "env: a variable's name must be a non-empty string without '='");
    if (v->kind != TRN_Y_SCALAR)
      return fail(c, v, "env: %s's value must be a scalar", k->text);
    size_t len = strlen(k->text) + strlen(v->text) + 2;
    if (!(m->env[i] = trB_malloc(len)))
      return nomem(c);
    snprintf(m->env[i], len, "%s=%s", k->text, v->text);
  }
  return TROUPE_OK;
}

static int parse_comp(pctx *c, const trN_ynode *n, trN_comp *m, const char *store) {
  int rc = check_map(c, n, "a component", comp_keys);
  if (rc)
    return rc;
  m->line = n->line;
  m->col = n->column;
  m->restart = TROUPE_PERMANENT;
  const trN_ynode *v;
  if (!(v = get(n, "name")))
    return fail(c, n, "a component needs a name");
  if ((rc = want_str(c, v, "name", &m->name)))
    return rc;
  for (size_t i = 0; i < (size_t)(m - c->s->comps); i++)
    if (!strcmp(c->s->comps[i].name, m->name))
      return fail(c, v, "component '%s' is already in the %s", m->name,
                  c->s->comps[i].in_manifest ? "manifest" : "scenario");
  const trN_ynode *mod = get(n, "module"), *ref = get(n, "ref");
  if (!mod == !ref)
    return fail(c, n, "component '%s' needs exactly one of module (a file) and ref (a store "
                      "reference)", m->name);
  if (mod) {
    if ((rc = want_path(c, mod, "module", &m->path)))
      return rc;
    struct stat sb;
    if (stat(m->path, &sb) || !S_ISREG(sb.st_mode))
      return fail(c, mod, "module: no such file '%s'", m->path);
  } else {
    if ((rc = want_str(c, ref, "ref", &m->ref)))
      return rc;
    troupe_module_ref parsed;
    troupe_err e;
    if (troupe_module_ref_parse(m->ref, &parsed, &e))
      return fail(c, ref, "ref: %s", troupe_err_message(&e));
    if (!store)
      return fail(c, ref, "ref '%s' needs a store: give --components DIR, or store: DIR in "
                          "the scenario", m->ref);
    struct stat sb;
    if (stat(store, &sb) || !S_ISDIR(sb.st_mode))
      return fail(c, ref, "ref '%s': the store '%s' is not a directory", m->ref, store);
  }
  if ((v = get(n, "limits")) && (rc = parse_limits(c, v, &m->limits)))
    return rc;
  if ((v = get(n, "capabilities"))) {
    if ((rc = check_map(c, v, "capabilities", cap_keys)))
      return rc;
    for (int i = 0; i < 5; i++) {
      const trN_ynode *p = get(v, cap_keys[i]);
      if (p && (rc = want_strs(c, p, cap_keys[i], &m->caps[i], &m->ncaps[i])))
        return rc;
      m->has_caps[i] = p != NULL;
    }
  }
  /* argv[0] is the component's name, as a shell would give a program its own. */
  char **args = NULL;
  size_t nargs = 0;
  if ((v = get(n, "args")) && (rc = want_strs(c, v, "args", &args, &nargs))) {
    for (size_t i = 0; i < nargs; i++)
      free(args[i]);
    free(args);
    return rc;
  }
  if (!(m->argv = trB_calloc(nargs + 2, sizeof *m->argv))) {
    for (size_t i = 0; i < nargs; i++)
      free(args[i]);
    free(args);
    return nomem(c);
  }
  m->argc = nargs + 1;
  m->argv[0] = trB_strdup(m->name);
  for (size_t i = 0; i < nargs; i++)
    m->argv[i + 1] = args[i];
  free(args);
  if (!m->argv[0])
    return nomem(c);
  if ((v = get(n, "env")) && (rc = parse_env(c, v, m)))
    return rc;
  if ((v = get(n, "restart")) && (rc = parse_restart(c, v, &m->restart)))
    return rc;
  if ((v = get(n, "shutdown_ms")) && (rc = want_u32(c, v, "shutdown_ms", 0, &m->shutdown_ms)))
    return rc;
  if ((v = get(n, "health_interval_ms")) &&
      (rc = want_u32(c, v, "health_interval_ms", 0, &m->health_interval_ms)))
    return rc;
  if ((v = get(n, "health_threshold")) &&
      (rc = want_u32(c, v, "health_threshold", 0, &m->health_threshold)))
    return rc;
  return TROUPE_OK;
}

/* ---- steps ----------------------------------------------------------------------------- */
static const char *const actions[] = {"send",  "ask",          "invoke",          "publish",
                                      "sleep", "expect_event", "expect_no_event", NULL};
static const trN_step_kind action_kinds[] = {TRN_SEND, TRN_ASK, TRN_INVOKE, TRN_PUBLISH,
                                             TRN_SLEEP, TRN_EXPECT_EVENT, TRN_EXPECT_NO_EVENT};
/* The keys each action allows beside its own and name/timeout. */
static const char *const send_keys[] = {"send", "name", "timeout", "payload", "tag", "codec",
                                        "expect_error", NULL};
static const char *const ask_keys[] = {"ask", "name", "timeout", "payload", "tag", "codec",
                                       "expect", "expect_subset", "eventually", "expect_error",
                                       NULL};
static const char *const invoke_keys[] = {"invoke", "name", "timeout", "function", "args",
                                          "codec", "expect", "expect_subset", "eventually",
                                          "expect_error", NULL};
static const char *const publish_keys[] = {"publish", "name", "timeout", "payload", "codec",
                                           "expect_error", NULL};
static const char *const sleep_keys[] = {"sleep", "name", NULL};
static const char *const event_keys[] = {"expect_event", "name", "timeout", "component",
                                         "message", "health", "reason", "action", "target",
                                         "fields", NULL};
static const char *const no_event_keys[] = {"expect_no_event", "name", "timeout", "component",
                                            "message", "health", "reason", "action", "target",
                                            "fields", NULL};
static const char *const *const step_keys[] = {send_keys,    ask_keys,   invoke_keys,  publish_keys,
                                               sleep_keys,   event_keys, no_event_keys};

static const char *const event_names[] = {"started", "restart", "stopped", "crash", "trap",
                                          "health", "capability_denied", "log", "output", NULL};

const char *trN_event_kind_name(trN_event_kind k) {
  return (size_t)k < TR_ARRAY_LEN(event_names) - 1 ? event_names[k] : "?";
}

/* The names of the manifest's components (manifest) or of the kit's, "a, b, c". */
static void list_names(const troupe_scenario *s, bool manifest, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < s->ncomps && len < cap; i++)
    if (s->comps[i].in_manifest == manifest)
      len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", s->comps[i].name);
}

static int find_comp(pctx *c, const trN_ynode *n, size_t *out) {
  if (n->kind != TRN_Y_SCALAR)
    return fail(c, n, "a component's name must be a string, not %s", kind_name(n));
  for (size_t i = 0; i < c->s->ncomps; i++)
    if (!strcmp(c->s->comps[i].name, n->text)) {
      *out = i;
      return TROUPE_OK;
    }
  char mine[200], theirs[200];
  list_names(c->s, false, mine, sizeof mine);
  if (!c->s->manifest)
    return fail(c, n, "unknown component '%s' (the scenario spawns: %s)", n->text,
                *mine ? mine : "none");
  list_names(c->s, true, theirs, sizeof theirs);
  return fail(c, n, "unknown component '%s' (the manifest has: %s%s%s)", n->text,
              *theirs ? theirs : "none", *mine ? "; the scenario spawns: " : "", mine);
}

/* A YAML value as a payload: its JSON text with the JSON prefix, or as CBOR. */
static int encode(pctx *c, const trN_ynode *n, bool cbor, uint8_t **out, size_t *len) {
  const trN_ynode *bad = NULL;
  json_t *j = trN_yaml_to_json(n, &bad);
  if (!j)
    return bad ? fail(c, bad, "not a JSON value (keys must be strings, text UTF-8)") : nomem(c);
  char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(j);
  if (!text)
    return nomem(c);
  troupe_err e;
  int rc;
  if (cbor) {
    uint8_t *item = NULL;
    size_t ilen = 0;
    rc = troupe_json_to_cbor(text, strlen(text), &item, &ilen, &e);
    if (!rc)
      rc = troupe_codec_encode_alloc(TROUPE_CODEC_CBOR, item, ilen, out, len, &e);
    free(item);
  } else {
    rc = troupe_codec_encode_alloc(TROUPE_CODEC_JSON, text, strlen(text), out, len, &e);
  }
  free(text);
  if (rc == TROUPE_E_NOMEM)
    return nomem(c);
  if (rc)
    return fail(c, n, "cannot encode the payload: %s", troupe_err_message(&e));
  return TROUPE_OK;
}

static bool code_by_name(const char *s, int *out) {
  if (!strncmp(s, "TROUPE_E_", 9))
    s += 9;
  for (int code = 0; code >= -200; code--) {
    const char *n = troupe_err_name(code);
    if (!strncmp(n, "TROUPE_E_", 9) && strcmp(n, "TROUPE_E_UNKNOWN") && !strcmp(n + 9, s)) {
      *out = code;
      return true;
    }
  }
  return false;
}

static int parse_error_code(pctx *c, const trN_ynode *n, int *out) {
  if (n->kind == TRN_Y_SCALAR) {
    if (!strcmp(n->text, "any")) {
      *out = 0;
      return TROUPE_OK;
    }
    char *end;
    long v = strtol(n->text, &end, 10);
    if (n->plain && n->text[0] == '-' && !*end && v < 0 && v > -100000) {
      *out = (int)v;
      return TROUPE_OK;
    }
    if (code_by_name(n->text, out))
      return TROUPE_OK;
  }
  return fail(c, n, "expect_error: a code must be a name (DENIED, TIMEOUT, INVAL, ...), a "
                    "negative number or any");
}

static int parse_expect_error(pctx *c, const trN_ynode *n, trN_step *st) {
  static const char *const keys[] = {"code", "message", NULL};
  st->want_error = true;
  if (n->kind == TRN_Y_SCALAR)
    return parse_error_code(c, n, &st->error_code);
  int rc = check_map(c, n, "expect_error", keys);
  const trN_ynode *v;
  if (!rc && (v = get(n, "code")))
    rc = parse_error_code(c, v, &st->error_code);
  if (!rc && (v = get(n, "message")))
    rc = want_str(c, v, "expect_error.message", &st->error_message);
  return rc;
}

static int default_name(trN_step *st, const troupe_scenario *s) {
  char buf[400];
  const char *comp = st->kind == TRN_START || st->kind == TRN_PUBLISH ||
                             st->kind == TRN_SLEEP || st->any_comp
                         ? NULL
                         : s->comps[st->comp].name;
  size_t n = s->manifest ? s->manifest->ncomponents : 0;
  switch (st->kind) {
  case TRN_START:
    snprintf(buf, sizeof buf, "start manifest %s (%zu component%s)", s->manifest_given, n,
             n == 1 ? "" : "s");
    break;
  case TRN_SPAWN: snprintf(buf, sizeof buf, "spawn %s", comp); break;
  case TRN_SEND: snprintf(buf, sizeof buf, "send %s", comp); break;
  case TRN_ASK: snprintf(buf, sizeof buf, "ask %s", comp); break;
  case TRN_INVOKE: snprintf(buf, sizeof buf, "invoke %s %s", comp, st->fn); break;
  case TRN_PUBLISH: snprintf(buf, sizeof buf, "publish %s", st->subject); break;
  case TRN_SLEEP: snprintf(buf, sizeof buf, "sleep %u ms", st->sleep_ms); break;
  case TRN_EXPECT_EVENT:
  case TRN_EXPECT_NO_EVENT:
    snprintf(buf, sizeof buf, "expect %s%s%s%s", st->kind == TRN_EXPECT_NO_EVENT ? "no " : "",
             trN_event_kind_name(st->event), comp ? " of " : "", comp ? comp : "");
    break;
  }
  return (st->name = trB_strdup(buf)) ? TROUPE_OK : TROUPE_E_NOMEM;
}

static int parse_event(pctx *c, const trN_ynode *n, const trN_ynode *kind, trN_step *st) {
  int rc;
  size_t i = 0;
  if (kind->kind == TRN_Y_SCALAR)
    for (; event_names[i] && strcmp(event_names[i], kind->text); i++)
      ;
  if (kind->kind != TRN_Y_SCALAR || !event_names[i])
    return fail(c, kind, "%s must be one of started, restart, stopped, crash, trap, "
                         "health, capability_denied, log, output", st->kind == TRN_EXPECT_EVENT ? "expect_event" : "expect_no_event");
  st->event = (trN_event_kind)i;
  const trN_ynode *v;
  st->any_comp = true;
  if ((v = get(n, "component"))) {
    if ((rc = find_comp(c, v, &st->comp)))
      return rc;
    st->any_comp = false;
  }
  if ((v = get(n, "message")) && (rc = want_str(c, v, "message", &st->message)))
    return rc;
  if ((v = get(n, "fields"))) {
    const trN_ynode *bad = NULL;
    if (v->kind != TRN_Y_MAP)
      return fail(c, v, "fields must be a mapping");
    if (!(st->fields = trN_yaml_to_json(v, &bad)))
      return bad ? fail(c, bad, "fields: not a JSON value") : nomem(c);
  } else if (!(st->fields = json_object())) {
    return nomem(c);
  }
  static const char *const shorthands[] = {"health", "reason", "action", "target"};
  for (size_t k = 0; k < 4; k++) {
    if (!(v = get(n, shorthands[k])))
      continue;
    if (v->kind != TRN_Y_SCALAR)
      return fail(c, v, "%s must be a string", shorthands[k]);
    if (json_object_set_new(st->fields, shorthands[k], json_string(v->text)))
      return nomem(c);
  }
  if (st->event == TRN_EV_HEALTH && !json_object_get(st->fields, "health") &&
      st->kind == TRN_EXPECT_EVENT)
    return fail(c, n, "expect_event health needs health: healthy, degraded or unhealthy");
  return TROUPE_OK;
}

static int parse_step(pctx *c, const trN_ynode *n, trN_step *st) {
  if (n->kind != TRN_Y_MAP)
    return fail(c, n, "a step must be a mapping, not %s", kind_name(n));
  const trN_ynode *act = NULL;
  size_t a = 0;
  for (size_t i = 0; i < n->n; i++) {
    const trN_ynode *k = n->items[2 * i];
    if (k->kind != TRN_Y_SCALAR || !in_list(k->text, actions))
      continue;
    if (act)
      return fail(c, k, "a step has one action: '%s' and '%s' are two", actions[a], k->text);
    act = n->items[2 * i + 1];
    for (a = 0; strcmp(actions[a], k->text); a++)
      ;
  }
  if (!act)
    return fail(c, n, "a step needs an action: send, ask, invoke, publish, sleep, "
                      "expect_event or expect_no_event");
  st->kind = action_kinds[a];
  st->line = n->line;
  st->col = n->column;
  char what[32];
  snprintf(what, sizeof what, "%s %s step", strchr("aeiou", actions[a][0]) ? "an" : "a",
           actions[a]);
  int rc = check_map(c, n, what, step_keys[a]);
  if (rc)
    return rc;
  const trN_ynode *v;
  st->timeout_ms = c->s->timeout_ms;
  if ((v = get(n, "timeout")) && (rc = want_u32(c, v, "timeout", 1, &st->timeout_ms)))
    return rc;
  if ((v = get(n, "codec"))) {
    if (v->kind != TRN_Y_SCALAR || (strcmp(v->text, "json") && strcmp(v->text, "cbor")))
      return fail(c, v, "codec must be json or cbor");
    st->cbor = !strcmp(v->text, "cbor");
  }
  if ((v = get(n, "tag")) && (rc = want_u32(c, v, "tag", 0, &st->tag)))
    return rc;
  if ((v = get(n, st->kind == TRN_INVOKE ? "args" : "payload")) &&
      (rc = encode(c, v, st->cbor, &st->payload, &st->payload_len)))
    return rc;
  switch (st->kind) {
  case TRN_SEND:
  case TRN_ASK:
  case TRN_INVOKE:
    if ((rc = find_comp(c, act, &st->comp)))
      return rc;
    break;
  case TRN_PUBLISH:
    if ((rc = want_str(c, act, "publish", &st->subject)))
      return rc;
    break;
  case TRN_SLEEP:
    if ((rc = want_u32(c, act, "sleep", 0, &st->sleep_ms)))
      return rc;
    break;
  case TRN_EXPECT_EVENT:
  case TRN_EXPECT_NO_EVENT:
    if ((rc = parse_event(c, n, act, st)))
      return rc;
    break;
  case TRN_START:
  case TRN_SPAWN:
    break;
  }
  if (st->kind == TRN_INVOKE) {
    if (!(v = get(n, "function")))
      return fail(c, n, "an invoke step needs function: the export to call");
    if ((rc = want_str(c, v, "function", &st->fn)))
      return rc;
  }
  const trN_ynode *exact = get(n, "expect"), *sub = get(n, "expect_subset");
  if (exact && sub)
    return fail(c, sub, "expect and expect_subset together: choose one");
  if ((v = exact ? exact : sub)) {
    const trN_ynode *bad = NULL;
    st->subset = sub != NULL;
    if (!(st->expect = trN_yaml_to_json(v, &bad)))
      return bad ? fail(c, bad, "not a JSON value (keys must be strings, text UTF-8)") : nomem(c);
  }
  if ((v = get(n, "expect_error"))) {
    if (st->expect)
      return fail(c, v, "expect_error with expect: a step either succeeds or fails");
    if ((rc = parse_expect_error(c, v, st)))
      return rc;
  }
  if ((v = get(n, "eventually"))) {
    if ((rc = want_bool(c, v, "eventually", &st->eventually)))
      return rc;
    if (st->eventually && !st->expect)
      return fail(c, v, "eventually repeats until expect or expect_subset matches: give one");
  }
  if ((v = get(n, "name")))
    return want_str(c, v, "name", &st->name);
  return default_name(st, c->s) ? nomem(c) : TROUPE_OK;
}

/* ---- the whole file -------------------------------------------------------------------- */
static const char *const top_keys[] = {"name",  "timeout", "store",    "supervisor",
                                       "components", "steps", "manifest", NULL};
static const char *const sup_keys[] = {"intensity", "period_ms", "restart_delay_ms",
                                       "restart_delay_max_ms", NULL};

static int parse_sup(pctx *c, const trN_ynode *n, troupe_sup_config *sup) {
  int rc = check_map(c, n, "supervisor", sup_keys);
  const trN_ynode *v;
  uint64_t x;
  if (!rc && (v = get(n, "intensity")))
    rc = want_u32(c, v, "intensity", 0, &sup->intensity);
  if (!rc && (v = get(n, "period_ms")) && !(rc = want_uint(c, v, "period_ms", 1, UINT64_MAX, &x)))
    sup->period_ms = x;
  if (!rc && (v = get(n, "restart_delay_ms")))
    rc = want_u32(c, v, "restart_delay_ms", 0, &sup->restart_delay_ms);
  if (!rc && (v = get(n, "restart_delay_max_ms")))
    rc = want_u32(c, v, "restart_delay_max_ms", 0, &sup->restart_delay_max_ms);
  return rc;
}

/* `manifest:`: the application's manifest, loaded and checked completely now (module
 * files included), so a wrong one stops the scenario before anything runs. */
static int load_manifest(pctx *c, const trN_ynode *n) {
  troupe_scenario *s = c->s;
  char *path = NULL;
  int rc = want_str(c, n, "manifest", &s->manifest_given);
  if (!rc)
    rc = want_path(c, n, "manifest", &path);
  if (rc)
    return rc;
  /* --components names the folder of the built components: it stands for the
   * manifest's modules_dir too, as `troupe run --modules-dir` does */
  troupe_manifest_options mo = {.modules_dir = s->cfg.components_dir};
  troupe_manifest_errors errs = {0};
  rc = troupe_manifest_load_ex(path, &mo, &s->manifest, &errs);
  free(path);
  if (rc == TROUPE_E_NOMEM) {
    rc = nomem(c);
  } else if (rc) {
    char first[TROUPE_ERR_MSG_MAX];
    snprintf(first, sizeof first, "%s", troupe_err_name(rc));
    if (errs.n)
      troupe_manifest_error_format(&errs.v[0], first, sizeof first);
    size_t more = errs.n + errs.more - (errs.n ? 1 : 0);
    rc = fail(c, n, "manifest: %s%s", first,
              more ? " (and more: troupe check lists them all)" : "");
  }
  troupe_manifest_errors_clear(&errs);
  return rc;
}

/* The manifest's components, under their names (for the steps), and its start point. */
static int add_manifest(pctx *c, const trN_ynode *n) {
  troupe_scenario *s = c->s;
  for (size_t i = 0; i < s->manifest->ncomponents; i++) {
    const troupe_component_spec *spec = &s->manifest->components[i].spec;
    trN_comp *m = &s->comps[s->ncomps++];
    m->in_manifest = true;
    m->line = n->line;
    m->col = n->column;
    m->health_interval_ms = spec->health_interval_ms;
    if (!(m->name = trB_strdup(spec->name)))
      return nomem(c);
  }
  trN_step *st = &s->steps[s->nsteps++];
  st->kind = TRN_START;
  st->line = n->line;
  st->col = n->column;
  st->timeout_ms = s->timeout_ms;
  return default_name(st, s) ? nomem(c) : TROUPE_OK;
}

static int parse_top(pctx *c, const trN_ynode *root) {
  troupe_scenario *s = c->s;
  int rc = check_map(c, root, "the scenario", top_keys);
  if (rc)
    return rc;
  const trN_ynode *v;
  if ((v = get(root, "name")) && (rc = want_str(c, v, "name", &s->name)))
    return rc;
  if ((v = get(root, "timeout")) && (rc = want_u32(c, v, "timeout", 1, &s->timeout_ms)))
    return rc;
  const trN_ynode *man = get(root, "manifest");
  if ((v = get(root, "supervisor"))) {
    if (man)
      return fail(c, v, "supervisor: a scenario with manifest: runs under the manifest's "
                        "supervisors (set them there)");
    if ((rc = parse_sup(c, v, &s->sup)))
      return rc;
  }
  if (s->cfg.components_dir) {
    if (!(s->store_dir = trB_strdup(s->cfg.components_dir)))
      return nomem(c);
  } else if ((v = get(root, "store")) && (rc = want_path(c, v, "store", &s->store_dir))) {
    return rc;
  }
  const trN_ynode *comps = get(root, "components"), *steps = get(root, "steps");
  if (!comps && !man)
    return fail(c, root, "the scenario needs components: (the components to spawn) or "
                         "manifest: (an application to start)");
  if (comps && comps->kind != TRN_Y_SEQ)
    return fail(c, comps, "components must be a list, not %s", kind_name(comps));
  if (steps && steps->kind != TRN_Y_SEQ)
    return fail(c, steps, "steps must be a list, not %s", kind_name(steps));
  if (man && (rc = load_manifest(c, man)))
    return rc;
  size_t nman = man ? s->manifest->ncomponents : 0, ncomps = comps ? comps->n : 0;
  size_t nsteps = steps ? steps->n : 0;
  if (!(s->comps = trB_calloc(nman + ncomps + 1, sizeof *s->comps)) ||
      !(s->steps = trB_calloc(1 + ncomps + nsteps, sizeof *s->steps)))
    return nomem(c);
  if (man && (rc = add_manifest(c, man)))
    return rc;
  for (size_t i = 0; i < ncomps; i++) {
    trN_comp *m = &s->comps[s->ncomps++]; /* counted first, so a failure frees what it holds */
    if ((rc = parse_comp(c, comps->items[i], m, s->store_dir)))
      return rc;
    trN_step *st = &s->steps[s->nsteps++];
    st->kind = TRN_SPAWN;
    st->comp = (size_t)(m - s->comps);
    st->line = comps->items[i]->line;
    st->col = comps->items[i]->column;
    st->timeout_ms = s->timeout_ms;
    if (default_name(st, s))
      return nomem(c);
  }
  for (size_t i = 0; i < nsteps; i++) {
    s->nsteps++;
    if ((rc = parse_step(c, steps->items[i], &s->steps[s->nsteps - 1])))
      return rc;
  }
  return TROUPE_OK;
}

int trN_scenario_build(const trN_ynode *root, const char *path, const troupe_scenario_config *cfg,
                       troupe_scenario **out, troupe_err *err) {
  *out = NULL;
  troupe_scenario *s = trB_calloc(1, sizeof *s);
  if (!s)
    return troupe_err_set(err, TROUPE_E_NOMEM, "%s: out of memory", path);
  if (cfg)
    s->cfg = *cfg; /* components_dir is borrowed while parsing (copied as store_dir) */
  else
    troupe_scenario_config_init(&s->cfg);
  troupe_sup_config_init(&s->sup);
  s->timeout_ms = cfg && cfg->timeout_ms ? cfg->timeout_ms : 5000;
  s->path = trB_strdup(path);
  const char *slash = strrchr(path, '/');
  s->dir = slash ? trB_memdup(path, (size_t)(slash - path) + 1) : trB_strdup(".");
  if (!s->path || !s->dir) {
    troupe_scenario_free(s);
    return troupe_err_set(err, TROUPE_E_NOMEM, "%s: out of memory", path);
  }
  if (slash)
    s->dir[slash - path] = '\0';
  if (slash == path)
    strcpy(s->dir, "/");
  pctx c = {.path = path, .err = err, .s = s};
  int rc;
  if (!root)
    rc = troupe_err_set(err, TROUPE_E_INVAL, "%s:1:1: an empty scenario", path);
  else
    rc = parse_top(&c, root);
  s->cfg.components_dir = NULL;
  if (rc) {
    troupe_scenario_free(s);
    return rc;
  }
  if (!s->name) {
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".yaml"))
      n -= 5;
    else if (n > 4 && !strcmp(base + n - 4, ".yml"))
      n -= 4;
    char *nm = trB_malloc(n + 1);
    if (!nm) {
      troupe_scenario_free(s);
      return troupe_err_set(err, TROUPE_E_NOMEM, "%s: out of memory", path);
    }
    memcpy(nm, base, n);
    nm[n] = '\0';
    s->name = nm;
  }
  *out = s;
  return TROUPE_OK;
}
