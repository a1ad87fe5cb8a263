/*
 * main.c: troupe-bench-component, the Troupe side of `make bench-component`
 * (bench/component/run).
 *   troupe-bench-component measure [--quick] [--rows a,b,...] [-o FILE]   "row unit value"
 *                                                          lines (appended to FILE)
 *   troupe-bench-component report TROUPE.txt ERLANG.txt JSON              table + JSON
 * Row groups: spawn memory invoke ask ring restart echo node langs. The shared helpers live here:
 * the host over an in-memory store of the bench guests, spawn/invoke wrappers, process
 * figures.
 */
#include "bench.h"
#include "../common/metrics_off.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef TBC_GUESTS_DIR
#error "TBC_GUESTS_DIR must name the folder of the bench guests"
#endif

void tbc_emit(const tbc_cfg *cfg, const char *row, const char *unit, double value) {
  fprintf(cfg->out, "%s %s %.6g\n", row, unit, value);
  fflush(cfg->out);
  if (cfg->out != stdout)
    fprintf(stderr, "  troupe %-28s %12.4g %s\n", row, value, unit);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double tbc_percentile(double *v, size_t n, double p) {
  if (!n)
    return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i < n ? i : n - 1];
}

void tbc_die(const char *what, int status, const troupe_err *err) {
  fprintf(stderr, "troupe-bench-component: %s: %s (%s)\n", what,
          err && err->msg[0] ? err->msg : troupe_strerror(status), troupe_err_name(status));
  exit(1);
}

void tbc_sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

uint8_t *tbc_read_path(const char *path, size_t *len, bool must_exist) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (!must_exist)
      return NULL;
    perror(path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
  if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "troupe-bench-component: cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

static uint8_t *read_file(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", TBC_GUESTS_DIR, name);
  return tbc_read_path(path, len, true);
}

void tbc_host_new(tbc_host *th, unsigned workers) { tbc_host_new_ex(th, workers, true); }

void tbc_host_new_ex(tbc_host *th, unsigned workers, bool run_here) {
  troupe_err err = {0};
  int rc = troupe_store_mem_new(&th->store, &err);
  if (rc)
    tbc_die("store", rc, &err);
  const char *mods[] = {"tiny", "worker"};
  for (size_t i = 0; i < 2; i++) {
    char file[64];
    snprintf(file, sizeof file, "%s.wasm", mods[i]);
    size_t len;
    uint8_t *b = read_file(file, &len);
    if ((rc = troupe_store_mem_add(th->store, mods[i], "1", b, len, NULL, &err)))
      tbc_die("store add", rc, &err);
    free(b);
  }
  troupe_host_config hc;
  troupe_host_config_init(&hc);
  hc.workers = workers;
  hc.store = th->store;
  hc.supervisor.intensity = 1000000000u;
  hc.supervisor.period_ms = 1;
  hc.no_metrics = bmo_off(); /* BENCH_METRICS=off: the same rows without metrics */
  hc.no_run_here = !run_here;
  if ((rc = troupe_host_new(&hc, &th->h, &err)))
    tbc_die("host_new", rc, &err);
}

void tbc_host_free(tbc_host *th) {
  troupe_host_free(th->h);
  troupe_store_free(th->store);
}

troupe_component_id tbc_spawn(tbc_host *th, const char *name, const char *module,
                              const char *env, uint32_t shutdown_ms, troupe_err *err,
                              bool die_on_error) {
  static const char *const all[] = {">"};
  troupe_component_spec s;
  memset(&s, 0, sizeof s);
  s.name = name;
  s.module = module;
  s.shutdown_ms = shutdown_ms;
  if (!strcmp(module, "tiny"))
    s.limits.max_memory_pages = 1;
  else
    s.caps.send_to = (troupe_pattern_list){all, 1};
  const char *envv[1] = {env};
  if (env) {
    s.envc = 1;
    s.env = envv;
  }
  troupe_component_id id = 0;
  int rc = troupe_host_spawn(th->h, &s, &id, err);
  if (rc && die_on_error)
    tbc_die(name, rc, err);
  return rc ? 0 : id;
}

char *tbc_invoke(tbc_host *th, troupe_component_id id, const char *fn, const void *args,
                 size_t len, size_t *out_len) {
  uint8_t *res = NULL;
  size_t rl = 0;
  troupe_err err = {0};
  int rc = troupe_host_invoke(th->h, id, fn, args, len, TROUPE_SEC(60), &res, &rl, &err);
  if (rc)
    tbc_die(fn, rc, &err);
  char *s = malloc(rl + 1);
  if (!s)
    exit(1);
  if (rl)
    memcpy(s, res, rl);
  s[rl] = 0;
  free(res);
  if (out_len)
    *out_len = rl;
  return s;
}

size_t tbc_cbor_uint(uint8_t *b, uint64_t v) {
  b[0] = 0x51;
  if (v < 24) {
    b[1] = (uint8_t)v;
    return 2;
  }
  int n = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
  b[1] = (uint8_t)(n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27);
  for (int i = 0; i < n; i++)
    b[2 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  return (size_t)(2 + n);
}

double *tbc_json_numbers(const char *json, size_t len, size_t *n) {
  size_t cap = 16, k = 0;
  double *v = malloc(cap * sizeof *v);
  const char *p = json + 2, *end = json + len; /* past the JSON prefix */
  while (v && p < end) {
    if ((*p >= '0' && *p <= '9') || *p == '-') {
      char *e;
      double x = strtod(p, &e);
      if (k == cap)
        v = realloc(v, (cap *= 2) * sizeof *v);
      if (v)
        v[k++] = x;
      p = e;
    } else
      p++;
  }
  *n = k;
  return v;
}

uint64_t tbc_rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long long size = 0, res = 0;
  if (f) {
    if (fscanf(f, "%llu %llu", &size, &res) != 2)
      res = 0;
    fclose(f);
  }
  return res * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t tbc_minflt(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)ru.ru_minflt;
}

uint64_t tbc_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

const char *tbc_threads(void) {
  static char line[256] = "Threads: ?";
  FILE *f = fopen("/proc/self/status", "r");
  char buf[256];
  while (f && fgets(buf, sizeof buf, f))
    if (!strncmp(buf, "Threads:", 8)) {
      buf[strcspn(buf, "\n")] = 0;
      snprintf(line, sizeof line, "%s", buf);
    }
  if (f)
    fclose(f);
  return line;
}

uint64_t tbc_preemptions(void) {
  char cmd[96];
  snprintf(cmd, sizeof cmd, "cat /proc/%d/task/*/status 2>/dev/null", (int)getpid());
  FILE *f = popen(cmd, "r");
  char line[256];
  uint64_t n = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "nonvoluntary_ctxt_switches:", 27))
      n += strtoull(line + 27, NULL, 10);
  if (f)
    pclose(f);
  return n;
}

