/*
 * component/spec.c: a component spec as the host keeps it. troupe_host_spawn copies the
 * caller's spec (strings, argument and environment arrays, capability patterns) into
 * one owned trP_spec, checks it once -- name grammar, limits, every capability pattern --
 * and fills in the defaults, so the rest of the layer reads plain fields and never
 * revalidates. Capability matching (NATS subject patterns) lives here too.
 */
#include "component/comp.h"

#include <stdio.h>

void trP_limits_defaults(troupe_component_limits *l) {
  if (!l->max_memory_pages)
    l->max_memory_pages = TRP_DEF_MEMORY_PAGES;
  if (!l->max_stack_bytes)
    l->max_stack_bytes = TRP_DEF_STACK_BYTES;
  if (!l->max_call_depth)
    l->max_call_depth = TRP_DEF_CALL_DEPTH;
  if (!l->fuel_slice)
    l->fuel_slice = TRP_DEF_FUEL_SLICE;
  if (!l->max_message_bytes)
    l->max_message_bytes = TRP_DEF_MESSAGE_BYTES;
  if (!l->start_timeout_ms)
    l->start_timeout_ms = TRP_DEF_START_TIMEOUT_MS;
  if (!l->cleanup_timeout_ms)
    l->cleanup_timeout_ms = TRP_DEF_CLEANUP_TIMEOUT_MS;
}

/* A NULL-safe deep copy of n strings; *out NULL when n == 0. */
static int copy_strv(const char *const *in, size_t n, const char *what, char ***out,
                     troupe_err *err) {
  *out = NULL;
  if (!n)
    return TROUPE_OK;
  if (!in)
    return troupe_err_set(err, TROUPE_E_INVAL, "component spec: %s has %zu entries but no array",
                          what, n);
  char **v = trB_calloc(n, sizeof *v);
  if (!v)
    return troupe_err_set(err, TROUPE_E_NOMEM, "component spec: out of memory");
  *out = v;
  for (size_t i = 0; i < n; i++) {
    if (!in[i])
      return troupe_err_set(err, TROUPE_E_INVAL, "component spec: %s[%zu] is NULL", what, i);
    if (!(v[i] = trB_strdup(in[i])))
      return troupe_err_set(err, TROUPE_E_NOMEM, "component spec: out of memory");
  }
  return TROUPE_OK;
}

static void free_strv(const char *const *v, size_t n) {
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    free((void *)v[i]);
  free((void *)v);
}

static int copy_patterns(const troupe_pattern_list *in, const char *what, troupe_pattern_list *out,
                         troupe_err *err) {
  char **v;
  out->v = NULL;
  out->n = 0;
  int rc = copy_strv(in->v, in->n, what, &v, err);
  out->v = (const char *const *)v;
  out->n = v ? in->n : 0;
  if (rc)
    return rc;
  for (size_t i = 0; i < out->n; i++) {
    troupe_err e;
    if (troupe_subject_validate_pattern(v[i], &e))
      return troupe_err_set(err, TROUPE_E_INVAL, "component spec: %s pattern '%s': %s",
                            what, v[i], troupe_err_message(&e));
  }
  return TROUPE_OK;
}

static int check_limits(const troupe_component_limits *l, troupe_err *err) {
  if (l->max_memory_pages > 65536)
    return troupe_err_set(err, TROUPE_E_RANGE,
                          "component limits: max_memory_pages %u is above 65536 (4 GiB)",
                          l->max_memory_pages);
  if (l->max_stack_bytes < TROUPE_WASM_MIN_STACK_BYTES)
    return troupe_err_set(err, TROUPE_E_RANGE,
                          "component limits: max_stack_bytes %llu is below %u",
                          (unsigned long long)l->max_stack_bytes, TROUPE_WASM_MIN_STACK_BYTES);
  if (l->max_message_bytes > (1u << 30))
    return troupe_err_set(err, TROUPE_E_RANGE,
                          "component limits: max_message_bytes %u is above 1 GiB",
                          l->max_message_bytes);
  return TROUPE_OK;
}

