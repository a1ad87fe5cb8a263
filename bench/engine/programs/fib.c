/*
 * fib: naive doubly recursive Fibonacci -- measures calls and returns, nothing else.
 * noinline keeps gcc from unrolling the recursion into something a wasm engine could
 * never see.
 */
#include "common.h"

__attribute__((noinline)) static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void) {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < 5; i++) sum = sum * 31 + fib(37 + i % 2);
  bench_checksum("fib", sum);
  return 0;
}
