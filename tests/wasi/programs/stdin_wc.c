/* tests/wasi/programs/stdin_wc.c: reading stdin to its end (fd_read): counts lines, words
 * and bytes like wc, and echoes the longest line. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  char line[4096], longest[4096] = "";
  unsigned long lines = 0, words = 0, bytes = 0;
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    bytes += n;
    lines += n && line[n - 1] == '\n';
    int in = 0;
    for (size_t i = 0; i < n; i++) {
      if (isspace((unsigned char)line[i]))
        in = 0;
      else if (!in) {
        in = 1;
        words++;
      }
    }
    if (n > strlen(longest))
      strcpy(longest, line);
  }
  printf("%lu %lu %lu\nlongest: %s", lines, words, bytes, longest);
  printf("eof=%d error=%d\n", feof(stdin) != 0, ferror(stdin) != 0);
  return 0;
}
