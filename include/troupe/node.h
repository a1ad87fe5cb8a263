/*
 * troupe/node.h: a node -- an application described by a manifest (troupe/manifest.h)
 * running in this process: a host (troupe/component.h) whose supervision tree is the
 * manifest's, its components spawned from their files or from the component store
 * (troupe/sqlstore.h), its log, and its control socket (troupe/control.h), through which
 * `troupe ps`, `troupe upgrade` and the other commands reach it. `troupe run app.yaml`
 * is this API with signal handling around it (src/cli/cmd_run.c).
 *
 * Start builds the tree top-down in the manifest's order -- a supervisor, then its
 * children in order, depth first, as OTP starts a tree -- and stops it in the reverse
 * order (each component's _cleanup under its timeout). A component that fails to start
 * fails the whole start: what was started is stopped again and the error names the
 * component and where the manifest declares it.
 *
 * Threading: start, stop and reload from one non-worker thread (the node's owner);
 * wait_down and the accessors from any thread. Lifetime: the manifest is borrowed and
 * must outlive the node.
 */
#ifndef TROUPE_NODE_H
#define TROUPE_NODE_H

#include "troupe/component.h"
#include "troupe/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct troupe_node troupe_node;

/* Overrides of the manifest's `node:` settings, as `troupe run` takes them. NULL / 0:
 * the manifest's (or the default). */
typedef struct troupe_node_options {
  const char *store;        /* SQLite store file (else node.store, else the user's
                             * default store when it exists or a module needs one) */
  const char *log;          /* "stderr", "-" (stderr) or a file to append JSON lines to */
  troupe_logger *logger;    /* the node's records go here instead of node.log / log
                             * (borrowed: must outlive the node), e.g. a test kit's */
  const char *control_dir;  /* the control socket's folder (else the user's default) */
  bool no_control;          /* no control socket (a node nobody may reach) */
  unsigned workers;         /* worker threads (else node.workers, else one per core) */
  const char *http;         /* the admin HTTP listener's address (troupe/admin.h),
                             * "127.0.0.1:9100"; NULL: none */
  const char *http_token;   /* its bearer token; NULL: none (loopback only) */
  double trace_sample;      /* the share of message chains whose spans are logged
                             * (troupe_host_config.trace_sample); 0: none */
} troupe_node_options;

/* Start the application of m. On failure nothing is left running; the error names the
 * failed part ("app.yaml:23:3: component 'echo': load failed: ..."): START_FAILED, IO
 * (a module file, the log file), INVAL, NAME_TAKEN (a live node of that name),
 * NOMEM, or the store's error. */
TROUPE_API int troupe_node_start(const troupe_manifest *m, const troupe_node_options *opts,
                                 troupe_node **out, troupe_err *err);

/* The node's host (for embedding: spawn more, send, ask ...), its name, its control
 * socket's path (NULL without one), its logger (never NULL). */
TROUPE_API troupe_host *troupe_node_host(troupe_node *n);
TROUPE_API const char *troupe_node_name(const troupe_node *n);
TROUPE_API const char *troupe_node_socket(const troupe_node *n);
/* The admin HTTP listener's port (0 without one): the one picked when "...:0" was given. */
TROUPE_API uint16_t troupe_node_http_port(const troupe_node *n);
TROUPE_API troupe_logger *troupe_node_logger(troupe_node *n);

/* Wait up to timeout_ns for the root supervisor to end (troupe_host_wait_down): OK with
 * *why (message owned: free it) once it has -- the application gave up -- TIMEOUT before. */
TROUPE_API int troupe_node_wait_down(troupe_node *n, uint64_t timeout_ns, troupe_exit_reason *why);

/* A module file of the manifest changed (`troupe run --watch`): read and compile it, and
 * hot-upgrade every component whose module is that file (troupe_host_upgrade). *report
 * (malloc'd, one line per component, no trailing newline) says what happened to each;
 * the result is the first failure's status, NOTFOUND when no component uses the file. */
TROUPE_API int troupe_node_reload_file(troupe_node *n, const char *path, char **report,
                                       troupe_err *err);

/* Stop: the control socket first (no new requests), then the tree in reverse start
 * order, then free everything. n may be NULL. */
TROUPE_API void troupe_node_stop(troupe_node *n);

#ifdef __cplusplus
}
#endif
#endif
