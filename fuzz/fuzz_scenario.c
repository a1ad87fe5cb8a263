/*
 * fuzz/fuzz_scenario.c: libFuzzer target for the test kit's scenario files
 * (troupe/scenario.h, docs/TESTKIT.md): arbitrary bytes as a scenario's YAML, parsed and
 * checked, never run. Besides "no crash, no leak, no UB" it checks that a parse either
 * succeeds with a consistent scenario -- a plan of one point per manifest start, spawn
 * and step, a name for each, every component a step names in range, every place a line
 * of the text -- or fails with no scenario and, for a malformed text, a message that
 * begins with "fuzz.yaml:LINE:COLUMN: " at a line of the text.
 *
 * Paths in the text (module:, store:, manifest:) are looked up relative to the current
 * folder: a module or store is only stat'ed, a manifest is read and checked; run it
 * from a folder without YAML files to keep it to the text.
 */
#include "node/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                         \
  do {                                                                                   \
    if (!(c)) {                                                                          \
      fprintf(stderr, "fuzz_scenario: invariant failed: %s (line %d)\n", #c, __LINE__); \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

/* An upper bound of libyaml's line count: it also breaks lines at CR, NEL (U+0085) and
 * U+2028/9 (whose UTF-8 starts with 0xe2). */
static unsigned line_bound(const uint8_t *data, size_t size) {
  unsigned lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xe2;
  return lines + 1;
}

static bool needs_comp(const trN_step *st) {
  switch (st->kind) {
  case TRN_SPAWN:
  case TRN_SEND:
  case TRN_ASK:
  case TRN_INVOKE: return true;
  case TRN_EXPECT_EVENT:
  case TRN_EXPECT_NO_EVENT: return !st->any_comp;
  default: return false;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  troupe_scenario_config cfg;
  troupe_scenario_config_init(&cfg);
  troupe_scenario *s = NULL;
  troupe_err err;
  troupe_err_clear(&err);
  int rc = troupe_scenario_parse((const char *)data, size, "fuzz.yaml", &cfg, &s, &err);
  unsigned lines = line_bound(data, size);
  if (rc == TROUPE_OK) {
    CHECK(s && troupe_scenario_name(s));
    CHECK(troupe_scenario_points(s) == s->nsteps);
    size_t spawns = 0, starts = 0;
    for (size_t i = 0; i < s->nsteps; i++) {
      const trN_step *st = &s->steps[i];
      CHECK(st->name && st->line >= 1 && st->line <= lines && st->col >= 1);
      CHECK(st->timeout_ms >= 1);
      if (needs_comp(st))
        CHECK(st->comp < s->ncomps);
      if (st->kind == TRN_SPAWN) {
        CHECK(!s->comps[st->comp].in_manifest && s->comps[st->comp].name);
        spawns++;
      }
      if (st->kind == TRN_START) {
        CHECK(i == 0 && s->manifest);
        starts++;
      }
      if (st->kind == TRN_INVOKE)
        CHECK(st->fn);
      if (st->kind == TRN_PUBLISH)
        CHECK(st->subject);
      if (st->payload_len)
        CHECK(st->payload && (st->payload[0] == 0x80 || st->payload[0] == 0x51));
    }
    /* the manifest's components first, then one spawn per component of the scenario */
    size_t in_manifest = 0;
    for (size_t i = 0; i < s->ncomps; i++)
      in_manifest += s->comps[i].in_manifest;
    CHECK(s->manifest ? in_manifest == s->manifest->ncomponents && starts == 1 : !in_manifest);
    CHECK(spawns == s->ncomps - in_manifest);
  } else {
    CHECK(!s);
    CHECK(rc == TROUPE_E_INVAL || rc == TROUPE_E_NOMEM || rc == TROUPE_E_IO);
    const char *m = troupe_err_message(&err);
    CHECK(!strncmp(m, "fuzz.yaml:", 10));
    unsigned line = 0, col = 0;
    if (rc == TROUPE_E_INVAL && sscanf(m + 10, "%u:%u: ", &line, &col) == 2)
      CHECK(line >= 1 && line <= lines && col >= 1);
  }
  troupe_scenario_free(s);
  return 0;
}
