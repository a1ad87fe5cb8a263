/*
 * tests/node/test_admin.c: the admin HTTP listener (troupe/admin.h, docs/OBSERVE.md)
 * over real TCP on loopback, against a node in this process running echo, counter and
 * crasher: every route and every kind of bad request as a table of cases (each answered
 * with its status and a JSON error, the node carrying on), /metrics checked by
 * Prometheus's own `promtool check metrics` and against what the test did, who may
 * connect (loopback only without a token; with one, every request needs it), the
 * server-sent event stream seeing a restart, and a stop that does not wait for a
 * stream. Waits are bounded, never timed.
 */
#include "test_control_util.h"

#include "troupe/admin.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>

typedef struct resp {
  int status;
  char *head; /* the status line and headers */
  char *body;
} resp;

static void resp_free(resp *r) {
  free(r->head);
  free(r->body);
  memset(r, 0, sizeof *r);
}

static int connect_port(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0)
      return; /* the server may answer (413) and close before taking it all */
    p += w;
    n -= (size_t)w;
  }
}

/* One request on its own connection ("Connection: close"); the whole answer. extra:
 * more header lines ("Name: value\r\n..."), or NULL. */
static resp http(uint16_t port, const char *method, const char *path, const char *extra,
                 const char *body, size_t body_len) {
  int fd = connect_port(port);
  char head[2048], host[64] = "";
  if (!extra || !strstr(extra, "Host:")) /* else the caller's own */
    snprintf(host, sizeof host, "Host: 127.0.0.1:%u\r\n", (unsigned)port);
  int n = snprintf(head, sizeof head,
                   "%s %s HTTP/1.1\r\n%sConnection: close\r\n%s"
                   "Content-Length: %zu\r\n\r\n",
                   method, path, host, extra ? extra : "", body ? body_len : 0);
  send_all(fd, head, (size_t)n);
  if (body)
    send_all(fd, body, body_len);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, CT_WAIT_MS), 1);
    if (len + 1 >= cap)
      buf = realloc(buf, cap *= 2);
    ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  close(fd);
  buf[len] = '\0';
  resp out = {0};
  char *sep = strstr(buf, "\r\n\r\n");
  assert_non_null(sep);
  *sep = '\0';
  out.head = strdup(buf);
  out.body = strdup(sep + 4);
  assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &out.status), 1);
  free(buf);
  return out;
}

static resp get(uint16_t port, const char *path) { return http(port, "GET", path, NULL, NULL, 0); }

static resp post_json(uint16_t port, const char *path, const char *body) {
  return http(port, "POST", path, "Content-Type: application/json\r\n", body,
              body ? strlen(body) : 0);
}

/* ---- the node ---------------------------------------------------------------------- */
typedef struct fixture {
  ct_node n;
  troupe_admin *admin;
  uint16_t port;
} fixture;

