/*
 * common.h: the little every benchmark program shares -- a deterministic PRNG and the
 * checksum line. Programs build twice (gcc -O2 natively, clang for wasm32-wasi), so
 * everything here uses fixed-width types and no libc beyond printf, malloc and sqrt.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

/* xorshift64*: same sequence on every platform, no libc rand() differences. */
static inline uint64_t bench_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * UINT64_C(2685821657736338717);
}

/* The one line the harness compares with the native run's. */
static inline void bench_checksum(const char *name, uint64_t sum) {
  printf("checksum %s %016" PRIx64 "\n", name, sum);
}

/* Fold a double's exact bits into a checksum (floats must agree bit for bit). */
static inline uint64_t bench_mix_double(uint64_t h, double d) {
  union {
    double d;
    uint64_t u;
  } v = {.d = d};
  h ^= v.u;
  return h * UINT64_C(0x100000001b3) + (h >> 29);
}

#endif
