/*
 * troupe/sqlstore.h: the node's component store: one SQLite file holding WebAssembly
 * modules content-addressed by SHA-256 (each distinct module's bytes stored once), with
 * a name, a version, a size, the time it was added and optional ed25519 signatures
 * (libsodium). It is what `troupe store ...` operates and what a node loads modules from,
 * through the ordinary store interface of troupe/store.h (troupe_sqlstore_to_store), so a
 * host resolves "NAME", "NAME@VERSION" and "sha256:HEX" from it. docs/STORE.md has the
 * file's schema, the signature scheme and the commands.
 *
 * Integrity and trust. Every module read from the store is hashed again and refused when
 * its bytes no longer match the hash they were stored under. With trusted public keys
 * set (troupe_sqlstore_options.trusted_keys), a module is handed out only when one of
 * its signatures is by a trusted key and verifies; unsigned modules, modules signed by
 * other keys only, and modules whose trusted signature does not verify are refused with
 * TROUPE_E_SIGNATURE and a message naming the module.
 *
 * A signature signs, with crypto_sign_detached, the message
 *     "troupe-module-v1" 0x00 NAME 0x00 VERSION 0x00 SHA256(bytes)   (32 raw bytes)
 * so it vouches for these exact bytes under this name and version (see docs/STORE.md).
 *
 * Threading: a troupe_sqlstore may be used from any thread; its calls are serialized by
 * a lock of its own. Several processes may use one file at once (SQLite WAL; writers wait
 * up to the busy timeout for each other). Ownership is stated at each call.
 */
#ifndef TROUPE_SQLSTORE_H
#define TROUPE_SQLSTORE_H

#include "troupe/error.h"
#include "troupe/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TROUPE_ED25519_PUBLIC_BYTES 32
#define TROUPE_ED25519_SIGNATURE_BYTES 64
#define TROUPE_ED25519_PUBLIC_HEX 65 /* 64 hex digits + NUL */

/* The schema version this library writes (PRAGMA user_version of the file). A file of a
 * higher version is refused by troupe_sqlstore_open with TROUPE_E_UNSUPPORTED. */
#define TROUPE_SQLSTORE_SCHEMA 1

/* ---- signing keys ------------------------------------------------------------------- */

/* An ed25519 key pair. Holds a secret: clear it with troupe_signing_key_clear. */
typedef struct troupe_signing_key {
  uint8_t secret[64]; /* libsodium's form: seed then public key */
  uint8_t public_key[TROUPE_ED25519_PUBLIC_BYTES];
} troupe_signing_key;

/* A new random key pair. */
TROUPE_API int troupe_signing_key_generate(troupe_signing_key *out, troupe_err *err);
/* Write the secret key file at path: created with mode 0600, never over an existing file
 * (EXISTS). The file is one line, "troupe-ed25519-secret-key:" and the 32-byte seed as 64
 * lowercase hex digits. IO with the path and the reason when it cannot be written. */
TROUPE_API int troupe_signing_key_write(const char *path, const troupe_signing_key *key,
                                        troupe_err *err);
/* Read a secret key file written by troupe_signing_key_write. INVAL when the file is not
 * one ("key file 'k': not a troupe secret key ..."), IO when it is unreadable or readable
 * by its group or others (as ssh refuses such keys). */
TROUPE_API int troupe_signing_key_read(const char *path, troupe_signing_key *out,
                                       troupe_err *err);
/* Overwrite the secret (sodium_memzero). key may be NULL. */
TROUPE_API void troupe_signing_key_clear(troupe_signing_key *key);

/* Public keys are written as 64 lowercase hex digits (docs/STORE.md). parse accepts
 * upper case too; INVAL otherwise. */
TROUPE_API void troupe_public_key_hex(const uint8_t key[TROUPE_ED25519_PUBLIC_BYTES],
                                      char hex[TROUPE_ED25519_PUBLIC_HEX]);
