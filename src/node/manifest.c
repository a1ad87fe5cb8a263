/*
 * node/manifest.c: the manifest's public entry points (troupe/manifest.h): read the
 * file, run the three steps (YAML tree, schema, whole-manifest checks), sort the errors
 * into file order. Also the arena that holds a manifest (so the description is plain
 * pointers, freed at once) and the error list every step records into.
 */
#include "node/manifest_int.h"

#include <errno.h>
#include <sys/stat.h>

/* ---- arena ----------------------------------------------------------------------- */
struct trN_chunk {
  trN_chunk *next;
  size_t used, cap;
  max_align_t data[];
};

#define TRN_CHUNK_BYTES 16384u

void *trN_arena_alloc(trN_arena *a, size_t size) {
  size_t need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t);
  if (size > SIZE_MAX / 2)
    return NULL;
  trN_chunk *c = a->head;
  if (!c || c->cap - c->used < need) {
    size_t std = TRN_CHUNK_BYTES / sizeof(max_align_t), cap = need > std ? need : std;
    c = trB_malloc(sizeof *c + cap * sizeof(max_align_t));
    if (!c)
      return NULL;
    c->used = 0;
    c->cap = cap;
    if (a->head && need == cap) {
      /* a big block: keep filling the current chunk afterwards */
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  void *p = c->data + c->used;
  c->used += need;
  memset(p, 0, need * sizeof(max_align_t));
  return p;
}

char *trN_arena_strndup(trN_arena *a, const char *s, size_t n) {
  char *p = trN_arena_alloc(a, n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

char *trN_arena_strdup(trN_arena *a, const char *s) { return trN_arena_strndup(a, s, strlen(s)); }

char *trN_arena_printf(trN_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *p = trN_arena_alloc(a, (size_t)n + 1);
  if (p) {
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return p;
}

void trN_arena_free(trN_arena *a) {
  for (trN_chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  a->head = NULL;
}

struct troupe_manifest_storage {
  trN_arena arena;
};

/* ---- name table (FNV-1a, linear probing, at most half full) ---------------------- */
static size_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)h;
}

bool trN_names_put(trN_load *L, trN_names *t, const char *name, size_t val, size_t *old,
                   bool *found) {
  *found = false;
  if (2 * (t->n + 1) > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    const char **keys = trB_calloc(cap, sizeof *keys);
    size_t *vals = trB_calloc(cap, sizeof *vals);
    if (!keys || !vals) {
      free(keys);
      free(vals);
      trN_nomem(L);
      return false;
    }
    for (size_t i = 0; i < t->cap; i++) {
      if (!t->keys[i])
        continue;
      size_t j = name_hash(t->keys[i]) & (cap - 1);
      while (keys[j])
        j = (j + 1) & (cap - 1);
      keys[j] = t->keys[i];
      vals[j] = t->vals[i];
    }
    free(t->keys);
    free(t->vals);
    t->keys = keys;
    t->vals = vals;
    t->cap = cap;
  }
  size_t j = name_hash(name) & (t->cap - 1);
  for (; t->keys[j]; j = (j + 1) & (t->cap - 1))
    if (!strcmp(t->keys[j], name)) {
      *old = t->vals[j];
      *found = true;
      return true;
    }
  t->keys[j] = name;
  t->vals[j] = val;
  t->n++;
  return true;
}

size_t trN_names_get(const trN_names *t, const char *name) {
  if (!t->cap)
    return SIZE_MAX;
  for (size_t j = name_hash(name) & (t->cap - 1); t->keys[j]; j = (j + 1) & (t->cap - 1))
    if (!strcmp(t->keys[j], name))
      return t->vals[j];
  return SIZE_MAX;
}

void trN_names_free(trN_names *t) {
  free(t->keys);
  free(t->vals);
  memset(t, 0, sizeof *t);
}

/* ---- errors ---------------------------------------------------------------------- */
void trN_nomem(trN_load *L) { L->nomem = true; }

static void add_error(trN_load *L, uint32_t line, uint32_t column, const char *field,
                      const char *fmt, va_list ap) {
  L->nerrors++;
  troupe_manifest_errors *e = L->errs;
  if (e->n == TROUPE_MANIFEST_MAX_ERRORS) {
    e->more++;
    return;
  }
  if (e->n == 0 && !e->v) {
    e->v = trB_calloc(TROUPE_MANIFEST_MAX_ERRORS, sizeof *e->v);
    if (!e->v) {
      trN_nomem(L);
      return;
    }
  }
  char msg[640];
  vsnprintf(msg, sizeof msg, fmt, ap);
  troupe_manifest_error *x = &e->v[e->n];
  x->file = trB_strdup(L->file ? L->file : "");
  x->field = trB_strdup(field ? field : "");
  x->message = trB_strdup(msg);
  x->line = line;
  x->column = column;
  if (!x->file || !x->field || !x->message) {
    free(x->file);
    free(x->field);
    free(x->message);
    memset(x, 0, sizeof *x);
    trN_nomem(L);
    return;
  }
  e->n++;
}

void trN_error_at(trN_load *L, uint32_t line, uint32_t column, const char *sub,
                  const char *fmt, ...) {
  size_t saved = sub ? trN_field_push(L, sub, -1) : L->field_len;
  va_list ap;
  va_start(ap, fmt);
  add_error(L, line, column, L->field, fmt, ap);
  va_end(ap);
  trN_field_pop(L, saved);
}

void trN_error_node(trN_load *L, const trN_ynode *n, const char *sub, const char *fmt, ...) {
  size_t saved = sub ? trN_field_push(L, sub, -1) : L->field_len;
  va_list ap;
  va_start(ap, fmt);
  add_error(L, n ? n->line : 1, n ? n->column : 1, L->field, fmt, ap);
  va_end(ap);
  trN_field_pop(L, saved);
}

void trN_error_field(trN_load *L, troupe_manifest_pos pos, const char *field, const char *fmt,
                     ...) {
  va_list ap;
  va_start(ap, fmt);
  add_error(L, pos.line, pos.column, field, fmt, ap);
  va_end(ap);
}

size_t trN_field_push(trN_load *L, const char *name, long index) {
  /* by hand, not snprintf: this runs for every field of every item */
  size_t saved = L->field_len, room = sizeof L->field - 1 - L->field_len;
  char num[24], *p = L->field + L->field_len;
  const char *add = name;
  size_t n;
  if (index >= 0) {
    char *q = num + sizeof num;
    *--q = '\0';
    *--q = ']';
    unsigned long v = (unsigned long)index;
    do
      *--q = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    *--q = '[';
    add = q;
  } else if (L->field_len && room) {
    *p++ = '.';
    room--;
    L->field_len++;
  }
  n = strlen(add);
  if (n > room)
    n = room;
  memcpy(p, add, n);
  L->field_len += n;
  L->field[L->field_len] = '\0';
  return saved;
}

void trN_field_pop(trN_load *L, size_t saved) {
  L->field_len = saved;
  L->field[saved] = '\0';
}

void troupe_manifest_errors_clear(troupe_manifest_errors *errs) {
  if (!errs)
    return;
  for (size_t i = 0; i < errs->n; i++) {
    free(errs->v[i].file);
    free(errs->v[i].field);
    free(errs->v[i].message);
  }
  free(errs->v);
  memset(errs, 0, sizeof *errs);
}

int troupe_manifest_error_format(const troupe_manifest_error *e, char *buf, size_t cap) {
  char place[96] = "";
  if (e->line)
    snprintf(place, sizeof place, ":%u:%u", (unsigned)e->line, (unsigned)e->column);
  const char *field = e->field ? e->field : "";
  return snprintf(buf, cap, "%s%s: %s%s%s", e->file ? e->file : "", place, field,
                  *field ? ": " : "", e->message ? e->message : "");
}

/* File order, stable: errors at one place keep the order they were found in. */
static void sort_errors(troupe_manifest_errors *e) {
  if (e->n < 2)
    return;
  size_t *idx = trB_calloc(e->n, sizeof *idx);
  troupe_manifest_error *copy = trB_calloc(e->n, sizeof *copy);
  if (!idx || !copy) {
    free(idx);
    free(copy);
    return; /* unsorted, but complete */
  }
  memcpy(copy, e->v, e->n * sizeof *copy);
  /* insertion sort by place keeps the order of equal places; n <= MAX_ERRORS */
  for (size_t i = 0; i < e->n; i++) {
    size_t j = i;
    while (j > 0) {
      const troupe_manifest_error *p = &copy[idx[j - 1]];
      if (p->line < copy[i].line || (p->line == copy[i].line && p->column <= copy[i].column))
        break;
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = i;
  }
  for (size_t i = 0; i < e->n; i++)
    e->v[i] = copy[idx[i]];
  free(idx);
  free(copy);
}

/* ---- loading ----------------------------------------------------------------------- */
static char *dir_of(trN_arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return trN_arena_strdup(a, ".");
  if (slash == path)
    return trN_arena_strdup(a, "/");
  return trN_arena_strndup(a, path, (size_t)(slash - path));
}

static int finish(trN_load *L, int rc, troupe_manifest **out) {
  if (!rc && L->nomem)
    rc = TROUPE_E_NOMEM;
  if (!rc && L->nerrors)
    rc = TROUPE_E_INVAL;
  sort_errors(L->errs);
  if (rc) {
    if (L->m)
      troupe_manifest_free(L->m);
    return rc;
  }
  *out = L->m;
  return TROUPE_OK;
}

int troupe_manifest_parse(const char *text, size_t len, const char *path,
                          const troupe_manifest_options *opts, troupe_manifest **out,
                          troupe_manifest_errors *errs) {
  troupe_manifest_errors local = {0};
  static const troupe_manifest_options no_opts;
  if (out)
    *out = NULL;
  if (!errs)
    errs = &local;
  troupe_manifest_errors_clear(errs);
  trN_load L = {.errs = errs, .opts = opts ? opts : &no_opts};
  L.file = path ? path : "<manifest>";
  int rc = TROUPE_OK;
  if (!out || (!text && len)) {
    trN_error_at(&L, 0, 0, NULL, "troupe_manifest_parse: NULL argument");
    rc = TROUPE_E_INVAL;
    goto done;
  }
  troupe_manifest *m = trB_calloc(1, sizeof *m);
  struct troupe_manifest_storage *st = trB_calloc(1, sizeof *st);
  if (!m || !st) {
    free(m);
    free(st);
    rc = TROUPE_E_NOMEM;
    trN_nomem(&L);
    goto done;
  }
  m->storage_ = st;
  L.m = m;
  L.arena = &st->arena;
  L.file = m->path = trN_arena_strdup(L.arena, L.file);
  m->dir = L.file ? dir_of(L.arena, L.file) : NULL;
  if (!m->path || !m->dir) {
    L.file = path ? path : "<manifest>";
    rc = TROUPE_E_NOMEM;
    goto done;
  }
  if (len > TRN_MANIFEST_MAX_BYTES) {
    trN_error_at(&L, 0, 0, NULL, "the file is %zu bytes: a manifest may have at most %u", len,
                 TRN_MANIFEST_MAX_BYTES);
    goto done;
  }
  trN_ynode *root = NULL;
  rc = trN_yaml_load(&L, text ? text : "", len, &root);
  if (rc == TROUPE_E_INVAL)
    rc = TROUPE_OK; /* the errors say it */
  if (rc || L.nerrors)
    goto done;
  trN_manifest_parse_tree(&L, root);
  /* the checks run after field errors too (so one load reports everything); they
   * read only what parsed */
  if (!L.nomem)
    trN_manifest_check(&L);
done:
  trN_names_free(&L.comp_names);
  trN_names_free(&L.sup_names);
  rc = finish(&L, rc, out);
  troupe_manifest_errors_clear(&local);
  return rc;
}

int troupe_manifest_load_ex(const char *path, const troupe_manifest_options *opts,
                            troupe_manifest **out, troupe_manifest_errors *errs) {
  if (out)
    *out = NULL;
  troupe_manifest_errors local = {0};
  trN_load L = {.errs = errs ? errs : &local, .file = path ? path : "<manifest>"};
  troupe_manifest_errors_clear(L.errs);
  if (!path || !out) {
    trN_error_at(&L, 0, 0, NULL, "troupe_manifest_load: NULL argument");
    troupe_manifest_errors_clear(&local);
    return TROUPE_E_INVAL;
  }
  FILE *f = fopen(path, "rb");
  struct stat st;
  int rc = TROUPE_OK;
  if (!f) {
    trN_error_at(&L, 0, 0, NULL, "cannot open: %s", strerror(errno));
    rc = errno == ENOMEM ? TROUPE_E_NOMEM : TROUPE_E_IO;
  } else if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
    trN_error_at(&L, 0, 0, NULL, "not a regular file");
    rc = TROUPE_E_IO;
  } else if ((uint64_t)st.st_size > TRN_MANIFEST_MAX_BYTES) {
    trN_error_at(&L, 0, 0, NULL, "the file is %lld bytes: a manifest may have at most %u",
                 (long long)st.st_size, TRN_MANIFEST_MAX_BYTES);
    rc = TROUPE_E_INVAL;
  }
  if (rc) {
    if (f)
      fclose(f);
    troupe_manifest_errors_clear(&local);
    return rc;
  }
  /* read up to one byte more than fstat said, to notice a file that grew since */
  size_t cap = (size_t)st.st_size + 1, len = 0;
  char *buf = trB_malloc(cap);
  if (!buf) {
    fclose(f);
    trN_nomem(&L);
    troupe_manifest_errors_clear(&local);
    return TROUPE_E_NOMEM;
  }
  for (;;) {
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0 || len == cap)
      break;
  }
  bool bad = ferror(f) != 0;
  fclose(f);
  if (bad) {
    free(buf);
    trN_error_at(&L, 0, 0, NULL, "read error");
    troupe_manifest_errors_clear(&local);
    return TROUPE_E_IO;
  }
  if (len == cap) {
    /* more bytes than fstat said: the file is being written; better no answer than one
     * about half a file */
    free(buf);
    trN_error_at(&L, 0, 0, NULL, "the file grew while it was read (being written?)");
    troupe_manifest_errors_clear(&local);
    return TROUPE_E_IO;
  }
  rc = troupe_manifest_parse(buf, len, path, opts, out, L.errs);
  free(buf);
  troupe_manifest_errors_clear(&local);
  return rc;
}

int troupe_manifest_load(const char *path, troupe_manifest **out, troupe_manifest_errors *errs) {
  return troupe_manifest_load_ex(path, NULL, out, errs);
}

void troupe_manifest_free(troupe_manifest *m) {
  if (!m)
    return;
  if (m->storage_) {
    trN_arena_free(&m->storage_->arena);
    free(m->storage_);
  }
  free(m);
}

size_t troupe_manifest_find_component(const troupe_manifest *m, const char *name) {
  for (size_t i = 0; m && name && i < m->ncomponents; i++)
    if (!strcmp(m->components[i].spec.name, name))
      return i;
  return SIZE_MAX;
}

size_t troupe_manifest_find_supervisor(const troupe_manifest *m, const char *name) {
  for (size_t i = 0; m && name && i < m->nsupervisors; i++)
    if (!strcmp(m->supervisors[i].name, name))
      return i;
  return SIZE_MAX;
}
