/*
 * troupe/admin.h: a node's admin HTTP listener (libmicrohttpd) -- numbers for
 * Prometheus, JSON for scripts and a live event stream, over HTTP on an address the
 * operator chooses. `troupe run --http ADDR:PORT` starts one beside the control socket
 * (troupe/control.h), which stays the shell's way in; docs/OBSERVE.md is the reference.
 *
 *   GET  /metrics                         Prometheus text format 0.0.4
 *   GET  /api/node                        the node: workers, runtime and broker counters
 *   GET  /api/tree                        the control protocol's `ps` (tree + components)
 *   GET  /api/top                         `top` (counters with a sample time, for rates)
 *   GET  /api/components/NAME             `info`
 *   POST /api/components/NAME/send        body: the payload (JSON); ?tag=N
 *   POST /api/components/NAME/ask         body: the payload; ?tag=N&timeout_ms=N
 *   POST /api/components/NAME/invoke/FN   body: the arguments (JSON); ?timeout_ms=N
 *   POST /api/components/NAME/restart     (empty body)
 *   POST /api/components/NAME/stop        (empty body)
 *   GET  /api/logs?name=N&lines=N         `logs`: the kept log records
 *   GET  /api/events                      server-sent events: each log record as it comes
 *
 * A NAME may also be the component's id. Answers are JSON: the control protocol's
 * response object ({"ok":true,...} or {"ok":false,"error":NAME,"message":TEXT}), with
 * the HTTP status saying the class (400 bad request, 401 no or wrong token, 403 denied,
 * 404 unknown path or component, 405 wrong method, 413 body too large, 503 not ready /
 * mailbox full / busy, 504 timeout, 500 otherwise). A POST must carry
 * `Content-Type: application/json` (so a browser page from elsewhere cannot make one
 * without a CORS preflight, which this server never grants).
 *
 * Who may connect. Without a token the listener binds only loopback addresses, and
 * refuses requests whose Host header is not a loopback name (a web page that rebinds
 * its DNS name to 127.0.0.1 does not get in). With a token it binds any address, and
 * every request must carry it: `Authorization: Bearer TOKEN`, or `?token=TOKEN` (for
 * EventSource and links, which cannot set headers); compared in constant time.
 *
 * Threading: start and stop from one thread; the server runs one thread per
 * connection (at most max_clients), so a slow or blocking request (an ask, a stop
 * waiting for _cleanup, an event stream) holds only its own. Lifetime: the host and the
 * tap are borrowed and must outlive the listener (stop it first).
 */
#ifndef TROUPE_ADMIN_H
#define TROUPE_ADMIN_H

#include "troupe/component.h"
#include "troupe/control.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct troupe_admin troupe_admin;

typedef struct troupe_admin_config {
  troupe_host *host;     /* required; borrowed */
  const char *node;      /* the node's name, shown in answers and metrics; required */
  troupe_ctl_tap *tap;   /* log records for /api/logs and /api/events; NULL: those
                          * answer 501 */
  const char *addr;      /* "127.0.0.1:8080", "[::1]:8080", "localhost:8080",
                          * "0.0.0.0:9100"; port 0 picks a free one (troupe_admin_port) */
  const char *token;     /* bearer token (8-256 letters, digits or -._~+/=);
                          * NULL: none, and then addr must be loopback */
  unsigned max_clients;  /* connections at once; 0 = 64 */
  bool no_module_files;  /* as troupe_ctl_config's (no spawn/upgrade by path) */
} troupe_admin_config;

/* Bind and serve. INVAL (a malformed address or token, a non-loopback address without
 * a token), IO (the address is taken or cannot be bound), NOMEM. */
TROUPE_API int troupe_admin_start(const troupe_admin_config *cfg, troupe_admin **out,
                                  troupe_err *err);
/* The port it listens on. */
TROUPE_API uint16_t troupe_admin_port(const troupe_admin *a);
/* Close the listener and every connection (event streams end), wait for their threads,
 * free. a may be NULL. */
TROUPE_API void troupe_admin_stop(troupe_admin *a);

/* The node's metrics in the Prometheus text format (what GET /metrics answers), into a
 * malloc'd NUL-terminated string. NOMEM. */
TROUPE_API int troupe_admin_metrics_text(troupe_host *h, const char *node, char **out,
                                         size_t *len, troupe_err *err);

#ifdef __cplusplus
}
#endif
#endif
