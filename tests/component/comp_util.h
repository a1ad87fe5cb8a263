/*
 * tests/component/comp_util.h: helpers shared by the component tests: a host whose log
 * is captured in memory (so tests can look for audit events), module bytes read from
 * the components the build made (examples/components and tests/component/guests), JSON
 * payloads with their multicodec prefix, and invoke/ask wrappers that return text.
 * Waits poll with a generous deadline: the tests check behaviour, never speed.
 */
#ifndef TROUPE_TESTS_COMPONENT_UTIL_H
#define TROUPE_TESTS_COMPONENT_UTIL_H

#include "troupe/base.h"
#include "troupe/component.h"
#include "troupe/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef TROUPE_COMPONENTS_DIR
#error "TROUPE_COMPONENTS_DIR must name the folder of the built components"
#endif

static inline void cu_sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Poll `cond` for up to 20 s; evaluates to its last value. cond is evaluated exactly
 * once per try (it may allocate what the caller frees after the last one). */
#define CU_WAIT(cond)                                                                      \
  ({                                                                                       \
    uint64_t cu_dl_ = troupe_clock_mono_ns() + 20000000000ull;                              \
    bool cu_ok_;                                                                           \
    while (!(cu_ok_ = (cond)) && troupe_clock_mono_ns() < cu_dl_)                           \
      cu_sleep_ms(1);                                                                      \
    cu_ok_;                                                                                \
  })

/* ---- a log kept in memory ------------------------------------------------------------ */
typedef struct cu_log {
  pthread_mutex_t lock;
  char *text; /* every record as "event key=value ...\n" */
  size_t len, cap;
} cu_log;

static inline void cu_log_fn(void *user, const troupe_log_record *rec) {
  cu_log *l = user;
  char line[2048];
  int n = snprintf(line, sizeof line, "%s", rec->event);
  for (size_t i = 0; i < rec->nfields && n < (int)sizeof line; i++) {
    const troupe_log_field *f = &rec->fields[i];
    switch (f->type) {
    case TROUPE_LF_STR:
      n += snprintf(line + n, sizeof line - (size_t)n, " %s=%s", f->key, f->v.s);
      break;
    case TROUPE_LF_INT:
      n += snprintf(line + n, sizeof line - (size_t)n, " %s=%lld", f->key, (long long)f->v.i);
      break;
    case TROUPE_LF_UINT:
      n += snprintf(line + n, sizeof line - (size_t)n, " %s=%llu", f->key,
                    (unsigned long long)f->v.u);
      break;
    case TROUPE_LF_FLOAT:
      n += snprintf(line + n, sizeof line - (size_t)n, " %s=%g", f->key, f->v.f);
      break;
    case TROUPE_LF_BOOL:
      n += snprintf(line + n, sizeof line - (size_t)n, " %s=%s", f->key, f->v.b ? "true" : "false");
      break;
    }
  }
  if (n >= (int)sizeof line)
    n = (int)sizeof line - 1;
  pthread_mutex_lock(&l->lock);
  if (l->len + (size_t)n + 2 > l->cap) {
    size_t cap = (l->cap + (size_t)n + 2) * 2;
    char *t = realloc(l->text, cap);
    if (t) {
      l->text = t;
      l->cap = cap;
    }
  }
  if (l->len + (size_t)n + 2 <= l->cap) {
    memcpy(l->text + l->len, line, (size_t)n);
    l->len += (size_t)n;
    l->text[l->len++] = '\n';
    l->text[l->len] = '\0';
  }
  pthread_mutex_unlock(&l->lock);
}

/* Does the log hold a line containing every one of the NULL-terminated needles? */
static inline bool cu_log_has(cu_log *l, const char *a, const char *b) {
  bool found = false;
  pthread_mutex_lock(&l->lock);
  for (const char *p = l->text; p && *p && !found;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *line = strndup(p, n);
    found = line && strstr(line, a) && (!b || strstr(line, b));
    free(line);
    p = e ? e + 1 : p + n;
  }
  pthread_mutex_unlock(&l->lock);
  return found;
}

/* ---- a host ---------------------------------------------------------------------------- */
typedef struct cu_host {
  troupe_host *h;
  troupe_logger *lg;
  troupe_store *store;
  cu_log log;
} cu_host;

/* A host with `workers` workers whose store is the folder of the built components;
 * with run_here false, the host's blocking calls into a component always go through a
 * worker (troupe_host_config.no_run_here: for tests of the workers' scheduling). */
static inline int cu_host_new_ex(cu_host *c, unsigned workers, bool run_here) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->log.lock, NULL);
  c->lg = troupe_logger_callback(cu_log_fn, &c->log, TROUPE_LOG_DEBUG);
  if (troupe_store_dir_new(TROUPE_COMPONENTS_DIR, &c->store, NULL))
    return -1;
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = workers;
  cfg.store = c->store;
  cfg.log = c->lg;
  cfg.no_run_here = !run_here;
  troupe_err err;
  int rc = troupe_host_new(&cfg, &c->h, &err);
  if (rc)
    fprintf(stderr, "host: %s\n", err.msg);
  return rc;
}

