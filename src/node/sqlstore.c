/*
 * node/sqlstore.c: opening the component store's SQLite file -- creating its schema,
 * refusing files that are not a troupe store or come from a newer troupe -- and what the
 * other sqlstore files share: error mapping, the version order, the default location.
 *
 * The file (docs/STORE.md has the full picture):
 *
 *   blob(id, sha256 UNIQUE, size, bytes)         one row per distinct module
 *   module(id, name, version, blob_id -> blob, added_ms)     UNIQUE(name, version)
 *   signature(module_id -> module ON DELETE CASCADE, public_key, signature, added_ms)
 *
 * PRAGMA application_id marks the file as ours, PRAGMA user_version is the schema
 * version (TROUPE_SQLSTORE_SCHEMA). Every connection runs in WAL mode with foreign keys
 * on and synchronous=FULL: an add that returned is on disk, and a process killed in the
 * middle of one leaves the file as it was before it (SQLite's journal does the work;
 * tests/node/test_sqlstore_crash.c checks it).
 */
#include "node/sqlstore_int.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char k_schema[] =
    "CREATE TABLE blob ("
    "  id INTEGER PRIMARY KEY,"
    "  sha256 BLOB NOT NULL UNIQUE CHECK (length(sha256) = 32),"
    "  size INTEGER NOT NULL CHECK (size >= 0),"
    "  bytes BLOB NOT NULL);"
    "CREATE TABLE module ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  blob_id INTEGER NOT NULL REFERENCES blob(id) ON DELETE RESTRICT,"
    "  added_ms INTEGER NOT NULL,"
    "  UNIQUE (name, version));"
    "CREATE INDEX module_blob ON module(blob_id);"
    "CREATE TABLE signature ("
    "  module_id INTEGER NOT NULL REFERENCES module(id) ON DELETE CASCADE,"
    "  public_key BLOB NOT NULL CHECK (length(public_key) = 32),"
    "  signature BLOB NOT NULL CHECK (length(signature) = 64),"
    "  added_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (module_id, public_key));";

uint64_t trN_now_ms(void) { return troupe_clock_wall_ns() / 1000000u; }

int trN_sql_fail(const troupe_sqlstore *s, int src, const char *what, troupe_err *err) {
  const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(src);
  switch (src & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return troupe_err_set(err, TROUPE_E_TIMEOUT,
                          "store '%s': %s: the file stayed locked by another process (%s)",
                          s->path, what, msg);
  case SQLITE_NOMEM:
    return troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': %s: out of memory", s->path, what);
  case SQLITE_NOTADB:
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "store '%s' is not a troupe store (not an SQLite database)", s->path);
  case SQLITE_CORRUPT:
    return troupe_err_set(err, TROUPE_E_IO, "store '%s': %s: the file is corrupt (%s)", s->path,
                          what, msg);
  default: {
    int se = s->db ? sqlite3_system_errno(s->db) : 0;
    char eb[96];
    if (se)
      return troupe_err_set(err, TROUPE_E_IO, "store '%s': %s: %s (%s)", s->path, what, msg,
                            strerror_r(se, eb, sizeof eb));
    return troupe_err_set(err, TROUPE_E_IO, "store '%s': %s: %s", s->path, what, msg);
  }
  }
}

/* ---- the version order (troupe_module_version_cmp) as a SQLite collation ---------- */

/* SQLite hands collations unterminated text: copy to terminated buffers (versions are
 * at most 64 bytes; anything longer was not written by us and sorts by bytes). */
static int version_collation(void *user, int an, const void *a, int bn, const void *b) {
  (void)user;
  char x[65], y[65];
  if (an > 64 || bn > 64) {
    int c = memcmp(a, b, (size_t)TR_MIN(an, bn));
    return c ? c : an - bn;
  }
  memcpy(x, a, (size_t)an);
  x[an] = '\0';
  memcpy(y, b, (size_t)bn);
  y[bn] = '\0';
  return troupe_module_version_cmp(x, y);
}

