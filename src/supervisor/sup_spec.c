/*
 * supervisor/sup_spec.c: the supervisor's data: validation of flags and child specs, child
 * records (kept in start order, recycled through a free list so the restart path never
 * allocates), and the small u64 -> pointer map that finds a child by its actor id or by
 * the correlation id of its health check in O(1). A record whose spec owns its arg
 * (arg_free) frees it when the record is released for good (docs/SUPERVISION.md,
 * "Ownership of a spec's arg").
 */
#include "supervisor/sup.h"

/* ---- map ------------------------------------------------------------------------- */
static size_t slot_of(uint64_t key, size_t cap) {
  /* Fibonacci hashing: actor ids differ mostly in their low (slot index) bits. */
  return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

void *trS_map_get(const trS_map *m, uint64_t key) {
  if (!m->cap || !key)
    return NULL;
  for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (m->keys[i] == key)
      return m->vals[i];
    if (!m->keys[i])
      return NULL;
  }
}

static int grow_map(trS_map *m, size_t ncap) {
  uint64_t *k = trB_calloc(ncap, sizeof *k);
  void **v = trB_calloc(ncap, sizeof *v);
  if (!k || !v) {
    free(k);
    free(v);
    return TROUPE_E_NOMEM;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i])
      continue;
    size_t j = slot_of(m->keys[i], ncap);
    while (k[j])
      j = (j + 1) & (ncap - 1);
    k[j] = m->keys[i];
    v[j] = m->vals[i];
  }
  free(m->keys);
  free(m->vals);
  m->keys = k;
  m->vals = v;
  m->cap = ncap;
  return TROUPE_OK;
}

static int map_reserve(trS_map *m, size_t n) {
  size_t cap = m->cap ? m->cap : 16;
  while (cap / 4 * 3 <= n) /* load factor below 3/4 */
    cap *= 2;
  return cap == m->cap ? TROUPE_OK : grow_map(m, cap);
}

int trS_map_put(trS_map *m, uint64_t key, void *val) {
  if (!key)
    return TROUPE_E_INVAL;
  int rc = map_reserve(m, m->n + 1);
  if (rc)
    return rc;
  size_t i = slot_of(key, m->cap);
  while (m->keys[i] && m->keys[i] != key)
    i = (i + 1) & (m->cap - 1);
  if (!m->keys[i])
    m->n++;
  m->keys[i] = key;
  m->vals[i] = val;
  return TROUPE_OK;
}

void *trS_map_del(trS_map *m, uint64_t key) {
  if (!m->cap || !key)
    return NULL;
  size_t mask = m->cap - 1, i = slot_of(key, m->cap);
  while (m->keys[i] != key) {
    if (!m->keys[i])
      return NULL;
    i = (i + 1) & mask;
  }
  void *val = m->vals[i];
  /* Backward shift: move later entries of the cluster into the hole when their home
   * slot does not lie cyclically within (hole, their position]. No tombstones. */
  size_t hole = i;
  for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
    size_t home = slot_of(m->keys[j], m->cap);
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (stays)
      continue;
    m->keys[hole] = m->keys[j];
    m->vals[hole] = m->vals[j];
    hole = j;
  }
  m->keys[hole] = 0;
  m->vals[hole] = NULL;
  m->n--;
  return val;
}

