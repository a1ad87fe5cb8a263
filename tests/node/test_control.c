/*
 * tests/node/test_control.c: the control protocol over the real socket, line by line
 * (docs/CONTROL.md): every op against a node running echo, counter and crasher, every
 * kind of bad request (each answered with one error line while the node and the
 * connection carry on), and the socket's safety: mode 0600 in a 0700 directory, no
 * entry for another user, one live node per name, a dead node's socket replaced, a
 * slow client stalling nobody, `logs -f` seeing a record made after it began.
 */
#include "test_control_util.h"

#include "node/ctl_internal.h"

#include <jansson.h>
#include <grp.h>
#include <sys/file.h>

/* Parse a response line and check "ok". Returns the object (json_decref it). */
static json_t *parse(char *line) {
  assert_non_null(line);
  json_error_t e;
  json_t *j = json_loads(line, 0, &e);
  if (!j)
    fprintf(stderr, "not JSON: %s\n", line);
  assert_non_null(j);
  free(line);
  return j;
}

static json_t *ok(char *line) {
  json_t *j = parse(line);
  if (!json_is_true(json_object_get(j, "ok"))) {
    char *t = json_dumps(j, 0);
    fprintf(stderr, "not ok: %s\n", t);
    free(t);
  }
  assert_true(json_is_true(json_object_get(j, "ok")));
  return j;
}

/* An error response named `name`, with a non-empty message. */
static void err_is(char *line, const char *name) {
  json_t *j = parse(line);
  assert_true(json_is_false(json_object_get(j, "ok")));
  const char *e = json_string_value(json_object_get(j, "error"));
  if (!e || strcmp(e, name))
    fprintf(stderr, "error %s, expected %s\n", e ? e : "(none)", name);
  assert_string_equal(e, name);
  assert_true(strlen(json_string_value(json_object_get(j, "message"))) > 0);
  json_decref(j);
}

static json_t *component_named(json_t *resp, const char *name) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(resp, "components"), i, c) {
    if (!strcmp(json_string_value(json_object_get(c, "name")), name))
      return c;
  }
  return NULL;
}

