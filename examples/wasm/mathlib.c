/* examples/wasm/mathlib.c: a library rather than a program (a WASI "reactor"): no main,
 * just exported functions, called one at a time with typed arguments:
 *
 *   clang --target=wasm32-wasi -O2 -mexec-model=reactor -o mathlib.wasm mathlib.c -lm
 *   troupe wasm run --invoke fib mathlib.wasm 50         # i64:12586269025
 *   troupe wasm run --invoke gcd mathlib.wasm 1071 462   # i32:21
 *   troupe wasm run --invoke hypot mathlib.wasm 3 4      # f64:5
 *   troupe wasm run --invoke collatz mathlib.wasm 27     # prints the steps, i32:111
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("fib") int64_t fib(int32_t n) {
  int64_t a = 0, b = 1;
  for (int32_t i = 0; i < n; i++) {
    int64_t t = a + b;
    a = b;
    b = t;
  }
  return a;
}

EXPORT("gcd") int32_t gcd(int32_t a, int32_t b) {
  while (b) {
    int32_t t = a % b;
    a = b;
    b = t;
  }
  return a < 0 ? -a : a;
}

EXPORT("hypot") double hyp(double x, double y) { return hypot(x, y); }

/* Prints the sequence, so output reaches stdout through fd_write; a reactor never
 * exits, so it flushes what it printed itself. */
EXPORT("collatz") int32_t collatz(int32_t n) {
  int32_t steps = 0;
  for (int64_t v = n; v > 1; steps++) {
    printf("%lld ", (long long)v);
    v = v % 2 ? 3 * v + 1 : v / 2;
  }
  printf("1\n");
  fflush(stdout);
  return steps;
}
