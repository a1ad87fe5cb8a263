/*
 * component/module.c: a component's module -- fetched (from the host's store by
 * reference, or the spec's bytes), compiled through the module cache, and set on the
 * record, which keeps it for every restart. The first start of a component does this
 * (actor.c's load); a hot upgrade does it again with a new module (upgrade.c).
 */
#include "component/comp.h"

#include <stdio.h>

int trP_module_fetch(troupe_host *h, const char *ref, const uint8_t *bytes, size_t len,
                     troupe_wasm_module **out, uint8_t sha[TROUPE_SHA256_BYTES], char **version,
                     troupe_err *err) {
  *out = NULL;
  *version = NULL;
  troupe_err e;
  troupe_err_clear(&e);
  int rc;
  if (bytes) {
    rc = trP_cache_get(h->cache, bytes, len, out, sha, &e);
    if (rc)
      return troupe_err_set(err, rc, "compile failed: %s", troupe_err_message(&e));
    return TROUPE_OK;
  }
  if (!h->store)
    return troupe_err_set(err, TROUPE_E_NOTFOUND,
                          "load failed: no component store to find '%s' in", ref);
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