TROUPE_API int troupe_public_key_parse(const char *hex, uint8_t key[TROUPE_ED25519_PUBLIC_BYTES],
                                       troupe_err *err);

/* The signature of a module (the message above), and its check: TROUPE_OK when sig is
 * by key over exactly this name, version and hash, else TROUPE_E_SIGNATURE. */
TROUPE_API int troupe_module_sign(const troupe_signing_key *key, const char *name,
                                  const char *version, const uint8_t sha256[TROUPE_SHA256_BYTES],
                                  uint8_t sig[TROUPE_ED25519_SIGNATURE_BYTES], troupe_err *err);
TROUPE_API int troupe_module_verify(const uint8_t key[TROUPE_ED25519_PUBLIC_BYTES],
                                    const char *name, const char *version,
                                    const uint8_t sha256[TROUPE_SHA256_BYTES],
                                    const uint8_t sig[TROUPE_ED25519_SIGNATURE_BYTES],
                                    troupe_err *err);

/* ---- the store -------------------------------------------------------------------- */

typedef struct troupe_sqlstore troupe_sqlstore;

typedef struct troupe_sqlstore_options {
  /* Public keys whose signatures are trusted; the array is copied by open. With none
   * (ntrusted 0), get hands out unsigned modules; with some, only modules signed by one
   * of them. */
  const uint8_t (*trusted_keys)[TROUPE_ED25519_PUBLIC_BYTES];
  size_t ntrusted;
  /* How long a call waits for another process's write to finish (0: 5000 ms). */
  unsigned busy_timeout_ms;
} troupe_sqlstore_options;

/* The default store file: $XDG_DATA_HOME/troupe/store.db when XDG_DATA_HOME is an
 * absolute path, else $HOME/.local/share/troupe/store.db (HOME from the password database
 * when unset). With create_dirs, missing directories on the way are made with mode 0700.
 * *out is malloc'd (the caller frees it). NOTFOUND when no home directory is known, IO
 * when a directory cannot be made. */
TROUPE_API int troupe_sqlstore_default_path(bool create_dirs, char **out, troupe_err *err);

/* Open the store file at path, creating it (and its schema) when it does not exist; opts
 * may be NULL. The file is set to WAL, foreign keys are enforced. Errors: IO when the
 * file cannot be opened or created (the path and the reason), INVAL when it is not a
 * troupe store (not SQLite, or another program's database), UNSUPPORTED when its schema
 * version is newer than TROUPE_SQLSTORE_SCHEMA. *out is closed with troupe_sqlstore_close. */
TROUPE_API int troupe_sqlstore_open(const char *path, const troupe_sqlstore_options *opts,
                                    troupe_sqlstore **out, troupe_err *err);
TROUPE_API void troupe_sqlstore_close(troupe_sqlstore *s); /* s may be NULL */
/* The file's path (lives as long as s). */
TROUPE_API const char *troupe_sqlstore_path(const troupe_sqlstore *s);

/* One signature on a module version. */
typedef struct troupe_sqlstore_sig {
  uint8_t public_key[TROUPE_ED25519_PUBLIC_BYTES];
  uint8_t signature[TROUPE_ED25519_SIGNATURE_BYTES];
  bool valid;   /* verifies over the entry's name, version and sha256 */
  bool trusted; /* its key is one of the store's trusted keys */
} troupe_sqlstore_sig;

/* A module version as the store records it. Owned by the caller: clear with
 * troupe_sqlstore_entry_clear. */
typedef struct troupe_sqlstore_entry {
  char name[129];
  char version[65];
  uint8_t sha256[TROUPE_SHA256_BYTES];
  uint64_t size;         /* bytes */
  uint64_t added_ns;     /* wall clock, ns since 1970 (ms precision) */
  troupe_sqlstore_sig *sigs; /* malloc'd, nsigs of them, by key */
  size_t nsigs;
} troupe_sqlstore_entry;
TROUPE_API void troupe_sqlstore_entry_clear(troupe_sqlstore_entry *e);
TROUPE_API void troupe_sqlstore_entries_free(troupe_sqlstore_entry *es, size_t n);

