/*
 * engine/compile_ops.c: every instruction family but control -- numeric ops, drop and
 * select, locals and globals, constants, references, table.get/set, memory accesses and
 * the 0xFC prefix (saturating truncations, bulk memory and table ops). Each validates its
 * operands and emits plainly, after offering the instruction to the peephole
 * (compile_fuse.c). What is decided here from where an operand lives (compile.h): a
 * constant operand goes into the op (the _imm forms), a constant address too (_k), a
 * local is read in place, and local.set retargets the result of the op just emitted.
 */
#include "engine/compile.h"

#include <string.h>

/* ---- numeric ------------------------------------------------------------------------ */

/* [op d s]: entry pos read and its home slot written (the result replaces it). */
static void emit_unary(trE_cc *c, trE_opcode op, uint32_t pos) {
  if (trE_cc_dead(c))
    return;
  uint32_t s = trE_cc_rd(c, pos);
  uint32_t *w = trE_cc_emit(c, op, 2);
  w[0] = trE_cc_home(c, pos), w[1] = s;
  trE_cc_note_dst(c, w, pos);
}

/* The constant-operand form of a binary op (second operand constant), or -1; *swapped
 * gets the form to use when the constant is the *first* operand (-1 if none: the op
 * does not commute and has no mirrored compare). */
static int imm_form(trE_opcode op, int *swapped) {
  *swapped = -1;
  switch (op) {
#define COMM(t, o)                                                                         \
  case TRE_OP_##t##_##o:                                                                   \
    *swapped = TRE_OP_##t##_##o##_imm;                                                     \
    return TRE_OP_##t##_##o##_imm;
#define PLAIN(t, o)                                                                        \
  case TRE_OP_##t##_##o:                                                                   \
    return TRE_OP_##t##_##o##_imm;
#define MIRROR(t, k, n, m) /* TRE_CMPS: (a k b) is (b m a) */                               \
  case TRE_OP_##t##_##k:                                                                   \
    *swapped = TRE_OP_##t##_##m##_imm;                                                     \
    return TRE_OP_##t##_##k##_imm;
#define FORMS(t)                                                                           \
  COMM(t, add) COMM(t, mul) COMM(t, and) COMM(t, or) COMM(t, xor)                          \
  PLAIN(t, sub) PLAIN(t, shl) PLAIN(t, shr_s) PLAIN(t, shr_u) PLAIN(t, rotl) PLAIN(t, rotr) \
  TRE_CMPS(MIRROR, t)
    FORMS(i32)
    FORMS(i64)
#undef FORMS
#undef MIRROR
#undef PLAIN
#undef COMM
  default: return -1;
  }
}

static bool fits_imm(const trE_cval *v) {
  if (v->kind != TRE_V_CONST)
    return false;
  if (v->type == TROUPE_WASM_I32)
    return true;
  return v->type == TROUPE_WASM_I64 && (int64_t)v->val == (int64_t)(int32_t)v->val;
}

