/*
 * node/sqlstore_int.h: what the component store's files (sqlstore*.c, sign.c) share and
 * nothing else needs: the handle's layout, SQLite error mapping, the version order of
 * troupe/store.h, and libsodium's one-time initialisation. The rest of the node sees the
 * store only through include/troupe/sqlstore.h.
 */
#ifndef TROUPE_SRC_NODE_SQLSTORE_INT_H
#define TROUPE_SRC_NODE_SQLSTORE_INT_H

#include "base/base.h"
#include "troupe/sqlstore.h"

#include <pthread.h>
#include <sqlite3.h>

/* Stamped into the file (PRAGMA application_id) so another program's database is told
 * apart from an empty one: "TRUP". */
#define TRN_SQLSTORE_APP_ID 0x54525550

struct troupe_sqlstore {
  pthread_mutex_t mu; /* serializes every call: one connection, multi-statement steps */
  sqlite3 *db;        /* guarded by mu */
  char *path;         /* immutable */
  uint8_t (*trusted)[TROUPE_ED25519_PUBLIC_BYTES]; /* immutable after open */
  size_t ntrusted;
};

/* sign.c: sodium_init once per process; INTERNAL when libsodium cannot start. */
int trN_sodium_ready(troupe_err *err);

/* sqlstore.c: a SQLite failure as a troupe error (BUSY -> TIMEOUT, NOMEM -> NOMEM, the
 * rest IO), with the store's path, what was being done and SQLite's message. */
int trN_sql_fail(const troupe_sqlstore *s, int src, const char *what, troupe_err *err);
/* name and version follow the grammar of troupe/store.h. */
int trN_check_name_version(const char *name, const char *version, troupe_err *err);
uint64_t trN_now_ms(void);

/* sqlstore_entry.c: read module row id into *e (signatures checked against the store's
 * trusted keys). Caller holds s->mu. */
int trN_entry_load(troupe_sqlstore *s, int64_t module_id, troupe_sqlstore_entry *e,
                   troupe_err *err);
/* The module row a parsed reference resolves to (NAME: newest; sha256: first added):
 * *id, or NOTFOUND naming ref_text. Caller holds s->mu. */
int trN_resolve(troupe_sqlstore *s, const troupe_module_ref *r, const char *ref_text,
                int64_t *id, troupe_err *err);

#endif
