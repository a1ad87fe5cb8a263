/*
 * component/host.c: a host of components. It builds, once, what all its components
 * share -- an actor runtime, a broker, a root supervisor (one_for_one) at the top of the
 * tree of components (group.c), a module cache, and one linker holding the `troupe` imports and
 * WASI (so instantiation resolves nothing per component) -- and takes it down in order:
 * the runtime's stop terminates the supervisor, which stops the components newest
 * first (each _cleanup under its timeout) and drops their specs, which ends their
 * records.
 */
#include "component/comp.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static troupe_wasi_ctx *wasi_ctx_of(troupe_wasm_instance *inst, void *user) {
  TR_UNUSED(user);
  trP_comp *c = troupe_wasm_instance_user(inst);
  return c ? c->wasi : NULL;
}

void troupe_host_config_init(troupe_host_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  troupe_sup_config_init(&cfg->supervisor);
  /* One supervisor holds every component of the host: OTP's 5 in 60 s would end the
   * whole host after five crashes anywhere. */
  cfg->supervisor.intensity = 100;
  cfg->supervisor.period_ms = 10000;
  cfg->supervisor.name = "components";
}

troupe_runtime *troupe_host_runtime(troupe_host *h) {
  return h ? h->rt : NULL;
}

troupe_broker *troupe_host_broker(troupe_host *h) { return h ? h->broker : NULL; }

const char *troupe_component_state_name(troupe_component_state s) {
  switch (s) {
  case TROUPE_COMPONENT_CREATING:
    return "creating";
  case TROUPE_COMPONENT_STARTING:
    return "starting";
  case TROUPE_COMPONENT_READY:
    return "ready";
  case TROUPE_COMPONENT_STOPPING:
    return "stopping";
  case TROUPE_COMPONENT_TERMINATED:
    return "terminated";
  case TROUPE_COMPONENT_FAILED:
    return "failed";
  }
  return "unknown";
}

/* The exit hook: every actor's death passes here; the root supervisor's is kept for
 * troupe_host_wait_down. Runs on the dying actor's worker: a short lock, no waiting. */
static void root_exit(troupe_runtime *rt, troupe_actor_id id, troupe_exit_kind why, void *user) {
  TR_UNUSED(rt);
  troupe_host *h = user;
  /* Relaxed: only the id's value matters; it is set once the root runs (an actor dying
   * before that is not the root: ids are unique). */
  if (id != atomic_load_explicit(&h->root_watch, memory_order_relaxed))
    return;
  pthread_mutex_lock(&h->groups_mu);
  h->down = true;
  h->down_kind = why;
  pthread_cond_broadcast(&h->down_cv);
  pthread_mutex_unlock(&h->groups_mu);
}

int troupe_host_wait_down(troupe_host *h, uint64_t timeout_ns, troupe_exit_reason *why) {
  if (!h)
    return TROUPE_E_INVAL;
  if (why)
    memset(why, 0, sizeof *why);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  uint64_t ns = (uint64_t)until.tv_nsec + timeout_ns % 1000000000u;
  until.tv_sec += (time_t)(timeout_ns / 1000000000u + ns / 1000000000u);
  until.tv_nsec = (long)(ns % 1000000000u);
  pthread_mutex_lock(&h->groups_mu);
  int w = 0;
  while (!h->down && w != ETIMEDOUT)
    w = pthread_cond_timedwait(&h->down_cv, &h->groups_mu, &until);
  bool down = h->down;
  troupe_exit_kind kind = h->down_kind;
  pthread_mutex_unlock(&h->groups_mu);
  if (!down)
    return TROUPE_E_TIMEOUT;
  if (why) {
    char msg[160];
    snprintf(msg, sizeof msg, "the root supervisor ended (%s)%s", troupe_exit_kind_name(kind),
             kind == TROUPE_EXIT_SHUTDOWN
                 ? ": it gave up (too many restarts) or a significant child ended it, or "
                   "the host stopped"
                 : "");
    why->kind = kind;
    why->message = trB_strdup(msg);
  }
  return TROUPE_OK;
}

