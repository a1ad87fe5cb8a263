/*
 * fuzz/fuzz_wasm_load.c: libFuzzer target for the engine's loader. Arbitrary bytes go
 * through troupe_wasm_module_new (decode + validate + compile); a module that loads has
 * its imports and exports described and its compiled code dumped. Checks: no crash,
 * leak, UB or long run (a declared count far beyond the input must fail fast, not
 * allocate), an error always comes with a message and is never an internal one (the fuzz
 * build verifies every compiled function: TROUPE_E_INTERNAL is a compiler bug the code
 * verifier caught), and the description calls agree with the counts.
 */
#include "troupe/wasm.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                         \
  do {                                                                                   \
    if (!(c)) {                                                                          \
      fprintf(stderr, "fuzz_wasm_load: invariant failed: %s (line %d)\n", #c, __LINE__); \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

static void check_desc(const troupe_wasm_extern_desc *d) {
  CHECK(d->name != NULL);
  CHECK(d->kind <= TROUPE_WASM_EXTERN_GLOBAL);
  if (d->kind == TROUPE_WASM_EXTERN_FUNC) {
    /* Touch every type byte: a dangling or short array shows under ASan. */
    for (uint32_t i = 0; i < d->func.nparams; i++)
      CHECK(d->func.params[i] != 0);
    for (uint32_t i = 0; i < d->func.nresults; i++)
      CHECK(d->func.results[i] != 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  troupe_wasm_module *m = NULL;
  troupe_err err = {0};
  int rc = troupe_wasm_module_new(data, size, &m, &err);
  if (rc != TROUPE_OK) {
    CHECK(rc < 0);
    CHECK(rc != TROUPE_E_INTERNAL);
    CHECK(err.msg[0] != '\0');
    return 0;
  }
  CHECK(m != NULL);
  troupe_wasm_extern_desc d;
  size_t ni = troupe_wasm_module_import_count(m);
  for (size_t i = 0; i < ni; i++) {
    CHECK(troupe_wasm_module_import(m, i, &d) == TROUPE_OK);
    CHECK(d.module != NULL);
    check_desc(&d);
  }
  CHECK(troupe_wasm_module_import(m, ni, &d) == TROUPE_E_RANGE);
  size_t ne = troupe_wasm_module_export_count(m);
  for (size_t i = 0; i < ne; i++) {
    CHECK(troupe_wasm_module_export(m, i, &d) == TROUPE_OK);
    check_desc(&d);
  }
  CHECK(troupe_wasm_module_export(m, ne, &d) == TROUPE_E_RANGE);
  /* The dump reads every op of every function back through the op list. */
  static FILE *sink;
  if (!sink)
    sink = fopen("/dev/null", "w");
  CHECK(sink && troupe_wasm_module_dump(m, TROUPE_WASM_DUMP_ALL, sink, NULL) == TROUPE_OK);
  /* The reference count: a second reference outlives the first. */
  troupe_wasm_module *again = troupe_wasm_module_ref(m);
  troupe_wasm_module_free(m);
  CHECK(troupe_wasm_module_export_count(again) == ne);
  troupe_wasm_module_free(again);
  return 0;
}
