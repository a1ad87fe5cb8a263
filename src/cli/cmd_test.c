/*
 * cli/cmd_test.c: `troupe test FILE...`: the test kit for component authors. Each FILE
 * is a scenario (troupe/scenario.h, docs/TESTKIT.md): components spawned in a
 * throwaway host, then a scripted conversation with expectations. Every file is checked
 * before any runs (a malformed one is a usage error naming FILE:LINE:COLUMN); the
 * report is TAP version 13 on stdout -- one file as a plain TAP stream, several as one
 * subtest each -- and the exit status is what CI wants: 0 all passed, 1 a step failed.
 */
#include "cli.h"

#include <troupe/scenario.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char test_usage[] =
    "usage: troupe test [options] FILE...\n"
    "\n"
    "Runs each scenario FILE (YAML; the format is docs/TESTKIT.md): starts its application\n"
    "(manifest: app.yaml) and/or spawns its components in a host of its own, performs its steps in order -- send, ask, invoke, publish,\n"
    "sleep, expect_event, expect_no_event -- and checks each expectation (an exact reply\n"
    "or a JSON subset, an error code, an event such as a crash, a restart, a health\n"
    "change or a refused capability, within a timeout). Every file is checked before any\n"
    "runs.\n"
    "\n"
    "The report is TAP version 13 on stdout: a point per spawn and step (\"ok 3 - ask\n"
    "counter\"; a failure has \"# expected X got Y\" and a YAML block saying why and where),\n"
    "and a summary comment. With several files each is a subtest.\n"
    "\n"
    "Options:\n"
    "  --components DIR  the directory store for components given by ref: (NAME.wasm,\n"
    "                    NAME@VERSION.wasm); overrides a scenario's store:, and a\n"
    "                    manifest's modules_dir\n"
    "  --timeout MS      a step's timeout when neither the step nor the scenario gives\n"
    "                    one (default 5000)\n"
    "  -v, --verbose     every record of the host's log as a TAP comment (\"# log: {...}\")\n"
    "\n"
    "Exit status: 0 every step of every file passed; 1 a step failed (or a host could not\n"
    "start); 2 bad command line, or a scenario unreadable or malformed (the error names\n"
    "FILE:LINE:COLUMN: an unknown key, a wrong type, an unknown component in a step).\n";

static bool parse_ms(const char *s, uint32_t *out) {
  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || v < 1 || v > UINT32_MAX)
    return false;
  *out = (uint32_t)v;
  return true;
}

int trL_cmd_test(int argc, char **argv) {
  troupe_scenario_config cfg;
  troupe_scenario_config_init(&cfg);
  const char **files = calloc((size_t)argc + 1, sizeof *files);
  troupe_scenario **sc = calloc((size_t)argc + 1, sizeof *sc);
  size_t nfiles = 0;
  int status = TR_EXIT_USAGE;
  if (!files || !sc) {
    trL_error("out of memory");
    status = TR_EXIT_FAIL;
    goto out;
  }
  bool only_files = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    bool missing = false;
    if (only_files || a[0] != '-' || !a[1]) {
      files[nfiles++] = a;
    } else if (!strcmp(a, "--")) {
      only_files = true;
    } else if (trL_is_help(a)) {
      fputs(test_usage, stdout);
      status = TR_EXIT_OK;
      goto out;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      cfg.verbose = true;
    } else if ((v = trL_opt_value(argc, argv, &i, "--components", &missing))) {
      cfg.components_dir = v;
    } else if ((v = trL_opt_value(argc, argv, &i, "--timeout", &missing))) {
      if (!parse_ms(v, &cfg.timeout_ms)) {
        trL_error("test: --timeout wants milliseconds (a positive integer), not '%s'", v);
        goto out;
      }
    } else {
      trL_error(missing ? "test: %s needs a value" : "test: unknown option '%s' (try --help)", a);
      goto out;
    }
  }
  if (!nfiles) {
    trL_error("test: no scenario given (try 'troupe test --help')");
    goto out;
  }
  for (size_t i = 0; i < nfiles; i++) {
    troupe_err err;
    troupe_err_clear(&err);
    if (troupe_scenario_load(files[i], &cfg, &sc[i], &err)) {
      trL_error("%s", troupe_err_message(&err));
      goto out;
    }
  }
  status = TR_EXIT_OK;
  if (nfiles > 1)
    printf("TAP version 13\n1..%zu\n", nfiles);
  for (size_t i = 0; i < nfiles; i++) {
    troupe_scenario_summary sum;
    troupe_err err;
    troupe_err_clear(&err);
    fflush(stdout);
    int rc = troupe_scenario_run(sc[i], stdout, nfiles > 1 ? 1 : 0, &sum, &err);
    if (rc)
      trL_error("%s: cannot run: %s", files[i], troupe_err_message(&err));
    bool ok = rc == 0 && sum.failed == 0;
    if (nfiles > 1)
      printf("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, files[i]);
    if (!ok)
      status = TR_EXIT_FAIL;
  }
  fflush(stdout);
out:
  for (size_t i = 0; sc && i < nfiles; i++)
    troupe_scenario_free(sc[i]);
  free(sc);
  free(files);
  return status;
}
