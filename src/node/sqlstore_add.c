/*
 * node/sqlstore_add.c: adding a module to the store. Everything that can be refused
 * without the file is done first and outside the lock -- the name and version checked,
 * the bytes compiled by the engine (a module the store holds is one a host can load),
 * hashed and signed -- then one IMMEDIATE transaction writes the bytes (once per hash),
 * the version's row and its signature. A process killed at any moment leaves the file
 * with all of that or none of it.
 */
#include "node/sqlstore_int.h"
#include "troupe/wasm.h"

#include <stdio.h>

/* The existing row of name@version: *id and its blob's sha256, or *id = 0. */
static int find_version(troupe_sqlstore *s, const char *name, const char *version, int64_t *id,
                        uint8_t sha[TROUPE_SHA256_BYTES], troupe_err *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db,
                               "SELECT m.id, b.sha256 FROM module m JOIN blob b ON b.id = "
                               "m.blob_id WHERE m.name = ? AND m.version = ?",
                               -1, &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "looking the version up", err);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
  *id = 0;
  int rc = TROUPE_OK;
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    memset(sha, 0, TROUPE_SHA256_BYTES);
    if (sqlite3_column_bytes(st, 1) == TROUPE_SHA256_BYTES)
      memcpy(sha, sqlite3_column_blob(st, 1), TROUPE_SHA256_BYTES);
  } else if (src != SQLITE_DONE) {
    rc = trN_sql_fail(s, src, "looking the version up", err);
  }
  sqlite3_finalize(st);
  return rc;
}

/* One statement with its parameters bound by the caller's binder, stepped to the end. */
static int run(troupe_sqlstore *s, const char *sql, const char *what, troupe_err *err,
               int (*bind)(sqlite3_stmt *, const void *), const void *arg, int64_t *rowid) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (src == SQLITE_OK && bind)
    src = bind(st, arg);
  if (src == SQLITE_OK) {
    src = sqlite3_step(st);
    if (src == SQLITE_ROW && rowid)
      *rowid = sqlite3_column_int64(st, 0);
    if (src == SQLITE_ROW || src == SQLITE_DONE)
      src = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return src == SQLITE_OK ? TROUPE_OK : trN_sql_fail(s, src, what, err);
}

typedef struct add_args {
  const char *name, *version;
  const void *bytes;
  size_t len;
  const uint8_t *sha;
  int64_t blob_id, module_id, now_ms;
  const troupe_signing_key *key;
  const uint8_t *sig;
} add_args;

static int bind_blob(sqlite3_stmt *st, const void *p) {
  const add_args *a = p;
  int rc = sqlite3_bind_blob(st, 1, a->sha, TROUPE_SHA256_BYTES, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)a->len);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_blob64(st, 3, a->bytes, (sqlite3_uint64)a->len, SQLITE_STATIC);
  return rc;
}

static int bind_sha(sqlite3_stmt *st, const void *p) {
  const add_args *a = p;
  return sqlite3_bind_blob(st, 1, a->sha, TROUPE_SHA256_BYTES, SQLITE_STATIC);
}

static int bind_module(sqlite3_stmt *st, const void *p) {
  const add_args *a = p;
  int rc = sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, 2, a->version, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 3, a->blob_id);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 4, a->now_ms);
  return rc;
}