static inline int cu_host_new(cu_host *c, unsigned workers) {
  return cu_host_new_ex(c, workers, true);
}

static inline void cu_host_free(cu_host *c) {
  troupe_host_free(c->h);
  troupe_store_free(c->store);
  troupe_logger_free(c->lg);
  free(c->log.text);
  pthread_mutex_destroy(&c->log.lock);
}

/* A spec for module `module` (a name in the components folder) named `name`. */
static inline troupe_component_spec cu_spec(const char *name, const char *module) {
  troupe_component_spec s;
  memset(&s, 0, sizeof s);
  s.name = name;
  s.module = module;
  return s;
}

/* Spawn; on failure print the error and return 0. */
static inline troupe_component_id cu_spawn(cu_host *c, const troupe_component_spec *s) {
  troupe_component_id id = 0;
  troupe_err err;
  if (troupe_host_spawn(c->h, s, &id, &err)) {
    fprintf(stderr, "spawn '%s': %s\n", s->name, err.msg);
    return 0;
  }
  return id;
}

/* JSON text with the JSON multicodec prefix (0x0200 as a varint: 0x80 0x04), malloc'd. */
static inline uint8_t *cu_json(const char *text, size_t *len) {
  size_t n = strlen(text);
  uint8_t *b = malloc(n + 2);
  b[0] = 0x80;
  b[1] = 0x04;
  memcpy(b + 2, text, n);
  *len = n + 2;
  return b;
}

/* Invoke fn with a JSON argument (NULL: none). Returns the status; *out (may be NULL)
 * receives the JSON text of the result without its prefix, or the error message. */
static inline int cu_invoke(cu_host *c, troupe_component_id id, const char *fn, const char *json,
                            char **out) {
  size_t alen = 0;
  uint8_t *args = json ? cu_json(json, &alen) : NULL;
  uint8_t *res = NULL;
  size_t rlen = 0;
  troupe_err err;
  int rc = troupe_host_invoke(c->h, id, fn, args, alen, TROUPE_SEC(20), &res, &rlen, &err);
  free(args);
  if (out) {
    if (rc)
      *out = strdup(err.msg);
    else if (rlen >= 2)
      *out = strndup((const char *)res + 2, rlen - 2);
    else
      *out = strdup("");
  }
  free(res);
  return rc;
}

/* Whether fn (no argument) succeeds with a result that starts with prefix / contains
 * needle. For CU_WAIT loops: a failed try (say, "not ready" while a restart is under
 * way) is simply false, and nothing it returned is kept. */
static inline bool cu_invoke_starts(cu_host *c, troupe_component_id id, const char *fn,
                                    const char *prefix) {
  char *out = NULL;
  bool ok = cu_invoke(c, id, fn, NULL, &out) == 0 && strncmp(out, prefix, strlen(prefix)) == 0;
  free(out);
  return ok;
}

static inline bool cu_invoke_contains(cu_host *c, troupe_component_id id, const char *fn,
                                      const char *needle) {
  char *out = NULL;
  bool ok = cu_invoke(c, id, fn, NULL, &out) == 0 && strstr(out, needle) != NULL;
  free(out);
  return ok;
}

/* Invoke and return the integer result (or the negative status). */
static inline long long cu_invoke_int(cu_host *c, troupe_component_id id, const char *fn,
                                      const char *json) {
  char *out = NULL;
  int rc = cu_invoke(c, id, fn, json, &out);
  long long v = rc ? rc : strtoll(out, NULL, 10);
  if (rc)
    fprintf(stderr, "invoke %s: %s\n", fn, out);
  free(out);
  return v;
}

static inline int cu_send_json(cu_host *c, troupe_component_id id, const char *json) {
  size_t n;
  uint8_t *b = cu_json(json, &n);
  int rc = troupe_host_send(c->h, id, 1, b, n, NULL);
  free(b);
  return rc;
}

static inline troupe_component_state cu_state(cu_host *c, troupe_component_id id) {
  troupe_component_info info;
  if (troupe_host_info(c->h, id, &info, NULL))
    return TROUPE_COMPONENT_TERMINATED;
  troupe_component_state s = info.state;
  troupe_component_info_clear(&info);
  return s;
}

static inline uint32_t cu_restarts(cu_host *c, troupe_component_id id) {
  troupe_component_info info;
  if (troupe_host_info(c->h, id, &info, NULL))
    return 0;
  uint32_t n = info.restarts;
  troupe_component_info_clear(&info);
  return n;
}

/* The bytes of a built component file (malloc'd), or NULL. */
static inline uint8_t *cu_module_bytes(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wasm", TROUPE_COMPONENTS_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
  *len = b && fread(b, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
  fclose(f);
  return b;
}

#endif