int trN_check_name_version(const char *name, const char *version, troupe_err *err) {
  if (!name || !*name)
    return troupe_err_set(err, TROUPE_E_INVAL, "module name is empty");
  if (!version || !*version)
    return troupe_err_set(err, TROUPE_E_INVAL, "module '%.128s': version is empty", name);
  /* The reference parser holds the grammar: NAME@VERSION must parse back to the two. */
  size_t nl = strlen(name), vl = strlen(version);
  if (nl > 128 || vl > 64 || strchr(name, '@') || !strncmp(name, "sha256:", 7))
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "module name '%.128s' or version '%.64s' is not valid (name: 1..128 "
                          "bytes of letters, digits, '_', '.', '-'; version: 1..64, also '+')",
                          name, version);
  char ref[128 + 1 + 64 + 1];
  snprintf(ref, sizeof ref, "%s@%s", name, version);
  troupe_module_ref r;
  return troupe_module_ref_parse(ref, &r, err);
}

/* ---- opening -------------------------------------------------------------------------- */

static int exec(troupe_sqlstore *s, const char *sql, const char *what, troupe_err *err) {
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? TROUPE_OK : trN_sql_fail(s, rc, what, err);
}

static int pragma_int(troupe_sqlstore *s, const char *sql, int64_t *out, troupe_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? TROUPE_OK : trN_sql_fail(s, rc, sql, err);
}

/* Create the schema in an empty file, or check an existing one is ours and not newer.
 * Under BEGIN IMMEDIATE, so two processes opening a new file create it once. */
static int prepare_schema(troupe_sqlstore *s, troupe_err *err) {
  int rc = exec(s, "BEGIN IMMEDIATE", "opening", err);
  if (rc)
    return rc;
  int64_t app = 0, ver = 0, tables = 0;
  if ((rc = pragma_int(s, "PRAGMA application_id", &app, err)) ||
      (rc = pragma_int(s, "PRAGMA user_version", &ver, err)) ||
      (rc = pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables, err)))
    goto fail;
  if (app == 0 && ver == 0 && tables == 0) {
    char sql[sizeof k_schema + 128];
    snprintf(sql, sizeof sql, "%sPRAGMA application_id = %d; PRAGMA user_version = %d;",
             k_schema, TRN_SQLSTORE_APP_ID, TROUPE_SQLSTORE_SCHEMA);
    if ((rc = exec(s, sql, "creating the schema", err)))
      goto fail;
  } else if (app != TRN_SQLSTORE_APP_ID) {
    rc = troupe_err_set(err, TROUPE_E_INVAL,
                        "store '%s' is not a troupe store (an SQLite database of another "
                        "program: application_id %lld)",
                        s->path, (long long)app);
    goto fail;
  } else if (ver > TROUPE_SQLSTORE_SCHEMA || ver < 1) {
    rc = troupe_err_set(err, TROUPE_E_UNSUPPORTED,
                        "store '%s' has schema version %lld; this troupe (%s) knows version "
                        "%d (a newer troupe made the file?)",
                        s->path, (long long)ver, troupe_version(), TROUPE_SQLSTORE_SCHEMA);
    goto fail;
  }
  return exec(s, "COMMIT", "opening", err);
fail:
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

