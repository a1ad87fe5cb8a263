/*
 * cli/cmd_wasm.c: `troupe wasm`: run a WASI command module, invoke one export with
 * arguments from the command line, validate or dump a module. A thin shell over the public
 * troupe/wasm.h and troupe/wasi.h: the program's stdin/stdout/stderr are ours, its exit
 * code becomes ours; bad files, unlinkable imports and traps give one error line and a
 * distinct exit code (TR_EXIT_*; see `troupe wasm --help`).
 */
#include "cli.h"

#include <troupe/wasi.h>
#include <troupe/wasm.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char wasm_usage[] =
    "usage: troupe wasm <subcommand> ...\n"
    "\n"
    "  run [options] FILE.wasm [ARG...]   run a WASI program, or --invoke an export\n"
    "  validate FILE.wasm                 decode and validate: prints \"ok\" or the error\n"
    "  dump FILE.wasm [--func N]          print the engine's compiled code\n"
    "\n"
    "  troupe wasm <subcommand> --help\n";

static const char run_usage[] =
    "usage: troupe wasm run [options] FILE.wasm [ARG...]\n"
    "\n"
    "Runs a WASI preview 1 command module: its _start, with argv = FILE.wasm ARG...,\n"
    "this process's stdin, stdout and stderr, an empty environment and no filesystem\n"
    "or network. With --invoke NAME, calls the export NAME instead, with the ARGs as\n"
    "its parameters (i32/i64: decimal or 0x hex; f32/f64: decimal, hex float, inf,\n"
    "-inf, nan, nan:0xPAYLOAD), and prints each result on a line as type:value\n"
    "(i32:42, f64:0.1, f32:-nan; integers in signed decimal, floats as the shortest\n"
    "decimal that reads back exactly).\n"
    "Options go before FILE.wasm; everything after it belongs to the program.\n"
    "\n"
    "  --invoke NAME        call the export NAME (after _initialize, if exported)\n"
    "  --fuel N             trap with \"fuel exhausted\" after N units of fuel, in\n"
    "                       the start function and in each call (_initialize, _start,\n"
    "                       the --invoke'd export) alike\n"
    "  --max-memory PAGES   let linear memory grow to at most PAGES 64 KiB pages\n"
    "  --env NAME=VALUE     add a variable to the program's environment (repeatable)\n"
    "  --argv0 NAME         the program's argv[0] (default: FILE.wasm as given)\n"
    "  --                   end of options\n"
    "\n"
    "Exit status: the program's own (its exit() / proc_exit code, 0 when _start\n"
    "returns); 1 bad module, unlinkable import or failed call; 2 bad command line;\n"
    "3 trap (\"troupe: trap: <message> (function N, offset 0xX)\" on stderr);\n"
    "4 FILE.wasm unreadable.\n";

static const char validate_usage[] =
    "usage: troupe wasm validate FILE.wasm\n"
    "\n"
    "Decodes, validates and compiles the module. Prints \"ok\" and exits 0, or prints\n"
    "the error (section, offset, reason) and exits 1; 4 if the file is unreadable.\n";

static bool parse_u64(const char *s, uint64_t *out) {
  if (!*s || *s == '-' || *s == '+')
    return false;
  errno = 0;
  char *end;
  bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
  if (errno || *end)
    return false;
  *out = v;
  return true;
}

/* ---- loading ------------------------------------------------------------------------ */

static int load_module(const char *path, troupe_wasm_module **out) {
  size_t len;
  unsigned char *bytes = trL_read_file(path, &len);
  if (!bytes)
    return TR_EXIT_IO;
  troupe_err err;
  troupe_err_clear(&err);
  int rc = troupe_wasm_module_new(bytes, len, out, &err);
  free(bytes);
  if (rc != TROUPE_OK) {
    trL_error("%s: %s", path, troupe_err_message(&err));
    return TR_EXIT_FAIL;
  }
  return TR_EXIT_OK;
}

/* ---- values ---------------------------------------------------------------------------- */

/* An integer of `bits` bits: signed decimal, or unsigned decimal / 0x hex up to 2^bits-1. */
static bool parse_int(const char *s, int bits, int64_t *out) {
  bool neg = *s == '-';
  uint64_t mag;
  if (!parse_u64(s + (neg || *s == '+'), &mag))
    return false;
  uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
  uint64_t nmax = UINT64_C(1) << (bits - 1); /* magnitude of the most negative value */
  if (neg ? mag > nmax : mag > umax)
    return false;
  *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  return true;
}

