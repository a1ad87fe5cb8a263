/*
 * component/record.c: the record of a component, which outlives its incarnations. It
 * holds what stays the same across restarts (id, name, spec, compiled module, held
 * messages, counters) and what the host reports (state, health, last exit). Referenced
 * by the host's tables, by the supervisor's child spec (for a child of the root: until
 * the supervisor drops the spec, then the component is gone for good), by its group (for
 * a member of a group: until it leaves the group, group.c), by the running incarnation
 * and by every message in flight to it.
 */
#include "component/comp.h"

trP_rec *trP_rec_ref(trP_rec *r) {
  /* Relaxed: taking a reference needs no ordering, only the last release does. */
  atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
  return r;
}

void trP_rec_unref(trP_rec *r) {
  if (!r)
    return;
  /* acq_rel: the last owner sees every other owner's writes before freeing. */
  if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
    return;
  /* Nothing is held here: every held message holds a reference (trP_rec_gone frees
   * them when the component ends). */
  if (r->mod)
    troupe_wasm_module_free(r->mod);
  trP_spec_free(r->spec);
  free(r->module_ref);
  free(r->version);
  free(r->health_reason);
  free(r->last_exit_msg);
  pthread_mutex_destroy(&r->mu);
  trB_slab_free(r, sizeof *r);
}

void trP_rec_gone(void *rec) {
  trP_rec *r = rec;
  trP_rec_end(r);
  trP_rec_unref(r); /* the supervisor's reference */
}

void trP_rec_unref_arg(void *rec) {
  trP_rec_unref(rec);
}

void trP_rec_end(trP_rec *r) {
  troupe_host *h = r->host;
  pthread_mutex_lock(&r->mu);
  if (r->gone) {
    pthread_mutex_unlock(&r->mu);
    return;
  }
  r->gone = true;
  trP_msg *m = r->held_head;
  r->held_head = r->held_tail = r->held_cursor = NULL;
  r->held_n = 0;
  atomic_store_explicit(&r->actor, 0, memory_order_relaxed);
  pthread_mutex_unlock(&r->mu);
  atomic_store_explicit(&r->state, TROUPE_COMPONENT_TERMINATED, memory_order_release);
  while (m) { /* messages to a component that will not come back: dropped, as in OTP */
    trP_msg *next = m->next;
    trP_msg_free(m);
    m = next;
  }
  trP_table_remove(&h->table, r);
  atomic_fetch_sub_explicit(&h->live, 1, memory_order_relaxed);
}

void trP_rec_set_state(trP_rec *r, troupe_component_state s) {
  /* Release: whoever reads READY sees the incarnation's setup (info, invoke checks). */
  atomic_store_explicit(&r->state, (int)s, memory_order_release);
}

void trP_rec_set_health(trP_rec *r, troupe_health h, const char *reason) {
  char *copy = reason && *reason ? trB_strdup(reason) : NULL;
  pthread_mutex_lock(&r->mu);
  bool changed = r->health != h;
  r->health = h;
  free(r->health_reason);
  r->health_reason = copy;
  pthread_mutex_unlock(&r->mu);
  /* A change is worth a record (the node's log, the test kit's events); the same answer
   * again, at every check, is not. */
  if (changed) {
    troupe_log_field f[] = {TROUPE_LOG_STR("health", troupe_health_name(h)),
                            TROUPE_LOG_STR("reason", reason ? reason : "")};
    trP_event(r->host, h == TROUPE_HEALTH_HEALTHY ? TROUPE_LOG_INFO : TROUPE_LOG_WARN,
              "component_health", r, f, TR_ARRAY_LEN(f));
  }
}
