/*
 * actor/registry.c: the registry. By id it is the slot table itself (lock-free: a
 * generation check on type-stable memory). By name it is a hash table split into 64
 * shards, each behind a reader-writer lock: lookups in the same shard share the lock,
 * lookups in different shards touch different cache lines, and names change rarely
 * (spawn with a name, death), so an RCU-like scheme would buy little for its
 * complexity. Per-actor strings (name, metadata, health reason) sit behind one of 64
 * striped mutexes, so a snapshot of an entry is consistent.
 */
#include "actor/core.h"

pthread_mutex_t *trA_meta_lock(troupe_runtime *rt, troupe_actor *a) {
  return &rt->meta_locks[a->index % TRA_META_LOCKS];
}

int trA_names_init(troupe_runtime *rt) {
  for (unsigned i = 0; i < TRA_NAME_SHARDS; i++) {
    trA_name_shard *s = &rt->names[i];
    pthread_rwlock_init(&s->lock, NULL);
    s->buckets = NULL;
    s->nbuckets = s->count = 0;
  }
  for (unsigned i = 0; i < TRA_META_LOCKS; i++)
    pthread_mutex_init(&rt->meta_locks[i], NULL);
  return TROUPE_OK;
}

void trA_names_destroy(troupe_runtime *rt) {
  for (unsigned i = 0; i < TRA_NAME_SHARDS; i++) {
    trA_name_shard *s = &rt->names[i];
    for (size_t b = 0; b < s->nbuckets; b++) {
      trA_name_entry *e = s->buckets[b];
      while (e) {
        trA_name_entry *n = e->next;
        free(e);
        e = n;
      }
    }
    free(s->buckets);
    pthread_rwlock_destroy(&s->lock);
  }
  for (unsigned i = 0; i < TRA_META_LOCKS; i++)
    pthread_mutex_destroy(&rt->meta_locks[i]);
}

static trA_name_shard *shard_of(troupe_runtime *rt, uint64_t h) {
  return &rt->names[h % TRA_NAME_SHARDS];
}

static trA_name_entry **find(trA_name_shard *s, uint64_t h, const char *name) {
  if (!s->nbuckets)
    return NULL;
  trA_name_entry **pp = &s->buckets[(h / TRA_NAME_SHARDS) & (s->nbuckets - 1)];
  for (; *pp; pp = &(*pp)->next)
    if ((*pp)->hash == h && strcmp((*pp)->name, name) == 0)
      return pp;
  return pp;
}

static int rehash(trA_name_shard *s) {
  size_t nb = s->nbuckets ? s->nbuckets * 2 : 16;
  trA_name_entry **v = trB_calloc(nb, sizeof *v);
  if (!v)
    return TROUPE_E_NOMEM;
  for (size_t b = 0; b < s->nbuckets; b++) {
    trA_name_entry *e = s->buckets[b];
    while (e) {
      trA_name_entry *n = e->next;
      size_t i = (e->hash / TRA_NAME_SHARDS) & (nb - 1);
      e->next = v[i];
      v[i] = e;
      e = n;
    }
  }
  free(s->buckets);
  s->buckets = v;
  s->nbuckets = nb;
  return TROUPE_OK;
}

int trA_name_add(troupe_runtime *rt, const char *name, troupe_actor_id id) {
  uint64_t h = troupe_hash_str(name);
  trA_name_shard *s = shard_of(rt, h);
  size_t len = strlen(name);
  trA_name_entry *e = trB_malloc(sizeof *e + len + 1);
  if (!e)
    return TROUPE_E_NOMEM;
  e->hash = h;
  e->id = id;
  memcpy(e->name, name, len + 1);
  int rc = TROUPE_OK;
  pthread_rwlock_wrlock(&s->lock);
  if (s->count + 1 > s->nbuckets && rehash(s) != TROUPE_OK && !s->nbuckets)
    rc = TROUPE_E_NOMEM; /* a table that cannot grow still works, just slower */
  trA_name_entry **pp = rc ? NULL : find(s, h, name);
  if (pp && *pp) {
    rc = TROUPE_E_NAME_TAKEN;
  } else if (pp) {
    e->next = NULL;
    *pp = e;
    s->count++;
    e = NULL;
  }
  pthread_rwlock_unlock(&s->lock);
  free(e);
  return rc;
}

