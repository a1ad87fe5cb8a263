/*
 * node.c: the node rows of `make bench-component` (issue #11 point 8): what an operator
 * of a node waits for, through the node layer's public headers only (troupe/node.h,
 * manifest.h, control.h, sqlstore.h). Everything lives in a temporary folder (mkdtemp
 * under $TMPDIR or /tmp: the store file, the manifest, the node's log, the control
 * directory) removed at the end; the user's store and control directory are never
 * touched.
 *
 *   node_start_ms     a manifest of node_n (10,000) components of the tiny guest under
 *                     10 supervisors (children of the root), each naming its module by
 *                     a store reference (tiny@1.0.0) into a SQLite store made here, the
 *                     way a deployment runs signed-off modules (`troupe store add`, then
 *                     `troupe run`); troupe_node_start until it returns (every component
 *                     Ready, the control server up), median of node_runs fresh nodes
 *                     (stopped between). manifest_load_ms: troupe_manifest_load of the
 *                     same file (read, parse, check) before each start; node_stop_ms:
 *                     troupe_node_stop. node_start_ms_signed: the module signed and
 *                     the node trusting that key; node_start_ms_files: the manifest
 *                     naming the module by file path (`path: tiny.wasm`, the `--watch`
 *                     loop).
 *   control_rtt_us    a node of one worker-guest echo; troupe_ctl_call of
 *                     {"op":"ask","name":"echo","payload":{"n":1}} on one connection,
 *                     each round trip timed; warm-up, then rtt_n: median and p99.
 *                     control_host_ask_us: the same ask by troupe_host_ask in process;
 *                     control_cli_ask_ms: `troupe ask echo '{"n":1}'` run as a process
 *                     (spawn, exec, connect, ask, print, exit), median; _1worker: the
 *                     control ask again with a node of one worker.
 *   store_add_ms      troupe_sqlstore_add of a 1 MiB module (tiny's shape with a 1 MiB
 *                     data segment of pseudo-random bytes) into a fresh store file, new
 *                     bytes and a new name@version each time (no deduplication); median
 *                     of the runs after one warm-up. store_add_ms_code: a 1 MiB module
 *                     that is all code (1,000 functions); store_add_ms_worker: the 29 KB
 *                     worker guest. The add's parts (compile, hash) are timed apart on
 *                     stderr.
 */
#include "bench.h"

#include "troupe/control.h"
#include "troupe/manifest.h"
#include "troupe/node.h"
#include "troupe/sqlstore.h"
#include "troupe/wasm.h"

#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#ifndef TBC_TROUPE_BIN
#define TBC_TROUPE_BIN "" /* no CLI row */
#endif

enum { NODE_GROUPS = 10 };

/* Sizes: the issue's, or (--quick) a smoke test's. */
static uint32_t node_n(const tbc_cfg *c) { return c->quick ? 1000 : 10000; }
static uint32_t node_runs(const tbc_cfg *c) { return c->quick ? 2 : 5; }
static uint32_t add_runs_n(const tbc_cfg *c) { return c->quick ? 3 : 9; }

static const char *loadavg(void) {
  static char s[64];
  FILE *f = fopen("/proc/loadavg", "r");
  if (!f || !fgets(s, sizeof s, f))
    snprintf(s, sizeof s, "?");
  if (f)
    fclose(f);
  s[strcspn(s, " \n")] = 0; /* the 1-minute figure */
  return s;
}

/* ---- a temporary folder --------------------------------------------------------- */

static char tmpdir[512];

static void tmp_make(void) {
  const char *t = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/troupe-bench-node-XXXXXX", t && *t ? t : "/tmp");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    exit(1);
  }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path) ? -1 : 0;
}

static void tmp_remove(void) {
  if (tmpdir[0] && nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS))
    fprintf(stderr, "  node: could not remove %s\n", tmpdir);
  tmpdir[0] = 0;
}

static void tmp_path(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", tmpdir, name);
}