void trS_map_free(trS_map *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

/* ---- validation ------------------------------------------------------------------ */
static int check_config(const troupe_sup_config *cfg, troupe_err *err) {
  if ((unsigned)cfg->strategy > TROUPE_SIMPLE_ONE_FOR_ONE)
    return troupe_err_set(err, TROUPE_E_INVAL, "supervisor: unknown strategy %d", (int)cfg->strategy);
  if ((unsigned)cfg->auto_shutdown > TROUPE_AUTO_ALL_SIGNIFICANT)
    return troupe_err_set(err, TROUPE_E_INVAL, "supervisor: unknown auto_shutdown %d",
                          (int)cfg->auto_shutdown);
  if (cfg->period_ms == 0)
    return troupe_err_set(err, TROUPE_E_INVAL, "supervisor: period must be at least 1 ms");
  if (cfg->period_ms > UINT64_MAX / 1000000u)
    return troupe_err_set(err, TROUPE_E_RANGE, "supervisor: period too large");
  return TROUPE_OK;
}

int trS_check_spec(const trS_sup *s, const troupe_child_spec *spec, troupe_err *err) {
  if (!spec->id || !spec->start)
    return troupe_err_set(err, TROUPE_E_INVAL, "child spec: id and start are required");
  if ((unsigned)spec->restart > TROUPE_TEMPORARY || (unsigned)spec->type > TROUPE_SUPERVISOR ||
      (unsigned)spec->shutdown > TROUPE_SHUTDOWN_INFINITY)
    return troupe_err_set(err, TROUPE_E_INVAL, "child spec '%s': bad restart, type or shutdown",
                          spec->id);
  if (spec->significant && spec->restart == TROUPE_PERMANENT)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "child spec '%s': a permanent child cannot be significant", spec->id);
  if (spec->significant && s->cfg.auto_shutdown == TROUPE_AUTO_NEVER)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "child spec '%s': significant children need auto_shutdown", spec->id);
  return TROUPE_OK;
}

uint64_t trS_shutdown_ms(const troupe_child_spec *spec) {
  if (spec->shutdown == TROUPE_SHUTDOWN_INFINITY)
    return UINT64_MAX;
  if (spec->shutdown == TROUPE_SHUTDOWN_BRUTAL)
    return 0;
  if (spec->shutdown_ms)
    return spec->shutdown_ms;
  return spec->type == TROUPE_SUPERVISOR ? UINT64_MAX : 5000;
}

/* ---- child records ---------------------------------------------------------------- */
trS_child *trS_child_new(trS_sup *s, const troupe_child_spec *spec, const void *extra,
                         size_t extra_len) {
  trS_child *c = s->free_kids;
  if (c)
    s->free_kids = c->next_free;
  else if (!(c = trB_calloc(1, sizeof *c)))
    return NULL;
  memset(c, 0, sizeof *c);
  c->spec = *spec;
  c->serial = ++s->next_serial;
  if (s->cfg.strategy != TROUPE_SIMPLE_ONE_FOR_ONE) {
    if (!(c->id = trB_strdup(spec->id)))
      goto fail;
    c->spec.id = c->id;
  } else {
    c->spec.id = s->tmpl ? s->tmpl->spec.id : c->id;
    c->spec.arg_free = NULL; /* the template's arg: freed with the template */
  }
  if (extra_len) {
    if (!(c->extra = trB_memdup(extra, extra_len)))
      goto fail;
    c->extra_len = extra_len;
  }
  return c;
fail:
  free(c->id);
  free(c);
  return NULL;
}

static void free_arg(troupe_child_spec *spec) {
  void (*fn)(void *) = spec->arg_free;
  spec->arg_free = NULL;
  if (fn)
    fn(spec->arg);
}

void trS_free_spec_args(const troupe_child_spec *specs, size_t n) {
  for (size_t i = 0; specs && i < n; i++)
    if (specs[i].arg_free)
      specs[i].arg_free(specs[i].arg);
}

static void child_release(trS_sup *s, trS_child *c) {
  free_arg(&c->spec);
  free(c->id);
  free(c->extra);
  c->id = NULL;
  c->extra = NULL;
  c->serial = ++s->next_serial; /* stale timer messages no longer match */
  c->next_free = s->free_kids;
  s->free_kids = c;
}

/* The by_id key of a child id (never 0, which the map reserves). */
static uint64_t id_key(const char *id) {
  uint64_t h = troupe_hash_str(id);
  return h ? h : 1;
}

