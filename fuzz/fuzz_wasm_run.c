/*
 * fuzz/fuzz_wasm_run.c: libFuzzer target for the engine's execution. The input is a
 * module (seeded with valid ones from binaryen's translate-to-fuzz, see
 * scripts/gen-ttf-corpus.sh; mutations of them also exercise the loader). It is
 * instantiated with every import defined generically by its type (functions return
 * zeros), then every exported function is called with zero arguments under a fuel cap and
 * a call-depth limit -- alternately trapping on fuel out, and in small fuel slices with
 * host calls that suspend, resumed a few times and then aborted. Checks: no crash, hang,
 * leak or UB, and the call/state contract of include/troupe/wasm.h.
 */
#include "troupe/wasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                        \
  do {                                                                                  \
    if (!(c)) {                                                                         \
      fprintf(stderr, "fuzz_wasm_run: invariant failed: %s (line %d)\n", #c, __LINE__); \
      abort();                                                                          \
    }                                                                                   \
  } while (0)

/* Bounds that keep one input well under a second and the RSS small under ASan. */
enum {
  FUEL_PER_CALL = 200000, /* one trap-on-fuel-out call */
  FUEL_SLICE = 20000,     /* one slice of a suspending call */
  MAX_RESUMES = 8,        /* then the call is aborted */
  MAX_CALLS = 64,         /* exports called per input */
  MAX_PAGES = 256,        /* 16 MiB of linear memory */
  MAX_TABLE = 100000,
  MAX_DEPTH = 400,
};

typedef struct run_state {
  bool suspend_host; /* host stubs suspend instead of returning */
} run_state;

static troupe_wasm_val zero_of(uint8_t type) {
  troupe_wasm_val v;
  memset(&v, 0, sizeof v);
  v.type = type;
  return v;
}

static int stub_fn(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                   troupe_wasm_val *results) {
  (void)args;
  const troupe_wasm_functype *ft = user;
  const run_state *st = troupe_wasm_instance_user(troupe_wasm_hostcall_instance(call));
  if (st && st->suspend_host)
    return troupe_wasm_host_suspend(call);
  for (uint32_t i = 0; i < ft->nresults; i++)
    results[i] = zero_of(ft->results[i]);
  return TROUPE_OK;
}

/* Define whatever the import section asks for; oversized tables and memories are left
 * undefined (the instantiation then fails to link, which is fine). */
static void define_imports(troupe_wasm_module *m, troupe_wasm_linker *l,
                           troupe_wasm_functype *types) {
  size_t n = troupe_wasm_module_import_count(m);
  for (size_t i = 0; i < n; i++) {
    troupe_wasm_extern_desc d;
    CHECK(troupe_wasm_module_import(m, i, &d) == TROUPE_OK);
    switch (d.kind) {
    case TROUPE_WASM_EXTERN_FUNC:
      types[i] = d.func;
      troupe_wasm_linker_define_func(l, d.module, d.name, &types[i], stub_fn, &types[i], NULL);
      break;
    case TROUPE_WASM_EXTERN_TABLE:
      if (d.table.limits.min <= MAX_TABLE)
        troupe_wasm_linker_define_table(l, d.module, d.name, d.table.elem, d.table.limits, NULL);
      break;
    case TROUPE_WASM_EXTERN_MEMORY:
      if (d.memory.min <= MAX_PAGES)
        troupe_wasm_linker_define_memory(l, d.module, d.name, d.memory, NULL);
      break;
    case TROUPE_WASM_EXTERN_GLOBAL:
      troupe_wasm_linker_define_global(l, d.module, d.name, zero_of(d.global.type),
                                       d.global.mutable_, NULL);
      break;
    }
  }
}

static void check_outcome(troupe_wasm_instance *inst, int rc, const troupe_wasm_trap *trap) {
  if (rc == TROUPE_E_TRAP)
    CHECK(trap->kind != TROUPE_WASM_TRAP_NONE && trap->kind != TROUPE_WASM_TRAP_EXIT);
  if (rc != TROUPE_E_SUSPENDED)
    CHECK(troupe_wasm_instance_state(inst) == TROUPE_WASM_IDLE);
}

/* A call in fuel slices with suspending host calls: resumed MAX_RESUMES times, then
 * abandoned if still suspended. */
static void call_sliced(troupe_wasm_instance *inst, run_state *st, const char *name,
                        const troupe_wasm_val *args, uint32_t nargs, troupe_wasm_val *res,
                        uint32_t nres) {
  troupe_wasm_call_opts opts = {.fuel = FUEL_SLICE, .trap_on_fuel_out = false};
  troupe_wasm_trap trap;
  st->suspend_host = true;
  int rc = troupe_wasm_call(inst, name, args, nargs, res, nres, &opts, &trap, NULL);
  for (int k = 0; rc == TROUPE_E_SUSPENDED && k < MAX_RESUMES; k++) {
    /* A suspended instance refuses a second call. */
    CHECK(troupe_wasm_call(inst, name, args, nargs, res, nres, &opts, &trap, NULL) ==
          TROUPE_E_STATE);
    troupe_wasm_val host_res[16];
    size_t nhost = 0;
    if (troupe_wasm_instance_state(inst) == TROUPE_WASM_SUSPENDED_HOST) {
      const troupe_wasm_functype *ht = troupe_wasm_suspended_host_type(inst);
      CHECK(ht != NULL);
      if (ht->nresults > 16)
        break;
      for (uint32_t i = 0; i < ht->nresults; i++)
        host_res[i] = zero_of(ht->results[i]);
      nhost = ht->nresults;
      st->suspend_host = k % 2 == 1; /* alternate: suspend, return, suspend... */
    } else {
      CHECK(troupe_wasm_instance_state(inst) == TROUPE_WASM_SUSPENDED_FUEL);
    }
    rc = troupe_wasm_resume(inst, host_res, nhost, res, nres, &opts, &trap, NULL);
  }
  if (rc == TROUPE_E_SUSPENDED) {
    troupe_wasm_abort(inst);
    CHECK(troupe_wasm_instance_state(inst) == TROUPE_WASM_IDLE);
  } else {
    check_outcome(inst, rc, &trap);
  }
  st->suspend_host = false;
}

static void call_exports(troupe_wasm_module *m, troupe_wasm_instance *inst, run_state *st) {
  size_t n = troupe_wasm_module_export_count(m);
  unsigned calls = 0;
  /* ttf modules count loop iterations and calls down from a "hang limit"; as binaryen's
   * own harness does, reset it before each export so every export runs in full. */
  const troupe_wasm_functype *hang = troupe_wasm_export_functype(inst, "hangLimitInitializer");
  if (hang && (hang->nparams || hang->nresults))
    hang = NULL;
  for (size_t i = 0; i < n && calls < MAX_CALLS; i++) {
    troupe_wasm_extern_desc d;
    CHECK(troupe_wasm_module_export(m, i, &d) == TROUPE_OK);
    if (d.kind == TROUPE_WASM_EXTERN_GLOBAL) {
      /* a name with a NUL in it (valid wasm) cannot be looked up by its C string */
      if (strlen(d.name) != d.name_len)
        continue;
      troupe_wasm_val v;
      CHECK(troupe_wasm_global_get(inst, d.name, &v) == TROUPE_OK);
      CHECK(v.type == d.global.type);
      continue;
    }
    if (d.kind != TROUPE_WASM_EXTERN_FUNC)
      continue;
    /* Names are C strings in wasm.h: an export named "f\0x" (valid wasm) reads as "f",
     * which finds another export or none. Those are not callable by name; skip them. */
    const troupe_wasm_functype *ft = troupe_wasm_export_functype(inst, d.name);
    if (!ft || ft->nparams != d.func.nparams || ft->nresults != d.func.nresults)
      continue;
    troupe_wasm_val *args = calloc(ft->nparams + 1u, sizeof *args);
    troupe_wasm_val *res = calloc(ft->nresults + 1u, sizeof *res);
    CHECK(args && res);
    for (uint32_t k = 0; k < ft->nparams; k++)
      args[k] = zero_of(ft->params[k]);
    if (hang) {
      troupe_wasm_call_opts opts = {.fuel = FUEL_SLICE, .trap_on_fuel_out = true};
      troupe_wasm_call(inst, "hangLimitInitializer", NULL, 0, NULL, 0, &opts, NULL, NULL);
    }
    if (calls % 2 == 0) {
      troupe_wasm_call_opts opts = {.fuel = FUEL_PER_CALL, .trap_on_fuel_out = true};
      troupe_wasm_trap trap;
      int rc = troupe_wasm_call(inst, d.name, args, ft->nparams, res, ft->nresults, &opts,
                                &trap, NULL);
      CHECK(rc != TROUPE_E_SUSPENDED);
      check_outcome(inst, rc, &trap);
      if (rc == TROUPE_OK)
        for (uint32_t k = 0; k < ft->nresults; k++)
          CHECK(res[k].type == ft->results[k]);
    } else {
      call_sliced(inst, st, d.name, args, ft->nparams, res, ft->nresults);
    }
    calls++;
    free(args);
    free(res);
  }
  /* Whatever ran, memory stays readable through the bounds-checked accessors. */
  uint64_t bytes = troupe_wasm_memory_size(inst);
  uint8_t probe[8];
  if (bytes >= sizeof probe)
    CHECK(troupe_wasm_memory_read(inst, bytes - sizeof probe, probe, sizeof probe) == TROUPE_OK);
  CHECK(troupe_wasm_memory_read(inst, bytes, probe, 1) != TROUPE_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  troupe_wasm_module *m = NULL;
  int rc = troupe_wasm_module_new(data, size, &m, NULL);
  CHECK(rc != TROUPE_E_INTERNAL); /* the code verifier caught a compiler bug */
  if (rc != TROUPE_OK)
    return 0;
  troupe_wasm_functype *types = calloc(troupe_wasm_module_import_count(m) + 1, sizeof *types);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  CHECK(types && l);
  define_imports(m, l, types);
  troupe_wasm_limits limits = {
      .max_memory_pages = MAX_PAGES, .max_table_elems = MAX_TABLE, .max_call_depth = MAX_DEPTH,
      .start_fuel = FUEL_PER_CALL}; /* a start function that loops forever fails, not hangs */
  troupe_wasm_instance *inst = NULL;
  troupe_wasm_trap trap;
  run_state st = {.suspend_host = false};
  if (troupe_wasm_instantiate(m, l, &limits, &inst, &trap, NULL) == TROUPE_OK) {
    troupe_wasm_instance_set_user(inst, &st);
    call_exports(m, inst, &st);
    troupe_wasm_instance_free(inst);
  }
  troupe_wasm_linker_free(l);
  free(types);
  troupe_wasm_module_free(m);
  return 0;
}