static uint8_t *guest_bytes(const char *file, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", TBC_GUESTS_DIR, file);
  FILE *f = fopen(path, "rb");
  long n = -1;
  if (f && !fseek(f, 0, SEEK_END))
    n = ftell(f);
  uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
  if (!f || !b || fseek(f, 0, SEEK_SET) || fread(b, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "troupe-bench-component: cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

static void write_file(const char *path, const void *b, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(b, 1, len, f) != len || fclose(f)) {
    perror(path);
    exit(1);
  }
}

/* ---- growing text ------------------------------------------------------------------ */

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) TROUPE_PRINTF(2, 3);
static void put(buf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (k < 0)
      exit(1);
    if (b->p && b->len + (size_t)k < b->cap) {
      b->len += (size_t)k;
      return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap <= b->len + (size_t)k)
      cap *= 2;
    if (!(b->p = realloc(b->p, cap)))
      exit(1);
    b->cap = cap;
  }
}

/* ---- the manifests ----------------------------------------------------------------- */

/* n components c0..c(n-1) of tiny, NODE_GROUPS supervisors g0.. under the root, each
 * component named by `module: tiny@1.0.0` (store) or `path: tiny.wasm` (modules_dir =
 * the guests' folder); with key (hex), the node trusts that key only. Block style, as
 * people write manifests. */
static char *big_manifest(uint32_t n, bool files, const char *store, const char *key,
                          const char *log, size_t *len) {
  buf b = {0};
  put(&b, "node:\n  name: bench-node\n  log: %s\n", log);
  if (files)
    put(&b, "  modules_dir: %s\n", TBC_GUESTS_DIR);
  else
    put(&b, "  store: %s\n", store);
  if (key)
    put(&b, "  trusted_keys: [%s]\n", key);
  put(&b, "\ncomponents:\n");
  for (uint32_t i = 0; i < n; i++) {
    put(&b, "  c%u:\n", i);
    if (files)
      put(&b, "    path: tiny.wasm\n");
    else
      put(&b, "    module: tiny@1.0.0\n");
    put(&b, "    limits:\n      max_memory_pages: 1\n");
  }
  put(&b, "\nsupervisors:\n  app:\n    strategy: one_for_one\n    children:\n");
  for (uint32_t g = 0; g < NODE_GROUPS; g++)
    put(&b, "      - g%u\n", g);
  for (uint32_t g = 0; g < NODE_GROUPS; g++) {
    put(&b, "  g%u:\n    strategy: one_for_one\n    intensity: 10\n    period_ms: 1s\n"
            "    children:\n",
        g);
    for (uint32_t i = g; i < n; i += NODE_GROUPS)
      put(&b, "      - c%u\n", i);
  }
  *len = b.len;
  return b.p;
}

static troupe_manifest *load_manifest(const char *path) {
  troupe_manifest *m = NULL;
  troupe_manifest_errors errs = {0};
  if (troupe_manifest_load(path, &m, &errs)) {
    for (size_t i = 0; i < errs.n && i < 5; i++) {
      char line[512];
      troupe_manifest_error_format(&errs.v[i], line, sizeof line);
      fprintf(stderr, "troupe-bench-component: %s\n", line);
    }
    troupe_manifest_errors_clear(&errs);
    exit(1);
  }
  return m;
}

static troupe_sqlstore *store_open(const char *path) {
  troupe_sqlstore *s = NULL;
  troupe_err err = {0};
  int rc = troupe_sqlstore_open(path, NULL, &s, &err);
  if (rc)
    tbc_die("sqlstore_open", rc, &err);
  return s;
}

static void store_add(troupe_sqlstore *s, const char *name, const char *version,
                      const uint8_t *b, size_t len, const troupe_signing_key *key) {
  troupe_err err = {0};
  bool added = false;
  int rc = troupe_sqlstore_add(s, name, version, b, len, key, NULL, &added, &err);
  if (rc)
    tbc_die("sqlstore_add", rc, &err);
  if (!added) {
    fprintf(stderr, "troupe-bench-component: %s@%s was already in the store\n", name, version);
    exit(1);
  }
}

/* ---- node_start ---------------------------------------------------------------------- */

