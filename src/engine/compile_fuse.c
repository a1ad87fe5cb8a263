/*
 * engine/compile_fuse.c: the peephole. The emitters (compile_ops.c, compile_ctrl.c) offer
 * an instruction here before they emit it plainly; a fusion looks at the ops just
 * emitted, drops them (trE_cc_unemit) and emits one fused op in their place. ops.h lists
 * the fused ops and their layouts; docs/ENGINE.md says what each bought. Constant-operand
 * and constant-address forms are not peephole work: the emitters choose them from where
 * an operand lives.
 *
 * The window is the last three ops emitted (trE_cc: last_*, prev_*, prev2_*: start and
 * op) and the result word of the last one (last_dst, last_pos). Its invariants:
 *  1. An entry names the op starting at its code index, or is TRE_OP_COUNT. Emitting
 *     shifts the window; dropping code forgets every entry at or past the drop point.
 *     Code under the window can still change (a result retargeted to a local, eqz folded
 *     into a compare), so an older entry is used only after op_at() has checked that its
 *     op word is still there and that it ends where the next entry starts.
 *  2. No fusion crosses a branch target: code before a label can be reached from
 *     elsewhere. A label clears last_dst, so fusions keyed on the last result cannot
 *     cross one; fusions that reach further back check label_at themselves.
 *  3. A value is folded into a fused op only if it went to its temporary home slot
 *     (last_wrote): then the consumer at hand is its only reader. A result retargeted to
 *     a local stays visible to later code, so a fusion keeps writing it (the _tadd loads).
 *  4. A fused op that can trap keeps the wasm offset of the instruction that traps (the
 *     load or the store: trE_cc_loc_of / trE_cc_set_loc), so trap locations stay exact.
 *  5. Nothing is fused in unreachable code or after an allocation failure: the scratch
 *     sink keeps no window.
 * The code verifier (verify.c) checks the result in debug, sanitizer and fuzz builds;
 * tests/engine/dump/ fixes which fused ops chosen sequences become.
 */
#include "engine/compile.h"

#include <string.h>

/* Invariant 5: every entry point starts here. */
static bool closed(const trE_cc *c) { return trE_cc_dead(c) || c->oom; }

/* Op p at code index ps (prev_op, prev2_op) is really there and ends at `end`. */
static bool op_at(const trE_cc *c, trE_opcode p, uint32_t ps, uint32_t len, uint32_t end) {
  return p != TRE_OP_COUNT && ps + len == end && c->code[ps] == (uint32_t)c->H[p];
}

/* The op just emitted wrote stack position pos's home slot (not retargeted). */
static bool last_wrote(const trE_cc *c, uint32_t pos) {
  return !c->oom && c->last_dst && c->last_pos == pos &&
         c->code[c->last_dst - 1] == trE_cc_home(c, pos);
}

/* ---- copies and jumps ------------------------------------------------------------- */

/* Moves in a row (rotating locals, branch moves): up to four in one op, in order. */
bool trE_fuse_copy(trE_cc *c, uint32_t dst, uint32_t src) {
  static const trE_opcode copies[4] = {TRE_OP_copy, TRE_OP_copy2, TRE_OP_copy3, TRE_OP_copy4};
  if (closed(c) || c->label_at == c->ncode + 1)
    return false;
  for (uint32_t k = 1; k < 4; k++) {
    if (c->last_op != copies[k - 1] || c->last_start + 1 + 2 * k != c->ncode)
      continue;
    uint32_t start = c->last_start, pairs[6];
    memcpy(pairs, &c->code[start + 1], 2 * k * sizeof *pairs);
    trE_cc_unemit(c, start);
    uint32_t *w = trE_cc_emit(c, copies[k], 2 * k + 2);
    memcpy(w, pairs, 2 * k * sizeof *pairs);
    w[2 * k] = dst, w[2 * k + 1] = src;
    return true;
  }
  return false;
}

/* A move (a loop variable's next value), then the back-edge: one op. */
bool trE_fuse_jump_back(trE_cc *c, uint32_t loop_pc) {
  if (closed(c) || c->last_op != TRE_OP_copy || c->last_start + 3 != c->ncode ||
      c->label_at == c->ncode + 1)
    return false;
  uint32_t start = c->last_start, d = c->code[start + 1], src = c->code[start + 2];
  trE_cc_unemit(c, start);
  uint32_t *w = trE_cc_emit(c, TRE_OP_copy_br_back, 3);
  w[0] = d, w[1] = src;
  uint32_t i = trE_cc_word(c, &w[2]);
  if (i != UINT32_MAX)
    trE_cc_set_rel(c, i, loop_pc);
  return true;
}

