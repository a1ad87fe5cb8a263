/*
 * engine/compile_emit.c: the code buffer and plain emission -- appending ops (with the
 * pc map entry a trap location needs), dropping the ops the peephole fuses away, branch
 * offsets and their fixup chains, fuel segments, and the moves that put an operand's
 * value where a consumer needs it (compile.h: an operand lives in its home slot, a
 * local, or as a constant).
 */
#include "engine/compile.h"

#include <string.h>

uint32_t *trE_cc_emit(trE_cc *c, trE_opcode op, uint32_t nops) {
  c->last_dst = 0;
  if (trE_cc_dead(c) || c->oom || nops >= TR_ARRAY_LEN(c->scratch)) {
    if (nops >= TR_ARRAY_LEN(c->scratch) && !trE_cc_dead(c))
      c->oom = true; /* callers never ask for that many; guard anyway */
    return c->scratch;
  }
  if (!trE_cc_grow((void **)&c->code, &c->code_cap, c->ncode + 1 + nops, sizeof *c->code) ||
      !trE_cc_grow((void **)&c->map, &c->map_cap, c->nmap + 1, sizeof *c->map)) {
    c->oom = true;
    return c->scratch;
  }
  if (c->nmap == 0 || c->map[c->nmap - 1].off != c->cur_off)
    c->map[c->nmap++] = (trE_pcmap){c->ncode, c->cur_off};
  c->code[c->ncode] = (uint32_t)c->H[op];
  bool last_live = c->last_start < c->ncode;
  c->prev2_start = last_live ? c->prev_start : c->last_start;
  c->prev2_op = last_live ? c->prev_op : TRE_OP_COUNT;
  c->prev_start = c->last_start;
  c->prev_op = last_live ? c->last_op : TRE_OP_COUNT;
  c->last_start = c->ncode;
  c->last_op = op;
  uint32_t *w = &c->code[c->ncode + 1];
  memset(w, 0, nops * sizeof *w);
  c->ncode += 1 + nops;
  return w;
}

void trE_cc_unemit(trE_cc *c, uint32_t start) {
  c->ncode = start;
  if (c->prev_start >= start)
    c->prev_op = TRE_OP_COUNT;
  if (c->prev2_start >= start)
    c->prev2_op = TRE_OP_COUNT;
  while (c->nmap && c->map[c->nmap - 1].pc >= start)
    c->nmap--;
  c->last_dst = 0;
}

void trE_cc_set_rel(trE_cc *c, uint32_t word, uint32_t target) {
  c->code[word] = (uint32_t)((int32_t)target - (int32_t)word);
}

void trE_cc_add_fixup(trE_cc *c, trE_cctrl *f, uint32_t *w) {
  uint32_t i = trE_cc_word(c, w);
  if (i == UINT32_MAX)
    return;
  c->code[i] = f->fixups;
  f->fixups = i + 1;
}

void trE_cc_patch_fixups(trE_cc *c, trE_cctrl *f, uint32_t target) {
  uint32_t i = f->fixups;
  while (i) {
    uint32_t next = c->code[i - 1];
    trE_cc_set_rel(c, i - 1, target);
    i = next;
  }
  f->fixups = 0;
}

/* Fuel segments nest like loops: a loop head opens a segment charged on every
 * iteration; its `end` writes the segment's cost into the head's fuel op and resumes
 * counting for the enclosing segment (the outer loop's, or the function entry's). So a
 * loop iteration is charged for its own instructions only, not for the code that
 * follows an inner loop; a segment is still charged whole when a branch leaves it
 * early, which keeps fuel an upper bound of the instructions executed. */
void trE_cc_settle_fuel(trE_cc *c) {
  uint32_t cost = c->fuel_count ? c->fuel_count : 1;
  if (c->fuel_word)
    c->code[c->fuel_word - 1] = cost;
  else
    c->entry_fuel = cost;
  c->fuel_count = 0;
}

uint32_t trE_cc_loc_of(const trE_cc *c, uint32_t start) {
  uint32_t i = c->nmap;
  while (i && c->map[i - 1].pc > start)
    i--;
  return i ? c->map[i - 1].off : c->cur_off;
}

void trE_cc_set_loc(trE_cc *c, uint32_t off) {
  if (!c->oom && c->nmap && c->map[c->nmap - 1].pc == c->last_start)
    c->map[c->nmap - 1].off = off;
}

/* ---- moving values -------------------------------------------------------------- */

void trE_cc_emit_const(trE_cc *c, uint32_t dst, uint8_t type, uint64_t v) {
  if (type == TROUPE_WASM_I32 || type == TROUPE_WASM_F32) {
    uint32_t *w = trE_cc_emit(c, TRE_OP_const32, 2);
    w[0] = dst, w[1] = (uint32_t)v;
  } else {
    uint32_t *w = trE_cc_emit(c, TRE_OP_const64, 3);
    w[0] = dst, w[1] = (uint32_t)v, w[2] = (uint32_t)(v >> 32);
  }
}

void trE_cc_emit_copy(trE_cc *c, uint32_t dst, uint32_t src) {
  if (dst == src || trE_fuse_copy(c, dst, src))
    return;
  uint32_t *w = trE_cc_emit(c, TRE_OP_copy, 2);
  w[0] = dst, w[1] = src;
}

void trE_cc_move_to(trE_cc *c, uint32_t dst, uint32_t pos) {
  trE_cval *v = &c->st[pos];
  if (v->kind == TRE_V_CONST)
    trE_cc_emit_const(c, dst, v->type, v->val);
  else if (v->kind == TRE_V_LOCAL)
    trE_cc_emit_copy(c, dst, v->idx);
  else
    trE_cc_emit_copy(c, dst, trE_cc_home(c, pos));
}

void trE_cc_materialize(trE_cc *c, uint32_t pos) {
  trE_cval *v = &c->st[pos];
  if (v->kind == TRE_V_SLOT)
    return;
  trE_cc_move_to(c, trE_cc_home(c, pos), pos);
  if (v->kind == TRE_V_LOCAL && pos < c->sp) { /* popped entries were already uncounted */
    c->nlazy--;
    c->lazy[v->idx]--;
  }
  v->kind = TRE_V_SLOT;
}

void trE_cc_materialize_locals(trE_cc *c) {
  for (uint32_t i = 0; c->nlazy && i < c->sp; i++)
    if (c->st[i].kind == TRE_V_LOCAL)
      trE_cc_materialize(c, i);
}