static const char *s(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static long long n(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static int setup(void **state) {
  ct_node *node = malloc(sizeof *node);
  ct_node_start(node);
  *state = node;
  return 0;
}

static int teardown(void **state) {
  ct_node_stop(*state);
  free(*state);
  return 0;
}

/* ---- the ops ------------------------------------------------------------------------ */

static void test_hello(void **state) {
  ct_node *nd = *state;
  json_t *r = ok(ct_call(nd, "{\"v\":1,\"op\":\"hello\"}"));
  assert_int_equal(n(r, "protocol"), TROUPE_CTL_PROTOCOL);
  assert_string_equal(s(r, "node"), "testnode");
  assert_int_equal(n(r, "pid"), getpid());
  json_decref(r);
}

static void test_ps_lists_every_component(void **state) {
  ct_node *nd = *state;
  json_t *r = ok(ct_call(nd, "{\"op\":\"ps\"}"));
  assert_string_equal(s(r, "node"), "testnode");
  assert_int_equal(json_array_size(json_object_get(r, "components")), 3);
  json_t *c = component_named(r, "counter");
  assert_non_null(c);
  assert_int_equal(n(c, "id"), (long long)nd->counter);
  assert_string_equal(s(c, "state"), "ready");
  assert_non_null(s(c, "health"));
  assert_string_equal(s(c, "module"), "counter");
  assert_true(json_is_integer(json_object_get(c, "restarts")));
  assert_true(n(c, "memory_bytes") > 0);
  assert_true(json_is_integer(json_object_get(c, "messages")));
  assert_true(json_is_integer(json_object_get(c, "uptime_ms")));
  json_decref(r);
}

static void test_info(void **state) {
  ct_node *nd = *state;
  json_t *r = ok(ct_call(nd, "{\"op\":\"info\",\"name\":\"echo\"}"));
  json_t *c = json_object_get(r, "component");
  assert_string_equal(s(c, "name"), "echo");
  assert_int_equal(strlen(s(c, "sha256")), 64);
  assert_non_null(s(c, "created"));
  assert_int_equal(n(json_object_get(c, "limits"), "max_memory_pages"), 256);
  json_decref(r);
  /* by id too */
  char req[64];
  snprintf(req, sizeof req, "{\"op\":\"info\",\"id\":%llu}", (unsigned long long)nd->counter);
  r = ok(ct_call(nd, req));
  assert_string_equal(s(json_object_get(r, "component"), "name"), "counter");
  json_decref(r);
  err_is(ct_call(nd, "{\"op\":\"info\",\"name\":\"nobody\"}"), "NOTFOUND");
  err_is(ct_call(nd, "{\"op\":\"info\",\"id\":999999}"), "NOTFOUND");
  err_is(ct_call(nd, "{\"op\":\"info\"}"), "BAD_REQUEST");
}

static void test_send_then_ask(void **state) {
  ct_node *nd = *state;
  int fd = ct_dial(troupe_ctl_server_path(nd->srv));
  assert_true(fd >= 0);
  for (int i = 0; i < 3; i++)
    json_decref(ok(ct_call_fd(fd, "{\"op\":\"send\",\"name\":\"counter\",\"payload\":{},\"tag\":1}")));
  /* ask queues behind the sends: the count includes them */
  json_t *r = ok(ct_call_fd(fd, "{\"op\":\"ask\",\"name\":\"counter\",\"payload\":{}}"));
  assert_int_equal(n(json_object_get(r, "reply"), "count"), 3);
  assert_string_equal(s(r, "codec"), "json");
  json_decref(r);
  r = ok(ct_call_fd(fd, "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":\"hi\",\"timeout_ms\":20000}"));
  assert_string_equal(s(r, "reply"), "hi");
  json_decref(r);
  /* CBOR on the way in, JSON on the way out (the reply is what echo got: CBOR) */
  r = ok(ct_call_fd(fd, "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":[1,2],\"codec\":\"cbor\"}"));
  assert_string_equal(s(r, "codec"), "cbor");
  assert_int_equal(json_array_size(json_object_get(r, "reply")), 2);
  json_decref(r);
  err_is(ct_call_fd(fd, "{\"op\":\"send\",\"name\":\"ghost\",\"payload\":1}"), "NOTFOUND");
  err_is(ct_call_fd(fd, "{\"op\":\"send\",\"name\":\"echo\",\"tag\":-1}"), "BAD_REQUEST");
  err_is(ct_call_fd(fd, "{\"op\":\"ask\",\"name\":\"echo\",\"codec\":\"xml\"}"), "BAD_REQUEST");
  close(fd);
}

static void test_invoke(void **state) {
  ct_node *nd = *state;
  json_t *r = ok(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"counter\",\"fn\":\"add\",\"args\":5}"));
  assert_int_equal(n(json_object_get(r, "result"), "count"), 5);
  json_decref(r);
  r = ok(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"echo\",\"fn\":\"echo\",\"args\":{\"a\":[true]}}"));
  assert_true(json_is_true(json_array_get(json_object_get(json_object_get(r, "result"), "a"), 0)));
  json_decref(r);
  err_is(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"echo\",\"fn\":\"nope\"}"), "NOTFOUND");
  err_is(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"echo\"}"), "BAD_REQUEST");
  err_is(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"crasher\",\"fn\":\"crash\"}"), "TRAP");
  /* crashed and restarted by its supervisor: the node carries on */
  json_t *i = NULL;
  for (uint64_t end = troupe_clock_mono_ns() + CT_WAIT_MS * 1000000ull;;) {
    i = ok(ct_call(nd, "{\"op\":\"info\",\"name\":\"crasher\"}"));
    json_t *c = json_object_get(i, "component");
    if ((n(c, "restarts") >= 1 && !strcmp(s(c, "state"), "ready")) || troupe_clock_mono_ns() > end)
      break;
    json_decref(i);
    ct_sleep_ms(5);
  }
  json_t *c = json_object_get(i, "component");
  assert_true(n(c, "restarts") >= 1);
  assert_string_equal(s(json_object_get(c, "last_exit"), "kind"), "crash");
  json_decref(i);
  r = ok(ct_call(nd, "{\"op\":\"ask\",\"name\":\"crasher\",\"payload\":\"ping\"}"));
  assert_string_equal(s(r, "reply"), "pong");
  json_decref(r);
}

