/*
 * engine/pool_reset.c: zeroing a freed linear memory before pool.c keeps it for another
 * instance -- exactly the pages its tenant wrote, so that what one instance wrote never
 * reaches another and a recycled memory costs no more resident memory than it did.
 *
 * Which pages were written is the kernel's to know: /proc/self/pagemap says, per page of
 * the mapping, whether it is present (touched since it was mapped or last discarded) or
 * swapped out. A page never touched reads as zero already; a present page is zeroed only
 * if it is not zero (a page the guest only read is the shared zero page: writing it would
 * fault a private copy in); a swapped-out page is discarded (madvise), since memset
 * would read it back from swap first. Zeroing the whole size instead would cost about as
 * much per memory here (one pread against a 64 KiB memset), but would make every page of
 * a recycled memory resident: 64 KiB for a one-page component that touches 4 KiB, ten
 * times the memory per live instance. When pagemap cannot be read (no /proc), the whole
 * size is zeroed, with memset up to TRE_POOL_MEMSET_MAX and madvise beyond. The same
 * reading tells warm.c which pages a module's first instance wrote.
 */
#include "engine/pool.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#define PM_PRESENT ((uint64_t)1 << 63)
#define PM_SWAPPED ((uint64_t)1 << 62)
/* Entries read at most: a 4 MiB mapping (pool.c's largest class) in 4 KiB pages. */
enum { MAX_ENTRIES = 1024 };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int pagemap = -1; /* opened once, for the process's life */
static size_t page;

static void open_pagemap(void) {
  long p = sysconf(_SC_PAGESIZE);
  page = p > 0 ? (size_t)p : 0;
  pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

static bool reset_whole(uint8_t *data, size_t dirty) {
  if (dirty <= TRE_POOL_MEMSET_MAX) {
    memset(data, 0, dirty);
    return true;
  }
  return madvise(data, dirty, MADV_DONTNEED) == 0;
}

static bool is_zero(const uint8_t *p, size_t n) {
  const uint64_t *w = (const uint64_t *)(const void *)p;
  for (size_t i = 0; i < n / sizeof *w; i++)
    if (w[i])
      return false;
  return true;
}

size_t trE_pool_page_size(void) {
  pthread_once(&once, open_pagemap);
  return page;
}

int trE_pool_written_runs(const uint8_t *data, size_t pages, trE_page_run *runs, int max) {
  pthread_once(&once, open_pagemap);
  if (pagemap < 0 || !page || pages > TRE_WARM_SCAN_PAGES || (uintptr_t)data % page)
    return -1;
  uint64_t e[512]; /* pagemap read in pieces: 4 KiB of entries at a time */
  int n = 0;
  bool in_run = false;
  for (size_t at = 0; at < pages;) {
    size_t k = pages - at < 512 ? pages - at : 512;
    off_t off = (off_t)(((uintptr_t)data / page + at) * sizeof e[0]);
    if (pread(pagemap, e, k * sizeof e[0], off) != (ssize_t)(k * sizeof e[0]))
      return -1;
    for (size_t i = 0; i < k; i++, at++) {
      bool w = (e[i] & PM_SWAPPED) ||
               ((e[i] & PM_PRESENT) && !is_zero(data + at * page, page));
      if (w && in_run) {
        runs[n - 1].count++;
      } else if (w) {
        if (n == max)
          return n; /* the first `max` runs: the rest are left to fault */
        runs[n++] = (trE_page_run){.first = (uint32_t)at, .count = 1};
      }
      in_run = w;
    }
  }
  return n;
}

bool trE_pool_reset(uint8_t *data, size_t dirty) {
  pthread_once(&once, open_pagemap);
  size_t n = page ? dirty / page : 0;
  uint64_t e[MAX_ENTRIES];
  if (pagemap < 0 || n == 0 || n > MAX_ENTRIES || dirty % page || (uintptr_t)data % page)
    return reset_whole(data, dirty);
  off_t at = (off_t)((uintptr_t)data / page * sizeof e[0]);
  if (pread(pagemap, e, n * sizeof e[0], at) != (ssize_t)(n * sizeof e[0]))
    return reset_whole(data, dirty);
  size_t resident = 0;
  for (size_t i = 0; i < n; i++)
    if (e[i] & (PM_PRESENT | PM_SWAPPED))
      resident += page;
  /* Keeping that much resident is not worth it: all of it goes back to the system. */
  if (resident > TRE_POOL_MEMSET_MAX)
    return madvise(data, dirty, MADV_DONTNEED) == 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t *p = data + i * page;
    if (e[i] & PM_SWAPPED) {
      if (madvise(p, page, MADV_DONTNEED) != 0)
        return false;
    } else if ((e[i] & PM_PRESENT) && !is_zero(p, page)) {
      memset(p, 0, page);
    }
  }
  return true;
}
