/*
 * tests/node/test_control_util.h: what the control tests share: a node in the test
 * process (a host over the built example components, its log through a control tap, a
 * control server on a fresh temporary socket directory), raw protocol lines over the
 * real socket, and the real `troupe` command run as a subprocess pointed at that
 * directory with $TROUPE_CONTROL_DIR. Waits are bounded (20 s and more), never timed.
 */
#ifndef TROUPE_TESTS_NODE_CONTROL_UTIL_H
#define TROUPE_TESTS_NODE_CONTROL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "troupe/base.h"
#include "troupe/component.h"
#include "troupe/control.h"
#include "troupe/store.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TROUPE_COMPONENTS_DIR
#error "TROUPE_COMPONENTS_DIR must name the folder of the built components"
#endif
#ifndef TROUPE_BIN
#error "TROUPE_BIN must name the built troupe command"
#endif

#define CT_WAIT_MS 20000u

static inline void ct_sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* ---- a node in this process ------------------------------------------------------- */
typedef struct ct_node {
  char dir[64];
  troupe_store *store;
  troupe_ctl_tap *tap;
  troupe_host *host;
  troupe_ctl_server *srv;
  troupe_component_id echo, counter, crasher;
} ct_node;

static inline troupe_component_id ct_spawn(ct_node *n, const char *name, const char *module) {
  troupe_component_spec s;
  memset(&s, 0, sizeof s);
  s.name = name;
  s.module = module;
  troupe_component_id id = 0;
  troupe_err err;
  if (troupe_host_spawn(n->host, &s, &id, &err))
    fprintf(stderr, "spawn %s: %s\n", name, err.msg);
  return id;
}

static inline int ct_server(ct_node *n, const char *node, troupe_ctl_server **out,
                            troupe_err *err) {
  troupe_ctl_config cfg;
  troupe_ctl_config_init(&cfg);
  cfg.host = n->host;
  cfg.node = node;
  cfg.dir = n->dir;
  cfg.tap = n->tap;
  return troupe_ctl_server_start(&cfg, out, err);
}

/* A node "testnode" with echo, counter and crasher running. */
static inline void ct_node_start(ct_node *n) {
  memset(n, 0, sizeof *n);
  snprintf(n->dir, sizeof n->dir, "/tmp/troupe-ctltest-XXXXXX");
  assert_non_null(mkdtemp(n->dir));
  troupe_err err;
  assert_int_equal(troupe_store_dir_new(TROUPE_COMPONENTS_DIR, &n->store, &err), 0);
  assert_int_equal(troupe_ctl_tap_new(500, TROUPE_LOG_DEBUG, NULL, &n->tap, &err), 0);
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = 2;
  cfg.store = n->store;
  cfg.log = troupe_ctl_tap_logger(n->tap);
  assert_int_equal(troupe_host_new(&cfg, &n->host, &err), 0);
  n->echo = ct_spawn(n, "echo", "echo");
  n->counter = ct_spawn(n, "counter", "counter");
  n->crasher = ct_spawn(n, "crasher", "crasher");
  assert_true(n->echo && n->counter && n->crasher);
  int rc = ct_server(n, "testnode", &n->srv, &err);
  if (rc)
    fprintf(stderr, "server: %s\n", err.msg);
  assert_int_equal(rc, 0);
}

static inline void ct_rmdir(const char *dir) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  int rc = system(cmd);
  (void)rc;
}

static inline void ct_node_stop(ct_node *n) {
  troupe_ctl_server_stop(n->srv);
  troupe_host_free(n->host);
  troupe_ctl_tap_free(n->tap);
  troupe_store_free(n->store);
  ct_rmdir(n->dir);
}

/* ---- raw protocol --------------------------------------------------------------- */
static inline int ct_dial(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return -ENAMETOOLONG;
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

static inline void ct_write(int fd, const void *p, size_t n) {
  const char *b = p;
  while (n) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    assert_true(w > 0);
    b += w;
    n -= (size_t)w;
  }
}

/* One line from fd (malloc'd, without the newline), or NULL on EOF / after CT_WAIT_MS.
 * Reads a byte at a time: the tests' lines are short and nothing is read past one. */