static void test_spawn_stop_restart(void **state) {
  ct_node *nd = *state;
  json_t *r = ok(ct_call(nd, "{\"op\":\"spawn\",\"name\":\"echo2\",\"module\":\"echo\","
                             "\"limits\":{\"max_memory_pages\":64},\"restart\":\"transient\","
                             "\"caps\":{\"send_to\":[\"counter\"]},\"env\":[\"A=1\"]}"));
  assert_string_equal(s(r, "name"), "echo2");
  assert_true(n(r, "id") > 0);
  json_decref(r);
  r = ok(ct_call(nd, "{\"op\":\"info\",\"name\":\"echo2\"}"));
  assert_int_equal(n(json_object_get(json_object_get(r, "component"), "limits"), "max_memory_pages"), 64);
  json_decref(r);
  /* from a file */
  char req[512];
  snprintf(req, sizeof req, "{\"op\":\"spawn\",\"name\":\"cfile\",\"path\":\"%s/counter.wasm\"}",
           TROUPE_COMPONENTS_DIR);
  json_decref(ok(ct_call(nd, req)));
  r = ok(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"cfile\",\"fn\":\"get\"}"));
  assert_int_equal(n(json_object_get(r, "result"), "count"), 0);
  json_decref(r);
  err_is(ct_call(nd, "{\"op\":\"spawn\",\"name\":\"echo2\",\"module\":\"echo\"}"), "NAME_TAKEN");
  err_is(ct_call(nd, "{\"op\":\"spawn\",\"name\":\"x\",\"module\":\"no_such_module\"}"), "NOTFOUND");
  err_is(ct_call(nd, "{\"op\":\"spawn\",\"name\":\"x\",\"module\":\"echo\",\"limits\":{\"max_memroy\":1}}"),
         "BAD_REQUEST");
  err_is(ct_call(nd, "{\"op\":\"spawn\",\"name\":\"x\",\"module\":\"echo\",\"path\":\"/x\"}"),
         "BAD_REQUEST");
  err_is(ct_call(nd, "{\"op\":\"spawn\",\"name\":\"x\",\"path\":\"/nonexistent.wasm\"}"), "IO");
  /* restart: the same id, a fresh instance (the count starts again) */
  json_decref(ok(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"cfile\",\"fn\":\"add\",\"args\":3}")));
  json_decref(ok(ct_call(nd, "{\"op\":\"restart\",\"name\":\"cfile\"}")));
  r = ok(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"cfile\",\"fn\":\"get\"}"));
  assert_int_equal(n(json_object_get(r, "result"), "count"), 0);
  json_decref(r);
  /* stop: gone from ps */
  json_decref(ok(ct_call(nd, "{\"op\":\"stop\",\"name\":\"echo2\"}")));
  r = ok(ct_call(nd, "{\"op\":\"ps\"}"));
  assert_null(component_named(r, "echo2"));
  assert_non_null(component_named(r, "cfile"));
  json_decref(r);
  err_is(ct_call(nd, "{\"op\":\"stop\",\"name\":\"echo2\"}"), "NOTFOUND");
  err_is(ct_call(nd, "{\"op\":\"restart\",\"name\":\"echo2\"}"), "NOTFOUND");
}

static void test_top_counters(void **state) {
  ct_node *nd = *state;
  json_t *a = ok(ct_call(nd, "{\"op\":\"top\"}"));
  json_decref(ok(ct_call(nd, "{\"op\":\"invoke\",\"name\":\"counter\",\"fn\":\"add\",\"args\":1}")));
  json_t *b = ok(ct_call(nd, "{\"op\":\"top\"}"));
  assert_true(n(b, "sample_ns") > n(a, "sample_ns"));
  json_t *ca = component_named(a, "counter"), *cb = component_named(b, "counter");
  assert_true(n(cb, "fuel_used") > n(ca, "fuel_used"));
  assert_true(n(cb, "memory_bytes") > 0);
  assert_true(json_is_integer(json_object_get(cb, "messages")));
  json_decref(a);
  json_decref(b);
}

static void test_logs(void **state) {
  ct_node *nd = *state;
  json_t *r = ok(ct_call(nd, "{\"op\":\"logs\"}"));
  json_t *recs = json_object_get(r, "records");
  assert_true(json_array_size(recs) >= 3);
  bool started_echo = false;
  size_t i;
  json_t *rec;
  json_array_foreach(recs, i, rec) started_echo |=
      !strcmp(s(rec, "event"), "component_started") && !strcmp(s(rec, "name"), "echo");
  assert_true(started_echo);
  json_decref(r);
  r = ok(ct_call(nd, "{\"op\":\"logs\",\"name\":\"counter\"}"));
  recs = json_object_get(r, "records");
  assert_true(json_array_size(recs) >= 1);
  json_array_foreach(recs, i, rec) assert_string_equal(s(rec, "name"), "counter");
  json_decref(r);
  r = ok(ct_call(nd, "{\"op\":\"logs\",\"lines\":1}"));
  assert_int_equal(json_array_size(json_object_get(r, "records")), 1);
  json_decref(r);
}