int trS_append(trS_sup *s, trS_child *c) {
  if (s->nkids == s->capkids) {
    size_t ncap = s->capkids ? s->capkids * 2 : 8;
    trS_child **v = trB_realloc_array(s->kids, ncap, sizeof *v);
    if (!v)
      return TROUPE_E_NOMEM;
    s->kids = v;
    s->capkids = ncap;
  }
  if (c->id) {
    uint64_t h = id_key(c->id);
    c->id_next = trS_map_get(&s->by_id, h);
    if (trS_map_put(&s->by_id, h, c))
      return TROUPE_E_NOMEM;
  }
  c->pos = (uint32_t)s->nkids;
  s->kids[s->nkids++] = c;
  return TROUPE_OK;
}

static void unindex(trS_sup *s, trS_child *c) {
  uint64_t h = id_key(c->id);
  trS_child *first = trS_map_get(&s->by_id, h);
  if (first == c) {
    trS_map_del(&s->by_id, h);
    if (c->id_next) /* the map just lost an entry: this put cannot need to grow it */
      trS_map_put(&s->by_id, h, c->id_next);
  } else {
    for (trS_child *p = first; p; p = p->id_next)
      if (p->id_next == c) {
        p->id_next = c->id_next;
        break;
      }
  }
  c->id_next = NULL;
}

/* Static strategies keep start order (a shift; children are few and removal is not on
 * the restart path); simple_one_for_one swaps the last record in (O(1)). */
void trS_remove(trS_sup *s, trS_child *c) {
  if (c->removed)
    return;
  size_t i = c->pos;
  if (s->cfg.strategy == TROUPE_SIMPLE_ONE_FOR_ONE) {
    s->kids[i] = s->kids[--s->nkids];
    s->kids[i]->pos = (uint32_t)i;
  } else {
    memmove(&s->kids[i], &s->kids[i + 1], (s->nkids - i - 1) * sizeof *s->kids);
    s->nkids--;
    for (size_t j = i; j < s->nkids; j++)
      s->kids[j]->pos = (uint32_t)j;
  }
  if (c->id)
    unindex(s, c);
  c->removed = true;
  c->next_free = s->graveyard;
  s->graveyard = c;
}

void trS_recycle_graveyard(trS_sup *s) {
  while (s->graveyard) {
    trS_child *c = s->graveyard;
    s->graveyard = c->next_free;
    if (c->zombies && c->spec.arg_free) { /* released when its last zombie's EXIT comes */
      c->in_limbo = true;
      c->next_free = s->limbo;
      s->limbo = c;
      continue;
    }
    child_release(s, c);
  }
}

/* ---- zombies: processes killed after a failed start ack --------------------------- */
void trS_zombie_add(trS_sup *s, trS_child *c, troupe_actor_id pid) {
  /* Only an owned arg needs the wait. Out of memory: the arg may then be freed while
   * that process is still dying (the documented exception, not a leak). */
  if (c->spec.arg_free && trS_map_put(&s->zombies, pid, c) == TROUPE_OK)
    c->zombies++;
}

bool trS_zombie_exited(trS_sup *s, troupe_actor_id pid) {
  trS_child *c = trS_map_del(&s->zombies, pid);
  if (!c)
    return false;
  if (--c->zombies == 0 && c->in_limbo) {
    for (trS_child **pp = &s->limbo; *pp; pp = &(*pp)->next_free)
      if (*pp == c) {
        *pp = c->next_free;
        break;
      }
    c->in_limbo = false;
    child_release(s, c);
  }
  return true;
}

trS_child *trS_find_id(trS_sup *s, const char *id) {
  for (trS_child *c = trS_map_get(&s->by_id, id_key(id)); c; c = c->id_next)
    if (strcmp(c->id, id) == 0)
      return c;
  return NULL;
}