static int numeric(trE_cc *c, trE_opcode op, uint8_t a, uint8_t b, uint8_t r) {
  uint32_t pb = 0, pa = 0;
  if (b)
    TRY(trE_cc_pop(c, b, &pb, NULL));
  TRY(trE_cc_pop(c, a, &pa, NULL));
  if (!trE_cc_dead(c) && (op == TRE_OP_i32_sub || op == TRE_OP_i64_sub) &&
      c->st[pb].kind == TRE_V_CONST) {
    /* x - k is x + (-k) in wrapping arithmetic: one form for the fusions that look for
     * an add */
    c->st[pb].val = op == TRE_OP_i32_sub ? (uint32_t)-c->st[pb].val : -c->st[pb].val;
    op = op == TRE_OP_i32_sub ? TRE_OP_i32_add : TRE_OP_i64_add;
  }
  if (b && trE_fuse_binary(c, op, pa, pb))
    return trE_cc_push(c, r);
  if (op == TRE_OP_i32_eqz && trE_fuse_eqz(c, pa))
    return trE_cc_push(c, TROUPE_WASM_I32);
  if (op == TRE_OP_i32_wrap_i64 && !trE_cc_dead(c)) {
    /* i32 consumers read only a slot's low half: the value stays where it is (a
     * constant is truncated), and nothing is emitted */
    trE_cval src = c->st[pa]; /* popped, still readable until the push */
    TRY(trE_cc_push(c, TROUPE_WASM_I32));
    trE_cval *v = &c->st[c->sp - 1];
    *v = src;
    v->type = TROUPE_WASM_I32;
    if (v->kind == TRE_V_CONST)
      v->val = (uint32_t)v->val;
    else if (v->kind == TRE_V_LOCAL) {
      c->nlazy++;
      c->lazy[v->idx]++;
    }
    c->last_dst = 0;
    return 0;
  }
  if (!trE_cc_dead(c)) {
    int swapped = -1;
    int fused = b ? imm_form(op, &swapped) : -1;
    if (fused >= 0 && fits_imm(&c->st[pb])) {
      uint32_t ra = trE_cc_rd(c, pa);
      uint32_t *w = trE_cc_emit(c, (trE_opcode)fused, 3);
      w[0] = trE_cc_home(c, pa), w[1] = ra, w[2] = (uint32_t)c->st[pb].val;
      trE_cc_note_dst(c, w, pa);
    } else if (swapped >= 0 && fits_imm(&c->st[pa])) {
      uint32_t rb = trE_cc_rd(c, pb);
      uint32_t *w = trE_cc_emit(c, (trE_opcode)swapped, 3);
      w[0] = trE_cc_home(c, pa), w[1] = rb, w[2] = (uint32_t)c->st[pa].val;
      trE_cc_note_dst(c, w, pa);
    } else if (b) {
      uint32_t ra = trE_cc_rd(c, pa), rb = trE_cc_rd(c, pb);
      uint32_t *w = trE_cc_emit(c, op, 3);
      w[0] = trE_cc_home(c, pa), w[1] = ra, w[2] = rb;
      trE_cc_note_dst(c, w, pa);
    } else {
      emit_unary(c, op, pa);
    }
  }
  TRY(trE_cc_push(c, r));
  return 0;
}

int trE_cc_numeric(trE_cc *c, int code, bool *known) {
  *known = true;
  switch (code) {
#define X(_, name, cd, a, b, r)                                                            \
  case cd:                                                                                 \
    return numeric(c, TRE_OP_##name, TRE_TY_##a, TRE_TY_##b, TRE_TY_##r);
    TRE_NUMOPS(X, _)
#undef X
  default:
    *known = false;
    return 0;
  }
}

/* ---- drop, select, locals, globals, constants, references ---------------------------- */

int trE_cc_parametric(trE_cc *c, uint8_t op) {
  if (op == 0x1A) /* drop */
    return trE_cc_pop(c, TRE_T_UNKNOWN, NULL, NULL);
  /* select (0x1B), typed select (0x1C) */
  uint8_t want = TRE_T_UNKNOWN;
  if (op == 0x1C) {
    uint32_t n;
    TRY(trE_cc_rd_u32(c, &n));
    if (n != 1)
      return TRE_INVALID(c, "invalid result arity");
    TRY(trE_rd_valtype(&c->r, &want));
  }
  uint32_t pcond = 0, pb = 0, pa = 0;
  uint8_t tb = 0, ta = 0;
  TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pcond, NULL));
  TRY(trE_cc_pop(c, want, &pb, &tb));
  TRY(trE_cc_pop(c, want, &pa, &ta));
  if (op == 0x1B) {
    if (trE_is_reftype(ta) || trE_is_reftype(tb) || ta == TROUPE_WASM_V128)
      return TRE_MISMATCH(c);
    if (ta != TRE_T_UNKNOWN && tb != TRE_T_UNKNOWN && ta != tb)
      return TRE_MISMATCH(c);
    want = ta != TRE_T_UNKNOWN ? ta : tb;
  }
  if (!trE_cc_dead(c)) {
    uint32_t a = trE_cc_rd(c, pa), b = trE_cc_rd(c, pb), cond = trE_cc_rd(c, pcond);
    uint32_t *w = trE_cc_emit(c, TRE_OP_select, 4);
    w[0] = trE_cc_home(c, pa), w[1] = a, w[2] = b, w[3] = cond;
    trE_cc_note_dst(c, w, pa);
  }
  return trE_cc_push(c, want);
}

