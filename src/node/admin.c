/*
 * node/admin.c: the admin HTTP listener (troupe/admin.h has the routes and the rules).
 * libmicrohttpd runs it, one thread per connection, on a socket bound here (so a taken
 * port is reported precisely). Requests are checked (method, token or loopback Host,
 * body size), then mapped onto the control protocol: the same op handler as the Unix
 * socket (ctl_ops.c, trN_ctl_handle) carries them out, so both ways in answer alike;
 * /metrics is admin_prom.c, /api/events is admin_sse.c.
 */
#include "node/admin_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "node/admin_assets.h"
#include "troupe/base.h"

#define BODY_MAX (1u << 20)         /* a POST body: a message payload, invoke arguments */
#define HTTP_TIMEOUT_MAX_MS 60000u /* asks and invocations: the node's stop waits for them */

/* ---- the address ------------------------------------------------------------------- */
/* "HOST:PORT" with HOST an IPv4 literal, [IPv6 literal] or localhost. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sl,
                      bool *loopback, troupe_err *err) {
  const char *colon = strrchr(addr, ':');
  if (!colon || colon == addr || !colon[1])
    return troupe_err_set(err, TROUPE_E_INVAL, "http address '%s': want HOST:PORT", addr);
  char *end;
  errno = 0;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (*end || errno || port > 65535 || colon[1] == '-' || colon[1] == '+')
    return troupe_err_set(err, TROUPE_E_INVAL, "http address '%s': bad port", addr);
  char host[128];
  size_t hl = (size_t)(colon - addr);
  if (hl >= sizeof host)
    return troupe_err_set(err, TROUPE_E_INVAL, "http address '%s': host too long", addr);
  memcpy(host, addr, hl);
  host[hl] = '\0';
  memset(ss, 0, sizeof *ss);
  if (host[0] == '[') {
    if (hl < 3 || host[hl - 1] != ']')
      return troupe_err_set(err, TROUPE_E_INVAL, "http address '%s': bad [IPv6]", addr);
    host[hl - 1] = '\0';
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
      return troupe_err_set(err, TROUPE_E_INVAL, "http address '%s': bad IPv6 address", addr);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    *sl = sizeof *s6;
    *loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
    return TROUPE_OK;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  if (strcmp(host, "localhost") == 0)
    snprintf(host, sizeof host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "http address '%s': the host must be an IP address or localhost", addr);
  s4->sin_family = AF_INET;
  s4->sin_port = htons((uint16_t)port);
  *sl = sizeof *s4;
  *loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
  return TROUPE_OK;
}

static int listen_on(const char *addr, bool *loopback, int *fd_out, uint16_t *port,
                     troupe_err *err) {
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  int rc = parse_addr(addr, &ss, &sl, loopback, err);
  if (rc)
    return rc;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return troupe_err_set(err, TROUPE_E_IO, "http %s: socket: %s", addr, strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 64)) {
    int e = errno;
    close(fd);
    return troupe_err_set(err, TROUPE_E_IO, "http %s: cannot listen: %s", addr, strerror(e));
  }
  struct sockaddr_storage got;
  socklen_t gl = sizeof got;
  getsockname(fd, (struct sockaddr *)&got, &gl);
  *port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                          : ((struct sockaddr_in *)&got)->sin_port);
  *fd_out = fd;
  return TROUPE_OK;
}

/* ---- answers ------------------------------------------------------------------------ */
enum MHD_Result trN_admin_answer(struct MHD_Connection *conn, unsigned status, const char *type,
                                 const char *body, size_t len) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", type);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  if (status == 401)
    MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"troupe\"");
  enum MHD_Result ok = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return ok;
}

enum MHD_Result trN_admin_error(struct MHD_Connection *conn, unsigned status, const char *name,
                                const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *o = json_pack("{s:b, s:s, s:o}", "ok", 0, "error", name, "message", trN_json_text(msg));
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  enum MHD_Result r = s ? trN_admin_answer(conn, status, "application/json", s, strlen(s))
                        : trN_admin_answer(conn, 500, "application/json", "{\"ok\":false}", 12);
  free(s);
  return r;
}

