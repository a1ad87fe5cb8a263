/*
 * engine/compile_ctrl.c: the control instructions (0x00-0x11): blocks, loops and ifs,
 * branches, returns and calls. Blocks vanish: `block`, `loop` and `end` emit no code
 * (a loop head emits its fuel op), branches carry resolved offsets (forward ones through
 * the target block's fixup chain), and the values a branch carries are moved into the
 * target's home slots before it (docs/ENGINE.md, "The internal code"). Conditional
 * branches and back-edges are offered to the peephole (compile_fuse.c) first.
 */
#include "engine/compile.h"

#include <string.h>

static const uint8_t single_types[256] = {
    [TROUPE_WASM_I32] = TROUPE_WASM_I32,         [TROUPE_WASM_I64] = TROUPE_WASM_I64,
    [TROUPE_WASM_F32] = TROUPE_WASM_F32,         [TROUPE_WASM_F64] = TROUPE_WASM_F64,
    [TROUPE_WASM_V128] = TROUPE_WASM_V128,       [TROUPE_WASM_FUNCREF] = TROUPE_WASM_FUNCREF,
    [TROUPE_WASM_EXTERNREF] = TROUPE_WASM_EXTERNREF,
};

static int read_blocktype(trE_cc *c, uint32_t *np, const uint8_t **p, uint32_t *nr,
                          const uint8_t **r) {
  if (c->r.p >= c->r.end)
    return trE_rd_fail(&c->r, TROUPE_E_MALFORMED, "unexpected end");
  uint8_t b = *c->r.p;
  if (b == 0x40) {
    c->r.p++;
    *np = *nr = 0;
    *p = *r = NULL;
    return 0;
  }
  if (b >= 0x40 && b < 0x80) { /* a single value type (negative s33) */
    uint8_t t;
    TRY(trE_rd_valtype(&c->r, &t));
    *np = 0, *p = NULL, *nr = 1, *r = &single_types[t];
    return 0;
  }
  int64_t idx;
  TRY(trE_rd_sleb(&c->r, 33, &idx));
  if (idx < 0 || (uint64_t)idx >= c->m->ntypes)
    return TRE_INVALID(c, "unknown type %lld", (long long)idx);
  const trE_functype *ft = &c->m->types[idx];
  *np = ft->nparams, *p = TRE_PARAMS(ft), *nr = ft->nresults, *r = TRE_RESULTS(ft);
  return 0;
}

static int get_label(trE_cc *c, uint32_t *depth) {
  TRY(trE_cc_rd_u32(c, depth));
  if (*depth >= c->csp)
    return TRE_INVALID(c, "unknown label %u", *depth);
  return 0;
}

/* A conditional branch on the value at stack position pos (read from cond_slot): taken
 * when it is non-zero (when_true) or zero; `back` for a loop back-edge (when_true only).
 * Returns the branch offset word. */
static uint32_t *emit_cond_branch(trE_cc *c, uint32_t pos, uint32_t cond_slot, bool when_true,
                                  bool back) {
  uint32_t *rel = trE_fuse_cond_branch(c, pos, cond_slot, &when_true, back);
  if (rel)
    return rel;
  trE_opcode op = when_true ? (back ? TRE_OP_br_if_back : TRE_OP_br_if) : TRE_OP_br_unless;
  uint32_t *w = trE_cc_emit(c, op, 2);
  w[0] = cond_slot;
  return &w[1];
}

/* Emit the value moves of a branch to frame f (values on top of the stack). */
static void branch_moves(trE_cc *c, const trE_cctrl *f) {
  uint32_t n;
  const uint8_t *t;
  trE_cc_label_types(f, &n, &t);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t pos = c->sp - n + i;
    if (pos == f->rbase + i && c->st[pos].kind == TRE_V_SLOT)
      continue;
    trE_cc_move_to(c, trE_cc_home(c, f->rbase + i), pos);
  }
}

static bool needs_moves(trE_cc *c, const trE_cctrl *f) {
  if (f->kind == TRE_C_FUNC)
    return true;
  uint32_t n;
  const uint8_t *t;
  trE_cc_label_types(f, &n, &t);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t pos = c->sp - n + i;
    if (pos != f->rbase + i || c->st[pos].kind != TRE_V_SLOT)
      return true;
  }
  return false;
}

