/*
 * component/module.c: a component's module -- fetched (from the host's store by
 * reference, or the spec's bytes), compiled through the module cache, and set on the
 * record, which keeps it for every restart. The first start of a component does this
 * (actor.c's load); a hot upgrade does it again with a new module (upgrade.c).
 */
#include "component/comp.h"

#include <stdio.h>

/* ---- references already resolved ------------------------------------------------------
 * A store's NAME@VERSION and sha256:HEX never change their bytes (a version is written
 * once; a hash is its bytes), so once one has been fetched and compiled, the next spawn of
 * it -- a manifest of 10,000 echo@1 -- takes the compiled module from the cache by its
 * hash without asking the store again (its lookup, and the signature check of a trusting
 * store, cost more than the rest of a spawn). A bare NAME (the newest version) is asked
 * every time. The memo lives as long as the host: a module removed from the store meanwhile
 * still spawns, as code an OTP node has loaded stays loaded. */
typedef struct memo_ent {
  struct memo_ent *next;
  uint8_t sha[TROUPE_SHA256_BYTES];
  char *version;
  char ref[];
} memo_ent;

struct trP_refmemo {
  pthread_mutex_t mu;
  memo_ent *b[256];
};

trP_refmemo *trP_refmemo_new(void) {
  trP_refmemo *m = trB_calloc(1, sizeof *m);
  if (m && pthread_mutex_init(&m->mu, NULL)) {
    free(m);
    m = NULL;
  }
  return m;
}

void trP_refmemo_free(trP_refmemo *m) {
  if (!m)
    return;
  for (size_t i = 0; i < 256; i++)
    for (memo_ent *e = m->b[i], *n; e; e = n) {
      n = e->next;
      free(e->version);
      free(e);
    }
  pthread_mutex_destroy(&m->mu);
  free(m);
}

static bool immutable_ref(const char *ref) {
  troupe_module_ref r;
  return troupe_module_ref_parse(ref, &r, NULL) == TROUPE_OK && r.kind != TROUPE_REF_NAME;
}

/* The compiled module of a remembered reference (a new reference), or NULL. */
static troupe_wasm_module *memo_get(troupe_host *h, const char *ref, uint8_t *sha, char **version) {
  trP_refmemo *m = h->refmemo;
  if (!m)
    return NULL;
  memo_ent *hit = NULL;
  pthread_mutex_lock(&m->mu);
  for (memo_ent *e = m->b[troupe_hash_str(ref) & 255]; e && !hit; e = e->next)
    if (!strcmp(e->ref, ref))
      hit = e;
  if (hit) {
    memcpy(sha, hit->sha, TROUPE_SHA256_BYTES);
    *version = hit->version ? trB_strdup(hit->version) : NULL;
  }
  pthread_mutex_unlock(&m->mu);
  troupe_wasm_module *mod = NULL;
  if (hit && trP_cache_lookup(h->cache, sha, &mod) != TROUPE_OK) {
    free(*version);
    *version = NULL;
  }
  return mod;
}

static void memo_put(troupe_host *h, const char *ref, const uint8_t *sha, const char *version) {
  trP_refmemo *m = h->refmemo;
  if (!m || !immutable_ref(ref))
    return;
  size_t n = strlen(ref);
  memo_ent *e = trB_calloc(1, sizeof *e + n + 1);
  if (!e)
    return; /* only a shortcut lost */
  memcpy(e->ref, ref, n + 1);
  memcpy(e->sha, sha, TROUPE_SHA256_BYTES);
  e->version = version ? trB_strdup(version) : NULL;
  memo_ent **head = &m->b[troupe_hash_str(ref) & 255];
  pthread_mutex_lock(&m->mu);
  bool known = false;
  for (memo_ent *x = *head; x && !known; x = x->next)
    known = !strcmp(x->ref, ref);
  if (!known) {
    e->next = *head;
    *head = e;
    e = NULL;
  }
  pthread_mutex_unlock(&m->mu);
  if (e) {
    free(e->version);
    free(e);
  }
}