/* The control protocol's error names as HTTP statuses. */
static unsigned status_of(const char *name) {
  static const struct {
    const char *name;
    unsigned status;
  } map[] = {{"BAD_REQUEST", 400}, {"INVAL", 400},        {"MALFORMED_PAYLOAD", 400},
             {"RANGE", 400},       {"DENIED", 403},       {"NOTFOUND", 404},
             {"UNKNOWN_OP", 404},  {"NAME_TAKEN", 409},   {"EXISTS", 409},
             {"TOO_LARGE", 413},   {"UNSUPPORTED", 501},  {"NOT_READY", 503},
             {"NOT_RUNNING", 503}, {"MAILBOX_FULL", 503}, {"BUSY", 503},
             {"STOPPED", 503},     {"TIMEOUT", 504}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i].name, name) == 0)
      return map[i].status;
  return 500;
}

/* Carry out a control request (stolen) and answer with its response. */
static enum MHD_Result run_op(troupe_admin *a, struct MHD_Connection *conn, json_t *req) {
  char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
  json_decref(req);
  if (!line)
    return trN_admin_error(conn, 500, "NOMEM", "out of memory");
  trN_buf out = {0};
  trN_follow follow = {0};
  int rc = trN_ctl_handle(&a->ops, line, strlen(line), &out, &follow);
  free(line);
  free(follow.name);
  if (rc || !out.len) {
    trN_buf_free(&out);
    return trN_admin_error(conn, 500, "NOMEM", "out of memory");
  }
  unsigned status = 200;
  json_t *resp = json_loadb(out.p, out.len, 0, NULL);
  if (!json_is_true(json_object_get(resp, "ok"))) {
    const char *e = json_string_value(json_object_get(resp, "error"));
    status = status_of(e ? e : "");
  }
  json_decref(resp);
  enum MHD_Result r = trN_admin_answer(conn, status, "application/json", out.p, out.len - 1); /* \n */
  trN_buf_free(&out);
  return r;
}

/* ---- who may ask -------------------------------------------------------------------- */
static bool token_ok(troupe_admin *a, struct MHD_Connection *conn) {
  const char *given = NULL;
  const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
  if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
    given = auth + 7;
  else
    given = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
  if (!given || strlen(given) != a->token_len)
    return false;
  return sodium_memcmp(given, a->token, a->token_len) == 0; /* constant time */
}

/* Without a token: the Host header must name loopback (a DNS-rebinding page's does not). */
static bool host_ok(struct MHD_Connection *conn) {
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
  if (!h)
    return true; /* HTTP/1.0 without Host: no browser sends that */
  static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    size_t n = strlen(names[i]);
    if (strncasecmp(h, names[i], n) == 0 && (h[n] == '\0' || h[n] == ':'))
      return true;
  }
  return false;
}

/* ---- routes ------------------------------------------------------------------------- */
typedef struct reqctx {
  trN_buf body;
  bool too_large, nomem;
} reqctx;

static bool get_uint_arg(struct MHD_Connection *conn, const char *key, uint64_t max,
                         uint64_t *v, bool *bad) {
  const char *s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
  if (!s)
    return false;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(s, &end, 10);
  if (!*s || *end || errno || x > max || s[0] == '-')
    *bad = true;
  else
    *v = x;
  return !*bad;
}

/* {"op":OP, "name"|"id": who} for a component named in the path. */
static json_t *comp_req(const char *op, const char *who, size_t n) {
  char buf[256];
  if (!n || n >= sizeof buf)
    return NULL;
  memcpy(buf, who, n);
  buf[n] = '\0';
  bool digits = true;
  for (size_t i = 0; i < n; i++)
    digits = digits && buf[i] >= '0' && buf[i] <= '9';
  json_t *r = json_pack("{s:s}", "op", op);
  if (digits && n < 20)
    json_object_set_new(r, "id", json_integer((json_int_t)strtoull(buf, NULL, 10)));
  else
    json_object_set_new(r, "name", json_string(buf));
  return r;
}

