/*
 * engine/decode.c: the binary format, outside function bodies. Reads the sections into a
 * trE_module and checks everything the spec's validation says about the module as a
 * whole: indices in range, limits, constant expressions, export names, the start
 * function, segment kinds. Function bodies are left as byte ranges for compile.c.
 *
 * Hostile input: every vector count is checked against the bytes left in its section
 * before anything is allocated for it (each entry takes at least one byte), so a tiny
 * file declaring four billion entries fails at once instead of allocating.
 */
#include "engine/reader.h"

static int fail(trE_reader *r, int code, const char *fmt, ...) TROUPE_PRINTF(3, 4);
static int fail(trE_reader *r, int code, const char *fmt, ...) {
  char reason[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  trE_rd_fail(r, code, reason);
  return code;
}

static int nomem(trE_reader *r) { return trE_rd_fail(r, TROUPE_E_NOMEM, "out of memory"); }

/* A vector count, refused when the section cannot hold that many entries of at least
 * `min_entry` bytes each. */
static int read_count(trE_reader *r, size_t min_entry, uint32_t *out) {
  const uint8_t *at = r->p;
  TRY(trE_rd_u32(r, out));
  if ((uint64_t)*out * min_entry > trE_rd_left(r)) {
    r->p = at; /* report the count's own offset */
    return fail(r, TROUPE_E_MALFORMED, "length out of bounds (%u entries declared)", *out);
  }
  return 0;
}

/* ---- UTF-8 names ----------------------------------------------------------------- */

static bool utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len)
      return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

/* A name: length-prefixed UTF-8, copied NUL-terminated. Embedded NULs are legal in wasm
 * names; they are kept (the C string view just ends early, which only affects lookup
 * of such names by C string). */
static int read_name(trE_reader *r, char **out, uint32_t *len_out) {
  uint32_t n;
  const uint8_t *b;
  TRY(trE_rd_u32(r, &n));
  if (n > trE_rd_left(r))
    return fail(r, TROUPE_E_MALFORMED, "length out of bounds");
  TRY(trE_rd_bytes(r, n, &b));
  if (!utf8_valid(b, n))
    return fail(r, TROUPE_E_MALFORMED, "malformed UTF-8 encoding");
  if (out) {
    char *s = trB_malloc((size_t)n + 1);
    if (!s)
      return nomem(r);
    memcpy(s, b, n);
    s[n] = '\0';
    *out = s;
  }
  if (len_out)
    *len_out = n;
  return 0;
}

/* ---- types, limits --------------------------------------------------------------- */

static int read_limits(trE_reader *r, trE_limits *l, bool memory) {
  uint8_t flag;
  uint64_t v;
  TRY(trE_rd_u8(r, &flag));
  if (flag > 1) {
    r->p--;
    return fail(r, TROUPE_E_MALFORMED, "integer too large (limits flag)");
  }
  TRY(trE_rd_uleb(r, 32, &v));
  l->min = v;
  l->has_max = flag == 1;
  l->max = 0;
  if (l->has_max) {
    TRY(trE_rd_uleb(r, 32, &v));
    l->max = v;
  }
  if (memory) {
    if (l->min > TRE_MAX_PAGES || (l->has_max && l->max > TRE_MAX_PAGES))
      return fail(r, TROUPE_E_INVALID, "memory size must be at most 65536 pages (4GiB)");
  }
  if (l->has_max && l->min > l->max)
    return fail(r, TROUPE_E_INVALID, "size minimum must not be greater than maximum");
  return 0;
}

static int read_reftype(trE_reader *r, uint8_t *out) {
  TRY(trE_rd_u8(r, out));
  if (!trE_is_reftype(*out)) {
    r->p--;
    return fail(r, TROUPE_E_MALFORMED, "malformed reference type");
  }
  return 0;
}

static int read_tabletype(trE_reader *r, trE_tabletype *t) {
  TRY(read_reftype(r, &t->elem));
  return read_limits(r, &t->limits, false);
}

