/* examples/wasm/hello.c: an ordinary C program, built for WASI and run by Troupe:
 *
 *   clang --target=wasm32-wasi -O2 -o hello.wasm hello.c
 *   troupe wasm run --env NAME=world hello.wasm Ada Grace
 *
 * It uses its arguments, its environment, stdout, stderr, the clock and its exit
 * status -- everything a sandboxed program gets (docs/WASI.md). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  const char *name = getenv("NAME");
  printf("Hello, %s!\n", name ? name : "stranger");
  for (int i = 1; i < argc; i++)
    printf("  argument %d: %s\n", i, argv[i]);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("slept about %ld ms\n",
         (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
  if (argc == 1) {
    fprintf(stderr, "hello: no arguments given\n");
    return 3;
  }
  return 0;
}
