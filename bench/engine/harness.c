/*
 * harness.c: troupe-bench-engine, the driver of `make bench-engine`. For every program it
 * runs the native build, the wasm build on Troupe's engine (troupe-bench-wasm) and on
 * node/V8 (node-run.mjs), each in its own process under a timeout, checks each run's
 * checksum line against native's, keeps the best time of N runs, runs the
 * micro-benchmarks (troupe-bench-micro), prints the table and writes the JSON report
 * (report.c). It links no engine code, so it works while the engine cannot run yet.
 * Exit status: 0, or 1 on a checksum mismatch, or 2 on a harness error.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *bench_read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger, cap *= 2;
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

/* What one child process did. */
typedef struct child {
  enum { CHILD_EXITED, CHILD_SIGNALED, CHILD_TIMEOUT, CHILD_SPAWN_FAILED } how;
  int code;      /* exit status or signal number */
  double wall_s; /* spawn to exit */
  double cpu_s;  /* user + system time of the whole process, all its threads */
  char *out, *err; /* its stdout and stderr, NUL-terminated (empty if unreadable) */
} child;

static void child_free(child *c) {
  free(c->out);
  free(c->err);
  c->out = c->err = NULL;
}

/* Wait for pid with a deadline. A pidfd makes the wait exact (no polling interval in
 * the native timings); without one (old kernels) we poll every millisecond. */
static bool wait_deadline(pid_t pid, double deadline, int *status, struct rusage *ru) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  for (;;) {
    pid_t got = wait4(pid, status, WNOHANG, ru);
    if (got == pid) break;
    double left = deadline - now_s();
    if (left <= 0) {
      kill(pid, SIGKILL);
      wait4(pid, status, 0, ru);
      if (pidfd >= 0) close(pidfd);
      return false;
    }
    if (pidfd >= 0) {
      struct pollfd p = {.fd = pidfd, .events = POLLIN};
      int ms = left > 1.0 ? 1000 : (int)(left * 1000) + 1;
      (void)poll(&p, 1, ms);
    } else {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
    }
  }
  if (pidfd >= 0) close(pidfd);
  return true;
}

/* Run argv with stdout and stderr in files under tmp_dir, stdin from /dev/null. */
static void run_child(char *const argv[], double timeout_s, const char *tmp_dir, child *c) {
  char out_path[4096], err_path[4096];
  snprintf(out_path, sizeof out_path, "%s/stdout.txt", tmp_dir);
  snprintf(err_path, sizeof err_path, "%s/stderr.txt", tmp_dir);
  memset(c, 0, sizeof *c);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  double t0 = now_s();
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    c->how = CHILD_SPAWN_FAILED;
    c->code = rc;
  } else {
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    bool done = wait_deadline(pid, t0 + timeout_s, &status, &ru);
    c->wall_s = now_s() - t0;
    c->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (!done) {
      c->how = CHILD_TIMEOUT;
    } else if (WIFSIGNALED(status)) {
      c->how = CHILD_SIGNALED;
      c->code = WTERMSIG(status);
    } else {
      c->how = CHILD_EXITED;
      c->code = WEXITSTATUS(status);
    }
  }
  c->out = bench_read_text(out_path);
  c->err = bench_read_text(err_path);
  if (!c->out) c->out = calloc(1, 1);
  if (!c->err) c->err = calloc(1, 1);
}

/* Copy the line of `text` that starts with `prefix` (the last one if several) into dst. */
static bool find_line(const char *text, const char *prefix, char *dst, size_t cap) {
  bool found = false;
  size_t plen = strlen(prefix);
  for (const char *p = text; p && *p;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len >= plen && memcmp(p, prefix, plen) == 0) {
      size_t n = len < cap - 1 ? len : cap - 1;
      memcpy(dst, p, n);
      dst[n] = '\0';
      found = true;
    }
    p = eol ? eol + 1 : NULL;
  }
  return found;
}

/* A one-line reason from a failed run's stderr: a JavaScript "...Error: ..." line if
 * there is one (node prints the source location first), else the first line that is
 * not one of our "bench-" reports. */
