/*
 * node/manifest_yaml.c: YAML bytes -> a small tree of mappings, sequences and scalars
 * with their places, built from libyaml's event API with an explicit stack (no C
 * recursion, whatever the nesting). It refuses what a manifest never needs and a hostile
 * file could abuse: anchors and aliases (so nothing can expand, billion-laughs style,
 * and every value has exactly one place), more than one document, and nesting deeper
 * than TRN_YAML_MAX_DEPTH. Syntax errors carry libyaml's place and words.
 */
#include "node/manifest_int.h"

#include <yaml.h>

typedef struct frame {
  trN_ynode *node;
  trN_ynode **items; /* malloc'd while open, moved into the arena when closed */
  size_t n, cap;
} frame;

typedef struct builder {
  trN_load *L;
  frame stack[TRN_YAML_MAX_DEPTH + 1];
  size_t depth;
  trN_ynode *root;
  bool failed;
} builder;

static trN_ynode *new_node(builder *b, trN_ykind kind, yaml_mark_t mark) {
  trN_ynode *n = trN_arena_alloc(b->L->arena, sizeof *n);
  if (!n) {
    trN_nomem(b->L);
    return NULL;
  }
  n->kind = kind;
  n->line = (uint32_t)mark.line + 1;
  n->column = (uint32_t)mark.column + 1;
  return n;
}

static bool attach(builder *b, trN_ynode *n) {
  if (b->depth == 0) {
    b->root = n;
    return true;
  }
  frame *f = &b->stack[b->depth - 1];
  if (f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 8;
    trN_ynode **v = trB_realloc_array(f->items, cap, sizeof *v);
    if (!v) {
      trN_nomem(b->L);
      return false;
    }
    f->items = v;
    f->cap = cap;
  }
  f->items[f->n++] = n;
  return true;
}

static bool close_frame(builder *b) {
  frame *f = &b->stack[--b->depth];
  trN_ynode *n = f->node;
  size_t count = f->n;
  if (count) {
    n->items = trN_arena_alloc(b->L->arena, count * sizeof *n->items);
    if (!n->items) {
      free(f->items);
      trN_nomem(b->L);
      return false;
    }
    memcpy(n->items, f->items, count * sizeof *n->items);
  }
  free(f->items);
  f->items = NULL;
  n->n = n->kind == TRN_Y_MAP ? count / 2 : count;
  return attach(b, n);
}

static void refuse_anchor(builder *b, const yaml_char_t *anchor, yaml_mark_t mark) {
  if (!anchor)
    return;
  trN_error_at(b->L, (uint32_t)mark.line + 1, (uint32_t)mark.column + 1, NULL,
               "anchors (&%.40s) and aliases are not supported: write the value out",
               (const char *)anchor);
  b->failed = true;
}

/* Line and column of a byte offset: libyaml's reader errors (bad UTF-8, control
 * characters) give only the offset. */
static void place_of(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && i < len; i++) {
    if (text[i] == '\n') {
      ++*line;
      *col = 1;
    } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
      ++*col;
    }
  }
}

static void syntax_error(builder *b, yaml_parser_t *p, const char *text, size_t len) {
  trN_load *L = b->L;
  b->failed = true;
  if (p->error == YAML_MEMORY_ERROR) {
    trN_nomem(L);
    return;
  }
  const char *problem = p->problem ? p->problem : "unknown problem";
  if (p->error == YAML_READER_ERROR) {
    uint32_t line, col;
    place_of(text, len, p->problem_offset, &line, &col);
    if (p->problem_value != -1)
      trN_error_at(L, line, col, NULL, "not a valid YAML file: %s (byte 0x%02x)", problem,
                   (unsigned)p->problem_value & 0xffu);
    else
      trN_error_at(L, line, col, NULL, "not a valid YAML file: %s", problem);
    return;
  }
  uint32_t line = (uint32_t)p->problem_mark.line + 1, col = (uint32_t)p->problem_mark.column + 1;
  if (p->context)
    trN_error_at(L, line, col, NULL, "YAML syntax error: %s (%s at line %u, column %u)", problem,
                 p->context, (unsigned)p->context_mark.line + 1,
                 (unsigned)p->context_mark.column + 1);
  else
    trN_error_at(L, line, col, NULL, "YAML syntax error: %s", problem);
}

/* One event into the tree. false: stop (an error was recorded). */
static bool on_event(builder *b, const yaml_event_t *ev, int *documents) {
  trN_load *L = b->L;
  trN_ynode *n;
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (++*documents > 1) {
      trN_error_at(L, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                   NULL, "a manifest is one YAML document: found a second one");
      b->failed = true;
      return false;
    }
    return true;
  case YAML_ALIAS_EVENT:
    trN_error_at(L, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                 NULL, "aliases (*%.40s) are not supported: write the value out",
                 (const char *)ev->data.alias.anchor);
    b->failed = true;
    /* a null in its place keeps the tree's shape for the remaining syntax checks */
    n = new_node(b, TRN_Y_SCALAR, ev->start_mark);
    if (!n)
      return false;
    n->text = "";
    n->plain = true;
    return attach(b, n);
  case YAML_SCALAR_EVENT:
    refuse_anchor(b, ev->data.scalar.anchor, ev->start_mark);
    n = new_node(b, TRN_Y_SCALAR, ev->start_mark);
    if (!n)
      return false;
    n->len = ev->data.scalar.length;
    n->text = trN_arena_strndup(L->arena, (const char *)ev->data.scalar.value, n->len);
    if (!n->text) {
      trN_nomem(L);
      return false;
    }
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return attach(b, n);
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
    refuse_anchor(b, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
                  ev->start_mark);
    if (b->depth == TRN_YAML_MAX_DEPTH) {
      trN_error_at(L, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                   NULL, "nested deeper than %d levels", TRN_YAML_MAX_DEPTH);
      b->failed = true;
      return false;
    }
    n = new_node(b, seq ? TRN_Y_SEQ : TRN_Y_MAP, ev->start_mark);
    if (!n)
      return false;
    b->stack[b->depth++] = (frame){.node = n};
    return true;
  }
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT:
    return b->depth > 0 && close_frame(b);
  default:
    return true;
  }
}

int trN_yaml_load(trN_load *L, const char *text, size_t len, trN_ynode **root) {
  *root = NULL;
  builder b = {.L = L};
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    trN_nomem(L);
    return TROUPE_E_NOMEM;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  int documents = 0;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      syntax_error(&b, &p, text, len);
      break;
    }
    bool go = on_event(&b, &ev, &documents);
    bool end = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (!go || end || L->nomem)
      break;
  }
  yaml_parser_delete(&p);
  while (b.depth > 0)
    free(b.stack[--b.depth].items);
  if (L->nomem)
    return TROUPE_E_NOMEM;
  if (b.failed)
    return TROUPE_E_INVAL;
  *root = b.root;
  return TROUPE_OK;
}
