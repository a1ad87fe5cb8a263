/*
 * node/ctl_server.c: the control server's threads and I/O. An acceptor thread polls
 * the listening socket; each connection gets a thread of its own that reads request
 * lines, has ctl_ops.c carry them out and writes the responses. One thread per
 * connection is what keeps a slow or hostile client from stalling anyone: a blocking
 * request (an ask, a spawn, a stop waiting for _cleanup) or a client that never reads
 * its answers holds only its own thread, never the acceptor, another client or a
 * worker of the host. What bounds them: max_clients connections (the next one is told
 * BUSY), max_request_bytes per line (longer ones are answered TOO_LARGE and skipped up
 * to their newline), io_timeout_ms for a client to take its output, idle_timeout_ms for
 * a client to finish a request. A byte written to stop_pipe wakes every thread for stop.
 */
#include "node/ctl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "troupe/base.h"

#define READ_CHUNK 65536
#define FOLLOW_HIGH (256u * 1024) /* a follower's unsent output before it waits */

typedef struct trN_conn {
  troupe_ctl_server *srv;
  int fd;
  pthread_t thread;
  atomic_bool done; /* set by the thread as it ends; the acceptor joins it */
  struct trN_conn *next;
  trN_buf in, out;
  bool discarding; /* inside an oversized line: skip to its newline */
  bool eof;        /* the client closed its side */
  trN_follow follow;
  int wake[2]; /* a follower's pipe from the tap */
} trN_conn;

static uint64_t now_ms(void) { return troupe_clock_mono_ns() / 1000000u; }

void troupe_ctl_config_init(troupe_ctl_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->max_request_bytes = 4u << 20;
  cfg->max_clients = 32;
  cfg->io_timeout_ms = 10000;
  cfg->idle_timeout_ms = 600000;
}

/* ---- one connection ----------------------------------------------------------------- */

/* Send what is pending without blocking. false: the connection is broken. */
static bool flush_out(trN_conn *c, uint64_t *last_progress) {
  while (c->out.len) {
    ssize_t w = send(c->fd, c->out.p, c->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    trN_buf_consume(&c->out, (size_t)w);
    *last_progress = now_ms();
  }
  return true;
}

/* Carry out the complete lines in c->in, one at a time, while nothing is waiting to be
 * sent (a client that sends requests without reading answers gets no further). */
static int take_lines(trN_conn *c) {
  for (;;) {
    char *nl = c->in.len ? memchr(c->in.p, '\n', c->in.len) : NULL;
    if (c->discarding) {
      if (!nl) {
        trN_buf_consume(&c->in, c->in.len);
        return 0;
      }
      trN_buf_consume(&c->in, (size_t)(nl - c->in.p) + 1);
      c->discarding = false;
      continue;
    }
    if (c->follow.follow || c->out.len)
      return 0;
    if (!nl) {
      if (c->in.len > c->srv->max_request) {
        trN_buf_consume(&c->in, c->in.len);
        c->discarding = true;
        return trN_ctl_error(&c->out, "TOO_LARGE", "request line longer than %zu bytes",
                             c->srv->max_request);
      }
      return 0;
    }
    size_t n = (size_t)(nl - c->in.p);
    if (n > c->srv->max_request) {
      trN_buf_consume(&c->in, n + 1);
      return trN_ctl_error(&c->out, "TOO_LARGE", "request line longer than %zu bytes",
                           c->srv->max_request);
    }
    *nl = '\0';
    size_t len = n && c->in.p[n - 1] == '\r' ? n - 1 : n; /* tolerate CRLF */
    int rc = len ? trN_ctl_handle(c->srv, c->in.p, len, &c->out, &c->follow) : 0;
    trN_buf_consume(&c->in, n + 1);
    if (rc)
      return rc;
  }
}

static void start_follow(trN_conn *c) {
  if (pipe2(c->wake, O_CLOEXEC | O_NONBLOCK)) {
    c->wake[0] = c->wake[1] = -1;
    return; /* followed without wake-ups: read on the poll timeout below */
  }
  trN_tap_watch(c->srv->tap, c->wake[1]);
}

static void serve(trN_conn *c) {
  troupe_ctl_server *s = c->srv;
  uint64_t last_out = now_ms(), last_req = now_ms();
  uint32_t io_timeout = s->io_timeout_ms > INT32_MAX ? INT32_MAX : s->io_timeout_ms;
  uint32_t idle_timeout = s->idle_timeout_ms > INT32_MAX ? INT32_MAX : s->idle_timeout_ms;
  bool following = false, answered = false;
  for (;;) {
    if (c->out.len == 0) /* the io timeout runs from when output starts waiting */
      last_out = now_ms();
    size_t had = c->out.len;
    if (take_lines(c))
      return; /* out of memory: drop the connection, keep the node */
    if (c->out.len != had) {
      last_req = now_ms();
      answered = true;
    }
    if (c->follow.follow && !following) {
      following = true;
      start_follow(c);
    }
    if (following && c->out.len < FOLLOW_HIGH &&
        trN_tap_read(s->tap, &c->follow.cursor, c->follow.name, &c->out, FOLLOW_HIGH, true))
      return;
    if (!flush_out(c, &last_out))
      return;
    bool line_waiting = !following && memchr(c->in.p ? c->in.p : "", '\n', c->in.len);
    if (c->out.len == 0 && line_waiting)
      continue; /* pipelined requests: the next one now that this answer is out */
    if (c->eof && c->out.len == 0)
      return; /* answered all it asked; a line cut short by the close is dropped */

    struct pollfd p[3] = {{.fd = s->stop_pipe[0], .events = POLLIN},
                          {.fd = c->fd, .events = 0},
                          {.fd = following ? c->wake[0] : -1, .events = POLLIN}};
    /* Read more only when there is no complete line waiting (and always when
     * following, to notice the close). */
    bool want_read = !c->eof && (following || (!line_waiting && c->in.len <= s->max_request));
    if (want_read)
      p[1].events |= POLLIN;
    if (c->out.len)
      p[1].events |= POLLOUT;
    int timeout = -1;
    uint64_t now = now_ms();
    if (c->out.len) {
      if (now - last_out >= io_timeout)
        return; /* it does not read what it asked for */
      timeout = (int)(io_timeout - (now - last_out));
    } else if (!following && idle_timeout) {
      if (now - last_req >= idle_timeout)
        return;
      timeout = (int)(idle_timeout - (now - last_req));
    }
    if (following && c->wake[0] < 0)
      timeout = timeout < 0 || timeout > 100 ? 100 : timeout;
    /* Just answered, waiting for the next request: look a moment before sleeping
     * (ctl_internal.h, TRN_SPIN_NS). */
    if (want_read && !following && !c->out.len && c->in.len == 0 && answered)
      trN_spin_readable(c->fd);
    answered = false;
    int n = poll(p, 3, timeout);
    if (n < 0 && errno != EINTR)
      return;
    if (n <= 0)
      continue;
    if (p[0].revents)
      return; /* the server is stopping */
    if (p[2].revents & POLLIN) {
      char drain[256];
      while (read(c->wake[0], drain, sizeof drain) > 0) {
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!want_read) {
        if (p[1].revents & POLLERR)
          return;
        continue;
      }
      char buf[READ_CHUNK];
      ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r == 0) {
        c->eof = true;
      } else if (r < 0) {
        if (errno != EAGAIN && errno != EINTR)
          return;
      } else if (!following && trN_buf_put(&c->in, buf, (size_t)r)) {
        return;
      }
    }
  }
}