int trP_spec_copy(const troupe_component_spec *in, trP_spec **out, troupe_err *err) {
  *out = NULL;
  if (!in)
    return troupe_err_set(err, TROUPE_E_INVAL, "component spec: NULL");
  int rc = trP_name_check(in->name, err);
  if (rc)
    return rc;
  if (!in->module && !in->module_bytes)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "component '%s': spec names no module (reference or bytes)", in->name);
  if (in->module && in->module_bytes)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "component '%s': spec gives both a module reference and bytes",
                          in->name);
  if (in->restart > TROUPE_TEMPORARY)
    return troupe_err_set(err, TROUPE_E_INVAL, "component '%s': unknown restart type %d",
                          in->name, (int)in->restart);
  if (in->significant && in->restart == TROUPE_PERMANENT)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "component '%s': a significant child must be transient or temporary",
                          in->name);
  trP_spec *sp = trB_slab_calloc(sizeof *sp);
  if (!sp)
    return troupe_err_set(err, TROUPE_E_NOMEM, "component spec: out of memory");
  troupe_component_spec *s = &sp->s;
  *s = *in;
  s->name = NULL;
  s->module = NULL;
  s->module_bytes = NULL;
  s->argv = s->env = NULL;
  s->argc = s->envc = 0;
  memset(&s->caps, 0, sizeof s->caps);
  memset(&s->subscriptions, 0, sizeof s->subscriptions);
  trP_limits_defaults(&s->limits);
  rc = check_limits(&s->limits, err);
  char **v = NULL;
  if (!rc && !(s->name = trB_strdup(in->name)))
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "component spec: out of memory");
  if (!rc && in->module && !(s->module = trB_strdup(in->module)))
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "component spec: out of memory");
  if (!rc && in->module_bytes) {
    if (!in->module_len)
      rc = troupe_err_set(err, TROUPE_E_INVAL, "component '%s': module bytes are empty", in->name);
    else if (!(s->module_bytes = trB_memdup(in->module_bytes, in->module_len)))
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "component spec: out of memory");
  }
  if (!rc) {
    rc = copy_strv(in->argv, in->argc, "argv", &v, err);
    s->argv = (const char *const *)v;
    s->argc = v ? in->argc : 0;
  }
  if (!rc) {
    rc = copy_strv(in->env, in->envc, "env", &v, err);
    s->env = (const char *const *)v;
    s->envc = v ? in->envc : 0;
  }
  for (size_t i = 0; !rc && i < s->envc; i++)
    if (!strchr(s->env[i], '='))
      rc = troupe_err_set(err, TROUPE_E_INVAL, "component '%s': env[%zu] '%s' is not NAME=value",
                          in->name, i, s->env[i]);
  if (!rc)
    rc = copy_patterns(&in->caps.send_to, "capability send_to", &s->caps.send_to, err);
  if (!rc)
    rc = copy_patterns(&in->caps.accept_from, "capability accept_from", &s->caps.accept_from, err);
  if (!rc)
    rc = copy_patterns(&in->caps.publish, "capability publish", &s->caps.publish, err);
  if (!rc)
    rc = copy_patterns(&in->caps.subscribe, "capability subscribe", &s->caps.subscribe, err);
  if (!rc)
    rc = copy_patterns(&in->caps.spawn, "capability spawn", &s->caps.spawn, err);
  if (!rc)
    rc = copy_patterns(&in->subscriptions, "subscriptions", &s->subscriptions, err);
  if (rc) {
    trP_spec_free(sp);
    return rc;
  }
  *out = sp;
  return TROUPE_OK;
}

void trP_spec_free(trP_spec *sp) {
  if (!sp)
    return;
  troupe_component_spec *s = &sp->s;
  free((void *)s->name);
  free((void *)s->module);
  free((void *)s->module_bytes);
  free_strv(s->argv, s->argc);
  free_strv(s->env, s->envc);
  free_strv(s->caps.send_to.v, s->caps.send_to.n);
  free_strv(s->caps.accept_from.v, s->caps.accept_from.n);
  free_strv(s->caps.publish.v, s->caps.publish.n);
  free_strv(s->caps.subscribe.v, s->caps.subscribe.n);
  free_strv(s->caps.spawn.v, s->caps.spawn.n);
  free_strv(s->subscriptions.v, s->subscriptions.n);
  free(sp->metadata);
  trB_slab_free(sp, sizeof *sp);
}

bool trP_patterns_match(const troupe_pattern_list *l, const char *what) {
  for (size_t i = 0; i < l->n; i++)
    if (troupe_subject_matches(l->v[i], what))
      return true;
  return false;
}
