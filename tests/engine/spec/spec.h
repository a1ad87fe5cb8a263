/*
 * spec.h: the WebAssembly spec-test runner's internal interface. The runner converts each
 * official .wast file with wabt's wast2json and replays its commands against Troupe's
 * engine through the public API only (troupe/wasm.h). main.c picks the files and runs
 * each in a child process; run.c replays one file; values.c reads and compares values;
 * spectest.c defines the "spectest" host module; skip.c reads skip.txt.
 */
#ifndef TROUPE_SPEC_H
#define TROUPE_SPEC_H

#include <troupe/wasm.h>

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- options ----------------------------------------------------------------------- */

typedef struct spec_skips spec_skips;

typedef struct spec_opts {
  const char *spec_dir;  /* holds core/ and simd/ */
  const char *wast2json; /* the converter: a path or a name looked up in PATH */
  const char *work;      /* where converted files go, one subfolder per .wast */
  const char *skip_file; /* skip.txt */
  unsigned timeout_s;    /* per file; the child is killed beyond it */
  bool verbose;
  bool no_fork;        /* run files in this process (for a debugger) */
  uint64_t fuel_slice; /* 0: unlimited fuel; else run calls in slices of this much */
  const spec_skips *skips;
} spec_opts;

/* Progress of one file. It lives in memory shared with the parent, so that when the
 * engine crashes or hangs in the child the parent still knows how far it got. */
typedef struct spec_counts {
  uint64_t passed, failed, skipped;
  uint64_t total;    /* commands in the file, once its JSON is read */
  uint32_t line;     /* .wast line of the command being run */
  bool setup_failed; /* conversion or JSON reading failed: nothing was run */
} spec_counts;

/* Convert and replay one .wast file, printing a line per failure. Returns 0 when every
 * command ran (whatever their outcome) and -1 on a setup failure. */
int spec_run_file(const spec_opts *o, const char *wast_path, volatile spec_counts *c);

/* ---- skip.txt -------------------------------------------------------------------- */

/* Read skip.txt; NULL (with a message on stderr) when it cannot be read or is wrong. */
spec_skips *spec_skips_load(const char *path);
void spec_skips_free(spec_skips *s);
/* The reason a folder (e.g. "simd"), a file ("x.wast"), a command ("x.wast", line) or a
 * rule ("text-module") is skipped, or NULL when it is not. */
const char *spec_skip_dir(const spec_skips *s, const char *dir);
const char *spec_skip_file(const spec_skips *s, const char *file);
const char *spec_skip_command(const spec_skips *s, const char *file, uint32_t line);
const char *spec_skip_rule(const spec_skips *s, const char *rule);

/* ---- values ---------------------------------------------------------------------- */

/* How an expected result is matched. */
typedef enum spec_match_kind {
  SPEC_MATCH_EXACT,     /* same bits (numbers) or the same pointer (externref) */
  SPEC_MATCH_NAN_CANON, /* nan:canonical */
  SPEC_MATCH_NAN_ARITH, /* nan:arithmetic */
  SPEC_MATCH_NULL,      /* a null reference */
  SPEC_MATCH_NONNULL,   /* any non-null reference (funcref results) */
} spec_match_kind;

typedef struct spec_expect {
  spec_match_kind how;
  troupe_wasm_val val; /* the type always; the value for EXACT */
} spec_expect;

/* Parse an argument {"type": ..., "value": ...}. Returns false with a reason in why. */
bool spec_parse_arg(const json_t *j, troupe_wasm_val *out, char *why, size_t whylen);
/* Parse an expected result. */
bool spec_parse_expect(const json_t *j, spec_expect *out, char *why, size_t whylen);
bool spec_matches(const spec_expect *e, const troupe_wasm_val *got);
/* Human-readable forms, e.g. "i32 42 (0x2a)", "f32 nan:canonical", "externref 3". */
void spec_format_val(const troupe_wasm_val *v, char *buf, size_t len);
void spec_format_expect(const spec_expect *e, char *buf, size_t len);
const char *spec_type_name(uint8_t type);

/* ---- the spectest host module ------------------------------------------------------ */

/* What the print functions' user pointers point at: the log and which function. */
#define SPEC_PRINT_FUNCS 7
typedef struct spec_host spec_host;
typedef struct spec_print_fn {
  const spec_host *host;
  unsigned index;
} spec_print_fn;
struct spec_host {
  FILE *log; /* where print calls are written (verbose mode), or NULL */
  spec_print_fn prints[SPEC_PRINT_FUNCS];
};

/* Define spectest.{print*, global_*, table, memory} in l. host must outlive l. */
int spec_define_spectest(troupe_wasm_linker *l, spec_host *host, troupe_err *err);

#endif
