/* tests/wasi/programs/hello.c: the smallest WASI program: stdout through printf, puts and
 * putchar, one line on stderr, exit status 0 from main. */
#include <stdio.h>

int main(void) {
  printf("Hello from %s!\n", "Troupe");
  puts("puts adds a newline");
  for (const char *p = "putchar\n"; *p; p++)
    putchar(*p);
  printf("%d %u %x %o %c %s %5d|%-5d|%05d %+d\n", -42, 42u, 0xbeefu, 8u, 'z', "str", 7, 7, 7, 7);
  printf("%ld %lld %zu %hhd %hu\n", -1234567890L, -1234567890123456789LL, (size_t)12345, (char)-5,
         (unsigned short)65535);
  fprintf(stderr, "a line on stderr\n");
  return 0;
}
