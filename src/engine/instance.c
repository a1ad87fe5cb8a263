/*
 * engine/instance.c: shared objects and instantiation. Resolves imports through the
 * linker (linker.c) by exact (module, name) bytes and type-checks them (function type equality, limits subtyping, global mutability),
 * allocates the instance's own memory, tables and globals, applies element and data
 * segments in order (a segment out of bounds traps; earlier writes persist, as in
 * WebAssembly 2.0) and runs the start function.
 *
 * Sharing: memories, tables and host globals are reference-counted objects (they hold
 * no references themselves, so counts cannot cycle). Instances that can exchange function
 * references -- by importing from another instance, or a table or reference global from a
 * linker -- are kept in one store group (instance.h) and destroyed together when the
 * embedder has freed them all; an instance with no such import is destroyed at once.
 */
#include "engine/instance.h"
#include "engine/pool.h"
#include "base/slab.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* Linear memory is an anonymous mapping (pool.c gives it: a recycled one, already
 * resident and zeroed, when a freed instance left one of the right class): pages are
 * committed only when touched, memory.grow inside the mapping only moves the size (the
 * rest of the mapping is zero), beyond it an mremap that may move it -- the interpreter
 * reloads base and size after a grow. No guard pages are needed: every access is
 * bounds-checked against the size, never the mapping. */
static uint8_t *pages_grow(uint8_t *old, size_t old_map, size_t map) {
  bool fresh;
  if (!old)
    return trE_pool_mem_take(map, &fresh);
  void *p = mremap(old, old_map, map, MREMAP_MAYMOVE);
  return p == MAP_FAILED ? NULL : p;
}

/* ---- shared objects ----------------------------------------------------------------- */

trE_memory *trE_memory_new(uint64_t min_pages, uint64_t max_pages, trE_module *for_mod) {
  trE_memory *mem = trB_calloc(1, sizeof *mem);
  if (!mem)
    return NULL;
  atomic_init(&mem->refcount, 1);
  mem->size = min_pages * TRE_PAGE_SIZE;
  mem->max_pages = max_pages;
  if (mem->size) {
    mem->mapped = trE_pool_mem_map_bytes(mem->size);
    /* A recycled memory first (resident, nothing more to make), then one the helper
     * prepared for this module, then a fresh mapping. */
    if (mem->mapped && !(mem->data = trE_pool_mem_take_cached(mem->mapped)) && for_mod)
      mem->data = trE_warm_take(for_mod, mem->mapped);
    if (mem->mapped && !mem->data)
      mem->fresh = (mem->data = trE_pool_mem_map_new(mem->mapped)) != NULL;
    if (!mem->data) {
      free(mem);
      return NULL;
    }
  }
  return mem;
}

void trE_memory_release(trE_memory *mem) {
  /* acq_rel: the last releaser must see every other owner's writes before freeing */
  if (mem && atomic_fetch_sub_explicit(&mem->refcount, 1, memory_order_acq_rel) == 1) {
    if (mem->data) /* nothing writes past the size: that is the dirty part */
      trE_pool_mem_give(mem->data, mem->mapped, (size_t)mem->size);
    free(mem);
  }
}

trE_table *trE_table_new(uint8_t elem, uint64_t min, uint64_t max) {
  trE_table *t = trB_calloc(1, sizeof *t);
  if (!t)
    return NULL;
  atomic_init(&t->refcount, 1);
  t->elem = elem;
  t->size = (uint32_t)min;
  t->max = max;
  if (min) {
    t->elems = trB_calloc((size_t)min, sizeof *t->elems);
    if (!t->elems) {
      free(t);
      return NULL;
    }
  }
  return t;
}

void trE_table_release(trE_table *t) {
  /* acq_rel: as for memories */
  if (t && atomic_fetch_sub_explicit(&t->refcount, 1, memory_order_acq_rel) == 1) {
    free(t->elems);
    free(t);
  }
}

void trE_hostglobal_release(trE_hostglobal *g) {
  /* acq_rel: as for memories */
  if (g && atomic_fetch_sub_explicit(&g->refcount, 1, memory_order_acq_rel) == 1)
    free(g);
}