static int start_admin(fixture *f, const char *addr, const char *token, troupe_admin **out,
                       troupe_err *err) {
  troupe_admin_config cfg = {.host = f->n.host, .node = "testnode", .tap = f->n.tap,
                             .addr = addr, .token = token};
  return troupe_admin_start(&cfg, out, err);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  ct_node_start(&f->n);
  troupe_err err;
  int rc = start_admin(f, "127.0.0.1:0", NULL, &f->admin, &err);
  if (rc)
    fprintf(stderr, "admin: %s\n", err.msg);
  assert_int_equal(rc, 0);
  f->port = troupe_admin_port(f->admin);
  assert_true(f->port != 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  troupe_admin_stop(f->admin);
  ct_node_stop(&f->n);
  free(f);
  return 0;
}

static json_t *json_of(const resp *r) {
  json_error_t e;
  json_t *j = json_loads(r->body, 0, &e);
  if (!j)
    fprintf(stderr, "not JSON (%d): %s\n", r->status, r->body);
  assert_non_null(j);
  return j;
}

/* ---- the routes, as a table -------------------------------------------------------- */
typedef struct route_case {
  const char *method, *path, *content_type, *body;
  int status;
  const char *error;    /* the JSON error's name, or NULL for an ok answer */
  const char *contains; /* in the body, or NULL */
} route_case;

static const route_case routes[] = {
    /* what works */
    {"GET", "/api/node", NULL, NULL, 200, NULL, "\"node\":\"testnode\""},
    {"GET", "/api/tree", NULL, NULL, 200, NULL, "\"tree\""},
    {"GET", "/api/top", NULL, NULL, 200, NULL, "\"sample_ns\""},
    {"GET", "/api/components/echo", NULL, NULL, 200, NULL, "\"limits\""},
    {"GET", "/api/components/1", NULL, NULL, 200, NULL, "\"name\":\"echo\""},
    {"POST", "/api/components/echo/ask", "application/json", "{\"n\":7}", 200, NULL,
     "\"reply\":{\"n\":7}"},
    {"POST", "/api/components/echo/ask?tag=3&timeout_ms=5000", "application/json", "[1,2]", 200,
     NULL, "\"reply\":[1,2]"},
    {"POST", "/api/components/echo/send", "application/json", "\"hi\"", 200, NULL, "\"ok\":true"},
    {"POST", "/api/components/counter/invoke/get", "application/json", NULL, 200, NULL,
     "\"result\""},
    {"POST", "/api/components/counter/restart", "application/json", NULL, 200, NULL, NULL},
    {"GET", "/api/logs?lines=5", NULL, NULL, 200, NULL, "\"records\""},
    {"GET", "/metrics", NULL, NULL, 200, NULL, "troupe_workers 2"},
    {"GET", "/", NULL, NULL, 200, NULL, "<script src=\"observer.js\">"},
    {"GET", "/index.html", NULL, NULL, 200, NULL, "<title>Troupe observer</title>"},
    {"GET", "/observer.js", NULL, NULL, 200, NULL, "EventSource"},
    {"GET", "/observer.css", NULL, NULL, 200, NULL, "svg.spark"},
    /* what does not */
    {"GET", "/api/components/nobody", NULL, NULL, 404, "NOTFOUND", NULL},
    {"POST", "/api/components/nobody/ask", "application/json", "1", 404, "NOTFOUND", NULL},
    {"GET", "/api/nothing", NULL, NULL, 404, "NOTFOUND", NULL},
    {"GET", "/index.htm", NULL, NULL, 404, "NOTFOUND", NULL},
    {"GET", "/observer.jss", NULL, NULL, 404, "NOTFOUND", NULL},
    {"POST", "/api/components/echo/dance", "application/json", NULL, 404, "NOTFOUND", NULL},
    {"POST", "/api/tree", "application/json", NULL, 405, "METHOD", NULL},
    {"POST", "/metrics", "application/json", NULL, 405, "METHOD", NULL},
    {"GET", "/api/components/echo/ask", NULL, NULL, 405, "METHOD", NULL},
    {"POST", "/api/components/echo", "application/json", NULL, 405, "METHOD", NULL},
    {"PUT", "/api/node", NULL, NULL, 405, "METHOD", NULL},
    {"DELETE", "/api/components/echo", NULL, NULL, 405, "METHOD", NULL},
    {"POST", "/api/components/echo/ask", NULL, "1", 415, "BAD_REQUEST", "Content-Type"},
    {"POST", "/api/components/echo/ask", "text/plain", "1", 415, "BAD_REQUEST", NULL},
    {"POST", "/api/components/echo/ask", "application/json", "{nope", 400, "BAD_REQUEST",
     "not JSON"},
    {"POST", "/api/components/echo/ask?tag=x", "application/json", "1", 400, "BAD_REQUEST", NULL},
    {"POST", "/api/components/echo/ask?timeout_ms=99999999", "application/json", "1", 400,
     "BAD_REQUEST", NULL},
    {"POST", "/api/components/echo/restart", "application/json", "1", 400, "BAD_REQUEST",
     "no body"},
    {"POST", "/api/components/counter/invoke/nosuch", "application/json", NULL, 404, "NOTFOUND",
     NULL},
    {"GET", "/api/logs?lines=-1", NULL, NULL, 400, "BAD_REQUEST", NULL},
};

static void test_routes(void **state) {
  fixture *f = *state;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    const route_case *c = &routes[i];
    char extra[128] = "";
    if (c->content_type)
      snprintf(extra, sizeof extra, "Content-Type: %s\r\n", c->content_type);
    resp r = http(f->port, c->method, c->path, extra, c->body, c->body ? strlen(c->body) : 0);
    if (r.status != c->status || (c->contains && !strstr(r.body, c->contains)))
      fprintf(stderr, "case %zu: %s %s -> %d %s\n", i, c->method, c->path, r.status, r.body);
    assert_int_equal(r.status, c->status);
    if (c->contains)
      assert_non_null(strstr(r.body, c->contains));
    bool json = c->status != 200 || !strcmp(c->path, "/api") ||
                !strncmp(c->path, "/api/", 5);
    if (json) {
      json_t *j = json_of(&r);
      assert_true(json_is_boolean(json_object_get(j, "ok")));
      assert_true(json_is_true(json_object_get(j, "ok")) == !c->error);
      if (c->error) {
        assert_string_equal(json_string_value(json_object_get(j, "error")), c->error);
        assert_true(strlen(json_string_value(json_object_get(j, "message"))) > 0);
      }
      json_decref(j);
      assert_non_null(strstr(r.head, "Content-Type: application/json"));
    } else if (strcmp(c->path, "/metrics")) { /* the page's files: nothing from elsewhere */
      assert_non_null(strstr(r.head, "Content-Security-Policy: default-src 'self'"));
    }
    resp_free(&r);
  }
  /* After all that the node still answers. */
  resp r = post_json(f->port, "/api/components/echo/ask", "\"still here\"");
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void test_body_too_large(void **state) {
  fixture *f = *state;
  size_t n = (1u << 20) + 1;
  char *big = malloc(n);
  memset(big, ' ', n);
  resp r = http(f->port, "POST", "/api/components/echo/ask", "Content-Type: application/json\r\n",
                big, n);
  free(big);
  assert_int_equal(r.status, 413);
  resp_free(&r);
}

/* An invocation that traps: the caller gets the trap as an error (500, TRAP), the
 * component is restarted and answers again. */
static void test_invoke_that_crashes(void **state) {
  fixture *f = *state;
  resp r = post_json(f->port, "/api/components/crasher/invoke/crash", NULL);
  assert_int_equal(r.status, 500);
  json_t *j = json_of(&r);
  assert_true(json_is_false(json_object_get(j, "ok")));
  assert_string_equal(json_string_value(json_object_get(j, "error")), "TRAP");
  json_decref(j);
  resp_free(&r);
  bool back = false;
  for (int i = 0; i < 4000 && !back; i++) {
    r = post_json(f->port, "/api/components/crasher/ask", "\"ping\"");
    back = r.status == 200 && strstr(r.body, "pong");
    resp_free(&r);
    if (!back)
      ct_sleep_ms(5);
  }
  assert_true(back);
}

/* ---- metrics -------------------------------------------------------------------------- */
static double sample(const char *text, const char *series) {
  const char *p = text;
  size_t n = strlen(series);
  while ((p = strstr(p, series))) {
    if ((p == text || p[-1] == '\n') && p[n] == ' ')
      return strtod(p + n + 1, NULL);
    p += n;
  }
  return -1;
}

static void test_metrics_promtool_and_counts(void **state) {
  fixture *f = *state;
  for (int i = 0; i < 7; i++) {
    resp r = post_json(f->port, "/api/components/echo/ask", "{\"i\":1}");
    assert_int_equal(r.status, 200);
    resp_free(&r);
  }
  resp r;
  /* the handler's count lands just after its reply went out */
  for (int tries = 0;; tries++) {
    r = get(f->port, "/metrics");
    assert_int_equal(r.status, 200);
    if (sample(r.body, "troupe_component_handler_seconds_count{component=\"echo\",id=\"1\"}") == 7 ||
        tries > 2000)
      break;
    resp_free(&r);
    ct_sleep_ms(5);
  }
  assert_non_null(strstr(r.head, "Content-Type: text/plain; version=0.0.4"));
  const char *lab = "{component=\"echo\",id=\"1\"}";
  char series[256];
  snprintf(series, sizeof series, "troupe_component_messages_in_total%s", lab);
  assert_true(sample(r.body, series) == 7);
  snprintf(series, sizeof series, "troupe_component_messages_out_total%s", lab);
  assert_true(sample(r.body, series) == 7);
  snprintf(series, sizeof series, "troupe_component_bytes_in_total%s", lab);
  assert_true(sample(r.body, series) == 7 * 9); /* 0x80 0x04 {"i":1} */
  snprintf(series, sizeof series, "troupe_component_handler_seconds_count%s", lab);
  assert_true(sample(r.body, series) == 7);
  assert_true(sample(r.body, "troupe_component_handler_seconds_bucket{component=\"echo\",id=\"1\","
                             "le=\"+Inf\"}") == 7);
  assert_true(sample(r.body, "troupe_workers") == 2);
  assert_true(sample(r.body, "troupe_actors") >= 3);
  assert_non_null(strstr(r.body, "troupe_component_info{component=\"counter\""));
  /* Prometheus's own checker, on the real scrape. */
  char path[128];
  snprintf(path, sizeof path, "%s/metrics.txt", f->n.dir);
  FILE *out = fopen(path, "w");
  assert_non_null(out);
  fputs(r.body, out);
  fclose(out);
  resp_free(&r);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "promtool check metrics < '%s'", path);
  int rc = system(cmd);
  if (rc != 0)
    fprintf(stderr, "promtool check metrics failed (%d): is Debian's prometheus installed? "
                    "scripts/deps.sh test installs it\n", rc);
  assert_int_equal(rc, 0);
}

