/* tests/wasi/programs/exit_code.c: how a program ends. argv[1] picks: "return N" returns N
 * from main, "exit N" calls exit(N) from a nested call (buffered output and atexit
 * handlers must still run), "_exit N" calls _Exit(N) (unflushed output is lost: stdout
 * is a pipe, so fully buffered). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bye(void) { printf("atexit handler ran\n"); }

static int nested(int depth, int code) {
  if (depth < 0)
    return 0;
  if (depth > 0)
    return nested(depth - 1, code) + 1;
  printf("exiting with %d from depth 5\n", code);
  exit(code);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: exit_code return|exit|_exit N\n");
    return 2;
  }
  atexit(bye);
  int code = argc > 2 ? atoi(argv[2]) : 0;
  /* Flushed at once: glibc decides on full buffering when the buffer is first made,
   * wasi-libc after the first line, so only what follows a flush is comparable. */
  printf("mode %s, code %d\n", argv[1], code);
  fflush(stdout);
  printf("buffered, then ");
  if (!strcmp(argv[1], "exit"))
    nested(5, code);
  if (!strcmp(argv[1], "_exit")) {
    fprintf(stderr, "stderr is unbuffered\n");
    _Exit(code);
  }
  return code;
}