/* A jump to frame f from here: an unconditional br op (loops: backwards to the head). */
static void emit_jump(trE_cc *c, trE_cctrl *f) {
  if (f->kind == TRE_C_LOOP && trE_fuse_jump_back(c, f->loop_pc))
    return;
  uint32_t *w = trE_cc_emit(c, f->kind == TRE_C_LOOP ? TRE_OP_br_back : TRE_OP_br, 1);
  uint32_t i = trE_cc_word(c, w);
  if (i == UINT32_MAX)
    return;
  if (f->kind == TRE_C_LOOP)
    trE_cc_set_rel(c, i, f->loop_pc);
  else
    trE_cc_add_fixup(c, f, w);
}

/* Results of the function: moved into slots 0..n-1, then ret. Entries are left as they
 * are (a conditional return must not change what the fall-through path sees). Copies
 * run in increasing order: a result's source never lies below its destination, except
 * a local, which is first parked in the entry's home slot. */
static void emit_return(trE_cc *c) {
  uint32_t n = c->ft->nresults;
  if (trE_cc_dead(c))
    return;
  if (n == 1 && c->st[c->sp - 1].kind != TRE_V_CONST) { /* the common case: one op */
    const trE_cval *v = &c->st[c->sp - 1];
    uint32_t src = v->kind == TRE_V_LOCAL ? v->idx : trE_cc_home(c, c->sp - 1);
    if (src == 0) {
      trE_cc_emit(c, TRE_OP_ret, 0);
    } else {
      uint32_t *w = trE_cc_emit(c, TRE_OP_ret1, 1);
      w[0] = src;
    }
    return;
  }
  for (uint32_t i = 0; i < n && n > 1; i++) {
    trE_cval *v = &c->st[c->sp - n + i];
    if (v->kind == TRE_V_LOCAL && v->idx < n)
      trE_cc_emit_copy(c, trE_cc_home(c, c->sp - n + i), v->idx);
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t pos = c->sp - n + i;
    trE_cval *v = &c->st[pos];
    if (v->kind == TRE_V_CONST)
      trE_cc_emit_const(c, i, v->type, v->val);
    else if (v->kind == TRE_V_LOCAL && !(n > 1 && v->idx < n))
      trE_cc_emit_copy(c, i, v->idx);
    else
      trE_cc_emit_copy(c, i, trE_cc_home(c, pos));
  }
  trE_cc_emit(c, TRE_OP_ret, 0);
}

/* A taken branch to frame f: value moves, then the jump (to the function: a return). */
static void emit_branch(trE_cc *c, trE_cctrl *f) {
  if (f->kind == TRE_C_FUNC) {
    emit_return(c);
    return;
  }
  branch_moves(c, f);
  emit_jump(c, f);
}

/* ---- blocks ---------------------------------------------------------------------- */