static int read_globaltype(trE_reader *r, trE_globaltype *g) {
  uint8_t mut;
  TRY(trE_rd_valtype(r, &g->type));
  TRY(trE_rd_u8(r, &mut));
  if (mut > 1) {
    r->p--;
    return fail(r, TROUPE_E_MALFORMED, "malformed mutability");
  }
  g->mut = mut == 1;
  return 0;
}

bool trE_functype_equal(const trE_functype *a, const trE_functype *b) {
  return a == b || (a->hash == b->hash && a->nparams == b->nparams && a->nresults == b->nresults &&
                    memcmp(a->types, b->types, (size_t)a->nparams + a->nresults) == 0);
}

static int sec_type(trE_reader *r, trE_module *m) {
  uint32_t n;
  TRY(read_count(r, 3, &n));
  m->types = trB_calloc(n, sizeof *m->types);
  if (!m->types)
    return nomem(r);
  for (uint32_t i = 0; i < n; i++) {
    uint8_t form;
    uint32_t np, nr;
    TRY(trE_rd_u8(r, &form));
    if (form != 0x60) {
      r->p--;
      return fail(r, TROUPE_E_MALFORMED, "malformed function type (form 0x%02x)", form);
    }
    TRY(read_count(r, 1, &np));
    const uint8_t *params = r->p;
    r->p += np;
    TRY(read_count(r, 1, &nr));
    trE_functype *ft = &m->types[i];
    ft->types = trB_malloc((size_t)np + nr);
    if (!ft->types)
      return nomem(r);
    m->ntypes = i + 1; /* owned from here on, for cleanup */
    ft->nparams = np;
    ft->nresults = nr;
    /* re-read the params through the type check, then the results */
    const uint8_t *after = r->p;
    r->p = params;
    for (uint32_t k = 0; k < np; k++)
      TRY(trE_rd_valtype(r, &ft->types[k]));
    r->p = after;
    for (uint32_t k = 0; k < nr; k++)
      TRY(trE_rd_valtype(r, &ft->types[np + k]));
    ft->hash = troupe_hash64(ft->types, (size_t)np + nr, np);
  }
  m->ntypes = n;
  return 0;
}

/* ---- constant expressions -------------------------------------------------------- */

/* Whether a byte starts some WebAssembly 2.0 instruction (SIMD's prefix included):
 * constant expressions reject every other instruction as "constant expression
 * required" (invalid), but a byte that is no instruction at all is malformed. */
static bool known_opcode(uint8_t op) {
  return op <= 0x05 || (op >= 0x0B && op <= 0x11) || (op >= 0x1A && op <= 0x1C) ||
         (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xC4) ||
         (op >= 0xD0 && op <= 0xD2) || op == 0xFC || op == 0xFD;
}

