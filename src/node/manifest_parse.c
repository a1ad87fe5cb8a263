/*
 * node/manifest_parse.c: the YAML tree -> the public description, field by field. Each
 * mapping of the format is a table of fields (name, handler); the walker reports keys
 * that are unknown, repeated or not plain strings, and each handler converts its value
 * (manifest_value.c) into the spec or config the node will hand to the component layer.
 * Names are checked here; what needs the whole manifest (references, the tree, files)
 * is left to manifest_check.c. Everything is recorded and the walk goes on, so one load
 * finds every error. docs/MANIFEST.md is the format this file reads.
 */
#include "node/manifest_int.h"

#include "troupe/broker.h"
#include "troupe/wasm.h"

typedef void (*field_fn)(trN_load *L, const trN_ynode *v, void *obj);
typedef struct field_def {
  const char *name;
  field_fn fn;
} field_def;

/* Walk a mapping against its fields; bit i of the result: field i was given. A null
 * (an empty `key:`) counts as an empty mapping. */
static uint64_t walk_map(trN_load *L, const trN_ynode *map, const field_def *defs, void *obj) {
  uint64_t seen = 0;
  const trN_ynode *first[64] = {0};
  if (trN_is_null(map))
    return 0;
  if (map->kind != TRN_Y_MAP) {
    trN_error_node(L, map, NULL, "expected a mapping (name: value lines), got %s",
                   trN_kind_name(map));
    return 0;
  }
  for (size_t i = 0; i < map->n; i++) {
    const trN_ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];
    if (k->kind != TRN_Y_SCALAR || strlen(k->text) != k->len) {
      trN_error_node(L, k, NULL, "expected a field name, got %s", trN_kind_name(k));
      continue;
    }
    int d = 0;
    while (defs[d].name && strcmp(defs[d].name, k->text))
      d++;
    if (!defs[d].name) {
      char list[512];
      size_t o = 0;
      for (int j = 0; defs[j].name && o < sizeof list; j++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", defs[j].name);
      trN_error_node(L, k, k->text, "unknown field (expected one of: %s)", list);
      continue;
    }
    if (seen & (1ull << d)) {
      trN_error_node(L, k, defs[d].name, "given twice (first at line %u)",
                     (unsigned)first[d]->line);
      continue;
    }
    seen |= 1ull << d;
    first[d] = k;
    size_t saved = trN_field_push(L, defs[d].name, -1);
    defs[d].fn(L, v, obj);
    trN_field_pop(L, saved);
  }
  return seen;
}

/* A list (null = empty): its items, or false (recorded) when not a list. */
static bool as_list(trN_load *L, const trN_ynode *v, size_t *n) {
  *n = 0;
  if (trN_is_null(v))
    return true;
  if (v->kind != TRN_Y_SEQ) {
    trN_error_node(L, v, NULL, "expected a list, got %s", trN_kind_name(v));
    return false;
  }
  *n = v->n;
  return true;
}

static const char *resolve(trN_load *L, const char *base, const char *p) {
  const char *r = p[0] == '/' || !base ? trN_arena_strdup(L->arena, p)
                                       : trN_arena_printf(L->arena, "%s/%s", base, p);
  if (!r)
    trN_nomem(L);
  return r;
}

/* ---- node: -------------------------------------------------------------------------- */
static void node_name(trN_load *L, const trN_ynode *v, void *obj) {
  troupe_manifest_node *nd = obj;
  const char *s, *why;
  if (!trN_get_string(L, v, &s))
    return;
  if ((why = trN_name_problem(s, v->len)))
    trN_error_node(L, v, NULL, "%s: %s", trN_quote(L, v), why);
  else
    nd->name = s;
}

static void node_workers(trN_load *L, const trN_ynode *v, void *obj) {
  uint64_t x;
  if (trN_get_uint(L, v, 0, 1024, &x))
    ((troupe_manifest_node *)obj)->workers = (unsigned)x;
}

static bool nonempty_string(trN_load *L, const trN_ynode *v, const char **s) {
  if (!trN_get_string(L, v, s))
    return false;
  if (!**s) {
    trN_error_node(L, v, NULL, "may not be empty");
    return false;
  }
  return true;
}

