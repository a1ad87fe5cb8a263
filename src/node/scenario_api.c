/*
 * node/scenario_api.c: the test kit's public entry points that are not the run itself:
 * reading a scenario file (bounded, like the YAML it holds) and handing its text to the
 * YAML loader and the checker (scenario_yaml.c, scenario_parse.c), freeing a scenario,
 * and what a caller may ask of one (its name, its TAP plan).
 */
#include "node/scenario.h"

#include "base/base.h"

#include <stdlib.h>
#include <string.h>

void troupe_scenario_config_init(troupe_scenario_config *cfg) {
  if (cfg)
    *cfg = (troupe_scenario_config){.timeout_ms = 5000};
}

int troupe_scenario_parse(const char *text, size_t len, const char *path,
                          const troupe_scenario_config *cfg, troupe_scenario **out,
                          troupe_err *err) {
  if (!out || (!text && len) || !path)
    return troupe_err_set(err, TROUPE_E_INVAL, "scenario: NULL argument");
  *out = NULL;
  trN_ynode *root = NULL;
  int rc = trN_scenario_yaml_load(text ? text : "", len, path, &root, err);
  if (rc)
    return rc;
  rc = trN_scenario_build(root, path, cfg, out, err);
  trN_yaml_free(root);
  return rc;
}

int troupe_scenario_load(const char *path, const troupe_scenario_config *cfg,
                         troupe_scenario **out, troupe_err *err) {
  if (!path || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "scenario: NULL argument");
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return troupe_err_set(err, TROUPE_E_IO, "%s: cannot open", path);
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = TROUPE_OK;
  for (;;) {
    if (len == cap) {
      if (cap > TRN_Y_MAX_BYTES) {
        rc = troupe_err_set(err, TROUPE_E_INVAL, "%s: larger than %u bytes", path,
                            TRN_Y_MAX_BYTES);
        break;
      }
      char *nb = trB_realloc_array(buf, cap ? cap * 2 : 4096, 1);
      if (!nb) {
        rc = troupe_err_set(err, TROUPE_E_NOMEM, "%s: out of memory", path);
        break;
      }
      buf = nb;
      cap = cap ? cap * 2 : 4096;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f))
        rc = troupe_err_set(err, TROUPE_E_IO, "%s: read error", path);
      break;
    }
  }
  fclose(f);
  if (!rc)
    rc = troupe_scenario_parse(buf, len, path, cfg, out, err);
  free(buf);
  return rc;
}

static void free_strs(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

void troupe_scenario_free(troupe_scenario *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->ncomps; i++) {
    trN_comp *m = &s->comps[i];
    free(m->name);
    free(m->path);
    free(m->ref);
    for (int k = 0; k < 5; k++)
      free_strs(m->caps[k], m->ncaps[k]);
    free_strs(m->argv, m->argc);
    free_strs(m->env, m->envc);
  }
  for (size_t i = 0; i < s->nsteps; i++) {
    trN_step *st = &s->steps[i];
    free(st->name);
    free(st->fn);
    free(st->subject);
    free(st->payload);
    json_decref(st->expect);
    free(st->error_message);
    json_decref(st->fields);
    free(st->message);
  }
  free(s->comps);
  free(s->steps);
  troupe_manifest_free(s->manifest);
  free(s->manifest_given);
  free(s->path);
  free(s->dir);
  free(s->name);
  free(s->store_dir);
  free(s);
}

const char *troupe_scenario_name(const troupe_scenario *s) { return s ? s->name : NULL; }

size_t troupe_scenario_points(const troupe_scenario *s) { return s ? s->nsteps : 0; }
