/*
 * node/ctl_tap.c: the log tap. A troupe_logger callback that formats each record once
 * as a JSON line into a ring of the last N records (what `logs` shows), wakes the `logs
 * -f` followers and forwards the record to the node's real logger. Followers do not
 * get queues of their own: each keeps a cursor (a record sequence number) into the
 * shared ring, so a slow follower costs no memory; when the ring has moved past its
 * cursor it is told how many records it lost (a control.logs_dropped record) instead
 * of holding up the components that log.
 */
#include "node/ctl_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "troupe/base.h"

#define TAP_LINE_MAX (64u * 1024) /* longer records are kept as a truncation marker */

typedef struct tap_rec {
  char *line; /* JSON, without the newline; NULL for a free slot */
  size_t len;
  char *name; /* the record's "name" field (the component), or NULL */
} tap_rec;

struct troupe_ctl_tap {
  troupe_logger *logger;
  troupe_logger *forward;
  troupe_log_level min;
  pthread_mutex_t lock; /* guards everything below */
  tap_rec *ring;
  size_t cap;
  uint64_t next; /* sequence number of the next record; ring[seq % cap] */
  int *watch;
  size_t nwatch, capwatch;
};

static char *format_line(const troupe_log_record *rec, size_t *len) {
  char stack[1024];
  size_t n = troupe_log_format_json(rec, stack, sizeof stack);
  char *line;
  if (n > TAP_LINE_MAX) {
    troupe_log_field f[] = {TROUPE_LOG_STR("truncated_event", rec->event),
                            TROUPE_LOG_UINT("bytes", n)};
    troupe_log_record t = {rec->time_ns, rec->level, "log.truncated", f, 2};
    n = troupe_log_format_json(&t, stack, sizeof stack);
  }
  if (n < sizeof stack) {
    line = malloc(n + 1);
    if (line)
      memcpy(line, stack, n + 1);
  } else {
    line = malloc(n + 1);
    if (line)
      troupe_log_format_json(rec, line, n + 1);
  }
  if (line && n && line[n - 1] == '\n')
    line[--n] = '\0';
  *len = n;
  return line;
}

static void tap_record(void *user, const troupe_log_record *rec) {
  troupe_ctl_tap *t = user;
  if (rec->level >= t->min) {
    size_t len = 0;
    char *line = format_line(rec, &len);
    char *name = NULL;
    for (size_t i = 0; i < rec->nfields; i++)
      if (rec->fields[i].type == TROUPE_LF_STR && !strcmp(rec->fields[i].key, "name") &&
          rec->fields[i].v.s) {
        name = strdup(rec->fields[i].v.s);
        break;
      }
    if (line) { /* out of memory: the record is lost to the tap, not to the forward */
      pthread_mutex_lock(&t->lock);
      tap_rec *slot = &t->ring[t->next % t->cap];
      char *old_line = slot->line, *old_name = slot->name;
      *slot = (tap_rec){line, len, name};
      name = NULL;
      t->next++;
      for (size_t i = 0; i < t->nwatch; i++) {
        ssize_t w = write(t->watch[i], "", 1); /* full pipe: already woken */
        (void)w;
      }
      pthread_mutex_unlock(&t->lock);
      free(old_line);
      free(old_name);
    }
    free(name);
  }
  if (t->forward)
    troupe_log(t->forward, rec->level, rec->event, rec->fields, rec->nfields);
}

int troupe_ctl_tap_new(size_t capacity, troupe_log_level min_level, troupe_logger *forward,
                       troupe_ctl_tap **out, troupe_err *err) {
  *out = NULL;
  if (capacity == 0)
    capacity = 1000;
  if (min_level > TROUPE_LOG_OFF)
    return troupe_err_set(err, TROUPE_E_INVAL, "log tap: bad level %d", (int)min_level);
  troupe_ctl_tap *t = calloc(1, sizeof *t);
  if (!t || !(t->ring = calloc(capacity, sizeof *t->ring))) {
    free(t);
    return troupe_err_set(err, TROUPE_E_NOMEM, "log tap: out of memory");
  }
  t->cap = capacity;
  t->min = min_level;
  t->forward = forward;
  pthread_mutex_init(&t->lock, NULL);
  /* The logger lets through what either the ring or the forward wants. */
  troupe_log_level lvl = min_level;
  for (troupe_log_level l = TROUPE_LOG_DEBUG; l < lvl; l++)
    if (troupe_logger_enabled(forward, l)) {
      lvl = l;
      break;
    }
  t->logger = troupe_logger_callback(tap_record, t, lvl);
  if (!t->logger) {
    troupe_ctl_tap_free(t);
    return troupe_err_set(err, TROUPE_E_NOMEM, "log tap: out of memory");
  }
  *out = t;
  return TROUPE_OK;
}