static void node_store(trN_load *L, const trN_ynode *v, void *obj) {
  const char *s;
  if (nonempty_string(L, v, &s))
    ((troupe_manifest_node *)obj)->store = resolve(L, L->m->dir, s);
}

static void node_keys(trN_load *L, const trN_ynode *v, void *obj) {
  troupe_manifest_node *nd = obj;
  size_t n;
  if (!as_list(L, v, &n) || !n)
    return;
  const char **keys = trN_arena_alloc(L->arena, n * sizeof *keys);
  if (!keys) {
    trN_nomem(L);
    return;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    size_t saved = trN_field_push(L, NULL, (long)i);
    const char *s;
    if (nonempty_string(L, v->items[i], &s)) {
      if (strpbrk(s, " \t\r\n"))
        trN_error_node(L, v->items[i], NULL, "a key may not hold white space");
      else
        keys[k++] = s;
    }
    trN_field_pop(L, saved);
  }
  nd->trusted_keys = keys;
  nd->ntrusted_keys = k;
}

static void node_log(trN_load *L, const trN_ynode *v, void *obj) {
  const char *s;
  if (nonempty_string(L, v, &s))
    ((troupe_manifest_node *)obj)->log = strcmp(s, "stderr") ? resolve(L, L->m->dir, s) : s;
}

static void node_log_level(trN_load *L, const trN_ynode *v, void *obj) {
  static const char *const names[] = {"debug", "info", "warn", "error", "off", NULL};
  int x;
  if (trN_get_enum(L, v, names, &x))
    ((troupe_manifest_node *)obj)->log_level = (troupe_log_level)x;
}

static void node_modules_dir(trN_load *L, const trN_ynode *v, void *obj) {
  const char *s;
  if (nonempty_string(L, v, &s))
    ((troupe_manifest_node *)obj)->modules_dir = resolve(L, L->m->dir, s);
}

static const field_def node_fields[] = {
    {"name", node_name},         {"workers", node_workers},     {"store", node_store},
    {"trusted_keys", node_keys}, {"log", node_log},             {"log_level", node_log_level},
    {"modules_dir", node_modules_dir}, {NULL, NULL},
};

/* ---- components: NAME: ------------------------------------------------------------- */
typedef struct comp_ctx {
  troupe_manifest_component *c;
  trN_comp_aux *aux;
} comp_ctx;

#define LIMIT(c) (&((comp_ctx *)(c))->c->spec.limits)

static void lim_pages(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_size(L, v, 65536, 1, 65536, &x))
    LIMIT(c)->max_memory_pages = (uint32_t)x;
}
static void lim_stack(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_size(L, v, 1, TROUPE_WASM_MIN_STACK_BYTES, 1ull << 30, &x))
    LIMIT(c)->max_stack_bytes = x;
}
static void lim_depth(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_uint(L, v, 1, UINT32_MAX, &x))
    LIMIT(c)->max_call_depth = (uint32_t)x;
}
static void lim_slice(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_uint(L, v, 1, UINT64_MAX, &x))
    LIMIT(c)->fuel_slice = x;
}
static void lim_fuel(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_uint(L, v, 0, UINT64_MAX, &x))
    LIMIT(c)->fuel_per_message = x;
}
static void lim_mailbox(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_uint(L, v, 0, UINT32_MAX, &x))
    LIMIT(c)->mailbox_bound = (uint32_t)x;
}
static void lim_message(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_size(L, v, 1, 1, 1ull << 30, &x))
    LIMIT(c)->max_message_bytes = (uint32_t)x;
}
static void lim_start(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_ms(L, v, 1, UINT32_MAX, &x))
    LIMIT(c)->start_timeout_ms = (uint32_t)x;
}
static void lim_cleanup(trN_load *L, const trN_ynode *v, void *c) {
  uint64_t x;
  if (trN_get_ms(L, v, 1, UINT32_MAX, &x))
    LIMIT(c)->cleanup_timeout_ms = (uint32_t)x;
}

static const field_def limit_fields[] = {
    {"max_memory_pages", lim_pages},    {"max_stack_bytes", lim_stack},
    {"max_call_depth", lim_depth},      {"fuel_slice", lim_slice},
    {"fuel_per_message", lim_fuel},     {"mailbox_bound", lim_mailbox},
    {"max_message_bytes", lim_message}, {"start_timeout_ms", lim_start},
    {"cleanup_timeout_ms", lim_cleanup}, {NULL, NULL},
};

