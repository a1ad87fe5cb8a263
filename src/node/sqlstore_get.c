/*
 * node/sqlstore_get.c: handing modules out of the store, and what protects that: get
 * re-hashes the bytes it read (a blob changed on disk is refused, whoever changed it)
 * and, with trusted keys, wants a trusted signature that verifies; verify runs the same
 * checks over the whole file; remove takes versions out. troupe_sqlstore_to_store makes
 * the store a troupe_store, so a host (troupe/component.h) loads from it by reference.
 */
#include "node/sqlstore_int.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- get --------------------------------------------------------------------------------- */

/* The bytes of the blob of module row id (malloc'd) and the sha256 it is stored under. */
static int read_blob(troupe_sqlstore *s, int64_t id, uint8_t **bytes, size_t *len,
                     uint8_t sha[TROUPE_SHA256_BYTES], troupe_err *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db,
                               "SELECT b.bytes, b.sha256 FROM module m JOIN blob b ON b.id = "
                               "m.blob_id WHERE m.id = ?",
                               -1, &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "reading a module", err);
  sqlite3_bind_int64(st, 1, id);
  int rc = TROUPE_OK;
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    const void *p = sqlite3_column_blob(st, 0);
    int n = sqlite3_column_bytes(st, 0);
    *len = n > 0 ? (size_t)n : 0;
    *bytes = trB_malloc(*len ? *len : 1);
    if (!*bytes)
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': out of memory for %zu bytes",
                          s->path, *len);
    else if (*len)
      memcpy(*bytes, p, *len);
    memset(sha, 0, TROUPE_SHA256_BYTES);
    if (sqlite3_column_bytes(st, 1) == TROUPE_SHA256_BYTES)
      memcpy(sha, sqlite3_column_blob(st, 1), TROUPE_SHA256_BYTES);
  } else {
    rc = src == SQLITE_DONE ? troupe_err_set(err, TROUPE_E_NOTFOUND, "store '%s': module gone",
                                             s->path)
                            : trN_sql_fail(s, src, "reading a module", err);
  }
  sqlite3_finalize(st);
  return rc;
}

/* The rows that hold the blob of row id (for a sha256: reference, any of them may carry
 * the trusted signature), as ids. */
static int rows_of_blob(troupe_sqlstore *s, int64_t id, int64_t **ids, size_t *n,
                        troupe_err *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db,
                               "SELECT id FROM module WHERE blob_id = (SELECT blob_id FROM "
                               "module WHERE id = ?) ORDER BY added_ms, id",
                               -1, &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "reading a module", err);
  sqlite3_bind_int64(st, 1, id);
  int rc = TROUPE_OK;
  size_t cap = 0;
  *ids = NULL;
  *n = 0;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? 2 * cap : 4;
      int64_t *g = trB_realloc_array(*ids, cap, sizeof *g);
      if (!g) {
        rc = troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': out of memory", s->path);
        break;
      }
      *ids = g;
    }
    (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
  }
  if (rc == TROUPE_OK && src != SQLITE_DONE)
    rc = trN_sql_fail(s, src, "reading a module", err);
  sqlite3_finalize(st);
  if (rc) {
    free(*ids);
    *ids = NULL;
    *n = 0;
  }
  return rc;
}

typedef enum trust_verdict { TRUST_OK, TRUST_UNSIGNED, TRUST_UNTRUSTED, TRUST_BAD } trust_verdict;

/* What e's signatures say to a store with trusted keys; *bad_key is the trusted key of a
 * signature that does not verify, *other a key that signed but is not trusted. */
static trust_verdict judge(const troupe_sqlstore_entry *e, const uint8_t **bad_key,
                           const uint8_t **other) {
  trust_verdict v = e->nsigs ? TRUST_UNTRUSTED : TRUST_UNSIGNED;
  for (size_t i = 0; i < e->nsigs; i++) {
    const troupe_sqlstore_sig *g = &e->sigs[i];
    if (g->trusted && g->valid)
      return TRUST_OK;
    if (g->trusted) {
      v = TRUST_BAD;
      *bad_key = g->public_key;
    } else if (!*other) {
      *other = g->public_key;
    }
  }
  return v;
}

/* TROUPE_OK when some row holding these bytes has a valid trusted signature, else
 * SIGNATURE naming the module (text) and what is wrong. Caller holds s->mu. */