static enum MHD_Result component_route(troupe_admin *a, struct MHD_Connection *conn,
                                       const char *rest, bool post, reqctx *x) {
  const char *slash = strchr(rest, '/');
  size_t nl = slash ? (size_t)(slash - rest) : strlen(rest);
  const char *action = slash ? slash + 1 : "";
  if (!*action) {
    if (post)
      return trN_admin_error(conn, 405, "METHOD", "GET a component's info; POST to its actions");
    json_t *r = comp_req("info", rest, nl);
    return r ? run_op(a, conn, r) : trN_admin_error(conn, 404, "NOTFOUND", "no such path");
  }
  if (!post)
    return trN_admin_error(conn, 405, "METHOD", "component actions take POST");
  const char *op = NULL, *fn = NULL;
  if (!strcmp(action, "send") || !strcmp(action, "ask") || !strcmp(action, "restart") ||
      !strcmp(action, "stop"))
    op = action;
  else if (!strncmp(action, "invoke/", 7) && action[7] && !strchr(action + 7, '/')) {
    op = "invoke";
    fn = action + 7;
  }
  if (!op)
    return trN_admin_error(conn, 404, "NOTFOUND", "no action '%s' (send, ask, invoke/FN, "
                                                  "restart, stop)", action);
  json_t *r = comp_req(op, rest, nl);
  if (!r)
    return trN_admin_error(conn, 404, "NOTFOUND", "no such path");
  bool bad = false;
  uint64_t v;
  if (fn)
    json_object_set_new(r, "fn", json_string(fn));
  if (get_uint_arg(conn, "tag", UINT32_MAX, &v, &bad))
    json_object_set_new(r, "tag", json_integer((json_int_t)v));
  if (get_uint_arg(conn, "timeout_ms", HTTP_TIMEOUT_MAX_MS, &v, &bad))
    json_object_set_new(r, "timeout_ms", json_integer((json_int_t)v));
  if (bad) {
    json_decref(r);
    return trN_admin_error(conn, 400, "BAD_REQUEST", "tag and timeout_ms are integers "
                                                     "(timeout_ms at most %u)", HTTP_TIMEOUT_MAX_MS);
  }
  bool takes_body = fn || !strcmp(op, "send") || !strcmp(op, "ask");
  if (x->body.len) {
    if (!takes_body) {
      json_decref(r);
      return trN_admin_error(conn, 400, "BAD_REQUEST", "%s takes no body", op);
    }
    json_error_t je;
    json_t *v2 = json_loadb(x->body.p, x->body.len, JSON_DECODE_ANY, &je);
    if (!v2) {
      json_decref(r);
      return trN_admin_error(conn, 400, "BAD_REQUEST", "body: not JSON: %s", je.text);
    }
    json_object_set_new(r, fn ? "args" : "payload", v2);
  }
  return run_op(a, conn, r);
}

/* index.html for a node with a token: its script and style sheet named with the token
 * (they are fetched by the browser, which cannot add a header; a cookie would go to
 * every other service on the same host, whatever its port). malloc'd, or NULL. */
static char *page_with_token(const trN_asset *f, const char *token, size_t *len) {
  static const char *const refs[] = {"\"observer.js\"", "\"observer.css\""};
  trN_buf b = {0};
  const char *p = (const char *)f->data, *end = p + f->len;
  bool oom = false;
  while (p < end && !oom) {
    const char *hit = NULL;
    size_t k = 0;
    for (size_t i = 0; i < 2; i++) {
      const char *h = strstr(p, refs[i]); /* the data ends with a NUL (EmbedFiles) */
      if (h && (!hit || h < hit)) {
        hit = h;
        k = i;
      }
    }
    if (!hit) {
      oom = trN_buf_put(&b, p, (size_t)(end - p)) != 0;
      break;
    }
    size_t rl = strlen(refs[k]);
    oom = trN_buf_put(&b, p, (size_t)(hit - p) + rl - 1) || trN_buf_puts(&b, "?token=") ||
          trN_buf_puts(&b, token) || trN_buf_puts(&b, "\"");
    p = hit + rl;
  }
  if (oom) {
    trN_buf_free(&b);
    return NULL;
  }
  *len = b.len;
  return b.p;
}