/* A list of strings into the arena (NULL when empty); `check` may refuse an item
 * (recording why) so it is left out. */
static const char *const *string_list(trN_load *L, const trN_ynode *v, size_t *count,
                                      bool (*check)(trN_load *, const trN_ynode *,
                                                    const char *)) {
  size_t n;
  *count = 0;
  if (!as_list(L, v, &n) || !n)
    return NULL;
  const char **out = trN_arena_alloc(L->arena, n * sizeof *out);
  if (!out) {
    trN_nomem(L);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    size_t saved = trN_field_push(L, NULL, (long)i);
    const char *s;
    if (trN_get_string(L, v->items[i], &s) && (!check || check(L, v->items[i], s)))
      out[(*count)++] = s;
    trN_field_pop(L, saved);
  }
  return out;
}

static bool check_pattern(trN_load *L, const trN_ynode *n, const char *s) {
  troupe_err e = {0};
  if (!troupe_subject_validate_pattern(s, &e))
    return true;
  /* the broker's message quotes the pattern as a "subscription subject": keep its why */
  const char *msg = troupe_err_message(&e), *why = strstr(msg, "\": ");
  if (why)
    why += 3;
  else if ((why = strstr(msg, ": ")))
    why += 2;
  else
    why = msg;
  trN_error_node(L, n, NULL, "malformed pattern %s: %s (patterns are NATS subjects: "
                 "dot-separated tokens, '*' a whole token, '>' only last)",
                 trN_quote(L, n), why);
  return false;
}

static void cap_list(trN_load *L, const trN_ynode *v, troupe_pattern_list *out) {
  out->v = string_list(L, v, &out->n, check_pattern);
}
#define CAPS(c) (&((comp_ctx *)(c))->c->spec.caps)
static void cap_send(trN_load *L, const trN_ynode *v, void *c) {
  cap_list(L, v, &CAPS(c)->send_to);
}
static void cap_accept(trN_load *L, const trN_ynode *v, void *c) {
  cap_list(L, v, &CAPS(c)->accept_from);
}
static void cap_publish(trN_load *L, const trN_ynode *v, void *c) {
  cap_list(L, v, &CAPS(c)->publish);
}
static void cap_subscribe(trN_load *L, const trN_ynode *v, void *c) {
  cap_list(L, v, &CAPS(c)->subscribe);
}
static void cap_spawn(trN_load *L, const trN_ynode *v, void *c) { cap_list(L, v, &CAPS(c)->spawn); }

static const field_def cap_fields[] = {
    {"send_to", cap_send},     {"accept_from", cap_accept}, {"publish", cap_publish},
    {"subscribe", cap_subscribe}, {"spawn", cap_spawn},      {NULL, NULL},
};

static troupe_manifest_pos pos_of(trN_load *L, const trN_ynode *n) {
  return (troupe_manifest_pos){L->file, n->line, n->column};
}

static bool looks_like_file(const char *s) {
  size_t n = strlen(s);
  return strchr(s, '/') || (n > 5 && !strcmp(s + n - 5, ".wasm"));
}

static void comp_module(trN_load *L, const trN_ynode *v, void *obj) {
  comp_ctx *cx = obj;
  const char *s;
  if (!trN_get_string(L, v, &s))
    return;
  troupe_module_ref ref;
  troupe_err e = {0};
  if (troupe_module_ref_parse(s, &ref, &e)) {
    trN_error_node(L, v, NULL, "%s%s", troupe_err_message(&e),
                   looks_like_file(s) ? " (a file? give it as 'path:')" : "");
    return;
  }
  cx->c->spec.module = s;
  cx->aux->module_pos = pos_of(L, v);
}

static void comp_path(trN_load *L, const trN_ynode *v, void *obj) {
  comp_ctx *cx = obj;
  const char *s;
  if (!nonempty_string(L, v, &s))
    return;
  cx->aux->path_given = s;
  cx->aux->module_pos = pos_of(L, v);
}

static void comp_limits(trN_load *L, const trN_ynode *v, void *obj) {
  walk_map(L, v, limit_fields, obj);
}

