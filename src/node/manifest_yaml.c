/*
 * node/manifest_yaml.c: a manifest's YAML, read by the node layer's YAML reader
 * (node/yaml.h) into the manifest's arena -- the description keeps pointing at the
 * tree's strings -- with each refusal recorded in the manifest's error list in the
 * manifest's words. The reader carries on after anchors and aliases, so one load names
 * every one of them. A NUL inside a scalar is let through: the schema step refuses it
 * under its field's path ("expected a string, got one holding a NUL byte").
 */
#include "node/manifest_int.h"

/* Nodes: a 50,000-component manifest with every field is far below this; a flow list of
 * a 16 MiB file's worth of `1,` is not. */
#define TRN_MANIFEST_MAX_NODES 2000000u

static void *arena_alloc(void *arena, size_t size) { return trN_arena_alloc(arena, size); }

static bool on_error(void *ctx, const trN_yaml_error *e) {
  trN_load *L = ctx;
  uint32_t line = e->line, col = e->column;
  switch (e->problem) {
  case TRN_YAML_SYNTAX:
    if (e->context)
      trN_error_at(L, line, col, NULL, "YAML syntax error: %s (%s at line %u, column %u)",
                   e->what, e->context, (unsigned)e->context_line, (unsigned)e->context_column);
    else
      trN_error_at(L, line, col, NULL, "YAML syntax error: %s", e->what);
    break;
  case TRN_YAML_ENCODING:
    if (e->byte >= 0)
      trN_error_at(L, line, col, NULL, "not a valid YAML file: %s (byte 0x%02x)", e->what,
                   (unsigned)e->byte);
    else
      trN_error_at(L, line, col, NULL, "not a valid YAML file: %s", e->what);
    break;
  case TRN_YAML_DOCUMENTS:
    trN_error_at(L, line, col, NULL, "a manifest is one YAML document: found a second one");
    break;
  case TRN_YAML_ANCHOR:
    trN_error_at(L, line, col, NULL,
                 "anchors (&%.40s) and aliases are not supported: write the value out", e->what);
    break;
  case TRN_YAML_ALIAS:
    trN_error_at(L, line, col, NULL, "aliases (*%.40s) are not supported: write the value out",
                 e->what);
    break;
  case TRN_YAML_DEPTH:
    trN_error_at(L, line, col, NULL, "nested deeper than %zu levels", e->limit);
    break;
  case TRN_YAML_NODES:
    trN_error_at(L, line, col, NULL, "more than %zu YAML nodes: a manifest may have at most that many",
                 e->limit);
    break;
  case TRN_YAML_NUL: /* not asked for (keep_nul) */
    trN_error_at(L, line, col, NULL, "a NUL character in a scalar");
    break;
  case TRN_YAML_SIZE:
    trN_error_at(L, 0, 0, NULL, "the file is %zu bytes: a manifest may have at most %zu",
                 e->size, e->limit);
    break;
  }
  return !L->nomem;
}

int trN_yaml_load(trN_load *L, const char *text, size_t len, trN_ynode **root) {
  const trN_yaml_config cfg = {.max_bytes = TRN_MANIFEST_MAX_BYTES,
                               .max_nodes = TRN_MANIFEST_MAX_NODES,
                               .keep_nul = true,
                               .alloc = arena_alloc,
                               .alloc_ctx = L->arena,
                               .error = on_error,
                               .error_ctx = L};
  int rc = trN_yaml_parse(text, len, &cfg, root);
  if (rc == TROUPE_E_NOMEM || L->nomem) {
    trN_nomem(L);
    return TROUPE_E_NOMEM;
  }
  return rc;
}