/* The observer page's files (admin_assets.h). */
static enum MHD_Result page(troupe_admin *a, struct MHD_Connection *conn, const char *url) {
  const char *want = strcmp(url, "/") ? url : "/index.html";
  for (size_t i = 0; i < trN_observer_assets_count; i++) {
    const trN_asset *f = &trN_observer_assets[i];
    if (strcmp(f->path, want))
      continue;
    struct MHD_Response *r;
    if (a->token && !strcmp(f->path, "/index.html")) { /* token_ok has checked it */
      size_t len;
      char *text = page_with_token(f, a->token, &len);
      if (!text)
        return trN_admin_error(conn, 500, "NOMEM", "out of memory");
      r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
      if (!r)
        free(text);
    } else
      r = MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    if (!r)
      return MHD_NO;
    MHD_add_response_header(r, "Content-Type", f->type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    enum MHD_Result ok = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ok;
  }
  return trN_admin_error(conn, 404, "NOTFOUND", "no route %s", url);
}

static enum MHD_Result route(troupe_admin *a, struct MHD_Connection *conn, const char *url,
                             bool post, reqctx *x) {
  if (!strcmp(url, "/metrics")) {
    if (post)
      return trN_admin_error(conn, 405, "METHOD", "GET /metrics");
    /* The scrape walks every component: a Prometheus server asks every few seconds. */
    char *text;
    size_t len;
    troupe_err e;
    if (troupe_admin_metrics_text(a->ops.host, a->ops.node, &text, &len, &e))
      return trN_admin_error(conn, 500, "NOMEM", "%s", e.msg);
    enum MHD_Result r = trN_admin_answer(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    return r;
  }
  if (!strncmp(url, "/api/components/", 16) && url[16])
    return component_route(a, conn, url + 16, post, x);
  static const char *const get_only[] = {"/api/node", "/api/tree", "/api/top", "/api/logs",
                                         "/api/events"};
  for (size_t i = 0; post && i < sizeof get_only / sizeof get_only[0]; i++)
    if (!strcmp(url, get_only[i]))
      return trN_admin_error(conn, 405, "METHOD", "GET %s", url);
  if (post)
    return trN_admin_error(conn, 404, "NOTFOUND", "no route POST %s", url);
  if (!strcmp(url, "/api/node"))
    return trN_admin_node(a, conn);
  if (!strcmp(url, "/api/tree"))
    return run_op(a, conn, json_pack("{s:s}", "op", "ps"));
  if (!strcmp(url, "/api/top"))
    return run_op(a, conn, json_pack("{s:s}", "op", "top"));
  if (!strcmp(url, "/api/logs")) {
    json_t *r = json_pack("{s:s}", "op", "logs");
    const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
    bool bad = false;
    uint64_t v;
    if (name)
      json_object_set_new(r, "name", json_string(name));
    if (get_uint_arg(conn, "lines", 1000000, &v, &bad))
      json_object_set_new(r, "lines", json_integer((json_int_t)v));
    if (bad) {
      json_decref(r);
      return trN_admin_error(conn, 400, "BAD_REQUEST", "lines is an integer");
    }
    return run_op(a, conn, r);
  }
  if (!strcmp(url, "/api/events"))
    return trN_admin_events(a, conn);
  return page(a, conn, url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_len, void **con_cls) {
  (void)version;
  troupe_admin *a = cls;
  reqctx *x = *con_cls;
  bool post = !strcmp(method, "POST"), get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
  if (!x) {
    /* The headers are in: who may ask, and what, is decided before any body is read
     * (a refused client does not get to send its megabyte first). */
    if (!(x = calloc(1, sizeof *x)))
      return MHD_NO;
    *con_cls = x;
    if (a->token ? !token_ok(a, conn) : !host_ok(conn)) {
      if (!a->token)
        return trN_admin_error(conn, 403, "DENIED", "the Host header must name loopback");
      return trN_admin_error(conn, 401, "UNAUTHORIZED", "a bearer token is required");
    }
    if (!post && !get)
      return trN_admin_error(conn, 405, "METHOD", "method %s: GET or POST", method);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > BODY_MAX)
      return trN_admin_error(conn, 413, "TOO_LARGE", "a body is at most %u bytes", BODY_MAX);
    if (post) {
      const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
      if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return trN_admin_error(conn, 415, "BAD_REQUEST", "a POST needs Content-Type: "
                                                         "application/json");
    }
    return MHD_YES;
  }
  if (*upload_len) {
    if (x->body.len + *upload_len > BODY_MAX)
      x->too_large = true; /* chunked: no Content-Length to refuse it by */
    else if (!x->too_large && !x->nomem)
      x->nomem = trN_buf_put(&x->body, upload, *upload_len) != 0;
    *upload_len = 0;
    return MHD_YES;
  }
  if (x->too_large)
    return trN_admin_error(conn, 413, "TOO_LARGE", "a body is at most %u bytes", BODY_MAX);
  if (x->nomem)
    return trN_admin_error(conn, 500, "NOMEM", "out of memory for the body");
  return route(a, conn, url, post, x);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode why) {
  (void)cls;
  (void)conn;
  (void)why;
  reqctx *x = *con_cls;
  if (x) {
    trN_buf_free(&x->body);
    free(x);
    *con_cls = NULL;
  }
}

/* ---- start / stop ------------------------------------------------------------------- */
/* Letters, digits and -._~+/= (base64 and hex tokens fit): nothing that needs quoting
 * in a header or in the page's URLs. */
static bool token_valid(const char *t) {
  size_t n = strlen(t);
  if (n < 8 || n > 256)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr("-._~+/=", c)))
      return false;
  }
  return true;
}

