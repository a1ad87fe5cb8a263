/*
 * tests/node/test_sqlstore_util.h: what the component store's tests share: a private
 * temporary directory per test (removed at the end), small valid modules that differ
 * in a custom section (so each is distinct bytes), the bytes of built components, and
 * raw SQL on a store file -- the way tests damage a store behind its back.
 */
#ifndef TROUPE_TESTS_NODE_SQLSTORE_UTIL_H
#define TROUPE_TESTS_NODE_SQLSTORE_UTIL_H

#include "troupe/base.h"
#include "troupe/sqlstore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory under TMPDIR (or /tmp), malloc'd. */
static inline char *su_tmpdir(void) {
  const char *t = getenv("TMPDIR");
  char tmpl[512];
  snprintf(tmpl, sizeof tmpl, "%s/troupe-store-XXXXXX", t && *t ? t : "/tmp");
  char *d = mkdtemp(tmpl);
  return d ? strdup(d) : NULL;
}

static inline void su_rmrf(const char *dir) {
  if (!dir || strncmp(dir, "/tmp/", 5) != 0 || strstr(dir, ".."))
    return; /* only what su_tmpdir made (TMPDIR elsewhere: left behind, harmlessly) */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
}

/* dir/name, malloc'd. */
static inline char *su_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* A valid module: the header and one custom section "t" holding the text tag, so that
 * different tags are different bytes. *len receives its size; malloc'd. */
static inline uint8_t *su_module(const char *tag, size_t *len) {
  size_t tl = strlen(tag); /* < 120: the section size stays one LEB128 byte */
  uint8_t *b = malloc(8 + 2 + 2 + tl);
  static const uint8_t head[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  memcpy(b, head, 8);
  b[8] = 0x00;                   /* custom section */
  b[9] = (uint8_t)(2 + tl);      /* its size */
  b[10] = 0x01;                  /* name length */
  b[11] = 't';                   /* name */
  memcpy(b + 12, tag, tl);       /* contents */
  *len = 12 + tl;
  return b;
}

static inline uint8_t *su_file_bytes(const char *path, size_t *len) {
  *len = 0;
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

static inline uint8_t *su_component(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wasm", TROUPE_COMPONENTS_DIR, name);
  return su_file_bytes(path, len);
}

/* Run SQL on the file with a connection of our own; SQLITE_OK or the error code. */
static inline int su_sql(const char *db_path, const char *sql) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
      fprintf(stderr, "sql '%s': %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
  }
  sqlite3_close(db);
  return rc;
}

/* The integer the first column of the first row of sql gives, or -1. */
static inline long long su_sql_int(const char *db_path, const char *sql) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  long long v = -1;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* Flip the bits of the last byte of column col in the rows of table that `where` selects,
 * keeping the length: damage as a disk or a careless hand would do it. Returns the
 * number of rows changed, or -1. */
static inline int su_flip_last_byte(const char *db_path, const char *table, const char *col,
                                    const char *where) {
  sqlite3 *db = NULL;
  sqlite3_stmt *sel = NULL, *upd = NULL;
  char sql[512];
  int changed = -1;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    goto out;
  sqlite3_busy_timeout(db, 5000);
  snprintf(sql, sizeof sql, "SELECT rowid, %s FROM %s WHERE %s", col, table, where);
  if (sqlite3_prepare_v2(db, sql, -1, &sel, NULL) != SQLITE_OK)
    goto out;
  snprintf(sql, sizeof sql, "UPDATE %s SET %s = ? WHERE rowid = ?", table, col);
  if (sqlite3_prepare_v2(db, sql, -1, &upd, NULL) != SQLITE_OK)
    goto out;
  changed = 0;
  while (sqlite3_step(sel) == SQLITE_ROW) {
    int n = sqlite3_column_bytes(sel, 1);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    memcpy(b, sqlite3_column_blob(sel, 1), (size_t)n);
    b[n - 1] ^= 0xff;
    sqlite3_bind_blob(upd, 1, b, n, SQLITE_TRANSIENT);
    sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
    if (sqlite3_step(upd) == SQLITE_DONE)
      changed++;
    sqlite3_reset(upd);
    free(b);
  }
out:
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  sqlite3_close(db);
  return changed;
}

/* A new key pair written to dir/name (0600), returned in *key. */
static inline int su_key(const char *dir, const char *name, troupe_signing_key *key) {
  char *p = su_path(dir, name);
  troupe_err err;
  int rc = troupe_signing_key_generate(key, &err);
  if (rc == TROUPE_OK)
    rc = troupe_signing_key_write(p, key, &err);
  if (rc)
    fprintf(stderr, "key: %s\n", err.msg);
  free(p);
  return rc;
}

#endif
