/*
 * actor/link.c: links and monitors. Each side's sets live in the actor's extras, owned
 * by the worker running the actor, so a request about another actor travels as a
 * priority-lane signal (LINK, UNLINK, MONITOR, DEMONITOR) and that actor updates its
 * own sets. A request that finds the target dead is answered with noproc, like OTP.
 */
#include "actor/core.h"

uint64_t trA_corr_new(troupe_runtime *rt) {
  /* Relaxed: only uniqueness matters. */
  uint64_t n = atomic_fetch_add_explicit(&rt->mon_ref, 1, memory_order_relaxed) + 1;
  return n << 32 | 0xffffffffu;
}

trA_ext *trA_ext_get(troupe_actor *a) {
  if (!a->ext)
    a->ext = trB_calloc(1, sizeof *a->ext);
  return a->ext;
}

void trA_ext_free(troupe_runtime *rt, troupe_actor *a) {
  trA_ext *x = a->ext;
  if (!x)
    return;
  while (x->def_head) {
    trA_msg *d = x->def_head;
    x->def_head = (trA_msg *)(void *)atomic_load_explicit(&d->link.next, memory_order_relaxed);
    trA_uncount(a, d);
    trA_drop(rt, d, trA_self_id(a));
  }
  free(x->links);
  free(x->lidx);
  free(x->mons);
  free(x->mine);
  free(x->exit_msg);
  free(x->held);
  free(x->waits);
  free(x);
  a->ext = NULL;
}

void trA_defer(troupe_actor *a, trA_msg *m) {
  trA_ext *x = a->ext;
  atomic_store_explicit(&m->link.next, NULL, memory_order_relaxed);
  if (x->def_tail)
    atomic_store_explicit(&x->def_tail->link.next, &m->link, memory_order_relaxed);
  else
    x->def_head = m;
  x->def_tail = m;
}

static int grow(void **v, uint32_t *cap, size_t elem) {
  uint32_t ncap = *cap ? *cap * 2 : 4;
  void *nv = trB_realloc_array(*v, ncap, elem);
  if (!nv)
    return TROUPE_E_NOMEM;
  *v = nv;
  *cap = ncap;
  return TROUPE_OK;
}

/* ---- link sets ------------------------------------------------------------------
 * A dense array (what a death iterates) plus, once it passes TRA_LINK_HASH_MIN entries
 * (a supervisor with many dynamic children), a linear-probing index over it, so the
 * EXIT of one child costs O(1) instead of a scan. Removal swaps the last entry into the
 * hole and deletes from the index by backward shift (no tombstones). */
#define TRA_LINK_HASH_MIN 32

static uint32_t link_home(const trA_ext *x, troupe_actor_id id) {
  return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & x->lidx_mask;
}

/* The index slot holding id, or the empty slot where it would go. */
static uint32_t link_slot(const trA_ext *x, troupe_actor_id id) {
  uint32_t h = link_home(x, id);
  while (x->lidx[h] && x->links[x->lidx[h] - 1] != id)
    h = (h + 1) & x->lidx_mask;
  return h;
}

/* (Re)build the index for at least `want` links (load factor <= 1/2). */
static int link_index_build(trA_ext *x, uint32_t want) {
  uint32_t cap = 64;
  while (cap < 2 * want)
    cap *= 2;
  uint32_t *t = trB_calloc(cap, sizeof *t);
  if (!t)
    return TROUPE_E_NOMEM;
  free(x->lidx);
  x->lidx = t;
  x->lidx_mask = cap - 1;
  for (uint32_t i = 0; i < x->nlinks; i++)
    t[link_slot(x, x->links[i])] = i + 1;
  return TROUPE_OK;
}

bool trA_link_has(troupe_actor *a, troupe_actor_id id) {
  trA_ext *x = a->ext;
  if (!x)
    return false;
  if (x->lidx)
    return x->lidx[link_slot(x, id)] != 0;
  for (uint32_t i = 0; i < x->nlinks; i++)
    if (x->links[i] == id)
      return true;
  return false;
}

int trA_link_add(troupe_actor *a, troupe_actor_id id) {
  if (trA_link_has(a, id))
    return TROUPE_OK;
  trA_ext *x = trA_ext_get(a);
  if (!x)
    return TROUPE_E_NOMEM;
  if (x->nlinks == x->caplinks && grow((void **)&x->links, &x->caplinks, sizeof *x->links))
    return TROUPE_E_NOMEM;
  if ((x->lidx || x->nlinks + 1 > TRA_LINK_HASH_MIN) &&
      (!x->lidx || 2 * (x->nlinks + 1) > x->lidx_mask + 1) &&
      link_index_build(x, x->nlinks + 1))
    return TROUPE_E_NOMEM;
  x->links[x->nlinks++] = id;
  if (x->lidx)
    x->lidx[link_slot(x, id)] = x->nlinks;
  atomic_fetch_or_explicit(&a->traits, TRA_TR_LINKED, memory_order_relaxed); /* hint */
  return TROUPE_OK;
}

/* Delete index slot s by backward shift: later entries of the probe run whose home is
 * not cyclically in (s, j] move back into the hole. */
