/*
 * tests/node/test_sqlstore_crash.c: the store survives being killed in the middle of an
 * add. Each round runs the real `troupe store add` (TROUPE_BIN) on a new 1 MiB module
 * (a data segment, so the write to the file takes a while) and sends it SIGKILL after a
 * random delay, spread over the time a whole add takes; then the store must open, pass
 * SQLite's integrity check and troupe_sqlstore_verify, and the module must be there
 * with exactly its bytes or not there at all. The seed is printed (and can be fixed with
 * TROUPE_TEST_SEED) so a failing round can be replayed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sqlstore_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#ifndef TROUPE_BIN
#error "TROUPE_BIN must name the built troupe binary"
#endif

#define ROUNDS 50
#define DATA_BYTES (1u << 20)

static uint64_t g_rng;
static uint64_t rnd(void) { /* xorshift64 */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

static size_t leb(uint8_t *out, uint32_t v) {
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
  } while (v);
  return n;
}

/* A valid module with one memory of 64 pages and a 1 MiB active data segment whose
 * contents depend on seed. malloc'd. */
static uint8_t *big_module(uint64_t seed, size_t *len) {
  uint8_t *b = malloc(DATA_BYTES + 64);
  size_t n = 0;
  static const uint8_t head[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
                                 0x05, 0x03, 0x01, 0x00, 0x40}; /* memory: min 64 pages */
  memcpy(b, head, sizeof head);
  n = sizeof head;
  uint8_t vec[8], sec[8];
  size_t vl = leb(vec, DATA_BYTES);
  uint32_t payload = (uint32_t)(1 + 1 + 3 + vl + DATA_BYTES);
  b[n++] = 0x0b; /* data section */
  size_t sl = leb(sec, payload);
  memcpy(b + n, sec, sl);
  n += sl;
  b[n++] = 0x01;                            /* one segment */
  b[n++] = 0x00;                            /* active, memory 0 */
  b[n++] = 0x41, b[n++] = 0x00, b[n++] = 0x0b; /* offset: i32.const 0; end */
  memcpy(b + n, vec, vl);
  n += vl;
  uint64_t x = seed | 1;
  for (size_t i = 0; i < DATA_BYTES; i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    memcpy(b + n + i, &x, 8);
  }
  n += DATA_BYTES;
  *len = n;
  return b;
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static pid_t start_add(const char *db, const char *file, const char *version) {
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(TROUPE_BIN, TROUPE_BIN, "store", "add", file, "--name", "crash", "--version", version,
          "--store", db, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static void write_file(const char *path, const uint8_t *b, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
}

/* After a kill: the store opens and is sound, and version is all there or absent.
 * Returns whether it is there. */
static bool check_store(const char *db, const char *version, const uint8_t *bytes, size_t len) {
  troupe_sqlstore *s = NULL;
  troupe_err err;
  int rc = troupe_sqlstore_open(db, NULL, &s, &err);
  if (rc)
    fprintf(stderr, "open after kill: %s\n", err.msg);
  assert_int_equal(rc, TROUPE_OK);
  troupe_sqlstore_report r;
  assert_int_equal(troupe_sqlstore_verify(s, &r, &err), TROUPE_OK);
  for (size_t i = 0; i < r.nproblems; i++)
    fprintf(stderr, "after kill: %s\n", r.problems[i]);
  assert_int_equal(r.nproblems, 0);
  troupe_sqlstore_report_clear(&r);
  char ref[64];
  snprintf(ref, sizeof ref, "crash@%s", version);
  troupe_module_blob b;
  rc = troupe_sqlstore_get(s, ref, &b, &err);
  if (rc != TROUPE_OK && rc != TROUPE_E_NOTFOUND)
    fprintf(stderr, "get after kill: %s\n", err.msg);
  assert_true(rc == TROUPE_OK || rc == TROUPE_E_NOTFOUND);
  bool there = rc == TROUPE_OK;
  if (there) {
    assert_int_equal(b.len, len);
    assert_memory_equal(b.bytes, bytes, len);
  }
  troupe_module_blob_clear(&b);
  /* Take it out again, so every round's verify re-hashes one module, not all before it
   * (and removal is exercised on a file that just survived a kill). */
  if (there)
    assert_int_equal(troupe_sqlstore_remove(s, ref, NULL, &err), TROUPE_OK);
  /* no bytes left over without a version: the blob and the row come and go together */
  assert_int_equal(su_sql_int(db, "SELECT count(*) FROM blob WHERE id NOT IN "
                                  "(SELECT blob_id FROM module)"),
                   0);
  troupe_sqlstore_close(s);
  return there;
}

static void store_add_killed_at_random_moments_leaves_all_or_nothing(void **state) {
  (void)state;
  const char *seed_env = getenv("TROUPE_TEST_SEED");
  g_rng = seed_env ? strtoull(seed_env, NULL, 0) : (uint64_t)now_us() ^ (uint64_t)getpid();
  if (!g_rng)
    g_rng = 1;
  fprintf(stderr, "seed %llu (TROUPE_TEST_SEED replays it)\n", (unsigned long long)g_rng);
  char *dir = su_tmpdir(), *db = su_path(dir, "store.db"), *file = su_path(dir, "m.wasm");

  /* A whole add, uninterrupted: how long the window to hit is. */
  size_t len;
  uint8_t *bytes = big_module(rnd(), &len);
  write_file(file, bytes, len);
  uint64_t t0 = now_us();
  pid_t pid = start_add(db, file, "0");
  int status;
  waitpid(pid, &status, 0);
  uint64_t full_us = now_us() - t0;
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_true(check_store(db, "0", bytes, len));
  free(bytes);
  fprintf(stderr, "a whole add takes %llu us\n", (unsigned long long)full_us);

  int present = 0, absent = 0, finished = 0;
  for (int round = 1; round <= ROUNDS; round++) {
    char version[16];
    snprintf(version, sizeof version, "%d", round);
    bytes = big_module(rnd(), &len);
    write_file(file, bytes, len);
    uint64_t delay = rnd() % (full_us + 1);
    pid = start_add(db, file, version);
    struct timespec ts = {(time_t)(delay / 1000000u), (long)(delay % 1000000u) * 1000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    if (WIFEXITED(status))
      finished++;
    if (check_store(db, version, bytes, len))
      present++;
    else
      absent++;
    free(bytes);
  }
  fprintf(stderr, "%d rounds: %d present, %d absent (%d finished before the kill)\n", ROUNDS,
          present, absent, finished);
  su_rmrf(dir);
  free(dir);
  free(db);
  free(file);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(store_add_killed_at_random_moments_leaves_all_or_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
