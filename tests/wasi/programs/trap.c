/* tests/wasi/programs/trap.c: for the CLI tests: prints a line, then traps ("unreachable");
 * with argument "loop", spins forever instead (for --fuel). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("before the trap\n");
  fflush(stdout);
  if (argc > 1 && !strcmp(argv[1], "loop")) {
    volatile unsigned n = 0;
    for (;;)
      n = n + 1;
  }
  __builtin_trap();
}