int trE_memory_grow(trE_inst *inst, trE_memory *mem, uint32_t delta, uint32_t *old_pages) {
  uint64_t old = mem->size / TRE_PAGE_SIZE;
  uint64_t want = old + delta;
  if (want > mem->max_pages || want > inst->max_pages || want > TRE_MAX_PAGES)
    return -1;
  *old_pages = (uint32_t)old;
  if (delta == 0)
    return 0;
  uint64_t bytes = want * TRE_PAGE_SIZE;
  if (bytes > SIZE_MAX)
    return -1;
  if (bytes > mem->mapped) {
    size_t map = trE_pool_mem_map_bytes(bytes);
    uint8_t *d = map ? pages_grow(mem->data, mem->mapped, map) : NULL;
    if (!d)
      return -1; /* the new pages of an mremap read as zeros */
    mem->data = d;
    mem->mapped = map;
  }
  mem->size = bytes;
  return 0;
}

int trE_table_grow(trE_inst *inst, trE_table *t, uint32_t delta, void *init, uint32_t *old) {
  uint64_t want = (uint64_t)t->size + delta;
  if (want > t->max || want > inst->max_table || want > UINT32_MAX)
    return -1;
  *old = t->size;
  if (delta == 0)
    return 0;
  void **e = trB_realloc_array(t->elems, (size_t)want, sizeof *e);
  if (!e)
    return -1;
  for (uint64_t i = t->size; i < want; i++)
    e[i] = init;
  t->elems = e;
  t->size = (uint32_t)want;
  return 0;
}

bool trE_elem_dropped(const trE_inst *inst, uint32_t seg) {
  return inst->dropped[seg / 8] & (1u << (seg % 8));
}
bool trE_data_dropped(const trE_inst *inst, uint32_t seg) {
  return trE_elem_dropped(inst, inst->mod->nelems + seg);
}
void trE_drop_elem(trE_inst *inst, uint32_t seg) {
  inst->dropped[seg / 8] |= (uint8_t)(1u << (seg % 8));
}
void trE_drop_data(trE_inst *inst, uint32_t seg) { trE_drop_elem(inst, inst->mod->nelems + seg); }

static trE_slot const_value(trE_inst *inst, const trE_constexpr *ce) {
  trE_slot v = {.u64 = 0};
  switch (ce->op) {
  case TRE_CONST_I32: case TRE_CONST_F32: v.u64 = (uint32_t)ce->bits; break;
  case TRE_CONST_I64: case TRE_CONST_F64: v.u64 = ce->bits; break;
  case TRE_CONST_REF_NULL: break;
  case TRE_CONST_REF_FUNC: v.ref = inst->funcs[ce->bits]; break;
  case TRE_CONST_GLOBAL_GET: v = inst->globals[ce->bits]->val; break;
  }
  return v;
}

void *trE_elem_item(trE_inst *inst, const trE_elem *e, uint32_t i) {
  return const_value(inst, &e->items[i]).ref;
}

/* ---- import checks ------------------------------------------------------------------ */

static void fmt_functype(const trE_functype *ft, char *buf, size_t len) {
  size_t k = 0;
  k += (size_t)snprintf(buf + k, len - k, "(");
  for (uint32_t i = 0; i < ft->nparams && k < len; i++)
    k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "," : "",
                          troupe_wasm_valtype_name(TRE_PARAMS(ft)[i]));
  if (k < len)
    k += (size_t)snprintf(buf + k, len - k, ")->(");
  for (uint32_t i = 0; i < ft->nresults && k < len; i++)
    k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "," : "",
                          troupe_wasm_valtype_name(TRE_RESULTS(ft)[i]));
  if (k < len)
    snprintf(buf + k, len - k, ")");
}

static bool limits_match(uint64_t min, bool has_max, uint64_t max, const trE_limits *want) {
  if (min < want->min)
    return false;
  if (want->has_max && (!has_max || max > want->max))
    return false;
  return true;
}

static const char *const kind_names[] = {"function", "table", "memory", "global"};

static int unlinkable(troupe_err *err, const trE_import *im, const char *fmt, ...)
    TROUPE_PRINTF(3, 4);
static int unlinkable(troupe_err *err, const trE_import *im, const char *fmt, ...) {
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return troupe_err_set(err, TROUPE_E_UNLINKABLE, "incompatible import type for %s.%s: %s",
                        im->module, im->name, what);
}

static void hold(trE_inst *inst, trE_holdkind kind, void *p) {
  /* holds were sized for every import up front */
  inst->holds[inst->nholds++] = (trE_hold){kind, p};
}

/* Link import i. *join is set when the import lets references flow between the new
 * instance and the linker's other objects (an instance's export, a table, a reference
 * global): the instance must then join the linker's group. */
