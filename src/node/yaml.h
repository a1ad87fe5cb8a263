/*
 * node/yaml.h: the node layer's one YAML reader (libyaml's event API), shared by the
 * manifest (manifest_yaml.c) and the test kit's scenarios (scenario_yaml.c). It turns
 * YAML bytes into a small tree of mappings, sequences and scalars that remember where
 * they were written, so every later complaint can point at the place.
 *
 * Both files are read from a user's disk, and a hostile or runaway one must get a
 * refusal, not a crash or an exhausted machine, so the reader refuses what neither
 * format needs: anchors and aliases (nothing can expand, billion-laughs style, and
 * every value has exactly one place), more than one document, nesting deeper than
 * TRN_YAML_MAX_DEPTH (an explicit stack: no C recursion whatever the input), more than
 * max_nodes nodes, more than max_bytes bytes, and NUL characters inside scalars.
 *
 * The reader does not word its refusals: it hands each one, with its place, to the
 * caller's callback, because the manifest records every error in its list under a
 * field path while a scenario stops at the first one as "FILE:LINE:COLUMN: what".
 * Memory comes from the caller's allocator (the manifest's arena, which the manifest
 * then points into) or, without one, from malloc (trN_yaml_free frees that tree).
 */
#ifndef TROUPE_NODE_YAML_H
#define TROUPE_NODE_YAML_H

#include "troupe/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRN_YAML_MAX_DEPTH 64 /* mappings and sequences inside one another */

typedef enum trN_ykind { TRN_Y_SCALAR, TRN_Y_MAP, TRN_Y_SEQ } trN_ykind;

typedef struct trN_ynode trN_ynode;
struct trN_ynode {
  trN_ykind kind;
  uint32_t line, column;   /* 1-based, of the node's first character */
  /* scalar */
  const char *text;        /* NUL-terminated (with keep_nul, a NUL inside makes the text
                            * shorter than len) */
  size_t len;
  bool plain;              /* unquoted and untagged: its type comes from its text, so
                            * `5` may be a number and `~` null, while "5" and !!str 5
                            * are strings */
  /* mapping: n pairs, items[2i] the key, items[2i+1] the value; sequence: n items */
  trN_ynode **items;
  size_t n;
};

/* What the reader refused. */
typedef enum trN_yaml_problem {
  TRN_YAML_SYNTAX,    /* libyaml's parser or scanner: what, context (may be NULL) */
  TRN_YAML_ENCODING,  /* bytes that are not UTF-8 text: what, byte (-1: none) */
  TRN_YAML_DOCUMENTS, /* a second document */
  TRN_YAML_ANCHOR,    /* &name: what is the name */
  TRN_YAML_ALIAS,     /* *name: what is the name */
  TRN_YAML_DEPTH,     /* a collection deeper than TRN_YAML_MAX_DEPTH (limit) */
  TRN_YAML_NODES,     /* more nodes than max_nodes (limit) */
  TRN_YAML_NUL,       /* a NUL character in a scalar */
  TRN_YAML_SIZE,      /* the text is longer than max_bytes (size, limit); no place */
} trN_yaml_problem;

typedef struct trN_yaml_error {
  trN_yaml_problem problem;
  uint32_t line, column;                 /* 1-based; 0 for SIZE */
  const char *what;                      /* libyaml's words, or the anchor's name */
  const char *context;                   /* SYNTAX: what libyaml was reading, or NULL */
  uint32_t context_line, context_column; /* where that began */
  int byte;                              /* ENCODING: the offending byte, or -1 */
  size_t size, limit;                    /* SIZE: the text's length; the bound broken */
} trN_yaml_error;

typedef struct trN_yaml_config {
  size_t max_bytes; /* 0: no bound */
  size_t max_nodes; /* 0: no bound (the size then bounds the nodes) */
  bool keep_nul;    /* accept NULs in scalars (the caller reports them itself) */
  /* Zeroed memory that lives as long as the caller keeps it (nothing is freed one by
   * one); NULL when out of memory. Without one the tree is malloc'd: trN_yaml_free. */
  void *(*alloc)(void *ctx, size_t size);
  void *alloc_ctx;
  /* Each refusal, in the order found. Return true to go on looking for more: after an
   * anchor, an alias or a NUL the reader carries on (an alias is read as an empty
   * scalar in its place); after the others it stops anyway. NULL: stop at the first. */
  bool (*error)(void *ctx, const trN_yaml_error *e);
  void *error_ctx;
} trN_yaml_config;

/* Parse one YAML document. TROUPE_OK with *root (NULL for a stream without a document or
 * with an empty one); INVAL when something was refused (each reported to cfg->error, and
 * *root NULL); NOMEM (nothing reported). */
int trN_yaml_parse(const char *text, size_t len, const trN_yaml_config *cfg, trN_ynode **root);

/* Free a tree parsed without an allocator. n may be NULL. */
void trN_yaml_free(trN_ynode *n);

#endif
