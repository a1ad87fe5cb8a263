/*
 * spectest.c: the "spectest" host module that the spec tests import, as the reference
 * interpreter defines it: print functions with no observable effect (they write to a log
 * in verbose mode), four immutable globals holding 666 / 666.6, a funcref table of
 * 10..20 elements and a memory of 1..2 pages. It is built with the linker's define_*
 * calls, so every file also exercises those.
 */
#include "spec.h"

#include <inttypes.h>

static const uint8_t p_i32[] = {TROUPE_WASM_I32};
static const uint8_t p_i64[] = {TROUPE_WASM_I64};
static const uint8_t p_f32[] = {TROUPE_WASM_F32};
static const uint8_t p_f64[] = {TROUPE_WASM_F64};
static const uint8_t p_i32_f32[] = {TROUPE_WASM_I32, TROUPE_WASM_F32};
static const uint8_t p_f64_f64[] = {TROUPE_WASM_F64, TROUPE_WASM_F64};

static const struct {
  const char *name;
  troupe_wasm_functype type;
} print_funcs[SPEC_PRINT_FUNCS] = {
    {"print", {0, 0, NULL, NULL}},
    {"print_i32", {1, 0, p_i32, NULL}},
    {"print_i64", {1, 0, p_i64, NULL}},
    {"print_f32", {1, 0, p_f32, NULL}},
    {"print_f64", {1, 0, p_f64, NULL}},
    {"print_i32_f32", {2, 0, p_i32_f32, NULL}},
    {"print_f64_f64", {2, 0, p_f64_f64, NULL}},
};

static int print_fn(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                    troupe_wasm_val *results) {
  (void)call;
  (void)results;
  const spec_print_fn *fn = user;
  FILE *log = fn->host->log;
  if (!log)
    return TROUPE_OK;
  const troupe_wasm_functype *ft = &print_funcs[fn->index].type;
  fprintf(log, "    spectest.%s(", print_funcs[fn->index].name);
  for (uint32_t i = 0; i < ft->nparams; i++) {
    char buf[96];
    troupe_wasm_val v = args[i];
    v.type = ft->params[i]; /* print what was declared, whatever the engine tagged */
    spec_format_val(&v, buf, sizeof buf);
    fprintf(log, "%s%s", i ? ", " : "", buf);
  }
  fprintf(log, ")\n");
  return TROUPE_OK;
}

int spec_define_spectest(troupe_wasm_linker *l, spec_host *host, troupe_err *err) {
  int rc;
  for (unsigned i = 0; i < SPEC_PRINT_FUNCS; i++) {
    host->prints[i] = (spec_print_fn){host, i};
    if ((rc = troupe_wasm_linker_define_func(l, "spectest", print_funcs[i].name,
                                             &print_funcs[i].type, print_fn, &host->prints[i],
                                             err)))
      return rc;
  }

  const struct {
    const char *name;
    troupe_wasm_val value;
  } globals[] = {
      {"global_i32", TROUPE_WASM_VAL_I32(666)},
      {"global_i64", TROUPE_WASM_VAL_I64(666)},
      {"global_f32", TROUPE_WASM_VAL_F32(666.6f)},
      {"global_f64", TROUPE_WASM_VAL_F64(666.6)},
  };
  for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
    if ((rc = troupe_wasm_linker_define_global(l, "spectest", globals[i].name, globals[i].value,
                                               false, err)))
      return rc;

  troupe_wasm_limits_desc table = {.min = 10, .max = 20, .has_max = true};
  if ((rc = troupe_wasm_linker_define_table(l, "spectest", "table", TROUPE_WASM_FUNCREF, table,
                                            err)))
    return rc;
  troupe_wasm_limits_desc memory = {.min = 1, .max = 2, .has_max = true};
  return troupe_wasm_linker_define_memory(l, "spectest", "memory", memory, err);
}