static void comp_caps(trN_load *L, const trN_ynode *v, void *obj) {
  walk_map(L, v, cap_fields, obj);
}

static void comp_args(trN_load *L, const trN_ynode *v, void *obj) {
  troupe_component_spec *s = &((comp_ctx *)obj)->c->spec;
  s->argv = string_list(L, v, &s->argc, NULL);
}

static void comp_env(trN_load *L, const trN_ynode *v, void *obj) {
  troupe_component_spec *s = &((comp_ctx *)obj)->c->spec;
  if (trN_is_null(v))
    return;
  if (v->kind != TRN_Y_MAP) {
    trN_error_node(L, v, NULL, "expected a mapping (NAME: value lines), got %s",
                   trN_kind_name(v));
    return;
  }
  const char **env = v->n ? trN_arena_alloc(L->arena, v->n * sizeof *env) : NULL;
  if (v->n && !env) {
    trN_nomem(L);
    return;
  }
  size_t n = 0;
  trN_names seen = {0}; /* a hash: a hostile file may hold a million variables */
  for (size_t i = 0; i < v->n && !L->nomem; i++) {
    const trN_ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
    const char *name, *value;
    if (!trN_get_string(L, k, &name))
      continue;
    size_t saved = trN_field_push(L, name, -1), first;
    bool dup;
    if (!*name || strchr(name, '=')) {
      trN_error_node(L, k, NULL, "a variable's name may not be empty or hold '='");
    } else if (trN_names_put(L, &seen, name, k->line, &first, &dup)) {
      if (dup)
        trN_error_node(L, k, NULL, "given twice (first at line %zu)", first);
      else if (trN_get_string(L, val, &value) &&
               !(env[n++] = trN_arena_printf(L->arena, "%s=%s", name, value)))
        trN_nomem(L);
    }
    trN_field_pop(L, saved);
  }
  trN_names_free(&seen);
  s->env = env;
  s->envc = n;
}

static void comp_restart(trN_load *L, const trN_ynode *v, void *obj) {
  static const char *const names[] = {"permanent", "transient", "temporary", NULL};
  int x;
  if (trN_get_enum(L, v, names, &x))
    ((comp_ctx *)obj)->c->spec.restart = (troupe_restart_type)x;
}

static void comp_shutdown(trN_load *L, const trN_ynode *v, void *obj) {
  uint64_t x;
  if (trN_get_ms(L, v, 1, UINT32_MAX, &x))
    ((comp_ctx *)obj)->c->spec.shutdown_ms = (uint32_t)x;
}

static void comp_health_interval(trN_load *L, const trN_ynode *v, void *obj) {
  uint64_t x;
  if (trN_get_ms(L, v, 0, UINT32_MAX, &x))
    ((comp_ctx *)obj)->c->spec.health_interval_ms = (uint32_t)x;
}

static void comp_health_threshold(trN_load *L, const trN_ynode *v, void *obj) {
  uint64_t x;
  if (trN_get_uint(L, v, 1, UINT32_MAX, &x))
    ((comp_ctx *)obj)->c->spec.health_threshold = (uint32_t)x;
}

static void comp_significant(trN_load *L, const trN_ynode *v, void *obj) {
  comp_ctx *cx = obj;
  if (trN_get_bool(L, v, &cx->c->significant))
    cx->aux->significant_pos = pos_of(L, v);
}

enum { F_MODULE = 0, F_PATH = 1 };
static const field_def comp_fields[] = {
    {"module", comp_module},
    {"path", comp_path},
    {"limits", comp_limits},
    {"caps", comp_caps},
    {"args", comp_args},
    {"env", comp_env},
    {"restart", comp_restart},
    {"shutdown_ms", comp_shutdown},
    {"health_interval_ms", comp_health_interval},
    {"health_threshold", comp_health_threshold},
    {"significant", comp_significant},
    {NULL, NULL},
};

/* A `NAME:` key of components or supervisors: a valid, new name (across both
 * sections: children name either). */
