/*
 * node/manifest_int.h: what the manifest's files share. Loading goes in three steps,
 * one file each:
 *   manifest_yaml.c   bytes -> a small YAML tree (the node layer's reader, yaml.c),
 *                     refusing what a manifest never needs (aliases, several
 *                     documents, deep nesting, too many nodes);
 *   manifest_parse.c  the tree -> the public description, field by field against the
 *                     schema, with the conversions of manifest_value.c (sizes,
 *                     durations, enums);
 *   manifest_check.c  what needs the whole description: references, the tree's shape,
 *                     significant children, module files.
 * manifest.c holds the public entry points, the arena everything lives in and the error
 * list. Every step records errors and carries on, so one load reports them all.
 */
#ifndef TROUPE_NODE_MANIFEST_INT_H
#define TROUPE_NODE_MANIFEST_INT_H

#include "base/base.h"
#include "node/yaml.h"
#include "troupe/manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bounds on hostile input: the file's size (the YAML reader also bounds nesting and
 * the count of nodes, manifest_yaml.c). */
#define TRN_MANIFEST_MAX_BYTES (16u << 20)

/* ---- the arena: everything a manifest points to, freed at once ------------------- */
typedef struct trN_load trN_load_fwd;
typedef struct trN_chunk trN_chunk;
typedef struct trN_arena {
  trN_chunk *head;
} trN_arena;

void *trN_arena_alloc(trN_arena *a, size_t size); /* zeroed, aligned; NULL: NOMEM */
char *trN_arena_strndup(trN_arena *a, const char *s, size_t n);
char *trN_arena_strdup(trN_arena *a, const char *s);
char *trN_arena_printf(trN_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void trN_arena_free(trN_arena *a);

/* ---- a name table: names -> indexes, for duplicates and references ---------------- */
typedef struct trN_names {
  const char **keys;   /* open addressing, borrowed strings */
  size_t *vals;
  size_t cap, n;
} trN_names;

/* Insert name -> val; when the name is there already, nothing changes and its value is
 * returned in *old (true). false with L->nomem on failure. */
bool trN_names_put(trN_load_fwd *L, trN_names *t, const char *name, size_t val, size_t *old,
                   bool *found);
/* The value of name, or SIZE_MAX. */
size_t trN_names_get(const trN_names *t, const char *name);
void trN_names_free(trN_names *t);

/* ---- the YAML tree ------------------------------------------------------------------
 * node/yaml.h: trN_ynode (kind, line, column, text, len, plain, items, n), the bound
 * TRN_YAML_MAX_DEPTH, and the reader manifest_yaml.c calls with the manifest's arena. */

/* ---- the load in progress ----------------------------------------------------------- */
/* Per component, where the fields checked later were written. */
typedef struct trN_comp_aux {
  troupe_manifest_pos module_pos;     /* of `module:` or `path:`'s value */
  troupe_manifest_pos significant_pos;
  const char *path_given;             /* `path:` as written */
} trN_comp_aux;

struct trN_load {
  troupe_manifest *m;
  trN_arena *arena;
  const troupe_manifest_options *opts;
  const char *file;                   /* the path as given (arena) */
  troupe_manifest_errors *errs;       /* never NULL here (a local one when the caller's is) */
  size_t nerrors;                     /* found, including those beyond the list */
  bool nomem;
  /* the field path being walked, "components.echo.limits" */
  char field[512];
  size_t field_len;
  /* filled by parse, read by check */
  troupe_manifest_component *comps;
  trN_comp_aux *aux;
  troupe_manifest_supervisor *sups;
  const trN_ynode **sup_children;     /* per supervisor, its `children:` node or NULL */
  troupe_manifest_subscription *subs;
  const char **sub_names;             /* per subscription, the component named */
  troupe_manifest_pos *sub_name_pos;
  trN_names comp_names, sup_names;
};
typedef struct trN_load trN_load;

/* Record an error at (line, column) for the current field path (plus `sub`, a last
 * segment, when not NULL). */
void trN_error_at(trN_load *L, uint32_t line, uint32_t column, const char *sub,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void trN_error_node(trN_load *L, const trN_ynode *n, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An error at a recorded place with an explicit field path. */
void trN_error_field(trN_load *L, troupe_manifest_pos pos, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void trN_nomem(trN_load *L);

/* Push a segment on the field path (".name", or "[i]" when index >= 0); pop back to a
 * saved length. */
size_t trN_field_push(trN_load *L, const char *name, long index);
void trN_field_pop(trN_load *L, size_t saved);

/* Step 1: parse YAML bytes into a tree in the arena. *root NULL with errors recorded
 * (syntax, aliases, depth, nodes), or NULL without errors for an empty document. */
int trN_yaml_load(trN_load *L, const char *text, size_t len, trN_ynode **root);

/* Step 2 and 3. */
void trN_manifest_parse_tree(trN_load *L, const trN_ynode *root);
void trN_manifest_check(trN_load *L);

/* ---- values (manifest_value.c) -------------------------------------------------------
 * Each converter records an error for the current field and returns false when the node
 * is not a valid value of its kind or is outside [min, max]. */
bool trN_is_null(const trN_ynode *n);
/* A short, printable quotation of a scalar for messages: 'abc', 'a very lo...'. */
const char *trN_quote(trN_load *L, const trN_ynode *n);
const char *trN_kind_name(const trN_ynode *n);
bool trN_get_string(trN_load *L, const trN_ynode *n, const char **out);
bool trN_get_bool(trN_load *L, const trN_ynode *n, bool *out);
bool trN_get_uint(trN_load *L, const trN_ynode *n, uint64_t min, uint64_t max, uint64_t *out);
/* Sizes: an integer of `unit` bytes (1 for byte fields, 65536 for pages) or a number
 * with B, KiB, MiB, GiB (also K, M, G); the result in units of `unit`. */
bool trN_get_size(trN_load *L, const trN_ynode *n, uint64_t unit, uint64_t min, uint64_t max,
                  uint64_t *out);
/* Durations: an integer of milliseconds, or a number with ms, s, m, h; milliseconds. */
bool trN_get_ms(trN_load *L, const trN_ynode *n, uint64_t min, uint64_t max, uint64_t *out);
/* One of `names` (NULL-terminated): its index. */
bool trN_get_enum(trN_load *L, const trN_ynode *n, const char *const *names, int *out);
/* The name grammar of components (and supervisors): dot-separated tokens of
 * [A-Za-z0-9_-], at most 128 bytes. NULL when valid, else why not. */
const char *trN_name_problem(const char *name, size_t len);

#endif
