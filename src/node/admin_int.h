/*
 * node/admin_int.h: the admin HTTP listener's parts (prefix trN_admin): admin.c (the
 * server, who may ask, the routes), admin_sse.c (the event stream and the node's JSON),
 * admin_prom.c (the Prometheus text). The public side is troupe/admin.h.
 */
#ifndef TROUPE_NODE_ADMIN_INT_H
#define TROUPE_NODE_ADMIN_INT_H

#include "node/ctl_internal.h"
#include "troupe/admin.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>

struct troupe_admin {
  struct MHD_Daemon *d;    /* owns the listening socket admin.c bound */
  uint16_t port;
  /* The control protocol's op context: ctl_ops.c reads host, tap, node, started_ns and
   * no_module_files of it; the rest (a Unix socket server's) stays unused. */
  troupe_ctl_server ops;
  char *token;             /* NULL: none, loopback only */
  size_t token_len;
  int stop_pipe[2];        /* a byte in it: event streams end (stop) */
};

/* body (copied) as the answer, with the headers every answer of ours has. */
enum MHD_Result trN_admin_answer(struct MHD_Connection *conn, unsigned status, const char *type,
                                 const char *body, size_t len);
/* {"ok":false,"error":NAME,"message":...} with an HTTP status. */
enum MHD_Result trN_admin_error(struct MHD_Connection *conn, unsigned status, const char *name,
                                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* GET /api/node: the node, its workers, the runtime's and the broker's counters. */
enum MHD_Result trN_admin_node(troupe_admin *a, struct MHD_Connection *conn);
/* GET /api/events: server-sent events, one per log record from now on. */
enum MHD_Result trN_admin_events(troupe_admin *a, struct MHD_Connection *conn);

#endif