/* Decimal, hex float, inf, nan (canonical), or nan:0xPAYLOAD (a NaN with that payload). */
static bool parse_float(const char *s, bool f32, troupe_wasm_val *v) {
  const char *p = s + (*s == '-' || *s == '+');
  if (!strncmp(p, "nan:", 4)) {
    uint64_t payload, mask = f32 ? 0x7fffffu : UINT64_C(0xfffffffffffff);
    if (!parse_u64(p + 4, &payload) || payload == 0 || payload > mask)
      return false;
    if (f32)
      v->of.f32_bits = (*s == '-' ? 0x80000000u : 0) | 0x7f800000u | (uint32_t)payload;
    else
      v->of.f64_bits = (*s == '-' ? UINT64_C(1) << 63 : 0) | UINT64_C(0x7ff0000000000000) | payload;
    return true;
  }
  char *end;
  if (f32)
    v->of.f32 = strtof(s, &end);
  else
    v->of.f64 = strtod(s, &end);
  return *s && !*end; /* overflow to inf / underflow to 0 is the nearest value: fine */
}

static bool parse_arg(const char *s, uint8_t type, troupe_wasm_val *v) {
  int64_t i;
  memset(v, 0, sizeof *v);
  v->type = type;
  switch (type) {
  case TROUPE_WASM_I32:
    if (!parse_int(s, 32, &i))
      return false;
    v->of.i32 = (int32_t)(uint32_t)i;
    return true;
  case TROUPE_WASM_I64:
    if (!parse_int(s, 64, &i))
      return false;
    v->of.i64 = i;
    return true;
  case TROUPE_WASM_F32: return parse_float(s, true, v);
  case TROUPE_WASM_F64: return parse_float(s, false, v);
  default: return false;
  }
}

/* The shortest decimal that reads back as the same value. */
static void print_float(double x, bool f32) {
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (f32 ? strtof(buf, NULL) == (float)x : strtod(buf, NULL) == x)
      break;
  }
  fputs(buf, stdout);
}

/* "nan" / "-nan" for the canonical NaN, else with its payload ("nan:0x1"), as in the
 * spec tests' text format. */
static void print_nan(uint64_t sign, uint64_t payload, uint64_t canonical) {
  printf("%snan", sign ? "-" : "");
  if (payload != canonical)
    printf(":0x%" PRIx64, payload);
}

static void print_result(const troupe_wasm_val *v) {
  printf("%s:", troupe_wasm_valtype_name(v->type));
  switch (v->type) {
  case TROUPE_WASM_I32: printf("%" PRId32, v->of.i32); break;
  case TROUPE_WASM_I64: printf("%" PRId64, v->of.i64); break;
  case TROUPE_WASM_F32:
    if (isnan(v->of.f32))
      print_nan(v->of.f32_bits >> 31, v->of.f32_bits & 0x7fffffu, UINT64_C(1) << 22);
    else
      print_float(v->of.f32, true);
    break;
  case TROUPE_WASM_F64:
    if (isnan(v->of.f64))
      print_nan(v->of.f64_bits >> 63, v->of.f64_bits & UINT64_C(0xfffffffffffff),
                UINT64_C(1) << 51);
    else
      print_float(v->of.f64, false);
    break;
  case TROUPE_WASM_FUNCREF:
  case TROUPE_WASM_EXTERNREF:
    if (v->of.ref)
      printf("%p", v->of.ref);
    else
      printf("null");
    break;
  default:
    for (int i = 15; i >= 0; i--)
      printf(i == 15 ? "0x%02x" : "%02x", v->of.v128[i]);
  }
  putchar('\n');
}

/* ---- the WASI program's stdio -------------------------------------------------------------- */

static int stdio_write(void *user, int fd, const void *data, size_t len) {
  (void)user;
  FILE *f = fd == 2 ? stderr : stdout;
  return fwrite(data, 1, len, f) == len && fflush(f) == 0 ? 0 : -1;
}

static int64_t stdio_read(void *user, void *buf, size_t len) {
  (void)user;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, len);
    if (n >= 0)
      return n;
    if (errno != EINTR)
      return -1;
  }
}

/* ---- run ----------------------------------------------------------------------------------- */

typedef struct run_opts {
  const char *invoke, *argv0;
  uint64_t fuel;
  uint32_t max_pages;
  const char **env;
  size_t nenv;
} run_opts;

/* Report how a call ended; returns the exit status. `during` follows a trap's location
 * when what ran was not the call itself (" in the start function"). */
