/*
 * base/clock.c: monotonic and wall clocks, RFC 3339 formatting for log lines, and the
 * rate of the cheap tick count (base.h) that times components' handlers.
 */
#include "base/base.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t troupe_clock_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

#if defined(__x86_64__)
static double ticks_per_us = 1000.0;
static pthread_once_t ticks_once = PTHREAD_ONCE_INIT;

/* The TSC's rate against the monotonic clock over 1 ms of spinning: good to a fraction
 * of a percent, which is all a histogram of handler times needs. */
static void ticks_measure(void) {
  uint64_t t0 = troupe_clock_mono_ns(), c0 = trB_ticks(), t1, c1;
  do {
    t1 = troupe_clock_mono_ns();
    c1 = trB_ticks();
  } while (t1 - t0 < 1000000u);
  if (c1 > c0)
    ticks_per_us = (double)(c1 - c0) * 1000.0 / (double)(t1 - t0);
}

double trB_ticks_per_us(void) {
  pthread_once(&ticks_once, ticks_measure);
  return ticks_per_us;
}
#else
double trB_ticks_per_us(void) { return 1000.0; }
#endif
uint64_t troupe_clock_wall_ns(void) { return clock_ns(CLOCK_REALTIME); }

/* Every audit line and every traced job formats a time, and gmtime_r with snprintf
 * costs ~0.6 us here: each thread keeps the date and time of the last second it
 * formatted and writes only the microseconds when the second is the same. */
static _Thread_local struct {
  uint64_t sec;
  bool valid;
  char text[20]; /* "YYYY-MM-DDTHH:MM:SS" */
} last_second;

void troupe_clock_format_rfc3339(uint64_t wall_ns, char *buf, size_t cap) {
  if (!cap)
    return;
  uint64_t sec = wall_ns / 1000000000u;
  unsigned usec = (unsigned)((wall_ns % 1000000000u) / 1000u);
  if (!last_second.valid || last_second.sec != sec) {
    time_t secs = (time_t)sec;
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(last_second.text, sizeof last_second.text, "%04d-%02d-%02dT%02d:%02d:%02d",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
    if (n != 19) { /* a year past 9999: not worth a cache */
      last_second.valid = false;
      snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
      return;
    }
    last_second.sec = sec;
    last_second.valid = true;
  }
  char out[28];
  memcpy(out, last_second.text, 19);
  out[19] = '.';
  for (int i = 25; i >= 20; i--, usec /= 10)
    out[i] = (char)('0' + usec % 10);
  out[26] = 'Z';
  size_t n = cap - 1 < 27 ? cap - 1 : 27;
  memcpy(buf, out, n);
  buf[n] = '\0';
}