/* What a module's imports resolved to in one linker state (engine.h, import_memo). */
typedef struct trE_import_memo {
  uint64_t stamp;
  const trE_ldef *defs[];
} trE_import_memo;

/* Link import i to d, its definition in the linker (NULL: there is none). memoized: d
 * comes from the module's import memo, recorded by a link that checked it against this
 * very definition -- a function's type cannot have changed since; a table's, memory's
 * or global's limits and contents can, so those are checked again. */
static int link_import(trE_inst *inst, const troupe_wasm_linker *l, uint32_t i,
                       const trE_ldef *d, bool memoized, uint32_t *nf, uint32_t *nhost,
                       uint32_t *ng, uint32_t *nt, bool *join, troupe_err *err) {
  trE_module *m = inst->mod;
  const trE_import *im = &m->imports[i];
  if (!d)
    return troupe_err_set(err, TROUPE_E_UNLINKABLE, "unknown import %s.%s", im->module,
                          im->name);
  if (d->kind != im->kind)
    return unlinkable(err, im, "expected a %s, found a %s", kind_names[im->kind],
                      kind_names[d->kind]);
  switch (im->kind) {
  case TROUPE_WASM_EXTERN_FUNC: {
    const trE_functype *want = &m->types[im->as.type_index];
    const trE_functype *have = d->func ? d->func->type : &d->ft;
    if (!memoized && !trE_functype_equal(want, have)) {
      char a[64], b[64];
      fmt_functype(want, a, sizeof a);
      fmt_functype(have, b, sizeof b);
      return unlinkable(err, im, "expected %s found %s", a, b);
    }
    if (d->func) {
      inst->funcs[(*nf)++] = d->func;
    } else {
      if (!inst->linker) { /* the wrapper points at the definition's type and names */
        trE_linker_ref(l);
        inst->linker = (troupe_wasm_linker *)l;
      }
      trE_func *f = &inst->own_funcs[m->nfuncs - m->nfunc_imports + (*nhost)++];
      *f = (trE_func){.inst = inst, .type = &d->ft, .host = d->fn, .user = d->user,
                      .module = d->module, .name = d->name,
                      .module_len = d->module_len, .name_len = d->name_len,
                      .pubtype = {.nparams = d->ft.nparams, .nresults = d->ft.nresults,
                                  .params = TRE_PARAMS(&d->ft),
                                  .results = TRE_RESULTS(&d->ft)}};
      inst->funcs[(*nf)++] = f;
    }
    break;
  }
  case TROUPE_WASM_EXTERN_TABLE: {
    const trE_table *t = d->table;
    if (t->elem != im->as.table.elem)
      return unlinkable(err, im, "expected %s elements, found %s",
                        troupe_wasm_valtype_name(im->as.table.elem), troupe_wasm_valtype_name(t->elem));
    if (!limits_match(t->size, t->max != UINT32_MAX, t->max, &im->as.table.limits))
      return unlinkable(err, im, "table limits do not match (size %u)", t->size);
    inst->tables[(*nt)++] = d->table;
    atomic_fetch_add_explicit(&d->table->refcount, 1, memory_order_relaxed);
    hold(inst, TRE_HOLD_TABLE, d->table);
    *join = true;
    return 0;
  }
  case TROUPE_WASM_EXTERN_MEMORY: {
    const trE_memory *mem = d->mem;
    uint64_t pages = mem->size / TRE_PAGE_SIZE;
    if (!limits_match(pages, mem->max_pages != TRE_MAX_PAGES, mem->max_pages, &im->as.memory))
      return unlinkable(err, im, "memory limits do not match (%llu pages)",
                        (unsigned long long)pages);
    inst->mem = d->mem;
    atomic_fetch_add_explicit(&d->mem->refcount, 1, memory_order_relaxed);
    hold(inst, TRE_HOLD_MEMORY, d->mem);
    break;
  }
  case TROUPE_WASM_EXTERN_GLOBAL: {
    const trE_gcell *g = d->global;
    if (g->type != im->as.global.type || g->mut != im->as.global.mut)
      return unlinkable(err, im, "expected %s%s, found %s%s", im->as.global.mut ? "mut " : "",
                        troupe_wasm_valtype_name(im->as.global.type), g->mut ? "mut " : "",
                        troupe_wasm_valtype_name(g->type));
    inst->globals[(*ng)++] = d->global;
    if (d->hostg) {
      atomic_fetch_add_explicit(&d->hostg->refcount, 1, memory_order_relaxed);
      hold(inst, TRE_HOLD_HOSTGLOBAL, d->hostg);
    }
    if (g->type == TROUPE_WASM_FUNCREF || g->type == TROUPE_WASM_EXTERNREF)
      *join = true;
    break;
  }
  }
  if (d->from)
    *join = true;
  return 0;
}