int trP_module_fetch(troupe_host *h, const char *ref, const uint8_t *bytes, size_t len,
                     troupe_wasm_module **out, uint8_t sha[TROUPE_SHA256_BYTES], char **version,
                     troupe_err *err) {
  *out = NULL;
  *version = NULL;
  troupe_err e;
  troupe_err_clear(&e);
  int rc;
  if (!bytes && (*out = memo_get(h, ref, sha, version)))
    return TROUPE_OK;
  if (bytes) {
    rc = trP_cache_get(h->cache, bytes, len, out, sha, &e);
    if (rc)
      return troupe_err_set(err, rc, "compile failed: %s", troupe_err_message(&e));
    return TROUPE_OK;
  }
  if (!h->store)
    return troupe_err_set(err, TROUPE_E_NOTFOUND,
                          "load failed: no component store to find '%s' in", ref);
  /* A store that can say what the reference names without the bytes, and a module the
   * cache has compiled: nothing is copied or hashed. A bare NAME (not memoised: it may
   * name a newer version tomorrow) would otherwise fetch its bytes at every spawn -- a
   * 25 KB echo: a copy that refaults ~6 pages (glibc gives the freed heap top back) and
   * a SHA-256, ~70-80 of a ~150 us spawn here. */
  char *resolved = NULL;
  if (troupe_store_resolve(h->store, ref, sha, &resolved, NULL) == TROUPE_OK) {
    if (trP_cache_lookup(h->cache, sha, out) == TROUPE_OK) {
      *version = resolved;
      memo_put(h, ref, sha, resolved);
      return TROUPE_OK;
    }
    free(resolved);
  }
  troupe_module_blob blob = {0};
  rc = troupe_store_get(h->store, ref, &blob, &e);
  if (rc)
    return troupe_err_set(err, rc, "load failed: %s", troupe_err_message(&e));
  memcpy(sha, blob.sha256, TROUPE_SHA256_BYTES);
  rc = trP_cache_get_hashed(h->cache, blob.sha256, blob.bytes, blob.len, out, &e);
  *version = blob.version;
  blob.version = NULL;
  troupe_module_blob_clear(&blob);
  if (rc) {
    free(*version);
    *version = NULL;
    return troupe_err_set(err, rc, "compile failed: %s", troupe_err_message(&e));
  }
  memo_put(h, ref, sha, *version);
  return TROUPE_OK;
}

void trP_rec_set_module(trP_rec *r, troupe_wasm_module *mod, const uint8_t *sha, char *version,
                        char *ref, troupe_actor_id actor) {
  if (!ref && !r->module_ref) { /* bytes: the module is known by its hash */
    char hex[TROUPE_SHA256_HEX];
    troupe_sha256_hex(sha, hex);
    char buf[8 + TROUPE_SHA256_HEX];
    snprintf(buf, sizeof buf, "sha256:%s", hex);
    ref = trB_strdup(buf);
  }
  /* Under the lock: info() reads these from other threads. */
  pthread_mutex_lock(&r->mu);
  troupe_wasm_module *old = r->mod;
  char *old_version = r->version, *old_ref = NULL;
  r->mod = mod;
  memcpy(r->sha256, sha, TROUPE_SHA256_BYTES);
  r->version = version;
  if (ref) {
    old_ref = r->module_ref;
    r->module_ref = ref;
  }
  char *md = trP_metadata_of(r);
  if (md) {
    free(r->spec->metadata);
    r->spec->metadata = md;
  }
  pthread_mutex_unlock(&r->mu);
  /* The hash and version are known now: the registry shows them from here on (restarts
   * take the new metadata at their spawn). */
  if (md && actor)
    troupe_registry_set_metadata(r->host->rt, actor, md);
  if (old)
    troupe_wasm_module_free(old);
  free(old_version);
  free(old_ref);
}