/* runs x (load, start, stop) of the manifest at path: medians into the three arrays. */
static void start_runs(const tbc_cfg *cfg, const char *path, uint32_t runs, double *load_ms,
                       double *start_ms, double *stop_ms) {
  char ctl[600];
  tmp_path(ctl, sizeof ctl, "ctl");
  troupe_node_options o = {.control_dir = ctl};
  if (getenv("BENCH_NODE_WORKERS")) /* a profiling knob: 0 or garbage = the default */
    o.workers = (unsigned)strtoul(getenv("BENCH_NODE_WORKERS"), NULL, 10);
  for (uint32_t r = 0; r < runs; r++) {
    uint64_t t0 = troupe_clock_mono_ns();
    troupe_manifest *m = load_manifest(path);
    uint64_t t1 = troupe_clock_mono_ns();
    troupe_node *node = NULL;
    troupe_err err = {0};
    int rc = troupe_node_start(m, &o, &node, &err);
    uint64_t t2 = troupe_clock_mono_ns();
    if (rc)
      tbc_die("node_start", rc, &err);
    /* every component is there and Ready (start returns only then: check it) */
    troupe_component_id *ids = NULL;
    size_t n = 0;
    if ((rc = troupe_host_list(troupe_node_host(node), &ids, &n, &err)))
      tbc_die("host_list", rc, &err);
    troupe_component_info info;
    if (n != m->ncomponents ||
        troupe_host_info(troupe_node_host(node), ids[n - 1], &info, &err)) {
      fprintf(stderr, "troupe-bench-component: node has %zu of %zu components\n", n,
              m->ncomponents);
      exit(1);
    }
    bool ready = info.state == TROUPE_COMPONENT_READY;
    troupe_component_info_clear(&info);
    free(ids);
    if (!ready) {
      fprintf(stderr, "troupe-bench-component: the last component is not Ready\n");
      exit(1);
    }
    uint64_t rss = tbc_rss_bytes();
    uint64_t t3 = troupe_clock_mono_ns();
    troupe_node_stop(node);
    uint64_t t4 = troupe_clock_mono_ns();
    troupe_manifest_free(m);
    if (getenv("BENCH_NODE_PART"))
      fprintf(stderr, "  node: run %u: start %.6f..%.6f stop %.6f..%.6f (CLOCK_MONOTONIC)\n", r,
              (double)t1 / 1e9, (double)t2 / 1e9, (double)t3 / 1e9, (double)t4 / 1e9);
    load_ms[r] = (double)(t1 - t0) / 1e6;
    start_ms[r] = (double)(t2 - t1) / 1e6;
    stop_ms[r] = (double)(t4 - t3) / 1e6;
    fprintf(stderr, "  node: run %u: load %.1f ms, start %.1f ms, stop %.1f ms, RSS %.0f MiB "
                    "(load average %s)\n",
            r, load_ms[r], start_ms[r], stop_ms[r], (double)rss / (1 << 20),
            loadavg());
  }
  (void)cfg;
}

static void node_start_rows(const tbc_cfg *cfg) {
  char store[600], signed_store[600], log[600], yaml[600];
  tmp_path(store, sizeof store, "store.db");
  tmp_path(signed_store, sizeof signed_store, "signed.db");
  tmp_path(log, sizeof log, "node.jsonl");
  size_t tlen;
  uint8_t *tiny = guest_bytes("tiny.wasm", &tlen);
  troupe_sqlstore *s = store_open(store);
  store_add(s, "tiny", "1.0.0", tiny, tlen, NULL);
  troupe_sqlstore_close(s);
  /* the same module signed, in a store of its own, for a node that trusts the key */
  troupe_signing_key key;
  troupe_err err = {0};
  int rc = troupe_signing_key_generate(&key, &err);
  if (rc)
    tbc_die("key", rc, &err);
  char hex[TROUPE_ED25519_PUBLIC_HEX];
  troupe_public_key_hex(key.public_key, hex);
  s = store_open(signed_store);
  store_add(s, "tiny", "1.0.0", tiny, tlen, &key);
  troupe_sqlstore_close(s);
  troupe_signing_key_clear(&key);
  free(tiny);

  uint32_t runs = node_runs(cfg);
  double *load = calloc(runs, sizeof *load), *start = calloc(runs, sizeof *start),
         *stop = calloc(runs, sizeof *stop);
  if (!load || !start || !stop)
    exit(1);
  size_t len;
  char *text = big_manifest(node_n(cfg), false, store, NULL, log, &len);
  tmp_path(yaml, sizeof yaml, "app.yaml");
  write_file(yaml, text, len);
  free(text);
  fprintf(stderr, "  node: manifest of %u components (store references), %zu KiB\n",
          node_n(cfg), len >> 10);
  start_runs(cfg, yaml, runs, load, start, stop);
  tbc_emit(cfg, "manifest_load_ms", "ms", tbc_percentile(load, runs, 0.5));
  tbc_emit(cfg, "node_start_ms", "ms", tbc_percentile(start, runs, 0.5));
  tbc_emit(cfg, "node_stop_ms", "ms", tbc_percentile(stop, runs, 0.5));

  text = big_manifest(node_n(cfg), false, signed_store, hex, log, &len);
  tmp_path(yaml, sizeof yaml, "app-signed.yaml");
  write_file(yaml, text, len);
  free(text);
  fprintf(stderr, "  node: the same with a signed module and trusted_keys\n");
  start_runs(cfg, yaml, runs, load, start, stop);
  tbc_emit(cfg, "node_start_ms_signed", "ms", tbc_percentile(start, runs, 0.5));

  text = big_manifest(node_n(cfg), true, store, NULL, log, &len);
  tmp_path(yaml, sizeof yaml, "app-files.yaml");
  write_file(yaml, text, len);
  free(text);
  fprintf(stderr, "  node: the same with module files\n");
  start_runs(cfg, yaml, runs, load, start, stop);
  tbc_emit(cfg, "manifest_load_ms_files", "ms", tbc_percentile(load, runs, 0.5));
  tbc_emit(cfg, "node_start_ms_files", "ms", tbc_percentile(start, runs, 0.5));
  free(load);
  free(start);
  free(stop);
}