void trA_name_remove(troupe_runtime *rt, const char *name, troupe_actor_id id) {
  uint64_t h = troupe_hash_str(name);
  trA_name_shard *s = shard_of(rt, h);
  trA_name_entry *gone = NULL;
  pthread_rwlock_wrlock(&s->lock);
  trA_name_entry **pp = find(s, h, name);
  if (pp && *pp && (*pp)->id == id) {
    gone = *pp;
    *pp = gone->next;
    s->count--;
  }
  pthread_rwlock_unlock(&s->lock);
  free(gone);
}

/*
 * A name resolves only to an incarnation that accepts messages. The entry alone does not
 * say so: spawn reserves the name (trA_name_add) before it publishes the slot ALIVE, so
 * that a taken name fails the spawn before anything is visible, and death publishes DEAD
 * before it removes the name (it takes the meta lock after DEAD so that a concurrent
 * troupe_registry_register sees the death). Both windows are closed here by reading the
 * slot's gen_state while the shard's read lock pins the entry:
 *  - entry present means neither its removal (death, after DEAD) nor a reuse of the slot
 *    (after the removal) has happened, so the generation still matches;
 *  - FREE: the spawn has not published yet -> NOTFOUND (the name is reserved, not
 *    visible: a spawn with the same name fails NAME_TAKEN meanwhile);
 *  - DEAD: the name goes away at the DEAD store, the moment sends start to fail ->
 *    NOTFOUND, as if the removal that follows had already happened;
 *  - ALIVE: found. Sends through this id load gen_state later (acquire, trA_slot); by
 *    read-read coherence they read this value or a later one in its modification order,
 *    and the only later values are DEAD and the next generations: a send can then fail
 *    with NOTFOUND only once this incarnation's death has begun. Coherence is all this
 *    needs; the acquire is for the caller who goes on to read the actor's published
 *    fields (registry_info does its own check anyway).
 * The lookup's linearisation point is this load.
 */
int troupe_registry_lookup(troupe_runtime *rt, const char *name, troupe_actor_id *id) {
  if (!rt || !name || !id)
    return TROUPE_E_INVAL;
  uint64_t h = troupe_hash_str(name);
  trA_name_shard *s = shard_of(rt, h);
  int rc = TROUPE_E_NOTFOUND;
  pthread_rwlock_rdlock(&s->lock);
  trA_name_entry **pp = find(s, h, name);
  if (pp && *pp) {
    troupe_actor_id found = (*pp)->id;
    troupe_actor *a = trA_segtab_get(&rt->slots, TRA_ID_IDX(found));
    uint64_t gs = a ? atomic_load_explicit(&a->gen_state, memory_order_acquire) : 0;
    /* Not DOOMED either: after troupe_exit(KILL) the incarnation receives nothing more,
     * so its name no longer resolves (the entry itself goes when the death runs). */
    if (TRA_GEN(gs) == TRA_ID_GEN(found) && TRA_STATE(gs) == TRA_SLOT_ALIVE &&
        !TRA_DOOMED(gs)) {
      *id = found;
      rc = TROUPE_OK;
    }
  }
  pthread_rwlock_unlock(&s->lock);
  return rc;
}

/* The slot of a live id with its meta lock held, or NULL (lock not held). Holding the
 * lock pins the incarnation's strings: death takes the same lock to free them. */
troupe_actor *trA_lock_live(troupe_runtime *rt, troupe_actor_id id) {
  if (!id)
    return NULL;
  troupe_actor *a = trA_segtab_get(&rt->slots, TRA_ID_IDX(id));
  if (!a)
    return NULL;
  pthread_mutex_lock(trA_meta_lock(rt, a));
  uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
  if (TRA_GEN(gs) != TRA_ID_GEN(id) || TRA_STATE(gs) != TRA_SLOT_ALIVE) {
    pthread_mutex_unlock(trA_meta_lock(rt, a));
    return NULL;
  }
  return a;
}