/* logs -f: a record made after the stream began arrives on it. */
static void test_logs_follow(void **state) {
  ct_node *nd = *state;
  int fd = ct_dial(troupe_ctl_server_path(nd->srv));
  assert_true(fd >= 0);
  json_t *h = ok(ct_call_fd(fd, "{\"op\":\"logs\",\"follow\":true,\"name\":\"latecomer\"}"));
  assert_true(json_is_true(json_object_get(h, "follow")));
  json_decref(h);
  assert_true(ct_spawn(nd, "latecomer", "echo") != 0);
  char *line = ct_read_line(fd); /* the filter lets only latecomer's records through */
  json_t *rec = parse(line);
  assert_string_equal(s(rec, "name"), "latecomer");
  assert_string_equal(s(rec, "event"), "component_started");
  json_decref(rec);
  close(fd);
  /* the follower is gone; the node logs on */
  json_decref(ok(ct_call(nd, "{\"op\":\"stop\",\"name\":\"latecomer\"}")));
  json_decref(ok(ct_call(nd, "{\"op\":\"ps\"}")));
}

/* ---- bad requests: an error line each, and the connection and node carry on ---------- */

static void test_bad_requests(void **state) {
  ct_node *nd = *state;
  int fd = ct_dial(troupe_ctl_server_path(nd->srv));
  assert_true(fd >= 0);
  err_is(ct_call_fd(fd, "{\"op\":\"fly\"}"), "UNKNOWN_OP");
  err_is(ct_call_fd(fd, "{\"op\":"), "BAD_REQUEST");
  err_is(ct_call_fd(fd, "[1,2]"), "BAD_REQUEST");
  err_is(ct_call_fd(fd, "{\"name\":\"echo\"}"), "BAD_REQUEST");
  err_is(ct_call_fd(fd, "{\"op\":7}"), "BAD_REQUEST");
  err_is(ct_call_fd(fd, "{\"v\":2,\"op\":\"ps\"}"), "UNSUPPORTED");
  err_is(ct_call_fd(fd, "{\"op\":\"ps\"} trailing"), "BAD_REQUEST");
  /* garbage bytes: NUL, invalid UTF-8, control characters */
  static const char junk[] = {'\x00', '\xff', '\xfe', '{', '\x01', '\x80', 'o', 'p', '\x1b', '\n'};
  ct_write(fd, junk, sizeof junk);
  err_is(ct_read_line(fd), "BAD_REQUEST");
  /* a line over the limit (4 MiB): answered TOO_LARGE, skipped to its newline */
  size_t big = (5u << 20);
  char *line = malloc(big);
  memset(line, 'x', big);
  memcpy(line, "{\"op\":\"ps\",\"pad\":\"", 18);
  ct_write(fd, line, big);
  ct_write(fd, "\"}\n", 3);
  free(line);
  err_is(ct_read_line(fd), "TOO_LARGE");
  /* and the same connection still serves */
  json_decref(ok(ct_call_fd(fd, "{\"op\":\"ps\"}")));
  /* empty lines are ignored, CRLF tolerated */
  json_decref(ok(ct_call_fd(fd, "\n\n{\"op\":\"hello\"}\r")));
  close(fd);
}

/* Several requests in one write are answered in order (regression: the server polled
 * for more input while complete lines were still waiting, and hung). */
static void test_pipelined_requests(void **state) {
  ct_node *nd = *state;
  int fd = ct_dial(troupe_ctl_server_path(nd->srv));
  static const char three[] = "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":1}\n"
                              "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":2}\n"
                              "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":3}\n";
  ct_write(fd, three, sizeof three - 1);
  for (int i = 1; i <= 3; i++) {
    json_t *r = ok(ct_read_line(fd));
    assert_int_equal(json_integer_value(json_object_get(r, "reply")), i);
    json_decref(r);
  }
  /* and with the write side closed after them: all answered, then the end */
  ct_write(fd, three, sizeof three - 1);
  shutdown(fd, SHUT_WR);
  for (int i = 1; i <= 3; i++)
    json_decref(ok(ct_read_line(fd)));
  assert_null(ct_read_line(fd));
  close(fd);
}

