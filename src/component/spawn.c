/*
 * component/spawn.c: troupe.spawn, a component starting another. The new component is
 * a child of the host's root supervisor (so it outlives its spawner and is restarted
 * on its own), runs the module the spawner named by store reference, and gets the
 * spawner's limits and capabilities -- never more than the spawner has. The spawner's
 * `spawn` capability is matched against the module's name (or "sha256:HEX" for a
 * reference by hash), so "workers.*" allows any version of modules named workers.x.
 * The import does not block its worker: it sends the supervisor an asynchronous
 * start_child and suspends the instance until the answer (the child is Ready, or its
 * start failed), which trP_spawn_finish turns into the id or the error code.
 */
#include "component/comp.h"

#include <stdio.h>

int trP_i_spawn(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                troupe_wasm_val *results);

static int64_t spawn_start(trP_comp *c, const char *name, const char *ref, uint64_t *corr) {
  troupe_host *h = c->host;
  troupe_module_ref mr;
  if (troupe_module_ref_parse(ref, &mr, NULL))
    return TROUPE_E_INVAL;
  char what[sizeof mr.name + 8 + TROUPE_SHA256_HEX];
  if (mr.kind == TROUPE_REF_SHA256) {
    char hex[TROUPE_SHA256_HEX];
    troupe_sha256_hex(mr.sha256, hex);
    snprintf(what, sizeof what, "sha256:%s", hex);
  } else
    snprintf(what, sizeof what, "%s", mr.name);
  const troupe_component_spec *mine = &c->rec->spec->s;
  if (!trP_patterns_match(&mine->caps.spawn, what)) {
    troupe_log_field f[] = {TROUPE_LOG_STR("action", "spawn"), TROUPE_LOG_STR("target", ref)};
    trP_event(h, TROUPE_LOG_WARN, "capability_denied", c->rec, f, TR_ARRAY_LEN(f));
    return TROUPE_E_DENIED;
  }
  troupe_component_spec s = {.name = name, .module = ref, .limits = mine->limits,
                             .caps = mine->caps, .restart = TROUPE_PERMANENT};
  trP_rec *r;
  troupe_err e;
  int rc = trP_rec_create(h, &s, &r, &e);
  if (rc)
    return rc;
  troupe_child_spec cs;
  trP_child_spec_of(trP_rec_ref(r), &cs); /* handed to the supervisor, also on failure */
  uint64_t timeout = TROUPE_MS((uint64_t)s.limits.start_timeout_ms) + TROUPE_SEC(1);
  rc = troupe_sup_start_child_async(c->self, h->root, &cs, timeout, corr, &e);
  if (rc) {
    trP_rec_unref(r);
    return rc;
  }
  c->wait_target = r;
  return 0;
}

int trP_i_spawn(troupe_wasm_hostcall *call, void *u, const troupe_wasm_val *args,
                troupe_wasm_val *results) {
  TR_UNUSED(u);
  trP_comp *c = trP_comp_of_call(call);
  uint8_t *np = NULL, *mp = NULL;
  int32_t nl = args[1].of.i32, ml = args[3].of.i32;
  if (nl < 0 || ml < 0 ||
      troupe_wasm_hostcall_memory_range(call, 0, (uint32_t)args[0].of.i32, (uint32_t)nl, &np) ||
      troupe_wasm_hostcall_memory_range(call, 0, (uint32_t)args[2].of.i32, (uint32_t)ml, &mp))
    return troupe_wasm_host_trap(call, "troupe.spawn: a name or reference range is outside memory");
  char name[TRP_NAME_MAX + 1], ref[256];
  int64_t st = 0;
  if ((size_t)nl >= sizeof name || (size_t)ml >= sizeof ref || memchr(np, 0, (size_t)nl) ||
      memchr(mp, 0, (size_t)ml))
    st = TROUPE_E_INVAL;
  else if (c->no_wait)
    st = TROUPE_E_STATE;
  uint64_t corr = 0;
  if (!st) {
    memcpy(name, np, (size_t)nl);
    name[nl] = '\0';
    memcpy(ref, mp, (size_t)ml);
    ref[ml] = '\0';
    st = spawn_start(c, name, ref, &corr);
  }
  if (!st && (st = troupe_actor_suspend_for(c->self, corr)) != 0) {
    trP_rec_unref(c->wait_target); /* the answer comes to nobody: the child still starts */
    c->wait_target = NULL;
  }
  if (st) {
    results[0] = TROUPE_WASM_VAL_I64(st);
    return TROUPE_OK;
  }
  c->wait = TRP_WAIT_SPAWN;
  c->wait_corr = corr;
  return troupe_wasm_host_suspend(call);
}

int64_t trP_spawn_finish(trP_comp *c, const troupe_message *m) {
  trP_rec *r = c->wait_target;
  c->wait_target = NULL;
  troupe_sup_answer ans;
  troupe_err e;
  int rc = troupe_sup_answer_read(m, &ans, &e);
  troupe_sup_children_free(ans.children, ans.nchildren);
  int64_t out;
  if (rc == TROUPE_OK)
    out = (int64_t)r->id;
  else {
    pthread_mutex_lock(&r->mu);
    out = r->start_code ? r->start_code : rc;
    pthread_mutex_unlock(&r->mu);
    trP_table_remove(&c->host->table, r); /* the name is free again at once */
  }
  trP_rec_unref(r);
  return out;
}