/* ---- who may connect ---------------------------------------------------------------- */
static void test_loopback_only_without_token(void **state) {
  fixture *f = *state;
  troupe_admin *a = NULL;
  troupe_err err;
  assert_int_equal(start_admin(f, "0.0.0.0:0", NULL, &a, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "token"));
  assert_null(a);
  /* A Host header that does not name loopback is refused (DNS rebinding). */
  const char *hosts[] = {"evil.example", "evil.example:80", "127.0.0.1.evil.example",
                         "localhostx:1"};
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
    char extra[96];
    snprintf(extra, sizeof extra, "Host: %s\r\n", hosts[i]);
    resp r = http(f->port, "GET", "/api/node", extra, NULL, 0);
    assert_int_equal(r.status, 403);
    resp_free(&r);
  }
  resp r = http(f->port, "GET", "/api/node", "Host: localhost\r\n", NULL, 0);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void test_token(void **state) {
  fixture *f = *state;
  troupe_admin *a = NULL;
  troupe_err err;
  assert_int_equal(start_admin(f, "0.0.0.0:0", "short", &a, &err), TROUPE_E_INVAL);
  assert_int_equal(start_admin(f, "0.0.0.0:0", "has a space", &a, &err), TROUPE_E_INVAL);
  assert_int_equal(start_admin(f, "0.0.0.0:0", "semi;colon;token", &a, &err), TROUPE_E_INVAL);
  assert_int_equal(start_admin(f, "0.0.0.0:0", "quote\"token\"x", &a, &err), TROUPE_E_INVAL);
  const char *token = "s3cret-t0ken-for-tests";
  assert_int_equal(start_admin(f, "0.0.0.0:0", token, &a, &err), 0);
  uint16_t port = troupe_admin_port(a);
  struct {
    const char *path, *extra;
    int status;
  } cases[] = {
      {"/api/node", NULL, 401},
      {"/metrics", NULL, 401},
      {"/api/node", "Authorization: Bearer wrong-token-wrong-token\r\n", 401},
      {"/api/node", "Authorization: Bearer s3cret-t0ken-for-test\r\n", 401}, /* a prefix */
      {"/api/node", "Authorization: Basic czNjcmV0\r\n", 401},
      {"/api/node?token=nope", NULL, 401},
      {"/api/node", "Authorization: Bearer s3cret-t0ken-for-tests\r\n", 200},
      {"/metrics?token=s3cret-t0ken-for-tests", NULL, 200},
      /* no cookie is taken (a cookie goes to every port of the host) */
      {"/api/node", "Cookie: troupe_token=s3cret-t0ken-for-tests\r\n", 401},
      {"/", NULL, 401},
      {"/observer.js", NULL, 401},
      {"/observer.js?token=s3cret-t0ken-for-tests", NULL, 200},
      /* with a token any Host is fine: the token is the check */
      {"/api/node", "Host: far.away\r\nAuthorization: Bearer s3cret-t0ken-for-tests\r\n", 200},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    resp r = http(port, "GET", cases[i].path, cases[i].extra, NULL, 0);
    if (r.status != cases[i].status)
      fprintf(stderr, "token case %zu: %d %s\n", i, r.status, r.body);
    assert_int_equal(r.status, cases[i].status);
    if (r.status == 401) {
      json_t *j = json_of(&r);
      assert_string_equal(json_string_value(json_object_get(j, "error")), "UNAUTHORIZED");
      json_decref(j);
    }
    resp_free(&r);
  }
  /* Opened with the token, the page names its script and style sheet with it (the
   * browser fetches them without the page's header), and sets no cookie. */
  resp r = http(port, "GET", "/?token=s3cret-t0ken-for-tests", NULL, NULL, 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "src=\"observer.js?token=s3cret-t0ken-for-tests\""));
  assert_non_null(strstr(r.body, "href=\"observer.css?token=s3cret-t0ken-for-tests\""));
  assert_null(strstr(r.head, "Set-Cookie"));
  resp_free(&r);
  /* A 401 says what it wants. */
  r = http(port, "GET", "/api/node", NULL, NULL, 0);
  assert_non_null(strstr(r.head, "WWW-Authenticate: Bearer"));
  resp_free(&r);
  troupe_admin_stop(a);
}