static void link_index_delete(trA_ext *x, uint32_t s) {
  uint32_t m = x->lidx_mask, j = s;
  for (;;) {
    j = (j + 1) & m;
    if (!x->lidx[j])
      break;
    uint32_t k = link_home(x, x->links[x->lidx[j] - 1]);
    bool stays = s <= j ? (s < k && k <= j) : (s < k || k <= j);
    if (!stays) {
      x->lidx[s] = x->lidx[j];
      s = j;
    }
  }
  x->lidx[s] = 0;
}

void trA_link_remove(troupe_actor *a, troupe_actor_id id) {
  trA_ext *x = a->ext;
  if (!x)
    return;
  uint32_t i;
  if (x->lidx) {
    uint32_t s = link_slot(x, id);
    if (!x->lidx[s])
      return;
    i = x->lidx[s] - 1;
    link_index_delete(x, s);
  } else {
    for (i = 0; i < x->nlinks && x->links[i] != id; i++)
      ;
    if (i == x->nlinks)
      return;
  }
  uint32_t last = --x->nlinks;
  if (i != last) {
    x->links[i] = x->links[last];
    if (x->lidx)
      x->lidx[link_slot(x, x->links[i])] = i + 1;
  }
}

int trA_mon_add(trA_mon **v, uint32_t *n, uint32_t *cap, troupe_actor_id who, uint64_t ref) {
  if (*n == *cap && grow((void **)v, cap, sizeof **v))
    return TROUPE_E_NOMEM;
  (*v)[(*n)++] = (trA_mon){who, ref};
  return TROUPE_OK;
}

bool trA_mon_remove(trA_mon *v, uint32_t *n, uint64_t ref, troupe_actor_id *who) {
  for (uint32_t i = 0; i < *n; i++)
    if (v[i].ref == ref) {
      if (who)
        *who = v[i].who;
      v[i] = v[--*n];
      return true;
    }
  return false;
}

/* ---- public API (self only) ----------------------------------------------------- */
static bool is_self(troupe_actor *self) { return self && trA_current_actor() == self; }

int troupe_link(troupe_actor *self, troupe_actor_id other) {
  if (!is_self(self))
    return TROUPE_E_STATE;
  troupe_runtime *rt = self->rt;
  troupe_actor_id me = trA_self_id(self);
  if (other == me || trA_link_has(self, other))
    return TROUPE_OK;
  if (trA_link_add(self, other))
    return TROUPE_E_NOMEM;
  int rc = trA_signal(rt, other, &(trA_sig){.kind = TRA_K_LINK, .from = me});
  if (rc == TROUPE_E_NOTFOUND || rc == TROUPE_E_STOPPED) {
    /* Dead already: we get exit(noproc) as if it had died while linked. */
    return trA_signal(rt, me, &(trA_sig){.kind = TRA_K_SIGNAL, .from = other,
                                         .exit_kind = TROUPE_EXIT_NOPROC,
                                         .mflags = TRA_MF_VIA_LINK});
  }
  if (rc)
    trA_link_remove(self, other);
  return rc;
}

int troupe_unlink(troupe_actor *self, troupe_actor_id other) {
  if (!is_self(self))
    return TROUPE_E_STATE;
  if (!trA_link_has(self, other))
    return TROUPE_OK;
  trA_link_remove(self, other);
  int rc = trA_signal(self->rt, other, &(trA_sig){.kind = TRA_K_UNLINK,
                                                  .from = trA_self_id(self)});
  return rc == TROUPE_E_NOTFOUND ? TROUPE_OK : rc;
}

int troupe_monitor(troupe_actor *self, troupe_actor_id target, uint64_t *ref) {
  if (!is_self(self) || !ref)
    return self ? TROUPE_E_INVAL : TROUPE_E_STATE;
  troupe_runtime *rt = self->rt;
  troupe_actor_id me = trA_self_id(self);
  trA_ext *x = trA_ext_get(self);
  if (!x)
    return TROUPE_E_NOMEM;
  uint64_t r = trA_corr_new(rt);
  if (trA_mon_add(&x->mine, &x->nmine, &x->capmine, target, r))
    return TROUPE_E_NOMEM;
  *ref = r;
  int rc = trA_signal(rt, target, &(trA_sig){.kind = TRA_K_MONITOR, .from = me, .corr = r});
  if (rc == TROUPE_E_NOTFOUND || rc == TROUPE_E_STOPPED)
    return trA_signal(rt, me, &(trA_sig){.kind = TROUPE_MSG_DOWN, .from = target, .corr = r,
                                         .exit_kind = TROUPE_EXIT_NOPROC});
  if (rc)
    trA_mon_remove(x->mine, &x->nmine, r, NULL);
  return rc;
}

int troupe_demonitor(troupe_actor *self, uint64_t ref) {
  if (!is_self(self))
    return TROUPE_E_STATE;
  troupe_actor_id target;
  if (!self->ext || !trA_mon_remove(self->ext->mine, &self->ext->nmine, ref, &target))
    return TROUPE_E_NOTFOUND;
  int rc = trA_signal(self->rt, target, &(trA_sig){.kind = TRA_K_DEMONITOR,
                                                   .from = trA_self_id(self), .corr = ref});
  return rc == TROUPE_E_NOTFOUND ? TROUPE_OK : rc;
}