/* ---- control_rtt ------------------------------------------------------------------ */

/* Run the troupe CLI once (stdout to /dev/null); its exit status. */
static int run_cli(char *const argv[]) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc)
    return -1;
  int st;
  if (waitpid(pid, &st, 0) < 0)
    return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A node of one echo (the worker guest) with `workers` workers (0: one per core, the
 * default of `troupe run`) and its control socket in the temporary folder; the round
 * trips of rtt_n asks on one connection: median and p99 (microseconds) into med, p99. */
static troupe_node *ctl_node(unsigned workers, troupe_manifest **mp) {
  char yaml[600], log[600];
  tmp_path(yaml, sizeof yaml, "ctl.yaml");
  tmp_path(log, sizeof log, "ctl.jsonl");
  buf b = {0};
  put(&b, "node:\n  name: bench-ctl\n  workers: %u\n  log: %s\n  modules_dir: %s\n"
          "components:\n  echo:\n    path: worker.wasm\n"
          "supervisors:\n  app:\n    children: [echo]\n",
      workers, log, TBC_GUESTS_DIR);
  write_file(yaml, b.p, b.len);
  free(b.p);
  char ctl[600];
  tmp_path(ctl, sizeof ctl, "ctl");
  *mp = load_manifest(yaml);
  troupe_node_options o = {.control_dir = ctl};
  troupe_node *node = NULL;
  troupe_err err = {0};
  int rc = troupe_node_start(*mp, &o, &node, &err);
  if (rc)
    tbc_die("node_start", rc, &err);
  return node;
}

static void ctl_asks(const tbc_cfg *cfg, double *med, double *p99, double *cpu_us) {
  char ctl[600];
  tmp_path(ctl, sizeof ctl, "ctl");
  troupe_ctl_client *c = NULL;
  troupe_err err = {0};
  int rc = troupe_ctl_connect(ctl, "bench-ctl", &c, &err);
  if (rc)
    tbc_die("ctl_connect", rc, &err);
  const char *req = "{\"op\":\"ask\",\"name\":\"echo\",\"payload\":{\"n\":1}}";
  uint32_t n = cfg->rtt_n, warm = n / 10;
  double *us = malloc(n * sizeof *us);
  if (!us)
    exit(1);
  uint64_t cpu0 = 0;
  for (uint32_t i = 0; i < warm + n; i++) {
    if (i == warm)
      cpu0 = tbc_cpu_ns();
    char *resp = NULL;
    uint64_t t0 = troupe_clock_mono_ns();
    rc = troupe_ctl_call(c, req, &resp, 10000, &err);
    uint64_t t1 = troupe_clock_mono_ns();
    if (rc)
      tbc_die("ctl_call", rc, &err);
    if (!strstr(resp, "\"ok\":true") || !strstr(resp, "\"n\":1")) {
      fprintf(stderr, "troupe-bench-component: unexpected answer %s\n", resp);
      exit(1);
    }
    free(resp);
    if (i >= warm)
      us[i - warm] = (double)(t1 - t0) / 1e3;
  }
  *cpu_us = (double)(tbc_cpu_ns() - cpu0) / 1e3 / n;
  /* The medians of 4 consecutive quarters: the round trip is bimodal (spins that meet
   * or wake-ups that do not), and which mode a stretch of asks is in shows here. */
  fprintf(stderr, "  node: control ask: medians of the 4 quarters (us):");
  for (uint32_t q = 0; q < 4; q++) {
    uint32_t a = q * (n / 4), k = n / 4;
    double *part = malloc(k * sizeof *part);
    if (!part)
      exit(1);
    memcpy(part, us + a, k * sizeof *part);
    fprintf(stderr, " %.1f", tbc_percentile(part, k, 0.5));
    free(part);
  }
  fprintf(stderr, "\n");
  *med = tbc_percentile(us, n, 0.5);
  *p99 = tbc_percentile(us, n, 0.99);
  free(us);
  troupe_ctl_close(c);
}

