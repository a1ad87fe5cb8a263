/* tests/wasi/programs/recursion.c: call-heavy code: Ackermann, naive Fibonacci, mutual
 * recursion, a recursive tree built and walked on the heap, and calls through function
 * pointers (call_indirect). Depths stay well below the engine's default call limit. */
#include <stdio.h>
#include <stdlib.h>

static unsigned ack(unsigned m, unsigned n) {
  if (m == 0)
    return n + 1;
  if (n == 0)
    return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

static unsigned long fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

typedef struct node {
  int key;
  struct node *l, *r;
} node;

static node *insert(node *t, int key) {
  if (!t) {
    t = calloc(1, sizeof *t);
    if (!t)
      exit(99);
    t->key = key;
    return t;
  }
  if (key < t->key)
    t->l = insert(t->l, key);
  else
    t->r = insert(t->r, key);
  return t;
}

static int depth(const node *t) {
  if (!t)
    return 0;
  int a = depth(t->l), b = depth(t->r);
  return 1 + (a > b ? a : b);
}

static long long walk(const node *t, long long acc) {
  return t ? walk(t->r, walk(t->l, acc) * 3 % 1000000007 + t->key) : acc;
}

static void drop(node *t) {
  if (t) {
    drop(t->l);
    drop(t->r);
    free(t);
  }
}

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }

int main(void) {
  for (unsigned m = 0; m <= 3; m++)
    printf("ack(%u, 5) = %u\n", m, ack(m, 5));
  printf("fib(27) = %lu\n", fib(27));
  printf("even(1001) = %d, odd(1001) = %d\n", is_even(1001), is_odd(1001));
  node *t = NULL;
  unsigned x = 1;
  for (int i = 0; i < 5000; i++) {
    x = x * 1664525u + 1013904223u;
    t = insert(t, (int)(x >> 12));
  }
  printf("tree: depth %d, walk %lld\n", depth(t), walk(t, 0));
  drop(t);
  int (*ops[])(int, int) = {add, sub, mul};
  int acc = 1;
  for (int i = 0; i < 30000; i++)
    acc = ops[(unsigned)i % 3](acc, i) & 0xffff;
  printf("ops: %d\n", acc);
  return 0;
}
