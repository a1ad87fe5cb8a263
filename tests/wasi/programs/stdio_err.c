/* tests/wasi/programs/stdio_err.c: stdout and stderr apart: unbuffered stderr between
 * buffered stdout lines, perror, a long line (several writes' worth), fflush, fputs and
 * fwrite of bytes that are not text, and output after an explicit flush. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  printf("out 1\n");
  fprintf(stderr, "err 1\n");
  errno = EINVAL;
  perror("perror says");
  fputs("out 2 via fputs\n", stdout);
  fflush(stdout);
  for (int i = 0; i < 3; i++)
    fprintf(stderr, "err loop %d\n", i);
  static char line[20000];
  for (int i = 0; i < (int)sizeof line - 1; i++)
    line[i] = (char)('a' + i % 26);
  printf("%s\n", line);
  fprintf(stderr, "%.*s\n", 9000, line);
  const unsigned char bytes[] = {0x01, 0x7f, 0x80, 0xff, 0xc3, 0xa9, '\t', '\r', '\n'};
  fwrite(bytes, 1, sizeof bytes, stdout);
  fflush(stdout);
  for (int i = 0; i < 5; i++) {
    printf("flushed %d ", i);
    fflush(stdout);
  }
  printf("\nend\n");
  return 0;
}
