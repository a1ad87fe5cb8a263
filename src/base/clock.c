/*
 * base/clock.c: monotonic and wall clocks, and RFC 3339 formatting for log lines.
 */
#include "base/base.h"

#include <stdio.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t troupe_clock_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t troupe_clock_wall_ns(void) { return clock_ns(CLOCK_REALTIME); }

void troupe_clock_format_rfc3339(uint64_t wall_ns, char *buf, size_t cap) {
  time_t secs = (time_t)(wall_ns / 1000000000u);
  unsigned usec = (unsigned)((wall_ns % 1000000000u) / 1000u);
  struct tm tm;
  gmtime_r(&secs, &tm);
  snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}
