/* tests/wasi/programs/stdin_pieces.c: reads stdin through stdio (fgets, getchar,
 * fread) to its end and reports what it read line by line, so its output depends on
 * the bytes only, never on how they were cut: the suspending-mode driver
 * (test_suspend_programs.c) feeds the input in pieces of its choosing and must get what
 * the blocking mode gives for the whole input at once. */
#include <stdio.h>
#include <string.h>

int main(void) {
  char line[2048];
  unsigned sum = 0;
  unsigned long total = 0;
  int n = 0;
  /* The first character alone, then lines; the last one may lack its newline. */
  int c = getchar();
  printf("first char: %c\n", c);
  while (fgets(line, sizeof line, stdin)) {
    size_t len = strlen(line);
    total += len;
    for (size_t i = 0; i < len; i++)
      sum = sum * 31 + (unsigned char)line[i];
    char head[16] = "";
    snprintf(head, sizeof head, "%.*s", (int)(len < 12 ? len : 12), line);
    for (char *p = head; *p; p++)
      if (*p == '\n')
        *p = '$';
    printf("line %d: %zu bytes, starts \"%s\"\n", ++n, len, head);
    if (n == 3) {
      /* a block read in the middle: stdio asks for what it lacks */
      char block[700];
      size_t got = fread(block, 1, sizeof block, stdin);
      total += got;
      printf("block of %zu bytes, last '%c'\n", got, got ? block[got - 1] : '-');
    }
  }
  printf("%d lines, %lu bytes, checksum %u, eof %d\n", n, total + 1, sum, feof(stdin) != 0);
  return 0;
}