static void *conn_main(void *arg) {
  trN_conn *c = arg;
  serve(c);
  if (c->wake[1] >= 0) {
    trN_tap_unwatch(c->srv->tap, c->wake[1]);
    close(c->wake[0]);
    close(c->wake[1]);
  }
  close(c->fd);
  trN_buf_free(&c->in);
  trN_buf_free(&c->out);
  free(c->follow.name);
  atomic_store_explicit(&c->done, true, memory_order_release); /* pairs with reap's acquire */
  return NULL;
}

/* ---- the acceptor ----------------------------------------------------------------- */

/* Join connections that have ended (all of them when `all`). */
static void reap(troupe_ctl_server *s, bool all) {
  pthread_mutex_lock(&s->lock);
  trN_conn **pp = &s->conns;
  while (*pp) {
    trN_conn *c = *pp;
    if (all || atomic_load_explicit(&c->done, memory_order_acquire)) {
      *pp = c->next;
      s->nconns--;
      pthread_mutex_unlock(&s->lock);
      pthread_join(c->thread, NULL);
      free(c);
      pthread_mutex_lock(&s->lock);
      pp = &s->conns;
    } else {
      pp = &c->next;
    }
  }
  pthread_mutex_unlock(&s->lock);
}

static void refuse_busy(troupe_ctl_server *s, int fd) {
  trN_buf b = {0};
  if (!trN_ctl_error(&b, "BUSY", "node '%s' serves %u control connections already", s->node,
                     s->max_clients)) {
    ssize_t w = send(fd, b.p, b.len, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)w;
  }
  trN_buf_free(&b);
  close(fd);
}