static void test_bad_addresses(void **state) {
  fixture *f = *state;
  const char *bad[] = {"", "127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:99999",
                       "127.0.0.1:-1", "example.com:80", "[::1:80", "[zz]:80", "1.2.3.4.5:80"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    troupe_admin *a = NULL;
    troupe_err err;
    assert_int_equal(start_admin(f, bad[i], NULL, &a, &err), TROUPE_E_INVAL);
    assert_null(a);
  }
  /* Taken: the port this listener already has. */
  char addr[32];
  snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)f->port);
  troupe_admin *a = NULL;
  troupe_err err;
  assert_int_equal(start_admin(f, addr, NULL, &a, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, "in use"));
}

/* ---- events ----------------------------------------------------------------------- */
static int open_events_from(uint16_t port, const char *last_id) {
  int fd = connect_port(port);
  char req[256], extra[64] = "";
  if (last_id)
    snprintf(extra, sizeof extra, "Last-Event-ID: %s\r\n", last_id);
  int n = snprintf(req, sizeof req, "GET /api/events HTTP/1.1\r\nHost: localhost:%u\r\n%s\r\n",
                   (unsigned)port, extra);
  send_all(fd, req, (size_t)n);
  return fd;
}

static int open_events(uint16_t port) { return open_events_from(port, NULL); }