/* One constant instruction then `end`, producing `want` (0: any type, reported back). */
static int read_constexpr(trE_reader *r, trE_module *m, uint8_t want, trE_constexpr *ce) {
  uint8_t op;
  const uint8_t *start = r->p;
  TRY(trE_rd_u8(r, &op));
  memset(ce, 0, sizeof *ce);
  switch (op) {
  case 0x41: { /* i32.const */
    int64_t v;
    TRY(trE_rd_sleb(r, 32, &v));
    ce->op = TRE_CONST_I32, ce->type = TROUPE_WASM_I32, ce->bits = (uint32_t)(int32_t)v;
    break;
  }
  case 0x42: { /* i64.const */
    int64_t v;
    TRY(trE_rd_sleb(r, 64, &v));
    ce->op = TRE_CONST_I64, ce->type = TROUPE_WASM_I64, ce->bits = (uint64_t)v;
    break;
  }
  case 0x43: { /* f32.const */
    uint32_t v;
    TRY(trE_rd_fixed32(r, &v));
    ce->op = TRE_CONST_F32, ce->type = TROUPE_WASM_F32, ce->bits = v;
    break;
  }
  case 0x44: /* f64.const */
    TRY(trE_rd_fixed64(r, &ce->bits));
    ce->op = TRE_CONST_F64, ce->type = TROUPE_WASM_F64;
    break;
  case 0xD0: { /* ref.null t */
    uint8_t t;
    TRY(read_reftype(r, &t));
    ce->op = TRE_CONST_REF_NULL, ce->type = t;
    break;
  }
  case 0xD2: { /* ref.func x */
    uint32_t x;
    TRY(trE_rd_u32(r, &x));
    if (x >= m->nfuncs)
      return fail(r, TROUPE_E_INVALID, "unknown function %u", x);
    ce->op = TRE_CONST_REF_FUNC, ce->type = TROUPE_WASM_FUNCREF, ce->bits = x;
    m->declared_funcs[x / 8] |= (uint8_t)(1u << (x % 8));
    break;
  }
  case 0x23: { /* global.get x: only imported, immutable globals (WebAssembly 2.0) */
    uint32_t x;
    TRY(trE_rd_u32(r, &x));
    if (x >= m->nglobal_imports)
      return fail(r, TROUPE_E_INVALID, "unknown global %u", x);
    if (m->global_types[x].mut)
      return fail(r, TROUPE_E_INVALID, "constant expression required");
    ce->op = TRE_CONST_GLOBAL_GET, ce->type = m->global_types[x].type, ce->bits = x;
    break;
  }
  case 0x0B: /* end with no value */
    r->p = start;
    return fail(r, TROUPE_E_INVALID, "type mismatch");
  default:
    r->p = start;
    if (!known_opcode(op)) /* not an instruction at all: a decoding error */
      return fail(r, TROUPE_E_MALFORMED, "illegal opcode 0x%02x", op);
    return fail(r, TROUPE_E_INVALID, "constant expression required");
  }
  uint8_t end;
  const uint8_t *at = r->p;
  TRY(trE_rd_u8(r, &end));
  if (end != 0x0B) {
    r->p = at;
    /* a second constant instruction leaves two values: a type error, as the spec says */
    bool is_const = end == 0x41 || end == 0x42 || end == 0x43 || end == 0x44 || end == 0xD0 ||
                    end == 0xD2 || end == 0x23;
    return fail(r, TROUPE_E_INVALID, is_const ? "type mismatch" : "constant expression required");
  }
  if (want && ce->type != want) {
    r->p = start;
    return fail(r, TROUPE_E_INVALID, "type mismatch");
  }
  return 0;
}

/* ---- imports, functions, tables, memories, globals ------------------------------- */

/* The index spaces are sized once the import and definition counts are known; imports
 * are stored first. These grow arrays as sections arrive. */
static int grow_spaces(trE_reader *r, trE_module *m, uint32_t funcs, uint32_t tables,
                       uint32_t mems, uint32_t globals) {
  if (funcs) {
    uint32_t *ft = trB_realloc_array(m->func_types, (size_t)m->nfuncs + funcs, sizeof *ft);
    if (!ft)
      return nomem(r);
    m->func_types = ft;
  }
  if (tables) {
    trE_tabletype *t = trB_realloc_array(m->tables, (size_t)m->ntables + tables, sizeof *t);
    if (!t)
      return nomem(r);
    m->tables = t;
  }
  if (mems) {
    trE_limits *l = trB_realloc_array(m->memories, (size_t)m->nmemories + mems, sizeof *l);
    if (!l)
      return nomem(r);
    m->memories = l;
  }
  if (globals) {
    trE_globaltype *g =
        trB_realloc_array(m->global_types, (size_t)m->nglobals + globals, sizeof *g);
    if (!g)
      return nomem(r);
    m->global_types = g;
  }
  return 0;
}