static const char *item_name(trN_load *L, const trN_ynode *k, trN_names *own, size_t index,
                             bool is_component) {
  const char *name, *why;
  if (!trN_get_string(L, k, &name))
    return NULL;
  size_t saved = trN_field_push(L, name, -1);
  const char *ok = NULL;
  size_t old;
  bool found;
  if ((why = trN_name_problem(name, k->len))) {
    trN_error_node(L, k, NULL, "%s", why);
  } else if (!trN_names_put(L, own, name, index, &old, &found)) {
    /* out of memory: recorded */
  } else if (found) {
    trN_error_node(L, k, NULL, "%s '%s' is defined twice (first at line %u)",
                   is_component ? "component" : "supervisor", name,
                   (unsigned)(is_component ? L->comps[old].pos.line : L->sups[old].pos.line));
  } else {
    ok = name;
  }
  trN_field_pop(L, saved);
  return ok;
}

static void parse_components(trN_load *L, const trN_ynode *v) {
  if (trN_is_null(v))
    return;
  if (v->kind != TRN_Y_MAP) {
    trN_error_node(L, v, NULL, "expected a mapping of component names, got %s",
                   trN_kind_name(v));
    return;
  }
  L->comps = v->n ? trN_arena_alloc(L->arena, v->n * sizeof *L->comps) : NULL;
  L->aux = v->n ? trN_arena_alloc(L->arena, v->n * sizeof *L->aux) : NULL;
  if (v->n && (!L->comps || !L->aux)) {
    trN_nomem(L);
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < v->n && !L->nomem; i++) {
    const trN_ynode *k = v->items[2 * i], *body = v->items[2 * i + 1];
    troupe_manifest_component *c = &L->comps[n];
    memset(c, 0, sizeof *c);
    memset(&L->aux[n], 0, sizeof L->aux[n]);
    c->pos = pos_of(L, k);
    const char *name = item_name(L, k, &L->comp_names, n, true);
    /* a refused name still has its fields checked (into this slot, reused after) */
    const char *label = name ? name : k->kind == TRN_Y_SCALAR ? k->text : "?";
    c->spec.name = label;
    c->supervisor = SIZE_MAX;
    comp_ctx cx = {c, &L->aux[n]};
    size_t saved = trN_field_push(L, label, -1);
    if (trN_is_null(body) || body->kind == TRN_Y_MAP) {
      uint64_t seen = walk_map(L, body, comp_fields, &cx);
      bool mod = seen & (1u << F_MODULE), path = seen & (1u << F_PATH);
      if (!mod && !path)
        trN_error_node(L, k, NULL, "missing required field 'module' (a store reference) or "
                       "'path' (a .wasm file)");
      else if (mod && path)
        trN_error_node(L, k, NULL, "give either 'module' or 'path', not both");
    } else {
      trN_error_node(L, body, NULL, "expected a mapping of the component's fields, got %s",
                     trN_kind_name(body));
    }
    trN_field_pop(L, saved);
    if (name)
      n++;
  }
  L->m->components = L->comps;
  L->m->ncomponents = n;
}

/* ---- supervisors: NAME: ------------------------------------------------------------- */
typedef struct sup_ctx {
  troupe_manifest_supervisor *s;
  const trN_ynode **children;
} sup_ctx;

static void sup_strategy(trN_load *L, const trN_ynode *v, void *obj) {
  static const char *const names[] = {"one_for_one", "one_for_all", "rest_for_one", NULL};
  int x;
  if (!trN_is_null(v) && v->kind == TRN_Y_SCALAR && !strcmp(v->text, "simple_one_for_one")) {
    trN_error_node(L, v, NULL, "simple_one_for_one is not for manifests: its children are "
                   "started at run time, not listed");
    return;
  }
  if (trN_get_enum(L, v, names, &x))
    ((sup_ctx *)obj)->s->config.strategy = (troupe_sup_strategy)x;
}

static void sup_intensity(trN_load *L, const trN_ynode *v, void *obj) {
  uint64_t x;
  troupe_sup_config *c = &((sup_ctx *)obj)->s->config;
  if (v && v->kind == TRN_Y_SCALAR && !strcmp(v->text, "unlimited"))
    c->intensity = TROUPE_SUP_INTENSITY_UNLIMITED;
  else if (v && v->kind == TRN_Y_SCALAR && v->len && v->text[0] >= '0' && v->text[0] <= '9')
    c->intensity = trN_get_uint(L, v, 0, UINT32_MAX - 1, &x) ? (uint32_t)x : c->intensity;
  else
    trN_error_node(L, v, NULL, "expected an integer or 'unlimited', got %s", trN_quote(L, v));
}