/* ---- instances ---------------------------------------------------------------------- */

void trE_inst_destroy(trE_inst *inst) {
  for (uint32_t i = 0; i < inst->nholds; i++) {
    trE_hold *h = &inst->holds[i];
    switch (h->kind) {
    case TRE_HOLD_MEMORY: trE_memory_release(h->p); break;
    case TRE_HOLD_TABLE: trE_table_release(h->p); break;
    case TRE_HOLD_HOSTGLOBAL: trE_hostglobal_release(h->p); break;
    }
  }
  trE_exec_free(&inst->ex);
  trE_linker_release(inst->linker);
  troupe_wasm_module_free((troupe_wasm_module *)inst->mod);
  trB_slab_free(inst, inst->alloc_bytes);
}

void troupe_wasm_instance_free(troupe_wasm_instance *inst) {
  if (!inst)
    return;
  if (inst->group) /* destroyed with its group, once nobody can reach its functions */
    trE_group_drop(inst->group);
  else
    trE_inst_destroy(inst);
}

void troupe_wasm_instance_free_ex(troupe_wasm_instance *inst, unsigned flags) {
  /* The pool reads the choice from this thread while the memory is given back. */
  bool later = trE_pool_reset_later(flags & TROUPE_WASM_FREE_RESET_LATER);
  troupe_wasm_instance_free(inst);
  trE_pool_reset_later(later);
}

/* One allocation for the instance and its arrays (instantiation must be cheap). */
static trE_inst *inst_alloc(trE_module *m) {
  uint32_t ndef = m->nfuncs - m->nfunc_imports;
  uint32_t ndefg = m->nglobals - m->nglobal_imports;
  size_t nbits = ((size_t)m->nelems + m->ndatas + 7) / 8;
  size_t sz = sizeof(trE_inst);
  size_t o_funcs = sz;
  sz += (size_t)m->nfuncs * sizeof(trE_func *);
  size_t o_tables = sz;
  sz += (size_t)m->ntables * sizeof(trE_table *);
  size_t o_globals = sz;
  sz += (size_t)m->nglobals * sizeof(trE_gcell *);
  size_t o_own = sz;
  sz += ((size_t)ndef + m->nfunc_imports) * sizeof(trE_func);
  size_t o_ownglobals = sz;
  sz += (size_t)ndefg * sizeof(trE_gcell);
  /* every import may hold one reference, plus one for each own memory/table */
  sz = (sz + _Alignof(trE_hold) - 1) & ~(_Alignof(trE_hold) - 1);
  size_t o_holds = sz;
  sz += ((size_t)m->nimports + m->ntables + 2) * sizeof(trE_hold);
  size_t o_dropped = sz;
  sz += nbits + 1;
  /* From the slab (base/slab.h): populated pages, not a fresh heap page's fault. */
  char *p = trB_slab_calloc(sz);
  if (!p)
    return NULL;
  trE_inst *inst = (trE_inst *)p;
  inst->alloc_bytes = sz;
  inst->holds = (trE_hold *)(void *)(p + o_holds);
  inst->funcs = (trE_func **)(p + o_funcs);
  inst->tables = (trE_table **)(p + o_tables);
  inst->globals = (trE_gcell **)(p + o_globals);
  inst->own_funcs = (trE_func *)(p + o_own);
  inst->own_globals = (trE_gcell *)(p + o_ownglobals);
  inst->dropped = (uint8_t *)(p + o_dropped);
  return inst;
}


/* An active segment that does not fit traps and fails instantiation. No function ran
 * (func_index UINT32_MAX), so the message carries the location: which segment, its
 * offset and length, the target's size. It begins with the kind's own message, which is
 * what the spec tests match. */
static int seg_trap(troupe_wasm_trap *trap, troupe_err *err, troupe_wasm_trap_kind kind,
                    const char *fmt, ...) TROUPE_PRINTF(4, 5);
