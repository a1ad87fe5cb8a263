/* tests/wasi/programs/int64.c: 64-bit and 128-bit integer arithmetic (division, shifts,
 * overflow wrap-around of unsigned types, 128-bit products and shifts) and
 * bit tricks, printed in decimal and hex. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static volatile uint64_t seed = 0x9E3779B97F4A7C15u;

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* (a * b) mod m without 128-bit division: Debian's wasm32 compiler runtime builds
 * __umodti3 with a stack protector that wasi-libc does not provide (see docs/WASI.md). */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) {
  uint64_t r = 0;
  for (a %= m; b; b >>= 1) {
    if (b & 1)
      r = r >= m - a ? r - (m - a) : r + a;
    a = a >= m - a ? a - (m - a) : a + a;
  }
  return r;
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1 % m, x = b % m;
  for (; e; e >>= 1, x = mulmod(x, x, m))
    if (e & 1)
      r = mulmod(r, x, m);
  return r;
}

int main(void) {
  uint64_t s = seed;
  for (int i = 0; i < 8; i++) {
    uint64_t a = splitmix(&s), b = splitmix(&s) >> (i * 7) | 1;
    int64_t sa = (int64_t)a, sb = (int64_t)b;
    printf("%016" PRIx64 " %016" PRIx64 " div=%" PRIu64 " mod=%" PRIu64 " sdiv=%" PRId64
           " smod=%" PRId64 "\n",
           a, b, a / b, a % b, sa / sb, sa % sb);
    printf("  mul=%016" PRIx64 " shl=%016" PRIx64 " shr=%016" PRIx64 " sar=%" PRId64
           " rot=%016" PRIx64 " clz=%d ctz=%d pop=%d\n",
           a * b, a << (b & 63), a >> (b & 63), sa >> (b & 63), (a << 13) | (a >> 51),
           __builtin_clzll(b), __builtin_ctzll(b), __builtin_popcountll(a));
    unsigned __int128 p = (unsigned __int128)a * b;
    printf("  128: hi=%016" PRIx64 " lo=%016" PRIx64 " shr=%016" PRIx64 "\n", (uint64_t)(p >> 64),
           (uint64_t)p, (uint64_t)(p >> (b & 127)));
  }
  printf("gcd=%" PRIu64 " powmod=%" PRIu64 " %" PRIu64 "\n", gcd(1071u * 1000003u, 462u * 1000003u),
         powmod(2, 1000000, 1000000007u),
         powmod(0xFFFFFFFFFFFFFFC5u - 1, 12345, 0xFFFFFFFFFFFFFFC5u));
  printf("limits: %" PRId64 " %" PRId64 " %" PRIu64 " %" PRId32 " %" PRIu32 "\n", INT64_MIN,
         INT64_MAX, UINT64_MAX, INT32_MIN, UINT32_MAX);
  volatile int64_t m1 = -1, mn = INT64_MIN;
  printf("wrap: %" PRIu64 " %" PRId64 " %" PRIu32 "\n", (uint64_t)m1, (int64_t)((uint64_t)mn - 1),
         (uint32_t)(UINT32_MAX + (uint32_t)m1));
  printf("i32: %d %d %u %d\n", -7 / 2, -7 % 2, 0xFFFFFFFFu / 3, (int)(int8_t)200);
  return 0;
}
