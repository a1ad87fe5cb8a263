/*
 * skip.c: reads skip.txt, the one list of what the spec runner does not run and why.
 * Lines are "KIND TARGET REASON..." (KIND one of dir, rule, file, command; a command's
 * target is NAME.wast:LINE); '#' starts a comment line. An unknown kind or a line without
 * a reason is an error, so a typo cannot quietly skip nothing (or everything).
 */
#include "spec.h"

#include <stdlib.h>
#include <string.h>

typedef enum skip_kind { SKIP_DIR, SKIP_RULE, SKIP_FILE, SKIP_COMMAND } skip_kind;

typedef struct skip_entry {
  skip_kind kind;
  char *target; /* for commands: the file name; line holds the line */
  uint32_t line;
  char *reason;
} skip_entry;

struct spec_skips {
  skip_entry *v;
  size_t n, cap;
};

void spec_skips_free(spec_skips *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++) {
    free(s->v[i].target);
    free(s->v[i].reason);
  }
  free(s->v);
  free(s);
}

static char *trim(char *p) {
  while (*p == ' ' || *p == '\t')
    p++;
  size_t n = strlen(p);
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
    p[--n] = '\0';
  return p;
}

/* Split off the next whitespace-delimited word of *p. */
static char *word(char **p) {
  char *s = *p;
  while (*s == ' ' || *s == '\t')
    s++;
  char *w = s;
  while (*s && *s != ' ' && *s != '\t')
    s++;
  if (*s)
    *s++ = '\0';
  *p = s;
  return w;
}

static bool add(spec_skips *s, skip_kind kind, const char *target, uint32_t line,
                const char *reason) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    skip_entry *v = realloc(s->v, cap * sizeof *v);
    if (!v)
      return false;
    s->v = v;
    s->cap = cap;
  }
  skip_entry *e = &s->v[s->n];
  e->kind = kind;
  e->line = line;
  e->target = strdup(target);
  e->reason = strdup(reason);
  if (!e->target || !e->reason) {
    free(e->target);
    free(e->reason);
    return false;
  }
  s->n++;
  return true;
}

/* Parse one non-comment line; false (with a message) when it is wrong. */
static bool parse_line(spec_skips *s, char *p, const char *path, unsigned lineno) {
  static const char *const kinds[] = {"dir", "rule", "file", "command"};
  char *kind = word(&p), *target = word(&p), *reason = trim(p);
  int k = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(kind, kinds[i]) == 0)
      k = i;
  if (k < 0 || !*target || !*reason) {
    fprintf(stderr, "spec: %s:%u: expected 'dir|rule|file|command TARGET REASON'\n", path,
            lineno);
    return false;
  }
  uint32_t line = 0;
  if (k == SKIP_COMMAND) {
    char *colon = strrchr(target, ':');
    char *end = NULL;
    unsigned long v = colon ? strtoul(colon + 1, &end, 10) : 0;
    if (!colon || !*(colon + 1) || *end || v == 0 || v > UINT32_MAX) {
      fprintf(stderr, "spec: %s:%u: a command is NAME.wast:LINE\n", path, lineno);
      return false;
    }
    *colon = '\0';
    line = (uint32_t)v;
  }
  if (k == SKIP_RULE && strcmp(target, "text-module") != 0) {
    fprintf(stderr, "spec: %s:%u: unknown rule '%s' (known: text-module)\n", path,
            lineno, target);
    return false;
  }
  if (!add(s, (skip_kind)k, target, line, reason)) {
    fprintf(stderr, "spec: out of memory reading %s\n", path);
    return false;
  }
  return true;
}

spec_skips *spec_skips_load(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "spec: cannot open the skip list %s\n", path);
    return NULL;
  }
  spec_skips *s = calloc(1, sizeof *s);
  char buf[1024];
  unsigned lineno = 0;
  bool ok = s != NULL;
  while (ok && fgets(buf, sizeof buf, f)) {
    lineno++;
    if (!strchr(buf, '\n') && !feof(f)) {
      fprintf(stderr, "spec: %s:%u: line too long\n", path, lineno);
      ok = false;
      break;
    }
    char *p = trim(buf);
    if (*p && *p != '#')
      ok = parse_line(s, p, path, lineno);
  }
  fclose(f);
  if (!ok) {
    spec_skips_free(s);
    return NULL;
  }
  return s;
}

static const char *find(const spec_skips *s, skip_kind kind, const char *target, uint32_t line) {
  for (size_t i = 0; s && i < s->n; i++)
    if (s->v[i].kind == kind && s->v[i].line == line && strcmp(s->v[i].target, target) == 0)
      return s->v[i].reason;
  return NULL;
}

const char *spec_skip_dir(const spec_skips *s, const char *dir) {
  return find(s, SKIP_DIR, dir, 0);
}
const char *spec_skip_file(const spec_skips *s, const char *file) {
  return find(s, SKIP_FILE, file, 0);
}
const char *spec_skip_command(const spec_skips *s, const char *file, uint32_t line) {
  return find(s, SKIP_COMMAND, file, line);
}
const char *spec_skip_rule(const spec_skips *s, const char *rule) {
  return find(s, SKIP_RULE, rule, 0);
}
