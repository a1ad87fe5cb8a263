/*
 * node/scenario_yaml.c: a scenario file's YAML as a tree of nodes that remember their
 * line and column, read by the node layer's reader (yaml.c, malloc'd tree) with the
 * scenario's bounds, stopping at the first refusal and wording it as the test kit
 * reports everything: "FILE:LINE:COL: what". Anchors and aliases are refused outright:
 * a scenario has no need of them, and refusing them closes the "billion laughs"
 * expansion. Also the YAML-to-JSON conversion used for payloads and expected values.
 */
#include "node/scenario.h"

#include "base/base.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct yctx {
  const char *path;
  troupe_err *err;
} yctx;

static bool on_error(void *ctx, const trN_yaml_error *e) {
  yctx *c = ctx;
  char what[300];
  switch (e->problem) {
  case TRN_YAML_SYNTAX:
  case TRN_YAML_ENCODING:
    snprintf(what, sizeof what, "YAML: %s%s%s", e->what, e->context ? " " : "",
             e->context ? e->context : "");
    break;
  case TRN_YAML_DOCUMENTS: snprintf(what, sizeof what, "one YAML document per scenario file"); break;
  case TRN_YAML_ANCHOR: snprintf(what, sizeof what, "YAML anchors (&name) are not supported"); break;
  case TRN_YAML_ALIAS: snprintf(what, sizeof what, "YAML aliases (*name) are not supported"); break;
  case TRN_YAML_DEPTH:
    snprintf(what, sizeof what, "YAML nested too deeply (more than %zu levels)", e->limit);
    break;
  case TRN_YAML_NODES:
    snprintf(what, sizeof what, "too many YAML nodes (more than %zu)", e->limit);
    break;
  case TRN_YAML_NUL: snprintf(what, sizeof what, "a NUL character in a scalar"); break;
  case TRN_YAML_SIZE:
    troupe_err_set(c->err, TROUPE_E_INVAL, "%s: larger than %zu bytes", c->path, e->limit);
    return false;
  }
  troupe_err_set(c->err, TROUPE_E_INVAL, "%s:%u:%u: %s", c->path, (unsigned)e->line,
                 (unsigned)e->column, what);
  return false; /* the first refusal is the answer */
}

int trN_scenario_yaml_load(const char *text, size_t len, const char *path, trN_ynode **out,
                           troupe_err *err) {
  yctx c = {.path = path, .err = err};
  const trN_yaml_config cfg = {.max_bytes = TRN_Y_MAX_BYTES,
                               .max_nodes = TRN_Y_MAX_NODES,
                               .error = on_error,
                               .error_ctx = &c};
  int rc = trN_yaml_parse(text, len, &cfg, out);
  if (rc == TROUPE_E_NOMEM)
    return troupe_err_set(err, TROUPE_E_NOMEM, "%s: out of memory", path);
  return rc;
}

/* A plain scalar as YAML 1.2's core schema reads it: null, a boolean, an integer, a
 * float; NULL when it is a string. */
static json_t *plain_value(const char *s) {
  if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
    return json_null();
  if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
    return json_true();
  if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
    return json_false();
  const char *d = s + (*s == '-' || *s == '+');
  if (*d < '0' || *d > '9') {
    if (*d != '.' || d[1] < '0' || d[1] > '9')
      return NULL;
  }
  char *end;
  errno = 0;
  long long i = strtoll(s, &end, 10);
  if (!*end && !errno)
    return json_integer(i);
  errno = 0;
  double f = strtod(s, &end);
  if (!*end && !errno && isfinite(f) && !strpbrk(s, "xXnN"))
    return json_real(f);
  return NULL;
}

json_t *trN_yaml_to_json(const trN_ynode *n, const trN_ynode **bad) {
  json_t *j = NULL;
  switch (n->kind) {
  case TRN_Y_SCALAR:
    j = n->plain ? plain_value(n->text) : NULL;
    if (!j)
      j = json_string(n->text);
    if (!j) /* not UTF-8 */
      *bad = n;
    return j;
  case TRN_Y_SEQ:
    if (!(j = json_array()))
      return NULL;
    for (size_t i = 0; i < n->n; i++) {
      json_t *k = trN_yaml_to_json(n->items[i], bad);
      if (!k || json_array_append_new(j, k)) {
        json_decref(j);
        return NULL;
      }
    }
    return j;
  case TRN_Y_MAP:
    if (!(j = json_object()))
      return NULL;
    for (size_t i = 0; i < n->n; i++) {
      const trN_ynode *key = n->items[2 * i];
      if (key->kind != TRN_Y_SCALAR) {
        *bad = key;
        json_decref(j);
        return NULL;
      }
      json_t *k = trN_yaml_to_json(n->items[2 * i + 1], bad);
      if (!k || json_object_set_new(j, key->text, k)) {
        json_decref(j);
        return NULL;
      }
    }
    return j;
  }
  return NULL;
}