static int call_outcome(int rc, const troupe_wasm_trap *trap, const troupe_err *err,
                        troupe_wasi_ctx *wasi, const char *during) {
  int32_t code;
  fflush(stdout);
  if (rc == TROUPE_OK)
    return TR_EXIT_OK;
  if (trap->kind == TROUPE_WASM_TRAP_EXIT || troupe_wasi_exited(wasi, &code)) {
    code = trap->kind == TROUPE_WASM_TRAP_EXIT ? trap->exit_code : code;
    return (int)(uint32_t)code & 0xff; /* what exit(2) keeps of it, as for a native build */
  }
  if (trap->kind != TROUPE_WASM_TRAP_NONE) {
    const char *msg = trap->message[0] ? trap->message : troupe_wasm_trap_kind_message(trap->kind);
    if (trap->func_index == UINT32_MAX) /* no function ran (a segment): the message says where */
      trL_error("trap: %s", msg);
    else
      trL_error("trap: %s (function %" PRIu32 ", offset 0x%" PRIx32 ")%s", msg,
                trap->func_index, trap->code_offset, during);
    return TR_EXIT_TRAP;
  }
  trL_error("%s", troupe_err_message(err));
  return TR_EXIT_FAIL;
}

static int invoke(troupe_wasm_instance *inst, const run_opts *o, int argc, char **argv,
                  const troupe_wasm_call_opts *copts, troupe_wasi_ctx *wasi) {
  const troupe_wasm_functype *ft = troupe_wasm_export_functype(inst, o->invoke);
  if (!ft) {
    trL_error("no exported function '%s'", o->invoke);
    return TR_EXIT_FAIL;
  }
  if ((uint32_t)argc != ft->nparams) {
    trL_error("'%s' takes %" PRIu32 " argument%s, %d given", o->invoke, ft->nparams,
              ft->nparams == 1 ? "" : "s", argc);
    return TR_EXIT_USAGE;
  }
  troupe_wasm_val *args = calloc(ft->nparams + 1, sizeof *args);
  troupe_wasm_val *res = calloc(ft->nresults + 1, sizeof *res);
  int status = TR_EXIT_FAIL;
  if (!args || !res) {
    trL_error("out of memory");
    goto out;
  }
  for (uint32_t i = 0; i < ft->nparams; i++) {
    if (!parse_arg(argv[i], ft->params[i], &args[i])) {
      trL_error("argument %" PRIu32 " of '%s': '%s' is not a valid %s", i + 1, o->invoke,
                argv[i], troupe_wasm_valtype_name(ft->params[i]));
      status = TR_EXIT_USAGE;
      goto out;
    }
  }
  troupe_wasm_trap trap = {0};
  troupe_err err;
  troupe_err_clear(&err);
  int rc = troupe_wasm_call(inst, o->invoke, args, ft->nparams, res, ft->nresults, copts, &trap,
                            &err);
  if (rc == TROUPE_OK)
    for (uint32_t i = 0; i < ft->nresults; i++)
      print_result(&res[i]);
  status = call_outcome(rc, &trap, &err, wasi, "");
out:
  free(args);
  free(res);
  return status;
}

static int run_module(troupe_wasm_module *mod, const char *path, const run_opts *o, int argc,
                      char **argv) {
  int status = TR_EXIT_FAIL;
  troupe_wasm_linker *linker = NULL;
  troupe_wasi_ctx *wasi = NULL;
  troupe_wasm_instance *inst = NULL;
  troupe_err err;
  troupe_err_clear(&err);
  troupe_wasm_trap trap = {0};

  /* argv for the program: argv0 then the ARGs (not for --invoke, where they are values). */
  const char **pargv = calloc((size_t)argc + 2, sizeof *pargv);
  if (!pargv) {
    trL_error("out of memory");
    return TR_EXIT_FAIL;
  }
  pargv[0] = o->argv0 ? o->argv0 : path;
  size_t pargc = 1;
  if (!o->invoke)
    for (int i = 0; i < argc; i++)
      pargv[pargc++] = argv[i];

  troupe_wasi_config cfg = {
      .argc = pargc, .argv = pargv, .envc = o->nenv, .env = o->env,
      .write = stdio_write, .read = stdio_read,
  };
  for (int fd = 0; fd < 3; fd++)
    if (isatty(fd))
      cfg.tty_mask |= 1u << fd;
  linker = troupe_wasm_linker_new();
  if (!linker) {
    trL_error("out of memory");
    goto out;
  }
  if (troupe_wasi_ctx_new(&cfg, &wasi, &err) != TROUPE_OK ||
      troupe_wasi_define(wasi, linker, &err) != TROUPE_OK) {
    trL_error("%s", troupe_err_message(&err));
    goto out;
  }
  /* --fuel bounds the start function too: a module whose start loops must not hang us */
  troupe_wasm_limits limits = {.max_memory_pages = o->max_pages, .start_fuel = o->fuel};
  int rc = troupe_wasm_instantiate(mod, linker, &limits, &inst, &trap, &err);
  if (rc != TROUPE_OK) {
    if (rc == TROUPE_E_UNINSTANTIABLE && trap.kind != TROUPE_WASM_TRAP_NONE)
      status = call_outcome(TROUPE_E_TRAP, &trap, &err, wasi, " in the start function");
    else
      trL_error("%s: %s", path, troupe_err_message(&err));
    goto out;
  }
  troupe_wasm_call_opts copts = {.fuel = o->fuel, .trap_on_fuel_out = o->fuel != 0};
  const char *entry = o->invoke ? "_initialize" : "_start";
  const troupe_wasm_functype *ft = troupe_wasm_export_functype(inst, entry);
  if (!o->invoke && !ft) {
    trL_error("%s: no _start export: not a WASI command (use --invoke NAME)", path);
    goto out;
  }
  if (ft && (ft->nparams || ft->nresults)) {
    trL_error("%s: %s must take and return nothing", path, entry);
    goto out;
  }
  if (ft) {
    rc = troupe_wasm_call(inst, entry, NULL, 0, NULL, 0, &copts, &trap, &err);
    status = call_outcome(rc, &trap, &err, wasi, "");
    if (rc != TROUPE_OK || !o->invoke)
      goto out;
  }
  status = invoke(inst, o, argc, argv, &copts, wasi);
out:
  troupe_wasm_instance_free(inst);
  troupe_wasi_ctx_free(wasi);
  troupe_wasm_linker_free(linker);
  free(pargv);
  return status;
}

