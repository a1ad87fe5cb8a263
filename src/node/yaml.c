/*
 * node/yaml.c: the node layer's YAML reader (node/yaml.h): libyaml's events into a tree,
 * with an explicit stack of open collections. A collection's children are gathered in a
 * growing array while it is open and handed to the node when it closes (copied into the
 * caller's allocator, or kept as they are in a malloc'd tree). The refusals are found
 * here and handed to the caller's callback; their words are the caller's.
 */
#include "node/yaml.h"

#include "base/base.h"

#include <yaml.h>

typedef struct frame {
  trN_ynode *node;
  trN_ynode **items; /* malloc'd while open */
  size_t n, cap;
} frame;

typedef struct builder {
  const trN_yaml_config *cfg;
  frame stack[TRN_YAML_MAX_DEPTH];
  size_t depth, nodes;
  int documents;
  trN_ynode *root;
  bool failed, stop, nomem;
} builder;

static size_t nitems(const trN_ynode *n) { return n->kind == TRN_Y_MAP ? 2 * n->n : n->n; }

void trN_yaml_free(trN_ynode *n) {
  if (!n)
    return;
  for (size_t i = 0; i < nitems(n); i++)
    trN_yaml_free(n->items[i]);
  free(n->items);
  free((char *)n->text);
  free(n);
}

static void *alloc(builder *b, size_t size) {
  const trN_yaml_config *c = b->cfg;
  void *p = c->alloc ? c->alloc(c->alloc_ctx, size) : trB_calloc(1, size);
  if (!p)
    b->nomem = true;
  return p;
}

/* A node that will not be in the tree (malloc'd trees only: an allocator keeps it). */
static void drop(builder *b, trN_ynode *n) {
  if (!b->cfg->alloc)
    trN_yaml_free(n);
}

static void report(builder *b, trN_yaml_error *e, bool can_go_on) {
  b->failed = true;
  bool go_on = b->cfg->error && b->cfg->error(b->cfg->error_ctx, e);
  if (!go_on || !can_go_on)
    b->stop = true;
}

static void report_at(builder *b, trN_yaml_problem p, yaml_mark_t m, const char *what,
                      size_t limit, bool can_go_on) {
  trN_yaml_error e = {.problem = p, .line = (uint32_t)m.line + 1,
                      .column = (uint32_t)m.column + 1, .what = what, .byte = -1,
                      .limit = limit};
  report(b, &e, can_go_on);
}

static trN_ynode *new_node(builder *b, trN_ykind kind, yaml_mark_t mark) {
  const trN_yaml_config *c = b->cfg;
  if (c->max_nodes && ++b->nodes > c->max_nodes) {
    report_at(b, TRN_YAML_NODES, mark, NULL, c->max_nodes, false);
    return NULL;
  }
  trN_ynode *n = alloc(b, sizeof *n);
  if (n) {
    n->kind = kind;
    n->line = (uint32_t)mark.line + 1;
    n->column = (uint32_t)mark.column + 1;
  }
  return n;
}

/* n into the open collection (or as the root); on failure n is dropped. */
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
      b->nomem = true;
      drop(b, n);
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
  if (!b->cfg->alloc) {
    n->items = f->items;
  } else if (f->n) {
    if (!(n->items = alloc(b, f->n * sizeof *n->items))) {
      free(f->items);
      return false;
    }
    memcpy(n->items, f->items, f->n * sizeof *n->items);
    free(f->items);
  } else {
    free(f->items);
  }
  n->n = n->kind == TRN_Y_MAP ? f->n / 2 : f->n;
  *f = (frame){0};
  return attach(b, n);
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

static void syntax_error(builder *b, const yaml_parser_t *p, const char *text, size_t len) {
  if (p->error == YAML_MEMORY_ERROR) {
    b->nomem = true;
    return;
  }
  trN_yaml_error e = {.problem = TRN_YAML_SYNTAX,
                      .what = p->problem ? p->problem : "unknown problem", .byte = -1};
  if (p->error == YAML_READER_ERROR) {
    e.problem = TRN_YAML_ENCODING;
    place_of(text, len, p->problem_offset, &e.line, &e.column);
    if (p->problem_value != -1)
      e.byte = p->problem_value & 0xff;
  } else {
    e.line = (uint32_t)p->problem_mark.line + 1;
    e.column = (uint32_t)p->problem_mark.column + 1;
    if (p->context) {
      e.context = p->context;
      e.context_line = (uint32_t)p->context_mark.line + 1;
      e.context_column = (uint32_t)p->context_mark.column + 1;
    }
  }
  report(b, &e, false);
}

