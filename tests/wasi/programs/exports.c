/* tests/wasi/programs/exports.c: for `troupe wasm run --invoke`: a WASI reactor (built
 * with -mexec-model=reactor) exporting functions of each value type. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("add") int32_t add(int32_t a, int32_t b) { return a + b; }
EXPORT("mul64") int64_t mul64(int64_t a, int64_t b) { return a * b; }
EXPORT("fdiv") double fdiv(double a, double b) { return a / b; }
EXPORT("fsqrt") float fsqrt(float x) { return sqrtf(x); }
EXPORT("udiv") uint32_t udiv(uint32_t a, uint32_t b) { return a / b; }
EXPORT("greet") void greet(int32_t n) {
  for (int i = 0; i < n; i++)
    printf("hello %d\n", i);
  fflush(stdout); /* a reactor never exits, so nothing else would flush it */
}
