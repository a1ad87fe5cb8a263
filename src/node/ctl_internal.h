/*
 * node/ctl_internal.h: the control server's parts (prefix trN_ctl / trN_tap / trN_buf):
 * ctl_paths.c (the socket directory, the socket and its lock), ctl_tap.c (the log tap's
 * ring), ctl_server.c (accepting, one thread per connection, line I/O), ctl_ops.c (a
 * request line -> a response line), ctl_spawn.c (the spawn and upgrade ops), ctl_tree.c
 * (the supervision tree), ctl_info.c (component snapshots and payloads as JSON),
 * ctl_util.c (buffers, JSON text), ctl_client.c (the client side). docs/CONTROL.md is
 * the protocol.
 */
#ifndef TROUPE_NODE_CTL_INTERNAL_H
#define TROUPE_NODE_CTL_INTERNAL_H

#include "troupe/control.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

/* ---- a growable byte buffer (ctl_util.c) -------------------------------------------- */
typedef struct trN_buf {
  char *p;
  size_t len, cap;
} trN_buf;
int trN_buf_put(trN_buf *b, const void *data, size_t n); /* 0 or TROUPE_E_NOMEM */
/* Whether fd becomes readable within about TRN_SPIN_NS, polled without sleeping. Both
 * ends of a control connection look this long before they sleep in poll: the other side
 * usually answers or asks again within it, and a thread that slept must be woken, which
 * on a VM whose idle vCPUs halt costs ~60-100 us (control_rtt_us 25 -> 117 once the
 * host's asks stopped waking a worker, whose idle spin had kept a vCPU awake). */
#define TRN_SPIN_NS 50000u
bool trN_spin_readable(int fd);
int trN_buf_puts(trN_buf *b, const char *s);
void trN_buf_consume(trN_buf *b, size_t n); /* drop n bytes from the front */
void trN_buf_free(trN_buf *b);
/* A JSON string of arbitrary bytes: control characters become spaces and bytes that
 * are not UTF-8 become '?', so a guest's message can always be reported. */
json_t *trN_json_text(const char *s);
/* Append json as one compact line with its newline; 0 or NOMEM. Steals j. */
int trN_buf_put_json(trN_buf *b, json_t *j);

/* ---- paths (ctl_paths.c) ------------------------------------------------------------ */
bool trN_ctl_node_name_ok(const char *node);
/* Make dir if missing (0700) and check it is safe: a directory (not a symlink), owned
 * by us, no group/other permission bits. */
int trN_ctl_dir_prepare(const char *dir, troupe_err *err);
/* dir/node + ext ("sock", "lock") into out[cap]; RANGE if too long. */
int trN_ctl_path(const char *dir, const char *node, const char *ext, char *out, size_t cap,
                 troupe_err *err);
/* Take NODE.lock (flock, held for the server's life): NAME_TAKEN when another holds it. */
int trN_ctl_lock(const char *lock_path, int *fd, troupe_err *err);
void trN_ctl_unlock(const char *lock_path, int fd);
/* Bind and listen on path with mode 0600 (a stale file there is removed first). */
int trN_ctl_listen(const char *path, int *fd, troupe_err *err);

/* ---- the log tap (ctl_tap.c) -------------------------------------------------------- */
/* Followers register the write end of a pipe: a byte is written (non-blocking) after
 * each new record, so their poll() wakes. */
void trN_tap_watch(troupe_ctl_tap *t, int fd);
void trN_tap_unwatch(troupe_ctl_tap *t, int fd);
/* The cursor from which the last `backlog` records are read (SIZE_MAX: all kept). */
uint64_t trN_tap_cursor(troupe_ctl_tap *t, size_t backlog);
/* Append to out the records after *cursor whose "name" is `name` (NULL: all), as
 * lines (stream) or comma-separated (for a JSON array), until out holds max bytes;
 * advances *cursor. Records lost to the ring since *cursor are reported as one
 * control.logs_dropped record. Returns 0 or NOMEM. */
int trN_tap_read(troupe_ctl_tap *t, uint64_t *cursor, const char *name, trN_buf *out,
                 size_t max, bool stream);

/* ---- the server (ctl_server.c, ctl_ops.c) ------------------------------------------- */
struct troupe_ctl_server {
  troupe_host *host;
  troupe_ctl_tap *tap;
  char node[65];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  char lock_path[PATH_MAX];
  size_t max_request;
  unsigned max_clients;
  uint32_t io_timeout_ms, idle_timeout_ms;
  bool no_module_files;
  uint64_t started_ns; /* monotonic */
  int listen_fd, lock_fd;
  int stop_pipe[2]; /* a byte in it: every thread of the server ends */
  pthread_t acceptor;
  pthread_mutex_t lock; /* guards conns, nconns */
  struct trN_conn *conns;
  unsigned nconns;
};

/* What a `logs` request asked for, when it asks for a stream. */
typedef struct trN_follow {
  bool follow;
  char *name;      /* malloc'd filter, or NULL */
  uint64_t cursor; /* the first record to send */
} trN_follow;

/* Carry out one request line; append the response line to out. A `logs -f` request
 * answers its header line and fills *follow. Never fails: errors are responses
 * (except NOMEM appending, returned). */
int trN_ctl_handle(troupe_ctl_server *s, const char *line, size_t len, trN_buf *out,
                   trN_follow *follow);
/* The spawn op (ctl_spawn.c): a spec from the request, then troupe_host_spawn. A bad
 * request sets *ename to "BAD_REQUEST". */
int trN_ctl_spawn(troupe_ctl_server *s, json_t *in, troupe_component_id *id,
                  const char **ename, troupe_err *err);
/* The upgrade op: {"module": REF} or {"path": FILE}, optional "timeout_ms", for the
 * component id (troupe_host_upgrade). ename as for spawn. */
int trN_ctl_upgrade(troupe_ctl_server *s, json_t *in, troupe_component_id id,
                    const char **ename, troupe_err *err);
/* The supervision tree: {"id":0,"name":...,"strategy":...,"members":[...]} with groups
 * nested in their parents' members and components as {"component": id} (ctl_tree.c). */
json_t *trN_ctl_tree_json(troupe_host *h);
/* {"ok":false,"error":NAME,"message":TEXT} as a line into out. */
int trN_ctl_error(trN_buf *out, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- component snapshots and payloads as JSON (ctl_info.c) -------------------------- */
json_t *trN_ctl_info_json(const troupe_component_info *info, bool full);
/* A JSON value as a payload: JSON text (codec json) or CBOR, prefixed, malloc'd. NULL
 * value: empty payload. */
int trN_ctl_payload(const json_t *value, bool cbor, uint8_t **out, size_t *len,
                    troupe_err *err);
/* A prefixed payload into obj under key (JSON as JSON, CBOR transcoded; otherwise
 * KEY_hex and "codec"). Empty: nothing set. */
void trN_ctl_put_payload(json_t *obj, const char *key, const uint8_t *data, size_t len);
/* The protocol's error name for a troupe status ("NOTFOUND"). */
const char *trN_ctl_err_name(int code);

#endif