/* ---- the supervisor ------------------------------------------------------------- */
trS_sup *trS_new(troupe_runtime *rt, const troupe_sup_config *cfg,
                 const troupe_child_spec *specs, size_t n, troupe_err *err) {
  troupe_sup_config def;
  if (!cfg) {
    troupe_sup_config_init(&def);
    cfg = &def;
  }
  if (check_config(cfg, err))
    goto fail_args;
  if (n && !specs) {
    troupe_err_set(err, TROUPE_E_INVAL, "supervisor: specs is NULL");
    return NULL;
  }
  trS_sup *s = NULL;
  if (cfg->strategy == TROUPE_SIMPLE_ONE_FOR_ONE && n != 1) {
    troupe_err_set(err, TROUPE_E_INVAL, "supervisor: simple_one_for_one takes exactly one spec");
    goto fail_args;
  }
  s = trB_calloc(1, sizeof *s);
  if (!s)
    goto nomem;
  s->rt = rt;
  s->cfg = *cfg;
  s->cfg.name = NULL; /* borrowed strings are used at spawn only */
  s->cfg.metadata = NULL;
  s->period_ns = cfg->period_ms * 1000000u;
  if (s->cfg.restart_delay_ms && !s->cfg.restart_delay_max_ms)
    s->cfg.restart_delay_max_ms = s->cfg.restart_delay_ms * 32u;
  for (size_t i = 0; i < n; i++) {
    if (trS_check_spec(s, &specs[i], err))
      goto fail;
    if (cfg->strategy != TROUPE_SIMPLE_ONE_FOR_ONE && trS_find_id(s, specs[i].id)) {
      troupe_err_set(err, TROUPE_E_INVAL, "supervisor: duplicate child id '%s'", specs[i].id);
      goto fail;
    }
    if (cfg->strategy == TROUPE_SIMPLE_ONE_FOR_ONE) {
      s->tmpl = trB_calloc(1, sizeof *s->tmpl);
      if (!s->tmpl || !(s->tmpl->id = trB_strdup(specs[i].id)))
        goto nomem;
      s->tmpl->spec = specs[i];
      s->tmpl->spec.id = s->tmpl->id;
      s->tmpl->spec.arg_free = NULL; /* adopted below, once nothing can fail */
      continue;
    }
    troupe_child_spec borrowed = specs[i];
    borrowed.arg_free = NULL;
    trS_child *c = trS_child_new(s, &borrowed, NULL, 0);
    if (!c)
      goto nomem;
    if (trS_append(s, c)) {
      child_release(s, c);
      goto nomem;
    }
  }
  if (s->tmpl)
    s->tmpl->spec.arg_free = specs[0].arg_free;
  for (size_t i = 0; i < s->nkids; i++)
    s->kids[i]->spec.arg_free = specs[i].arg_free;
  return s;
nomem:
  troupe_err_set(err, TROUPE_E_NOMEM, "supervisor: out of memory");
fail:
  trS_free(s);
fail_args:
  trS_free_spec_args(specs, n); /* handed over, also on failure */
  return NULL;
}

void trS_free(trS_sup *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->nkids; i++)
    child_release(s, s->kids[i]);
  for (trS_child *c = s->graveyard; c; c = c->next_free)
    c->zombies = 0; /* the end: released now (documented) */
  trS_recycle_graveyard(s);
  while (s->limbo) {
    trS_child *c = s->limbo;
    s->limbo = c->next_free;
    child_release(s, c);
  }
  while (s->free_kids) {
    trS_child *c = s->free_kids;
    s->free_kids = c->next_free;
    free(c);
  }
  if (s->tmpl) {
    free_arg(&s->tmpl->spec);
    free(s->tmpl->id);
    free(s->tmpl);
  }
  while (s->q_head) {
    trS_op *o = s->q_head;
    s->q_head = o->next;
    free(o->rmsg);
    free(o);
  }
  while (s->op_pool) {
    trS_op *o = s->op_pool;
    s->op_pool = o->next;
    free(o);
  }
  free(s->kids);
  trS_hist_free(&s->hist);
  free(s->job.stop);
  free(s->job.start);
  free(s->job.rmsg);
  trS_map_free(&s->by_pid);
  trS_map_free(&s->by_id);
  trS_map_free(&s->by_corr);
  trS_map_free(&s->zombies);
  free(s);
}

void troupe_sup_config_init(troupe_sup_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->strategy = TROUPE_ONE_FOR_ONE;
  cfg->intensity = 5;
  cfg->period_ms = 60000;
  cfg->auto_shutdown = TROUPE_AUTO_NEVER;
}
