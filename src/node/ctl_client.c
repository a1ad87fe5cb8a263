/*
 * node/ctl_client.c: the client side of the control protocol: find a node's socket
 * (by name, or the only live one in the directory), connect, and exchange lines. A
 * socket file is "live" when something accepts on it: a file left by a node that
 * died refuses the connection and is skipped, so a crash does not leave the commands
 * asking which node was meant.
 */
#include "node/ctl_internal.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "troupe/base.h"

struct troupe_ctl_client {
  int fd;
  char node[65];
  trN_buf in; /* received, not yet returned */
};

/* Connect to path: the fd, or -errno. */
static int dial(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return -ENAMETOOLONG;
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  while (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    if (errno == EINTR)
      continue;
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

static int make_client(int fd, const char *node, troupe_ctl_client **out, troupe_err *err) {
  troupe_ctl_client *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  }
  c->fd = fd;
  snprintf(c->node, sizeof c->node, "%s", node);
  *out = c;
  return TROUPE_OK;
}

static int connect_named(const char *dir, const char *node, troupe_ctl_client **out,
                         troupe_err *err) {
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  if (!trN_ctl_node_name_ok(node))
    return troupe_err_set(err, TROUPE_E_INVAL, "bad node name '%s'", node);
  int rc = trN_ctl_path(dir, node, "sock", path, sizeof path, err);
  if (rc)
    return rc;
  int fd = dial(path);
  if (fd == -ENOENT || fd == -ECONNREFUSED)
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no node '%s' running (%s: %s)", node, path,
                          strerror(-fd));
  if (fd < 0)
    return troupe_err_set(err, TROUPE_E_IO, "cannot connect to node '%s' (%s): %s", node, path,
                          strerror(-fd));
  return make_client(fd, node, out, err);
}

/* With no name: connect to every NAME.sock in dir; exactly one must answer. */
static int connect_only(const char *dir, troupe_ctl_client **out, troupe_err *err) {
  DIR *d = opendir(dir);
  if (!d)
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no node running (cannot open %s: %s)", dir,
                          strerror(errno));
  char names[512] = "";
  char first[65] = "";
  int first_fd = -1, live = 0, denied = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 6 || n - 5 > 64 || strcmp(e->d_name + n - 5, ".sock"))
      continue;
    char node[65];
    memcpy(node, e->d_name, n - 5);
    node[n - 5] = '\0';
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (!trN_ctl_node_name_ok(node) || trN_ctl_path(dir, node, "sock", path, sizeof path, NULL))
      continue;
    int fd = dial(path);
    if (fd < 0) {
      denied += fd == -EACCES || fd == -EPERM;
      continue; /* a dead node's socket */
    }
    live++;
    size_t l = strlen(names);
    snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "", node);
    if (first_fd < 0) {
      first_fd = fd;
      snprintf(first, sizeof first, "%s", node);
    } else {
      close(fd);
    }
  }
  closedir(d);
  if (live == 1)
    return make_client(first_fd, first, out, err);
  if (first_fd >= 0)
    close(first_fd);
  if (live == 0 && denied)
    return troupe_err_set(err, TROUPE_E_IO, "no node running that we may connect to in %s "
                          "(permission denied)", dir);
  if (live == 0)
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no node running (no live control socket in %s)",
                          dir);
  return troupe_err_set(err, TROUPE_E_INVAL, "%d nodes running (%s): pick one with --node NAME",
                        live, names);
}

int troupe_ctl_connect(const char *dir, const char *node, troupe_ctl_client **out,
                       troupe_err *err) {
  *out = NULL;
  char def[PATH_MAX];
  if (!dir) {
    int rc = troupe_ctl_default_dir(def, sizeof def, err);
    if (rc)
      return rc;
    dir = def;
  }
  return node ? connect_named(dir, node, out, err) : connect_only(dir, out, err);
}

const char *troupe_ctl_client_node(const troupe_ctl_client *c) { return c->node; }

int troupe_ctl_send_line(troupe_ctl_client *c, const char *line, troupe_err *err) {
  size_t n = strlen(line);
  if (memchr(line, '\n', n))
    return troupe_err_set(err, TROUPE_E_INVAL, "a request is one line");
  /* two writes are fine: the server reads up to the newline */
  const char *parts[2] = {line, "\n"};
  size_t lens[2] = {n, 1};
  for (int i = 0; i < 2; i++) {
    size_t off = 0;
    while (off < lens[i]) {
      ssize_t w = send(c->fd, parts[i] + off, lens[i] - off, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return troupe_err_set(err, TROUPE_E_IO, "node '%s': send: %s", c->node, strerror(errno));
      off += (size_t)w;
    }
  }
  return TROUPE_OK;
}

int troupe_ctl_read_line(troupe_ctl_client *c, char **line, uint32_t timeout_ms, troupe_err *err) {
  *line = NULL;
  uint64_t end = troupe_clock_mono_ns() + (uint64_t)timeout_ms * 1000000u;
  for (;;) {
    char *nl = c->in.len ? memchr(c->in.p, '\n', c->in.len) : NULL;
    if (nl) {
      size_t n = (size_t)(nl - c->in.p);
      *line = malloc(n + 1);
      if (!*line)
        return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
      memcpy(*line, c->in.p, n);
      (*line)[n] = '\0';
      trN_buf_consume(&c->in, n + 1);
      return TROUPE_OK;
    }
    int wait = -1;
    if (timeout_ms) {
      uint64_t now = troupe_clock_mono_ns();
      if (now >= end)
        return troupe_err_set(err, TROUPE_E_TIMEOUT, "node '%s' did not answer within %u ms",
                              c->node, timeout_ms);
      wait = (int)((end - now + 999999u) / 1000000u);
    }
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    /* Most answers come within a moment: look that long before sleeping (TRN_SPIN_NS). */
    int r = trN_spin_readable(c->fd) ? 1 : poll(&p, 1, wait);
    if (r < 0 && errno != EINTR)
      return troupe_err_set(err, TROUPE_E_IO, "node '%s': poll: %s", c->node, strerror(errno));
    if (r <= 0)
      continue;
    char buf[65536];
    ssize_t got = recv(c->fd, buf, sizeof buf, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return troupe_err_set(err, TROUPE_E_IO, "node '%s': receive: %s", c->node, strerror(errno));
    if (got == 0)
      return troupe_err_set(err, TROUPE_E_IO, "node '%s' closed the connection", c->node);
    if (trN_buf_put(&c->in, buf, (size_t)got))
      return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  }
}

int troupe_ctl_call(troupe_ctl_client *c, const char *request, char **response,
                    uint32_t timeout_ms, troupe_err *err) {
  *response = NULL;
  int rc = troupe_ctl_send_line(c, request, err);
  return rc ? rc : troupe_ctl_read_line(c, response, timeout_ms, err);
}

void troupe_ctl_close(troupe_ctl_client *c) {
  if (!c)
    return;
  close(c->fd);
  trN_buf_free(&c->in);
  free(c);
}
