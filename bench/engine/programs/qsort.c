/*
 * qsort: our own quicksort (median-of-three pivot, insertion sort below 16 elements,
 * recursion on the smaller side) over pseudo-random 32-bit keys -- compares, swaps,
 * loads and stores with unpredictable branches. Not libc's qsort: the point is to
 * measure the same code under every runner.
 */
#include <stdlib.h>

#include "common.h"

static void insertion(uint32_t *a, long n) {
  for (long i = 1; i < n; i++) {
    uint32_t v = a[i];
    long j = i - 1;
    while (j >= 0 && a[j] > v) a[j + 1] = a[j], j--;
    a[j + 1] = v;
  }
}

static void swap(uint32_t *a, uint32_t *b) {
  uint32_t t = *a;
  *a = *b, *b = t;
}

static void quicksort(uint32_t *a, long n) {
  while (n > 16) {
    long mid = n / 2;
    if (a[mid] < a[0]) swap(&a[mid], &a[0]);
    if (a[n - 1] < a[0]) swap(&a[n - 1], &a[0]);
    if (a[n - 1] < a[mid]) swap(&a[n - 1], &a[mid]);
    uint32_t pivot = a[mid];
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      swap(&a[i], &a[j]);
      i++, j--;
    }
    long left = j + 1; /* [0, left) <= pivot <= [left, n) */
    if (left < n - left) {
      quicksort(a, left);
      a += left, n -= left;
    } else {
      quicksort(a + left, n - left);
      n = left;
    }
  }
  insertion(a, n);
}

int main(void) {
  enum { N = 1 << 20 };
  uint32_t *a = malloc(sizeof(uint32_t) * N);
  if (!a) return 1;
  uint64_t s = 99, sum = 0;
  for (int round = 0; round < 5; round++) {
    for (long i = 0; i < N; i++) a[i] = (uint32_t)(bench_rand(&s) >> 32) % (round % 3 == 2 ? 1000u : 0xFFFFFFFFu);
    quicksort(a, N);
    for (long i = 1; i < N; i++)
      if (a[i - 1] > a[i]) {
        printf("not sorted at %ld\n", i);
        return 1;
      }
    for (long i = 0; i < N; i += 97) sum = sum * 1000003u + a[i];
  }
  free(a);
  bench_checksum("qsort", sum);
  return 0;
}