trA_meta *trA_meta_get(troupe_actor *a) {
  trA_meta *m = atomic_load_explicit(&a->meta, memory_order_relaxed);
  if (!m) {
    m = trB_calloc(1, sizeof *m);
    if (m)
      atomic_store_explicit(&a->meta, m, memory_order_relaxed);
  }
  return m;
}

int troupe_registry_register(troupe_runtime *rt, troupe_actor_id id, const char *name) {
  if (!rt || !name)
    return TROUPE_E_INVAL;
  troupe_actor *a = trA_lock_live(rt, id);
  if (!a)
    return TROUPE_E_NOTFOUND;
  int rc = TROUPE_E_NOMEM;
  trA_meta *m = trA_meta_get(a);
  char *copy = trB_strdup(name);
  if (m && copy) {
    if (m->name)
      rc = TROUPE_E_EXISTS;
    else if ((rc = trA_name_add(rt, name, id)) == TROUPE_OK) {
      m->name = copy;
      copy = NULL;
    }
  }
  pthread_mutex_unlock(trA_meta_lock(rt, a));
  free(copy);
  return rc;
}

int troupe_registry_unregister(troupe_runtime *rt, const char *name) {
  troupe_actor_id id;
  int rc = troupe_registry_lookup(rt, name, &id);
  if (rc)
    return rc;
  troupe_actor *a = trA_lock_live(rt, id);
  if (!a)
    return TROUPE_E_NOTFOUND;
  trA_meta *m = atomic_load_explicit(&a->meta, memory_order_relaxed);
  if (m && m->name && strcmp(m->name, name) == 0) {
    trA_name_remove(rt, name, id);
    free(m->name);
    m->name = NULL;
  }
  pthread_mutex_unlock(trA_meta_lock(rt, a));
  return TROUPE_OK;
}

static int set_str(troupe_runtime *rt, troupe_actor_id id, size_t off, const char *v) {
  if (!rt)
    return TROUPE_E_INVAL;
  char *copy = v ? trB_strdup(v) : NULL;
  if (v && !copy)
    return TROUPE_E_NOMEM;
  troupe_actor *a = trA_lock_live(rt, id);
  if (!a) {
    free(copy);
    return TROUPE_E_NOTFOUND;
  }
  trA_meta *m = trA_meta_get(a);
  if (!m) {
    pthread_mutex_unlock(trA_meta_lock(rt, a));
    free(copy);
    return TROUPE_E_NOMEM;
  }
  char **slot = (char **)(void *)((char *)m + off);
  free(*slot);
  *slot = copy;
  pthread_mutex_unlock(trA_meta_lock(rt, a));
  return TROUPE_OK;
}

int troupe_registry_set_metadata(troupe_runtime *rt, troupe_actor_id id, const char *metadata) {
  return set_str(rt, id, offsetof(trA_meta, metadata), metadata);
}

int troupe_registry_set_health(troupe_runtime *rt, troupe_actor_id id, troupe_health h,
                               const char *reason) {
  if ((unsigned)h > TROUPE_HEALTH_UNHEALTHY)
    return TROUPE_E_INVAL;
  int rc = set_str(rt, id, offsetof(trA_meta, health_reason), reason);
  if (rc)
    return rc;
  troupe_actor *a = trA_segtab_get(&rt->slots, TRA_ID_IDX(id));
  /* Relaxed: a status value; the event below is the durable record. */
  uint8_t old = atomic_exchange_explicit(&a->health, (uint8_t)h, memory_order_relaxed);
  if (old != (uint8_t)h && trA_event_enabled(rt, TROUPE_LOG_INFO)) {
    troupe_log_field f[] = {TROUPE_LOG_STR("health", troupe_health_name(h)),
                            TROUPE_LOG_STR("was", troupe_health_name((troupe_health)old)),
                            TROUPE_LOG_STR("reason", reason ? reason : "")};
    trA_event(rt, h == TROUPE_HEALTH_HEALTHY ? TROUPE_LOG_INFO : TROUPE_LOG_WARN, "actor.health",
              id, f, 3);
  }
  return TROUPE_OK;
}