/* A client that closes in the middle of a request, or before reading its answer. */
static void test_closed_mid_request(void **state) {
  ct_node *nd = *state;
  int fd = ct_dial(troupe_ctl_server_path(nd->srv));
  assert_true(fd >= 0);
  ct_write(fd, "{\"op\":\"ask\",\"name\":\"ec", 22);
  close(fd);
  fd = ct_dial(troupe_ctl_server_path(nd->srv));
  ct_write(fd, "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":1}\n", 39);
  close(fd); /* the answer goes to a closed socket: no SIGPIPE, no harm */
  json_decref(ok(ct_call(nd, "{\"op\":\"ps\"}")));
  json_t *r = ok(ct_call(nd, "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":2}"));
  assert_int_equal(json_integer_value(json_object_get(r, "reply")), 2);
  json_decref(r);
}

/* A client that sends half a request and waits holds up nobody. */
static void test_slow_client_stalls_nobody(void **state) {
  ct_node *nd = *state;
  int slow = ct_dial(troupe_ctl_server_path(nd->srv));
  assert_true(slow >= 0);
  ct_write(slow, "{\"op\":", 6);
  /* and one that asks without ever reading its answers */
  int deaf = ct_dial(troupe_ctl_server_path(nd->srv));
  for (int i = 0; i < 200; i++)
    ct_write(deaf, "{\"op\":\"ps\"}\n", 12);
  json_t *r = ok(ct_call(nd, "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":\"still here\"}"));
  assert_string_equal(s(r, "reply"), "still here");
  json_decref(r);
  /* the slow one finishes its request later and is answered */
  ct_write(slow, "\"hello\"}\n", 9);
  json_decref(ok(ct_read_line(slow)));
  close(slow);
  close(deaf);
}

/* ---- the socket's safety ------------------------------------------------------------- */

static void test_socket_mode(void **state) {
  ct_node *nd = *state;
  struct stat st;
  assert_int_equal(lstat(troupe_ctl_server_path(nd->srv), &st), 0);
  assert_true(S_ISSOCK(st.st_mode));
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(st.st_uid, geteuid());
  assert_int_equal(lstat(nd->dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
}

/* connect(2) as uid/gid 65534 in a child: 0 or the errno. */
static int connect_as_nobody(const char *path) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
      _exit(200);
    int fd = ct_dial(path);
    _exit(fd >= 0 ? 0 : -fd > 199 ? 199 : -fd);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  assert_true(WIFEXITED(st));
  assert_int_not_equal(WEXITSTATUS(st), 200);
  return WEXITSTATUS(st);
}

static void test_other_user_cannot_connect(void **state) {
  ct_node *nd = *state;
  if (geteuid() != 0) {
    fprintf(stderr, "SKIPPED: test_other_user_cannot_connect needs root (to become uid 65534)\n");
    skip();
  }
  const char *path = troupe_ctl_server_path(nd->srv);
  /* the directory keeps others out */
  assert_int_equal(connect_as_nobody(path), EACCES);
  /* and so does the socket's own mode, should the directory be opened up */
  assert_int_equal(chmod(nd->dir, 0711), 0);
  int e = connect_as_nobody(path);
  assert_int_equal(chmod(nd->dir, 0700), 0);
  assert_int_equal(e, EACCES);
  /* the owner still can */
  json_decref(ok(ct_call(nd, "{\"op\":\"hello\"}")));
}

static void test_same_name_refused(void **state) {
  ct_node *nd = *state;
  troupe_ctl_server *second = NULL;
  troupe_err err;
  assert_int_equal(ct_server(nd, "testnode", &second, &err), TROUPE_E_NAME_TAKEN);
  assert_null(second);
  /* the first one is untouched */
  json_decref(ok(ct_call(nd, "{\"op\":\"hello\"}")));
  /* another name is fine, and stopping it removes its socket */
  assert_int_equal(ct_server(nd, "second", &second, &err), 0);
  char path[128];
  snprintf(path, sizeof path, "%s", troupe_ctl_server_path(second));
  assert_int_equal(access(path, F_OK), 0);
  troupe_ctl_server_stop(second);
  assert_int_equal(access(path, F_OK), -1);
  /* a bad name or directory is refused */
  assert_int_equal(ct_server(nd, "../x", &second, &err), TROUPE_E_INVAL);
  assert_int_equal(ct_server(nd, "", &second, &err), TROUPE_E_INVAL);
}

static void test_stale_socket_replaced(void **state) {
  ct_node *nd = *state;
  /* a socket file left by a node that died: bound, never listened to, fd gone */
  char path[128];
  snprintf(path, sizeof path, "%s/ghost.sock", nd->dir);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  assert_true(strlen(path) < sizeof sa.sun_path);
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  close(fd);
  assert_int_equal(ct_dial(path), -ECONNREFUSED);
  troupe_ctl_server *ghost = NULL;
  troupe_err err;
  assert_int_equal(ct_server(nd, "ghost", &ghost, &err), 0);
  fd = ct_dial(path);
  assert_true(fd >= 0);
  json_t *r = ok(ct_call_fd(fd, "{\"op\":\"hello\"}"));
  assert_string_equal(s(r, "node"), "ghost");
  json_decref(r);
  close(fd);
  troupe_ctl_server_stop(ghost);
}

static void test_unsafe_directory_refused(void **state) {
  ct_node *nd = *state;
  char dir[128], link[140];
  snprintf(dir, sizeof dir, "%s/open", nd->dir);
  assert_int_equal(mkdir(dir, 0755), 0);
  assert_int_equal(chmod(dir, 0755), 0);
  troupe_ctl_config cfg;
  troupe_ctl_config_init(&cfg);
  cfg.host = nd->host;
  cfg.node = "n";
  cfg.dir = dir;
  troupe_ctl_server *srv = NULL;
  troupe_err err;
  assert_int_equal(troupe_ctl_server_start(&cfg, &srv, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, "mode"));
  assert_int_equal(chmod(dir, 0700), 0);
  snprintf(link, sizeof link, "%s/link", nd->dir);
  assert_int_equal(symlink(dir, link), 0);
  cfg.dir = link;
  assert_int_equal(troupe_ctl_server_start(&cfg, &srv, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, "symlink"));
  /* a missing directory is made, 0700 */
  snprintf(dir, sizeof dir, "%s/made", nd->dir);
  cfg.dir = dir;
  assert_int_equal(troupe_ctl_server_start(&cfg, &srv, &err), 0);
  struct stat st;
  assert_int_equal(lstat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  troupe_ctl_server_stop(srv);
}

/* ---- the client API's discovery ------------------------------------------------------ */

static void test_client_finds_the_only_node(void **state) {
  ct_node *nd = *state;
  troupe_ctl_client *c = NULL;
  troupe_err err;
  assert_int_equal(troupe_ctl_connect(nd->dir, NULL, &c, &err), 0);
  assert_string_equal(troupe_ctl_client_node(c), "testnode");
  char *resp = NULL;
  assert_int_equal(troupe_ctl_call(c, "{\"op\":\"hello\"}", &resp, CT_WAIT_MS, &err), 0);
  json_decref(ok(resp));
  troupe_ctl_close(c);
  /* two: ambiguous without a name, fine with one */
  troupe_ctl_server *other;
  assert_int_equal(ct_server(nd, "other", &other, &err), 0);
  assert_int_equal(troupe_ctl_connect(nd->dir, NULL, &c, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "--node"));
  assert_int_equal(troupe_ctl_connect(nd->dir, "other", &c, &err), 0);
  troupe_ctl_close(c);
  troupe_ctl_server_stop(other);
  assert_int_equal(troupe_ctl_connect(nd->dir, "other", &c, &err), TROUPE_E_NOTFOUND);
  /* none */
  char empty[128];
  snprintf(empty, sizeof empty, "%s/empty", nd->dir);
  assert_int_equal(mkdir(empty, 0700), 0);
  assert_int_equal(troupe_ctl_connect(empty, NULL, &c, &err), TROUPE_E_NOTFOUND);
}

/* A node stops with connections open, one of them following the log. */
static void test_stop_with_clients(void **state) {
  (void)state;
  ct_node nd;
  ct_node_start(&nd);
  int a = ct_dial(troupe_ctl_server_path(nd.srv));
  int b = ct_dial(troupe_ctl_server_path(nd.srv));
  json_decref(ok(ct_call_fd(b, "{\"op\":\"logs\",\"follow\":true}")));
  ct_write(a, "{\"op\":", 6);
  char path[128];
  snprintf(path, sizeof path, "%s", troupe_ctl_server_path(nd.srv));
  troupe_ctl_server_stop(nd.srv);
  nd.srv = NULL;
  assert_int_equal(access(path, F_OK), -1);
  /* both see the end of the stream (b after any records still queued) */
  char buf[4096];
  while (recv(b, buf, sizeof buf, 0) > 0) {
  }
  ssize_t r = recv(a, buf, sizeof buf, 0); /* ECONNRESET if its bytes were left unread */
  assert_true(r == 0 || (r < 0 && errno == ECONNRESET));
  close(a);
  close(b);
  ct_node_stop(&nd);
}

/* ---- bounds --------------------------------------------------------------------------- */

static int server_with(ct_node *nd, const char *name, unsigned max_clients, uint32_t io_ms,
                      uint32_t idle_ms, troupe_ctl_server **out) {
  troupe_ctl_config cfg;
  troupe_ctl_config_init(&cfg);
  cfg.host = nd->host;
  cfg.node = name;
  cfg.dir = nd->dir;
  cfg.max_clients = max_clients;
  cfg.io_timeout_ms = io_ms;
  cfg.idle_timeout_ms = idle_ms;
  troupe_err err;
  return troupe_ctl_server_start(&cfg, out, &err);
}

/* Read until the server closes the connection (bounded): true when it did. */
static bool closed_by_server(int fd) {
  uint64_t end = troupe_clock_mono_ns() + CT_WAIT_MS * 1000000ull;
  char buf[65536];
  while (troupe_clock_mono_ns() < end) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0)
      continue;
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r == 0 || (r < 0 && errno == ECONNRESET))
      return true;
  }
  return false;
}

