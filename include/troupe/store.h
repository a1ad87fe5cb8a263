/*
 * troupe/store.h: component stores, where a host finds the bytes of a module by a
 * reference. A store is an interface (troupe_store_ops) with two implementations here:
 * in memory (modules added by the embedder) and a directory of .wasm files. The node
 * adds a signed SQLite store later behind the same interface.
 *
 * References, as a user writes them:
 *   "NAME"             the newest version of NAME (the highest version, compared as
 *                      dotted numbers where both are numeric, else as strings);
 *   "NAME@VERSION"     exactly that version;
 *   "sha256:HEX"       the module whose bytes hash to HEX (64 lowercase hex digits),
 *                      whatever its name.
 * NAME is 1..128 bytes of [A-Za-z0-9_.-]; VERSION 1..64 bytes of [A-Za-z0-9_.+-].
 *
 * Threading: every call is thread-safe (a store is shared by all the workers of a host).
 * Ownership: a blob returned by troupe_store_get belongs to the caller (clear it with
 * troupe_module_blob_clear).
 */
#ifndef TROUPE_STORE_H
#define TROUPE_STORE_H

#include "troupe/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TROUPE_SHA256_BYTES 32
#define TROUPE_SHA256_HEX 65 /* 64 digits + NUL */

/* A module found in a store: its bytes, their SHA-256, its name and version. */
typedef struct troupe_module_blob {
  uint8_t *bytes;
  size_t len;
  uint8_t sha256[TROUPE_SHA256_BYTES];
  char *name;    /* NULL when the store does not know one */
  char *version; /* NULL when the store does not know one */
} troupe_module_blob;

/* Free what the blob owns and zero it. blob may be NULL. */
TROUPE_API void troupe_module_blob_clear(troupe_module_blob *blob);

/* SHA-256 of bytes (libsodium), and its lowercase hex form into hex[TROUPE_SHA256_HEX]. */
TROUPE_API void troupe_sha256(const void *bytes, size_t len, uint8_t out[TROUPE_SHA256_BYTES]);
TROUPE_API void troupe_sha256_hex(const uint8_t sha[TROUPE_SHA256_BYTES], char hex[TROUPE_SHA256_HEX]);

/* Split a reference: INVAL with a message saying what is wrong ("module reference
 * 'a b': name may hold only letters, digits, '_', '.', '-'"). *kind tells which form. */
typedef enum troupe_ref_kind {
  TROUPE_REF_NAME = 0,    /* "NAME": name filled, version empty */
  TROUPE_REF_VERSION = 1, /* "NAME@VERSION" */
  TROUPE_REF_SHA256 = 2,  /* "sha256:HEX": sha256 filled */
} troupe_ref_kind;
typedef struct troupe_module_ref {
  troupe_ref_kind kind;
  char name[129];
  char version[65];
  uint8_t sha256[TROUPE_SHA256_BYTES];
} troupe_module_ref;
TROUPE_API int troupe_module_ref_parse(const char *ref, troupe_module_ref *out, troupe_err *err);

/* The order of versions that picks "the newest" for a bare NAME: dot-separated parts
 * compared in turn, as numbers where both are digits (any length), else as bytes; a
 * version with more parts after equal ones is newer; versions equal as numbers ("1.01"
 * and "1.1") are ordered by their bytes. Returns -1, 0 or 1. */
TROUPE_API int troupe_module_version_cmp(const char *a, const char *b);

typedef struct troupe_store troupe_store;

/* The interface, for an embedder's own store. `get` resolves a parsed reference: fill
 * *out (bytes malloc'd; name/version malloc'd or NULL) and return TROUPE_OK, or
 * NOTFOUND ("no module 'x' in the store"), IO, NOMEM with a message. The store wrapper
 * computes and checks sha256 itself (a store cannot lie about it): the implementation
 * need not fill it. `destroy` frees the implementation's state (may be NULL).
 * `resolve` (optional, NULL: not offered) says what a reference names now without the
 * bytes: the module's SHA-256 and its version (*version malloc'd, or NULL), or NOTFOUND
 * as get would. A host that has that module compiled then copies and hashes nothing for
 * a spawn by a bare NAME. Its claim is trusted (only bytes are checked, when they are
 * got): a store that resolves a name to another module's hash runs that module. */
typedef struct troupe_store_ops {
  int (*get)(void *self, const troupe_module_ref *ref, troupe_module_blob *out, troupe_err *err);
  void (*destroy)(void *self);
  int (*resolve)(void *self, const troupe_module_ref *ref, uint8_t sha256[TROUPE_SHA256_BYTES],
                 char **version, troupe_err *err);
} troupe_store_ops;

/* Wrap an implementation (ops is not copied: it must outlive the store; self is owned
 * by the store once this succeeds and destroyed with it). */
TROUPE_API int troupe_store_new(const troupe_store_ops *ops, void *self, troupe_store **out,
                                troupe_err *err);
TROUPE_API void troupe_store_free(troupe_store *s); /* s may be NULL */

/* Resolve a reference. NOTFOUND when absent; INVAL for a malformed reference; for a
 * sha256 reference, bytes that do not hash to it are refused (IO, "store returned
 * bytes that do not match sha256:..."). *out is owned by the caller. */
TROUPE_API int troupe_store_get(troupe_store *s, const char *ref, troupe_module_blob *out,
                                troupe_err *err);
/* What a reference names now, without fetching the bytes: its SHA-256 and version
 * (*version malloc'd or NULL; the caller frees it). UNSUPPORTED when the store offers
 * no resolve (use troupe_store_get); NOTFOUND, INVAL as get; a sha256 reference must
 * resolve to its own hash, a NAME@VERSION to that version (IO otherwise). */
TROUPE_API int troupe_store_resolve(troupe_store *s, const char *ref,
                                    uint8_t sha256[TROUPE_SHA256_BYTES], char **version,
                                    troupe_err *err);

/* An in-memory store. add copies the bytes; name and version are required (version
 * must be new for that name: EXISTS otherwise); sha256_out may be NULL. */
TROUPE_API int troupe_store_mem_new(troupe_store **out, troupe_err *err);
TROUPE_API int troupe_store_mem_add(troupe_store *s, const char *name, const char *version,
                                    const void *bytes, size_t len,
                                    uint8_t sha256_out[TROUPE_SHA256_BYTES], troupe_err *err);

/* A directory store: the modules are the files DIR/NAME.wasm (version "0") and
 * DIR/NAME@VERSION.wasm, read when asked for (so a file replaced on disk is seen by
 * the next get). Files of other names are ignored. Read-only. NOTFOUND/IO when dir is
 * not a readable directory. */
TROUPE_API int troupe_store_dir_new(const char *dir, troupe_store **out, troupe_err *err);

#ifdef __cplusplus
}
#endif
#endif
