/*
 * engine/compile_stack.c: validation's bookkeeping -- the operand stack of types (with
 * an unknown type for stack-polymorphic code) and the control stack of the spec's
 * validation algorithm (appendix), plus errors and the immediates every family reads.
 * Each operand entry also records where its value lives (compile.h), which the emitters
 * read; popping never emits code.
 */
#include "engine/compile.h"

#include <string.h>

int trE_cc_fail(trE_cc *c, int code, const char *fmt, ...) {
  char reason[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  return troupe_err_set(c->err, code, "code section, offset 0x%x (function %u): %s", c->cur_off,
                        c->func_index, reason);
}

int trE_cc_rd_zero_byte(trE_cc *c) {
  uint8_t b;
  TRY(trE_rd_u8(&c->r, &b));
  if (b != 0)
    return trE_cc_fail(c, TROUPE_E_MALFORMED, "zero byte expected");
  return 0;
}

int trE_cc_check_table(trE_cc *c, uint32_t t) {
  if (t >= c->m->ntables)
    return TRE_INVALID(c, "unknown table %u", t);
  return 0;
}

bool trE_cc_grow_to(void **p, uint32_t *cap, uint32_t need, size_t size) {
  uint32_t n = *cap ? *cap : 64;
  while (n < need) {
    if (n > UINT32_MAX / 2)
      return false;
    n *= 2;
  }
  void *q = trB_realloc_array(*p, n, size);
  if (!q)
    return false;
  *p = q;
  *cap = n;
  return true;
}

/* ---- the operand stack ----------------------------------------------------------- */

int trE_cc_push_const(trE_cc *c, uint8_t type, uint64_t v) {
  TRY(trE_cc_push(c, type));
  c->st[c->sp - 1].kind = TRE_V_CONST;
  c->st[c->sp - 1].val = v;
  return 0;
}

int trE_cc_pop_edge(trE_cc *c, uint8_t want, uint32_t *pos, uint8_t *got) {
  const trE_cctrl *f = &c->cs[c->csp - 1];
  if (c->sp > f->height) {
    uint8_t t = c->st[c->sp - 1].type;
    return TRE_INVALID(c, "type mismatch: expected %s, found %s",
                       troupe_wasm_valtype_name(want), troupe_wasm_valtype_name(t));
  }
  if (!f->unreachable)
    return TRE_INVALID(c, "type mismatch: expected %s, but the block's operand stack is empty",
                       want == TRE_T_UNKNOWN ? "a value" : troupe_wasm_valtype_name(want));
  /* stack-polymorphic: an unknown value, materialised at the floor position */
  if (pos)
    *pos = c->sp;
  if (got)
    *got = want;
  /* make sure the slot index stays within the frame */
  if (c->sp + 1 > c->max_height)
    c->max_height = c->sp + 1;
  return 0;
}

int trE_cc_pop_vals(trE_cc *c, uint32_t n, const uint8_t *types) {
  for (uint32_t i = n; i-- > 0;)
    TRY(trE_cc_pop(c, types[i], NULL, NULL));
  return 0;
}

int trE_cc_push_vals(trE_cc *c, uint32_t n, const uint8_t *types) {
  for (uint32_t i = 0; i < n; i++)
    TRY(trE_cc_push(c, types[i]));
  return 0;
}

int trE_cc_check_top(trE_cc *c, uint32_t n, const uint8_t *types) {
  uint32_t sp = c->sp;
  trE_cval save[8];
  trE_cval *saved = n <= 8 ? save : trB_malloc((size_t)n * sizeof *saved);
  if (!saved)
    return trE_cc_fail(c, TROUPE_E_NOMEM, "out of memory");
  uint32_t avail = sp - c->cs[c->csp - 1].height;
  uint32_t k = n < avail ? n : avail;
  if (k)
    memcpy(saved, c->st + sp - k, k * sizeof *saved);
  int rc = trE_cc_pop_vals(c, n, types);
  c->sp = sp - k;
  if (k)
    memcpy(c->st + c->sp, saved, k * sizeof *saved);
  c->sp = sp;
  for (uint32_t i = sp - k; i < sp; i++) /* pop uncounted them */
    if (c->st[i].kind == TRE_V_LOCAL) {
      c->nlazy++;
      c->lazy[c->st[i].idx]++;
    }
  if (saved != save)
    free(saved);
  return rc;
}

int trE_cc_take_vals(trE_cc *c, uint32_t n, const uint8_t *t) {
  TRY(trE_cc_check_top(c, n, t));
  if (trE_cc_dead(c)) { /* the spec's pop-then-push: fills and retypes a polymorphic stack */
    TRY(trE_cc_pop_vals(c, n, t));
    TRY(trE_cc_push_vals(c, n, t));
  }
  return 0;
}

int trE_cc_take_results(trE_cc *c, const trE_cctrl *f) {
  TRY(trE_cc_take_vals(c, f->nresults, f->results));
  if (c->sp - f->height != f->nresults)
    return TRE_INVALID(c, "type mismatch: %u values left at the end of the block, %u expected",
                       c->sp - f->height, f->nresults);
  return 0;
}

/* ---- the control stack ----------------------------------------------------------- */

void trE_cc_set_unreachable(trE_cc *c) {
  trE_cctrl *f = &c->cs[c->csp - 1];
  while (c->sp > f->height)
    trE_cc_drop_entry(c);
  f->unreachable = true;
}

int trE_cc_push_ctrl(trE_cc *c, uint8_t kind, uint32_t np, const uint8_t *p, uint32_t nr,
                     const uint8_t *r) {
  if (!trE_cc_grow((void **)&c->cs, &c->cs_cap, c->csp + 1, sizeof *c->cs))
    return trE_cc_fail(c, TROUPE_E_NOMEM, "out of memory");
  bool unreach = c->csp ? trE_cc_dead(c) : false;
  c->cs[c->csp++] = (trE_cctrl){.kind = kind, .height = c->sp, .rbase = c->sp, .nparams = np,
                            .params = p, .nresults = nr, .results = r, .dead_in = unreach};
  return 0;
}

void trE_cc_label_types(const trE_cctrl *f, uint32_t *n, const uint8_t **t) {
  if (f->kind == TRE_C_LOOP)
    *n = f->nparams, *t = f->params;
  else
    *n = f->nresults, *t = f->results;
}
