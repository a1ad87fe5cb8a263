/*
 * node/sqlstore_entry.c: reading what the store records about its modules -- resolving
 * a reference to a module row, loading a row with its signatures (each checked: does it
 * verify, is its key trusted), listing and showing. No module bytes are read here: a
 * listing of a store of large modules reads only the small rows.
 */
#include "node/sqlstore_int.h"

#include <stdio.h>

void troupe_sqlstore_entry_clear(troupe_sqlstore_entry *e) {
  if (!e)
    return;
  free(e->sigs);
  memset(e, 0, sizeof *e);
}

void troupe_sqlstore_entries_free(troupe_sqlstore_entry *es, size_t n) {
  for (size_t i = 0; es && i < n; i++)
    troupe_sqlstore_entry_clear(&es[i]);
  free(es);
}

static bool is_trusted(const troupe_sqlstore *s, const uint8_t key[TROUPE_ED25519_PUBLIC_BYTES]) {
  for (size_t i = 0; i < s->ntrusted; i++)
    if (memcmp(s->trusted[i], key, TROUPE_ED25519_PUBLIC_BYTES) == 0)
      return true;
  return false;
}

static void copy_text(char *dst, size_t cap, const unsigned char *src) {
  snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

/* The signatures of the module row id, checked against e's name, version and sha256. */
static int load_sigs(troupe_sqlstore *s, int64_t id, troupe_sqlstore_entry *e, troupe_err *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db,
                               "SELECT public_key, signature FROM signature WHERE module_id = ? "
                               "ORDER BY public_key",
                               -1, &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "reading signatures", err);
  sqlite3_bind_int64(st, 1, id);
  int rc = TROUPE_OK;
  size_t cap = 0;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_bytes(st, 0) != TROUPE_ED25519_PUBLIC_BYTES ||
        sqlite3_column_bytes(st, 1) != TROUPE_ED25519_SIGNATURE_BYTES)
      continue; /* the schema's CHECKs forbid it; a hand-edited file is not trusted */
    if (e->nsigs == cap) {
      cap = cap ? 2 * cap : 2;
      troupe_sqlstore_sig *g = trB_realloc_array(e->sigs, cap, sizeof *g);
      if (!g) {
        rc = troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': out of memory", s->path);
        break;
      }
      e->sigs = g;
    }
    troupe_sqlstore_sig *g = &e->sigs[e->nsigs++];
    memcpy(g->public_key, sqlite3_column_blob(st, 0), TROUPE_ED25519_PUBLIC_BYTES);
    memcpy(g->signature, sqlite3_column_blob(st, 1), TROUPE_ED25519_SIGNATURE_BYTES);
    g->valid = troupe_module_verify(g->public_key, e->name, e->version, e->sha256, g->signature,
                                    NULL) == TROUPE_OK;
    g->trusted = is_trusted(s, g->public_key);
  }
  if (rc == TROUPE_OK && src != SQLITE_DONE)
    rc = trN_sql_fail(s, src, "reading signatures", err);
  sqlite3_finalize(st);
  return rc;
}

static const char k_entry_cols[] =
    "SELECT m.id, m.name, m.version, b.sha256, b.size, m.added_ms "
    "FROM module m JOIN blob b ON b.id = m.blob_id ";

/* Fill e from a row of k_entry_cols (without signatures). */
static void entry_from_row(sqlite3_stmt *st, troupe_sqlstore_entry *e) {
  memset(e, 0, sizeof *e);
  copy_text(e->name, sizeof e->name, sqlite3_column_text(st, 1));
  copy_text(e->version, sizeof e->version, sqlite3_column_text(st, 2));
  if (sqlite3_column_bytes(st, 3) == TROUPE_SHA256_BYTES)
    memcpy(e->sha256, sqlite3_column_blob(st, 3), TROUPE_SHA256_BYTES);
  int64_t size = sqlite3_column_int64(st, 4), ms = sqlite3_column_int64(st, 5);
  e->size = size > 0 ? (uint64_t)size : 0;
  e->added_ns = ms > 0 ? (uint64_t)ms * 1000000u : 0;
}

int trN_entry_load(troupe_sqlstore *s, int64_t module_id, troupe_sqlstore_entry *e,
                   troupe_err *err) {
  char sql[sizeof k_entry_cols + 32];
  snprintf(sql, sizeof sql, "%sWHERE m.id = ?", k_entry_cols);
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "reading a module", err);
  sqlite3_bind_int64(st, 1, module_id);
  src = sqlite3_step(st);
  int rc = TROUPE_OK;
  if (src == SQLITE_ROW)
    entry_from_row(st, e);
  else if (src == SQLITE_DONE)
    rc = troupe_err_set(err, TROUPE_E_NOTFOUND, "store '%s': module row %lld is gone", s->path,
                        (long long)module_id);
  else
    rc = trN_sql_fail(s, src, "reading a module", err);
  sqlite3_finalize(st);
  if (rc == TROUPE_OK && (rc = load_sigs(s, module_id, e, err)))
    troupe_sqlstore_entry_clear(e);
  return rc;
}

