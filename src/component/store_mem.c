/*
 * component/store_mem.c: the in-memory store, for embedders that carry their modules
 * with them and for tests. Modules are only ever added, never removed or changed, so an
 * entry, once listed, is immutable until the store is freed: a get finds its entry under
 * the lock and copies the bytes after releasing it, and a large module being copied out
 * never holds up another worker's lookup or an add.
 */
#include "component/store_int.h"

#include <pthread.h>
#include <stdio.h>

typedef struct mem_entry {
  char *name, *version;
  uint8_t *bytes;
  size_t len;
  uint8_t sha256[TROUPE_SHA256_BYTES];
} mem_entry;

/* A list of entry pointers: lookups scan it (an in-memory store holds the few modules
 * of one embedder; the node's indexed store is for the many). The pointers stay valid
 * when the list grows. */
typedef struct mem_store {
  pthread_mutex_t mu;
  mem_entry **entries; /* guarded by mu */
  size_t n, cap;       /* guarded by mu */
} mem_store;

static void entry_free(mem_entry *e) {
  if (!e)
    return;
  free(e->name);
  free(e->version);
  free(e->bytes);
  free(e);
}

static void mem_destroy(void *self) {
  mem_store *m = self;
  for (size_t i = 0; i < m->n; i++)
    entry_free(m->entries[i]);
  free(m->entries);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

/* The entry a reference names, or NULL. Caller holds mu. */
static const mem_entry *find(const mem_store *m, const troupe_module_ref *r) {
  const mem_entry *best = NULL;
  for (size_t i = 0; i < m->n; i++) {
    const mem_entry *e = m->entries[i];
    switch (r->kind) {
    case TROUPE_REF_SHA256:
      if (memcmp(e->sha256, r->sha256, TROUPE_SHA256_BYTES) == 0)
        return e; /* the first added with those bytes */
      break;
    case TROUPE_REF_VERSION:
      if (strcmp(e->name, r->name) == 0 && strcmp(e->version, r->version) == 0)
        return e;
      break;
    default:
      if (strcmp(e->name, r->name) == 0 &&
          (!best || troupe_module_version_cmp(e->version, best->version) > 0))
        best = e;
      break;
    }
  }
  return best;
}

static int mem_get(void *self, const troupe_module_ref *r, troupe_module_blob *out,
                   troupe_err *err) {
  mem_store *m = self;
  pthread_mutex_lock(&m->mu);
  const mem_entry *e = find(m, r);
  pthread_mutex_unlock(&m->mu);
  char text[200];
  trP_module_ref_format(r, text, sizeof text);
  if (!e)
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no module '%s' in the in-memory store", text);
  /* e is immutable and lives as long as the store: read it without the lock. */
  out->bytes = trB_memdup(e->bytes, e->len);
  out->name = trB_strdup(e->name);
  out->version = trB_strdup(e->version);
  if (!out->bytes || !out->name || !out->version) {
    troupe_module_blob_clear(out);
    return troupe_err_set(err, TROUPE_E_NOMEM,
                          "module '%s': out of memory copying %zu bytes from the in-memory store",
                          text, e->len);
  }
  out->len = e->len;
  memcpy(out->sha256, e->sha256, TROUPE_SHA256_BYTES);
  return TROUPE_OK;
}

static int mem_resolve(void *self, const troupe_module_ref *r,
                       uint8_t sha256[TROUPE_SHA256_BYTES], char **version, troupe_err *err) {
  mem_store *m = self;
  pthread_mutex_lock(&m->mu);
  const mem_entry *e = find(m, r);
  pthread_mutex_unlock(&m->mu);
  if (!e) {
    char text[200];
    trP_module_ref_format(r, text, sizeof text);
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no module '%s' in the in-memory store", text);
  }
  if (!(*version = trB_strdup(e->version)))
    return troupe_err_set(err, TROUPE_E_NOMEM, "in-memory store: out of memory");
  memcpy(sha256, e->sha256, TROUPE_SHA256_BYTES);
  return TROUPE_OK;
}

static const troupe_store_ops k_mem_ops = {.get = mem_get, .destroy = mem_destroy,
                                           .resolve = mem_resolve};

int troupe_store_mem_new(troupe_store **out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "in-memory store: no output given");
  *out = NULL;
  mem_store *m = trB_calloc(1, sizeof *m);
  if (!m)
    return troupe_err_set(err, TROUPE_E_NOMEM, "in-memory store: out of memory");
  pthread_mutex_init(&m->mu, NULL);
  int rc = troupe_store_new(&k_mem_ops, m, out, err);
  if (rc)
    mem_destroy(m);
  return rc;
}

int troupe_store_mem_add(troupe_store *s, const char *name, const char *version,
                         const void *bytes, size_t len, uint8_t sha256_out[TROUPE_SHA256_BYTES],
                         troupe_err *err) {
  mem_store *m = trP_store_impl(s, &k_mem_ops);
  if (!m)
    return troupe_err_set(err, TROUPE_E_INVAL, "in-memory store: add on a store of another kind");
  if (!name || !trP_module_name_ok(name, strlen(name)))
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "in-memory store: module name '%.128s' must be 1..%d bytes of "
                          "letters, digits, '_', '.', '-'",
                          name ? name : "(null)", TRP_MODULE_NAME_MAX);
  if (!version || !trP_module_version_ok(version, strlen(version)))
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "in-memory store: module '%s': version '%.64s' must be 1..%d bytes of "
                          "letters, digits, '_', '.', '+', '-'",
                          name, version ? version : "(null)", TRP_MODULE_VERSION_MAX);
  if (!bytes && len)
    return troupe_err_set(err, TROUPE_E_INVAL, "in-memory store: module '%s@%s': no bytes",
                          name, version);

  /* Everything that allocates or hashes happens before the lock. */
  mem_entry *e = trB_calloc(1, sizeof *e);
  if (e) {
    e->name = trB_strdup(name);
    e->version = trB_strdup(version);
    e->bytes = trB_memdup(bytes, len);
    e->len = len;
  }
  if (!e || !e->name || !e->version || !e->bytes) {
    entry_free(e);
    return troupe_err_set(err, TROUPE_E_NOMEM,
                          "in-memory store: out of memory adding '%s@%s' (%zu bytes)", name,
                          version, len);
  }
  troupe_sha256(e->bytes, len, e->sha256);

  int rc = TROUPE_OK;
  pthread_mutex_lock(&m->mu);
  troupe_module_ref r = {.kind = TROUPE_REF_VERSION};
  memcpy(r.name, name, strlen(name) + 1);
  memcpy(r.version, version, strlen(version) + 1);
  if (find(m, &r)) {
    rc = troupe_err_set(err, TROUPE_E_EXISTS, "in-memory store already holds '%s@%s'", name,
                        version);
  } else if (m->n == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 8;
    mem_entry **grown = trB_realloc_array(m->entries, cap, sizeof *grown);
    if (!grown)
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "in-memory store: out of memory adding '%s@%s'",
                          name, version);
    else {
      m->entries = grown;
      m->cap = cap;
    }
  }
  if (rc == TROUPE_OK)
    m->entries[m->n++] = e;
  pthread_mutex_unlock(&m->mu);
  if (rc) {
    entry_free(e);
    return rc;
  }
  if (sha256_out)
    memcpy(sha256_out, e->sha256, TROUPE_SHA256_BYTES);
  return TROUPE_OK;
}