/* local.get: nothing is emitted, the entry reads local x where it is. */
static int local_get(trE_cc *c, uint32_t x) {
  if (x >= c->nlocals)
    return TRE_INVALID(c, "unknown local %u", x);
  TRY(trE_cc_push(c, c->ltypes[x]));
  if (!trE_cc_dead(c)) {
    c->st[c->sp - 1].kind = TRE_V_LOCAL;
    c->st[c->sp - 1].idx = x;
    c->nlazy++;
    c->lazy[x]++;
  }
  return 0;
}

/* local.set / local.tee: write the top entry into local x. */
static int op_local_set(trE_cc *c, uint32_t x, bool tee) {
  if (x >= c->nlocals)
    return TRE_INVALID(c, "unknown local %u", x);
  uint32_t pos;
  TRY(trE_cc_pop(c, c->ltypes[x], &pos, NULL));
  if (!trE_cc_dead(c)) {
    trE_cval v = c->st[pos]; /* popped, still readable */
    bool referenced = false;
    for (uint32_t i = 0; c->lazy[x] && i < c->sp; i++)
      if (c->st[i].kind == TRE_V_LOCAL && c->st[i].idx == x) {
        referenced = true;
        trE_cc_materialize(c, i); /* preserve the old value for pending readers */
      }
    if (v.kind == TRE_V_SLOT && !referenced && c->last_dst && c->last_pos == pos) {
      c->code[c->last_dst - 1] = x; /* the producer writes the local directly */
      c->set_end = c->ncode + 1; /* a load from x may fuse the add (trE_fuse_load) */
      trE_fuse_store_inc(c, x);
    } else if (v.kind == TRE_V_CONST) {
      trE_cc_emit_const(c, x, v.type, v.val);
    } else {
      trE_cc_emit_copy(c, x, v.kind == TRE_V_LOCAL ? v.idx : trE_cc_home(c, pos));
    }
    c->last_dst = 0;
  }
  return tee ? local_get(c, x) : 0; /* tee: x is read in place, as by local.get */
}

static int global_get(trE_cc *c, uint32_t g) {
  trE_module *m = c->m;
  if (g >= m->nglobals)
    return TRE_INVALID(c, "unknown global %u", g);
  uint32_t pos = c->sp;
  TRY(trE_cc_push(c, m->global_types[g].type));
  uint32_t *w = trE_cc_emit(c, TRE_OP_global_get, 2);
  w[0] = trE_cc_home(c, pos), w[1] = g;
  trE_cc_note_dst(c, w, pos);
  return 0;
}

static int global_set(trE_cc *c, uint32_t g) {
  trE_module *m = c->m;
  uint32_t pos = 0;
  if (g >= m->nglobals)
    return TRE_INVALID(c, "unknown global %u", g);
  if (!m->global_types[g].mut)
    return TRE_INVALID(c, "global is immutable");
  TRY(trE_cc_pop(c, m->global_types[g].type, &pos, NULL));
  if (!trE_cc_dead(c)) {
    uint32_t s = trE_cc_rd(c, pos);
    uint32_t *w = trE_cc_emit(c, TRE_OP_global_set, 2);
    w[0] = g, w[1] = s;
  }
  return 0;
}

