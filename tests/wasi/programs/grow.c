/* tests/wasi/programs/grow.c: for `troupe wasm run --max-memory`: allocates 8 MiB, which
 * needs memory.grow; prints whether it got it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char *volatile p = malloc(8u << 20); /* volatile: the compiler may not elide the pair */
  if (!p) {
    printf("malloc(8 MiB) failed\n");
    return 1;
  }
  memset(p, 1, 8u << 20);
  printf("malloc(8 MiB) worked: %d\n", p[(8u << 20) - 1]);
  free(p);
  return 0;
}