static int op_block(trE_cc *c, uint8_t op) {
  uint32_t np = 0, nr = 0;
  const uint8_t *p = NULL, *r = NULL;
  TRY(read_blocktype(c, &np, &p, &nr, &r));
  uint32_t pcond = 0, cond = 0;
  if (op == 0x04) {
    TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pcond, NULL));
    if (!trE_cc_dead(c))
      cond = trE_cc_rd(c, pcond);
  }
  TRY(trE_cc_take_vals(c, np, p));
  uint32_t h = c->sp - np;
  if (!trE_cc_dead(c)) {
    trE_cc_materialize_locals(c);
    for (uint32_t i = 0; i < np; i++)
      trE_cc_materialize(c, h + i);
  }
  if (op == 0x03 || op == 0x02) {
    c->last_dst = 0;
    c->sp = h; /* the params stay in place: they become the block's own operands */
    TRY(trE_cc_push_ctrl(c, op == 0x03 ? TRE_C_LOOP : TRE_C_BLOCK, np, p, nr, r));
    c->sp = h + np;
    if (op == 0x03 && !trE_cc_dead(c)) {
      trE_cctrl *f = &c->cs[c->csp - 1];
      f->fuel_seg = true;
      f->outer_fuel_word = c->fuel_word;
      f->outer_fuel_count = c->fuel_count;
      c->fuel_count = 0;
      f->loop_pc = c->ncode;
      uint32_t *w = trE_cc_emit(c, TRE_OP_fuel, 1);
      uint32_t i = trE_cc_word(c, w);
      c->fuel_word = i == UINT32_MAX ? 0 : i + 1;
    }
    return 0;
  }
  /* if: br_unless to the else branch (or the end) */
  uint32_t wi = UINT32_MAX;
  if (!trE_cc_dead(c)) {
    wi = trE_cc_word(c, emit_cond_branch(c, pcond, cond, false, false));
  }
  c->last_dst = 0;
  if (np == 0) {
    TRY(trE_cc_push_ctrl(c, TRE_C_IF, np, p, nr, r));
  } else {
    /* the originals at h.. stay hidden below the floor for the else branch; the then
     * branch works on copies at h+np.. */
    TRY(trE_cc_push_ctrl(c, TRE_C_IF, np, p, nr, r));
    trE_cctrl *f = &c->cs[c->csp - 1];
    f->rbase = h;
    f->shadow = np;
    for (uint32_t i = 0; i < np; i++) {
      TRY(trE_cc_push(c, p[i]));
      if (!trE_cc_dead(c))
        trE_cc_emit_copy(c, trE_cc_home(c, h + np + i), trE_cc_home(c, h + i));
    }
  }
  c->cs[c->csp - 1].else_fix = wi == UINT32_MAX ? 0 : wi + 1;
  return 0;
}

static int op_else(trE_cc *c) {
  trE_cctrl *f = &c->cs[c->csp - 1];
  if (f->kind != TRE_C_IF)
    return TRE_INVALID(c, "else without if");
  TRY(trE_cc_take_results(c, f));
  if (!trE_cc_dead(c)) {
    for (uint32_t i = 0; i < f->nresults; i++) {
      if (f->rbase != f->height || c->st[f->height + i].kind != TRE_V_SLOT)
        trE_cc_move_to(c, trE_cc_home(c, f->rbase + i), f->height + i);
    }
    emit_jump(c, f);
  }
  while (c->sp > f->height)
    trE_cc_drop_entry(c);
  if (f->else_fix)
    trE_cc_set_rel(c, f->else_fix - 1, c->ncode);
  c->label_at = c->ncode + 1;
  f->else_fix = 0;
  f->kind = TRE_C_ELSE;
  f->unreachable = false;
  c->last_dst = 0;
  /* the params again: from the hidden originals below the floor */
  for (uint32_t i = 0; i < f->nparams; i++) {
    TRY(trE_cc_push(c, f->params[i]));
    if (!trE_cc_dead(c))
      trE_cc_emit_copy(c, trE_cc_home(c, f->height + i), trE_cc_home(c, f->rbase + i));
  }
  return 0;
}

static int op_end(trE_cc *c, bool *done) {
  trE_cctrl *f = &c->cs[c->csp - 1];
  TRY(trE_cc_take_results(c, f));
  if (f->kind == TRE_C_IF && (f->nparams != f->nresults ||
                          (f->nresults && memcmp(f->params, f->results, f->nresults) != 0)))
    return TRE_MISMATCH(c); /* the missing else must turn params into results */
  if (f->kind == TRE_C_LOOP && f->fuel_seg) {
    trE_cc_settle_fuel(c);
    c->fuel_word = f->outer_fuel_word;
    c->fuel_count = f->outer_fuel_count;
  }
  if (f->kind == TRE_C_FUNC) {
    emit_return(c);
    trE_cc_settle_fuel(c);
    c->csp--;
    *done = true;
    return 0;
  }
  if (!trE_cc_dead(c)) {
    for (uint32_t i = 0; i < f->nresults; i++) {
      if (f->rbase != f->height)
        trE_cc_move_to(c, trE_cc_home(c, f->rbase + i), f->height + i);
      else
        trE_cc_materialize(c, f->height + i);
    }
  }
  uint32_t here = c->ncode;
  c->label_at = here + 1;
  if (f->kind == TRE_C_IF && f->else_fix)
    trE_cc_set_rel(c, f->else_fix - 1, here); /* if without else: the false path lands here */
  trE_cc_patch_fixups(c, f, here);
  uint32_t rbase = f->rbase, nr = f->nresults;
  const uint8_t *rt = f->results;
  c->csp--;
  while (c->sp > rbase) /* the results, and any hidden param copies below them */
    trE_cc_drop_entry(c);
  TRY(trE_cc_push_vals(c, nr, rt));
  c->last_dst = 0;
  return 0;
}