/* The in-process part of the control ask: troupe_host_ask of the same JSON payload
 * from this thread, as the connection thread makes it (no socket, no JSON text). */
static double host_asks(const tbc_cfg *cfg, troupe_node *node) {
  troupe_host *h = troupe_node_host(node);
  troupe_component_id id = 0;
  if (troupe_host_lookup(h, "echo", &id)) {
    fprintf(stderr, "troupe-bench-component: no echo in the node\n");
    exit(1);
  }
  static const uint8_t payload[] = "\x80\x04{\"n\":1}";
  uint32_t n = cfg->rtt_n, warm = n / 10;
  double *us = malloc(n * sizeof *us);
  if (!us)
    exit(1);
  for (uint32_t i = 0; i < warm + n; i++) {
    uint8_t *reply = NULL;
    size_t rl = 0;
    troupe_err err = {0};
    uint64_t t0 = troupe_clock_mono_ns();
    int rc = troupe_host_ask(h, id, 0, payload, sizeof payload - 1, TROUPE_SEC(10), &reply,
                             &rl, &err);
    uint64_t t1 = troupe_clock_mono_ns();
    if (rc)
      tbc_die("host_ask", rc, &err);
    if (rl != sizeof payload - 1 || memcmp(reply, payload, rl)) {
      fprintf(stderr, "troupe-bench-component: the echo answered something else\n");
      exit(1);
    }
    free(reply);
    if (i >= warm)
      us[i - warm] = (double)(t1 - t0) / 1e3;
  }
  double med = tbc_percentile(us, n, 0.5);
  free(us);
  return med;
}

static void control_rows(const tbc_cfg *cfg) {
  troupe_manifest *m = NULL;
  troupe_node *node = ctl_node(0, &m);
  double med, p99, cpu;
  ctl_asks(cfg, &med, &p99, &cpu);
  tbc_emit(cfg, "control_rtt_us_median", "us", med);
  tbc_emit(cfg, "control_rtt_us_p99", "us", p99);
  fprintf(stderr, "  node: control ask: %.1f us of CPU (this process: client, connection "
                  "thread, workers) per round trip (load average %s)\n",
          cpu, loadavg());
  tbc_emit(cfg, "control_host_ask_us_median", "us", host_asks(cfg, node));

  /* The command end to end, process start included. */
  char ctl[600];
  tmp_path(ctl, sizeof ctl, "ctl");
  if (TBC_TROUPE_BIN[0] && !access(TBC_TROUPE_BIN, X_OK)) {
    uint32_t k = cfg->quick ? 20 : 200;
    double *ms = malloc(k * sizeof *ms);
    char *argv[] = {(char *)TBC_TROUPE_BIN, "ask", "echo", "{\"n\":1}", "--node",
                    "bench-ctl", "--control-dir", ctl, NULL};
    for (uint32_t i = 0; ms && i < k + 5; i++) {
      uint64_t t0 = troupe_clock_mono_ns();
      if (run_cli(argv)) {
        fprintf(stderr, "troupe-bench-component: `troupe ask` failed\n");
        exit(1);
      }
      if (i >= 5)
        ms[i - 5] = (double)(troupe_clock_mono_ns() - t0) / 1e6;
    }
    if (ms)
      tbc_emit(cfg, "control_cli_ask_ms", "ms", tbc_percentile(ms, k, 0.5));
    free(ms);
  } else {
    fprintf(stderr, "  node: no troupe binary (%s): no control_cli_ask_ms\n", TBC_TROUPE_BIN);
  }
  troupe_node_stop(node);
  troupe_manifest_free(m);

  /* The same node with one worker: no second worker spinning idle beside the client and
   * the connection thread on a 2-core machine. */
  node = ctl_node(1, &m);
  ctl_asks(cfg, &med, &p99, &cpu);
  tbc_emit(cfg, "control_rtt_us_median_1worker", "us", med);
  tbc_emit(cfg, "control_rtt_us_p99_1worker", "us", p99);
  fprintf(stderr, "  node: control ask, 1 worker: %.1f us of CPU per round trip (load average "
                  "%s)\n",
          cpu, loadavg());
  troupe_node_stop(node);
  troupe_manifest_free(m);
}