troupe_logger *troupe_ctl_tap_logger(troupe_ctl_tap *tap) { return tap ? tap->logger : NULL; }

void troupe_ctl_tap_free(troupe_ctl_tap *t) {
  if (!t)
    return;
  troupe_logger_free(t->logger);
  for (size_t i = 0; i < t->cap; i++) {
    free(t->ring[i].line);
    free(t->ring[i].name);
  }
  free(t->ring);
  free(t->watch);
  pthread_mutex_destroy(&t->lock);
  free(t);
}

void trN_tap_watch(troupe_ctl_tap *t, int fd) {
  pthread_mutex_lock(&t->lock);
  if (t->nwatch == t->capwatch) {
    size_t cap = t->capwatch ? t->capwatch * 2 : 8;
    int *w = realloc(t->watch, cap * sizeof *w);
    if (w) {
      t->watch = w;
      t->capwatch = cap;
    }
  }
  if (t->nwatch < t->capwatch) /* else not woken: it still reads at its next wake-up */
    t->watch[t->nwatch++] = fd;
  pthread_mutex_unlock(&t->lock);
}

void trN_tap_unwatch(troupe_ctl_tap *t, int fd) {
  pthread_mutex_lock(&t->lock);
  for (size_t i = 0; i < t->nwatch; i++)
    if (t->watch[i] == fd) {
      t->watch[i] = t->watch[--t->nwatch];
      break;
    }
  pthread_mutex_unlock(&t->lock);
}

static uint64_t first_kept(const troupe_ctl_tap *t) { return t->next > t->cap ? t->next - t->cap : 0; }

uint64_t trN_tap_cursor(troupe_ctl_tap *t, size_t backlog) {
  pthread_mutex_lock(&t->lock);
  uint64_t first = first_kept(t);
  uint64_t c = backlog >= t->next - first ? first : t->next - backlog;
  pthread_mutex_unlock(&t->lock);
  return c;
}

static int put_sep(trN_buf *out, bool stream) {
  if (stream || out->len == 0 || out->p[out->len - 1] == '[')
    return TROUPE_OK;
  return trN_buf_put(out, ",", 1);
}

int trN_tap_read(troupe_ctl_tap *t, uint64_t *cursor, const char *name, trN_buf *out,
                 size_t max, bool stream) {
  int rc = TROUPE_OK;
  pthread_mutex_lock(&t->lock);
  uint64_t first = first_kept(t);
  if (*cursor < first) {
    troupe_log_field f[] = {TROUPE_LOG_UINT("dropped", first - *cursor)};
    troupe_log_record r = {troupe_clock_wall_ns(), TROUPE_LOG_WARN, "control.logs_dropped", f, 1};
    char line[256];
    size_t n = troupe_log_format_json(&r, line, sizeof line);
    if (n < sizeof line && line[n - 1] == '\n')
      n -= stream ? 0 : 1;
    if (!(rc = put_sep(out, stream)))
      rc = trN_buf_put(out, line, n);
    *cursor = first;
  }
  for (; rc == TROUPE_OK && *cursor < t->next && out->len < max; ++*cursor) {
    const tap_rec *r = &t->ring[*cursor % t->cap];
    if (!r->line || (name && (!r->name || strcmp(r->name, name))))
      continue;
    if (!(rc = put_sep(out, stream)) && !(rc = trN_buf_put(out, r->line, r->len)) && stream)
      rc = trN_buf_put(out, "\n", 1);
  }
  pthread_mutex_unlock(&t->lock);
  return rc;
}