static inline char *ct_read_line(int fd) {
  size_t cap = 256, n = 0;
  char *s = malloc(cap);
  uint64_t end = troupe_clock_mono_ns() + CT_WAIT_MS * 1000000ull;
  for (;;) {
    uint64_t now = troupe_clock_mono_ns();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (now >= end || poll(&p, 1, (int)((end - now) / 1000000u) + 1) <= 0) {
      free(s);
      return NULL;
    }
    char c;
    ssize_t r = recv(fd, &c, 1, 0);
    if (r <= 0) {
      free(s);
      return NULL;
    }
    if (c == '\n') {
      s[n] = '\0';
      return s;
    }
    if (n + 2 > cap)
      s = realloc(s, cap *= 2);
    s[n++] = c;
  }
}

/* Send one request line on fd and return the response line. */
static inline char *ct_call_fd(int fd, const char *req) {
  ct_write(fd, req, strlen(req));
  ct_write(fd, "\n", 1);
  return ct_read_line(fd);
}

/* One request on a fresh connection to the node's socket. */
static inline char *ct_call(ct_node *n, const char *req) {
  int fd = ct_dial(troupe_ctl_server_path(n->srv));
  assert_true(fd >= 0);
  char *r = ct_call_fd(fd, req);
  close(fd);
  return r;
}

/* ---- the troupe command as a subprocess ---------------------------------------- */
typedef struct ct_run {
  int status; /* exit status, or 128+signal */
  char *out, *err;
} ct_run;

static inline void ct_run_free(ct_run *r) {
  free(r->out);
  free(r->err);
}

extern char **environ;

/* The environment for the command: ours with TROUPE_CONTROL_DIR=dir. */
static inline char **ct_env(const char *dir) {
  size_t n = 0;
  while (environ[n])
    n++;
  char **e = calloc(n + 2, sizeof *e);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "TROUPE_CONTROL_DIR=", 19))
      e[k++] = environ[i];
  static char var[128];
  snprintf(var, sizeof var, "TROUPE_CONTROL_DIR=%s", dir);
  e[k++] = var;
  return e;
}

/* Start `troupe ARGS...` (NULL-terminated) with stdout and stderr on pipes. */
static inline pid_t ct_start(const char *dir, int *out_fd, int *err_fd, const char *const *args) {
  int o[2], e[2];
  assert_int_equal(pipe2(o, O_CLOEXEC), 0);
  assert_int_equal(pipe2(e, O_CLOEXEC), 0);
  const char *argv[32] = {TROUPE_BIN};
  size_t k = 1;
  while (args[k - 1] && k < 31) {
    argv[k] = args[k - 1];
    k++;
  }
  argv[k] = NULL;
  char **env = ct_env(dir);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(o[1], 1);
    dup2(e[1], 2);
    execve(TROUPE_BIN, (char *const *)argv, env);
    _exit(127);
  }
  free(env);
  close(o[1]);
  close(e[1]);
  *out_fd = o[0];
  *err_fd = e[0];
  return pid;
}

static inline void ct_append(char **s, size_t *n, const char *b, size_t k) {
  *s = realloc(*s, *n + k + 1);
  memcpy(*s + *n, b, k);
  *n += k;
  (*s)[*n] = '\0';
}

/* Run `troupe ARGS...` to its end (killed after 60 s: a hang fails the test). */
static inline ct_run ct_troupe_v(const char *dir, const char *const *args) {
  int ofd, efd;
  pid_t pid = ct_start(dir, &ofd, &efd, args);
  ct_run r = {0};
  size_t on = 0, en = 0;
  r.out = calloc(1, 1);
  r.err = calloc(1, 1);
  uint64_t end = troupe_clock_mono_ns() + 60000000000ull;
  bool oo = true, eo = true, killed = false;
  while (oo || eo) {
    struct pollfd p[2] = {{.fd = oo ? ofd : -1, .events = POLLIN}, {.fd = eo ? efd : -1, .events = POLLIN}};
    int n = poll(p, 2, 1000);
    if (troupe_clock_mono_ns() > end && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    if (n <= 0)
      continue;
    char buf[4096];
    for (int i = 0; i < 2; i++)
      if (p[i].revents) {
        ssize_t k = read(p[i].fd, buf, sizeof buf);
        if (k <= 0) {
          if (i == 0)
            oo = false;
          else
            eo = false;
        } else if (i == 0) {
          ct_append(&r.out, &on, buf, (size_t)k);
        } else {
          ct_append(&r.err, &en, buf, (size_t)k);
        }
      }
  }
  close(ofd);
  close(efd);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

#define ct_troupe(dir, ...) ct_troupe_v((dir), (const char *const[]){__VA_ARGS__, NULL})

#endif