int trN_resolve(troupe_sqlstore *s, const troupe_module_ref *r, const char *ref_text, int64_t *id,
                troupe_err *err) {
  const char *sql;
  switch (r->kind) {
  case TROUPE_REF_SHA256:
    sql = "SELECT m.id FROM module m JOIN blob b ON b.id = m.blob_id WHERE b.sha256 = ? "
          "ORDER BY m.added_ms, m.id LIMIT 1";
    break;
  case TROUPE_REF_VERSION:
    sql = "SELECT id FROM module WHERE name = ? AND version = ?";
    break;
  default:
    sql = "SELECT id FROM module WHERE name = ? "
          "ORDER BY version COLLATE troupe_version DESC LIMIT 1";
    break;
  }
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (src != SQLITE_OK)
    return trN_sql_fail(s, src, "looking a module up", err);
  if (r->kind == TROUPE_REF_SHA256) {
    sqlite3_bind_blob(st, 1, r->sha256, TROUPE_SHA256_BYTES, SQLITE_STATIC);
  } else {
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    if (r->kind == TROUPE_REF_VERSION)
      sqlite3_bind_text(st, 2, r->version, -1, SQLITE_STATIC);
  }
  src = sqlite3_step(st);
  int rc = TROUPE_OK;
  if (src == SQLITE_ROW)
    *id = sqlite3_column_int64(st, 0);
  else if (src == SQLITE_DONE)
    rc = troupe_err_set(err, TROUPE_E_NOTFOUND, "no module '%s' in store '%s'", ref_text, s->path);
  else
    rc = trN_sql_fail(s, src, "looking a module up", err);
  sqlite3_finalize(st);
  return rc;
}

int troupe_sqlstore_show(troupe_sqlstore *s, const char *ref, troupe_sqlstore_entry *out,
                         troupe_err *err) {
  if (!s || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "store show: no store or no output given");
  memset(out, 0, sizeof *out);
  troupe_module_ref r;
  int rc = troupe_module_ref_parse(ref, &r, err);
  if (rc)
    return rc;
  pthread_mutex_lock(&s->mu);
  int64_t id;
  rc = trN_resolve(s, &r, ref, &id, err);
  if (rc == TROUPE_OK)
    rc = trN_entry_load(s, id, out, err);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

int troupe_sqlstore_list(troupe_sqlstore *s, troupe_sqlstore_entry **out, size_t *n,
                         troupe_err *err) {
  if (!s || !out || !n)
    return troupe_err_set(err, TROUPE_E_INVAL, "store list: no store or no output given");
  *out = NULL;
  *n = 0;
  char sql[sizeof k_entry_cols + 64];
  snprintf(sql, sizeof sql, "%sORDER BY m.name, m.version COLLATE troupe_version", k_entry_cols);
  pthread_mutex_lock(&s->mu);
  sqlite3_stmt *st = NULL;
  troupe_sqlstore_entry *es = NULL;
  int64_t *ids = NULL;
  size_t cnt = 0, cap = 0;
  int rc = TROUPE_OK, src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (src != SQLITE_OK) {
    rc = trN_sql_fail(s, src, "listing modules", err);
    goto out;
  }
  /* Rows first, then each row's signatures: one statement open at a time. The listing is
   * read inside one transaction so it is one consistent picture of the file. */
  sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (cnt == cap) {
      cap = cap ? 2 * cap : 16;
      troupe_sqlstore_entry *g = trB_realloc_array(es, cap, sizeof *g);
      int64_t *gi = g ? trB_realloc_array(ids, cap, sizeof *gi) : NULL;
      if (g)
        es = g;
      if (gi)
        ids = gi;
      if (!g || !gi) {
        rc = troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': out of memory listing", s->path);
        break;
      }
    }
    entry_from_row(st, &es[cnt]);
    ids[cnt++] = sqlite3_column_int64(st, 0);
  }
  if (rc == TROUPE_OK && src != SQLITE_DONE)
    rc = trN_sql_fail(s, src, "listing modules", err);
  sqlite3_finalize(st);
  st = NULL;
  for (size_t i = 0; rc == TROUPE_OK && i < cnt; i++)
    rc = load_sigs(s, ids[i], &es[i], err);
  sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  free(ids);
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->mu);
  if (rc) {
    troupe_sqlstore_entries_free(es, cnt);
    return rc;
  }
  *out = es;
  *n = cnt;
  return TROUPE_OK;
}
