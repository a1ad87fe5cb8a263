/* tests/wasi/programs/alloc.c: the heap under load: thousands of malloc/realloc/free of
 * varied sizes (growing linear memory by megabytes), calloc zeroing, a hash table of
 * chained entries, and a checksum of everything that must survive. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  char *key;
  unsigned value;
  struct entry *next;
} entry;

static uint32_t hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

int main(void) {
  enum { N = 4000, BUCKETS = 1024 };
  static void *blocks[N];
  static size_t sizes[N];
  uint32_t x = 7;
  size_t live = 0, peak = 0;
  for (int round = 0; round < 6; round++) {
    for (int i = 0; i < N; i++) {
      x = x * 1103515245u + 12345u;
      size_t sz = (x >> 16) % (round == 3 ? 20000 : 700) + 1;
      void *p = blocks[i] ? realloc(blocks[i], sz) : malloc(sz);
      if (!p) {
        printf("allocation failed\n");
        return 1;
      }
      if (sz > sizes[i])
        memset((char *)p + sizes[i], (int)(i & 0xff), sz - sizes[i]);
      live += sz - sizes[i];
      blocks[i] = p;
      sizes[i] = sz;
    }
    if (live > peak)
      peak = live;
    for (int i = round % 3; i < N; i += 3) {
      live -= sizes[i];
      free(blocks[i]);
      blocks[i] = NULL;
      sizes[i] = 0;
    }
  }
  unsigned long long sum = 0;
  for (int i = 0; i < N; i++) {
    for (size_t j = 0; j < sizes[i]; j++)
      sum += ((unsigned char *)blocks[i])[j] * (j % 7 + 1);
    free(blocks[i]);
  }
  printf("peak %zu bytes live, checksum %llu\n", peak, sum);

  unsigned *z = calloc(1 << 20, sizeof *z);
  if (!z)
    return 1;
  unsigned nz = 0;
  for (int i = 0; i < 1 << 20; i++)
    nz += z[i] != 0;
  printf("calloc 4 MiB: %u nonzero\n", nz);
  free(z);

  entry *table[BUCKETS] = {0};
  char key[32];
  for (unsigned i = 0; i < 20000; i++) {
    snprintf(key, sizeof key, "key-%u", i * 7919u % 10007u);
    uint32_t h = hash(key) % BUCKETS;
    entry *e = table[h];
    while (e && strcmp(e->key, key))
      e = e->next;
    if (!e) {
      e = malloc(sizeof *e);
      if (!e || !(e->key = strdup(key)))
        return 1;
      e->value = 0;
      e->next = table[h];
      table[h] = e;
    }
    e->value += i;
  }
  unsigned long long hs = 0;
  unsigned count = 0, longest = 0;
  for (int b = 0; b < BUCKETS; b++) {
    unsigned len = 0;
    for (entry *e = table[b], *n; e; e = n, len++) {
      n = e->next;
      hs = hs * 1000003u + e->value + hash(e->key);
      count++;
      free(e->key);
      free(e);
    }
    if (len > longest)
      longest = len;
  }
  printf("hash table: %u keys, longest chain %u, checksum %llu\n", count, longest, hs);
  return 0;
}
