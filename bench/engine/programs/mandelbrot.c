/*
 * mandelbrot: escape-time iteration over a grid of the complex plane -- f64 multiply,
 * add and compare in a data-dependent loop, with no memory traffic.
 */
#include "common.h"

int main(void) {
  enum { W = 1800, H = 1350, MAXIT = 200 };
  uint64_t sum = 0, inside = 0;
  for (int py = 0; py < H; py++) {
    double ci = -1.2 + 2.4 * py / H;
    for (int px = 0; px < W; px++) {
      double cr = -2.1 + 3.0 * px / W;
      double zr = 0, zi = 0;
      int it = 0;
      while (it < MAXIT && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        it++;
      }
      sum = sum * 31 + (uint64_t)it;
      inside += it == MAXIT;
    }
  }
  printf("inside %llu\n", (unsigned long long)inside);
  bench_checksum("mandelbrot", sum ^ inside << 40);
  return 0;
}