static int check_trust(troupe_sqlstore *s, const troupe_module_ref *r, int64_t id,
                       const char *text, troupe_err *err) {
  int64_t one = id, *ids = &one;
  size_t n = 1;
  int rc = TROUPE_OK;
  if (r->kind == TROUPE_REF_SHA256 && (rc = rows_of_blob(s, id, &ids, &n, err)))
    return rc;
  trust_verdict worst = TRUST_UNSIGNED;
  const uint8_t *bad_key = NULL, *other = NULL;
  uint8_t bad_copy[TROUPE_ED25519_PUBLIC_BYTES], other_copy[TROUPE_ED25519_PUBLIC_BYTES];
  for (size_t i = 0; i < n && rc == TROUPE_OK; i++) {
    troupe_sqlstore_entry e;
    if ((rc = trN_entry_load(s, ids[i], &e, err)))
      break;
    const uint8_t *b = NULL, *o = NULL;
    trust_verdict v = judge(&e, &b, &o);
    if (v == TRUST_OK)
      rc = 1; /* found: stop looking */
    if (v > worst)
      worst = v;
    if (b && !bad_key)
      bad_key = memcpy(bad_copy, b, sizeof bad_copy);
    if (o && !other)
      other = memcpy(other_copy, o, sizeof other_copy);
    troupe_sqlstore_entry_clear(&e);
  }
  if (ids != &one)
    free(ids);
  if (rc == 1)
    return TROUPE_OK;
  if (rc)
    return rc;
  char hex[TROUPE_ED25519_PUBLIC_HEX];
  switch (worst) {
  case TRUST_BAD:
    troupe_public_key_hex(bad_key, hex);
    return troupe_err_set(err, TROUPE_E_SIGNATURE,
                          "module '%s': its signature by trusted key %.16s... does not verify "
                          "(the module or the signature was changed)",
                          text, hex);
  case TRUST_UNTRUSTED:
    troupe_public_key_hex(other, hex);
    return troupe_err_set(err, TROUPE_E_SIGNATURE,
                          "module '%s' is signed by no trusted key (signed by %.16s...)", text,
                          hex);
  default:
    return troupe_err_set(err, TROUPE_E_SIGNATURE,
                          "module '%s' is not signed, and store '%s' accepts only modules "
                          "signed by a trusted key",
                          text, s->path);
  }
}

static void ref_text(const troupe_module_ref *r, char *buf, size_t cap) {
  char hex[TROUPE_SHA256_HEX];
  if (r->kind == TROUPE_REF_SHA256) {
    troupe_sha256_hex(r->sha256, hex);
    snprintf(buf, cap, "sha256:%s", hex);
  } else if (r->kind == TROUPE_REF_VERSION) {
    snprintf(buf, cap, "%s@%s", r->name, r->version);
  } else {
    snprintf(buf, cap, "%s", r->name);
  }
}

/* get for a parsed reference. Caller holds s->mu. */
static int get_locked(troupe_sqlstore *s, const troupe_module_ref *r, troupe_module_blob *out,
                      troupe_err *err) {
  char asked[200], text[200];
  ref_text(r, asked, sizeof asked);
  /* One read transaction: the row, its bytes and its signatures are of one state of the
   * file, whatever another process writes meanwhile. */
  sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
  int64_t id;
  int rc = trN_resolve(s, r, asked, &id, err);
  troupe_sqlstore_entry e;
  if (rc || (rc = trN_entry_load(s, id, &e, err))) {
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return rc;
  }
  snprintf(text, sizeof text, "%s@%s", e.name, e.version);
  uint8_t stored[TROUPE_SHA256_BYTES], actual[TROUPE_SHA256_BYTES];
  rc = read_blob(s, id, &out->bytes, &out->len, stored, err);
  if (rc == TROUPE_OK) {
    troupe_sha256(out->bytes, out->len, actual);
    if (memcmp(stored, actual, TROUPE_SHA256_BYTES) != 0) {
      char hs[TROUPE_SHA256_HEX], ha[TROUPE_SHA256_HEX];
      troupe_sha256_hex(stored, hs);
      troupe_sha256_hex(actual, ha);
      rc = troupe_err_set(err, TROUPE_E_IO,
                          "module '%s': stored bytes do not match sha256:%.16s... (they hash to "
                          "sha256:%.16s...): the store file was changed or damaged",
                          text, hs, ha);
    }
  }
  if (rc == TROUPE_OK && s->ntrusted)
    rc = check_trust(s, r, id, text, err);
  sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  if (rc == TROUPE_OK) {
    out->name = trB_strdup(e.name);
    out->version = trB_strdup(e.version);
    memcpy(out->sha256, actual, TROUPE_SHA256_BYTES);
    if (!out->name || !out->version)
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': out of memory", s->path);
  }
  troupe_sqlstore_entry_clear(&e);
  if (rc)
    troupe_module_blob_clear(out);
  return rc;
}

