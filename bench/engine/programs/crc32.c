/*
 * crc32: table-driven CRC-32 (IEEE, reflected) over a 1 MiB buffer, many times -- a
 * dependent table load per byte, the lookup-bound pattern.
 */
#include <stdlib.h>

#include "common.h"

static uint32_t table[256];

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

int main(void) {
  enum { LEN = 1 << 20 };
  make_table();
  uint8_t *buf = malloc(LEN);
  if (!buf) return 1;
  uint64_t s = 7;
  for (size_t i = 0; i < LEN; i++) buf[i] = (uint8_t)bench_rand(&s);
  uint32_t crc = 0;
  for (int round = 0; round < 130; round++) {
    crc = crc32(crc, buf, LEN);
    buf[(size_t)round * 4099 % LEN] ^= (uint8_t)crc;
  }
  uint32_t check = crc32(0, (const uint8_t *)"123456789", 9); /* 0xCBF43926 */
  free(buf);
  bench_checksum("crc32", (uint64_t)check << 32 | crc);
  return 0;
}
