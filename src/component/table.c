/*
 * component/table.c: the host's components by id and by name. Two open-addressing hash
 * tables (linear probing, tombstones, grown at 1/2 load) under one reader-writer lock:
 * lookups (every send by id or name) take it shared, spawns and removals exclusive.
 * Records are reference counted, so a lookup returns a reference and the lock is held
 * only for the probe.
 */
#include "component/comp.h"

#define TOMB ((trP_rec *)(uintptr_t)1)

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

int trP_table_init(trP_table *t) {
  memset(t, 0, sizeof *t);
  if (pthread_rwlock_init(&t->lock, NULL))
    return TROUPE_E_NOMEM;
  return TROUPE_OK;
}

void trP_table_destroy(trP_table *t) {
  free(t->ids);
  free(t->names);
  pthread_rwlock_destroy(&t->lock);
}

/* Linear probing from `start` for the entry `same` accepts: its slot, or the first
 * empty one (for an insert, the first tombstone passed if any). One probe for both
 * tables; they differ only in the hash and the key compared. */
static size_t probe(trP_rec **v, size_t cap, size_t start,
                    bool (*same)(const trP_rec *, const void *), const void *key,
                    bool for_insert) {
  size_t mask = cap - 1, i = start & mask, tomb = SIZE_MAX;
  for (;; i = (i + 1) & mask) {
    trP_rec *e = v[i];
    if (!e)
      return for_insert && tomb != SIZE_MAX ? tomb : i;
    if (e == TOMB) {
      if (tomb == SIZE_MAX)
        tomb = i;
      continue;
    }
    if (same(e, key))
      return i;
  }
}

static bool same_id(const trP_rec *e, const void *key) {
  return e->id == *(const troupe_component_id *)key;
}

static bool same_name(const trP_rec *e, const void *key) {
  return strcmp(e->name, key) == 0;
}

static size_t id_slot(trP_rec **v, size_t cap, troupe_component_id id, bool for_insert) {
  return probe(v, cap, (size_t)mix(id), same_id, &id, for_insert);
}

static size_t name_slot(trP_rec **v, size_t cap, const char *name, bool for_insert) {
  return probe(v, cap, (size_t)troupe_hash_str(name), same_name, name, for_insert);
}

/* Rebuild both tables at a capacity for n live entries (drops tombstones). */
static int rebuild(trP_table *t, size_t n) {
  size_t cap = 16;
  while (cap < 2 * (n + 1))
    cap *= 2;
  trP_rec **ids = trB_calloc(cap, sizeof *ids);
  trP_rec **names = trB_calloc(cap, sizeof *names);
  if (!ids || !names) {
    free(ids);
    free(names);
    return TROUPE_E_NOMEM;
  }
  for (size_t i = 0; i < t->ids_cap; i++) {
    trP_rec *e = t->ids[i];
    if (!e || e == TOMB)
      continue;
    ids[id_slot(ids, cap, e->id, true)] = e;
    names[name_slot(names, cap, e->name, true)] = e;
  }
  free(t->ids);
  free(t->names);
  t->ids = ids;
  t->names = names;
  t->ids_cap = t->names_cap = cap;
  t->ids_used = t->names_used = t->ids_n;
  return TROUPE_OK;
}

int trP_table_insert(trP_table *t, trP_rec *r, troupe_err *err) {
  pthread_rwlock_wrlock(&t->lock);
  if (t->ids_cap && t->names[name_slot(t->names, t->names_cap, r->name, false)]) {
    pthread_rwlock_unlock(&t->lock);
    return troupe_err_set(err, TROUPE_E_NAME_TAKEN, "a component named '%s' exists", r->name);
  }
  if (2 * (t->ids_used + 1) > t->ids_cap && rebuild(t, t->ids_n + 1)) {
    pthread_rwlock_unlock(&t->lock);
    return troupe_err_set(err, TROUPE_E_NOMEM, "component table: out of memory");
  }
  size_t i = id_slot(t->ids, t->ids_cap, r->id, true);
  if (!t->ids[i])
    t->ids_used++;
  t->ids[i] = trP_rec_ref(r);
  size_t j = name_slot(t->names, t->names_cap, r->name, true);
  if (!t->names[j])
    t->names_used++;
  t->names[j] = r;
  t->ids_n++;
  r->nth = ++t->nth;
  pthread_rwlock_unlock(&t->lock);
  return TROUPE_OK;
}

void trP_table_remove(trP_table *t, trP_rec *r) {
  bool found = false;
  pthread_rwlock_wrlock(&t->lock);
  if (t->ids_cap) {
    size_t i = id_slot(t->ids, t->ids_cap, r->id, false);
    if (t->ids[i] == r) {
      t->ids[i] = TOMB;
      size_t j = name_slot(t->names, t->names_cap, r->name, false);
      if (t->names[j] == r)
        t->names[j] = TOMB;
      t->ids_n--;
      found = true;
    }
  }
  pthread_rwlock_unlock(&t->lock);
  if (found)
    trP_rec_unref(r);
}

trP_rec *trP_table_get(trP_table *t, troupe_component_id id) {
  trP_rec *r = NULL;
  pthread_rwlock_rdlock(&t->lock);
  if (t->ids_cap && id) {
    trP_rec *e = t->ids[id_slot(t->ids, t->ids_cap, id, false)];
    if (e && e != TOMB)
      r = trP_rec_ref(e);
  }
  pthread_rwlock_unlock(&t->lock);
  return r;
}

trP_rec *trP_table_find(trP_table *t, const char *name) {
  trP_rec *r = NULL;
  pthread_rwlock_rdlock(&t->lock);
  if (t->names_cap && name) {
    trP_rec *e = t->names[name_slot(t->names, t->names_cap, name, false)];
    if (e && e != TOMB)
      r = trP_rec_ref(e);
  }
  pthread_rwlock_unlock(&t->lock);
  return r;
}

static int by_nth(const void *a, const void *b) {
  const trP_rec *x = *(trP_rec *const *)a, *y = *(trP_rec *const *)b;
  return x->nth < y->nth ? -1 : x->nth > y->nth;
}

int trP_table_snapshot(trP_table *t, trP_rec ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  pthread_rwlock_rdlock(&t->lock);
  trP_rec **v = t->ids_n ? trB_calloc(t->ids_n, sizeof *v) : NULL;
  if (t->ids_n && !v) {
    pthread_rwlock_unlock(&t->lock);
    return TROUPE_E_NOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < t->ids_cap; i++)
    if (t->ids[i] && t->ids[i] != TOMB)
      v[k++] = trP_rec_ref(t->ids[i]);
  pthread_rwlock_unlock(&t->lock);
  if (k)
    qsort(v, k, sizeof *v, by_nth);
  *out = v;
  *n = k;
  return TROUPE_OK;
}
