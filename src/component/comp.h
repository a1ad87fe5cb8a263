/*
 * component/comp.h: the component layer's internal header (prefix trP_). The layer joins
 * the engine (include/troupe/wasm.h) and WASI to the actor runtime (actor/ext.h),
 * supervision and the broker: every component is an actor that owns one engine
 * instance. docs/COMPONENTS.md explains the design, docs/ABI.md the guest contract.
 */
#ifndef TROUPE_SRC_COMPONENT_H
#define TROUPE_SRC_COMPONENT_H

#include "actor/ext.h"
#include "base/base.h"
#include "troupe/store.h"
#include "troupe/wasm.h"

/* ---- module cache (cache.c) -------------------------------------------------------
 * Compiled modules keyed by the SHA-256 of their bytes: each module is compiled once
 * and shared by all its instances on all threads. Thread-safe; two threads asking for
 * the same new module at once compile it once (the second waits for the first). A
 * failed compilation is not cached (the next get tries again and fails the same way). */
typedef struct trP_cache trP_cache;
typedef struct trP_cache_stats {
  uint64_t hits, misses, compile_failures;
  size_t modules; /* compiled modules held */
} trP_cache_stats;
int trP_cache_new(trP_cache **out, troupe_err *err);
void trP_cache_free(trP_cache *c); /* drops the cache's references; c may be NULL */
/* The compiled module for bytes[0..len): *out is a new reference (free it with
 * troupe_wasm_module_free), sha256 (may be NULL) receives the bytes' hash. Errors are
 * the engine's (MALFORMED, INVALID with its message) or NOMEM. */
int trP_cache_get(trP_cache *c, const uint8_t *bytes, size_t len, troupe_wasm_module **out,
                  uint8_t sha256[TROUPE_SHA256_BYTES], troupe_err *err);
/* The same when the hash is already known (a store blob): no rehash. */
int trP_cache_get_hashed(trP_cache *c, const uint8_t sha256[TROUPE_SHA256_BYTES],
                         const uint8_t *bytes, size_t len, troupe_wasm_module **out,
                         troupe_err *err);
void trP_cache_stats_get(trP_cache *c, trP_cache_stats *out);

/* ---- names (names.c) --------------------------------------------------------------
 * A component name is what capabilities match (NATS subject patterns): 1..128 bytes of
 * dot-separated tokens, each 1+ bytes of [A-Za-z0-9_-] ("echo", "shop.cart-7"). */
#define TRP_NAME_MAX 128
int trP_name_check(const char *name, troupe_err *err);

#endif
