/*
 * base/hash.c: fast non-cryptographic hashing for ids and hash tables (XXH3 from
 * Debian's libxxhash). Cryptographic digests (module ids) use libsodium elsewhere.
 */
#include "base/base.h"

#include <xxhash.h>

uint64_t troupe_hash64(const void *data, size_t len, uint64_t seed) {
  return XXH3_64bits_withSeed(data, len, seed);
}

uint64_t troupe_hash_str(const char *s) { return XXH3_64bits(s, strlen(s)); }
