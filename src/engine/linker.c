/*
 * engine/linker.c: the linker (host definitions and registered instances, resolved by
 * exact (module, name) bytes) and store groups -- the sets of instances and linkers that
 * may hold each other's function references and are therefore destroyed together
 * (instance.h, docs/ENGINE.md). instance.c resolves imports through trE_linker_lookup
 * and joins groups through trE_group_join.
 */
#include "engine/instance.h"

#include <pthread.h>
#include <string.h>

/* ---- store groups ------------------------------------------------------------------ */

/* One lock for every group operation. Only instances linked to other instances or to a
 * linker's tables and reference globals ever take it (at instantiation and at free); an
 * instance importing only host functions and memories never does, so a million
 * independent actors do not contend on it. */
static pthread_mutex_t group_lock = PTHREAD_MUTEX_INITIALIZER;

static trE_group *group_root(trE_group *g) {
  trE_group *r = g;
  while (r->parent)
    r = r->parent;
  while (g != r) { /* path compression: later lookups are one step */
    trE_group *up = g->parent;
    g->parent = r;
    g = up;
  }
  return r;
}

static bool group_add(trE_group *g, trE_inst *inst) {
  trE_group *r = group_root(g);
  if (r->nmembers == r->cap) {
    uint32_t n = r->cap ? r->cap * 2 : 4;
    trE_inst **m = trB_realloc_array(r->members, n, sizeof *m);
    if (!m)
      return false;
    r->members = m;
    r->cap = n;
  }
  r->members[r->nmembers++] = inst;
  r->handles++;
  inst->group = r;
  return true;
}

/* A fresh group holding `inst` (its handle included). */
static trE_group *group_for(trE_inst *inst) {
  if (inst->group)
    return inst->group;
  trE_group *g = trB_calloc(1, sizeof *g);
  if (g && !group_add(g, inst)) {
    free(g);
    return NULL;
  }
  return g;
}

/* Merge the groups of a and b (the larger absorbs the smaller: members move once per
 * doubling, as in union by size). */
static bool group_merge(trE_group *a, trE_group *b) {
  trE_group *ra = group_root(a), *rb = group_root(b);
  if (ra == rb)
    return true;
  if (rb->nmembers > ra->nmembers) {
    trE_group *t = ra;
    ra = rb;
    rb = t;
  }
  if (rb->nmembers > ra->cap - ra->nmembers) {
    size_t n = (size_t)ra->nmembers + rb->nmembers;
    if (n < (size_t)ra->cap * 2)
      n = (size_t)ra->cap * 2;
    if (n > UINT32_MAX)
      return false;
    trE_inst **m = trB_realloc_array(ra->members, n, sizeof *m);
    if (!m)
      return false;
    ra->members = m;
    ra->cap = (uint32_t)n;
  }
  if (rb->nmembers)
    memcpy(ra->members + ra->nmembers, rb->members, rb->nmembers * sizeof *rb->members);
  ra->nmembers += rb->nmembers;
  ra->handles += rb->handles;
  free(rb->members);
  rb->members = NULL;
  rb->nmembers = rb->cap = rb->handles = 0;
  /* rb and everything it absorbed are freed with ra */
  trE_group *list = rb->absorbed;
  rb->absorbed = NULL;
  while (list) {
    trE_group *next = list->next;
    list->next = ra->absorbed;
    ra->absorbed = list;
    list = next;
  }
  rb->next = ra->absorbed;
  ra->absorbed = rb;
  rb->parent = ra;
  return true;
}

/* Drop one embedder handle on g's group; the last one destroys the whole group. */
void trE_group_drop(trE_group *g) {
  pthread_mutex_lock(&group_lock);
  trE_group *r = group_root(g);
  bool last = --r->handles == 0;
  pthread_mutex_unlock(&group_lock);
  if (!last)
    return; /* nobody can reach the group any more: no lock needed from here */
  for (uint32_t i = 0; i < r->nmembers; i++)
    trE_inst_destroy(r->members[i]);
  free(r->members);
  for (trE_group *x = r->absorbed, *next; x; x = next) {
    next = x->next;
    free(x);
  }
  free(r);
}