/* local.get, local.set, local.tee, global.get, global.set (0x20-0x24): an index, then
 * the op. */
int trE_cc_variable(trE_cc *c, uint8_t op) {
  uint32_t x;
  TRY(trE_cc_rd_u32(c, &x));
  switch (op) {
  case 0x20:
    return local_get(c, x);
  case 0x21: case 0x22:
    return op_local_set(c, x, op == 0x22);
  case 0x23:
    return global_get(c, x);
  default:
    return global_set(c, x);
  }
}

/* i32.const, i64.const, f32.const, f64.const (0x41-0x44): nothing is emitted, the
 * constant waits on the operand stack for its consumer. */
int trE_cc_constant(trE_cc *c, uint8_t op) {
  switch (op) {
  case 0x41: {
    int64_t v;
    TRY(trE_rd_sleb(&c->r, 32, &v));
    return trE_cc_push_const(c, TROUPE_WASM_I32, (uint32_t)v);
  }
  case 0x42: {
    int64_t v;
    TRY(trE_rd_sleb(&c->r, 64, &v));
    return trE_cc_push_const(c, TROUPE_WASM_I64, (uint64_t)v);
  }
  case 0x43: {
    uint32_t v;
    TRY(trE_rd_fixed32(&c->r, &v));
    return trE_cc_push_const(c, TROUPE_WASM_F32, v);
  }
  default: { /* 0x44 */
    uint64_t v;
    TRY(trE_rd_fixed64(&c->r, &v));
    return trE_cc_push_const(c, TROUPE_WASM_F64, v);
  }
  }
}

/* ref.null, ref.is_null, ref.func (0xD0-0xD2). */
int trE_cc_reference(trE_cc *c, uint8_t op) {
  trE_module *m = c->m;
  switch (op) {
  case 0xD0: { /* ref.null t */
    uint8_t t;
    TRY(trE_rd_u8(&c->r, &t));
    if (!trE_is_reftype(t))
      return trE_cc_fail(c, TROUPE_E_MALFORMED, "malformed reference type");
    return trE_cc_push_const(c, t, 0);
  }
  case 0xD1: { /* ref.is_null */
    uint32_t pos;
    uint8_t t;
    TRY(trE_cc_pop(c, TRE_T_UNKNOWN, &pos, &t));
    if (t != TRE_T_UNKNOWN && !trE_is_reftype(t))
      return TRE_MISMATCH(c);
    emit_unary(c, TRE_OP_ref_is_null, pos);
    return trE_cc_push(c, TROUPE_WASM_I32);
  }
  default: { /* ref.func (0xD2) */
    uint32_t fi;
    TRY(trE_cc_rd_u32(c, &fi));
    if (fi >= m->nfuncs)
      return TRE_INVALID(c, "unknown function %u", fi);
    if (!(m->declared_funcs[fi / 8] & (1u << (fi % 8))))
      return TRE_INVALID(c, "undeclared function reference");
    uint32_t pos = c->sp;
    TRY(trE_cc_push(c, TROUPE_WASM_FUNCREF));
    uint32_t *w = trE_cc_emit(c, TRE_OP_ref_func, 2);
    w[0] = trE_cc_home(c, pos), w[1] = fi;
    trE_cc_note_dst(c, w, pos);
    return 0;
  }
  }
}

/* ---- tables and memory -------------------------------------------------------------- */