int troupe_sqlstore_open(const char *path, const troupe_sqlstore_options *opts,
                         troupe_sqlstore **out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "store: no output given");
  *out = NULL;
  if (!path || !*path)
    return troupe_err_set(err, TROUPE_E_INVAL, "store: no path given");
  int rc = trN_sodium_ready(err);
  if (rc)
    return rc;
  troupe_sqlstore *s = trB_calloc(1, sizeof *s);
  if (!s || !(s->path = trB_strdup(path))) {
    free(s);
    return troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': out of memory", path);
  }
  pthread_mutex_init(&s->mu, NULL);
  if (opts && opts->ntrusted) {
    if (!opts->trusted_keys) {
      rc = troupe_err_set(err, TROUPE_E_INVAL, "store '%s': %zu trusted keys but no array",
                          path, opts->ntrusted);
      goto fail;
    }
    s->trusted = trB_memdup(opts->trusted_keys, opts->ntrusted * sizeof *s->trusted);
    if (!s->trusted) {
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "store '%s': out of memory", path);
      goto fail;
    }
    s->ntrusted = opts->ntrusted;
  }
  /* A directory named like the file would give SQLite's vaguer "unable to open". */
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    rc = troupe_err_set(err, TROUPE_E_IO, "store '%s' is not a regular file", path);
    goto fail;
  }
  int src = sqlite3_open_v2(path, &s->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                            NULL);
  if (src != SQLITE_OK) {
    rc = trN_sql_fail(s, src, "cannot open or create the file", err);
    goto fail;
  }
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, opts && opts->busy_timeout_ms ? (int)opts->busy_timeout_ms : 5000);
  src = sqlite3_create_collation(s->db, "troupe_version", SQLITE_UTF8, NULL, version_collation);
  if (src != SQLITE_OK) {
    rc = trN_sql_fail(s, src, "registering the version order", err);
    goto fail;
  }
  if ((rc = prepare_schema(s, err)))
    goto fail;
  /* WAL after the check: a file that is not ours is not converted. */
  if ((rc = exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                    "PRAGMA foreign_keys = ON;",
                 "setting up the connection", err)))
    goto fail;
  *out = s;
  return TROUPE_OK;
fail:
  troupe_sqlstore_close(s);
  return rc;
}

void troupe_sqlstore_close(troupe_sqlstore *s) {
  if (!s)
    return;
  sqlite3_close_v2(s->db);
  pthread_mutex_destroy(&s->mu);
  free(s->trusted);
  free(s->path);
  free(s);
}

const char *troupe_sqlstore_path(const troupe_sqlstore *s) { return s ? s->path : NULL; }

/* ---- the default location -------------------------------------------------------------- */

/* mkdir -p for the directories of path (not its last component), new ones 0700. */
static int make_parents(char *path, troupe_err *err) {
  char eb[96];
  for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
    *p = '\0';
    struct stat st;
    int rc = TROUPE_OK;
    if (stat(path, &st) != 0) {
      if (mkdir(path, 0700) != 0 && errno != EEXIST)
        rc = troupe_err_set(err, TROUPE_E_IO, "cannot create directory '%s': %s", path,
                            strerror_r(errno, eb, sizeof eb));
    } else if (!S_ISDIR(st.st_mode)) {
      rc = troupe_err_set(err, TROUPE_E_IO, "'%s' is not a directory", path);
    }
    *p = '/';
    if (rc)
      return rc;
  }
  return TROUPE_OK;
}

int troupe_sqlstore_default_path(bool create_dirs, char **out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "store path: no output given");
  *out = NULL;
  /* The XDG base directory spec: a relative XDG_DATA_HOME is invalid and ignored. */
  const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME"), *sub;
  const char *base;
  if (xdg && xdg[0] == '/') {
    base = xdg;
    sub = "/troupe/store.db";
  } else {
    if (!home || home[0] != '/') {
      struct passwd *pw = getpwuid(getuid());
      home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
    }
    if (!home)
      return troupe_err_set(err, TROUPE_E_NOTFOUND,
                            "no default store: neither XDG_DATA_HOME nor a home directory is "
                            "set (use --store PATH)");
    base = home;
    sub = "/.local/share/troupe/store.db";
  }
  size_t n = strlen(base) + strlen(sub) + 1;
  char *p = trB_malloc(n);
  if (!p)
    return troupe_err_set(err, TROUPE_E_NOMEM, "store path: out of memory");
  snprintf(p, n, "%s%s", base, sub);
  if (create_dirs) {
    int rc = make_parents(p, err);
    if (rc) {
      free(p);
      return rc;
    }
  }
  *out = p;
  return TROUPE_OK;
}