/* Join inst to the linker's group (instantiation, when an import lets references flow). */
bool trE_group_join(const troupe_wasm_linker *l, trE_inst *inst) {
  pthread_mutex_lock(&group_lock);
  bool ok = l->group && group_add(l->group, inst);
  pthread_mutex_unlock(&group_lock);
  return ok;
}

/* ---- the linker ------------------------------------------------------------------- */

/* Stamps of linker states (instance.h): relaxed, only uniqueness matters. */
static _Atomic uint64_t stamps;

static uint64_t new_stamp(void) {
  return atomic_fetch_add_explicit(&stamps, 1, memory_order_relaxed) + 1;
}

troupe_wasm_linker *troupe_wasm_linker_new(void) {
  troupe_wasm_linker *l = trB_calloc(1, sizeof(troupe_wasm_linker));
  if (l) {
    atomic_init(&l->refcount, 1);
    l->stamp = new_stamp();
  }
  return l;
}

void trE_linker_release(troupe_wasm_linker *l) {
  /* acq_rel: the last releaser sees every other holder's reads done before freeing */
  if (!l || atomic_fetch_sub_explicit(&l->refcount, 1, memory_order_acq_rel) != 1)
    return;
  for (uint32_t i = 0; i < l->ndefs; i++) {
    free(l->defs[i]->module);
    free(l->defs[i]->name);
    free(l->defs[i]->ft.types);
    free(l->defs[i]);
  }
  free(l->defs);
  free(l);
}

void troupe_wasm_linker_free(troupe_wasm_linker *l) {
  if (!l)
    return;
  /* the shared objects go now; host function types and names stay for the instances */
  for (uint32_t i = 0; i < l->ndefs; i++) {
    trE_ldef *d = l->defs[i];
    if (!d->from) {
      trE_memory_release(d->mem);
      trE_table_release(d->table);
      trE_hostglobal_release(d->hostg);
    }
    d->mem = NULL;
    d->table = NULL;
    d->hostg = NULL;
    d->global = NULL;
    d->func = NULL;
  }
  trE_group *g = l->group;
  l->group = NULL;
  if (g)
    trE_group_drop(g);
  trE_linker_release(l);
}

void trE_linker_ref(const troupe_wasm_linker *l) {
  /* relaxed: the caller's handle keeps the linker alive meanwhile; the cast is sound, the
   * count is the one field a shared, otherwise read-only linker changes */
  atomic_fetch_add_explicit(&((troupe_wasm_linker *)l)->refcount, 1, memory_order_relaxed);
}

/* The linker's group, made on first need. */
static int linker_group(troupe_wasm_linker *l, troupe_err *err) {
  if (l->group)
    return TROUPE_OK;
  trE_group *g = trB_calloc(1, sizeof *g);
  if (!g)
    return troupe_err_set(err, TROUPE_E_NOMEM, "linker: out of memory");
  g->handles = 1;
  pthread_mutex_lock(&group_lock);
  l->group = g;
  pthread_mutex_unlock(&group_lock);
  return TROUPE_OK;
}

static char *name_dup(const char *s, size_t len) {
  char *c = trB_malloc(len + 1);
  if (c) {
    if (len)
      memcpy(c, s, len);
    c[len] = '\0';
  }
  return c;
}

static trE_ldef *add_def(troupe_wasm_linker *l, const char *module, size_t module_len,
                     const char *name, size_t name_len, troupe_wasm_externkind kind,
                     troupe_err *err) {
  if (!l || !module || !name) {
    troupe_err_set(err, TROUPE_E_INVAL, "linker: missing linker, module or name");
    return NULL;
  }
  if (l->ndefs == l->cap) {
    uint32_t n = l->cap ? l->cap * 2 : 16;
    trE_ldef **d = trB_realloc_array(l->defs, n, sizeof *d);
    if (!d) {
      troupe_err_set(err, TROUPE_E_NOMEM, "linker: out of memory");
      return NULL;
    }
    l->defs = d;
    l->cap = n;
  }
  trE_ldef *d = trB_calloc(1, sizeof *d);
  if (d) {
    d->module = name_dup(module, module_len);
    d->name = name_dup(name, name_len);
  }
  if (!d || !d->module || !d->name) {
    if (d) {
      free(d->module);
      free(d->name);
    }
    free(d);
    troupe_err_set(err, TROUPE_E_NOMEM, "linker: out of memory");
    return NULL;
  }
  d->module_len = module_len;
  d->name_len = name_len;
  d->kind = kind;
  l->defs[l->ndefs++] = d;
  l->stamp = new_stamp(); /* a later definition may shadow what a memo holds */
  return d;
}

