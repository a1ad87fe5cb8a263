/*
 * cli/cmd_run.c: `troupe run APP.yaml` -- the node in the foreground (troupe/node.h).
 * It loads and checks the manifest (the same errors as `troupe check`), starts the
 * tree, serves the control socket, logs JSON lines, and waits:
 *
 *   SIGINT / SIGTERM   stop in order (reverse start order, _cleanup under timeouts) on a
 *                      stopper thread, exit 0; a second signal meanwhile forces the exit
 *                      (status 128 + the signal), as a second Ctrl-C does elsewhere
 *   root gives up      the application ended itself: stop what is left, print the
 *                      reason, exit 1
 *   --watch            a module file of the manifest written (inotify): validated and
 *                      hot-upgraded in place, one line per component on stderr
 *
 * The signals are blocked in every thread (the mask is set before the node makes its
 * threads, which inherit it) and taken here with sigtimedwait: no handler runs inside
 * the runtime, and the main thread polls the root and the watch between waits.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "troupe/node.h"

static void usage(FILE *out) {
  fputs("usage: troupe run APP.yaml [options]\n"
        "  Run the application of a manifest in the foreground until SIGINT/SIGTERM (a\n"
        "  second signal forces). Logs are JSON lines (stderr, or node.log / --log).\n"
        "  --watch             hot-upgrade a component when its module file changes\n"
        "  --log FILE          append the log to FILE ('-' = stderr)\n"
        "  --store PATH        the SQLite component store (default: node.store, else\n"
        "                      $XDG_DATA_HOME/troupe/store.db)\n"
        "  --modules-dir DIR   the folder module paths are relative to\n"
        "  --control-dir DIR   the control socket's folder (also $TROUPE_CONTROL_DIR)\n"
        "  --no-control        no control socket\n"
        "  --workers N         worker threads (default: node.workers, else one per core)\n"
        "  --http ADDR:PORT    serve metrics, the admin API and the observer page over\n"
        "                      HTTP (loopback only unless a token is set; port 0: any)\n"
        "  --http-token-file F the bearer token every HTTP request must carry (also\n"
        "                      $TROUPE_HTTP_TOKEN)\n"
        "  --trace-sample P    log the spans of this share (0 to 1) of message chains\n"
        "                      (troupe trace ID shows one)\n",
        out);
}

/* The token file's first line (a trailing newline is not part of the token). Not
 * taken on the command line, where every user of the machine could read it in ps. */
static int read_token(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) {
    trL_error("run: --http-token-file '%s': %s", path, strerror(errno));
    return -1;
  }
  bool ok = fgets(buf, (int)cap, f) != NULL;
  fclose(f);
  buf[ok ? strcspn(buf, "\r\n") : 0] = '\0';
  if (!buf[0]) {
    trL_error("run: --http-token-file '%s' is empty", path);
    return -1;
  }
  return 0;
}

typedef struct stopper {
  troupe_node *node;
  _Atomic bool done;
} stopper;

static void *stop_thread(void *arg) {
  stopper *s = arg;
  troupe_node_stop(s->node);
  atomic_store(&s->done, true);
  return NULL;
}

/* ---- --watch ---------------------------------------------------------------------------- */
typedef struct watch {
  int fd;
  struct { int wd; char *dir; } *dirs;
  size_t n;
} watch;

static bool watch_start(watch *w, const troupe_manifest *m) {
  w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->fd < 0) {
    trL_error("--watch: inotify: %s", strerror(errno));
    return false;
  }
  w->dirs = calloc(m->ncomponents ? m->ncomponents : 1, sizeof *w->dirs);
  if (!w->dirs)
    return false;
  for (size_t i = 0; i < m->ncomponents; i++) {
    const char *p = m->components[i].module_path;
    if (!p)
      continue;
    char *dir = strdup(p);
    if (!dir)
      return false;
    char *slash = strrchr(dir, '/');
    if (slash)
      *(slash == dir ? slash + 1 : slash) = '\0';
    else
      strcpy(dir, ".");
    /* editors replace files by renaming: watch the folder, not the file */
    int wd = inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO);
    if (wd < 0) {
      trL_error("--watch: cannot watch '%s': %s", dir, strerror(errno));
      free(dir);
      return false;
    }
    bool known = false;
    for (size_t j = 0; j < w->n; j++)
      known |= w->dirs[j].wd == wd;
    if (known)
      free(dir);
    else {
      w->dirs[w->n].wd = wd;
      w->dirs[w->n++].dir = dir;
    }
  }
  return true;
}

