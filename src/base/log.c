/*
 * base/log.c: the audit/log sink. A record is formatted into one JSON line
 * {"time":"...","level":"info","event":"...", <fields>} and written with a single
 * write(2) (O_APPEND for files), which keeps concurrent lines whole without a lock.
 * Callback sinks receive the record unformatted.
 */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

struct troupe_logger {
  _Atomic int min_level; /* relaxed: a level change need not be seen at once */
  int fd;                /* -1 for callback sinks */
  bool owns_fd;
  troupe_log_fn fn;
  void *user;
};

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

const char *troupe_log_level_name(troupe_log_level level) {
  return (unsigned)level <= TROUPE_LOG_OFF ? level_names[level] : "?";
}

static troupe_logger *logger_new(int fd, bool owns, troupe_log_fn fn, void *user,
                                 troupe_log_level lvl) {
  troupe_logger *lg = trB_calloc(1, sizeof *lg);
  if (!lg)
    return NULL;
  atomic_init(&lg->min_level, (int)lvl);
  lg->fd = fd;
  lg->owns_fd = owns;
  lg->fn = fn;
  lg->user = user;
  return lg;
}

troupe_logger *troupe_logger_stderr(troupe_log_level min_level) {
  return logger_new(STDERR_FILENO, false, NULL, NULL, min_level);
}

troupe_logger *troupe_logger_file(const char *path, troupe_log_level min_level, troupe_err *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    troupe_err_set(err, TROUPE_E_IO, "log: cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  troupe_logger *lg = logger_new(fd, true, NULL, NULL, min_level);
  if (!lg) {
    close(fd);
    troupe_err_set(err, TROUPE_E_NOMEM, "log: out of memory");
  }
  return lg;
}

troupe_logger *troupe_logger_callback(troupe_log_fn fn, void *user, troupe_log_level min_level) {
  if (!fn)
    return NULL;
  return logger_new(-1, false, fn, user, min_level);
}

void troupe_logger_free(troupe_logger *lg) {
  if (!lg)
    return;
  if (lg->owns_fd)
    close(lg->fd);
  free(lg);
}

void troupe_logger_set_level(troupe_logger *lg, troupe_log_level min_level) {
  if (lg)
    atomic_store_explicit(&lg->min_level, (int)min_level, memory_order_relaxed);
}

bool troupe_logger_enabled(const troupe_logger *lg, troupe_log_level level) {
  return lg && (int)level >= atomic_load_explicit(&((troupe_logger *)lg)->min_level,
                                                  memory_order_relaxed);
}

/* A bounded appender: counts what it would have written so the caller learns the size. */
typedef struct {
  char *buf;
  size_t cap, len;
} sbuf;

static void put_mem(sbuf *b, const char *s, size_t n) {
  if (b->len < b->cap) {
    size_t room = b->cap - b->len;
    memcpy(b->buf + b->len, s, n < room ? n : room);
  }
  b->len += n;
}
static void put_str(sbuf *b, const char *s) { put_mem(b, s, strlen(s)); }

static void put_fmt(sbuf *b, const char *fmt, ...) TROUPE_PRINTF(2, 3);
static void put_fmt(sbuf *b, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0)
    put_mem(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Decimal digits without printf: a line carries several numbers, and the node writes
 * one line per component started (vsnprintf was a third of a line's ~2 us). */
static void put_u64(sbuf *b, uint64_t v) {
  char tmp[20];
  const char *p = trB_u64_digits(tmp, v);
  put_mem(b, p, (size_t)(tmp + sizeof tmp - p));
}
static void put_i64(sbuf *b, int64_t v) {
  if (v < 0) {
    put_mem(b, "-", 1);
    put_u64(b, (uint64_t)0 - (uint64_t)v);
  } else {
    put_u64(b, (uint64_t)v);
  }
}

size_t trB_json_escape(unsigned char c, char e[6]) {
  static const char hex[] = "0123456789abcdef";
  e[0] = '\\';
  switch (c) {
  case '"': e[1] = '"'; return 2;
  case '\\': e[1] = '\\'; return 2;
  case '\n': e[1] = 'n'; return 2;
  case '\r': e[1] = 'r'; return 2;
  case '\t': e[1] = 't'; return 2;
  default:
    memcpy(e + 1, "u00", 3);
    e[4] = hex[c >> 4];
    e[5] = hex[c & 15];
    return 6;
  }
}

/* A JSON string (base.h: trB_json_plain, trB_json_escape). */
static void put_json_str(sbuf *b, const char *s) {
  put_mem(b, "\"", 1);
  for (s = s ? s : "";;) {
    size_t n = trB_json_plain(s);
    put_mem(b, s, n);
    s += n;
    if (!*s)
      break;
    char e[6];
    put_mem(b, e, trB_json_escape((unsigned char)*s++, e));
  }
  put_mem(b, "\"", 1);
}

size_t troupe_log_format_json(const troupe_log_record *rec, char *buf, size_t cap) {
  sbuf b = {buf, cap, 0};
  char ts[40];
  troupe_clock_format_rfc3339(rec->time_ns, ts, sizeof ts);
  put_str(&b, "{\"time\":\"");
  put_str(&b, ts);
  put_str(&b, "\",\"level\":\"");
  put_str(&b, troupe_log_level_name(rec->level));
  put_str(&b, "\",\"event\":");
  put_json_str(&b, rec->event);
  for (size_t i = 0; i < rec->nfields; i++) {
    const troupe_log_field *f = &rec->fields[i];
    put_mem(&b, ",", 1);
    put_json_str(&b, f->key);
    put_mem(&b, ":", 1);
    switch (f->type) {
    case TROUPE_LF_STR: put_json_str(&b, f->v.s); break;
    case TROUPE_LF_INT: put_i64(&b, f->v.i); break;
    case TROUPE_LF_UINT: put_u64(&b, f->v.u); break;
    case TROUPE_LF_BOOL: put_str(&b, f->v.b ? "true" : "false"); break;
    case TROUPE_LF_FLOAT:
      if (isfinite(f->v.f))
        put_fmt(&b, "%.17g", f->v.f);
      else
        put_str(&b, "null"); /* JSON has no NaN or infinity */
      break;
    }
  }
  put_str(&b, "}\n");
  if (cap) /* NUL-terminate, truncating when the line did not fit */
    buf[b.len < cap ? b.len : cap - 1] = '\0';
  return b.len;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return; /* a log sink has nowhere to report its own failure */
    }
    p += w;
    n -= (size_t)w;
  }
}

void troupe_log(troupe_logger *lg, troupe_log_level level, const char *event,
                const troupe_log_field *fields, size_t nfields) {
  if (!troupe_logger_enabled(lg, level))
    return;
  troupe_log_record rec = {troupe_clock_wall_ns(), level, event, fields, nfields};
  if (lg->fn) {
    lg->fn(lg->user, &rec);
    return;
  }
  char stack[1024];
  size_t n = troupe_log_format_json(&rec, stack, sizeof stack);
  if (n < sizeof stack) {
    write_all(lg->fd, stack, n);
    return;
  }
  char *heap = trB_malloc(n + 1);
  if (!heap) { /* keep the line valid JSON even when truncated by memory pressure */
    static const char oom[] = "{\"event\":\"log.truncated\",\"reason\":\"out of memory\"}\n";
    write_all(lg->fd, oom, sizeof oom - 1);
    return;
  }
  troupe_log_format_json(&rec, heap, n + 1);
  write_all(lg->fd, heap, n);
  free(heap);
}