/* ---- branches ---------------------------------------------------------------------- */

/* br (0x0C) and br_if (0x0D). */
static int op_br(trE_cc *c, uint8_t op) {
  uint32_t d;
  TRY(get_label(c, &d));
  uint32_t pc_ = 0;
  if (op == 0x0D)
    TRY(trE_cc_pop(c, TROUPE_WASM_I32, &pc_, NULL));
  trE_cctrl *f = &c->cs[c->csp - 1 - d];
  uint32_t n;
  const uint8_t *t;
  trE_cc_label_types(f, &n, &t);
  TRY(trE_cc_take_vals(c, n, t));
  if (!trE_cc_dead(c)) {
    if (op == 0x0C) {
      emit_branch(c, f);
    } else if (!needs_moves(c, f)) {
      uint32_t cond = trE_cc_rd(c, pc_);
      uint32_t *rel = emit_cond_branch(c, pc_, cond, true, f->kind == TRE_C_LOOP);
      uint32_t i = trE_cc_word(c, rel);
      if (i != UINT32_MAX) {
        if (f->kind == TRE_C_LOOP)
          trE_cc_set_rel(c, i, f->loop_pc);
        else
          trE_cc_add_fixup(c, f, rel);
      }
    } else {
      uint32_t cond = trE_cc_rd(c, pc_);
      uint32_t skip = trE_cc_word(c, emit_cond_branch(c, pc_, cond, false, false));
      emit_branch(c, f);
      if (skip != UINT32_MAX)
        trE_cc_set_rel(c, skip, c->ncode);
      c->label_at = c->ncode + 1;
    }
  }
  c->last_dst = 0;
  if (op == 0x0C)
    trE_cc_set_unreachable(c);
  return 0;
}

static int op_br_table(trE_cc *c) {
  uint32_t n;
  TRY(trE_cc_rd_u32(c, &n));
  if ((uint64_t)n > trE_rd_left(&c->r))
    return trE_rd_fail(&c->r, TROUPE_E_MALFORMED, "unexpected end");
  uint32_t *labels = trB_malloc(((size_t)n + 1) * sizeof *labels);
  if (!labels)
    return trE_cc_fail(c, TROUPE_E_NOMEM, "out of memory");
  int rc = 0;
  for (uint32_t i = 0; i <= n && rc == 0; i++)
    rc = get_label(c, &labels[i]);
  uint32_t pi = 0;
  if (rc == 0)
    rc = trE_cc_pop(c, TROUPE_WASM_I32, &pi, NULL);
  /* validation: every label has the default's arity and accepts the operands */
  uint32_t arity;
  const uint8_t *dt;
  if (rc == 0) {
    trE_cc_label_types(&c->cs[c->csp - 1 - labels[n]], &arity, &dt);
    for (uint32_t i = 0; i <= n && rc == 0; i++) {
      uint32_t na;
      const uint8_t *t;
      trE_cc_label_types(&c->cs[c->csp - 1 - labels[i]], &na, &t);
      if (na != arity)
        rc = TRE_MISMATCH(c);
      else
        rc = trE_cc_check_top(c, na, t);
    }
  }
  if (rc == 0 && !trE_cc_dead(c) && !c->oom) {
    uint32_t idx = trE_cc_rd(c, pi), off = 0;
    bool ld8 = trE_fuse_br_table(c, pi, &idx, &off);
    if (!ld8)
      trE_cc_emit(c, TRE_OP_br_table, 0);
    uint32_t hdr = ld8 ? 3 : 2; /* operand words before the targets */
    if (!trE_cc_grow((void **)&c->code, &c->code_cap, c->ncode + n + 1 + hdr, sizeof *c->code)) {
      c->oom = true;
    } else {
      uint32_t base = c->ncode;
      c->code[base] = idx;
      if (ld8)
        c->code[base + 1] = off;
      c->code[base + hdr - 1] = n;
      c->ncode += n + 1 + hdr;
      for (uint32_t i = 0; i <= n; i++) {
        trE_cctrl *f = &c->cs[c->csp - 1 - labels[i]];
        uint32_t word = base + hdr + i;
        if (!needs_moves(c, f)) {
          if (f->kind == TRE_C_LOOP) {
            trE_cc_set_rel(c, word, f->loop_pc);
          } else {
            c->code[word] = f->fixups;
            f->fixups = word + 1;
          }
          continue;
        }
        /* a stub: moves, then the jump */
        trE_cc_set_rel(c, word, c->ncode);
        emit_branch(c, f);
        if (c->oom)
          break;
      }
    }
  }
  free(labels);
  if (rc == 0)
    trE_cc_set_unreachable(c);
  return rc;
}