static int cmd_run(int argc, char **argv) {
  run_opts o = {0};
  int status = TR_EXIT_USAGE, i = 1;
  o.env = calloc((size_t)argc, sizeof *o.env);
  if (!o.env) {
    trL_error("out of memory");
    return TR_EXIT_FAIL;
  }
  for (; i < argc && argv[i][0] == '-'; i++) {
    bool missing = false;
    const char *v;
    uint64_t n;
    if (!strcmp(argv[i], "--")) {
      i++;
      break;
    }
    if (trL_is_help(argv[i])) {
      fputs(run_usage, stdout);
      status = TR_EXIT_OK;
      goto out;
    }
    if ((v = trL_opt_value(argc, argv, &i, "--invoke", &missing))) {
      o.invoke = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--argv0", &missing))) {
      o.argv0 = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--env", &missing))) {
      if (!strchr(v, '=') || v[0] == '=') {
        trL_error("run: --env wants NAME=VALUE, not '%s'", v);
        goto out;
      }
      o.env[o.nenv++] = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--fuel", &missing))) {
      if (!parse_u64(v, &n) || n == 0) {
        trL_error("run: --fuel wants a positive integer, not '%s'", v);
        goto out;
      }
      o.fuel = n;
    } else if ((v = trL_opt_value(argc, argv, &i, "--max-memory", &missing))) {
      if (!parse_u64(v, &n) || n == 0 || n > 65536) {
        trL_error("run: --max-memory wants a page count from 1 to 65536, not '%s'", v);
        goto out;
      }
      o.max_pages = (uint32_t)n;
    } else {
      trL_error(missing ? "run: %s needs a value" : "run: unknown option '%s' (try --help)",
                argv[i]);
      goto out;
    }
  }
  if (i >= argc) {
    trL_error("run: no module given (try 'troupe wasm run --help')");
    goto out;
  }
  troupe_wasm_module *mod = NULL;
  status = load_module(argv[i], &mod);
  if (status == TR_EXIT_OK) {
    status = run_module(mod, argv[i], &o, argc - i - 1, argv + i + 1);
    troupe_wasm_module_free(mod);
  }
out:
  free(o.env);
  return status;
}

/* ---- validate ------------------------------------------------------------------------------ */

static int cmd_validate(int argc, char **argv) {
  if (argc == 2 && trL_is_help(argv[1])) {
    fputs(validate_usage, stdout);
    return TR_EXIT_OK;
  }
  if (argc != 2 || (argv[1][0] == '-' && argv[1][1])) {
    fputs(validate_usage, stderr);
    return TR_EXIT_USAGE;
  }
  troupe_wasm_module *mod = NULL;
  int status = load_module(argv[1], &mod);
  if (status != TR_EXIT_OK)
    return status;
  troupe_wasm_module_free(mod);
  puts("ok");
  return TR_EXIT_OK;
}

int trL_cmd_wasm(int argc, char **argv) {
  if (argc < 2) {
    fputs(wasm_usage, stderr);
    return TR_EXIT_USAGE;
  }
  if (trL_is_help(argv[1])) {
    fputs(wasm_usage, stdout);
    return TR_EXIT_OK;
  }
  if (!strcmp(argv[1], "run"))
    return cmd_run(argc - 1, argv + 1);
  if (!strcmp(argv[1], "validate"))
    return cmd_validate(argc - 1, argv + 1);
  if (!strcmp(argv[1], "dump"))
    return trL_cmd_wasm_dump(argc - 1, argv + 1);
  trL_error("wasm: unknown subcommand '%s' (try 'troupe wasm --help')", argv[1]);
  return TR_EXIT_USAGE;
}
