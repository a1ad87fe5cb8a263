/*
 * micro.c: troupe-bench-micro, the engine's micro-benchmarks, through troupe/wasm.h only:
 * instantiation time (median and p99) and page faults, resident memory per live
 * instance, spawn + free of a module with a data segment (time and page faults), and
 * the cost of one fuel-out suspend + resume. Prints "name value" lines (or "error name
 * message") that the harness (harness.c) reads; docs/BENCH-ENGINE.md describes each
 * method. Usage: troupe-bench-micro SMALL.wasm SPIN.wasm DATA.wasm [INSTANCES]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "troupe/wasm.h"

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wall clock (vDSO, ~20 ns a read) for the microsecond-scale instantiations. */
static uint64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* This process's CPU time for the millisecond-scale loops: the machine is shared, and
 * time spent preempted must not land in a difference of two run times. */
static uint64_t cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  long n = -1;
  if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
  if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
      fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n > 0 ? (size_t)n : 0;
  return buf;
}

static int load(const char *path, troupe_wasm_module **out) {
  size_t len = 0;
  uint8_t *bytes = read_file(path, &len);
  if (!bytes) {
    printf("error load cannot read %s\n", path);
    return -1;
  }
  troupe_err err = {0};
  int rc = troupe_wasm_module_new(bytes, len, out, &err);
  free(bytes);
  if (rc != TROUPE_OK) {
    printf("error load %s: %s\n", path, troupe_err_message(&err));
    return -1;
  }
  return 0;
}

/* Resident pages of this process (second field of /proc/self/statm). */
static long resident_pages(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = -1;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  fclose(f);
  return resident;
}

/* Minor page faults of this process so far (getrusage): a fault on a fresh anonymous
 * page is what instantiating into cold memory costs. */