/* ---- calls ------------------------------------------------------------------------- */

/* call / call_indirect: the arguments go to their home slots, where the callee's frame
 * will start; results come back to the same slots. */
static int op_call(trE_cc *c, const trE_functype *ft, bool indirect, uint32_t index,
                   uint32_t table) {
  uint32_t ip = 0, idxslot = 0;
  if (indirect) {
    TRY(trE_cc_pop(c, TROUPE_WASM_I32, &ip, NULL));
    if (!trE_cc_dead(c))
      idxslot = trE_cc_rd(c, ip);
  }
  TRY(trE_cc_pop_vals(c, ft->nparams, TRE_PARAMS(ft)));
  uint32_t argbase = c->sp;
  if (!trE_cc_dead(c)) {
    for (uint32_t i = 0; i < ft->nparams; i++)
      trE_cc_materialize(c, argbase + i);
    if (indirect) {
      uint32_t *w = trE_cc_emit(c, TRE_OP_call_ind, 4);
      w[0] = index, w[1] = table, w[2] = idxslot, w[3] = trE_cc_home(c, argbase);
    } else {
      uint32_t *w = trE_cc_emit(c, TRE_OP_call, 2);
      w[0] = index, w[1] = trE_cc_home(c, argbase);
    }
  }
  TRY(trE_cc_push_vals(c, ft->nresults, TRE_RESULTS(ft)));
  c->last_dst = 0;
  return 0;
}

/* call (0x10) and call_indirect (0x11). */
static int op_call_index(trE_cc *c, uint8_t op) {
  trE_module *m = c->m;
  if (op == 0x10) {
    uint32_t fi;
    TRY(trE_cc_rd_u32(c, &fi));
    if (fi >= m->nfuncs)
      return TRE_INVALID(c, "unknown function %u", fi);
    return op_call(c, trE_func_type(m, fi), false, fi, 0);
  }
  uint32_t ti, t;
  TRY(trE_cc_rd_u32(c, &ti));
  TRY(trE_cc_rd_u32(c, &t));
  if (ti >= m->ntypes)
    return TRE_INVALID(c, "unknown type %u", ti);
  TRY(trE_cc_check_table(c, t));
  if (m->tables[t].elem != TROUPE_WASM_FUNCREF)
    return TRE_MISMATCH(c);
  return op_call(c, &m->types[ti], true, ti, t);
}

int trE_cc_control(trE_cc *c, uint8_t op, bool *done) {
  switch (op) {
  case 0x00:
    trE_cc_emit(c, TRE_OP_unreachable, 0);
    trE_cc_set_unreachable(c);
    return 0;
  case 0x01:
    return 0;
  case 0x02: case 0x03: case 0x04:
    return op_block(c, op);
  case 0x05:
    return op_else(c);
  case 0x0B:
    return op_end(c, done);
  case 0x0C: case 0x0D:
    return op_br(c, op);
  case 0x0E:
    return op_br_table(c);
  case 0x0F:
    TRY(trE_cc_check_top(c, c->ft->nresults, TRE_RESULTS(c->ft)));
    emit_return(c);
    trE_cc_set_unreachable(c);
    return 0;
  case 0x10: case 0x11:
    return op_call_index(c, op);
  default:
    return trE_cc_fail(c, TROUPE_E_MALFORMED, "illegal opcode 0x%02x", op);
  }
}