static int sec_import(trE_reader *r, trE_module *m) {
  uint32_t n;
  TRY(read_count(r, 4, &n));
  m->imports = trB_calloc(n, sizeof *m->imports);
  if (!m->imports)
    return nomem(r);
  /* worst case every import is of each kind: reserve index space for n of each */
  TRY(grow_spaces(r, m, n, n, n, n));
  for (uint32_t i = 0; i < n; i++) {
    trE_import *im = &m->imports[i];
    m->nimports = i + 1;
    TRY(read_name(r, &im->module, &im->module_len));
    TRY(read_name(r, &im->name, &im->name_len));
    uint8_t kind;
    TRY(trE_rd_u8(r, &kind));
    switch (kind) {
    case 0:
      im->kind = TROUPE_WASM_EXTERN_FUNC;
      TRY(trE_rd_u32(r, &im->as.type_index));
      if (im->as.type_index >= m->ntypes)
        return fail(r, TROUPE_E_INVALID, "unknown type %u", im->as.type_index);
      m->func_types[m->nfuncs++] = im->as.type_index;
      m->nfunc_imports++;
      break;
    case 1:
      im->kind = TROUPE_WASM_EXTERN_TABLE;
      TRY(read_tabletype(r, &im->as.table));
      m->tables[m->ntables++] = im->as.table;
      m->ntable_imports++;
      break;
    case 2:
      im->kind = TROUPE_WASM_EXTERN_MEMORY;
      TRY(read_limits(r, &im->as.memory, true));
      m->memories[m->nmemories++] = im->as.memory;
      m->nmemory_imports++;
      break;
    case 3:
      im->kind = TROUPE_WASM_EXTERN_GLOBAL;
      TRY(read_globaltype(r, &im->as.global));
      m->global_types[m->nglobals++] = im->as.global;
      m->nglobal_imports++;
      break;
    default:
      r->p--;
      return fail(r, TROUPE_E_MALFORMED, "malformed import kind");
    }
  }
  if (m->nmemories > 1)
    return fail(r, TROUPE_E_INVALID, "multiple memories");
  return 0;
}

static int sec_function(trE_reader *r, trE_module *m, uint32_t *declared) {
  uint32_t n;
  TRY(read_count(r, 1, &n));
  TRY(grow_spaces(r, m, n, 0, 0, 0));
  for (uint32_t i = 0; i < n; i++) {
    uint32_t t;
    TRY(trE_rd_u32(r, &t));
    if (t >= m->ntypes)
      return fail(r, TROUPE_E_INVALID, "unknown type %u", t);
    m->func_types[m->nfuncs++] = t;
  }
  *declared = n;
  return 0;
}

static int sec_table(trE_reader *r, trE_module *m) {
  uint32_t n;
  TRY(read_count(r, 3, &n));
  TRY(grow_spaces(r, m, 0, n, 0, 0));
  for (uint32_t i = 0; i < n; i++)
    TRY(read_tabletype(r, &m->tables[m->ntables++]));
  return 0;
}

static int sec_memory(trE_reader *r, trE_module *m) {
  uint32_t n;
  TRY(read_count(r, 2, &n));
  TRY(grow_spaces(r, m, 0, 0, n, 0));
  for (uint32_t i = 0; i < n; i++)
    TRY(read_limits(r, &m->memories[m->nmemories++], true));
  if (m->nmemories > 1)
    return fail(r, TROUPE_E_INVALID, "multiple memories");
  return 0;
}

static int sec_global(trE_reader *r, trE_module *m) {
  uint32_t n;
  TRY(read_count(r, 3, &n));
  TRY(grow_spaces(r, m, 0, 0, 0, n));
  m->globals = trB_calloc(n, sizeof *m->globals);
  if (!m->globals)
    return nomem(r);
  for (uint32_t i = 0; i < n; i++) {
    trE_global *g = &m->globals[i];
    TRY(read_globaltype(r, &g->type));
    TRY(read_constexpr(r, m, g->type.type, &g->init));
    m->global_types[m->nglobals++] = g->type;
  }
  return 0;
}

