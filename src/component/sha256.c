/*
 * component/sha256.c: SHA-256, the identity of a module's bytes. Stores check sha256:
 * references with it and the module cache keys compiled modules by it, so two names for
 * the same bytes share one compiled module. libsodium does the hashing.
 */
#include "component/comp.h"

#include <pthread.h>
#include <sodium.h>

static pthread_once_t g_sodium_once = PTHREAD_ONCE_INIT;

/* sodium_init is itself safe to call repeatedly from any thread, but it takes a lock
 * each time; pthread_once makes every call after the first a load. Its result is not
 * checked: it fails only when it cannot pick a random-number source, and SHA-256 needs
 * none (crypto_hash_sha256 is plain code, usable even before initialisation). */
static void sodium_setup(void) {
  if (sodium_init() < 0)
    return; /* see above: nothing here depends on it */
}

void troupe_sha256(const void *bytes, size_t len, uint8_t out[TROUPE_SHA256_BYTES]) {
  pthread_once(&g_sodium_once, sodium_setup);
  static const uint8_t none = 0;
  crypto_hash_sha256(out, bytes ? bytes : &none, (unsigned long long)len);
}

void troupe_sha256_hex(const uint8_t sha[TROUPE_SHA256_BYTES], char hex[TROUPE_SHA256_HEX]) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < TROUPE_SHA256_BYTES; i++) {
    hex[2 * i] = digits[sha[i] >> 4];
    hex[2 * i + 1] = digits[sha[i] & 15];
  }
  hex[2 * TROUPE_SHA256_BYTES] = '\0';
}