static void watch_stop(watch *w) {
  for (size_t i = 0; i < w->n; i++)
    free(w->dirs[i].dir);
  free(w->dirs);
  if (w->fd >= 0)
    close(w->fd);
}

/* Changed files since the last look: each module file of the manifest that changed is
 * upgraded once, however many events it had. */
static void watch_poll(watch *w, troupe_node *node, const troupe_manifest *m) {
  char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
  char **changed = NULL;
  size_t nchanged = 0;
  for (;;) {
    ssize_t len = read(w->fd, buf, sizeof buf);
    if (len <= 0)
      break;
    for (char *p = buf; p < buf + len;) {
      struct inotify_event *ev = (struct inotify_event *)(void *)p;
      p += sizeof *ev + ev->len;
      if (!ev->len)
        continue;
      const char *dir = NULL;
      for (size_t i = 0; i < w->n; i++)
        if (w->dirs[i].wd == ev->wd)
          dir = w->dirs[i].dir;
      if (!dir)
        continue;
      char path[PATH_MAX];
      snprintf(path, sizeof path, "%s/%s", dir, ev->name);
      bool ours = false;
      for (size_t i = 0; i < m->ncomponents && !ours; i++) {
        const char *mp = m->components[i].module_path;
        const char *base = mp ? strrchr(mp, '/') : NULL;
        ours = mp && !strcmp(base ? base + 1 : mp, ev->name);
      }
      bool seen = false;
      for (size_t i = 0; i < nchanged; i++)
        seen |= !strcmp(changed[i], path);
      if (!ours || seen)
        continue;
      char **v = realloc(changed, (nchanged + 1) * sizeof *v);
      if (!v)
        break;
      changed = v;
      if ((changed[nchanged] = strdup(path)))
        nchanged++;
    }
  }
  for (size_t i = 0; i < nchanged; i++) {
    char *report = NULL;
    troupe_err err;
    troupe_err_clear(&err);
    int rc = troupe_node_reload_file(node, changed[i], &report, &err);
    if (report) {
      for (char *line = strtok(report, "\n"); line; line = strtok(NULL, "\n"))
        fprintf(stderr, "troupe: --watch: %s\n", line);
    } else if (rc && rc != TROUPE_E_NOTFOUND) {
      trL_error("--watch: %s", err.msg);
    }
    free(report);
    free(changed[i]);
  }
  free(changed);
}