size_t tbc_map_count(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  size_t n = 0;
  int c;
  if (!f)
    return 0;
  while ((c = getc_unlocked(f)) != EOF)
    n += c == '\n';
  fclose(f);
  return n;
}

typedef struct row_fn {
  const char *name;
  void (*fn)(const tbc_cfg *);
} row_fn;

static const row_fn rows[] = {
    {"spawn", tbc_spawn_rows}, {"invoke", tbc_invoke_rows},   {"ask", tbc_ask_rows},
    {"ring", tbc_ring_rows},   {"restart", tbc_restart_rows}, {"echo", tbc_echo_rows},
    {"node", tbc_node_rows},   {"langs", tbc_langs_rows},
    {"memory", tbc_memory_rows}, /* last: it leaves the process without freeing the host */
};

static bool selected(const char *list, const char *name) {
  if (!list)
    return true;
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && !strncmp(p, name, n))
      return true;
    p += len + (e != NULL);
  }
  return false;
}

static int usage(void) {
  fprintf(stderr, "usage: troupe-bench-component measure [--quick] [--rows LIST] [-o FILE]\n"
                  "       troupe-bench-component report TROUPE.txt ERLANG.txt OUT.json [OFF.txt]\n"
                  "BENCH_METRICS=off: hosts without metrics (OFF.txt: such a run)\n"
                  "rows: spawn,invoke,ask,ring,restart,echo,node,langs,memory\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "report")) {
    if (argc != 5 && argc != 6)
      return usage();
    return tbc_report(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
  }
  if (argc < 2 || strcmp(argv[1], "measure"))
    return usage();
  tbc_cfg cfg = {.spawn_n = 5000, .idle_n = 100000, .live_s = 180, .live_gib = 18,
                 .live_max = 1000000, .rtt_n = 20000, .ring_n = 10000, .ring_hops = 1000000,
                 .restarts = 500, .out = stdout};
  const char *e = getenv("BENCH_LIVE_SECONDS");
  if (e && atof(e) > 0)
    cfg.live_s = atof(e);
  if ((e = getenv("BENCH_LIVE_GIB")) && atof(e) > 0)
    cfg.live_gib = atof(e);
  const char *list = NULL, *outp = NULL;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) {
      cfg.quick = true;
      cfg.spawn_n = 1000;
      cfg.idle_n = 10000;
      cfg.live_s = 5;
      cfg.live_max = 20000;
      cfg.rtt_n = 2000;
      cfg.ring_n = 1000;
      cfg.ring_hops = 100000;
      cfg.restarts = 100;
    } else if (!strcmp(argv[i], "--rows") && i + 1 < argc) {
      list = argv[++i];
    } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
      outp = argv[++i];
    } else {
      return usage();
    }
  }
  if (outp && !(cfg.out = fopen(outp, "a"))) {
    perror(outp);
    return 1;
  }
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    if (selected(list, rows[i].name))
      rows[i].fn(&cfg);
  if (cfg.out != stdout)
    fclose(cfg.out);
  return 0;
}