static void first_error_line(const char *text, char *dst, size_t cap) {
  dst[0] = '\0';
  const char *js = strstr(text, "Error: ");
  if (js) {
    while (js > text && js[-1] != '\n') js--;
    text = js;
  }
  for (const char *p = text; p && *p;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    while (len > 0 && (*p == ' ' || *p == '\t')) p++, len--;
    if (len > 0 && strncmp(p, "bench-", 6) != 0 && strncmp(p, "file://", 7) != 0) {
      size_t n = len < cap - 1 ? len : cap - 1;
      memcpy(dst, p, n);
      dst[n] = '\0';
      return;
    }
    p = eol ? eol + 1 : NULL;
  }
}

static void describe_failure(const child *c, char *dst, size_t cap) {
  char why[200];
  first_error_line(c->err, why, sizeof why);
  switch (c->how) {
  case CHILD_SPAWN_FAILED: snprintf(dst, cap, "cannot start: %s", strerror(c->code)); break;
  case CHILD_TIMEOUT: snprintf(dst, cap, "timeout after %.1f s", c->wall_s); break;
  case CHILD_SIGNALED:
    snprintf(dst, cap, "killed by signal %d (%s)%s%s", c->code, strsignal(c->code),
             why[0] ? ": " : "", why);
    break;
  case CHILD_EXITED:
    snprintf(dst, cap, "exit status %d%s%s", c->code, why[0] ? ": " : "", why);
    break;
  }
}

/*
 * One run of one program under one runner, folded into its cell: a failure or a
 * checksum different from native's ends the cell (best_s < 0, error says why). The time
 * of a run is the runner's own report ("bench-time-ns": for the wasm runners, compile +
 * instantiate + run, no process start-up) or else the process's wall time (native).
 */
static void run_once(const bench_cfg *cfg, bench_prog *p, int runner, char *const argv[]) {
  bench_cell *cell = &p->cell[runner];
  child c;
  run_child(argv, cfg->timeout_s, cfg->tmp_dir, &c);
  cell->spent_s += c.wall_s;
  char sum[sizeof cell->checksum], line[64];
  if (c.how != CHILD_EXITED || c.code != 0) {
    describe_failure(&c, cell->error, sizeof cell->error);
  } else if (!find_line(c.out, "checksum ", sum, sizeof sum)) {
    snprintf(cell->error, sizeof cell->error, "no checksum line in the output");
  } else if (runner != BENCH_NATIVE && strcmp(sum, p->cell[BENCH_NATIVE].checksum) != 0) {
    snprintf(cell->error, sizeof cell->error, "CHECKSUM MISMATCH: got \"%s\", native \"%s\"", sum,
             p->cell[BENCH_NATIVE].checksum);
    cell->mismatch = true;
  } else {
    snprintf(cell->checksum, sizeof cell->checksum, "%s", sum);
    double t = c.wall_s;
    if (runner != BENCH_NATIVE && find_line(c.err, "bench-time-ns ", line, sizeof line))
      t = strtod(line + strlen("bench-time-ns "), NULL) / 1e9;
    if (cell->runs == 0 || t < cell->best_s) cell->best_s = t;
    if (cell->runs == 0 || c.cpu_s < cell->best_cpu_s) cell->best_cpu_s = c.cpu_s;
    cell->runs++;
    child_free(&c);
    return;
  }
  cell->failed = true;
  cell->best_s = -1;
  child_free(&c);
}

static void fail_cell(bench_cell *cell, const char *why) {
  snprintf(cell->error, sizeof cell->error, "%s", why);
  cell->failed = true;
  cell->best_s = -1;
}

/*
 * A program: up to cfg->runs rounds, each running native, troupe and node once, so a
 * change in the machine's load (it is shared) hits every runner alike; the best run of
 * each is kept. A cell stops early (after one run) once it has used cfg->cell_budget_s
 * or the suite is past its deadline, so a slow engine cannot make the suite unbounded.
 */