/* ---- chains ----------------------------------------------------------------------- */

/* The fused form of op o2 applied to the result of o1 (ops.h chains), or -1. i32 chains
 * are commutative; f64 ones come as a pair, the result of o1 on the left, then right. */
static int chain_form(trE_opcode o2, trE_opcode o1, bool right) {
  /* {o2, o1, result of o1 on the left, on the right} */
#define X(_, x2, x1, sfx)                                                                  \
  {TRE_OP_i32_##x2, TRE_OP_i32_##x1##sfx, TRE_OP_i32_##x2##_##x1##sfx,                     \
   TRE_OP_i32_##x2##_##x1##sfx},
#define XF(_, x2, x1)                                                                      \
  {TRE_OP_f64_##x2, TRE_OP_f64_##x1, TRE_OP_f64_##x2##_##x1##_l, TRE_OP_f64_##x2##_##x1##_r},
  static const trE_opcode forms[][4] = {TRE_CHAINOPS(X, _) TRE_F64CHAINS(XF, _)};
#undef XF
#undef X
  for (size_t i = 0; i < TR_ARRAY_LEN(forms); i++)
    if (forms[i][0] == o2 && forms[i][1] == o1)
      return (int)forms[i][right ? 3 : 2];
  return -1;
}

/* An op of the value the op just emitted computed (into its home slot, read by nothing
 * else) and another operand: one fused op (ops.h chains: i32 add/and/or/xor, f64
 * add/sub/mul). */
bool trE_fuse_binary(trE_cc *c, trE_opcode op, uint32_t pa, uint32_t pb) {
  if (closed(c))
    return false;
  if (op != TRE_OP_i32_add && op != TRE_OP_i32_and && op != TRE_OP_i32_or &&
      op != TRE_OP_i32_xor && op != TRE_OP_f64_add && op != TRE_OP_f64_sub &&
      op != TRE_OP_f64_mul)
    return false;
  bool left = last_wrote(c, pa) && c->st[pb].kind != TRE_V_CONST;
  bool right = !left && last_wrote(c, pb) && c->st[pa].kind != TRE_V_CONST;
  if ((left || right) && op == TRE_OP_i32_add && c->last_op == TRE_OP_i32_add_add) {
    /* a fourth term: one op sums four slots */
    uint32_t start = c->last_start, t[3];
    memcpy(t, &c->code[start + 2], sizeof t);
    uint32_t other = left ? trE_cc_rd(c, pb) : trE_cc_rd(c, pa);
    trE_cc_unemit(c, start);
    uint32_t *w = trE_cc_emit(c, TRE_OP_i32_add3, 5);
    w[0] = trE_cc_home(c, pa);
    memcpy(&w[1], t, sizeof t);
    w[4] = other;
    trE_cc_note_dst(c, w, pa);
    return true;
  }
  int f = left || right ? chain_form(op, c->last_op, right) : -1;
  if (f < 0)
    return false;
  uint32_t start = c->last_start, ps = c->prev_start;
  uint32_t x = c->code[start + 2], y = c->code[start + 3];
  uint32_t other = left ? trE_cc_rd(c, pb) : trE_cc_rd(c, pa); /* a slot or a local */
  if (f == TRE_OP_i32_xor_rotl_imm && c->prev_op == TRE_OP_i32_xor_rotl2 &&
      op_at(c, c->prev_op, ps, 6, start) && c->code[ps + 1] == other &&
      other == trE_cc_home(c, left ? pb : pa) && c->label_at != start + 1) {
    /* three rotates xored (SHA-2's sigma functions): one op */
    uint32_t r[4];
    memcpy(r, &c->code[ps + 2], sizeof r);
    trE_cc_unemit(c, ps);
    uint32_t *w = trE_cc_emit(c, TRE_OP_i32_xor_rotl3, 7);
    w[0] = trE_cc_home(c, pa);
    memcpy(&w[1], r, sizeof r);
    w[5] = x, w[6] = y;
    trE_cc_note_dst(c, w, pa);
    return true;
  }
  if (f == TRE_OP_i32_xor_rotl_imm && c->prev_op == TRE_OP_i32_rotl_imm &&
      op_at(c, c->prev_op, ps, 4, start) && c->code[ps + 1] == other &&
      other == trE_cc_home(c, left ? pb : pa) && c->label_at != start + 1) {
    /* ... and the other operand the rotate just before it: rotl(x, k) ^ rotl(z, j) */
    uint32_t z = c->code[ps + 2], j = c->code[ps + 3];
    trE_cc_unemit(c, ps);
    uint32_t *w = trE_cc_emit(c, TRE_OP_i32_xor_rotl2, 5);
    w[0] = trE_cc_home(c, pa), w[1] = x, w[2] = y, w[3] = z, w[4] = j;
    trE_cc_note_dst(c, w, pa);
    return true;
  }
  trE_cc_unemit(c, start);
  uint32_t *w = trE_cc_emit(c, (trE_opcode)f, 4);
  w[0] = trE_cc_home(c, pa), w[1] = x, w[2] = y, w[3] = other;
  trE_cc_note_dst(c, w, pa);
  return true;
}

/* ---- compares and branches ---------------------------------------------------------- */

/* The i32/i64 compares and their _imm forms, four per compare in TRE_CMPS order, and
 * for each compare the index of its negation. */
#define X(_, k, n, m) TRE_OP_i32_##k, TRE_OP_i32_##k##_imm, TRE_OP_i64_##k, TRE_OP_i64_##k##_imm,
static const trE_opcode cmp_ops[4 * TRE_NCMPS] = {TRE_CMPS(X, _)};
#undef X
#define X(_, k, n, m) [TRE_CMP_##k] = TRE_CMP_##n,
static const uint8_t cmp_negate[TRE_NCMPS] = {TRE_CMPS(X, _)};
#undef X

/* The compare index k (TRE_CMPS order) of an i32/i64 compare, its _imm form, or -1.
 * *imm: the _imm form; *wide: i64. eqz is eq_imm with a zero operand (*zero set). */
static int cmp_index(trE_opcode op, bool *imm, bool *wide, bool *zero) {
  *zero = false;
  if (op == TRE_OP_i64_eqz) {
    *imm = *wide = *zero = true;
    return 0;
  }
  for (int i = 0; i < 4 * TRE_NCMPS; i++) {
    if (op == cmp_ops[i]) {
      *imm = (i & 1) != 0;
      *wide = (i & 2) != 0;
      return i / 4;
    }
  }
  return -1;
}

/* i32.eqz of a compare just computed (into the eqz operand's home): the compare is
 * replaced by its negation in place and nothing is emitted. Not for the f64 orders (the
 * negation of a < b is not a >= b when NaN is involved) nor i64.eqz (no room). */
static bool fold_eqz(trE_cc *c) {
  bool imm, wide, zero;
  int k = cmp_index(c->last_op, &imm, &wide, &zero);
  trE_opcode n;
  if (k >= 0 && !zero)
    n = cmp_ops[cmp_negate[k] * 4 + (wide ? 2 : 0) + (imm ? 1 : 0)];
  else if (c->last_op == TRE_OP_f64_eq || c->last_op == TRE_OP_f64_ne)
    n = c->last_op == TRE_OP_f64_eq ? TRE_OP_f64_ne : TRE_OP_f64_eq;
  else
    return false;
  c->code[c->last_start] = (uint32_t)c->H[n];
  c->last_op = n;
  return true;
}

bool trE_fuse_eqz(trE_cc *c, uint32_t pa) {
  return !closed(c) && last_wrote(c, pa) && fold_eqz(c);
}

/* Drop the op just emitted (an i32.eqz) so that the op before it is the last again. */
static void unemit_last(trE_cc *c, uint32_t pos) {
  uint32_t ps = c->prev_start;
  trE_opcode p = c->prev_op;
  trE_cc_unemit(c, c->last_start);
  c->last_start = ps, c->last_op = p;
  c->prev_start = c->prev2_start, c->prev_op = c->prev2_op;
  c->prev2_op = TRE_OP_COUNT;
  c->last_dst = ps + 2; /* compares: [op d a b] */
  c->last_pos = pos;
}

/* A loop back-edge on compare k of slot a with b (a slot, or imm), where the op before
 * the compare was an add writing a: the counter step and the test become one op
 * (brba_*, ops.h). Returns its offset word, or NULL (nothing changed) when the pattern
 * is not there. */
static uint32_t *fuse_add_branch(trE_cc *c, int k, bool imm, bool wide, uint32_t a, uint32_t b) {
  trE_opcode p = c->prev_op;
  uint32_t ps = c->prev_start, start = c->last_start;
  bool addi = p == (wide ? TRE_OP_i64_add_imm : TRE_OP_i32_add_imm);
  if (!addi && p != (wide ? TRE_OP_i64_add : TRE_OP_i32_add))
    return NULL;
  if (!op_at(c, p, ps, 4, start) || c->code[ps + 1] != a || c->label_at == start + 1 ||
      (!imm && b == a))
    return NULL; /* (the fused op reads y before it writes x) */
  uint32_t x = c->code[ps + 1], pa = c->code[ps + 2], pb = c->code[ps + 3];
  trE_cc_unemit(c, ps);
  uint32_t *w = trE_cc_emit(c, trE_op_brba((unsigned)k, wide, addi, imm), 5);
  w[0] = x, w[1] = pa, w[2] = pb, w[3] = b;
  return &w[4];
}

/* A branch on the value an i32/i64 compare (or eqz) just computed: one compare-and-branch
 * op (brba_* when an add computed the compared value just before, on a back-edge); on an
 * f64 compare, brf64_* (against a constant materialised just for it: brf64_*_imm); after
 * an add on a back-edge whose result is the condition: brba_ne_imm 0. */
uint32_t *trE_fuse_cond_branch(trE_cc *c, uint32_t pos, uint32_t cond_slot, bool *when_true,
                               bool back) {
  if (closed(c))
    return NULL;
  if (!back && c->last_op == TRE_OP_i32_eqz && c->last_dst &&
      c->last_pos == pos && c->code[c->last_dst - 1] == trE_cc_home(c, pos) &&
      trE_op_fcmp(c->prev_op) >= 0 &&
      op_at(c, c->prev_op, c->prev_start, 4, c->last_start) &&
      c->code[c->prev_start + 1] == trE_cc_home(c, pos) && c->label_at != c->last_start + 1) {
    unemit_last(c, pos); /* branch on !(a < b): the compare's branch, inverted */
    *when_true = !*when_true;
  }
  if (c->last_dst && c->last_pos == pos &&
      c->code[c->last_dst - 1] == trE_cc_home(c, pos)) {
    bool imm, wide, zero;
    int k = cmp_index(c->last_op, &imm, &wide, &zero);
    uint32_t start = c->last_start;
    if (k >= 0) {
      uint32_t a = c->code[start + 2], b = zero ? 0 : c->code[start + 3];
      uint32_t *rel = back ? fuse_add_branch(c, k, imm, wide, a, b) : NULL;
      if (rel)
        return rel;
      trE_cc_unemit(c, start);
      if (!*when_true)
        k = cmp_negate[k];
      uint32_t *w = trE_cc_emit(c, trE_op_br((unsigned)k, wide, imm, back), 3);
      w[0] = a, w[1] = b;
      return &w[2];
    }
    int f = trE_op_fcmp(c->last_op);
    if (f >= 0) {
      uint32_t a = c->code[start + 2], b = c->code[start + 3];
      uint32_t ps = c->prev_start;
      if (!back && op_at(c, c->prev_op, ps, 4, start) && c->prev_op == TRE_OP_const64 &&
          c->label_at != start + 1 &&
          ((c->code[ps + 1] == b && b == trE_cc_home(c, pos + 1) && a != b) ||
           (c->code[ps + 1] == a && a == trE_cc_home(c, pos) && b != a))) {
        /* against a constant materialised just for it: the constant in the op (as the
         * second operand; a constant first operand mirrors the compare, exact for NaN) */
#define X(_, k, m) [TRE_FCMP_##k] = TRE_FCMP_##m,
        static const uint8_t mirror[TRE_NFCMPS] = {TRE_FCMPS(X, _)};
#undef X
        uint32_t lo = c->code[ps + 2], hi = c->code[ps + 3];
        uint32_t x = c->code[ps + 1] == b ? a : b;
        if (c->code[ps + 1] == a)
          f = mirror[f];
        trE_cc_unemit(c, ps);
        uint32_t *w = trE_cc_emit(c, trE_op_brf64_imm((unsigned)f, !*when_true), 4);
        w[0] = x, w[1] = lo, w[2] = hi;
        return &w[3];
      }
      trE_cc_unemit(c, start);
      uint32_t *w = trE_cc_emit(c, trE_op_brf64((unsigned)f, !*when_true, back), 3);
      w[0] = a, w[1] = b;
      return &w[2];
    }
    if (c->last_op == TRE_OP_i32_eqz) {
      uint32_t a = c->code[start + 2];
      trE_cc_unemit(c, start);
      trE_opcode op = *when_true ? (back ? TRE_OP_brb_eqz : TRE_OP_br_unless) : TRE_OP_br_if;
      uint32_t *w = trE_cc_emit(c, op, 2);
      w[0] = a;
      return &w[1];
    }
  }
  if (back && c->last_start + 4 == c->ncode &&
      (c->last_op == TRE_OP_i32_add || c->last_op == TRE_OP_i32_add_imm) &&
      c->code[c->last_start + 1] == cond_slot && c->label_at != c->ncode + 1) {
    /* a loop counted down to zero: the add and the test `!= 0` in one op */
    uint32_t start = c->last_start;
    bool addi = c->last_op == TRE_OP_i32_add_imm;
    uint32_t x = c->code[start + 1], a = c->code[start + 2], b = c->code[start + 3];
    trE_cc_unemit(c, start);
    uint32_t *w = trE_cc_emit(c, addi ? TRE_OP_brbai_ne_imm : TRE_OP_brba_ne_imm, 5);
    w[0] = x, w[1] = a, w[2] = b, w[3] = 0;
    return &w[4];
  }
  return NULL;
}

/* br_table on a byte just loaded (a bytecode interpreter's dispatch): one op, which keeps
 * the load's location for its out-of-bounds trap. */
bool trE_fuse_br_table(trE_cc *c, uint32_t pos, uint32_t *idx, uint32_t *off) {
  if (closed(c) || c->last_op != TRE_OP_i32_load8_u || !last_wrote(c, pos))
    return false;
  uint32_t start = c->last_start, at = trE_cc_loc_of(c, start);
  *idx = c->code[start + 2], *off = c->code[start + 3];
  trE_cc_unemit(c, start);
  trE_cc_emit(c, TRE_OP_br_table_ld8, 0);
  trE_cc_set_loc(c, at);
  return true;
}

/* ---- memory ----------------------------------------------------------------------- */

/* A load of an address just computed by an add (the sum read by nothing else), or written
 * to the local the load reads: the add folded into the load (ops.h: _add, _addi,
 * _tadd, _taddi, _adds, _addsi). */
bool trE_fuse_load(trE_cc *c, trE_opcode op, uint32_t pa, uint32_t off) {
  if (closed(c))
    return false;
  uint32_t ps = c->prev_start, ls = c->last_start;
  unsigned li = (unsigned)trE_op_load_index(op);
  if (c->last_op == TRE_OP_i32_add_imm && last_wrote(c, pa) &&
      c->prev_op == TRE_OP_i32_shl_imm && op_at(c, c->prev_op, ps, 4, ls) &&
      c->code[ps + 1] == trE_cc_home(c, pa) && c->code[ls + 2] == trE_cc_home(c, pa) &&
      c->label_at != ls + 1) {
    /* (index << k) + constant base, only the address: a scaled-index load */
    uint32_t idx = c->code[ps + 2], k = c->code[ps + 3], base = c->code[ls + 3];
    trE_cc_unemit(c, ps);
    uint32_t *w = trE_cc_emit(c, trE_op_load_addsi(li), 5);
    w[0] = trE_cc_home(c, pa), w[1] = idx, w[2] = k, w[3] = base, w[4] = off;
    trE_cc_note_dst(c, w, pa);
  } else if ((c->last_op == TRE_OP_i32_add || c->last_op == TRE_OP_i32_add_imm) &&
             last_wrote(c, pa)) {
    uint32_t start = c->last_start;
    uint32_t a = c->code[start + 2], b = c->code[start + 3];
    bool imm = c->last_op == TRE_OP_i32_add_imm;
    trE_cc_unemit(c, start); /* the sum was only the address: fold the add into the load */
    /* per load: _add, _addi, _tadd, _taddi (ops.h) */
    trE_opcode f = trE_op_load_add(li, false, imm);
    uint32_t *w = trE_cc_emit(c, f, 4);
    w[0] = trE_cc_home(c, pa), w[1] = a, w[2] = b, w[3] = off;
    trE_cc_note_dst(c, w, pa);
  } else if (c->last_op == TRE_OP_i32_add_shl_imm && last_wrote(c, pa)) {
    /* base + (index << k), only the address: a scaled-index load */
    uint32_t start = c->last_start;
    uint32_t idx = c->code[start + 2], k = c->code[start + 3], base = c->code[start + 4];
    trE_cc_unemit(c, start);
    uint32_t *w = trE_cc_emit(c, trE_op_load_adds(li), 5);
    w[0] = trE_cc_home(c, pa), w[1] = base, w[2] = idx, w[3] = k, w[4] = off;
    trE_cc_note_dst(c, w, pa);
  } else if (c->st[pa].kind == TRE_V_LOCAL &&
             (c->last_op == TRE_OP_i32_add || c->last_op == TRE_OP_i32_add_imm) &&
             c->set_end == c->ncode + 1 && c->last_start + 4 == c->ncode &&
             c->label_at != c->ncode + 1 && c->code[c->last_start + 1] == c->st[pa].idx) {
    /* an address add written to local x (local.set or tee), then a load from x: one op
     * writes x and loads */
    uint32_t start = c->last_start;
    uint32_t x = c->code[start + 1], a = c->code[start + 2], b = c->code[start + 3];
    bool imm = c->last_op == TRE_OP_i32_add_imm;
    trE_cc_unemit(c, start);
    trE_opcode f = trE_op_load_add(li, true, imm);
    uint32_t *w = trE_cc_emit(c, f, 5);
    w[0] = trE_cc_home(c, pa), w[1] = x, w[2] = a, w[3] = b, w[4] = off;
    trE_cc_note_dst(c, w, pa);
  } else {
    return false;
  }
  return true;
}

/* An f64.store of the value the f64 add/sub/mul or chain just emitted computed (read by
 * nothing else): the op stores its result itself (the _st forms, ops.h). */
bool trE_fuse_store(trE_cc *c, trE_opcode op, uint32_t pa, uint32_t pv, uint32_t off) {
  trE_opcode p = c->last_op, f = trE_op_f64_st(p);
  if (closed(c) || op != TRE_OP_f64_store || c->st[pv].kind != TRE_V_SLOT ||
      c->st[pa].kind == TRE_V_CONST || !last_wrote(c, pv) || f == TRE_OP_COUNT)
    return false;
  uint32_t addr = trE_cc_rd(c, pa); /* a slot or a local: emits nothing */
  uint32_t n = p >= TRE_OP_f64_add && p <= TRE_OP_f64_mul ? 2 : 3; /* slots read */
  uint32_t start = c->last_start, in[3];
  memcpy(in, &c->code[start + 2], n * sizeof *in);
  trE_cc_unemit(c, start);
  uint32_t *w = trE_cc_emit(c, f, n + 2);
  w[0] = addr;
  memcpy(&w[1], in, n * sizeof *in);
  w[n + 1] = off;
  return true;
}

/* A store through local x, then x advanced by an i32.add just retargeted to x (the
 * C idiom *p = v, p += n): one op (ops.h, <store>_inc and friends). */
void trE_fuse_store_inc(trE_cc *c, uint32_t x) {
  trE_opcode p = c->prev_op, a = c->last_op;
  uint32_t ps = c->prev_start, ls = c->last_start;
  bool addi = a == TRE_OP_i32_add_imm;
  int k = trE_op_store_index(p), ki = trE_op_store_imm_index(p);
  bool simm = ki >= 0;
  if (closed(c) || (!addi && a != TRE_OP_i32_add) || c->label_at == ls + 1 ||
      (k < 0 && !simm) || !op_at(c, p, ps, 4, ls) || c->code[ps + 1] != x ||
      c->code[ls + 1] != x)
    return;
  uint32_t ia = c->code[ls + 2], ib = c->code[ls + 3], inc;
  if (ia == x)
    inc = ib;
  else if (!addi && ib == x)
    inc = ia;
  else
    return;
  uint32_t val = c->code[ps + 2], off = c->code[ps + 3], at = trE_cc_loc_of(c, ps);
  trE_cc_unemit(c, ps);
  uint32_t *w = trE_cc_emit(c, trE_op_store_inc((unsigned)(simm ? ki : k), simm, addi), 4);
  w[0] = x, w[1] = val, w[2] = off, w[3] = inc;
  trE_cc_set_loc(c, at);
}