int troupe_host_new(const troupe_host_config *cfg, troupe_host **out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "host: out is NULL");
  *out = NULL;
  troupe_host_config def;
  if (!cfg) {
    troupe_host_config_init(&def);
    cfg = &def;
  }
  if (cfg->supervisor.strategy == TROUPE_SIMPLE_ONE_FOR_ONE)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "host: the root supervisor cannot be simple_one_for_one");
  troupe_host *h = trB_calloc(1, sizeof *h);
  if (!h)
    return troupe_err_set(err, TROUPE_E_NOMEM, "host: out of memory");
  pthread_mutex_init(&h->groups_mu, NULL);
  pthread_cond_init(&h->down_cv, NULL);
  h->root_cfg = cfg->supervisor;
  h->root_cfg.name = h->root_cfg.metadata = NULL;
  h->store = cfg->store;
  h->log = cfg->log;
  h->max_components = cfg->max_components;
  h->metrics = !cfg->no_metrics;
  h->ask_flags = cfg->no_run_here ? 0 : TROUPE_ASK_RUN_HERE;
  h->trace_sample = cfg->trace_sample;
  if (h->metrics)
    trP_metrics_init(h);
  atomic_init(&h->next_id, 1);
  h->wasi_how = (troupe_wasi_locator){.ctx_of = wasi_ctx_of, .user = h};
  int rc = trP_table_init(&h->table);
  if (rc) {
    free(h);
    return troupe_err_set(err, rc, "host: cannot make its tables");
  }
  troupe_runtime_config rcfg;
  troupe_runtime_config_init(&rcfg);
  rcfg.workers = cfg->workers;
  rcfg.count_queued = true; /* mailbox_depth in troupe_host_info */
  rcfg.no_metrics = cfg->no_metrics;
  if ((rc = troupe_runtime_new(&rcfg, &h->rt, err)))
    goto fail;
  if ((rc = trA_runtime_on_drop(h->rt, trP_drop_hook, h))) {
    troupe_err_set(err, rc, "host: cannot watch dropped messages");
    goto fail;
  }
  if ((rc = trA_runtime_on_exit(h->rt, root_exit, h))) {
    troupe_err_set(err, rc, "host: cannot watch its root supervisor");
    goto fail;
  }
  if ((rc = troupe_broker_new(h->rt, &h->broker, err)))
    goto fail;
  if ((rc = trP_cache_new(&h->cache, err)))
    goto fail;
  h->refmemo = trP_refmemo_new();
  if (!(h->linker = troupe_wasm_linker_new())) {
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "host: out of memory");
    goto fail;
  }
  if ((rc = trP_imports_define(h->linker, h, err)) ||
      (rc = troupe_wasi_define_shared(h->linker, &h->wasi_how, err)))
    goto fail;
  if ((rc = troupe_sup_start(h->rt, &cfg->supervisor, NULL, 0, &h->root, err)))
    goto fail;
  atomic_store_explicit(&h->root_watch, h->root, memory_order_relaxed);
  *out = h;
  return TROUPE_OK;
fail:
  troupe_host_free(h);
  return rc;
}

void troupe_host_free(troupe_host *h) {
  if (!h)
    return;
  if (h->rt)
    troupe_runtime_stop(h->rt, NULL);
  troupe_broker_free(h->broker);
  troupe_runtime_free(h->rt);
  /* The components ended on the workers and on this thread (the runtime's stop ends
   * late ones here): what the engine keeps warm for the next instances goes back. */
  troupe_wasm_pool_trim();
  trP_groups_free(h);
  /* Every record left the table when its spec was dropped; what remains (a host that
   * failed half-way) is released here. */
  trP_rec **v;
  size_t n;
  if (trP_table_snapshot(&h->table, &v, &n) == TROUPE_OK) {
    for (size_t i = 0; i < n; i++) {
      trP_table_remove(&h->table, v[i]);
      trP_rec_unref(v[i]);
    }
    free(v);
  }
  troupe_wasm_linker_free(h->linker);
  trP_cache_free(h->cache);
  trP_refmemo_free(h->refmemo);
  trP_table_destroy(&h->table);
  pthread_cond_destroy(&h->down_cv);
  pthread_mutex_destroy(&h->groups_mu);
  for (int k = atomic_load_explicit(&h->prewarm, memory_order_relaxed); k > 0; k--)
    trB_prewarm_stop(); /* begun and never ended */
  free(h);
}

void troupe_host_prewarm_begin(troupe_host *h) {
  /* Without a helper (no thread could be made) spawns fault their own pages: nothing
   * to count. Relaxed: a count for troupe_host_free, which runs after every caller. */
  if (h && trB_prewarm_start() == 0)
    atomic_fetch_add_explicit(&h->prewarm, 1, memory_order_relaxed);
}

void troupe_host_prewarm_end(troupe_host *h) {
  if (!h)
    return;
  int n = atomic_load_explicit(&h->prewarm, memory_order_relaxed);
  while (n > 0 && !atomic_compare_exchange_weak_explicit(&h->prewarm, &n, n - 1,
                                                         memory_order_relaxed,
                                                         memory_order_relaxed))
    ;
  if (n > 0)
    trB_prewarm_stop();
}

troupe_component_id trP_component_of_actor(troupe_host *h, troupe_actor_id actor) {
  if (!actor)
    return 0;
  troupe_actor_info info;
  if (troupe_registry_info(h->rt, actor, &info))
    return 0;
  troupe_component_id id = 0;
  if (info.behaviour == trP_behaviour.name && info.name) {
    trP_rec *r = trP_table_find(&h->table, info.name);
    if (r) {
      id = r->id;
      trP_rec_unref(r);
    }
  }
  troupe_actor_info_clear(&info);
  return id;
}
