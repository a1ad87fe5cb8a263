/*
 * troupe/scenario.h: the test kit for component authors (`troupe test`). A scenario is
 * a YAML file: components to spawn in a throwaway host, then steps in order -- send,
 * ask, invoke, publish, sleep, expect_event -- each with its expectations (an exact
 * reply or a JSON subset, an error code, an event of the host's log within a timeout).
 * Running it reports every spawn and step as a TAP version 13 test point. The format,
 * the matching rules and the output are docs/TESTKIT.md.
 *
 * Threading: a scenario is used by one thread at a time; running one starts a host of
 * its own (with its worker threads) and frees it before returning.
 * Errors: a malformed scenario is TROUPE_E_INVAL with "FILE:LINE:COLUMN: what" in *err.
 */
#ifndef TROUPE_SCENARIO_H
#define TROUPE_SCENARIO_H

#include "troupe/error.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct troupe_scenario troupe_scenario;

typedef struct troupe_scenario_config {
  /* A directory store (troupe_store_dir_new) for components given by `ref:`; it takes
   * precedence over the scenario's own `store:` key, and it is the folder a scenario's
   * `manifest:` finds its module files in (as troupe run --modules-dir). NULL: the
   * scenario's / the manifest's own. */
  const char *components_dir;
  uint32_t timeout_ms; /* a step's timeout when neither it nor the scenario says; 0 = 5000 */
  bool verbose;        /* every record of the host's log as a TAP comment ("# log: {...}") */
  unsigned workers;    /* the host's worker threads; 0 = one per core */
} troupe_scenario_config;

TROUPE_API void troupe_scenario_config_init(troupe_scenario_config *cfg);

/* Read and check a scenario file (cfg copied; may be NULL). Every error names the file,
 * line and column: an unknown key, a wrong type, an unknown component in a step, a
 * module file that does not exist, YAML aliases (refused). IO when unreadable. */
TROUPE_API int troupe_scenario_load(const char *path, const troupe_scenario_config *cfg,
                                    troupe_scenario **out, troupe_err *err);
/* The same from text in memory; path names it in messages and anchors module paths
 * (its folder). */
TROUPE_API int troupe_scenario_parse(const char *text, size_t len, const char *path,
                                     const troupe_scenario_config *cfg, troupe_scenario **out,
                                     troupe_err *err);
TROUPE_API void troupe_scenario_free(troupe_scenario *s); /* s may be NULL */

/* Its name (the `name:` key, else the file's base name) and its TAP plan: one point per
 * component spawned plus one per step. */
TROUPE_API const char *troupe_scenario_name(const troupe_scenario *s);
TROUPE_API size_t troupe_scenario_points(const troupe_scenario *s);

typedef struct troupe_scenario_summary {
  size_t planned, passed, failed, skipped;
} troupe_scenario_summary;

/* Run it, writing TAP to out: at level 0 a whole TAP stream ("TAP version 13", the plan,
 * a point per spawn and step, a summary comment); at level 1 the same as a subtest,
 * indented four spaces after a "# Subtest: NAME" line (the caller writes the version
 * line and the parent's point). Returns TROUPE_OK when it ran -- the outcome is in *sum
 * (failed > 0: a step failed) -- or an error when no host could be made. */
TROUPE_API int troupe_scenario_run(troupe_scenario *s, FILE *out, int level,
                                   troupe_scenario_summary *sum, troupe_err *err);

#ifdef __cplusplus
}
#endif
#endif
