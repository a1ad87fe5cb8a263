/*
 * component/store.c: the store wrapper every store goes through (include/troupe/store.h).
 * It parses the reference once, asks the implementation, then hashes the bytes itself:
 * a sha256: reference is honoured only by bytes that hash to it, and a name or version
 * reference only by a blob that does not claim another name or version. So an
 * embedder's store (and later the node's signed store) cannot hand a host the wrong
 * module, and every blob leaves here with a sha256 the module cache can key by.
 */
#include "component/store_int.h"

#include <stdio.h>

struct troupe_store {
  const troupe_store_ops *ops;
  void *self;
};

void troupe_module_blob_clear(troupe_module_blob *blob) {
  if (!blob)
    return;
  free(blob->bytes);
  free(blob->name);
  free(blob->version);
  memset(blob, 0, sizeof *blob);
}

int troupe_store_new(const troupe_store_ops *ops, void *self, troupe_store **out,
                     troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "store: no output given");
  *out = NULL;
  if (!ops || !ops->get)
    return troupe_err_set(err, TROUPE_E_INVAL, "store: ops has no get function");
  troupe_store *s = trB_malloc(sizeof *s);
  if (!s)
    return troupe_err_set(err, TROUPE_E_NOMEM, "store: out of memory");
  s->ops = ops;
  s->self = self;
  *out = s;
  return TROUPE_OK;
}

void troupe_store_free(troupe_store *s) {
  if (!s)
    return;
  if (s->ops->destroy)
    s->ops->destroy(s->self);
  free(s);
}

void *trP_store_impl(troupe_store *s, const troupe_store_ops *ops) {
  return s && s->ops == ops ? s->self : NULL;
}

/* What the implementation said, with context added when it said nothing useful: a
 * custom store may return a code without a message, or a positive value. */
static int impl_failed(int rc, const troupe_err *said, const char *ref, troupe_err *err) {
  if (rc > 0)
    return troupe_err_set(err, TROUPE_E_INTERNAL,
                          "module reference '%s': store returned status %d (not an error code)",
                          ref, rc);
  if (said->code == rc && said->msg[0]) {
    if (err)
      *err = *said;
    return rc;
  }
  return troupe_err_set(err, rc, "module reference '%s': store failed: %s", ref,
                        troupe_strerror(rc));
}

/* A name/version claimed by the blob must be the one asked for (NULL claims nothing). */
static int check_claims(const troupe_module_ref *r, const troupe_module_blob *b,
                        const char *ref, troupe_err *err) {
  if (r->kind == TROUPE_REF_SHA256)
    return TROUPE_OK;
  if (b->name && strcmp(b->name, r->name) != 0)
    return troupe_err_set(err, TROUPE_E_IO,
                          "module reference '%s': store returned module '%.128s' instead", ref,
                          b->name);
  if (r->kind == TROUPE_REF_VERSION && b->version && strcmp(b->version, r->version) != 0)
    return troupe_err_set(err, TROUPE_E_IO,
                          "module reference '%s': store returned version '%.64s' instead", ref,
                          b->version);
  return TROUPE_OK;
}

int troupe_store_resolve(troupe_store *s, const char *ref,
                         uint8_t sha256[TROUPE_SHA256_BYTES], char **version,
                         troupe_err *err) {
  if (!sha256 || !version)
    return troupe_err_set(err, TROUPE_E_INVAL, "store resolve: no output given");
  *version = NULL;
  if (!s)
    return troupe_err_set(err, TROUPE_E_INVAL, "store: no store given");
  if (!s->ops->resolve)
    return troupe_err_set(err, TROUPE_E_UNSUPPORTED, "store: no resolve (get the module)");
  troupe_module_ref r;
  int rc = troupe_module_ref_parse(ref, &r, err);
  if (rc)
    return rc;
  char text[200];
  trP_module_ref_format(&r, text, sizeof text);
  troupe_err said;
  troupe_err_clear(&said);
  rc = s->ops->resolve(s->self, &r, sha256, version, &said);
  if (rc != TROUPE_OK) {
    *version = NULL; /* the implementation owns nothing after a failure */
    return impl_failed(rc, &said, text, err);
  }
  troupe_module_blob claim = {.version = *version};
  if (r.kind == TROUPE_REF_SHA256 && memcmp(sha256, r.sha256, TROUPE_SHA256_BYTES) != 0)
    rc = troupe_err_set(err, TROUPE_E_IO, "module reference '%s': store resolved it to "
                        "another hash", text);
  else
    rc = check_claims(&r, &claim, text, err);
  if (rc) {
    free(*version);
    *version = NULL;
  }
  return rc;
}

int troupe_store_get(troupe_store *s, const char *ref, troupe_module_blob *out,
                     troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "store: no output given");
  memset(out, 0, sizeof *out);
  if (!s)
    return troupe_err_set(err, TROUPE_E_INVAL, "store: no store given");
  troupe_module_ref r;
  int rc = troupe_module_ref_parse(ref, &r, err);
  if (rc)
    return rc;
  char text[200];
  trP_module_ref_format(&r, text, sizeof text);

  troupe_err said;
  troupe_err_clear(&said);
  rc = s->ops->get(s->self, &r, out, &said);
  if (rc != TROUPE_OK) {
    /* The implementation owns nothing in *out after a failure (store.h's contract);
     * zero it so the caller's blob_clear is harmless either way. */
    memset(out, 0, sizeof *out);
    return impl_failed(rc, &said, text, err);
  }
  if (!out->bytes && out->len) {
    memset(out, 0, sizeof *out);
    return troupe_err_set(err, TROUPE_E_INTERNAL,
                          "module reference '%s': store returned %zu bytes without a buffer",
                          text, out->len);
  }
  rc = check_claims(&r, out, text, err);
  if (rc)
    goto fail;
  troupe_sha256(out->bytes, out->len, out->sha256);
  if (r.kind == TROUPE_REF_SHA256 && memcmp(out->sha256, r.sha256, TROUPE_SHA256_BYTES) != 0) {
    char got[TROUPE_SHA256_HEX];
    troupe_sha256_hex(out->sha256, got);
    rc = troupe_err_set(err, TROUPE_E_IO,
                        "store returned bytes that do not match %s (they hash to sha256:%s)",
                        text, got);
    goto fail;
  }
  return TROUPE_OK;
fail:
  troupe_module_blob_clear(out);
  return rc;
}