int troupe_sqlstore_get(troupe_sqlstore *s, const char *ref, troupe_module_blob *out,
                        troupe_err *err) {
  if (!s || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "store get: no store or no output given");
  memset(out, 0, sizeof *out);
  troupe_module_ref r;
  int rc = troupe_module_ref_parse(ref, &r, err);
  if (rc)
    return rc;
  pthread_mutex_lock(&s->mu);
  rc = get_locked(s, &r, out, err);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* ---- remove ------------------------------------------------------------------------------ */

int troupe_sqlstore_remove(troupe_sqlstore *s, const char *ref, size_t *removed,
                           troupe_err *err) {
  if (removed)
    *removed = 0;
  if (!s)
    return troupe_err_set(err, TROUPE_E_INVAL, "store remove: no store given");
  troupe_module_ref r;
  int rc = troupe_module_ref_parse(ref, &r, err);
  if (rc)
    return rc;
  if (r.kind == TROUPE_REF_NAME)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "remove '%s': name a version ('%s@VERSION') or the bytes "
                          "('sha256:HEX'), not every version at once",
                          r.name, r.name);
  pthread_mutex_lock(&s->mu);
  int src = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (src != SQLITE_OK) {
    rc = trN_sql_fail(s, src, "starting the removal", err);
    goto out;
  }
  sqlite3_stmt *st = NULL;
  src = sqlite3_prepare_v2(
      s->db,
      r.kind == TROUPE_REF_VERSION
          ? "DELETE FROM module WHERE name = ? AND version = ?"
          : "DELETE FROM module WHERE blob_id = (SELECT id FROM blob WHERE sha256 = ?)",
      -1, &st, NULL);
  if (src == SQLITE_OK) {
    if (r.kind == TROUPE_REF_VERSION) {
      sqlite3_bind_text(st, 1, r.name, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, r.version, -1, SQLITE_STATIC);
    } else {
      sqlite3_bind_blob(st, 1, r.sha256, TROUPE_SHA256_BYTES, SQLITE_STATIC);
    }
    src = sqlite3_step(st);
    if (src == SQLITE_DONE)
      src = SQLITE_OK;
  }
  sqlite3_finalize(st);
  size_t n = (size_t)sqlite3_changes(s->db);
  if (src == SQLITE_OK) /* bytes no version uses any more */
    src = sqlite3_exec(s->db,
                       "DELETE FROM blob WHERE NOT EXISTS (SELECT 1 FROM module WHERE "
                       "module.blob_id = blob.id)",
                       NULL, NULL, NULL);
  if (src != SQLITE_OK) {
    rc = trN_sql_fail(s, src, "removing", err);
  } else if (n == 0) {
    char text[200];
    ref_text(&r, text, sizeof text);
    rc = troupe_err_set(err, TROUPE_E_NOTFOUND, "no module '%s' in store '%s'", text, s->path);
  } else if ((src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
    rc = trN_sql_fail(s, src, "committing the removal", err);
  }
  if (rc)
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  else if (removed)
    *removed = n;
out:
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* ---- verify ------------------------------------------------------------------------------ */

void troupe_sqlstore_report_clear(troupe_sqlstore_report *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->nproblems; i++)
    free(r->problems[i]);
  free(r->problems);
  memset(r, 0, sizeof *r);
}

static int problem(troupe_sqlstore_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int problem(troupe_sqlstore_report *r, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  char **g = trB_realloc_array(r->problems, r->nproblems + 1, sizeof *g);
  if (!g)
    return TROUPE_E_NOMEM;
  r->problems = g;
  if (!(g[r->nproblems] = trB_strdup(line)))
    return TROUPE_E_NOMEM;
  r->nproblems++;
  return TROUPE_OK;
}

/* The names a blob is stored under, "a@1, b@2" (for messages). */
static void names_of_blob(troupe_sqlstore *s, int64_t blob_id, char *buf, size_t cap) {
  sqlite3_stmt *st = NULL;
  buf[0] = '\0';
  if (sqlite3_prepare_v2(s->db, "SELECT name, version FROM module WHERE blob_id = ? ORDER BY id",
                         -1, &st, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64(st, 1, blob_id);
  size_t o = 0;
  while (sqlite3_step(st) == SQLITE_ROW && o + 1 < cap) {
    int n = snprintf(buf + o, cap - o, "%s%s@%s", o ? ", " : "", sqlite3_column_text(st, 0),
                     sqlite3_column_text(st, 1));
    if (n < 0)
      break;
    o += (size_t)n;
  }
  sqlite3_finalize(st);
  if (!buf[0])
    snprintf(buf, cap, "(no version)");
}

static int verify_integrity(troupe_sqlstore *s, troupe_sqlstore_report *r, troupe_err *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "checking integrity", err);
  int rc = TROUPE_OK;
  while (rc == TROUPE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *line = (const char *)sqlite3_column_text(st, 0);
    if (line && strcmp(line, "ok") != 0)
      rc = problem(r, "SQLite integrity check: %s", line);
  }
  if (rc == TROUPE_OK && src != SQLITE_DONE)
    rc = trN_sql_fail(s, src, "checking integrity", err);
  sqlite3_finalize(st);
  if (rc == TROUPE_OK) {
    src = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL);
    if (src != SQLITE_OK)
      return trN_sql_fail(s, src, "checking references", err);
    while (rc == TROUPE_OK && (src = sqlite3_step(st)) == SQLITE_ROW)
      rc = problem(r, "table %s row %lld refers to a missing %s row", sqlite3_column_text(st, 0),
                   (long long)sqlite3_column_int64(st, 1), sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
  }
  return rc;
}

static int verify_blobs(troupe_sqlstore *s, troupe_sqlstore_report *r, troupe_err *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db, "SELECT id, sha256, size, bytes FROM blob ORDER BY id", -1,
                               &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "reading modules", err);
  int rc = TROUPE_OK;
  while (rc == TROUPE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
    r->blobs++;
    int64_t id = sqlite3_column_int64(st, 0), size = sqlite3_column_int64(st, 2);
    uint8_t stored[TROUPE_SHA256_BYTES] = {0}, actual[TROUPE_SHA256_BYTES];
    if (sqlite3_column_bytes(st, 1) == TROUPE_SHA256_BYTES)
      memcpy(stored, sqlite3_column_blob(st, 1), TROUPE_SHA256_BYTES);
    const void *bytes = sqlite3_column_blob(st, 3);
    int len = sqlite3_column_bytes(st, 3);
    troupe_sha256(bytes, (size_t)len, actual);
    char names[256], hs[TROUPE_SHA256_HEX], ha[TROUPE_SHA256_HEX];
    troupe_sha256_hex(stored, hs);
    troupe_sha256_hex(actual, ha);
    if (memcmp(stored, actual, TROUPE_SHA256_BYTES) != 0) {
      names_of_blob(s, id, names, sizeof names);
      rc = problem(r, "%s: stored bytes hash to sha256:%s, not sha256:%s", names, ha, hs);
    } else if (size != len) {
      names_of_blob(s, id, names, sizeof names);
      rc = problem(r, "%s: %d bytes stored, %lld recorded", names, len, (long long)size);
    }
  }
  if (rc == TROUPE_OK && src != SQLITE_DONE)
    rc = trN_sql_fail(s, src, "reading modules", err);
  sqlite3_finalize(st);
  return rc;
}

static int verify_versions(troupe_sqlstore *s, troupe_sqlstore_report *r, troupe_err *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db, "SELECT id FROM module ORDER BY name, id", -1, &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "reading modules", err);
  int64_t *ids = NULL;
  size_t n = 0, cap = 0;
  int rc = TROUPE_OK;
  while (rc == TROUPE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? 2 * cap : 16;
      int64_t *g = trB_realloc_array(ids, cap, sizeof *g);
      if (!g)
        rc = TROUPE_E_NOMEM;
      else
        ids = g;
    }
    if (rc == TROUPE_OK)
      ids[n++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  for (size_t i = 0; rc == TROUPE_OK && i < n; i++) {
    troupe_sqlstore_entry e;
    if ((rc = trN_entry_load(s, ids[i], &e, err)))
      break;
    r->versions++;
    r->signatures += e.nsigs;
    bool trusted_ok = false;
    for (size_t k = 0; rc == TROUPE_OK && k < e.nsigs; k++) {
      char hex[TROUPE_ED25519_PUBLIC_HEX];
      troupe_public_key_hex(e.sigs[k].public_key, hex);
      if (!e.sigs[k].valid)
        rc = problem(r, "%s@%s: the signature by key %s does not verify", e.name, e.version, hex);
      trusted_ok |= e.sigs[k].valid && e.sigs[k].trusted;
    }
    if (rc == TROUPE_OK && s->ntrusted && !trusted_ok)
      rc = problem(r, "%s@%s: %s", e.name, e.version,
                   e.nsigs ? "no valid signature by a trusted key" : "not signed");
    troupe_sqlstore_entry_clear(&e);
  }
  free(ids);
  if (rc == TROUPE_E_NOMEM)
    return troupe_err_set(err, rc, "store '%s': out of memory verifying", s->path);
  return rc;
}

int troupe_sqlstore_verify(troupe_sqlstore *s, troupe_sqlstore_report *r, troupe_err *err) {
  if (!s || !r)
    return troupe_err_set(err, TROUPE_E_INVAL, "store verify: no store or no report given");
  memset(r, 0, sizeof *r);
  pthread_mutex_lock(&s->mu);
  sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
  int rc = verify_integrity(s, r, err);
  if (rc == TROUPE_OK)
    rc = verify_blobs(s, r, err);
  if (rc == TROUPE_OK)
    rc = verify_versions(s, r, err);
  sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  pthread_mutex_unlock(&s->mu);
  if (rc == TROUPE_E_NOMEM && err && !err->msg[0])
    troupe_err_set(err, rc, "store '%s': out of memory verifying", s->path);
  if (rc)
    troupe_sqlstore_report_clear(r);
  return rc;
}

/* ---- the store interface ---------------------------------------------------------------- */

static int adapter_get(void *self, const troupe_module_ref *r, troupe_module_blob *out,
                       troupe_err *err) {
  troupe_sqlstore *s = self;
  pthread_mutex_lock(&s->mu);
  int rc = get_locked(s, r, out, err);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* What a reference names, for a host that may have it compiled: the row and its trust,
 * as get judges them, without reading or hashing the blob (get checks the bytes against
 * the stored hash when it reads them; a host asks for them when its cache lacks them). */
static int adapter_resolve(void *self, const troupe_module_ref *r,
                           uint8_t sha256[TROUPE_SHA256_BYTES], char **version,
                           troupe_err *err) {
  troupe_sqlstore *s = self;
  char asked[200], text[200];
  ref_text(r, asked, sizeof asked);
  pthread_mutex_lock(&s->mu);
  sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
  int64_t id;
  troupe_sqlstore_entry e;
  int rc = trN_resolve(s, r, asked, &id, err);
  if (rc == TROUPE_OK && (rc = trN_entry_load(s, id, &e, err)) == TROUPE_OK) {
    snprintf(text, sizeof text, "%s@%s", e.name, e.version);
    if (s->ntrusted)
      rc = check_trust(s, r, id, text, err);
    if (rc == TROUPE_OK) {
      memcpy(sha256, e.sha256, TROUPE_SHA256_BYTES);
      if (!(*version = trB_strdup(e.version)))
        rc = troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': out of memory", s->path);
    }
    troupe_sqlstore_entry_clear(&e);
  }
  sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

static void adapter_destroy(void *self) { troupe_sqlstore_close(self); }

static const troupe_store_ops k_ops = {.get = adapter_get, .destroy = adapter_destroy,
                                       .resolve = adapter_resolve};

int troupe_sqlstore_to_store(troupe_sqlstore *s, troupe_store **out, troupe_err *err) {
  if (!s)
    return troupe_err_set(err, TROUPE_E_INVAL, "store: no SQLite store given");
  return troupe_store_new(&k_ops, s, out, err);
}