static void sup_period(trN_load *L, const trN_ynode *v, void *obj) {
  uint64_t x;
  if (trN_get_ms(L, v, 1, UINT64_MAX, &x))
    ((sup_ctx *)obj)->s->config.period_ms = x;
}

static void sup_auto(trN_load *L, const trN_ynode *v, void *obj) {
  static const char *const names[] = {"never", "any_significant", "all_significant", NULL};
  int x;
  if (trN_get_enum(L, v, names, &x))
    ((sup_ctx *)obj)->s->config.auto_shutdown = (troupe_auto_shutdown)x;
}

static void sup_delay(trN_load *L, const trN_ynode *v, void *obj) {
  uint64_t x;
  if (trN_get_ms(L, v, 0, UINT32_MAX, &x))
    ((sup_ctx *)obj)->s->config.restart_delay_ms = (uint32_t)x;
}

static void sup_delay_max(trN_load *L, const trN_ynode *v, void *obj) {
  uint64_t x;
  if (trN_get_ms(L, v, 0, UINT32_MAX, &x))
    ((sup_ctx *)obj)->s->config.restart_delay_max_ms = (uint32_t)x;
}

static void sup_restart(trN_load *L, const trN_ynode *v, void *obj) {
  static const char *const names[] = {"permanent", "transient", "temporary", NULL};
  int x;
  if (trN_get_enum(L, v, names, &x))
    ((sup_ctx *)obj)->s->restart = (troupe_restart_type)x;
}

static void sup_children(trN_load *L, const trN_ynode *v, void *obj) {
  size_t n;
  if (!as_list(L, v, &n))
    return;
  for (size_t i = 0; i < n; i++) {
    size_t saved = trN_field_push(L, NULL, (long)i);
    const char *s;
    (void)trN_get_string(L, v->items[i], &s);
    trN_field_pop(L, saved);
  }
  *((sup_ctx *)obj)->children = v;
}

static const field_def sup_fields[] = {
    {"strategy", sup_strategy},   {"intensity", sup_intensity},
    {"period_ms", sup_period},    {"auto_shutdown", sup_auto},
    {"restart_delay_ms", sup_delay}, {"restart_delay_max_ms", sup_delay_max},
    {"restart", sup_restart},     {"children", sup_children},
    {NULL, NULL},
};

static void parse_supervisors(trN_load *L, const trN_ynode *v) {
  if (trN_is_null(v) || v->kind != TRN_Y_MAP || v->n == 0) {
    if (!trN_is_null(v) && v->kind != TRN_Y_MAP)
      trN_error_node(L, v, NULL, "expected a mapping of supervisor names, got %s",
                     trN_kind_name(v));
    else
      trN_error_node(L, v, NULL, "a manifest needs at least one supervisor (the root)");
    return;
  }
  L->sups = trN_arena_alloc(L->arena, v->n * sizeof *L->sups);
  L->sup_children = trN_arena_alloc(L->arena, v->n * sizeof *L->sup_children);
  if (!L->sups || !L->sup_children) {
    trN_nomem(L);
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < v->n && !L->nomem; i++) {
    const trN_ynode *k = v->items[2 * i], *body = v->items[2 * i + 1];
    troupe_manifest_supervisor *s = &L->sups[n];
    s->pos = pos_of(L, k);
    const char *name = item_name(L, k, &L->sup_names, n, false);
    if (!name)
      continue;
    s->name = name;
    troupe_sup_config_init(&s->config);
    s->config.name = name;
    s->parent = TROUPE_MANIFEST_NO_PARENT;
    sup_ctx cx = {s, &L->sup_children[n]};
    size_t saved = trN_field_push(L, name, -1);
    walk_map(L, body, sup_fields, &cx);
    trN_field_pop(L, saved);
    n++;
  }
  L->m->supervisors = L->sups;
  L->m->nsupervisors = n;
}

/* ---- subscriptions: - {component, subject} ------------------------------------------ */
typedef struct sub_ctx {
  trN_load *L;
  size_t i;
} sub_ctx;