/* ---- exports, start -------------------------------------------------------------- */

static int export_cmp(const void *a, const void *b) {
  const trE_export *x = *(const trE_export *const *)a, *y = *(const trE_export *const *)b;
  int c = memcmp(x->name, y->name, TR_MIN(x->name_len, y->name_len));
  return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int sec_export(trE_reader *r, trE_module *m) {
  uint32_t n;
  TRY(read_count(r, 3, &n));
  m->exports = trB_calloc(n, sizeof *m->exports);
  if (!m->exports)
    return nomem(r);
  for (uint32_t i = 0; i < n; i++) {
    trE_export *ex = &m->exports[i];
    m->nexports = i + 1;
    TRY(read_name(r, &ex->name, &ex->name_len));
    uint8_t kind;
    TRY(trE_rd_u8(r, &kind));
    TRY(trE_rd_u32(r, &ex->index));
    uint32_t limit;
    const char *what;
    switch (kind) {
    case 0: ex->kind = TROUPE_WASM_EXTERN_FUNC, limit = m->nfuncs, what = "function"; break;
    case 1: ex->kind = TROUPE_WASM_EXTERN_TABLE, limit = m->ntables, what = "table"; break;
    case 2: ex->kind = TROUPE_WASM_EXTERN_MEMORY, limit = m->nmemories, what = "memory"; break;
    case 3: ex->kind = TROUPE_WASM_EXTERN_GLOBAL, limit = m->nglobals, what = "global"; break;
    default:
      return fail(r, TROUPE_E_MALFORMED, "malformed export kind");
    }
    if (ex->index >= limit)
      return fail(r, TROUPE_E_INVALID, "unknown %s %u", what, ex->index);
    if (ex->kind == TROUPE_WASM_EXTERN_FUNC)
      m->declared_funcs[ex->index / 8] |= (uint8_t)(1u << (ex->index % 8));
  }
  /* duplicate names: sort a scratch list of pointers, compare neighbours by bytes */
  const trE_export **sorted = trB_calloc(n, sizeof *sorted);
  if (!sorted)
    return nomem(r);
  for (uint32_t i = 0; i < n; i++)
    sorted[i] = &m->exports[i];
  qsort(sorted, n, sizeof *sorted, export_cmp);
  for (uint32_t i = 1; i < n; i++)
    if (export_cmp(&sorted[i - 1], &sorted[i]) == 0) {
      const char *dup = sorted[i]->name;
      free(sorted);
      return fail(r, TROUPE_E_INVALID, "duplicate export name \"%s\"", dup);
    }
  free(sorted);
  return 0;
}

static int sec_start(trE_reader *r, trE_module *m) {
  TRY(trE_rd_u32(r, &m->start));
  if (m->start >= m->nfuncs)
    return fail(r, TROUPE_E_INVALID, "unknown function %u", m->start);
  const trE_functype *ft = trE_func_type(m, m->start);
  if (ft->nparams || ft->nresults)
    return fail(r, TROUPE_E_INVALID, "start function must have type [] -> []");
  m->has_start = true;
  return 0;
}

/* ---- element and data segments --------------------------------------------------- */

static int read_elem(trE_reader *r, trE_module *m, trE_elem *e) {
  uint32_t flags;
  TRY(trE_rd_u32(r, &flags));
  if (flags > 7)
    return fail(r, TROUPE_E_MALFORMED, "malformed elements segment kind");
  bool passive_or_decl = flags & 1, explicit_table = flags & 2, exprs = flags & 4;
  e->mode = !passive_or_decl ? TRE_SEG_ACTIVE : explicit_table ? TRE_SEG_DECLARATIVE
                                                                : TRE_SEG_PASSIVE;
  e->elem_type = TROUPE_WASM_FUNCREF;
  if (e->mode == TRE_SEG_ACTIVE) {
    if (explicit_table)
      TRY(trE_rd_u32(r, &e->table));
    if (e->table >= m->ntables)
      return fail(r, TROUPE_E_INVALID, "unknown table %u", e->table);
    TRY(read_constexpr(r, m, TROUPE_WASM_I32, &e->offset));
  }
  if (passive_or_decl || explicit_table) { /* elemkind or reftype present */
    if (exprs) {
      TRY(read_reftype(r, &e->elem_type));
    } else {
      uint8_t kind;
      TRY(trE_rd_u8(r, &kind));
      if (kind != 0x00) {
        r->p--;
        return fail(r, TROUPE_E_MALFORMED, "malformed element kind");
      }
    }
  }
  TRY(read_count(r, 1, &e->count));
  e->items = trB_calloc(e->count, sizeof *e->items);
  if (!e->items)
    return nomem(r);
  for (uint32_t i = 0; i < e->count; i++) {
    trE_constexpr *it = &e->items[i];
    if (exprs) {
      TRY(read_constexpr(r, m, e->elem_type, it));
    } else {
      uint32_t x;
      TRY(trE_rd_u32(r, &x));
      if (x >= m->nfuncs)
        return fail(r, TROUPE_E_INVALID, "unknown function %u", x);
      it->op = TRE_CONST_REF_FUNC, it->type = TROUPE_WASM_FUNCREF, it->bits = x;
      m->declared_funcs[x / 8] |= (uint8_t)(1u << (x % 8));
    }
  }
  if (e->mode == TRE_SEG_ACTIVE && m->tables[e->table].elem != e->elem_type)
    return fail(r, TROUPE_E_INVALID, "type mismatch");
  return 0;
}

static int sec_element(trE_reader *r, trE_module *m) {
  uint32_t n;
  TRY(read_count(r, 2, &n));
  m->elems = trB_calloc(n, sizeof *m->elems);
  if (!m->elems)
    return nomem(r);
  for (uint32_t i = 0; i < n; i++) {
    m->nelems = i + 1;
    TRY(read_elem(r, m, &m->elems[i]));
  }
  return 0;
}

static int sec_data(trE_reader *r, trE_module *m) {
  uint32_t n;
  TRY(read_count(r, 2, &n));
  if (m->has_datacount && n != m->datacount)
    return fail(r, TROUPE_E_MALFORMED, "data count and data section have inconsistent lengths");
  m->datas = trB_calloc(n, sizeof *m->datas);
  if (!m->datas)
    return nomem(r);
  for (uint32_t i = 0; i < n; i++) {
    trE_data *d = &m->datas[i];
    m->ndatas = i + 1;
    uint32_t flags;
    TRY(trE_rd_u32(r, &flags));
    if (flags > 2)
      return fail(r, TROUPE_E_MALFORMED, "malformed data segment kind");
    d->mode = flags == 1 ? TRE_SEG_PASSIVE : TRE_SEG_ACTIVE;
    if (flags == 2)
      TRY(trE_rd_u32(r, &d->memory));
    if (d->mode == TRE_SEG_ACTIVE) {
      if (d->memory >= m->nmemories)
        return fail(r, TROUPE_E_INVALID, "unknown memory %u", d->memory);
      TRY(read_constexpr(r, m, TROUPE_WASM_I32, &d->offset));
    }
    const uint8_t *bytes;
    TRY(trE_rd_u32(r, &d->len));
    if (d->len > trE_rd_left(r))
      return fail(r, TROUPE_E_MALFORMED, "unexpected end of section or function");
    TRY(trE_rd_bytes(r, d->len, &bytes));
    d->bytes = trB_memdup(bytes, d->len);
    if (!d->bytes)
      return nomem(r);
  }
  return 0;
}

/* ---- code ------------------------------------------------------------------------ */

static int sec_code(trE_reader *r, trE_module *m, uint32_t declared) {
  uint32_t n;
  TRY(read_count(r, 1, &n));
  if (n != declared)
    return fail(r, TROUPE_E_MALFORMED, "function and code section have inconsistent lengths");
  m->bodies = trB_calloc(n, sizeof *m->bodies);
  if (!m->bodies)
    return nomem(r);
  for (uint32_t i = 0; i < n; i++) {
    trE_funcbody *b = &m->bodies[i];
    uint32_t size;
    TRY(trE_rd_u32(r, &size));
    if (size > trE_rd_left(r))
      return fail(r, TROUPE_E_MALFORMED, "unexpected end of section or function");
    trE_reader body = *r;
    body.end = r->p + size;
    r->p += size;
    uint32_t ngroups;
    TRY(read_count(&body, 2, &ngroups));
    b->local_groups = trB_calloc(ngroups, sizeof *b->local_groups);
    if (!b->local_groups)
      return nomem(&body);
    b->nlocal_groups = ngroups;
    uint64_t total = 0;
    for (uint32_t g = 0; g < ngroups; g++) {
      TRY(trE_rd_u32(&body, &b->local_groups[g].count));
      TRY(trE_rd_valtype(&body, &b->local_groups[g].type));
      total += b->local_groups[g].count;
      if (total > TRE_MAX_LOCALS)
        return fail(&body, TROUPE_E_MALFORMED, "too many locals");
    }
    b->nlocals = (uint32_t)total;
    if (body.p >= body.end)
      return fail(&body, TROUPE_E_MALFORMED, "unexpected end of section or function");
    b->code = body.p;
    b->code_end = body.end;
    b->code_offset = (uint32_t)(body.p - body.base);
  }
  return 0;
}

/* ---- the module ------------------------------------------------------------------ */

static const char *const section_names[] = {
    "custom section", "type section",   "import section",  "function section",
    "table section",  "memory section", "global section",  "export section",
    "start section",  "element section", "code section",   "data section",
    "data count section",
};

/* Position of each section id in the required order (datacount between element and code). */
static int section_rank(uint8_t id) {
  static const int rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
  return rank[id];
}

/* The bitmap of functions referenced outside bodies is sized by the final function
 * count, known once the function section has passed: every section that marks
 * functions (global, export, element) comes after it. */
static bool rank_needs_declared(uint8_t id) {
  return id == TRE_SEC_GLOBAL || id == TRE_SEC_EXPORT || id == TRE_SEC_ELEMENT;
}

static int ensure_declared(trE_reader *r, trE_module *m) {
  if (m->declared_funcs)
    return 0;
  m->declared_funcs = trB_calloc((size_t)m->nfuncs / 8 + 1, 1);
  return m->declared_funcs ? 0 : nomem(r);
}

static int custom_section(trE_reader *r) {
  return read_name(r, NULL, NULL); /* the rest is opaque to the engine */
}

int trE_module_decode(const uint8_t *bytes, size_t len, trE_module **out, troupe_err *err) {
  trE_reader r = {bytes, bytes, bytes + len, "module header", err};
  *out = NULL;
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
  if (len < 4 || memcmp(bytes, magic, 4) != 0)
    return fail(&r, TROUPE_E_MALFORMED, "magic header not detected");
  r.p += 4;
  uint32_t version;
  if (trE_rd_fixed32(&r, &version) || version != 1)
    return fail(&r, TROUPE_E_MALFORMED, "unknown binary version");

  trE_module *m = trB_calloc(1, sizeof *m);
  if (!m)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  atomic_init(&m->refcount, 1);
  int rc = 0;
  int last_rank = 0;
  uint32_t declared_funcs = 0;
  bool seen_code = false;

  while (r.p < r.end) {
    r.where = "module";
    uint8_t id;
    uint32_t size;
    if ((rc = trE_rd_u8(&r, &id)))
      goto fail;
    if (id > 12) {
      r.p--;
      rc = fail(&r, TROUPE_E_MALFORMED, "malformed section id %u", id);
      goto fail;
    }
    r.where = section_names[id];
    if ((rc = trE_rd_u32(&r, &size)))
      goto fail;
    if (size > trE_rd_left(&r)) {
      rc = fail(&r, TROUPE_E_MALFORMED, "section size out of bounds: unexpected end");
      goto fail;
    }
    if (id != TRE_SEC_CUSTOM) {
      int rank = section_rank(id);
      if (rank <= last_rank) {
        rc = fail(&r, TROUPE_E_MALFORMED, "unexpected content after last section (%s out of order or repeated)", section_names[id]);
        goto fail;
      }
      last_rank = rank;
    }
    trE_reader s = r;
    s.end = r.p + size;
    r.p += size;
    if (rank_needs_declared(id) && (rc = ensure_declared(&s, m)))
      goto fail;
    switch (id) {
    case TRE_SEC_CUSTOM: rc = custom_section(&s); s.p = s.end; break;
    case TRE_SEC_TYPE: rc = sec_type(&s, m); break;
    case TRE_SEC_IMPORT: rc = sec_import(&s, m); break;
    case TRE_SEC_FUNCTION: rc = sec_function(&s, m, &declared_funcs); break;
    case TRE_SEC_TABLE: rc = sec_table(&s, m); break;
    case TRE_SEC_MEMORY: rc = sec_memory(&s, m); break;
    case TRE_SEC_GLOBAL: rc = sec_global(&s, m); break;
    case TRE_SEC_EXPORT: rc = sec_export(&s, m); break;
    case TRE_SEC_START: rc = sec_start(&s, m); break;
    case TRE_SEC_ELEMENT: rc = sec_element(&s, m); break;
    case TRE_SEC_CODE: rc = sec_code(&s, m, declared_funcs); seen_code = true; break;
    case TRE_SEC_DATA: rc = sec_data(&s, m); break;
    case TRE_SEC_DATACOUNT:
      rc = trE_rd_u32(&s, &m->datacount);
      m->has_datacount = rc == 0;
      break;
    }
    if (rc)
      goto fail;
    if (s.p != s.end) {
      rc = fail(&s, TROUPE_E_MALFORMED, "section size mismatch");
      goto fail;
    }
  }
  r.where = "module";
  if (!seen_code && declared_funcs) {
    rc = fail(&r, TROUPE_E_MALFORMED, "function and code section have inconsistent lengths");
    goto fail;
  }
  if (m->has_datacount && m->ndatas != m->datacount) {
    rc = fail(&r, TROUPE_E_MALFORMED, "data count and data section have inconsistent lengths");
    goto fail;
  }
  if ((rc = ensure_declared(&r, m)))
    goto fail;
  *out = m;
  return 0;
fail:
  trE_module_free_decoded(m);
  return rc;
}

void trE_module_free_decoded(trE_module *m) {
  if (!m)
    return;
  for (uint32_t i = 0; i < m->ntypes; i++)
    free(m->types[i].types);
  free(m->types);
  for (uint32_t i = 0; i < m->nimports; i++) {
    free(m->imports[i].module);
    free(m->imports[i].name);
  }
  free(m->imports);
  free(m->func_types);
  if (m->bodies)
    for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
      free(m->bodies[i].local_groups);
  free(m->bodies);
  free(m->tables);
  free(m->memories);
  free(m->global_types);
  free(m->globals);
  for (uint32_t i = 0; i < m->nexports; i++)
    free(m->exports[i].name);
  free(m->exports);
  for (uint32_t i = 0; i < m->nelems; i++)
    free(m->elems[i].items);
  free(m->elems);
  for (uint32_t i = 0; i < m->ndatas; i++)
    free(m->datas[i].bytes);
  free(m->datas);
  free(m->declared_funcs);
  free(m);
}