static void test_busy_beyond_max_clients(void **state) {
  ct_node *nd = *state;
  troupe_ctl_server *srv;
  assert_int_equal(server_with(nd, "small", 1, 10000, 0, &srv), 0);
  int a = ct_dial(troupe_ctl_server_path(srv));
  json_decref(ok(ct_call_fd(a, "{\"op\":\"hello\"}"))); /* a is being served */
  int b = ct_dial(troupe_ctl_server_path(srv));
  assert_true(b >= 0);
  err_is(ct_read_line(b), "BUSY");
  assert_true(closed_by_server(b));
  close(b);
  json_decref(ok(ct_call_fd(a, "{\"op\":\"hello\"}"))); /* a is not disturbed */
  close(a);
  /* once a is gone (joined by the acceptor), there is room again */
  bool served = false;
  for (uint64_t end = troupe_clock_mono_ns() + CT_WAIT_MS * 1000000ull;
       !served && troupe_clock_mono_ns() < end;) {
    int c = ct_dial(troupe_ctl_server_path(srv));
    /* a BUSY answer may come and the connection close before the request is written:
     * neither the write nor the read may fail the test, only the answer counts */
    static const char hello[] = "{\"op\":\"hello\"}\n";
    ssize_t w = send(c, hello, sizeof hello - 1, MSG_NOSIGNAL);
    (void)w;
    char *line = ct_read_line(c);
    json_t *r = line ? json_loads(line, 0, NULL) : NULL;
    served = json_is_true(json_object_get(r, "ok"));
    json_decref(r);
    free(line);
    close(c);
    if (!served)
      ct_sleep_ms(20);
  }
  assert_true(served);
  troupe_ctl_server_stop(srv);
}