/* table.get (0x25), table.set (0x26). */
int trE_cc_table(trE_cc *c, uint8_t op) {
  trE_module *m = c->m;
  uint32_t t, pi = 0, pv = 0;
  TRY(trE_cc_rd_u32(c, &t));
  TRY(trE_cc_check_table(c, t));
  if (op == 0x26)
    TRY(trE_cc_pop(c, m->tables[t].elem, &pv, NULL));
  TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pi, NULL));
  if (!trE_cc_dead(c)) {
    uint32_t i = trE_cc_rd(c, pi);
    if (op == 0x25) {
      uint32_t *w = trE_cc_emit(c, TRE_OP_table_get, 3);
      w[0] = t, w[1] = trE_cc_home(c, pi), w[2] = i;
      trE_cc_note_dst(c, &w[1], pi);
    } else {
      uint32_t v = trE_cc_rd(c, pv);
      uint32_t *w = trE_cc_emit(c, TRE_OP_table_set, 3);
      w[0] = t, w[1] = i, w[2] = v;
    }
  }
  return op == 0x25 ? trE_cc_push(c, m->tables[t].elem) : 0;
}

static int read_memarg(trE_cc *c, unsigned natural, uint32_t *offset) {
  uint32_t align;
  TRY(trE_cc_rd_u32(c, &align));
  TRY(trE_cc_rd_u32(c, offset));
  if (c->m->nmemories == 0)
    return TRE_INVALID(c, "unknown memory 0");
  if (align > natural)
    return TRE_INVALID(c, "alignment must not be larger than natural");
  return 0;
}

static int op_load(trE_cc *c, trE_opcode op, uint8_t t, unsigned align) {
  uint32_t off, pa = 0;
  TRY(read_memarg(c, align, &off));
  TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pa, NULL));
  if (!trE_cc_dead(c) && c->st[pa].kind == TRE_V_CONST) {
    /* a constant address (static data): it is the operand */
    uint32_t *w = trE_cc_emit(c, trE_op_load_k((unsigned)trE_op_load_index(op)), 3);
    w[0] = trE_cc_home(c, pa), w[1] = (uint32_t)c->st[pa].val, w[2] = off;
    trE_cc_note_dst(c, w, pa);
  } else if (!trE_cc_dead(c) && !trE_fuse_load(c, op, pa, off)) {
    uint32_t a = trE_cc_rd(c, pa);
    uint32_t *w = trE_cc_emit(c, op, 3);
    w[0] = trE_cc_home(c, pa), w[1] = a, w[2] = off;
    trE_cc_note_dst(c, w, pa);
  }
  return trE_cc_push(c, t);
}

static int op_store(trE_cc *c, trE_opcode op, uint8_t t, unsigned align) {
  uint32_t off, pa = 0, pv = 0;
  unsigned si = (unsigned)trE_op_store_index(op);
  TRY(read_memarg(c, align, &off));
  TRY(trE_cc_pop(c, t, &pv, NULL));
  TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pa, NULL));
  if (!trE_cc_dead(c)) {
    const trE_cval *cv = &c->st[pv];
    bool narrow = t == TROUPE_WASM_I32 || t == TROUPE_WASM_F32 || op == TRE_OP_i64_store8 ||
                  op == TRE_OP_i64_store16 || op == TRE_OP_i64_store32;
    if (cv->kind == TRE_V_CONST && (narrow || (int64_t)cv->val == (int64_t)(int32_t)cv->val)) {
      uint32_t imm = (uint32_t)cv->val; /* the store truncates: only the low bits matter */
      uint32_t a = trE_cc_rd(c, pa);
      uint32_t *w = trE_cc_emit(c, trE_op_store_imm(si), 3);
      w[0] = a, w[1] = imm, w[2] = off;
      return 0;
    }
    if (c->st[pa].kind == TRE_V_CONST) { /* a constant address (static data) */
      uint32_t v = trE_cc_rd(c, pv);
      uint32_t *w = trE_cc_emit(c, trE_op_store_k(si), 3);
      w[0] = (uint32_t)c->st[pa].val, w[1] = v, w[2] = off;
      return 0;
    }
    if (trE_fuse_store(c, op, pa, pv, off))
      return 0;
    uint32_t a = trE_cc_rd(c, pa), v = trE_cc_rd(c, pv);
    uint32_t *w = trE_cc_emit(c, op, 3);
    w[0] = a, w[1] = v, w[2] = off;
  }
  return 0;
}