static bool valtype_ok(uint8_t t) {
  switch (t) {
  case TROUPE_WASM_I32: case TROUPE_WASM_I64: case TROUPE_WASM_F32: case TROUPE_WASM_F64:
  case TROUPE_WASM_FUNCREF: case TROUPE_WASM_EXTERNREF:
    return true;
  default:
    return false;
  }
}

int troupe_wasm_linker_define_func(troupe_wasm_linker *l, const char *module, const char *name,
                                   const troupe_wasm_functype *type, troupe_wasm_host_fn fn,
                                   void *user, troupe_err *err) {
  if (!type || !fn)
    return troupe_err_set(err, TROUPE_E_INVAL, "linker: missing type or function");
  size_t n = (size_t)type->nparams + type->nresults;
  for (uint32_t i = 0; i < type->nparams; i++)
    if (!valtype_ok(type->params[i]))
      return troupe_err_set(err, TROUPE_E_INVAL, "linker: bad parameter type");
  for (uint32_t i = 0; i < type->nresults; i++)
    if (!valtype_ok(type->results[i]))
      return troupe_err_set(err, TROUPE_E_INVAL, "linker: bad result type");
  uint8_t *types = trB_malloc(n ? n : 1);
  if (!types)
    return troupe_err_set(err, TROUPE_E_NOMEM, "linker: out of memory");
  if (type->nparams)
    memcpy(types, type->params, type->nparams);
  if (type->nresults)
    memcpy(types + type->nparams, type->results, type->nresults);
  trE_ldef *d = add_def(l, module, module ? strlen(module) : 0, name, name ? strlen(name) : 0,
                    TROUPE_WASM_EXTERN_FUNC, err);
  if (!d) {
    free(types);
    return err ? err->code : TROUPE_E_NOMEM;
  }
  d->ft = (trE_functype){.nparams = type->nparams, .nresults = type->nresults, .types = types,
                         .hash = troupe_hash64(types, n, type->nparams)};
  d->fn = fn;
  d->user = user;
  return TROUPE_OK;
}

int troupe_wasm_linker_define_global(troupe_wasm_linker *l, const char *module, const char *name,
                                     troupe_wasm_val value, bool mutable_, troupe_err *err) {
  if (!valtype_ok(value.type))
    return troupe_err_set(err, TROUPE_E_INVAL, "linker: bad global type");
  bool ref = value.type == TROUPE_WASM_FUNCREF || value.type == TROUPE_WASM_EXTERNREF;
  if (ref && l && linker_group(l, err))
    return TROUPE_E_NOMEM;
  trE_hostglobal *g = trB_calloc(1, sizeof *g);
  if (!g)
    return troupe_err_set(err, TROUPE_E_NOMEM, "linker: out of memory");
  trE_ldef *d = add_def(l, module, module ? strlen(module) : 0, name, name ? strlen(name) : 0,
                    TROUPE_WASM_EXTERN_GLOBAL, err);
  if (!d) {
    free(g);
    return err ? err->code : TROUPE_E_NOMEM;
  }
  atomic_init(&g->refcount, 1);
  g->g.type = value.type;
  g->g.mut = mutable_;
  g->g.val = trE_val_to_slot(&value, value.type);
  d->hostg = g;
  d->global = &g->g;
  return TROUPE_OK;
}