/* Add a module as name@version, signed by key when key is not NULL. First the bytes must
 * compile (the engine of troupe/wasm.h: MALFORMED/INVALID with the engine's message), name
 * and version must follow the grammar of troupe/store.h (INVAL). An existing name@version
 * with other bytes is refused (EXISTS); with the same bytes the add succeeds and changes
 * nothing but adding key's signature if it was not there yet (*added false). The whole
 * add is one transaction: after a crash the module is there completely or not at all.
 * entry (may be NULL) receives the recorded version (clear it). */
TROUPE_API int troupe_sqlstore_add(troupe_sqlstore *s, const char *name, const char *version,
                                   const void *bytes, size_t len, const troupe_signing_key *key,
                                   troupe_sqlstore_entry *entry, bool *added, troupe_err *err);

/* Every module version, by name then version (newest last, in the order of store.h).
 * *out is malloc'd (NULL when empty): free with troupe_sqlstore_entries_free. */
TROUPE_API int troupe_sqlstore_list(troupe_sqlstore *s, troupe_sqlstore_entry **out, size_t *n,
                                    troupe_err *err);

/* The version a reference names (NAME: the newest; sha256:HEX: the first added with
 * those bytes). NOTFOUND ("no module 'x' in store 'path'"), INVAL for a bad reference. */
TROUPE_API int troupe_sqlstore_show(troupe_sqlstore *s, const char *ref,
                                    troupe_sqlstore_entry *out, troupe_err *err);

/* The module a reference names, checked: its bytes hash to the stored SHA-256 (else IO,
 * "module 'x': stored bytes do not match sha256:..."), and with trusted keys set, one of
 * its signatures is by a trusted key and verifies (else SIGNATURE). For sha256:HEX, any
 * version holding those bytes may carry the signature. *out is the caller's
 * (troupe_module_blob_clear). */
TROUPE_API int troupe_sqlstore_get(troupe_sqlstore *s, const char *ref, troupe_module_blob *out,
                                   troupe_err *err);

/* Remove NAME@VERSION, or every version holding the bytes of sha256:HEX; bytes no version
 * uses any more are deleted in the same transaction. A bare NAME is refused (INVAL: name
 * a version) so that no command removes more than its user spelled out. *removed (may be
 * NULL) receives the number of versions removed. NOTFOUND when there is none. */
TROUPE_API int troupe_sqlstore_remove(troupe_sqlstore *s, const char *ref, size_t *removed,
                                      troupe_err *err);

/* What verify found wrong, one line each ("echo@1.0: stored bytes hash to sha256:ab12...,
 * not sha256:cd34..."). */
typedef struct troupe_sqlstore_report {
  size_t blobs, versions, signatures; /* how many were checked */
  char **problems;                    /* malloc'd strings */
  size_t nproblems;
} troupe_sqlstore_report;
TROUPE_API void troupe_sqlstore_report_clear(troupe_sqlstore_report *r);

/* Check the whole file: SQLite's PRAGMA integrity_check, every stored blob re-hashed
 * against its SHA-256 and size, every signature verified; with trusted keys set, also
 * every version that has no valid trusted signature. Returns TROUPE_OK when the check ran
 * (problems or not: see r->nproblems), an error when it could not. r is the caller's. */
TROUPE_API int troupe_sqlstore_verify(troupe_sqlstore *s, troupe_sqlstore_report *r,
                                      troupe_err *err);

/* The store as a troupe_store for a host (troupe/component.h): its get is
 * troupe_sqlstore_get, with all its checks. On success the troupe_store owns s (s is
 * closed by troupe_store_free); on failure s is still the caller's. */
TROUPE_API int troupe_sqlstore_to_store(troupe_sqlstore *s, troupe_store **out, troupe_err *err);

#ifdef __cplusplus
}
#endif
#endif