/* memory.size (0x3F), memory.grow (0x40). */
static int op_memory_size_grow(trE_cc *c, uint8_t op) {
  TRY(trE_cc_rd_zero_byte(c));
  if (c->m->nmemories == 0)
    return TRE_INVALID(c, "unknown memory 0");
  uint32_t pos = c->sp;
  if (op == 0x3F) {
    TRY(trE_cc_push(c, TROUPE_WASM_I32));
    uint32_t *w = trE_cc_emit(c, TRE_OP_memory_size, 1);
    w[0] = trE_cc_home(c, pos);
    trE_cc_note_dst(c, w, pos);
    return 0;
  }
  TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pos, NULL));
  emit_unary(c, TRE_OP_memory_grow, pos);
  return trE_cc_push(c, TROUPE_WASM_I32);
}

/* Loads and stores (0x28-0x3E), memory.size and memory.grow (0x3F, 0x40). */
int trE_cc_memory(trE_cc *c, uint8_t op) {
  switch (op) {
#define X(_, name, code, t, al)                                                            \
  case code:                                                                               \
    return op_load(c, TRE_OP_##name, TRE_TY_##t, al);
    TRE_LOADOPS(X, _)
#undef X
#define X(_, name, code, t, al)                                                            \
  case code:                                                                               \
    return op_store(c, TRE_OP_##name, TRE_TY_##t, al);
    TRE_STOREOPS(X, _)
#undef X
  default:
    return op_memory_size_grow(c, op);
  }
}

/* ---- the 0xFC prefix ----------------------------------------------------------------- */

/* The bulk ops' (d, s, n) operands, popped as i32s; emits op [imms.. d s n]. */
static int bulk3(trE_cc *c, trE_opcode op, uint32_t nimm, uint32_t imm0, uint32_t imm1) {
  uint32_t pn = 0, ps = 0, pd = 0;
  TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pn, NULL));
  TRY(trE_cc_pop(c, TROUPE_WASM_I32, &ps, NULL));
  TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pd, NULL));
  if (!trE_cc_dead(c)) {
    uint32_t d = trE_cc_rd(c, pd), s = trE_cc_rd(c, ps), n = trE_cc_rd(c, pn);
    uint32_t *w = trE_cc_emit(c, op, nimm + 3);
    if (nimm > 0)
      w[0] = imm0;
    if (nimm > 1)
      w[1] = imm1;
    w[nimm] = d, w[nimm + 1] = s, w[nimm + 2] = n;
  }
  return 0;
}

static int data_index(trE_cc *c, uint32_t *seg) {
  TRY(trE_cc_rd_u32(c, seg));
  if (!c->m->has_datacount)
    return trE_cc_fail(c, TROUPE_E_MALFORMED, "data count section required");
  if (*seg >= c->m->datacount)
    return TRE_INVALID(c, "unknown data segment %u", *seg);
  return 0;
}