static int bind_sig(sqlite3_stmt *st, const void *p) {
  const add_args *a = p;
  int rc = sqlite3_bind_int64(st, 1, a->module_id);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_blob(st, 2, a->key->public_key, TROUPE_ED25519_PUBLIC_BYTES, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_blob(st, 3, a->sig, TROUPE_ED25519_SIGNATURE_BYTES, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 4, a->now_ms);
  return rc;
}

/* The transaction's body. Caller holds s->mu and has begun the transaction. */
static int write_rows(troupe_sqlstore *s, add_args *a, bool *added, troupe_err *err) {
  uint8_t have[TROUPE_SHA256_BYTES];
  int rc = find_version(s, a->name, a->version, &a->module_id, have, err);
  if (rc)
    return rc;
  if (a->module_id) {
    if (memcmp(have, a->sha, TROUPE_SHA256_BYTES) != 0) {
      char hx[TROUPE_SHA256_HEX], nx[TROUPE_SHA256_HEX];
      troupe_sha256_hex(have, hx);
      troupe_sha256_hex(a->sha, nx);
      return troupe_err_set(err, TROUPE_E_EXISTS,
                            "store '%s' already holds '%s@%s' with other bytes (sha256:%.16s..., "
                            "these are sha256:%.16s...): a version never changes; add a new "
                            "version",
                            s->path, a->name, a->version, hx, nx);
    }
    *added = false;
  } else {
    /* The bytes once per hash: a second name for the same module shares them. */
    rc = run(s,
             "INSERT INTO blob (sha256, size, bytes) VALUES (?, ?, ?) "
             "ON CONFLICT (sha256) DO NOTHING",
             "storing the module's bytes", err, bind_blob, a, NULL);
    if (rc == TROUPE_OK)
      rc = run(s, "SELECT id FROM blob WHERE sha256 = ?", "storing the module's bytes", err,
               bind_sha, a, &a->blob_id);
    if (rc == TROUPE_OK)
      rc = run(s,
               "INSERT INTO module (name, version, blob_id, added_ms) VALUES (?, ?, ?, ?) "
               "RETURNING id",
               "recording the version", err, bind_module, a, &a->module_id);
    if (rc)
      return rc;
    *added = true;
  }
  if (a->key)
    rc = run(s,
             "INSERT INTO signature (module_id, public_key, signature, added_ms) "
             "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
             "recording the signature", err, bind_sig, a, NULL);
  return rc;
}

int troupe_sqlstore_add(troupe_sqlstore *s, const char *name, const char *version,
                        const void *bytes, size_t len, const troupe_signing_key *key,
                        troupe_sqlstore_entry *entry, bool *added, troupe_err *err) {
  if (entry)
    memset(entry, 0, sizeof *entry);
  bool was_added = false;
  if (added)
    *added = false;
  if (!s)
    return troupe_err_set(err, TROUPE_E_INVAL, "store add: no store given");
  int rc = trN_check_name_version(name, version, err);
  if (rc)
    return rc;
  if (!bytes || !len)
    return troupe_err_set(err, TROUPE_E_INVAL, "module '%s@%s': no bytes", name, version);

  troupe_wasm_module *m = NULL;
  troupe_err cerr;
  troupe_err_clear(&cerr);
  rc = troupe_wasm_module_new(bytes, len, &m, &cerr);
  troupe_wasm_module_free(m);
  if (rc == TROUPE_E_NOMEM)
    return troupe_err_set(err, rc, "module '%s@%s': out of memory compiling it", name, version);
  if (rc)
    return troupe_err_set(err, rc, "module '%s@%s' is not a valid WebAssembly module: %s", name,
                          version, troupe_err_message(&cerr));

  uint8_t sha[TROUPE_SHA256_BYTES], sig[TROUPE_ED25519_SIGNATURE_BYTES];
  troupe_sha256(bytes, len, sha);
  if (key && (rc = troupe_module_sign(key, name, version, sha, sig, err)))
    return rc;
  add_args a = {.name = name, .version = version, .bytes = bytes, .len = len, .sha = sha,
                .now_ms = (int64_t)trN_now_ms(), .key = key, .sig = sig};

  pthread_mutex_lock(&s->mu);
  int src = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (src != SQLITE_OK) {
    rc = trN_sql_fail(s, src, "starting the add", err);
  } else {
    rc = write_rows(s, &a, &was_added, err);
    if (rc == TROUPE_OK && (src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
      rc = trN_sql_fail(s, src, "committing the add", err);
    if (rc)
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  }
  if (rc == TROUPE_OK && entry)
    rc = trN_entry_load(s, a.module_id, entry, err);
  pthread_mutex_unlock(&s->mu);
  if (rc == TROUPE_OK && added)
    *added = was_added;
  return rc;
}
