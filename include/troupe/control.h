/*
 * troupe/control.h: control of a running node over a Unix domain socket. A node starts
 * a control server over its troupe_host; the `troupe ps / info / send / ask / invoke /
 * spawn / stop / restart / logs / top` commands (and any program) connect to it and
 * speak a line protocol: one JSON request per line, one JSON response per line
 * (docs/CONTROL.md). A log tap is the logger the node gives its host: it keeps recent
 * records for `logs`, streams new ones to `logs -f` followers and forwards every record
 * to the node's real logger.
 *
 * Where the sockets live: a directory only the user can enter (0700, owned by the user,
 * not a symlink), holding NODE.sock (mode 0600) and NODE.lock per node. By default:
 * $TROUPE_CONTROL_DIR if set, else $XDG_RUNTIME_DIR/troupe/, else /tmp/troupe-UID/.
 *
 * Threading: the server serves on threads of its own (an acceptor and one thread per
 * connection), never on the host's workers; every call here is thread-safe unless it
 * says otherwise.
 */
#ifndef TROUPE_CONTROL_H
#define TROUPE_CONTROL_H

#include "troupe/component.h"
#include "troupe/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The protocol version servers speak and clients send as "v". */
#define TROUPE_CTL_PROTOCOL 1

/* ---------------------------------------------------------------------------------
 * The log tap.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_ctl_tap troupe_ctl_tap;

/* A tap keeping the last `capacity` records (0 = 1,000) at min_level and above, and
 * handing every record to `forward` (borrowed, may be NULL; it filters by its own
 * level; the forwarded record carries the time of forwarding, microseconds later). */
TROUPE_API int troupe_ctl_tap_new(size_t capacity, troupe_log_level min_level,
                                  troupe_logger *forward, troupe_ctl_tap **out,
                                  troupe_err *err);
/* The logger to give the host (troupe_host_config.log). Owned by the tap. */
TROUPE_API troupe_logger *troupe_ctl_tap_logger(troupe_ctl_tap *tap);
/* Free after the host using its logger and any server using it. tap may be NULL. */
TROUPE_API void troupe_ctl_tap_free(troupe_ctl_tap *tap);

/* ---------------------------------------------------------------------------------
 * The server.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_ctl_server troupe_ctl_server;

typedef struct troupe_ctl_config {
  troupe_host *host;          /* required; borrowed: stop the server before freeing it */
  const char *node;           /* required: 1-64 bytes of [A-Za-z0-9_.-], not starting
                               * with '.' (the socket is NODE.sock) */
  const char *dir;            /* socket directory; NULL: troupe_ctl_default_dir. Created
                               * 0700 if missing; refused unless owned by the user, a
                               * real directory, with no group or other access */
  troupe_ctl_tap *tap;        /* serves `logs`; borrowed; NULL: `logs` is UNSUPPORTED */
  size_t max_request_bytes;   /* longest request line; default 4 MiB */
  unsigned max_clients;       /* connections served at once; default 32 (more: BUSY) */
  uint32_t io_timeout_ms;     /* a client that takes no output for this long is
                               * disconnected; default 10,000 */
  uint32_t idle_timeout_ms;   /* a connection sending no complete request for this
                               * long is closed (not `logs -f`); default 600,000 */
  bool no_module_files;       /* refuse spawn/upgrade with a module "path": a node that
                               * trusts only signed modules runs store modules only */
} troupe_ctl_config;

TROUPE_API void troupe_ctl_config_init(troupe_ctl_config *cfg);

/* Create NODE.sock and serve it. Refused with NAME_TAKEN when a live node holds the
 * name (a socket file left by a dead node is replaced); INVAL for a bad config; IO for
 * a directory or socket that cannot be made safe (the message says why). The config is
 * copied. */
TROUPE_API int troupe_ctl_server_start(const troupe_ctl_config *cfg, troupe_ctl_server **out,
                                       troupe_err *err);
/* The socket's path (owned by the server). */
TROUPE_API const char *troupe_ctl_server_path(const troupe_ctl_server *s);
/* Stop serving: close every connection (a request being carried out finishes first:
 * an ask or invoke within its timeout), remove the socket file, free. s may be NULL. */
TROUPE_API void troupe_ctl_server_stop(troupe_ctl_server *s);

/* The default socket directory (see the top of this header) into buf; RANGE when it
 * does not fit. Creates nothing. */
TROUPE_API int troupe_ctl_default_dir(char *buf, size_t cap, troupe_err *err);

/* ---------------------------------------------------------------------------------
 * The client: a connection speaking the line protocol.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_ctl_client troupe_ctl_client;

/* Connect to node `node` in dir (NULL: the default), or, with node NULL, to the only
 * live node there. NOTFOUND: no such node running / none at all; INVAL: several live
 * nodes and no name (the message lists them); IO: the socket refused us (EACCES...). */
TROUPE_API int troupe_ctl_connect(const char *dir, const char *node, troupe_ctl_client **out,
                                  troupe_err *err);
/* The node's name. Owned by the client. */
TROUPE_API const char *troupe_ctl_client_node(const troupe_ctl_client *c);
/* Send one request line (JSON text; no newline in it) and wait up to timeout_ms (0:
 * forever) for the response line: *response (malloc'd, NUL-terminated, without the
 * newline). TIMEOUT; IO when the connection failed or the node closed it. */
TROUPE_API int troupe_ctl_call(troupe_ctl_client *c, const char *request, char **response,
                               uint32_t timeout_ms, troupe_err *err);
/* The two halves of troupe_ctl_call, for streams (`logs -f`). */
TROUPE_API int troupe_ctl_send_line(troupe_ctl_client *c, const char *line, troupe_err *err);
TROUPE_API int troupe_ctl_read_line(troupe_ctl_client *c, char **line, uint32_t timeout_ms,
                                    troupe_err *err);
/* Close and free. c may be NULL. */
TROUPE_API void troupe_ctl_close(troupe_ctl_client *c);

#ifdef __cplusplus
}
#endif
#endif
