/*
 * matmul: dense f64 matrix multiply, C = A x B, in i-k-j order (a row of B streams
 * through the inner loop) -- f64 loads, multiply-adds and stores with unit stride.
 */
#include <stdlib.h>

#include "common.h"

#define N 400

int main(void) {
  double *a = malloc(sizeof(double) * N * N), *b = malloc(sizeof(double) * N * N);
  double *c = calloc((size_t)N * N, sizeof(double));
  if (!a || !b || !c) return 1;
  uint64_t s = 42;
  for (int i = 0; i < N * N; i++) {
    a[i] = (double)(bench_rand(&s) % 2001) / 1000.0 - 1.0;
    b[i] = (double)(bench_rand(&s) % 2001) / 1000.0 - 1.0;
  }
  for (int rep = 0; rep < 24; rep++) {
    for (int i = 0; i < N; i++) {
      double *ci = c + i * N;
      for (int k = 0; k < N; k++) {
        double aik = a[i * N + k];
        const double *bk = b + k * N;
        for (int j = 0; j < N; j++) ci[j] += aik * bk[j];
      }
    }
    a[rep] += c[N * N - 1 - rep] * 1e-3; /* each repetition depends on the last */
  }
  uint64_t sum = 0;
  for (int i = 0; i < N * N; i += 7) sum = bench_mix_double(sum, c[i]);
  printf("c[0]=%.6f c[last]=%.6f\n", c[0], c[N * N - 1]);
  free(a), free(b), free(c);
  bench_checksum("matmul", sum);
  return 0;
}
