/* tests/wasi/programs/strings.c: string.h, ctype.h, stdlib conversions (strtod, strtol,
 * strtoull), snprintf truncation and return values, qsort and bsearch. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void) {
  char buf[64];
  strcpy(buf, "Hello, ");
  strcat(buf, "World");
  printf("%s len=%zu cmp=%d ncmp=%d chr=%s rchr=%s str=%s\n", buf, strlen(buf),
         strcmp(buf, "Hello") > 0, strncmp(buf, "Help", 3), strchr(buf, 'o'), strrchr(buf, 'o'),
         strstr(buf, "Wor"));
  printf("spn=%zu cspn=%zu pbrk=%s\n", strspn("aaabbc", "ab"), strcspn("hello", "lo"),
         strpbrk("hello", "lo"));
  memmove(buf + 2, buf, 10);
  buf[12] = 0;
  printf("memmove: %s memcmp=%d\n", buf, memcmp("abc", "abd", 3) < 0);
  char tok[] = "alpha, beta;gamma  delta";
  for (char *t = strtok(tok, " ,;"); t; t = strtok(NULL, " ,;"))
    printf("[%s]", t);
  putchar('\n');
  for (const char *p = "MiXeD 123 !?"; *p; p++)
    putchar(isalpha((unsigned char)*p) ? (isupper((unsigned char)*p) ? tolower(*p) : toupper(*p))
                                       : isdigit((unsigned char)*p) ? '#' : *p);
  putchar('\n');

  volatile size_t cap = 8; /* hidden from the compiler's truncation warning */
  int n = snprintf(buf, cap, "%s-%d", "truncated", 12345);
  printf("snprintf: '%s' wanted %d\n", buf, n);
  n = snprintf(NULL, 0, "%08.3f|%x", 3.14159, 255u);
  printf("measure: %d\n", n);

  const char *nums[] = {"3.14159", "-0.0", "1e308", "1e-320", "0x1.8p3", "  42abc", "inf",
                        "-infinity", "2.2250738585072014e-308", "123456789012345678901234567890"};
  for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    char *end;
    double d = strtod(nums[i], &end);
    printf("strtod(%s) = %.17g rest='%s'\n", nums[i], d, end);
  }
  printf("strtol: %ld %ld %ld %llu %lld atoi=%d atol=%ld\n", strtol("-0x7f", NULL, 16),
         strtol("0777", NULL, 0), strtol("z", NULL, 36), strtoull("18446744073709551615", NULL, 10),
         strtoll("-9223372036854775808", NULL, 10), atoi(" -17x"), atol("99999"));

  int a[] = {5, -3, 99, 0, 42, -100, 7, 7, 1 << 30, -(1 << 30)};
  size_t na = sizeof a / sizeof a[0];
  qsort(a, na, sizeof a[0], cmp_int);
  for (size_t i = 0; i < na; i++)
    printf("%d%c", a[i], i + 1 < na ? ' ' : '\n');
  int key = 42;
  int *hit = bsearch(&key, a, na, sizeof a[0], cmp_int);
  printf("bsearch 42 at %td\n", hit ? hit - a : (ptrdiff_t)-1);
  const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "apricot", "date"};
  qsort(words, 7, sizeof words[0], cmp_str);
  for (int i = 0; i < 7; i++)
    printf("%s%c", words[i], i < 6 ? ',' : '\n');

  /* A bigger sort with a deterministic generator. */
  static unsigned big[20000];
  unsigned x = 12345;
  for (unsigned i = 0; i < 20000; i++) {
    x = x * 1103515245u + 12345u;
    big[i] = x >> 8;
  }
  qsort(big, 20000, sizeof big[0], cmp_int);
  unsigned long long sum = 0;
  for (unsigned i = 0; i < 20000; i++)
    sum = sum * 31 + big[i];
  printf("sorted: first=%u last=%u hash=%llu\n", big[0], big[19999], sum);
  return 0;
}