static int seg_trap(troupe_wasm_trap *trap, troupe_err *err, troupe_wasm_trap_kind kind,
                    const char *fmt, ...) {
  troupe_wasm_trap t = {.kind = kind, .func_index = UINT32_MAX};
  int n = snprintf(t.message, sizeof t.message, "%s: ", troupe_wasm_trap_kind_message(kind));
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t.message + n, sizeof t.message - (size_t)n, fmt, ap);
  va_end(ap);
  if (trap)
    *trap = t;
  return troupe_err_set(err, TROUPE_E_UNINSTANTIABLE, "%s", t.message);
}

int troupe_wasm_instantiate(troupe_wasm_module *pm, const troupe_wasm_linker *l,
                            const troupe_wasm_limits *limits, troupe_wasm_instance **out,
                            troupe_wasm_trap *trap, troupe_err *err) {
  trE_module *m = (trE_module *)pm;
  if (!m || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "instantiate: missing module or out");
  *out = NULL;
  if (limits && limits->max_stack_bytes && limits->max_stack_bytes < TROUPE_WASM_MIN_STACK_BYTES)
    return troupe_err_set(err, TROUPE_E_INVAL, "instantiate: max_stack_bytes %llu is below the "
                          "minimum of %u", (unsigned long long)limits->max_stack_bytes,
                          TROUPE_WASM_MIN_STACK_BYTES);
  trE_inst *inst = inst_alloc(m);
  if (!inst)
    return troupe_err_set(err, TROUPE_E_NOMEM, "instantiate: out of memory");
  inst->mod = (trE_module *)troupe_wasm_module_ref(pm);
  inst->max_pages = limits && limits->max_memory_pages ? limits->max_memory_pages : TRE_MAX_PAGES;
  inst->max_table = limits && limits->max_table_elems ? limits->max_table_elems : 10000000u;
  inst->max_depth = limits && limits->max_call_depth ? limits->max_call_depth : 10000u;
  inst->max_stack_bytes = TRE_STACK_DEFAULT_BYTES;
  if (limits && limits->max_stack_bytes)
    inst->max_stack_bytes = limits->max_stack_bytes < SIZE_MAX ? (size_t)limits->max_stack_bytes
                                                               : SIZE_MAX;
  int rc = 0;
  uint32_t nf = 0, nhost = 0, ng = 0, nt = 0;
  bool join = false;
  /* Acquire: a memo's entries, written before its release publication. Its stamp names
   * one state of one linker, so a match means these very definitions, alive in l. */
  const trE_import_memo *memo = atomic_load_explicit(&m->import_memo, memory_order_acquire);
  if (memo && (!l || memo->stamp != l->stamp))
    memo = NULL;
  trE_import_memo *fresh = NULL; /* the first full link records its result */
  if (!memo && l && m->nimports && !atomic_load_explicit(&m->import_memo, memory_order_relaxed) &&
      (fresh = malloc(sizeof *fresh + m->nimports * sizeof fresh->defs[0])))
    fresh->stamp = l->stamp;
  for (uint32_t i = 0; i < m->nimports && rc == 0; i++) {
    const trE_ldef *d = memo ? memo->defs[i] : trE_linker_lookup(l, &m->imports[i]);
    if (fresh)
      fresh->defs[i] = d;
    rc = link_import(inst, l, i, d, memo != NULL, &nf, &nhost, &ng, &nt, &join, err);
  }
  if (fresh) {
    trE_import_memo *none = NULL;
    /* Release: the entries above before the pointer. One memo per module: a link that
     * lost the race (or failed) drops its own. */
    if (rc || !atomic_compare_exchange_strong_explicit(&m->import_memo, &none, fresh,
                                                       memory_order_release,
                                                       memory_order_relaxed))
      free(fresh);
  }
  if (rc)
    goto fail;
  if (join) {
    /* before any segment or the start function can store our functions elsewhere; from
     * here on a failure frees the instance through its group */
    if (!trE_group_join(l, inst)) {
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "instantiate: out of memory");
      goto fail;
    }
  }
  /* own memory and tables */
  if (m->nmemories > m->nmemory_imports) {
    const trE_limits *lim = &m->memories[m->nmemory_imports];
    if (lim->min > inst->max_pages) {
      rc = troupe_err_set(err, TROUPE_E_UNINSTANTIABLE,
                          "memory of %llu pages exceeds the instance limit of %llu",
                          (unsigned long long)lim->min, (unsigned long long)inst->max_pages);
      goto fail;
    }
    trE_memory *mem = trE_memory_new(lim->min, lim->has_max ? lim->max : TRE_MAX_PAGES, m);
    if (!mem) {
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "instantiate: out of memory for linear memory");
      goto fail;
    }
    inst->mem = mem;
    hold(inst, TRE_HOLD_MEMORY, mem);
    trE_warm_instance(inst); /* before the data segments: they write into it too */
  }
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
    const trE_tabletype *tt = &m->tables[i];
    if (tt->limits.min > inst->max_table) {
      rc = troupe_err_set(err, TROUPE_E_UNINSTANTIABLE,
                          "table of %llu elements exceeds the instance limit",
                          (unsigned long long)tt->limits.min);
      goto fail;
    }
    trE_table *t = trE_table_new(tt->elem, tt->limits.min,
                             tt->limits.has_max ? tt->limits.max : UINT32_MAX);
    if (!t) {
      rc = troupe_err_set(err, TROUPE_E_NOMEM, "instantiate: out of memory for a table");
      goto fail;
    }
    inst->tables[i] = t;
    hold(inst, TRE_HOLD_TABLE, t);
  }
  /* own functions */
  for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
    trE_func *f = &inst->own_funcs[i - m->nfunc_imports];
    /* the rest of it is zero already (inst_alloc's calloc): no struct-wide store */
    f->inst = inst;
    f->code = m->compiled[i - m->nfunc_imports];
    f->type = trE_func_type(m, i);
    inst->funcs[i] = f;
  }
  /* globals, in order (an initialiser may read an imported global) */
  for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
    trE_gcell *g = &inst->own_globals[i - m->nglobal_imports];
    const trE_global *dg = &m->globals[i - m->nglobal_imports];
    g->type = dg->type.type;
    g->mut = dg->type.mut;
    g->val = const_value(inst, &dg->init);
    inst->globals[i] = g;
  }
  /* element segments, then data segments, in order */
  for (uint32_t s = 0; s < m->nelems; s++) {
    const trE_elem *e = &m->elems[s];
    if (e->mode == TRE_SEG_ACTIVE) {
      trE_table *t = inst->tables[e->table];
      uint64_t off = const_value(inst, &e->offset).u32;
      if (off + e->count > t->size) {
        rc = seg_trap(trap, err, TROUPE_WASM_TRAP_TABLE_OOB,
                      "element segment %u (offset %llu, length %u) does not fit in table %u "
                      "(%u elements) at instantiation", s, (unsigned long long)off, e->count,
                      e->table, t->size);
        goto fail;
      }
      for (uint32_t k = 0; k < e->count; k++)
        t->elems[off + k] = trE_elem_item(inst, e, k);
    }
    if (e->mode != TRE_SEG_PASSIVE)
      trE_drop_elem(inst, s);
  }
  for (uint32_t s = 0; s < m->ndatas; s++) {
    const trE_data *d = &m->datas[s];
    if (d->mode == TRE_SEG_ACTIVE) {
      trE_memory *mem = inst->mem;
      uint64_t off = const_value(inst, &d->offset).u32;
      uint64_t size = mem ? mem->size : 0;
      if (off + d->len > size) {
        rc = seg_trap(trap, err, TROUPE_WASM_TRAP_MEMORY_OOB,
                      "data segment %u (offset %llu, length %u) does not fit in memory %u "
                      "(%llu bytes) at instantiation", s, (unsigned long long)off, d->len,
                      d->memory, (unsigned long long)size);
        goto fail;
      }
      if (d->len)
        memcpy(mem->data + off, d->bytes, d->len);
      trE_drop_data(inst, s);
    }
  }
  if (m->has_start) {
    troupe_wasm_trap t;
    rc = trE_start(inst, inst->funcs[m->start], limits ? limits->start_fuel : 0, &t);
    if (rc) {
      if (trap)
        *trap = t;
      if (rc == TROUPE_E_TRAP)
        rc = troupe_err_set(err, TROUPE_E_UNINSTANTIABLE, "start function trapped: %s",
                            t.message);
      else
        rc = troupe_err_set(err, TROUPE_E_UNINSTANTIABLE,
                            "start function did not complete (%s)", troupe_err_name(rc));
      goto fail;
    }
  }
  *out = inst;
  return TROUPE_OK;
fail:
  troupe_wasm_instance_free(inst);
  return rc;
}
