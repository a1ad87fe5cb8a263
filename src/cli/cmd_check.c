/*
 * cli/cmd_check.c: `troupe check app.yaml...` -- load each application manifest
 * (troupe/manifest.h) and report: every error on its own line on stderr
 * ("app.yaml:12:7: components.echo.limits.max_memory_pages: expected an integer, got
 * 'abc'") and exit 1, or a one-line summary on stdout and exit 0. --json prints one
 * JSON object per file on stdout instead, for scripts.
 */
#include "cli.h"

#include <troupe/manifest.h>

#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: troupe check [--json] [--modules-dir DIR] [--no-files] MANIFEST.yaml...\n"
          "\n"
          "Check application manifests completely, before anything starts: fields, types,\n"
          "ranges, names, the supervision tree, capability patterns, module references\n"
          "and files. Prints every error as FILE:LINE:COLUMN: FIELD: MESSAGE and exits 1,\n"
          "or prints a summary and exits 0. docs/MANIFEST.md describes the format.\n"
          "\n"
          "  --json             one JSON object per manifest on stdout:\n"
          "                     {\"file\",\"ok\",\"components\",\"supervisors\",\n"
          "                      \"subscriptions\",\"errors\":[{\"file\",\"line\",\"column\",\n"
          "                      \"field\",\"message\"}],\"more_errors\"}\n"
          "  --modules-dir DIR  module paths are relative to DIR (replaces node.modules_dir)\n"
          "  --no-files         do not check that module files exist\n");
}

static void json_str(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if (*p == '"' || *p == '\\')
      printf("\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", stdout);
    else if (*p < 0x20 || *p == 0x7f)
      printf("\\u%04x", *p);
    else
      putchar(*p); /* messages quote non-ASCII bytes as \xNN, so this stays UTF-8 */
  }
  putchar('"');
}

static int check_one(const char *path, const troupe_manifest_options *opts, bool json) {
  troupe_manifest *m = NULL;
  troupe_manifest_errors errs = {0};
  int rc = troupe_manifest_load_ex(path, opts, &m, &errs);
  if (json) {
    printf("{\"file\":");
    json_str(path);
    printf(",\"ok\":%s", rc ? "false" : "true");
    if (!rc)
      printf(",\"components\":%zu,\"supervisors\":%zu,\"subscriptions\":%zu", m->ncomponents,
             m->nsupervisors, m->nsubscriptions);
    printf(",\"errors\":[");
    for (size_t i = 0; i < errs.n; i++) {
      const troupe_manifest_error *e = &errs.v[i];
      printf("%s{\"file\":", i ? "," : "");
      json_str(e->file);
      printf(",\"line\":%u,\"column\":%u,\"field\":", (unsigned)e->line, (unsigned)e->column);
      json_str(e->field);
      printf(",\"message\":");
      json_str(e->message);
      putchar('}');
    }
    printf("],\"more_errors\":%zu}\n", errs.more);
  } else if (rc) {
    for (size_t i = 0; i < errs.n; i++) {
      char line[2048];
      troupe_manifest_error_format(&errs.v[i], line, sizeof line);
      fprintf(stderr, "%s\n", line);
    }
    if (errs.more)
      fprintf(stderr, "%s: ... and %zu more errors\n", path, errs.more);
    if (!errs.n)
      fprintf(stderr, "%s: %s\n", path, troupe_strerror(rc));
  } else {
    printf("%s: ok: %zu component%s, %zu supervisor%s", path, m->ncomponents,
           m->ncomponents == 1 ? "" : "s", m->nsupervisors, m->nsupervisors == 1 ? "" : "s");
    if (m->nsubscriptions)
      printf(", %zu subscription%s", m->nsubscriptions, m->nsubscriptions == 1 ? "" : "s");
    putchar('\n');
  }
  troupe_manifest_free(m);
  troupe_manifest_errors_clear(&errs);
  return rc;
}

int trL_cmd_check(int argc, char **argv) {
  troupe_manifest_options opts = {0};
  bool json = false, only_files = false;
  char **files = calloc((size_t)argc, sizeof *files);
  size_t nfiles = 0;
  if (!files) {
    trL_error("out of memory");
    return TR_EXIT_FAIL;
  }
  int status = TR_EXIT_OK;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    if (only_files || argv[i][0] != '-' || !argv[i][1]) {
      files[nfiles++] = argv[i];
    } else if (trL_is_help(argv[i])) {
      usage(stdout);
      goto out;
    } else if (!strcmp(argv[i], "--json")) {
      json = true;
    } else if (!strcmp(argv[i], "--no-files")) {
      opts.skip_files = true;
    } else if (!strcmp(argv[i], "--")) {
      only_files = true;
    } else if ((v = trL_opt_value(argc, argv, &i, "--modules-dir", &missing))) {
      opts.modules_dir = v;
    } else {
      if (missing)
        trL_error("check: --modules-dir needs a value");
      else
        trL_error("check: unknown option '%s' (try 'troupe check --help')", argv[i]);
      status = TR_EXIT_USAGE;
      goto out;
    }
  }
  if (!nfiles) {
    usage(stderr);
    status = TR_EXIT_USAGE;
    goto out;
  }
  for (size_t i = 0; i < nfiles; i++)
    if (check_one(files[i], &opts, json))
      status = TR_EXIT_FAIL;
out:
  free(files);
  return status;
}