/* ---- the command ------------------------------------------------------------------------ */
int trL_cmd_run(int argc, char **argv) {
  const char *file = NULL, *modules_dir = NULL, *token_file = NULL;
  troupe_node_options o = {0};
  bool want_watch = false;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    if (trL_is_help(argv[i])) {
      usage(stdout);
      return TR_EXIT_OK;
    } else if (!strcmp(argv[i], "--watch")) {
      want_watch = true;
    } else if (!strcmp(argv[i], "--no-control")) {
      o.no_control = true;
    } else if ((v = trL_opt_value(argc, argv, &i, "--log", &missing)) || missing) {
      o.log = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--store", &missing)) || missing) {
      o.store = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--modules-dir", &missing)) || missing) {
      modules_dir = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--control-dir", &missing)) || missing) {
      o.control_dir = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--http", &missing)) || missing) {
      o.http = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--http-token-file", &missing)) || missing) {
      token_file = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--trace-sample", &missing)) || missing) {
      char *end = NULL;
      double p = v ? strtod(v, &end) : 0;
      if (v && (end == v || *end || !(p >= 0 && p <= 1))) {
        trL_error("run: --trace-sample wants a number from 0 to 1, not '%s'", v);
        return TR_EXIT_USAGE;
      }
      o.trace_sample = p;
    } else if ((v = trL_opt_value(argc, argv, &i, "--workers", &missing)) || missing) {
      char *end = NULL;
      long w = v ? strtol(v, &end, 10) : 0;
      if (v && (*end || w < 1 || w > 1024)) {
        trL_error("run: --workers wants a number from 1 to 1024, not '%s'", v);
        return TR_EXIT_USAGE;
      }
      o.workers = (unsigned)w;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      trL_error("run: unknown option '%s'", argv[i]);
      usage(stderr);
      return TR_EXIT_USAGE;
    } else if (!file) {
      file = argv[i];
    } else {
      trL_error("run: one manifest at a time ('%s' and '%s')", file, argv[i]);
      return TR_EXIT_USAGE;
    }
    if (missing) {
      trL_error("run: %s needs a value", argv[i]);
      return TR_EXIT_USAGE;
    }
  }
  if (!file) {
    trL_error("run: no manifest given");
    usage(stderr);
    return TR_EXIT_USAGE;
  }
  if (!o.control_dir)
    o.control_dir = getenv("TROUPE_CONTROL_DIR");
  char token[300] = "";
  if (token_file || getenv("TROUPE_HTTP_TOKEN")) {
    if (!o.http) {
      trL_error("run: a token without --http");
      return TR_EXIT_USAGE;
    }
    if (token_file ? read_token(token_file, token, sizeof token) : 0)
      return TR_EXIT_USAGE;
    if (!token_file)
      snprintf(token, sizeof token, "%s", getenv("TROUPE_HTTP_TOKEN"));
    o.http_token = token;
  }

  troupe_manifest_options mo = {.modules_dir = modules_dir};
  troupe_manifest *m = NULL;
  troupe_manifest_errors errs = {0};
  int rc = troupe_manifest_load_ex(file, &mo, &m, &errs);
  if (rc) {
    for (size_t i = 0; i < errs.n; i++) {
      char line[1024];
      troupe_manifest_error_format(&errs.v[i], line, sizeof line);
      fprintf(stderr, "%s\n", line);
    }
    if (errs.more)
      fprintf(stderr, "%s: %zu more errors\n", file, errs.more);
    troupe_manifest_errors_clear(&errs);
    return rc == TROUPE_E_IO ? TR_EXIT_IO : TR_EXIT_FAIL;
  }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the node's threads exist */

  troupe_node *node = NULL;
  troupe_err err;
  troupe_err_clear(&err);
  if ((rc = troupe_node_start(m, &o, &node, &err))) {
    trL_error("%s", err.msg);
    troupe_manifest_free(m);
    return rc == TROUPE_E_IO ? TR_EXIT_IO : TR_EXIT_FAIL;
  }
  fprintf(stderr, "troupe: node '%s' running %zu components under %zu supervisors%s%s\n",
          troupe_node_name(node), m->ncomponents, m->nsupervisors,
          troupe_node_socket(node) ? "; control socket " : "",
          troupe_node_socket(node) ? troupe_node_socket(node) : "");
  if (o.http)
    fprintf(stderr, "troupe: admin HTTP on port %u (%s): /metrics, /api/...\n",
            (unsigned)troupe_node_http_port(node), o.http);
  watch w = {.fd = -1};
  if (want_watch && !watch_start(&w, m)) {
    watch_stop(&w);
    troupe_node_stop(node);
    troupe_manifest_free(m);
    return TR_EXIT_FAIL;
  }

  stopper st = {.node = node};
  pthread_t stop_tid;
  bool stopping = false;
  int status = TR_EXIT_OK;
  for (;;) {
    struct timespec tick = {0, 50 * 1000 * 1000};
    siginfo_t si;
    int sig = sigtimedwait(&set, &si, &tick);
    if (sig > 0) {
      if (stopping) {
        fprintf(stderr, "troupe: %s again: forced exit\n", strsignal(sig));
        _exit(128 + sig);
      }
      fprintf(stderr, "troupe: %s: stopping node '%s'\n", strsignal(sig), troupe_node_name(node));
      stopping = true;
      if (pthread_create(&stop_tid, NULL, stop_thread, &st)) {
        troupe_node_stop(node); /* no thread: stop here, no forcing then */
        break;
      }
      continue;
    }
    if (stopping) {
      if (atomic_load(&st.done)) {
        pthread_join(stop_tid, NULL);
        break;
      }
      continue;
    }
    troupe_exit_reason why;
    if (troupe_node_wait_down(node, 0, &why) == TROUPE_OK) {
      trL_error("node '%s': %s", troupe_node_name(node),
                why.message ? why.message : "the root supervisor ended");
      free((void *)why.message);
      troupe_node_stop(node);
      status = TR_EXIT_FAIL;
      break;
    }
    if (w.fd >= 0)
      watch_poll(&w, node, m);
  }
  watch_stop(&w);
  troupe_manifest_free(m);
  return status;
}