static void sub_component(trN_load *L, const trN_ynode *v, void *obj) {
  sub_ctx *cx = obj;
  const char *s;
  if (trN_get_string(L, v, &s)) {
    L->sub_names[cx->i] = s;
    L->sub_name_pos[cx->i] = pos_of(L, v);
  }
}

static void sub_subject(trN_load *L, const trN_ynode *v, void *obj) {
  sub_ctx *cx = obj;
  const char *s;
  if (trN_get_string(L, v, &s) && check_pattern(L, v, s))
    L->subs[cx->i].subject = s;
}

static const field_def sub_fields[] = {
    {"component", sub_component}, {"subject", sub_subject}, {NULL, NULL},
};

static void parse_subscriptions(trN_load *L, const trN_ynode *v) {
  size_t n;
  if (!as_list(L, v, &n) || !n)
    return;
  L->subs = trN_arena_alloc(L->arena, n * sizeof *L->subs);
  L->sub_names = trN_arena_alloc(L->arena, n * sizeof *L->sub_names);
  L->sub_name_pos = trN_arena_alloc(L->arena, n * sizeof *L->sub_name_pos);
  if (!L->subs || !L->sub_names || !L->sub_name_pos) {
    trN_nomem(L);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const trN_ynode *item = v->items[i];
    size_t saved = trN_field_push(L, NULL, (long)i);
    L->subs[i].pos = pos_of(L, item);
    L->subs[i].component = SIZE_MAX;
    sub_ctx cx = {L, i};
    if (trN_is_null(item) || item->kind != TRN_Y_MAP) {
      trN_error_node(L, item, NULL, "expected a mapping with 'component' and 'subject', got %s",
                     trN_kind_name(item));
    } else {
      uint64_t seen = walk_map(L, item, sub_fields, &cx);
      if (!(seen & 1))
        trN_error_node(L, item, NULL, "missing required field 'component'");
      if (!(seen & 2))
        trN_error_node(L, item, NULL, "missing required field 'subject'");
    }
    trN_field_pop(L, saved);
  }
  L->m->subscriptions = L->subs;
  L->m->nsubscriptions = n;
}

/* ---- the top ------------------------------------------------------------------------ */
static void top_node(trN_load *L, const trN_ynode *v, void *obj) {
  (void)obj;
  if (!trN_is_null(v))
    L->m->node.pos = pos_of(L, v);
  walk_map(L, v, node_fields, &L->m->node);
}
static void top_components(trN_load *L, const trN_ynode *v, void *obj) {
  (void)obj;
  parse_components(L, v);
}
static void top_supervisors(trN_load *L, const trN_ynode *v, void *obj) {
  (void)obj;
  parse_supervisors(L, v);
}
static void top_subscriptions(trN_load *L, const trN_ynode *v, void *obj) {
  (void)obj;
  parse_subscriptions(L, v);
}

static const field_def top_fields[] = {
    {"node", top_node},
    {"components", top_components},
    {"supervisors", top_supervisors},
    {"subscriptions", top_subscriptions},
    {NULL, NULL},
};

/* No `node.name`: the file's name without its extension, when that is a valid name. */
static void default_node_name(trN_load *L) {
  const char *base = strrchr(L->file, '/');
  base = base ? base + 1 : L->file;
  const char *dot = strrchr(base, '.');
  size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  if (trN_name_problem(base, len))
    return;
  if (!(L->m->node.name = trN_arena_strndup(L->arena, base, len)))
    trN_nomem(L);
}

void trN_manifest_parse_tree(trN_load *L, const trN_ynode *root) {
  L->m->node.pos = (troupe_manifest_pos){L->file, 1, 1};
  L->m->node.log_level = TROUPE_LOG_INFO;
  if (!root || trN_is_null(root)) {
    trN_error_at(L, 1, 1, NULL, "the manifest is empty: expected a mapping with "
                 "'components' and 'supervisors'");
    return;
  }
  if (root->kind != TRN_Y_MAP) {
    trN_error_node(L, root, NULL, "expected a mapping with 'components' and 'supervisors', "
                   "got %s", trN_kind_name(root));
    return;
  }
  uint64_t seen = walk_map(L, root, top_fields, NULL);
  if (!(seen & 4))
    trN_error_at(L, 1, 1, "supervisors", "missing required field (at least the root)");
  if (!L->m->node.name)
    default_node_name(L);
}