static void run_program(const bench_cfg *cfg, bench_prog *p) {
  char native[4096], wasm[4096];
  snprintf(native, sizeof native, "%s/%s", cfg->native_dir, p->name);
  snprintf(wasm, sizeof wasm, "%s/%s.wasm", cfg->wasm_dir, p->name);
  char *argvs[BENCH_RUNNERS][6] = {
      {native, NULL},
      {(char *)cfg->troupe_runner, wasm, NULL},
      {(char *)cfg->node, "--no-warnings", (char *)cfg->node_script, wasm, NULL},
  };
  for (int r = 0; r < BENCH_RUNNERS; r++) p->cell[r].best_s = -1;
  if (cfg->troupe_error) fail_cell(&p->cell[BENCH_TROUPE], cfg->troupe_error);
  if (cfg->node_error) fail_cell(&p->cell[BENCH_NODE], cfg->node_error);
  for (int round = 0; round < cfg->runs; round++) {
    for (int r = 0; r < BENCH_RUNNERS; r++) {
      bench_cell *cell = &p->cell[r];
      if (cell->failed) continue;
      if (round > 0 && (cell->spent_s >= cfg->cell_budget_s || now_s() >= cfg->suite_deadline))
        continue;
      run_once(cfg, p, r, argvs[r]);
      if (r == BENCH_NATIVE && cell->failed) {
        fail_cell(&p->cell[BENCH_TROUPE], "no native reference");
        fail_cell(&p->cell[BENCH_NODE], "no native reference");
        fprintf(stderr, "bench-engine: %s: native FAILED (%s)\n", p->name, cell->error);
        return;
      }
    }
  }
  fprintf(stderr, "bench-engine: %s:", p->name);
  static const char *const names[BENCH_RUNNERS] = {"native", "troupe", "node"};
  for (int r = 0; r < BENCH_RUNNERS; r++) {
    if (p->cell[r].failed) fprintf(stderr, " %s failed", names[r]);
    else fprintf(stderr, " %s %.3fs", names[r], p->cell[r].best_s);
  }
  fputc('\n', stderr);
}

/* The micro-benchmarks run once, in their own process: "name value" lines. */
static void run_micro(const bench_cfg *cfg, bench_micro *m) {
  for (int i = 0; i < BENCH_MICRO_COUNT; i++) m->value[i] = -1;
  if (cfg->micro_error) {
    for (int i = 0; i < BENCH_MICRO_COUNT; i++)
      snprintf(m->error[i], sizeof m->error[i], "%s", cfg->micro_error);
    return;
  }
  fprintf(stderr, "bench-engine: micro-benchmarks\n");
  char *argv[] = {(char *)cfg->micro, (char *)cfg->small_wasm, (char *)cfg->spin_wasm,
                  (char *)cfg->data_wasm, NULL};
  child c;
  run_child(argv, cfg->micro_timeout_s, cfg->tmp_dir, &c);
  for (int i = 0; i < BENCH_MICRO_COUNT; i++) {
    char key[80], line[300];
    snprintf(key, sizeof key, "%s ", bench_micro_names[i]);
    if (find_line(c.out, key, line, sizeof line)) {
      m->value[i] = strtod(line + strlen(key), NULL);
      continue;
    }
    snprintf(key, sizeof key, "error %s ", bench_micro_names[i]);
    if (find_line(c.out, key, line, sizeof line)) {
      snprintf(m->error[i], sizeof m->error[i], "%s", line + strlen(key));
    } else if (find_line(c.out, "error load ", line, sizeof line)) {
      snprintf(m->error[i], sizeof m->error[i], "%s", line + strlen("error load "));
    } else if (c.how != CHILD_EXITED || c.code != 0) {
      describe_failure(&c, m->error[i], sizeof m->error[i]);
    } else {
      snprintf(m->error[i], sizeof m->error[i], "not reported");
    }
  }
  char line[300];
  if (find_line(c.out, "suspend_count ", line, sizeof line))
    m->suspends = strtod(line + strlen("suspend_count "), NULL);
  child_free(&c);
}