static void refuse_anchor(builder *b, const yaml_char_t *anchor, yaml_mark_t mark) {
  if (anchor)
    report_at(b, TRN_YAML_ANCHOR, mark, (const char *)anchor, 0, true);
}

static bool scalar(builder *b, const yaml_event_t *ev) {
  const unsigned char *v = ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  refuse_anchor(b, ev->data.scalar.anchor, ev->start_mark);
  if (!b->cfg->keep_nul && memchr(v, 0, len))
    report_at(b, TRN_YAML_NUL, ev->start_mark, NULL, 0, true);
  if (b->stop)
    return false;
  trN_ynode *n = new_node(b, TRN_Y_SCALAR, ev->start_mark);
  char *text = n && len < SIZE_MAX ? alloc(b, len + 1) : NULL;
  if (!text) {
    if (n)
      drop(b, n);
    return false;
  }
  memcpy(text, v, len);
  text[len] = '\0';
  n->text = text;
  n->len = len;
  n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
  return attach(b, n);
}

/* One event into the tree. false: stop. */
static bool on_event(builder *b, const yaml_event_t *ev) {
  trN_ynode *n;
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (++b->documents > 1) {
      report_at(b, TRN_YAML_DOCUMENTS, ev->start_mark, NULL, 0, false);
      return false;
    }
    return true;
  case YAML_ALIAS_EVENT: {
    report_at(b, TRN_YAML_ALIAS, ev->start_mark, (const char *)ev->data.alias.anchor, 0, true);
    if (b->stop)
      return false;
    /* an empty scalar in its place keeps the tree's shape for the checks still to come */
    char *text = NULL;
    if (!(n = new_node(b, TRN_Y_SCALAR, ev->start_mark)) || !(text = alloc(b, 1))) {
      if (n)
        drop(b, n);
      return false;
    }
    n->text = text;
    n->plain = true;
    return attach(b, n);
  }
  case YAML_SCALAR_EVENT:
    return scalar(b, ev);
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
    refuse_anchor(b, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
                  ev->start_mark);
    if (!b->stop && b->depth == TRN_YAML_MAX_DEPTH)
      report_at(b, TRN_YAML_DEPTH, ev->start_mark, NULL, TRN_YAML_MAX_DEPTH, false);
    if (b->stop || !(n = new_node(b, seq ? TRN_Y_SEQ : TRN_Y_MAP, ev->start_mark)))
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

/* What a malloc'd tree holds when the reading stops half-way. */
static void free_partial(builder *b) {
  for (; b->depth > 0; b->depth--) {
    frame *f = &b->stack[b->depth - 1];
    if (!b->cfg->alloc) {
      for (size_t i = 0; i < f->n; i++)
        trN_yaml_free(f->items[i]);
      trN_yaml_free(f->node);
    }
    free(f->items);
  }
  if (!b->cfg->alloc)
    trN_yaml_free(b->root);
  b->root = NULL;
}

int trN_yaml_parse(const char *text, size_t len, const trN_yaml_config *cfg, trN_ynode **root) {
  *root = NULL;
  builder b = {.cfg = cfg};
  if (cfg->max_bytes && len > cfg->max_bytes) {
    trN_yaml_error e = {.problem = TRN_YAML_SIZE, .byte = -1, .size = len,
                        .limit = cfg->max_bytes};
    report(&b, &e, false);
    return TROUPE_E_INVAL;
  }
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p))
    return TROUPE_E_NOMEM;
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      syntax_error(&b, &p, text, len);
      break;
    }
    bool go = on_event(&b, &ev);
    bool end = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (!go || end || b.stop || b.nomem)
      break;
  }
  yaml_parser_delete(&p);
  if (b.nomem || b.failed) {
    free_partial(&b);
    return b.nomem ? TROUPE_E_NOMEM : TROUPE_E_INVAL;
  }
  *root = b.root;
  return TROUPE_OK;
}
