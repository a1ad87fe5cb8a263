/*
 * sieve: the sieve of Eratosthenes over a byte array -- byte loads and stores with a
 * stride, the memory-bound pattern. Repeated so one run takes a fraction of a second.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define LIMIT (8u * 1024u * 1024u)

static uint32_t sieve(uint8_t *composite, uint32_t n, uint64_t *sum) {
  memset(composite, 0, n);
  uint32_t count = 0;
  for (uint32_t i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    *sum += i;
    for (uint64_t j = (uint64_t)i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}

int main(void) {
  uint8_t *buf = malloc(LIMIT);
  if (!buf) return 1;
  uint64_t sum = 0, total = 0;
  for (int round = 0; round < 20; round++) total += sieve(buf, LIMIT - (uint32_t)round * 1024u, &sum);
  free(buf);
  bench_checksum("sieve", total * 1000003u ^ sum);
  return 0;
}
