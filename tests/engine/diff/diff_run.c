/*
 * tests/engine/diff/diff_run.c: Troupe's half of the differential test against V8.
 * `diff_run FILE.wasm` instantiates the module with a stub for every imported function
 * (it logs its call and returns zeros), then calls every exported function with zero
 * arguments, printing one line per import call and per export outcome in the format
 * diff.js prints for node, which compares the two transcripts (see docs/FUZZ.md). With
 * --slice N every call runs in fuel slices of N and every host call suspends.
 */
#include "troupe/wasm.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Large enough for any export of a ttf module (their hang limits bound the work);
 * running out is reported as a skip, as V8 has no fuel to compare with. */
#define DIFF_FUEL 200000000u

static uint64_t slice; /* --slice N: fuel per slice, 0 when not sliced */

typedef struct stub {
  const char *module, *name;
  troupe_wasm_functype type;
} stub;

/* Values print as in diff.js: type-tagged, NaN as "nan" (payloads may differ). */
static void print_val(const troupe_wasm_val *v) {
  switch (v->type) {
  case TROUPE_WASM_I32:
    printf(" i32:%" PRId32, v->of.i32);
    break;
  case TROUPE_WASM_I64:
    printf(" i64:%" PRId64, v->of.i64);
    break;
  case TROUPE_WASM_F32:
    if (isnan(v->of.f32))
      printf(" f32:nan");
    else
      printf(" f32:%08" PRIx32, v->of.f32_bits);
    break;
  case TROUPE_WASM_F64:
    if (isnan(v->of.f64))
      printf(" f64:nan");
    else
      printf(" f64:%016" PRIx64, v->of.f64_bits);
    break;
  case TROUPE_WASM_FUNCREF:
  case TROUPE_WASM_EXTERNREF:
    printf(" %s", v->of.ref ? "ref" : "null");
    break;
  default:
    printf(" type%u?", v->type);
  }
}

static troupe_wasm_val zero_of(uint8_t type) {
  troupe_wasm_val v;
  memset(&v, 0, sizeof v);
  v.type = type;
  return v;
}

static int stub_fn(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                   troupe_wasm_val *results) {
  const stub *s = user;
  printf("import %s.%s", s->module, s->name);
  for (uint32_t i = 0; i < s->type.nparams; i++)
    print_val(&args[i]);
  printf("\n");
  if (slice && troupe_wasm_instance_user(troupe_wasm_hostcall_instance(call)))
    return troupe_wasm_host_suspend(call); /* resumed with zeros by run_call */
  for (uint32_t i = 0; i < s->type.nresults; i++)
    results[i] = zero_of(s->type.results[i]);
  return TROUPE_OK;
}

/* Trap kinds grouped into the classes V8's messages can be mapped to; "skip" classes
 * (stack, fuel) tell diff.js to stop comparing this module there. */
static const char *trap_class(troupe_wasm_trap_kind k) {
  switch (k) {
  case TROUPE_WASM_TRAP_UNREACHABLE:
    return "unreachable";
  case TROUPE_WASM_TRAP_MEMORY_OOB:
    return "memory";
  case TROUPE_WASM_TRAP_TABLE_OOB:
  case TROUPE_WASM_TRAP_UNDEFINED_ELEMENT:
    return "table";
  case TROUPE_WASM_TRAP_UNINITIALIZED_ELEMENT:
  case TROUPE_WASM_TRAP_INDIRECT_CALL_TYPE:
    return "indirect";
  case TROUPE_WASM_TRAP_INT_DIV_ZERO:
    return "div0";
  case TROUPE_WASM_TRAP_INT_OVERFLOW:
    return "overflow";
  case TROUPE_WASM_TRAP_INVALID_CONVERSION:
    return "conversion";
  case TROUPE_WASM_TRAP_STACK_EXHAUSTED:
    return "skip-stack";
  case TROUPE_WASM_TRAP_FUEL_EXHAUSTED:
    return "skip-fuel";
  default:
    return troupe_wasm_trap_kind_message(k);
  }
}

static int read_file(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb)
        free(buf);
      buf = nb;
    }
  }
  fclose(f);
  if (!buf)
    return -1;
  *out = buf;
  *len = n;
  return 0;
}

/* Sliced mode (--slice N): every call runs in slices of N fuel and every host call
 * suspends; both are resumed until the call ends. The transcript must still be V8's:
 * this checks that suspension resumes exactly where it stopped. */

