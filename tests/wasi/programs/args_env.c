/* tests/wasi/programs/args_env.c: the command line and the environment as the program
 * sees them (argv, environ in order, getenv, setenv/unsetenv on the program's copy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++)
    printf("argv[%d]=\"%s\" (%zu bytes)\n", i, argv[i], strlen(argv[i]));
  printf("argv[argc] is %s\n", argv[argc] ? "set" : "NULL");
  int n = 0;
  for (char **e = environ; *e; e++, n++)
    printf("env: %s\n", *e);
  printf("%d variables\n", n);
  const char *g = getenv("GREETING");
  printf("GREETING=%s MISSING=%s\n", g ? g : "(unset)", getenv("MISSING") ? "set" : "(unset)");
  setenv("ADDED", "yes", 1);
  unsetenv("GREETING");
  printf("after: ADDED=%s GREETING=%s\n", getenv("ADDED"), getenv("GREETING") ? "set" : "(unset)");
  return 0;
}