int troupe_admin_start(const troupe_admin_config *cfg, troupe_admin **out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "admin_start: out is NULL");
  *out = NULL;
  if (!cfg || !cfg->host || !cfg->node || !cfg->addr)
    return troupe_err_set(err, TROUPE_E_INVAL, "admin_start: host, node and addr required");
  if (cfg->token && !token_valid(cfg->token))
    return troupe_err_set(err, TROUPE_E_INVAL, "http token: 8-256 letters, digits or "
                                               "-._~+/=");
  if (sodium_init() < 0)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "http: libsodium failed to initialise");
  bool loopback;
  int fd;
  uint16_t port;
  int rc = listen_on(cfg->addr, &loopback, &fd, &port, err);
  if (rc)
    return rc;
  if (!loopback && !cfg->token) {
    close(fd);
    return troupe_err_set(err, TROUPE_E_INVAL, "http %s is not a loopback address: a "
                                               "listener beyond loopback needs a token",
                          cfg->addr);
  }
  troupe_admin *a = calloc(1, sizeof *a);
  if (!a) {
    close(fd);
    return troupe_err_set(err, TROUPE_E_NOMEM, "http: out of memory");
  }
  a->port = port;
  a->ops.host = cfg->host;
  a->ops.tap = cfg->tap;
  a->ops.no_module_files = cfg->no_module_files;
  a->ops.started_ns = troupe_clock_mono_ns();
  snprintf(a->ops.node, sizeof a->ops.node, "%s", cfg->node);
  a->stop_pipe[0] = a->stop_pipe[1] = -1;
  if ((cfg->token && !(a->token = strdup(cfg->token))) || pipe2(a->stop_pipe, O_CLOEXEC)) {
    close(fd);
    troupe_admin_stop(a);
    return troupe_err_set(err, TROUPE_E_NOMEM, "http: out of memory");
  }
  a->token_len = a->token ? strlen(a->token) : 0;
  unsigned max = cfg->max_clients ? cfg->max_clients : 64;
  a->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                          NULL, NULL, on_request, a, MHD_OPTION_LISTEN_SOCKET, fd,
                          MHD_OPTION_CONNECTION_LIMIT, max,
                          MHD_OPTION_PER_IP_CONNECTION_LIMIT, (max + 1) / 2,
                          MHD_OPTION_CONNECTION_TIMEOUT,
                          (unsigned)120, MHD_OPTION_NOTIFY_COMPLETED, on_done, a,
                          MHD_OPTION_END);
  if (!a->d) {
    close(fd);
    troupe_admin_stop(a);
    return troupe_err_set(err, TROUPE_E_IO, "http %s: the server did not start", cfg->addr);
  }
  *out = a;
  return TROUPE_OK;
}

uint16_t troupe_admin_port(const troupe_admin *a) { return a ? a->port : 0; }

void troupe_admin_stop(troupe_admin *a) {
  if (!a)
    return;
  if (a->stop_pipe[1] >= 0) /* every event stream's poll wakes and ends */
    (void)!write(a->stop_pipe[1], "x", 1);
  if (a->d)
    MHD_stop_daemon(a->d); /* closes the listening socket too, although we made it */
  if (a->stop_pipe[0] >= 0)
    close(a->stop_pipe[0]);
  if (a->stop_pipe[1] >= 0)
    close(a->stop_pipe[1]);
  free(a->token);
  free(a);
}
