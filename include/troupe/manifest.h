/*
 * troupe/manifest.h: an application manifest -- a YAML file describing a node's
 * settings, its components, the supervisors they run under (a tree with one root) and
 * the subscriptions made for them at start -- loaded and checked completely before
 * anything starts. docs/MANIFEST.md is the reference of the format.
 *
 * Loading returns a plain, read-only description the node walks to build its
 * supervision tree: each component carries a ready troupe_component_spec and each
 * supervisor a ready troupe_sup_config, whose pointers point into the manifest's own
 * storage. Every item keeps where it was written (file, line, column) so run-time
 * messages can point back at the manifest.
 *
 * A manifest that is wrong yields ALL its errors at once, each naming the file, line,
 * column and the field's path ("app.yaml:12:7: components.echo.limits.max_memory_pages:
 * expected an integer, got 'abc'"), in file order.
 *
 * Threading: a loaded manifest is immutable; any number of threads may read it.
 * Ownership: troupe_manifest_free frees it and everything it points to; the error list
 * is the caller's (troupe_manifest_errors_clear).
 */
#ifndef TROUPE_MANIFEST_H
#define TROUPE_MANIFEST_H

#include "troupe/component.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where something was written: 1-based line and column of its first character. */
typedef struct troupe_manifest_pos {
  const char *file; /* the manifest's path as given to load */
  uint32_t line, column;
} troupe_manifest_pos;

/* ---------------------------------------------------------------------------------
 * The description.
 * ------------------------------------------------------------------------------- */

/* `node:` -- settings of the node that runs the application. Absent fields: NULL / 0. */
typedef struct troupe_manifest_node {
  const char *name;              /* the node's name (control socket, logs); when not
                                  * given, the manifest file's name without its
                                  * extension if that is a valid name, else NULL */
  unsigned workers;              /* worker threads; 0 = one per core */
  const char *store;             /* SQLite store path, resolved against the manifest's
                                  * folder; NULL = the user's default store */
  const char *const *trusted_keys; /* ed25519 public keys, as `troupe key gen` prints */
  size_t ntrusted_keys;
  const char *log;               /* "stderr" (default when NULL) or a file path, resolved */
  troupe_log_level log_level;    /* default info */
  const char *modules_dir;       /* folder that module paths are relative to, resolved
                                  * against the manifest's folder; default: the manifest's
                                  * folder itself (or the override in the options) */
  troupe_manifest_pos pos;       /* of the `node:` key (1:1 when absent) */
} troupe_manifest_node;

/* `components:` -- one entry per component, in file order. */
typedef struct troupe_manifest_component {
  /* Ready for troupe_host_spawn: name, module (the store reference, or NULL when the
   * module is a file: then module_path is set and the node supplies the bytes), limits
   * (zero fields = the host's defaults), caps (accept_from NULL when not given), argv,
   * env ("NAME=value"), restart, shutdown_ms, health_interval_ms, health_threshold. */
  troupe_component_spec spec;
  const char *module_path;       /* the file, resolved against modules_dir; else NULL */
  bool significant;              /* its ending may stop its supervisor (auto_shutdown) */
  size_t supervisor;             /* index in supervisors[] of the one it runs under */
  troupe_manifest_pos pos;       /* of its name (the key under `components:`) */
} troupe_manifest_component;

typedef enum troupe_manifest_child_kind {
  TROUPE_MANIFEST_COMPONENT = 0,
  TROUPE_MANIFEST_SUPERVISOR = 1,
} troupe_manifest_child_kind;

/* A child of a supervisor: an index into components[] or supervisors[]. */
typedef struct troupe_manifest_child {
  troupe_manifest_child_kind kind;
  size_t index;
  troupe_manifest_pos pos;       /* of its name in the `children:` list */
} troupe_manifest_child;

#define TROUPE_MANIFEST_NO_PARENT SIZE_MAX

/* `supervisors:` -- one entry per supervisor, in file order. */
typedef struct troupe_manifest_supervisor {
  const char *name;
  troupe_sup_config config;      /* strategy, intensity, period_ms, auto_shutdown,
                                  * restart_delay_ms, restart_delay_max_ms; name = the
                                  * supervisor's name; metadata NULL. Unset fields have
                                  * troupe_sup_config_init's defaults */
  const troupe_manifest_child *children; /* start order */
  size_t nchildren;
  size_t parent;                 /* index in supervisors[]; NO_PARENT for the root */
  troupe_restart_type restart;   /* as a child of its parent; default permanent */
  troupe_manifest_pos pos;       /* of its name */
} troupe_manifest_supervisor;