int troupe_registry_set_restart_count(troupe_runtime *rt, troupe_actor_id id, uint32_t n) {
  troupe_actor *a = rt ? trA_slot(rt, id) : NULL;
  if (!a)
    return TROUPE_E_NOTFOUND;
  atomic_store_explicit(&a->restarts, n, memory_order_relaxed);
  return TROUPE_OK;
}

/* Fill `info` from a locked live slot; strings borrowed from the meta. */
static void fill(troupe_actor *a, troupe_actor_id id, troupe_actor_info *info) {
  const troupe_behaviour *b = atomic_load_explicit(&a->b, memory_order_relaxed);
  trA_meta *m = atomic_load_explicit(&a->meta, memory_order_relaxed);
  info->id = id;
  info->parent = atomic_load_explicit(&a->parent, memory_order_relaxed);
  info->status = (troupe_actor_status)atomic_load_explicit(&a->status, memory_order_relaxed);
  info->health = (troupe_health)atomic_load_explicit(&a->health, memory_order_relaxed);
  info->restart_count = atomic_load_explicit(&a->restarts, memory_order_relaxed);
  info->start_time_ns = atomic_load_explicit(&a->start_wall, memory_order_relaxed);
  info->behaviour = b && b->name ? b->name : "";
  info->name = m ? m->name : NULL;
  info->metadata = m ? m->metadata : NULL;
  info->health_reason = m ? m->health_reason : NULL;
}

static char *dup_or_null(const char *s) { return s ? trB_strdup(s) : NULL; }

void troupe_actor_info_clear(troupe_actor_info *info) {
  if (!info)
    return;
  free(info->name);
  free(info->metadata);
  free(info->health_reason);
  memset(info, 0, sizeof *info);
}

int troupe_registry_info(troupe_runtime *rt, troupe_actor_id id, troupe_actor_info *info) {
  if (!rt)
    return TROUPE_E_INVAL;
  troupe_actor *a = trA_lock_live(rt, id);
  if (!a)
    return TROUPE_E_NOTFOUND;
  int rc = TROUPE_OK;
  if (info) {
    troupe_actor_info tmp;
    fill(a, id, &tmp);
    *info = tmp;
    info->name = dup_or_null(tmp.name);
    info->metadata = dup_or_null(tmp.metadata);
    info->health_reason = dup_or_null(tmp.health_reason);
    if ((tmp.name && !info->name) || (tmp.metadata && !info->metadata) ||
        (tmp.health_reason && !info->health_reason)) {
      troupe_actor_info_clear(info);
      rc = TROUPE_E_NOMEM;
    }
  }
  pthread_mutex_unlock(trA_meta_lock(rt, a));
  return rc;
}

size_t troupe_registry_foreach(troupe_runtime *rt, troupe_registry_visit_fn fn, void *user) {
  if (!rt || !fn)
    return 0;
  size_t n = 0;
  uint32_t used = trA_segtab_used(&rt->slots);
  for (uint32_t i = 0; i < used; i++) {
    troupe_actor *a = trA_segtab_get(&rt->slots, i);
    if (!a)
      continue;
    uint64_t gs = atomic_load_explicit(&a->gen_state, memory_order_acquire);
    if (TRA_STATE(gs) != TRA_SLOT_ALIVE)
      continue;
    troupe_actor_info info;
    if (troupe_registry_info(rt, TRA_ID(i, TRA_GEN(gs)), &info) != TROUPE_OK)
      continue;
    n++;
    bool go_on = fn(user, &info); /* no lock held: the callback may use the registry */
    troupe_actor_info_clear(&info);
    if (!go_on)
      break;
  }
  return n;
}
