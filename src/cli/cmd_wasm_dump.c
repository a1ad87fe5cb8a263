/*
 * cli/cmd_wasm_dump.c: `troupe wasm dump FILE.wasm [--func N]`: compiles the module and
 * prints the engine's internal code (troupe_wasm_module_dump in troupe/wasm.h), for
 * reading what the compiler made of a function. cmd_wasm.c dispatches here.
 */
#include "cli.h"

#include <troupe/wasm.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char dump_usage[] =
    "usage: troupe wasm dump FILE.wasm [--func N]\n"
    "\n"
    "Decodes, validates and compiles the module, then prints the engine's internal code:\n"
    "for each function (or only function N of the module's function index space,\n"
    "imports included) a header line, then one line per op -- its code word, its name\n"
    "and its operands (sN a frame slot, @N a branch target's code word, +N a memory\n"
    "offset, func/global/table/type/data/elem N an index, numbers immediates). The\n"
    "format follows the engine and may change between versions.\n"
    "\n"
    "Exit status: 0; 1 bad module or no function N; 2 bad command line; 4 FILE.wasm\n"
    "unreadable.\n";

/* N of --func N / --func=N: a decimal function index. */
static bool parse_index(const char *s, uint32_t *out) {
  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v >= UINT32_MAX)
    return false;
  *out = (uint32_t)v;
  return true;
}

/* The arguments after `dump`: one file and an optional --func; false on anything else. */
static bool parse_args(int argc, char **argv, const char **path, uint32_t *func) {
  *path = NULL;
  *func = TROUPE_WASM_DUMP_ALL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *n = NULL;
    if (!strncmp(a, "--func=", 7))
      n = a + 7;
    else if (!strcmp(a, "--func"))
      n = i + 1 < argc ? argv[++i] : "";
    if (n) {
      if (!parse_index(n, func)) {
        trL_error("wasm dump: --func wants a function index, not '%s'", n);
        return false;
      }
    } else if (a[0] == '-' && a[1]) {
      trL_error("wasm dump: unknown option '%s'", a);
      return false;
    } else if (*path) {
      trL_error("wasm dump: one module at a time ('%s' and '%s')", *path, a);
      return false;
    } else {
      *path = a;
    }
  }
  return *path != NULL;
}

int trL_cmd_wasm_dump(int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    fputs(dump_usage, stdout);
    return TR_EXIT_OK;
  }
  const char *path;
  uint32_t func;
  if (!parse_args(argc, argv, &path, &func)) {
    fputs(dump_usage, stderr);
    return TR_EXIT_USAGE;
  }
  size_t len;
  unsigned char *bytes = trL_read_file(path, &len);
  if (!bytes)
    return TR_EXIT_IO;
  troupe_wasm_module *mod = NULL;
  troupe_err err;
  troupe_err_clear(&err);
  int rc = troupe_wasm_module_new(bytes, len, &mod, &err);
  free(bytes);
  if (rc == TROUPE_OK)
    rc = troupe_wasm_module_dump(mod, func, stdout, &err);
  troupe_wasm_module_free(mod);
  if (rc != TROUPE_OK) {
    trL_error("%s: %s", path, troupe_err_message(&err));
    return rc == TROUPE_E_IO ? TR_EXIT_IO : TR_EXIT_FAIL;
  }
  return TR_EXIT_OK;
}
