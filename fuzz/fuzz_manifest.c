/*
 * fuzz/fuzz_manifest.c: libFuzzer target for application manifests (troupe/manifest.h):
 * arbitrary bytes as a manifest's YAML. Besides "no crash, no leak, no UB" it checks
 * that a load either succeeds with no errors and a consistent tree (one root, every
 * child index in range, every component under a supervisor) or fails with at least one
 * error, each with a place inside the text (a line that exists).
 */
#include "troupe/manifest.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                         \
  do {                                                                                   \
    if (!(c)) {                                                                          \
      fprintf(stderr, "fuzz_manifest: invariant failed: %s (line %d)\n", #c, __LINE__); \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* module files are not looked for: the fuzzer explores the text, not the disk */
  static const troupe_manifest_options opts = {.skip_files = true};
  troupe_manifest *m = NULL;
  troupe_manifest_errors errs = {0};
  int rc = troupe_manifest_parse((const char *)data, size, "fuzz.yaml", &opts, &m, &errs);
  if (rc == TROUPE_OK) {
    CHECK(m && errs.n == 0);
    CHECK(m->root < m->nsupervisors);
    CHECK(m->supervisors[m->root].parent == TROUPE_MANIFEST_NO_PARENT);
    for (size_t s = 0; s < m->nsupervisors; s++)
      for (size_t i = 0; i < m->supervisors[s].nchildren; i++) {
        const troupe_manifest_child *c = &m->supervisors[s].children[i];
        CHECK(c->index < (c->kind == TROUPE_MANIFEST_COMPONENT ? m->ncomponents
                                                                : m->nsupervisors));
      }
    for (size_t i = 0; i < m->ncomponents; i++)
      CHECK(m->components[i].supervisor < m->nsupervisors);
  } else {
    CHECK(!m);
    CHECK(rc == TROUPE_E_NOMEM || errs.n > 0);
    /* an upper bound of libyaml's line count: it also breaks lines at CR, NEL (U+0085)
     * and U+2028/9 (whose UTF-8 starts with 0xe2) */
    uint32_t lines = 1;
    for (size_t i = 0; i < size; i++)
      lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xe2;
    for (size_t i = 0; i < errs.n; i++) {
      char buf[1024];
      troupe_manifest_error_format(&errs.v[i], buf, sizeof buf);
      CHECK(errs.v[i].line <= lines + 1);
    }
  }
  troupe_manifest_free(m);
  troupe_manifest_errors_clear(&errs);
  return 0;
}
