/*
 * runwasm.c: troupe-bench-wasm, the "troupe" runner of the engine benchmarks. It runs one
 * WASI command module on Troupe's engine through the public API only (troupe/wasm.h and
 * troupe/wasi.h), program output going to our stdout, and reports on stderr the time
 * from having the module's bytes in memory to the program's end (compile + instantiate
 * + run) as "bench-time-ns N", which the harness (harness.c) takes as the row's time.
 * With --fuel-slice N it runs in fuel slices of N units, resuming after each, and also
 * reports the fuel the program used (to within one slice): a check of fuel metering.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "troupe/wasi.h"
#include "troupe/wasm.h"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The guest's stdout and stderr go straight to ours, unbuffered, in order. */
static int write_out(void *user, int fd, const void *data, size_t len) {
  (void)user;
  const char *p = data;
  int to = fd == 2 ? STDERR_FILENO : STDOUT_FILENO;
  while (len > 0) {
    ssize_t n = write(to, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n, len -= (size_t)n;
  }
  return 0;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger, cap *= 2;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Exit status: the program's own, or 3 for an engine error or trap (message on stderr). */
int main(int argc, char **argv) {
  uint64_t slice = 0;
  if (argc > 2 && strcmp(argv[1], "--fuel-slice") == 0) {
    slice = strtoull(argv[2], NULL, 10);
    argc -= 2, argv += 2;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: troupe-bench-wasm [--fuel-slice N] FILE.wasm [ARGS...]\n");
    return 2;
  }
  size_t len = 0;
  uint8_t *bytes = read_file(argv[1], &len);
  if (!bytes) {
    fprintf(stderr, "troupe-bench-wasm: cannot read %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  troupe_err err = {0};
  troupe_wasm_trap trap = {0};
  troupe_wasm_module *mod = NULL;
  troupe_wasm_linker *linker = NULL;
  troupe_wasi_ctx *wasi = NULL;
  troupe_wasm_instance *inst = NULL;
  int status = 3;

  uint64_t t0 = now_ns();
  int rc = troupe_wasm_module_new(bytes, len, &mod, &err);
  if (rc != TROUPE_OK) {
    fprintf(stderr, "troupe-bench-wasm: compile: %s\n", troupe_err_message(&err));
    goto done;
  }
  uint64_t t_compiled = now_ns();
  troupe_wasi_config cfg = {.argc = (size_t)(argc - 1),
                            .argv = (const char *const *)(argv + 1),
                            .write = write_out};
  rc = troupe_wasi_ctx_new(&cfg, &wasi, &err);
  if (rc == TROUPE_OK) {
    linker = troupe_wasm_linker_new();
    rc = linker ? troupe_wasi_define(wasi, linker, &err) : TROUPE_E_NOMEM;
  }
  if (rc != TROUPE_OK) {
    fprintf(stderr, "troupe-bench-wasm: wasi: %s\n", troupe_err_message(&err));
    goto done;
  }
  rc = troupe_wasm_instantiate(mod, linker, NULL, &inst, &trap, &err);
  if (rc != TROUPE_OK) {
    fprintf(stderr, "troupe-bench-wasm: instantiate: %s\n", troupe_err_message(&err));
    goto done;
  }
  troupe_wasm_call_opts opts = {.fuel = slice};
  uint64_t slices = 1;
  rc = troupe_wasm_call(inst, "_start", NULL, 0, NULL, 0, &opts, &trap, &err);
  while (rc == TROUPE_E_SUSPENDED) {
    slices++;
    rc = troupe_wasm_resume(inst, NULL, 0, NULL, 0, &opts, &trap, &err);
  }
  uint64_t t1 = now_ns();
  if (slice)
    fprintf(stderr, "bench-fuel-units between %" PRIu64 " and %" PRIu64 "\n",
            (slices - 1) * slice, slices * slice);
  int32_t code = 0;
  if (rc == TROUPE_OK || (rc == TROUPE_E_TRAP && trap.kind == TROUPE_WASM_TRAP_EXIT)) {
    status = troupe_wasi_exited(wasi, &code) ? code : 0;
    if (rc == TROUPE_E_TRAP && !troupe_wasi_exited(wasi, NULL)) status = trap.exit_code;
    fprintf(stderr, "bench-compile-ns %" PRIu64 "\nbench-time-ns %" PRIu64 "\n", t_compiled - t0,
            t1 - t0);
  } else if (rc == TROUPE_E_TRAP) {
    fprintf(stderr, "troupe-bench-wasm: trap: %s (%s) in function %" PRIu32 " at 0x%" PRIx32 "\n",
            trap.message[0] ? trap.message : troupe_wasm_trap_kind_message(trap.kind),
            troupe_wasm_trap_kind_message(trap.kind), trap.func_index, trap.code_offset);
  } else {
    fprintf(stderr, "troupe-bench-wasm: _start: %s: %s\n", troupe_err_name(rc),
            troupe_err_message(&err));
  }
done:
  troupe_wasm_instance_free(inst);
  troupe_wasm_linker_free(linker);
  troupe_wasi_ctx_free(wasi);
  troupe_wasm_module_free(mod);
  free(bytes);
  return status;
}
