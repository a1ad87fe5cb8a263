/* tests/wasi/programs/clocks.c: time without timing assertions: clocks advance and do not
 * go backwards, sleeping (poll_oneoff's clock subscription) returns, the wall clock is
 * after 2020, and randomness (getentropy) fills buffers. Prints only what is
 * deterministic. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0)
    return -1;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(void) {
  int64_t m0 = ns(CLOCK_MONOTONIC), r0 = ns(CLOCK_REALTIME);
  printf("realtime after 2020: %s\n", r0 / 1000000000 > 1577836800 ? "yes" : "no");
  printf("time(NULL) after 2020: %s\n", time(NULL) > 1577836800 ? "yes" : "no");
  struct timespec req = {0, 2000000}; /* 2 ms */
  printf("nanosleep: %d\n", nanosleep(&req, NULL));
  printf("usleep: %d\n", usleep(1000));
  int64_t m1 = ns(CLOCK_MONOTONIC);
  printf("monotonic advanced by the sleeps: %s\n", m1 - m0 >= 3000000 ? "yes" : "no");
  struct timespec res;
  int rc = clock_getres(CLOCK_MONOTONIC, &res);
  printf("resolution: %d %s\n", rc, res.tv_sec == 0 && res.tv_nsec > 0 ? "sub-second" : "odd");
  volatile double spin = 0;
  for (int i = 0; i < 200000; i++)
    spin = spin + i * 0.5;
  printf("process cpu clock works: %s\n", ns(CLOCK_PROCESS_CPUTIME_ID) > 0 ? "yes" : "no");
  printf("thread cpu clock works: %s\n", ns(CLOCK_THREAD_CPUTIME_ID) > 0 ? "yes" : "no");
  unsigned char buf[256] = {0};
  printf("getentropy: %d\n", getentropy(buf, sizeof buf));
  int nonzero = 0;
  for (unsigned i = 0; i < sizeof buf; i++)
    nonzero += buf[i] != 0;
  printf("random bytes look random: %s\n", nonzero > 200 ? "yes" : "no");
  return 0;
}