/* ---- store_add -------------------------------------------------------------------- */

static void raw(buf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
      cap *= 2;
    if (!(b->p = realloc(b->p, cap)))
      exit(1);
    b->cap = cap;
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

static void leb(buf *b, uint64_t v) {
  do {
    uint8_t x = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
    raw(b, &x, 1);
    v >>= 7;
  } while (v);
}

static void section(buf *m, uint8_t id, const buf *body) {
  raw(m, &id, 1);
  leb(m, body->len);
  raw(m, body->p, body->len);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* A module of about `size` bytes: memory, an exported _start and either one active data
 * segment of pseudo-random bytes (code = false) or functions of straight-line arithmetic
 * (code = true) making up the size. */
static uint8_t *big_module(size_t size, bool code, size_t *len) {
  buf m = {0}, s = {0};
  raw(&m, "\0asm\1\0\0\0", 8);
  /* type 0: () -> () */
  raw(&s, "\1\x60\0\0", 4);
  section(&m, 1, &s);
  s.len = 0;
  uint32_t nfun = code ? 1000 : 1;
  size_t body = code ? size / nfun : 0;
  leb(&s, nfun);
  for (uint32_t i = 0; i < nfun; i++)
    raw(&s, "\0", 1);
  section(&m, 3, &s);
  s.len = 0;
  uint32_t pages = code ? 1 : (uint32_t)(size / 65536 + 1);
  raw(&s, "\1\1", 2); /* one memory, min and max */
  leb(&s, pages);
  leb(&s, pages);
  section(&m, 5, &s);
  s.len = 0;
  raw(&s, "\2\6memory\2\0\6_start\0\0", 19);
  section(&m, 7, &s);
  s.len = 0;
  leb(&s, nfun);
  buf f = {0};
  for (uint32_t i = 0; i < nfun; i++) {
    f.len = 0;
    raw(&f, "\0", 1); /* no locals */
    /* i32.const x; i32.const y; i32.add; drop: 3 + 3 + 1 + 1 bytes per group */
    while (f.len + 8 < body) {
      uint8_t g[8] = {0x41, (uint8_t)(0x80 | (next_rand() & 0x7f)), 0x01,
                      0x41, (uint8_t)(0x80 | (next_rand() & 0x7f)), 0x01, 0x6a, 0x1a};
      raw(&f, g, sizeof g);
    }
    raw(&f, "\x0b", 1);
    leb(&s, f.len);
    raw(&s, f.p, f.len);
  }
  free(f.p);
  section(&m, 10, &s);
  if (!code) {
    s.len = 0;
    size_t dlen = size - m.len - 16;
    raw(&s, "\1\0\x41\0\x0b", 5); /* one active segment, memory 0, offset i32.const 0 */
    leb(&s, dlen);
    for (size_t i = 0; i < dlen; i += 8) {
      uint64_t r = next_rand();
      raw(&s, &r, dlen - i < 8 ? dlen - i : 8);
    }
    section(&m, 11, &s);
  }
  free(s.p);
  *len = m.len;
  return (uint8_t *)m.p;
}

/* Make b's bytes new for run r: the 1 MiB data module's first data bytes, or a custom
 * section appended (valid anywhere) to the others. */
static uint8_t *vary(const uint8_t *b, size_t len, uint32_t r, bool data, size_t *out_len) {
  uint8_t *v = malloc(len + 32);
  if (!v)
    exit(1);
  memcpy(v, b, len);
  if (data) {
    memcpy(v + len - 64, &r, sizeof r); /* inside the data segment's bytes */
    *out_len = len;
    return v;
  }
  uint8_t cs[] = {0, 10, 5, 'b', 'e', 'n', 'c', 'h', 0, 0, 0, 0};
  memcpy(cs + 8, &r, 4);
  memcpy(v + len, cs, sizeof cs);
  *out_len = len + sizeof cs;
  return v;
}

static void add_runs(const tbc_cfg *cfg, troupe_sqlstore *s, const char *what, const uint8_t *b,
                     size_t len, bool data, const char *row) {
  uint32_t runs = add_runs_n(cfg);
  double *ms = malloc(runs * sizeof *ms), *cms = malloc(runs * sizeof *cms),
         *hms = malloc(runs * sizeof *hms);
  if (!ms || !cms || !hms)
    exit(1);
  static uint32_t serial;
  for (uint32_t r = 0; r < runs + 1; r++) { /* run 0: warm-up */
    size_t vlen;
    uint8_t *v = vary(b, len, ++serial, data, &vlen);
    char version[32];
    snprintf(version, sizeof version, "1.0.%u", serial);
    uint64_t t0 = troupe_clock_mono_ns();
    store_add(s, what, version, v, vlen, NULL);
    uint64_t t1 = troupe_clock_mono_ns();
    /* its parts, apart: compile, hash */
    troupe_wasm_module *mod = NULL;
    troupe_err err = {0};
    int rc = troupe_wasm_module_new(v, vlen, &mod, &err);
    uint64_t t2 = troupe_clock_mono_ns();
    if (rc)
      tbc_die("module_new", rc, &err);
    troupe_wasm_module_free(mod);
    uint8_t sha[TROUPE_SHA256_BYTES];
    uint64_t t3 = troupe_clock_mono_ns();
    troupe_sha256(v, vlen, sha);
    uint64_t t4 = troupe_clock_mono_ns();
    free(v);
    if (r) {
      ms[r - 1] = (double)(t1 - t0) / 1e6;
      cms[r - 1] = (double)(t2 - t1) / 1e6;
      hms[r - 1] = (double)(t4 - t3) / 1e6;
    }
  }
  double med = tbc_percentile(ms, runs, 0.5), c = tbc_percentile(cms, runs, 0.5),
         h = tbc_percentile(hms, runs, 0.5);
  fprintf(stderr, "  node: add of %s (%zu bytes): median %.2f ms (max %.2f); compile alone "
                  "%.2f ms, sha256 alone %.2f ms, the rest (SQLite, fsync) ~%.2f ms\n",
          what, len, med, ms[runs - 1], c, h, med - c - h);
  tbc_emit(cfg, row, "ms", med);
  free(ms);
  free(cms);
  free(hms);
}

static void store_add_rows(const tbc_cfg *cfg) {
  char path[600];
  tmp_path(path, sizeof path, "add.db");
  troupe_sqlstore *s = store_open(path);
  size_t len;
  uint8_t *big = big_module(1 << 20, false, &len);
  add_runs(cfg, s, "big", big, len, true, "store_add_ms");
  free(big);
  big = big_module(1 << 20, true, &len);
  add_runs(cfg, s, "code", big, len, false, "store_add_ms_code");
  free(big);
  uint8_t *w = guest_bytes("worker.wasm", &len);
  add_runs(cfg, s, "worker", w, len, false, "store_add_ms_worker");
  free(w);
  troupe_sqlstore_close(s);
}

/* BENCH_NODE_PART=add|control|start runs that part alone (for a profiler); the start
 * runs then also print their phases' CLOCK_MONOTONIC times (perf record -k
 * CLOCK_MONOTONIC, then perf report --time FROM,TO). BENCH_NODE_WORKERS=N starts the
 * node_start rows' nodes with N workers instead of one per core. */
static bool part(const char *name) {
  const char *p = getenv("BENCH_NODE_PART");
  return !p || !*p || !strcmp(p, name);
}

void tbc_node_rows(const tbc_cfg *cfg) {
  tmp_make();
  atexit(tmp_remove); /* also when a step dies (tbc_die exits) */
  fprintf(stderr, "  node: temporary folder %s (load average %s)\n", tmpdir, loadavg());
  if (part("add"))
    store_add_rows(cfg);
  if (part("control"))
    control_rows(cfg);
  if (part("start"))
    node_start_rows(cfg);
  tmp_remove();
}