/* Read from fd until `needle` was seen (true) or 20 s passed. */
static bool read_until(int fd, const char *needle, char **seen) {
  size_t cap = 65536, len = 0;
  char *buf = calloc(1, cap);
  uint64_t end = troupe_clock_mono_ns() + (uint64_t)CT_WAIT_MS * 1000000u;
  bool found = false;
  while (!found && troupe_clock_mono_ns() < end && len + 1 < cap) {
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, 200) != 1)
      continue;
    ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
    if (r <= 0)
      break;
    len += (size_t)r;
    buf[len] = '\0';
    found = strstr(buf, needle) != NULL;
  }
  if (seen)
    *seen = buf;
  else
    free(buf);
  return found;
}

static void test_events_stream(void **state) {
  fixture *f = *state;
  int fd = open_events(f->port);
  char *head = NULL;
  assert_true(read_until(fd, "retry: 2000", &head));
  assert_non_null(strstr(head, "Content-Type: text/event-stream"));
  free(head);
  resp r = post_json(f->port, "/api/components/counter/restart", NULL);
  assert_int_equal(r.status, 200);
  resp_free(&r);
  char *seen = NULL;
  assert_true(read_until(fd, "\"event\":\"component_started\"", &seen));
  assert_non_null(strstr(seen, "data: {"));
  assert_non_null(strstr(seen, "\"name\":\"counter\""));
  assert_non_null(strstr(seen, "\nid: ")); /* the position to resume from */
  free(seen);
  close(fd);
  /* A reconnecting browser sends the last id it saw: the stream resumes after it, here
   * from the start of what the node keeps (the components' starts are there). */
  fd = open_events_from(f->port, "0");
  assert_true(read_until(fd, "\"event\":\"component_started\"", NULL));
  close(fd);
}

/* A stop with an event stream open (and its client silent) ends the stream and
 * returns: the stream's thread is not left waiting for the next record. */
static void test_stop_with_open_stream(void **state) {
  fixture *f = *state;
  int fd = open_events(f->port);
  assert_true(read_until(fd, "retry:", NULL));
  uint64_t t0 = troupe_clock_mono_ns();
  troupe_admin_stop(f->admin);
  f->admin = NULL;
  assert_true(troupe_clock_mono_ns() - t0 < (uint64_t)CT_WAIT_MS * 1000000u);
  char c;
  struct pollfd pf = {.fd = fd, .events = POLLIN};
  assert_int_equal(poll(&pf, 1, CT_WAIT_MS), 1);
  while (recv(fd, &c, 1, 0) > 0)
    ; /* the end of the chunked stream, then the close */
  close(fd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_body_too_large, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invoke_that_crashes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_metrics_promtool_and_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_loopback_only_without_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_events_stream, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stop_with_open_stream, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