int troupe_wasm_linker_define_memory(troupe_wasm_linker *l, const char *module, const char *name,
                                     troupe_wasm_limits_desc pages, troupe_err *err) {
  uint64_t max = pages.has_max ? pages.max : TRE_MAX_PAGES;
  if (pages.min > TRE_MAX_PAGES || max > TRE_MAX_PAGES || pages.min > max)
    return troupe_err_set(err, TROUPE_E_INVAL, "linker: bad memory limits");
  trE_memory *mem = trE_memory_new(pages.min, max, NULL);
  if (!mem)
    return troupe_err_set(err, TROUPE_E_NOMEM, "linker: out of memory");
  trE_ldef *d = add_def(l, module, module ? strlen(module) : 0, name, name ? strlen(name) : 0,
                    TROUPE_WASM_EXTERN_MEMORY, err);
  if (!d) {
    trE_memory_release(mem);
    return err ? err->code : TROUPE_E_NOMEM;
  }
  d->mem = mem;
  return TROUPE_OK;
}

int troupe_wasm_linker_define_table(troupe_wasm_linker *l, const char *module, const char *name,
                                    uint8_t elem, troupe_wasm_limits_desc limits, troupe_err *err) {
  uint64_t max = limits.has_max ? limits.max : UINT32_MAX;
  if ((elem != TROUPE_WASM_FUNCREF && elem != TROUPE_WASM_EXTERNREF) || limits.min > max ||
      max > UINT32_MAX)
    return troupe_err_set(err, TROUPE_E_INVAL, "linker: bad table type or limits");
  if (l && linker_group(l, err))
    return TROUPE_E_NOMEM;
  trE_table *t = trE_table_new(elem, limits.min, max);
  if (!t)
    return troupe_err_set(err, TROUPE_E_NOMEM, "linker: out of memory");
  trE_ldef *d = add_def(l, module, module ? strlen(module) : 0, name, name ? strlen(name) : 0,
                    TROUPE_WASM_EXTERN_TABLE, err);
  if (!d) {
    trE_table_release(t);
    return err ? err->code : TROUPE_E_NOMEM;
  }
  d->table = t;
  return TROUPE_OK;
}

int troupe_wasm_linker_define_instance(troupe_wasm_linker *l, const char *module,
                                       troupe_wasm_instance *inst, troupe_err *err) {
  if (!inst || !l || !module)
    return troupe_err_set(err, TROUPE_E_INVAL, "linker: no linker, instance or module name");
  int rc = linker_group(l, err);
  if (rc)
    return rc;
  /* the linker now reaches the instance: their groups become one */
  pthread_mutex_lock(&group_lock);
  trE_group *g = group_for(inst);
  bool ok = g && group_merge(l->group, g);
  pthread_mutex_unlock(&group_lock);
  if (!ok)
    return troupe_err_set(err, TROUPE_E_NOMEM, "linker: out of memory");
  const trE_module *m = inst->mod;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const trE_export *e = &m->exports[i];
    trE_ldef *d = add_def(l, module, strlen(module), e->name, e->name_len, e->kind, err);
    if (!d)
      return err ? err->code : TROUPE_E_NOMEM;
    d->from = inst;
    switch (e->kind) {
    case TROUPE_WASM_EXTERN_FUNC: d->func = inst->funcs[e->index]; break;
    case TROUPE_WASM_EXTERN_TABLE: d->table = inst->tables[e->index]; break;
    case TROUPE_WASM_EXTERN_MEMORY: d->mem = inst->mem; break;
    case TROUPE_WASM_EXTERN_GLOBAL: d->global = inst->globals[e->index]; break;
    }
  }
  return TROUPE_OK;
}

const trE_ldef *trE_linker_lookup(const troupe_wasm_linker *l, const trE_import *im) {
  if (!l)
    return NULL;
  for (uint32_t i = l->ndefs; i-- > 0;) {
    const trE_ldef *d = l->defs[i];
    if (d->module_len == im->module_len && d->name_len == im->name_len &&
        memcmp(d->module, im->module, im->module_len) == 0 &&
        memcmp(d->name, im->name, im->name_len) == 0)
      return d;
  }
  return NULL;
}
