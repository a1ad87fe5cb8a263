/* tests/wasi/programs/sleeper.c: every way a C program sleeps -- usleep, nanosleep,
 * sleep, poll with no descriptors, clock_nanosleep to an absolute time -- each a
 * poll_oneoff on clocks, and a sleep of zero, which must not wait at all. The
 * suspending-mode driver (test_suspend_programs.c) sees one wait per sleep and checks
 * its timeout against what the blocking mode asked the sleep callback for. */
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  puts("start");
  printf("usleep: %d\n", usleep(1500));
  struct timespec ts = {2, 5};
  printf("nanosleep: %d\n", nanosleep(&ts, NULL));
  printf("sleep: %u\n", sleep(1));
  printf("sleep(0): %u\n", sleep(0));
  printf("poll: %d\n", poll(NULL, 0, 25));
  struct timespec at;
  clock_gettime(CLOCK_MONOTONIC, &at);
  at.tv_sec += 3600;
  printf("clock_nanosleep: %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL));
  puts("done");
  return 0;
}
