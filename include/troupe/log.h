/*
 * troupe/log.h: the audit/log sink. Every event in Troupe (lifecycle, crashes, CLI
 * diagnostics) is a record: time, level, event name and typed fields. The default sink
 * writes one JSON object per line to stderr or a file; an embedder can install its own
 * callback instead. Sinks are thread-safe: a record is formatted then written with one
 * write(2), so lines from concurrent threads never interleave.
 */
#ifndef TROUPE_LOG_H
#define TROUPE_LOG_H

#include "troupe/error.h"

typedef enum troupe_log_level {
  TROUPE_LOG_DEBUG = 0,
  TROUPE_LOG_INFO = 1,
  TROUPE_LOG_WARN = 2,
  TROUPE_LOG_ERROR = 3,
  TROUPE_LOG_OFF = 4,
} troupe_log_level;

typedef enum troupe_log_type {
  TROUPE_LF_STR, TROUPE_LF_INT, TROUPE_LF_UINT, TROUPE_LF_FLOAT, TROUPE_LF_BOOL,
} troupe_log_type;

/* One field of a record. Strings are borrowed for the duration of the emit call. */
typedef struct troupe_log_field {
  const char *key;
  troupe_log_type type;
  union {
    const char *s;
    int64_t i;
    uint64_t u;
    double f;
    bool b;
  } v;
} troupe_log_field;

#define TROUPE_LOG_STR(k, x) ((troupe_log_field){.key = (k), .type = TROUPE_LF_STR, .v.s = (x)})
#define TROUPE_LOG_INT(k, x) ((troupe_log_field){.key = (k), .type = TROUPE_LF_INT, .v.i = (x)})
#define TROUPE_LOG_UINT(k, x) ((troupe_log_field){.key = (k), .type = TROUPE_LF_UINT, .v.u = (x)})
#define TROUPE_LOG_FLOAT(k, x) ((troupe_log_field){.key = (k), .type = TROUPE_LF_FLOAT, .v.f = (x)})
#define TROUPE_LOG_BOOL(k, x) ((troupe_log_field){.key = (k), .type = TROUPE_LF_BOOL, .v.b = (x)})

/* A record as handed to a callback sink. time_ns is wall-clock nanoseconds since 1970. */
typedef struct troupe_log_record {
  uint64_t time_ns;
  troupe_log_level level;
  const char *event;
  const troupe_log_field *fields;
  size_t nfields;
} troupe_log_record;

typedef void (*troupe_log_fn)(void *user, const troupe_log_record *rec);

typedef struct troupe_logger troupe_logger;

#ifdef __cplusplus
extern "C" {
#endif

/* JSON lines to stderr. */
TROUPE_API troupe_logger *troupe_logger_stderr(troupe_log_level min_level);
/* JSON lines appended to a file (created if missing). */
TROUPE_API troupe_logger *troupe_logger_file(const char *path, troupe_log_level min_level,
                                             troupe_err *err);
/* Records handed to fn(user, rec); fn must be thread-safe. */
TROUPE_API troupe_logger *troupe_logger_callback(troupe_log_fn fn, void *user,
                                                 troupe_log_level min_level);
TROUPE_API void troupe_logger_free(troupe_logger *lg);
TROUPE_API void troupe_logger_set_level(troupe_logger *lg, troupe_log_level min_level);
TROUPE_API bool troupe_logger_enabled(const troupe_logger *lg, troupe_log_level level);

/* Emit one record. lg may be NULL: the record is dropped (a silent logger). */
TROUPE_API void troupe_log(troupe_logger *lg, troupe_log_level level, const char *event,
                           const troupe_log_field *fields, size_t nfields);

/* Format a record as one JSON line (with the trailing newline) into buf; returns the
 * length it needed (like snprintf), so a caller can retry with a bigger buffer. */
TROUPE_API size_t troupe_log_format_json(const troupe_log_record *rec, char *buf, size_t cap);

TROUPE_API const char *troupe_log_level_name(troupe_log_level level);

#ifdef __cplusplus
}
#endif
#endif