static void usage(void) {
  fprintf(stderr,
          "usage: troupe-bench-engine --native-dir D --wasm-dir D --tmp-dir D --json FILE\n"
          "  [--troupe PATH | --troupe-error MSG] [--node PATH --node-script F | --node-error MSG]\n"
          "  [--micro PATH --small F --spin F --data F | --micro-error MSG]\n"
          "  [--runs N] [--timeout S] [--cell-budget S] [--suite-budget S] PROGRAM...\n");
}

int main(int argc, char **argv) {
  bench_cfg cfg = {.runs = 3, .timeout_s = 60, .cell_budget_s = 45, .micro_timeout_s = 180};
  double suite_budget_s = 420;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    const char *opt = argv[i];
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    const char *v = argv[++i];
    if (!strcmp(opt, "--native-dir")) cfg.native_dir = v;
    else if (!strcmp(opt, "--wasm-dir")) cfg.wasm_dir = v;
    else if (!strcmp(opt, "--tmp-dir")) cfg.tmp_dir = v;
    else if (!strcmp(opt, "--json")) cfg.json_path = v;
    else if (!strcmp(opt, "--troupe")) cfg.troupe_runner = v;
    else if (!strcmp(opt, "--troupe-error")) cfg.troupe_error = v;
    else if (!strcmp(opt, "--node")) cfg.node = v;
    else if (!strcmp(opt, "--node-script")) cfg.node_script = v;
    else if (!strcmp(opt, "--node-error")) cfg.node_error = v;
    else if (!strcmp(opt, "--micro")) cfg.micro = v;
    else if (!strcmp(opt, "--micro-error")) cfg.micro_error = v;
    else if (!strcmp(opt, "--small")) cfg.small_wasm = v;
    else if (!strcmp(opt, "--spin")) cfg.spin_wasm = v;
    else if (!strcmp(opt, "--data")) cfg.data_wasm = v;
    else if (!strcmp(opt, "--runs")) cfg.runs = atoi(v);
    else if (!strcmp(opt, "--timeout")) cfg.timeout_s = strtod(v, NULL);
    else if (!strcmp(opt, "--cell-budget")) cfg.cell_budget_s = strtod(v, NULL);
    else if (!strcmp(opt, "--suite-budget")) suite_budget_s = strtod(v, NULL);
    else {
      usage();
      return 2;
    }
  }
  if (!cfg.native_dir || !cfg.wasm_dir || !cfg.tmp_dir || !cfg.json_path || i >= argc ||
      cfg.runs < 1 || (!cfg.troupe_runner && !cfg.troupe_error) ||
      (!(cfg.node && cfg.node_script) && !cfg.node_error) ||
      (!(cfg.micro && cfg.small_wasm && cfg.spin_wasm && cfg.data_wasm) && !cfg.micro_error)) {
    usage();
    return 2;
  }
  cfg.suite_deadline = now_s() + suite_budget_s;
  size_t nprogs = (size_t)(argc - i);
  bench_prog *progs = calloc(nprogs, sizeof *progs);
  if (!progs) return 2;
  for (size_t k = 0; k < nprogs; k++) {
    progs[k].name = argv[i + (int)k];
    run_program(&cfg, &progs[k]);
  }
  bench_micro micro = {0};
  run_micro(&cfg, &micro);

  bench_print_table(&cfg, progs, nprogs, &micro, stdout);
  int status = 0;
  for (size_t k = 0; k < nprogs; k++) {
    if (progs[k].cell[BENCH_NATIVE].best_s < 0) status = 2;
    for (int r = 0; r < BENCH_RUNNERS; r++)
      if (progs[k].cell[r].mismatch && status == 0) status = 1;
  }
  if (bench_write_json(&cfg, progs, nprogs, &micro) != 0) {
    fprintf(stderr, "bench-engine: cannot write %s\n", cfg.json_path);
    status = 2;
  } else {
    printf("\nwrote %s\n", cfg.json_path);
  }
  if (status == 1) fprintf(stderr, "bench-engine: FAILED: checksum mismatch (see the table)\n");
  if (status == 2) fprintf(stderr, "bench-engine: FAILED: harness error (see above)\n");
  free(progs);
  return status;
}