/* A client that asks and never reads is cut off once its output has waited io_timeout. */
static void test_deaf_client_disconnected(void **state) {
  ct_node *nd = *state;
  troupe_ctl_server *srv;
  assert_int_equal(server_with(nd, "deaf", 8, 200, 0, &srv), 0);
  int fd = ct_dial(troupe_ctl_server_path(srv));
  static const char req[] = "{\"op\":\"ps\"}\n";
  bool cut = false;
  uint64_t end = troupe_clock_mono_ns() + CT_WAIT_MS * 1000000ull;
  while (!cut && troupe_clock_mono_ns() < end) {
    ssize_t w = send(fd, req, sizeof req - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
      cut = true;
    else if (w < 0)
      ct_sleep_ms(10); /* both buffers full: the server waits for us to read */
  }
  if (!cut)
    cut = closed_by_server(fd);
  assert_true(cut);
  close(fd);
  json_decref(ok(ct_call(nd, "{\"op\":\"hello\"}"))); /* the node's other server is fine */
  troupe_ctl_server_stop(srv);
}

static void test_idle_client_closed(void **state) {
  ct_node *nd = *state;
  troupe_ctl_server *srv;
  assert_int_equal(server_with(nd, "idle", 8, 10000, 100, &srv), 0);
  int fd = ct_dial(troupe_ctl_server_path(srv));
  ct_write(fd, "{\"op\":", 6); /* half a request, then nothing */
  assert_true(closed_by_server(fd));
  close(fd);
  troupe_ctl_server_stop(srv);
}

/* ---- the tap's ring (white box) -------------------------------------------------------- */

static void fwd_count(void *user, const troupe_log_record *rec) {
  (void)rec;
  (*(int *)user)++;
}

static void test_tap_ring_reports_what_it_dropped(void **state) {
  (void)state;
  int forwarded = 0;
  troupe_logger *fwd = troupe_logger_callback(fwd_count, &forwarded, TROUPE_LOG_DEBUG);
  troupe_ctl_tap *tap;
  troupe_err err;
  assert_int_equal(troupe_ctl_tap_new(3, TROUPE_LOG_INFO, fwd, &tap, &err), 0);
  troupe_logger *lg = troupe_ctl_tap_logger(tap);
  for (int i = 0; i < 5; i++) {
    troupe_log_field f[] = {TROUPE_LOG_STR("name", i % 2 ? "odd" : "even"), TROUPE_LOG_INT("i", i)};
    troupe_log(lg, TROUPE_LOG_INFO, "tick", f, 2);
  }
  troupe_log(lg, TROUPE_LOG_DEBUG, "quiet", NULL, 0); /* below the ring's level: forwarded only */
  assert_int_equal(forwarded, 6);
  trN_buf out = {0};
  uint64_t cursor = 0; /* a follower that saw nothing: 2 records are gone */
  assert_int_equal(trN_tap_read(tap, &cursor, NULL, &out, SIZE_MAX, true), 0);
  assert_non_null(strstr(out.p, "\"event\":\"control.logs_dropped\",\"dropped\":2"));
  assert_non_null(strstr(out.p, "\"i\":2"));
  assert_non_null(strstr(out.p, "\"i\":4"));
  assert_null(strstr(out.p, "\"i\":1"));
  assert_null(strstr(out.p, "quiet"));
  assert_int_equal(cursor, 5);
  trN_buf_free(&out);
  /* the name filter, as an array's elements */
  cursor = trN_tap_cursor(tap, SIZE_MAX);
  assert_int_equal(trN_tap_read(tap, &cursor, "odd", &out, SIZE_MAX, false), 0);
  assert_non_null(strstr(out.p, "\"i\":3"));
  assert_null(strstr(out.p, "\"i\":2"));
  trN_buf_free(&out);
  troupe_ctl_tap_free(tap);
  troupe_logger_free(fwd);
}

/* The default directory: $TROUPE_CONTROL_DIR, else $XDG_RUNTIME_DIR/troupe (made 0700
 * by the server), else /tmp/troupe-UID; server and client agree on it. */
static void test_default_directory(void **state) {
  ct_node *nd = *state;
  char buf[300], want[256];
  troupe_err err;
  setenv("TROUPE_CONTROL_DIR", "/some/where", 1);
  assert_int_equal(troupe_ctl_default_dir(buf, sizeof buf, &err), 0);
  assert_string_equal(buf, "/some/where");
  unsetenv("TROUPE_CONTROL_DIR");
  setenv("XDG_RUNTIME_DIR", "relative", 1); /* ignored, as the spec says */
  assert_int_equal(troupe_ctl_default_dir(buf, sizeof buf, &err), 0);
  snprintf(want, sizeof want, "/tmp/troupe-%lu", (unsigned long)getuid());
  assert_string_equal(buf, want);
  setenv("XDG_RUNTIME_DIR", nd->dir, 1);
  assert_int_equal(troupe_ctl_default_dir(buf, sizeof buf, &err), 0);
  snprintf(want, sizeof want, "%s/troupe", nd->dir);
  assert_string_equal(buf, want);
  assert_int_equal(troupe_ctl_default_dir(buf, 8, &err), TROUPE_E_RANGE);
  /* a server with no directory makes and uses it; a client with none finds it */
  troupe_ctl_config cfg;
  troupe_ctl_config_init(&cfg);
  cfg.host = nd->host;
  cfg.node = "xdg";
  troupe_ctl_server *srv;
  assert_int_equal(troupe_ctl_server_start(&cfg, &srv, &err), 0);
  snprintf(buf, sizeof buf, "%s/xdg.sock", want);
  assert_string_equal(troupe_ctl_server_path(srv), buf);
  struct stat st;
  assert_int_equal(lstat(want, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  troupe_ctl_client *c;
  assert_int_equal(troupe_ctl_connect(NULL, NULL, &c, &err), 0);
  assert_string_equal(troupe_ctl_client_node(c), "xdg");
  troupe_ctl_close(c);
  troupe_ctl_server_stop(srv);
  unsetenv("XDG_RUNTIME_DIR");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_hello, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ps_lists_every_component, setup, teardown),
      cmocka_unit_test_setup_teardown(test_info, setup, teardown),
      cmocka_unit_test_setup_teardown(test_send_then_ask, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invoke, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spawn_stop_restart, setup, teardown),
      cmocka_unit_test_setup_teardown(test_top_counters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_logs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_logs_follow, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pipelined_requests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_closed_mid_request, setup, teardown),
      cmocka_unit_test_setup_teardown(test_slow_client_stalls_nobody, setup, teardown),
      cmocka_unit_test_setup_teardown(test_socket_mode, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_user_cannot_connect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_same_name_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unsafe_directory_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_finds_the_only_node, setup, teardown),
      cmocka_unit_test(test_stop_with_clients),
      cmocka_unit_test_setup_teardown(test_busy_beyond_max_clients, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deaf_client_disconnected, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idle_client_closed, setup, teardown),
      cmocka_unit_test(test_tap_ring_reports_what_it_dropped),
      cmocka_unit_test_setup_teardown(test_default_directory, setup, teardown),
  };
  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