/* `subscriptions:` -- made by the node for a component when it starts (and kept
 * across its restarts), in file order. */
typedef struct troupe_manifest_subscription {
  size_t component;              /* index in components[] */
  const char *subject;           /* a valid subscription pattern */
  troupe_manifest_pos pos;       /* of the list item */
} troupe_manifest_subscription;

typedef struct troupe_manifest {
  const char *path;              /* as given to load */
  const char *dir;               /* the folder relative paths are resolved against */
  troupe_manifest_node node;
  const troupe_manifest_component *components;
  size_t ncomponents;
  const troupe_manifest_supervisor *supervisors;
  size_t nsupervisors;
  size_t root;                   /* index of the root supervisor */
  const troupe_manifest_subscription *subscriptions;
  size_t nsubscriptions;
  struct troupe_manifest_storage *storage_; /* private */
} troupe_manifest;

/* ---------------------------------------------------------------------------------
 * Errors. One entry per problem found, in file order (then in the order of the
 * checks that run after parsing: references, the tree, files). The list holds at most
 * TROUPE_MANIFEST_MAX_ERRORS entries; `more` counts those left out.
 * ------------------------------------------------------------------------------- */
#define TROUPE_MANIFEST_MAX_ERRORS 200

typedef struct troupe_manifest_error {
  char *file;                    /* as given to load */
  uint32_t line, column;         /* 1-based; 0 when the problem has no place (I/O) */
  char *field;                   /* "components.echo.limits.max_memory_pages"; "" when
                                  * the problem is the file's (syntax, I/O) */
  char *message;                 /* "expected an integer, got 'abc'" */
} troupe_manifest_error;

typedef struct troupe_manifest_errors {
  troupe_manifest_error *v;
  size_t n;
  size_t more;                   /* errors found beyond the list's capacity */
} troupe_manifest_errors;

/* Free the entries and zero the list. errs may be NULL. */
TROUPE_API void troupe_manifest_errors_clear(troupe_manifest_errors *errs);
/* "file:line:column: field: message" (parts that are empty are left out) into buf,
 * truncated to cap; returns the length the whole line needs, as snprintf. */
TROUPE_API int troupe_manifest_error_format(const troupe_manifest_error *e, char *buf,
                                            size_t cap);

/* ---------------------------------------------------------------------------------
 * Loading.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_manifest_options {
  /* Replaces node.modules_dir (e.g. a build folder a test passes); resolved against
   * the current directory. NULL: the manifest's own setting. */
  const char *modules_dir;
  /* Do not check that module files exist (a manifest checked on another machine). */
  bool skip_files;
} troupe_manifest_options;

/* Read, parse and check the manifest at `path`. On TROUPE_OK *out is the manifest
 * (free with troupe_manifest_free) and errs (may be NULL) is empty. Otherwise *out is
 * NULL and errs holds every problem found: TROUPE_E_INVAL (the manifest is wrong),
 * TROUPE_E_IO (it could not be read), TROUPE_E_NOMEM. errs is cleared first. */
TROUPE_API int troupe_manifest_load(const char *path, troupe_manifest **out,
                                    troupe_manifest_errors *errs);
TROUPE_API int troupe_manifest_load_ex(const char *path, const troupe_manifest_options *opts,
                                       troupe_manifest **out, troupe_manifest_errors *errs);
/* The same from text in memory; `path` names it in errors and its folder is the one
 * relative paths are resolved against. */
TROUPE_API int troupe_manifest_parse(const char *text, size_t len, const char *path,
                                     const troupe_manifest_options *opts,
                                     troupe_manifest **out, troupe_manifest_errors *errs);
/* m may be NULL. */
TROUPE_API void troupe_manifest_free(troupe_manifest *m);

/* Lookups by name: the index, or SIZE_MAX when there is no such item. */
TROUPE_API size_t troupe_manifest_find_component(const troupe_manifest *m, const char *name);
TROUPE_API size_t troupe_manifest_find_supervisor(const troupe_manifest *m, const char *name);

#ifdef __cplusplus
}
#endif
#endif