static int run_call(troupe_wasm_instance *inst, const char *name, const troupe_wasm_val *args,
                    uint32_t nargs, troupe_wasm_val *res, uint32_t nres, troupe_wasm_trap *trap,
                    troupe_err *err) {
  if (!slice) {
    troupe_wasm_call_opts opts = {.fuel = DIFF_FUEL, .trap_on_fuel_out = true};
    return troupe_wasm_call(inst, name, args, nargs, res, nres, &opts, trap, err);
  }
  troupe_wasm_call_opts opts = {.fuel = slice, .trap_on_fuel_out = false};
  uint64_t spent = slice;
  int rc = troupe_wasm_call(inst, name, args, nargs, res, nres, &opts, trap, err);
  while (rc == TROUPE_E_SUSPENDED) {
    troupe_wasm_val host[16];
    size_t nhost = 0;
    if (troupe_wasm_instance_state(inst) == TROUPE_WASM_SUSPENDED_HOST) {
      const troupe_wasm_functype *ht = troupe_wasm_suspended_host_type(inst);
      for (uint32_t i = 0; i < ht->nresults && i < 16; i++)
        host[nhost++] = zero_of(ht->results[i]);
    } else if ((spent += slice) > DIFF_FUEL) {
      troupe_wasm_abort(inst);
      trap->kind = TROUPE_WASM_TRAP_FUEL_EXHAUSTED;
      return TROUPE_E_TRAP;
    }
    rc = troupe_wasm_resume(inst, host, nhost, res, nres, &opts, trap, err);
  }
  return rc;
}

static void call_export(troupe_wasm_instance *inst, const char *name) {
  const troupe_wasm_functype *ft = troupe_wasm_export_functype(inst, name);
  troupe_wasm_val *args = calloc(ft->nparams + 1, sizeof *args);
  troupe_wasm_val *res = calloc(ft->nresults + 1, sizeof *res);
  if (!args || !res) {
    fprintf(stderr, "diff_run: out of memory\n");
    exit(2);
  }
  for (uint32_t i = 0; i < ft->nparams; i++)
    args[i] = zero_of(ft->params[i]);
  troupe_wasm_trap trap;
  troupe_err err = {0};
  int rc = run_call(inst, name, args, ft->nparams, res, ft->nresults, &trap, &err);
  if (rc == TROUPE_OK) {
    printf("return %s", name);
    for (uint32_t i = 0; i < ft->nresults; i++)
      print_val(&res[i]);
    printf("\n");
  } else if (rc == TROUPE_E_TRAP) {
    printf("trap %s %s\n", name, trap_class(trap.kind));
  } else {
    printf("error %s %s\n", name, err.msg);
  }
  free(args);
  free(res);
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "--slice")) {
    slice = strtoull(argv[2], NULL, 10);
    argv += 2;
    argc -= 2;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: diff_run [--slice FUEL] FILE.wasm\n");
    return 2;
  }
  uint8_t *bytes;
  size_t len;
  if (read_file(argv[1], &bytes, &len)) {
    fprintf(stderr, "diff_run: cannot read %s\n", argv[1]);
    return 2;
  }
  troupe_err err = {0};
  troupe_wasm_module *m = NULL;
  if (troupe_wasm_module_new(bytes, len, &m, &err)) {
    printf("invalid\n");
    fprintf(stderr, "diff_run: %s\n", err.msg);
    free(bytes);
    return 0;
  }
  free(bytes);

  size_t nimp = troupe_wasm_module_import_count(m);
  stub *stubs = calloc(nimp + 1, sizeof *stubs);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  if (!stubs || !l) {
    fprintf(stderr, "diff_run: out of memory\n");
    return 2;
  }
  for (size_t i = 0; i < nimp; i++) {
    troupe_wasm_extern_desc d;
    troupe_wasm_module_import(m, i, &d);
    if (d.kind != TROUPE_WASM_EXTERN_FUNC)
      continue; /* ttf modules import functions only: the rest fails to link, loudly */
    stubs[i] = (stub){d.module, d.name, d.func};
    troupe_wasm_linker_define_func(l, d.module, d.name, &d.func, stub_fn, &stubs[i], NULL);
  }
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  troupe_wasm_instance *inst = NULL;
  troupe_wasm_trap trap;
  int rc = troupe_wasm_instantiate(m, l, NULL, &inst, &trap, &err);
  if (rc == TROUPE_E_UNINSTANTIABLE) {
    printf("start trap %s\n", trap_class(trap.kind));
  } else if (rc) {
    printf("unlinkable\n");
    fprintf(stderr, "diff_run: %s\n", err.msg);
  } else {
    troupe_wasm_instance_set_user(inst, inst); /* non-NULL: past the start function */
    /* As binaryen's own fuzz harness: reset the ttf hang limit before every export, so
     * each gets a full budget whatever ran before it. */
    bool hang = troupe_wasm_export_functype(inst, "hangLimitInitializer") != NULL;
    size_t nexp = troupe_wasm_module_export_count(m);
    for (size_t i = 0; i < nexp; i++) {
      troupe_wasm_extern_desc d;
      troupe_wasm_module_export(m, i, &d);
      if (d.kind != TROUPE_WASM_EXTERN_FUNC || !strcmp(d.name, "hangLimitInitializer"))
        continue;
      if (hang)
        call_export(inst, "hangLimitInitializer");
      call_export(inst, d.name);
    }
    /* ttf's hashMemory digests the whole memory: once more at the end, so a store that
     * went wrong shows even if nothing read it back. */
    if (troupe_wasm_export_functype(inst, "hashMemory")) {
      if (hang)
        call_export(inst, "hangLimitInitializer");
      call_export(inst, "hashMemory");
    }
    troupe_wasm_instance_free(inst);
  }
  troupe_wasm_linker_free(l);
  free(stubs);
  troupe_wasm_module_free(m);
  return 0;
}