/* Saturating truncations (0-7), bulk memory (8-11) and table ops (12-17). */
int trE_cc_prefixed(trE_cc *c) {
  uint32_t sub, seg, t, t2;
  TRY(trE_cc_rd_u32(c, &sub));
  trE_module *m = c->m;
  switch (sub) {
  case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: {
    bool known;
    return trE_cc_numeric(c, 0x100 + (int)sub, &known);
  }
  case 8: /* memory.init */
    TRY(data_index(c, &seg));
    TRY(trE_cc_rd_zero_byte(c));
    if (m->nmemories == 0)
      return TRE_INVALID(c, "unknown memory 0");
    return bulk3(c, TRE_OP_memory_init, 1, seg, 0);
  case 9: { /* data.drop */
    TRY(data_index(c, &seg));
    uint32_t *w = trE_cc_emit(c, TRE_OP_data_drop, 1);
    w[0] = seg;
    return 0;
  }
  case 10: case 11: /* memory.copy, memory.fill */
    TRY(trE_cc_rd_zero_byte(c));
    if (sub == 10)
      TRY(trE_cc_rd_zero_byte(c));
    if (m->nmemories == 0)
      return TRE_INVALID(c, "unknown memory 0");
    return bulk3(c, sub == 10 ? TRE_OP_memory_copy : TRE_OP_memory_fill, 0, 0, 0);
  case 12: /* table.init elem table */
    TRY(trE_cc_rd_u32(c, &seg));
    TRY(trE_cc_rd_u32(c, &t));
    TRY(trE_cc_check_table(c, t));
    if (seg >= m->nelems)
      return TRE_INVALID(c, "unknown elem segment %u", seg);
    if (m->elems[seg].elem_type != m->tables[t].elem)
      return TRE_MISMATCH(c);
    return bulk3(c, TRE_OP_table_init, 2, t, seg);
  case 13: { /* elem.drop */
    TRY(trE_cc_rd_u32(c, &seg));
    if (seg >= m->nelems)
      return TRE_INVALID(c, "unknown elem segment %u", seg);
    uint32_t *w = trE_cc_emit(c, TRE_OP_elem_drop, 1);
    w[0] = seg;
    return 0;
  }
  case 14: /* table.copy dst src */
    TRY(trE_cc_rd_u32(c, &t));
    TRY(trE_cc_rd_u32(c, &t2));
    TRY(trE_cc_check_table(c, t));
    TRY(trE_cc_check_table(c, t2));
    if (m->tables[t].elem != m->tables[t2].elem)
      return TRE_MISMATCH(c);
    return bulk3(c, TRE_OP_table_copy, 2, t, t2);
  case 15: { /* table.grow */
    uint32_t pn = 0, pv = 0;
    TRY(trE_cc_rd_u32(c, &t));
    TRY(trE_cc_check_table(c, t));
    TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pn, NULL));
    TRY(trE_cc_pop(c, m->tables[t].elem, &pv, NULL));
    if (!trE_cc_dead(c)) {
      uint32_t v = trE_cc_rd(c, pv), n = trE_cc_rd(c, pn);
      uint32_t *w = trE_cc_emit(c, TRE_OP_table_grow, 4);
      w[0] = t, w[1] = trE_cc_home(c, pv), w[2] = v, w[3] = n;
      trE_cc_note_dst(c, &w[1], pv);
    }
    return trE_cc_push(c, TROUPE_WASM_I32);
  }
  case 16: { /* table.size */
    TRY(trE_cc_rd_u32(c, &t));
    TRY(trE_cc_check_table(c, t));
    uint32_t pos = c->sp;
    TRY(trE_cc_push(c, TROUPE_WASM_I32));
    uint32_t *w = trE_cc_emit(c, TRE_OP_table_size, 2);
    w[0] = t, w[1] = trE_cc_home(c, pos);
    trE_cc_note_dst(c, &w[1], pos);
    return 0;
  }
  case 17: { /* table.fill */
    uint32_t pn = 0, pv = 0, pi = 0;
    TRY(trE_cc_rd_u32(c, &t));
    TRY(trE_cc_check_table(c, t));
    TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pn, NULL));
    TRY(trE_cc_pop(c, m->tables[t].elem, &pv, NULL));
    TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pi, NULL));
    if (!trE_cc_dead(c)) {
      uint32_t i = trE_cc_rd(c, pi), v = trE_cc_rd(c, pv), n = trE_cc_rd(c, pn);
      uint32_t *w = trE_cc_emit(c, TRE_OP_table_fill, 4);
      w[0] = t, w[1] = i, w[2] = v, w[3] = n;
    }
    return 0;
  }
  default:
    return trE_cc_fail(c, TROUPE_E_MALFORMED, "illegal opcode 0xfc 0x%x", sub);
  }
}