static long minor_faults(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : -1;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/*
 * Instantiation and memory: n instances of SMALL.wasm are made from one compiled module
 * and kept alive (the many-live-actors case, so the allocator cannot just hand back the
 * block it got from the previous free); each instantiate call is timed alone. Then each
 * instance's "touch" stores into its memory page, and the RSS growth over the whole run
 * divided by n is the resident cost of one live instance.
 */
static void bench_instances(troupe_wasm_module *mod, size_t n) {
  troupe_wasm_instance **insts = calloc(n, sizeof *insts);
  uint64_t *ns = calloc(n, sizeof *ns);
  troupe_wasm_linker *linker = troupe_wasm_linker_new();
  if (!insts || !ns || !linker) {
    printf("error instantiate out of memory\n");
    goto done;
  }
  /* Warm up the allocator and the code paths once, outside the measurement. */
  troupe_err err = {0};
  troupe_wasm_trap trap = {0};
  troupe_wasm_instance *warm = NULL;
  if (troupe_wasm_instantiate(mod, linker, NULL, &warm, &trap, &err) != TROUPE_OK) {
    printf("error instantiate %s\n", troupe_err_message(&err));
    goto done;
  }
  troupe_wasm_instance_free(warm);

  long rss0 = resident_pages(), flt0 = minor_faults();
  for (size_t i = 0; i < n; i++) {
    uint64_t t0 = now_ns();
    int rc = troupe_wasm_instantiate(mod, linker, NULL, &insts[i], &trap, &err);
    ns[i] = now_ns() - t0;
    if (rc != TROUPE_OK) {
      printf("error instantiate instance %zu: %s\n", i, troupe_err_message(&err));
      goto done;
    }
  }
  long flt1 = minor_faults();
  qsort(ns, n, sizeof *ns, cmp_u64);
  printf("instantiate_us_median %.4f\n", (double)ns[n / 2] / 1e3);
  printf("instantiate_us_p99 %.4f\n", (double)ns[n * 99 / 100] / 1e3);
  printf("instantiate_us_max %.4f\n", (double)ns[n - 1] / 1e3);
  if (flt0 >= 0 && flt1 >= 0)
    printf("instantiate_live_minflt %.3f\n", (double)(flt1 - flt0) / (double)n);
  fflush(stdout);

  for (size_t i = 0; i < n; i++) {
    troupe_wasm_val arg = TROUPE_WASM_VAL_I32((int32_t)i), res = {0};
    int rc = troupe_wasm_call(insts[i], "touch", &arg, 1, &res, 1, NULL, &trap, &err);
    if (rc != TROUPE_OK || res.of.i32 != (int32_t)i) {
      printf("error instance_rss_bytes touch failed in instance %zu: %s\n", i,
             rc == TROUPE_E_TRAP ? trap.message : troupe_err_message(&err));
      goto done;
    }
  }
  long rss1 = resident_pages();
  if (rss0 < 0 || rss1 < 0) {
    printf("error instance_rss_bytes cannot read /proc/self/statm\n");
  } else {
    double per = (double)(rss1 - rss0) * (double)sysconf(_SC_PAGESIZE) / (double)n;
    printf("instance_rss_bytes %.0f\n", per);
  }
done:
  if (insts)
    for (size_t i = 0; i < n; i++) troupe_wasm_instance_free(insts[i]);
  free(insts);
  free(ns);
  troupe_wasm_linker_free(linker);
}

/*
 * Spawn and free: n times, instantiate DATA.wasm (one memory page and a data segment,
 * so instantiation writes into the memory) and free the instance at once, each pair
 * timed alone -- the churn of short-lived components, where a freed instance's memory
 * can serve the next one. Page faults per spawn come from getrusage over the loop. A
 * few rounds run first, outside the measurement, as for the live instances.
 */
static void bench_spawn(troupe_wasm_module *mod, size_t n) {
  uint64_t *ns = calloc(n, sizeof *ns);
  troupe_wasm_linker *linker = troupe_wasm_linker_new();
  troupe_err err = {0};
  troupe_wasm_trap trap = {0};
  if (!ns || !linker) {
    printf("error instantiate_data_us_median out of memory\n");
    goto done;
  }
  long flt0 = 0;
  for (size_t i = 0; i < n + 10; i++) {
    if (i == 10)
      flt0 = minor_faults();
    troupe_wasm_instance *inst = NULL;
    uint64_t t0 = now_ns();
    int rc = troupe_wasm_instantiate(mod, linker, NULL, &inst, &trap, &err);
    troupe_wasm_instance_free(inst);
    uint64_t t = now_ns() - t0;
    if (rc != TROUPE_OK) {
      printf("error instantiate_data_us_median instance %zu: %s\n", i, troupe_err_message(&err));
      goto done;
    }
    if (i >= 10)
      ns[i - 10] = t;
  }
  long flt1 = minor_faults();
  qsort(ns, n, sizeof *ns, cmp_u64);
  printf("instantiate_data_us_median %.4f\n", (double)ns[n / 2] / 1e3);
  printf("instantiate_data_us_p99 %.4f\n", (double)ns[n * 99 / 100] / 1e3);
  if (flt0 >= 0 && flt1 >= 0)
    printf("instantiate_minflt %.3f\n", (double)(flt1 - flt0) / (double)n);
done:
  free(ns);
  troupe_wasm_linker_free(linker);
}

/* One call of spin(iters) in fuel slices of `slice` units (0: one slice large enough
 * never to run out, so fuel is metered exactly as in the sliced runs). Returns the
 * time in ns and the number of suspensions, or UINT64_MAX after printing an error. */
static uint64_t spin_once(troupe_wasm_instance *inst, int32_t iters, uint64_t slice,
                          uint64_t *suspends, int32_t *result) {
  troupe_err err = {0};
  troupe_wasm_trap trap = {0};
  troupe_wasm_val arg = TROUPE_WASM_VAL_I32(iters), res = {0};
  troupe_wasm_call_opts opts = {.fuel = slice ? slice : UINT64_C(1) << 60};
  uint64_t count = 0, t0 = cpu_ns();
  int rc = troupe_wasm_call(inst, "spin", &arg, 1, &res, 1, &opts, &trap, &err);
  while (rc == TROUPE_E_SUSPENDED) {
    count++;
    rc = troupe_wasm_resume(inst, NULL, 0, &res, 1, &opts, &trap, &err);
  }
  uint64_t t = cpu_ns() - t0;
  if (rc != TROUPE_OK) {
    printf("error suspend_resume_ns %s: %s\n", troupe_err_name(rc),
           rc == TROUPE_E_TRAP ? trap.message : troupe_err_message(&err));
    return UINT64_MAX;
  }
  *suspends = count;
  *result = res.of.i32;
  return t;
}

/*
 * Suspend + resume: the same loop runs with one huge fuel slice (metered, never runs
 * out) and with slices of `slice` units (a few loop iterations each, so suspensions
 * dominate the sliced run and the difference stands well above the noise);
 * (sliced CPU time - unsliced CPU time) / suspensions is what one fuel-out suspension
 * and its resume cost, API round trip included. Best of 9
 * each, so a scheduler hiccup on this shared machine does not land in the difference.
 */
static void bench_suspend(troupe_wasm_module *mod) {
  troupe_err err = {0};
  troupe_wasm_trap trap = {0};
  troupe_wasm_instance *inst = NULL;
  troupe_wasm_linker *linker = troupe_wasm_linker_new();
  if (!linker || troupe_wasm_instantiate(mod, linker, NULL, &inst, &trap, &err) != TROUPE_OK) {
    printf("error suspend_resume_ns instantiate: %s\n", troupe_err_message(&err));
    troupe_wasm_linker_free(linker);
    return;
  }
  const int32_t iters = 4000000;
  const uint64_t slice = 20;
  uint64_t best_plain = UINT64_MAX, best_sliced = UINT64_MAX, suspends = 0, none = 0;
  int32_t r_plain = 0, r_sliced = 0;
  for (int rep = 0; rep < 9; rep++) {
    uint64_t t = spin_once(inst, iters, 0, &none, &r_plain);
    if (t == UINT64_MAX) goto done;
    if (t < best_plain) best_plain = t;
    t = spin_once(inst, iters, slice, &suspends, &r_sliced);
    if (t == UINT64_MAX) goto done;
    if (t < best_sliced) best_sliced = t;
  }
  if (r_plain != r_sliced) {
    printf("error suspend_resume_ns sliced run returned %" PRId32 ", unsliced %" PRId32 "\n",
           r_sliced, r_plain);
  } else if (suspends == 0) {
    printf("error suspend_resume_ns no suspension with fuel slices of %" PRIu64 "\n", slice);
  } else {
    double diff = (double)best_sliced - (double)best_plain;
    printf("suspend_resume_ns %.1f\n", diff / (double)suspends);
    printf("suspend_count %" PRIu64 "\n", suspends);
    printf("spin_plain_ms %.3f\nspin_sliced_ms %.3f\n", (double)best_plain / 1e6,
           (double)best_sliced / 1e6);
  }
done:
  troupe_wasm_instance_free(inst);
  troupe_wasm_linker_free(linker);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: troupe-bench-micro SMALL.wasm SPIN.wasm DATA.wasm [INSTANCES]\n");
    return 2;
  }
  size_t n = argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 10000;
  if (n < 100) n = 100;
  troupe_wasm_module *small = NULL, *spin = NULL, *data = NULL;
  if (load(argv[1], &small) == 0) {
    bench_instances(small, n);
    troupe_wasm_module_free(small);
  }
  fflush(stdout);
  if (load(argv[3], &data) == 0) {
    bench_spawn(data, n);
    troupe_wasm_module_free(data);
  }
  fflush(stdout);
  if (load(argv[2], &spin) == 0) {
    bench_suspend(spin);
    troupe_wasm_module_free(spin);
  }
  return 0;
}
