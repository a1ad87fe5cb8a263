/*
 * node/scenario_yaml.c: a scenario file's YAML (Debian's libyaml, event API) as a tree
 * of nodes that remember their line and column, so every later complaint can point at
 * the place. Anchors and aliases are refused outright: a scenario has no need of them,
 * and refusing them closes the "billion laughs" expansion. Depth, node count and size
 * are bounded (TRN_Y_MAX_*). Also the YAML-to-JSON conversion used for payloads and
 * expected values.
 */
#include "node/scenario.h"

#include "base/base.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void trN_yaml_free(trN_ynode *n) {
  if (!n)
    return;
  for (size_t i = 0; i < n->nkids; i++)
    trN_yaml_free(n->kids[i]);
  free(n->kids);
  free(n->text);
  free(n);
}

static trN_ynode *node_new(trN_ykind kind, const yaml_mark_t *m) {
  trN_ynode *n = trB_calloc(1, sizeof *n);
  if (n) {
    n->kind = kind;
    n->line = (unsigned)m->line + 1;
    n->col = (unsigned)m->column + 1;
  }
  return n;
}

static int add_kid(trN_ynode *parent, trN_ynode *kid) {
  trN_ynode **v = trB_realloc_array(parent->kids, parent->nkids + 1, sizeof *v);
  if (!v)
    return TROUPE_E_NOMEM;
  parent->kids = v;
  v[parent->nkids++] = kid;
  return TROUPE_OK;
}

static int at(troupe_err *err, const char *path, const yaml_mark_t *m, const char *what) {
  return troupe_err_set(err, TROUPE_E_INVAL, "%s:%u:%u: %s", path, (unsigned)m->line + 1,
                        (unsigned)m->column + 1, what);
}

int trN_scenario_yaml_load(const char *text, size_t len, const char *path, trN_ynode **out,
                  troupe_err *err) {
  *out = NULL;
  if (len > TRN_Y_MAX_BYTES)
    return troupe_err_set(err, TROUPE_E_INVAL, "%s: larger than %u bytes", path,
                          TRN_Y_MAX_BYTES);
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p))
    return troupe_err_set(err, TROUPE_E_NOMEM, "%s: out of memory", path);
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  trN_ynode *stack[TRN_Y_MAX_DEPTH + 1];
  size_t depth = 0, nodes = 0;
  trN_ynode *root = NULL;
  int rc = TROUPE_OK;
  bool done = false, docs = false;
  while (!done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      char what[200];
      snprintf(what, sizeof what, "YAML: %s%s%s", p.problem ? p.problem : "syntax error",
               p.context ? " " : "", p.context ? p.context : "");
      rc = at(err, path, &p.problem_mark, what);
      break;
    }
    trN_ynode *n = NULL;
    switch (ev.type) {
    case YAML_STREAM_END_EVENT:
      done = true;
      break;
    case YAML_DOCUMENT_START_EVENT:
      if (docs)
        rc = at(err, path, &ev.start_mark, "one YAML document per scenario file");
      docs = true;
      break;
    case YAML_ALIAS_EVENT:
      rc = at(err, path, &ev.start_mark, "YAML aliases (*name) are not supported");
      break;
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      const yaml_char_t *anchor = ev.type == YAML_SCALAR_EVENT ? ev.data.scalar.anchor
                                  : ev.type == YAML_SEQUENCE_START_EVENT
                                      ? ev.data.sequence_start.anchor
                                      : ev.data.mapping_start.anchor;
      if (anchor) {
        rc = at(err, path, &ev.start_mark, "YAML anchors (&name) are not supported");
        break;
      }
      if (++nodes > TRN_Y_MAX_NODES) {
        rc = at(err, path, &ev.start_mark, "too many YAML nodes");
        break;
      }
      n = node_new(ev.type == YAML_SCALAR_EVENT           ? TRN_Y_SCALAR
                   : ev.type == YAML_SEQUENCE_START_EVENT ? TRN_Y_SEQ
                                                          : TRN_Y_MAP,
                   &ev.start_mark);
      if (!n) {
        rc = troupe_err_set(err, TROUPE_E_NOMEM, "%s: out of memory", path);
        break;
      }
      if (ev.type == YAML_SCALAR_EVENT) {
        size_t l = ev.data.scalar.length;
        n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag;
        if (memchr(ev.data.scalar.value, 0, l)) {
          trN_yaml_free(n);
          rc = at(err, path, &ev.start_mark, "a NUL character in a scalar");
          break;
        }
        if (!(n->text = trB_malloc(l + 1))) {
          trN_yaml_free(n);
          rc = troupe_err_set(err, TROUPE_E_NOMEM, "%s: out of memory", path);
          break;
        }
        memcpy(n->text, ev.data.scalar.value, l);
        n->text[l] = '\0';
      }
      if (depth == 0) {
        root = n;
      } else if ((rc = add_kid(stack[depth - 1], n))) {
        trN_yaml_free(n);
        troupe_err_set(err, rc, "%s: out of memory", path);
        break;
      }
      if (ev.type != YAML_SCALAR_EVENT) {
        if (depth == TRN_Y_MAX_DEPTH) {
          rc = at(err, path, &ev.start_mark, "YAML nested too deeply");
          break;
        }
        stack[depth++] = n;
      }
      break;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      depth--;
      break;
    default:
      break;
    }
    yaml_event_delete(&ev);
    if (rc)
      break;
  }
  yaml_parser_delete(&p);
  if (rc) {
    trN_yaml_free(root);
    return rc;
  }
  *out = root;
  return TROUPE_OK;
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
    for (size_t i = 0; i < n->nkids; i++) {
      json_t *k = trN_yaml_to_json(n->kids[i], bad);
      if (!k || json_array_append_new(j, k)) {
        json_decref(j);
        return NULL;
      }
    }
    return j;
  case TRN_Y_MAP:
    if (!(j = json_object()))
      return NULL;
    for (size_t i = 0; i + 1 < n->nkids; i += 2) {
      if (n->kids[i]->kind != TRN_Y_SCALAR) {
        *bad = n->kids[i];
        json_decref(j);
        return NULL;
      }
      json_t *k = trN_yaml_to_json(n->kids[i + 1], bad);
      if (!k || json_object_set_new(j, n->kids[i]->text, k)) {
        json_decref(j);
        return NULL;
      }
    }
    return j;
  }
  return NULL;
}