static void *acceptor_main(void *arg) {
  troupe_ctl_server *s = arg;
  for (;;) {
    struct pollfd p[2] = {{.fd = s->stop_pipe[0], .events = POLLIN},
                          {.fd = s->listen_fd, .events = POLLIN}};
    int n = poll(p, 2, 1000); /* the timeout only joins ended connections sooner */
    if (n < 0 && errno != EINTR)
      break;
    if (p[0].revents)
      break;
    reap(s, false);
    if (n <= 0 || !(p[1].revents & POLLIN))
      continue;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      continue; /* ECONNABORTED, EMFILE...: the next poll tries again */
    pthread_mutex_lock(&s->lock);
    bool full = s->nconns >= s->max_clients;
    pthread_mutex_unlock(&s->lock);
    if (full) {
      refuse_busy(s, fd);
      continue;
    }
    trN_conn *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->srv = s;
    c->fd = fd;
    c->wake[0] = c->wake[1] = -1;
    atomic_init(&c->done, false);
    if (pthread_create(&c->thread, NULL, conn_main, c)) {
      close(fd);
      free(c);
      continue;
    }
    pthread_mutex_lock(&s->lock);
    c->next = s->conns;
    s->conns = c;
    s->nconns++;
    pthread_mutex_unlock(&s->lock);
  }
  return NULL;
}

/* ---- start and stop --------------------------------------------------------------- */

int troupe_ctl_server_start(const troupe_ctl_config *cfg, troupe_ctl_server **out,
                            troupe_err *err) {
  *out = NULL;
  if (!cfg || !cfg->host)
    return troupe_err_set(err, TROUPE_E_INVAL, "control server: no host");
  if (!trN_ctl_node_name_ok(cfg->node))
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "control server: bad node name '%s' (1-64 of A-Z a-z 0-9 _ - ., "
                          "not starting with '.')",
                          cfg->node ? cfg->node : "");
  char dir[PATH_MAX];
  int rc;
  if (cfg->dir) {
    if (snprintf(dir, sizeof dir, "%s", cfg->dir) >= (int)sizeof dir)
      return troupe_err_set(err, TROUPE_E_RANGE, "control directory path too long");
  } else if ((rc = troupe_ctl_default_dir(dir, sizeof dir, err))) {
    return rc;
  }
  troupe_ctl_server *s = calloc(1, sizeof *s);
  if (!s)
    return troupe_err_set(err, TROUPE_E_NOMEM, "control server: out of memory");
  s->host = cfg->host;
  s->tap = cfg->tap;
  snprintf(s->node, sizeof s->node, "%s", cfg->node);
  s->max_request = cfg->max_request_bytes ? cfg->max_request_bytes : 4u << 20;
  s->max_clients = cfg->max_clients ? cfg->max_clients : 32;
  s->io_timeout_ms = cfg->io_timeout_ms ? cfg->io_timeout_ms : 10000;
  s->idle_timeout_ms = cfg->idle_timeout_ms;
  s->no_module_files = cfg->no_module_files;
  s->started_ns = troupe_clock_mono_ns();
  s->listen_fd = s->lock_fd = s->stop_pipe[0] = s->stop_pipe[1] = -1;
  pthread_mutex_init(&s->lock, NULL);
  if ((rc = trN_ctl_dir_prepare(dir, err)) ||
      (rc = trN_ctl_path(dir, s->node, "sock", s->path, sizeof s->path, err)) ||
      (rc = trN_ctl_path(dir, s->node, "lock", s->lock_path, sizeof s->lock_path, err)) ||
      (rc = trN_ctl_lock(s->lock_path, &s->lock_fd, err)))
    goto fail;
  if ((rc = trN_ctl_listen(s->path, &s->listen_fd, err)))
    goto fail;
  if (pipe2(s->stop_pipe, O_CLOEXEC)) {
    rc = troupe_err_set(err, TROUPE_E_IO, "control server: pipe: %s", strerror(errno));
    goto fail;
  }
  /* The server's threads take no signals (they inherit this mask, and so do the
   * connection threads the acceptor makes): a node waiting for SIGINT/SIGTERM in a
   * thread of its own (sigwait) keeps getting them whatever its mask was here. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int prc = pthread_create(&s->acceptor, NULL, acceptor_main, s);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (prc) {
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "control server: cannot start a thread");
    goto fail;
  }
  *out = s;
  return TROUPE_OK;
fail:
  if (s->listen_fd >= 0) {
    close(s->listen_fd);
    unlink(s->path);
  }
  for (int i = 0; i < 2; i++)
    if (s->stop_pipe[i] >= 0)
      close(s->stop_pipe[i]);
  if (s->lock_fd >= 0)
    trN_ctl_unlock(s->lock_path, s->lock_fd);
  pthread_mutex_destroy(&s->lock);
  free(s);
  return rc;
}

const char *troupe_ctl_server_path(const troupe_ctl_server *s) { return s ? s->path : NULL; }

void troupe_ctl_server_stop(troupe_ctl_server *s) {
  if (!s)
    return;
  /* The socket goes first, so no client connects to a server that is going away. */
  unlink(s->path);
  ssize_t w = write(s->stop_pipe[1], "", 1); /* never read: every poll sees it */
  (void)w;
  pthread_join(s->acceptor, NULL);
  reap(s, true);
  close(s->listen_fd);
  close(s->stop_pipe[0]);
  close(s->stop_pipe[1]);
  trN_ctl_unlock(s->lock_path, s->lock_fd);
  pthread_mutex_destroy(&s->lock);
  free(s);
}
