/*
 * engine/compile.c: validates each function body and compiles it, in the same single
 * pass, into the slot code of code.h (picture in docs/ENGINE.md).
 *
 * Validation follows the spec's validation algorithm (appendix): an operand stack of
 * types with an "unknown" type for stack-polymorphic code, and a control stack whose
 * frames carry a height and an unreachable flag. Alongside each operand the compiler
 * tracks where its value lives: in its home slot (nlocals + stack position), in a local
 * (local.get emits nothing), or as a constant not yet materialised. Code is emitted
 * only for reachable instructions.
 */
#include "engine/code.h"
#include "engine/reader.h"

#include <string.h>

enum { T_UNKNOWN = 0 };
enum { K_SLOT, K_LOCAL, K_CONST };
enum { C_BLOCK, C_LOOP, C_IF, C_ELSE, C_FUNC };

typedef struct cval {
  uint8_t type;
  uint8_t kind;
  uint32_t idx;  /* K_LOCAL: the local's slot */
  uint64_t val;  /* K_CONST: the bits */
} cval;

typedef struct cctrl {
  uint8_t kind;
  bool unreachable;  /* validation: the rest of this block is stack-polymorphic */
  bool dead_in;      /* emission: the whole block sits in unreachable code */
  uint32_t height;  /* operand stack floor of this block */
  uint32_t rbase;   /* stack position where values carried by a branch here land */
  uint32_t nparams, nresults;
  const uint8_t *params, *results;
  uint32_t loop_pc;  /* C_LOOP: code index of the head (its fuel op) */
  bool fuel_seg;     /* C_LOOP: the head opened a fuel segment (closed at `end`) */
  uint32_t outer_fuel_word, outer_fuel_count; /* ... and the enclosing one, resumed then */
  uint32_t fixups;   /* chain of branch words to patch at end (word index + 1; 0 ends) */
  uint32_t else_fix; /* C_IF: the br_unless offset word (+1) */
  uint32_t shadow;   /* C_IF/C_ELSE with params: hidden copies of the params below height */
} cctrl;

typedef struct cc {
  trE_module *m;
  trE_reader r;
  const int32_t *H;
  troupe_err *err;
  uint32_t func_index;
  const trE_functype *ft;
  uint32_t nlocals;
  uint8_t *ltypes;
  cval *st;
  uint32_t sp, st_cap, max_height;
  cctrl *cs;
  uint32_t csp, cs_cap;
  uint32_t *code;
  uint32_t ncode, code_cap;
  trE_pcmap *map;
  uint32_t nmap, map_cap;
  uint32_t cur_off;   /* module offset of the instruction being compiled */
  uint32_t last_start; /* code index of the last op emitted, and which op (for fusion) */
  trE_opcode last_op;
  uint32_t prev_start; /* ... and of the op before it (TRE_OP_COUNT: none, or fused away) */
  trE_opcode prev_op;
  uint32_t prev2_start; /* ... and of the one before that */
  trE_opcode prev2_op;
  uint32_t last_dst;  /* word index + 1 of the last op's result operand (for retargeting) */
  uint32_t last_pos;  /* ... and the stack position it wrote */
  uint32_t nlazy;     /* K_LOCAL entries on the stack */
  uint32_t *lazy;     /* ... per local (local.set scans the stack only when non-zero) */
  uint32_t fuel_word; /* word index + 1 of the running segment's cost; 0: entry */
  uint32_t fuel_count, entry_fuel;
  uint32_t label_at;  /* code index + 1 of the latest branch target (no fusing across it) */
  uint32_t set_end;   /* code index + 1 right after an op retargeted by local.set/tee */
  bool oom;
  uint32_t scratch[64]; /* emission sink for unreachable code */
} cc;

static int vfail(cc *c, int code, const char *fmt, ...) TROUPE_PRINTF(3, 4);
static int vfail(cc *c, int code, const char *fmt, ...) {
  char reason[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  return troupe_err_set(c->err, code, "code section, offset 0x%x (function %u): %s", c->cur_off,
                        c->func_index, reason);
}
#define INVALID(...) vfail(c, TROUPE_E_INVALID, __VA_ARGS__)
#define MISMATCH() vfail(c, TROUPE_E_INVALID, "type mismatch")

/* ---- emission --------------------------------------------------------------------- */

static bool dead(const cc *c) {
  const cctrl *f = &c->cs[c->csp - 1];
  return f->unreachable || f->dead_in;
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t size) {
  if (need <= *cap)
    return true;
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

/* Append op with room for `nops` operand words; returns the operand words. In
 * unreachable code (or after an allocation failure) the words go to a scratch sink. */
static uint32_t *emit(cc *c, trE_opcode op, uint32_t nops) {
  c->last_dst = 0;
  if (dead(c) || c->oom || nops >= TR_ARRAY_LEN(c->scratch)) {
    if (nops >= TR_ARRAY_LEN(c->scratch) && !dead(c))
      c->oom = true; /* callers never ask for that many; guard anyway */
    return c->scratch;
  }
  if (!grow((void **)&c->code, &c->code_cap, c->ncode + 1 + nops, sizeof *c->code) ||
      !grow((void **)&c->map, &c->map_cap, c->nmap + 1, sizeof *c->map)) {
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

static uint32_t word_index(cc *c, const uint32_t *w) {
  if (!c->code || w < c->code || w >= c->code + c->code_cap)
    return UINT32_MAX; /* the scratch sink: unreachable code or after a failed allocation */
  return (uint32_t)(w - c->code);
}

/* Remember that the op just emitted wrote stack position `pos` through word w. */
static void note_dst(cc *c, uint32_t *w, uint32_t pos) {
  uint32_t i = word_index(c, w);
  c->last_dst = i == UINT32_MAX ? 0 : i + 1;
  c->last_pos = pos;
}

/* Branch offsets are relative to the word that holds them. */
static void set_rel(cc *c, uint32_t word, uint32_t target) {
  c->code[word] = (uint32_t)((int32_t)target - (int32_t)word);
}

static void add_fixup(cc *c, cctrl *f, uint32_t *w) {
  uint32_t i = word_index(c, w);
  if (i == UINT32_MAX)
    return;
  c->code[i] = f->fixups;
  f->fixups = i + 1;
}

static void patch_fixups(cc *c, cctrl *f, uint32_t target) {
  uint32_t i = f->fixups;
  while (i) {
    uint32_t next = c->code[i - 1];
    set_rel(c, i - 1, target);
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
static void settle_fuel(cc *c) {
  uint32_t cost = c->fuel_count ? c->fuel_count : 1;
  if (c->fuel_word)
    c->code[c->fuel_word - 1] = cost;
  else
    c->entry_fuel = cost;
  c->fuel_count = 0;
}

static uint32_t home(const cc *c, uint32_t pos) { return c->nlocals + pos; }

static void emit_const(cc *c, uint32_t dst, uint8_t type, uint64_t v) {
  if (type == TROUPE_WASM_I32 || type == TROUPE_WASM_F32) {
    uint32_t *w = emit(c, TRE_OP_const32, 2);
    w[0] = dst, w[1] = (uint32_t)v;
  } else {
    uint32_t *w = emit(c, TRE_OP_const64, 3);
    w[0] = dst, w[1] = (uint32_t)v, w[2] = (uint32_t)(v >> 32);
  }
}

static void unemit(cc *c, uint32_t start);

static void emit_copy(cc *c, uint32_t dst, uint32_t src) {
  if (dst == src)
    return;
  static const trE_opcode copies[4] = {TRE_OP_copy, TRE_OP_copy2, TRE_OP_copy3, TRE_OP_copy4};
  for (uint32_t k = 1; k < 4 && !dead(c) && !c->oom; k++) {
    if (c->last_op != copies[k - 1] || c->last_start + 1 + 2 * k != c->ncode ||
        c->label_at == c->ncode + 1)
      continue;
    /* moves in a row (rotating locals, branch moves): up to four in one op, in order */
    uint32_t start = c->last_start, pairs[6];
    memcpy(pairs, &c->code[start + 1], 2 * k * sizeof *pairs);
    unemit(c, start);
    uint32_t *w = emit(c, copies[k], 2 * k + 2);
    memcpy(w, pairs, 2 * k * sizeof *pairs);
    w[2 * k] = dst, w[2 * k + 1] = src;
    return;
  }
  uint32_t *w = emit(c, TRE_OP_copy, 2);
  w[0] = dst, w[1] = src;
}

/* Move the value of stack entry `pos` into slot dst (without changing the entry). */
static void move_to(cc *c, uint32_t dst, uint32_t pos) {
  cval *v = &c->st[pos];
  if (v->kind == K_CONST)
    emit_const(c, dst, v->type, v->val);
  else if (v->kind == K_LOCAL)
    emit_copy(c, dst, v->idx);
  else
    emit_copy(c, dst, home(c, pos));
}

/* Put entry `pos` into its home slot. */
static void materialize(cc *c, uint32_t pos) {
  cval *v = &c->st[pos];
  if (v->kind == K_SLOT)
    return;
  move_to(c, home(c, pos), pos);
  if (v->kind == K_LOCAL && pos < c->sp) { /* popped entries were already uncounted */
    c->nlazy--;
    c->lazy[v->idx]--;
  }
  v->kind = K_SLOT;
}

/* Before control flow splits or joins, no entry may still read a local (a local.set on
 * one path would otherwise change what the entry means on another). */
static void materialize_locals(cc *c) {
  for (uint32_t i = 0; c->nlazy && i < c->sp; i++)
    if (c->st[i].kind == K_LOCAL)
      materialize(c, i);
}

/* The slot to read entry `pos` from. */
static uint32_t rd(cc *c, uint32_t pos) {
  cval *v = &c->st[pos];
  if (v->kind == K_LOCAL)
    return v->idx;
  if (v->kind == K_CONST)
    materialize(c, pos);
  return home(c, pos);
}

/* ---- the operand stack (validation) ---------------------------------------------- */

static int push(cc *c, uint8_t type) {
  if (!grow((void **)&c->st, &c->st_cap, c->sp + 1, sizeof *c->st))
    return vfail(c, TROUPE_E_NOMEM, "out of memory");
  c->st[c->sp++] = (cval){.type = type, .kind = K_SLOT};
  if (c->sp > c->max_height)
    c->max_height = c->sp;
  return 0;
}

static void drop_entry(cc *c) {
  const cval *v = &c->st[c->sp - 1];
  if (v->kind == K_LOCAL) {
    c->nlazy--;
    c->lazy[v->idx]--;
  }
  c->sp--;
}

/* Pop an operand of type `want` (T_UNKNOWN: any); *pos gets its position, *got its type. */
static int pop(cc *c, uint8_t want, uint32_t *pos, uint8_t *got) {
  cctrl *f = &c->cs[c->csp - 1];
  if (c->sp == f->height) {
    if (f->unreachable) {
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
    return INVALID("type mismatch: expected %s, but the block's operand stack is empty",
                   want == T_UNKNOWN ? "a value" : troupe_wasm_valtype_name(want));
  }
  uint8_t t = c->st[c->sp - 1].type;
  if (want != T_UNKNOWN && t != T_UNKNOWN && t != want)
    return INVALID("type mismatch: expected %s, found %s", troupe_wasm_valtype_name(want), troupe_wasm_valtype_name(t));
  if (pos)
    *pos = c->sp - 1;
  if (got)
    *got = t == T_UNKNOWN ? want : t;
  drop_entry(c);
  return 0;
}

static int pop_vals(cc *c, uint32_t n, const uint8_t *types) {
  for (uint32_t i = n; i-- > 0;)
    TRY(pop(c, types[i], NULL, NULL));
  return 0;
}

static int push_vals(cc *c, uint32_t n, const uint8_t *types) {
  for (uint32_t i = 0; i < n; i++)
    TRY(push(c, types[i]));
  return 0;
}

/* Check that the top n entries have these types, without popping (branch operands). */
static int check_top(cc *c, uint32_t n, const uint8_t *types) {
  uint32_t sp = c->sp;
  cval save[8];
  cval *saved = n <= 8 ? save : trB_malloc((size_t)n * sizeof *saved);
  if (!saved)
    return vfail(c, TROUPE_E_NOMEM, "out of memory");
  uint32_t avail = sp - c->cs[c->csp - 1].height;
  uint32_t k = n < avail ? n : avail;
  if (k)
    memcpy(saved, c->st + sp - k, k * sizeof *saved);
  int rc = pop_vals(c, n, types);
  c->sp = sp - k;
  if (k)
    memcpy(c->st + c->sp, saved, k * sizeof *saved);
  c->sp = sp;
  for (uint32_t i = sp - k; i < sp; i++) /* pop uncounted them */
    if (c->st[i].kind == K_LOCAL) {
      c->nlazy++;
      c->lazy[c->st[i].idx]++;
    }
  if (saved != save)
    free(saved);
  return rc;
}

static void set_unreachable(cc *c) {
  cctrl *f = &c->cs[c->csp - 1];
  while (c->sp > f->height)
    drop_entry(c);
  f->unreachable = true;
}

/* Leave exactly the n operands of these types on top (filling a polymorphic stack). */
static int take_vals(cc *c, uint32_t n, const uint8_t *t) {
  TRY(check_top(c, n, t));
  if (dead(c)) { /* the spec's pop-then-push: fills and retypes a polymorphic stack */
    TRY(pop_vals(c, n, t));
    TRY(push_vals(c, n, t));
  }
  return 0;
}

/* The block's results, exactly, on top of its floor. */
static int take_results(cc *c, const cctrl *f) {
  TRY(take_vals(c, f->nresults, f->results));
  if (c->sp - f->height != f->nresults)
    return INVALID("type mismatch: %u values left at the end of the block, %u expected",
                   c->sp - f->height, f->nresults);
  return 0;
}

static int push_ctrl(cc *c, uint8_t kind, uint32_t np, const uint8_t *p, uint32_t nr,
                     const uint8_t *r) {
  if (!grow((void **)&c->cs, &c->cs_cap, c->csp + 1, sizeof *c->cs))
    return vfail(c, TROUPE_E_NOMEM, "out of memory");
  bool unreach = c->csp ? dead(c) : false;
  c->cs[c->csp++] = (cctrl){.kind = kind, .height = c->sp, .rbase = c->sp, .nparams = np,
                            .params = p, .nresults = nr, .results = r, .dead_in = unreach};
  return 0;
}

/* The label types of a branch target. */
static void label_types(const cctrl *f, uint32_t *n, const uint8_t **t) {
  if (f->kind == C_LOOP)
    *n = f->nparams, *t = f->params;
  else
    *n = f->nresults, *t = f->results;
}

/* ---- immediates -------------------------------------------------------------------- */

static int rd_u32(cc *c, uint32_t *v) { return trE_rd_u32(&c->r, v); }

static int rd_zero_byte(cc *c) {
  uint8_t b;
  TRY(trE_rd_u8(&c->r, &b));
  if (b != 0)
    return vfail(c, TROUPE_E_MALFORMED, "zero byte expected");
  return 0;
}

static const uint8_t single_types[256] = {
    [TROUPE_WASM_I32] = TROUPE_WASM_I32,         [TROUPE_WASM_I64] = TROUPE_WASM_I64,
    [TROUPE_WASM_F32] = TROUPE_WASM_F32,         [TROUPE_WASM_F64] = TROUPE_WASM_F64,
    [TROUPE_WASM_V128] = TROUPE_WASM_V128,       [TROUPE_WASM_FUNCREF] = TROUPE_WASM_FUNCREF,
    [TROUPE_WASM_EXTERNREF] = TROUPE_WASM_EXTERNREF,
};

static int read_blocktype(cc *c, uint32_t *np, const uint8_t **p, uint32_t *nr,
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
    return INVALID("unknown type %lld", (long long)idx);
  const trE_functype *ft = &c->m->types[idx];
  *np = ft->nparams, *p = TRE_PARAMS(ft), *nr = ft->nresults, *r = TRE_RESULTS(ft);
  return 0;
}

static int read_memarg(cc *c, unsigned natural, uint32_t *offset) {
  uint32_t align;
  TRY(rd_u32(c, &align));
  TRY(rd_u32(c, offset));
  if (c->m->nmemories == 0)
    return INVALID("unknown memory 0");
  if (align > natural)
    return INVALID("alignment must not be larger than natural");
  return 0;
}

/* ---- instruction groups -------------------------------------------------------- */

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

static bool fits_imm(const cval *v) {
  if (v->kind != K_CONST)
    return false;
  if (v->type == TROUPE_WASM_I32)
    return true;
  return v->type == TROUPE_WASM_I64 && (int64_t)v->val == (int64_t)(int32_t)v->val;
}

/* Op p at code index ps (prev_op, prev2_op) is really there and ends at `end`. */
static bool op_at(const cc *c, trE_opcode p, uint32_t ps, uint32_t len, uint32_t end) {
  return p != TRE_OP_COUNT && ps + len == end && c->code[ps] == (uint32_t)c->H[p];
}

/* The op just emitted wrote stack position pos's home slot (not retargeted). */
static bool last_wrote(const cc *c, uint32_t pos) {
  return !c->oom && c->last_dst && c->last_pos == pos &&
         c->code[c->last_dst - 1] == home(c, pos);
}

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
static bool fuse_chain(cc *c, trE_opcode op, uint32_t pa, uint32_t pb) {
  if (op != TRE_OP_i32_add && op != TRE_OP_i32_and && op != TRE_OP_i32_or &&
      op != TRE_OP_i32_xor && op != TRE_OP_f64_add && op != TRE_OP_f64_sub &&
      op != TRE_OP_f64_mul)
    return false;
  bool left = last_wrote(c, pa) && c->st[pb].kind != K_CONST;
  bool right = !left && last_wrote(c, pb) && c->st[pa].kind != K_CONST;
  if ((left || right) && op == TRE_OP_i32_add && c->last_op == TRE_OP_i32_add_add) {
    /* a fourth term: one op sums four slots */
    uint32_t start = c->last_start, t[3];
    memcpy(t, &c->code[start + 2], sizeof t);
    uint32_t other = left ? rd(c, pb) : rd(c, pa);
    unemit(c, start);
    uint32_t *w = emit(c, TRE_OP_i32_add3, 5);
    w[0] = home(c, pa);
    memcpy(&w[1], t, sizeof t);
    w[4] = other;
    note_dst(c, w, pa);
    return true;
  }
  int f = left || right ? chain_form(op, c->last_op, right) : -1;
  if (f < 0)
    return false;
  uint32_t start = c->last_start, ps = c->prev_start;
  uint32_t x = c->code[start + 2], y = c->code[start + 3];
  uint32_t other = left ? rd(c, pb) : rd(c, pa); /* a slot or a local: emits nothing */
  if (f == TRE_OP_i32_xor_rotl_imm && c->prev_op == TRE_OP_i32_xor_rotl2 &&
      op_at(c, c->prev_op, ps, 6, start) && c->code[ps + 1] == other &&
      other == home(c, left ? pb : pa) && c->label_at != start + 1) {
    /* three rotates xored (SHA-2's sigma functions): one op */
    uint32_t r[4];
    memcpy(r, &c->code[ps + 2], sizeof r);
    unemit(c, ps);
    uint32_t *w = emit(c, TRE_OP_i32_xor_rotl3, 7);
    w[0] = home(c, pa);
    memcpy(&w[1], r, sizeof r);
    w[5] = x, w[6] = y;
    note_dst(c, w, pa);
    return true;
  }
  if (f == TRE_OP_i32_xor_rotl_imm && c->prev_op == TRE_OP_i32_rotl_imm &&
      op_at(c, c->prev_op, ps, 4, start) && c->code[ps + 1] == other &&
      other == home(c, left ? pb : pa) && c->label_at != start + 1) {
    /* ... and the other operand the rotate just before it: rotl(x, k) ^ rotl(z, j) */
    uint32_t z = c->code[ps + 2], j = c->code[ps + 3];
    unemit(c, ps);
    uint32_t *w = emit(c, TRE_OP_i32_xor_rotl2, 5);
    w[0] = home(c, pa), w[1] = x, w[2] = y, w[3] = z, w[4] = j;
    note_dst(c, w, pa);
    return true;
  }
  unemit(c, start);
  uint32_t *w = emit(c, (trE_opcode)f, 4);
  w[0] = home(c, pa), w[1] = x, w[2] = y, w[3] = other;
  note_dst(c, w, pa);
  return true;
}

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
static bool fold_eqz(cc *c) {
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

static int numeric(cc *c, trE_opcode op, uint8_t a, uint8_t b, uint8_t r) {
  uint32_t pb = 0, pa = 0;
  if (b)
    TRY(pop(c, b, &pb, NULL));
  TRY(pop(c, a, &pa, NULL));
  if (!dead(c) && (op == TRE_OP_i32_sub || op == TRE_OP_i64_sub) &&
      c->st[pb].kind == K_CONST) {
    /* x - k is x + (-k) in wrapping arithmetic: one form for the fusions that look for
     * an add */
    c->st[pb].val = op == TRE_OP_i32_sub ? (uint32_t)-c->st[pb].val : -c->st[pb].val;
    op = op == TRE_OP_i32_sub ? TRE_OP_i32_add : TRE_OP_i64_add;
  }
  if (!dead(c) && b && fuse_chain(c, op, pa, pb))
    return push(c, r);
  if (op == TRE_OP_i32_eqz && !dead(c) && last_wrote(c, pa) && fold_eqz(c))
    return push(c, TROUPE_WASM_I32);
  if (op == TRE_OP_i32_wrap_i64 && !dead(c)) {
    /* i32 consumers read only a slot's low half: the value stays where it is (a
     * constant is truncated), and nothing is emitted */
    cval src = c->st[pa]; /* popped, still readable until the push */
    TRY(push(c, TROUPE_WASM_I32));
    cval *v = &c->st[c->sp - 1];
    *v = src;
    v->type = TROUPE_WASM_I32;
    if (v->kind == K_CONST)
      v->val = (uint32_t)v->val;
    else if (v->kind == K_LOCAL) {
      c->nlazy++;
      c->lazy[v->idx]++;
    }
    c->last_dst = 0;
    return 0;
  }
  if (!dead(c)) {
    int swapped = -1;
    int fused = b ? imm_form(op, &swapped) : -1;
    if (fused >= 0 && fits_imm(&c->st[pb])) {
      uint32_t ra = rd(c, pa);
      uint32_t *w = emit(c, (trE_opcode)fused, 3);
      w[0] = home(c, pa), w[1] = ra, w[2] = (uint32_t)c->st[pb].val;
      note_dst(c, w, pa);
    } else if (swapped >= 0 && fits_imm(&c->st[pa])) {
      uint32_t rb = rd(c, pb);
      uint32_t *w = emit(c, (trE_opcode)swapped, 3);
      w[0] = home(c, pa), w[1] = rb, w[2] = (uint32_t)c->st[pa].val;
      note_dst(c, w, pa);
    } else if (b) {
      uint32_t ra = rd(c, pa), rb = rd(c, pb);
      uint32_t *w = emit(c, op, 3);
      w[0] = home(c, pa), w[1] = ra, w[2] = rb;
      note_dst(c, w, pa);
    } else {
      uint32_t ra = rd(c, pa);
      uint32_t *w = emit(c, op, 2);
      w[0] = home(c, pa), w[1] = ra;
      note_dst(c, w, pa);
    }
  }
  TRY(push(c, r));
  return 0;
}

static int num_op(cc *c, int code, bool *known) {
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

/* ---- fused compare-and-branch --------------------------------------------------- */


/* The wasm offset the pc map gives code index `start` (an op about to be fused away:
 * the fused op keeps its location when it is the one that can trap). */
static uint32_t loc_of(const cc *c, uint32_t start) {
  uint32_t i = c->nmap;
  while (i && c->map[i - 1].pc > start)
    i--;
  return i ? c->map[i - 1].off : c->cur_off;
}

/* Give the op just emitted the wasm offset `off` in the pc map. */
static void set_loc(cc *c, uint32_t off) {
  if (!c->oom && c->nmap && c->map[c->nmap - 1].pc == c->last_start)
    c->map[c->nmap - 1].off = off;
}

/* Drop the ops from code index `start` on (the op just emitted, being fused away). */
static void unemit(cc *c, uint32_t start) {
  c->ncode = start;
  if (c->prev_start >= start)
    c->prev_op = TRE_OP_COUNT;
  if (c->prev2_start >= start)
    c->prev2_op = TRE_OP_COUNT;
  while (c->nmap && c->map[c->nmap - 1].pc >= start)
    c->nmap--;
  c->last_dst = 0;
}

/* Drop the op just emitted (an i32.eqz) so that the op before it is the last again. */
static void unemit_last(cc *c, uint32_t pos) {
  uint32_t ps = c->prev_start;
  trE_opcode p = c->prev_op;
  unemit(c, c->last_start);
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
static uint32_t *fuse_add_branch(cc *c, int k, bool imm, bool wide, uint32_t a, uint32_t b) {
  trE_opcode p = c->prev_op;
  uint32_t ps = c->prev_start, start = c->last_start;
  bool addi = p == (wide ? TRE_OP_i64_add_imm : TRE_OP_i32_add_imm);
  if (!addi && p != (wide ? TRE_OP_i64_add : TRE_OP_i32_add))
    return NULL;
  if (!op_at(c, p, ps, 4, start) || c->code[ps + 1] != a || c->label_at == start + 1 ||
      (!imm && b == a))
    return NULL; /* (the fused op reads y before it writes x) */
  uint32_t x = c->code[ps + 1], pa = c->code[ps + 2], pb = c->code[ps + 3];
  unemit(c, ps);
  uint32_t *w = emit(c, trE_op_brba((unsigned)k, wide, addi, imm), 5);
  w[0] = x, w[1] = pa, w[2] = pb, w[3] = b;
  return &w[4];
}

/* A conditional branch on the value at stack position pos (read from cond_slot): taken
 * when it is non-zero (when_true) or zero; `back` for a loop back-edge (when_true only).
 * If the op just emitted computed that value with an i32 compare or eqz, it is replaced
 * by one fused op. Returns the branch offset word. */
static uint32_t *emit_cond_branch(cc *c, uint32_t pos, uint32_t cond_slot, bool when_true,
                                  bool back) {
  if (!back && !dead(c) && !c->oom && c->last_op == TRE_OP_i32_eqz && c->last_dst &&
      c->last_pos == pos && c->code[c->last_dst - 1] == home(c, pos) &&
      trE_op_fcmp(c->prev_op) >= 0 &&
      op_at(c, c->prev_op, c->prev_start, 4, c->last_start) &&
      c->code[c->prev_start + 1] == home(c, pos) && c->label_at != c->last_start + 1) {
    unemit_last(c, pos); /* branch on !(a < b): the compare's branch, inverted */
    when_true = !when_true;
  }
  if (!dead(c) && !c->oom && c->last_dst && c->last_pos == pos &&
      c->code[c->last_dst - 1] == home(c, pos)) {
    bool imm, wide, zero;
    int k = cmp_index(c->last_op, &imm, &wide, &zero);
    uint32_t start = c->last_start;
    if (k >= 0) {
      uint32_t a = c->code[start + 2], b = zero ? 0 : c->code[start + 3];
      uint32_t *rel = back ? fuse_add_branch(c, k, imm, wide, a, b) : NULL;
      if (rel)
        return rel;
      unemit(c, start);
      if (!when_true)
        k = cmp_negate[k];
      uint32_t *w = emit(c, trE_op_br((unsigned)k, wide, imm, back), 3);
      w[0] = a, w[1] = b;
      return &w[2];
    }
    int f = trE_op_fcmp(c->last_op);
    if (f >= 0) {
      uint32_t a = c->code[start + 2], b = c->code[start + 3];
      uint32_t ps = c->prev_start;
      if (!back && op_at(c, c->prev_op, ps, 4, start) && c->prev_op == TRE_OP_const64 &&
          c->label_at != start + 1 &&
          ((c->code[ps + 1] == b && b == home(c, pos + 1) && a != b) ||
           (c->code[ps + 1] == a && a == home(c, pos) && b != a))) {
        /* against a constant materialised just for it: the constant in the op (as the
         * second operand; a constant first operand mirrors the compare, exact for NaN) */
#define X(_, k, m) [TRE_FCMP_##k] = TRE_FCMP_##m,
        static const uint8_t mirror[TRE_NFCMPS] = {TRE_FCMPS(X, _)};
#undef X
        uint32_t lo = c->code[ps + 2], hi = c->code[ps + 3];
        uint32_t x = c->code[ps + 1] == b ? a : b;
        if (c->code[ps + 1] == a)
          f = mirror[f];
        unemit(c, ps);
        uint32_t *w = emit(c, trE_op_brf64_imm((unsigned)f, !when_true), 4);
        w[0] = x, w[1] = lo, w[2] = hi;
        return &w[3];
      }
      unemit(c, start);
      uint32_t *w = emit(c, trE_op_brf64((unsigned)f, !when_true, back), 3);
      w[0] = a, w[1] = b;
      return &w[2];
    }
    if (c->last_op == TRE_OP_i32_eqz) {
      uint32_t a = c->code[start + 2];
      unemit(c, start);
      trE_opcode op = when_true ? (back ? TRE_OP_brb_eqz : TRE_OP_br_unless)
                                : TRE_OP_br_if;
      uint32_t *w = emit(c, op, 2);
      w[0] = a;
      return &w[1];
    }
  }
  if (back && !dead(c) && !c->oom && c->last_start + 4 == c->ncode &&
      (c->last_op == TRE_OP_i32_add || c->last_op == TRE_OP_i32_add_imm) &&
      c->code[c->last_start + 1] == cond_slot && c->label_at != c->ncode + 1) {
    /* a loop counted down to zero: the add and the test `!= 0` in one op */
    uint32_t start = c->last_start;
    bool addi = c->last_op == TRE_OP_i32_add_imm;
    uint32_t x = c->code[start + 1], a = c->code[start + 2], b = c->code[start + 3];
    unemit(c, start);
    uint32_t *w = emit(c, addi ? TRE_OP_brbai_ne_imm : TRE_OP_brba_ne_imm, 5);
    w[0] = x, w[1] = a, w[2] = b, w[3] = 0;
    return &w[4];
  }
  trE_opcode op = when_true ? (back ? TRE_OP_br_if_back : TRE_OP_br_if) : TRE_OP_br_unless;
  uint32_t *w = emit(c, op, 2);
  w[0] = cond_slot;
  return &w[1];
}

/* Emit the value moves of a branch to frame f (values on top of the stack). */
static void branch_moves(cc *c, const cctrl *f) {
  uint32_t n;
  const uint8_t *t;
  label_types(f, &n, &t);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t pos = c->sp - n + i;
    if (pos == f->rbase + i && c->st[pos].kind == K_SLOT)
      continue;
    move_to(c, home(c, f->rbase + i), pos);
  }
}

static bool needs_moves(cc *c, const cctrl *f) {
  if (f->kind == C_FUNC)
    return true;
  uint32_t n;
  const uint8_t *t;
  label_types(f, &n, &t);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t pos = c->sp - n + i;
    if (pos != f->rbase + i || c->st[pos].kind != K_SLOT)
      return true;
  }
  return false;
}

/* A jump to frame f from here: an unconditional br op (loops: backwards to the head). */
static void emit_jump(cc *c, cctrl *f) {
  if (f->kind == C_LOOP && !dead(c) && !c->oom && c->last_op == TRE_OP_copy &&
      c->last_start + 3 == c->ncode && c->label_at != c->ncode + 1) {
    /* a move (a loop variable's next value), then the back-edge: one op */
    uint32_t start = c->last_start, d = c->code[start + 1], src = c->code[start + 2];
    unemit(c, start);
    uint32_t *w = emit(c, TRE_OP_copy_br_back, 3);
    w[0] = d, w[1] = src;
    uint32_t i = word_index(c, &w[2]);
    if (i != UINT32_MAX)
      set_rel(c, i, f->loop_pc);
    return;
  }
  uint32_t *w = emit(c, f->kind == C_LOOP ? TRE_OP_br_back : TRE_OP_br, 1);
  uint32_t i = word_index(c, w);
  if (i == UINT32_MAX)
    return;
  if (f->kind == C_LOOP)
    set_rel(c, i, f->loop_pc);
  else
    add_fixup(c, f, w);
}

/* Results of the function: moved into slots 0..n-1, then ret. Entries are left as they
 * are (a conditional return must not change what the fall-through path sees). Copies
 * run in increasing order: a result's source never lies below its destination, except
 * a local, which is first parked in the entry's home slot. */
static void emit_return(cc *c) {
  uint32_t n = c->ft->nresults;
  if (dead(c))
    return;
  if (n == 1 && c->st[c->sp - 1].kind != K_CONST) { /* the common case: one op */
    const cval *v = &c->st[c->sp - 1];
    uint32_t src = v->kind == K_LOCAL ? v->idx : home(c, c->sp - 1);
    if (src == 0) {
      emit(c, TRE_OP_ret, 0);
    } else {
      uint32_t *w = emit(c, TRE_OP_ret1, 1);
      w[0] = src;
    }
    return;
  }
  for (uint32_t i = 0; i < n && n > 1; i++) {
    cval *v = &c->st[c->sp - n + i];
    if (v->kind == K_LOCAL && v->idx < n)
      emit_copy(c, home(c, c->sp - n + i), v->idx);
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t pos = c->sp - n + i;
    cval *v = &c->st[pos];
    if (v->kind == K_CONST)
      emit_const(c, i, v->type, v->val);
    else if (v->kind == K_LOCAL && !(n > 1 && v->idx < n))
      emit_copy(c, i, v->idx);
    else
      emit_copy(c, i, home(c, pos));
  }
  emit(c, TRE_OP_ret, 0);
}

/* A taken branch to frame f: value moves, then the jump (to the function: a return). */
static void emit_branch(cc *c, cctrl *f) {
  if (f->kind == C_FUNC) {
    emit_return(c);
    return;
  }
  branch_moves(c, f);
  emit_jump(c, f);
}

static int get_label(cc *c, uint32_t *depth) {
  TRY(rd_u32(c, depth));
  if (*depth >= c->csp)
    return INVALID("unknown label %u", *depth);
  return 0;
}

static int op_br_table(cc *c) {
  uint32_t n;
  TRY(rd_u32(c, &n));
  if ((uint64_t)n > trE_rd_left(&c->r))
    return trE_rd_fail(&c->r, TROUPE_E_MALFORMED, "unexpected end");
  uint32_t *labels = trB_malloc(((size_t)n + 1) * sizeof *labels);
  if (!labels)
    return vfail(c, TROUPE_E_NOMEM, "out of memory");
  int rc = 0;
  for (uint32_t i = 0; i <= n && rc == 0; i++)
    rc = get_label(c, &labels[i]);
  uint32_t pi = 0;
  if (rc == 0)
    rc = pop(c, TROUPE_WASM_I32, &pi, NULL);
  /* validation: every label has the default's arity and accepts the operands */
  uint32_t arity;
  const uint8_t *dt;
  if (rc == 0) {
    label_types(&c->cs[c->csp - 1 - labels[n]], &arity, &dt);
    for (uint32_t i = 0; i <= n && rc == 0; i++) {
      uint32_t na;
      const uint8_t *t;
      label_types(&c->cs[c->csp - 1 - labels[i]], &na, &t);
      if (na != arity)
        rc = MISMATCH();
      else
        rc = check_top(c, na, t);
    }
  }
  if (rc == 0 && !dead(c) && !c->oom) {
    uint32_t idx = rd(c, pi), hdr = 2, off = 0;
    if (c->last_op == TRE_OP_i32_load8_u && last_wrote(c, pi)) {
      /* switch on a byte just loaded (a bytecode interpreter's dispatch): one op, which
       * keeps the load's location for its out-of-bounds trap */
      uint32_t start = c->last_start, at = loc_of(c, start);
      idx = c->code[start + 2], off = c->code[start + 3], hdr = 3;
      unemit(c, start);
      emit(c, TRE_OP_br_table_ld8, 0);
      set_loc(c, at);
    } else {
      emit(c, TRE_OP_br_table, 0);
    }
    if (!grow((void **)&c->code, &c->code_cap, c->ncode + n + 1 + hdr, sizeof *c->code)) {
      c->oom = true;
    } else {
      uint32_t base = c->ncode;
      c->code[base] = idx;
      if (hdr == 3)
        c->code[base + 1] = off;
      c->code[base + hdr - 1] = n;
      c->ncode += n + 1 + hdr;
      for (uint32_t i = 0; i <= n; i++) {
        cctrl *f = &c->cs[c->csp - 1 - labels[i]];
        uint32_t word = base + hdr + i;
        if (!needs_moves(c, f)) {
          if (f->kind == C_LOOP) {
            set_rel(c, word, f->loop_pc);
          } else {
            c->code[word] = f->fixups;
            f->fixups = word + 1;
          }
          continue;
        }
        /* a stub: moves, then the jump */
        set_rel(c, word, c->ncode);
        emit_branch(c, f);
        if (c->oom)
          break;
      }
    }
  }
  free(labels);
  if (rc == 0)
    set_unreachable(c);
  return rc;
}

/* call / call_indirect: the arguments go to their home slots, where the callee's frame
 * will start; results come back to the same slots. */
static int op_call(cc *c, const trE_functype *ft, bool indirect, uint32_t index,
                   uint32_t table) {
  uint32_t ip = 0, idxslot = 0;
  if (indirect) {
    TRY(pop(c, TROUPE_WASM_I32, &ip, NULL));
    if (!dead(c))
      idxslot = rd(c, ip);
  }
  TRY(pop_vals(c, ft->nparams, TRE_PARAMS(ft)));
  uint32_t argbase = c->sp;
  if (!dead(c)) {
    for (uint32_t i = 0; i < ft->nparams; i++)
      materialize(c, argbase + i);
    if (indirect) {
      uint32_t *w = emit(c, TRE_OP_call_ind, 4);
      w[0] = index, w[1] = table, w[2] = idxslot, w[3] = home(c, argbase);
    } else {
      uint32_t *w = emit(c, TRE_OP_call, 2);
      w[0] = index, w[1] = home(c, argbase);
    }
  }
  TRY(push_vals(c, ft->nresults, TRE_RESULTS(ft)));
  c->last_dst = 0;
  return 0;
}

static int check_table(cc *c, uint32_t t) {
  if (t >= c->m->ntables)
    return INVALID("unknown table %u", t);
  return 0;
}

/* The bulk ops' (d, s, n) operands, popped as i32s; emits op [imms.. d s n]. */
static int bulk3(cc *c, trE_opcode op, uint32_t nimm, uint32_t imm0, uint32_t imm1) {
  uint32_t pn = 0, ps = 0, pd = 0;
  TRY(pop(c, TROUPE_WASM_I32, &pn, NULL));
  TRY(pop(c, TROUPE_WASM_I32, &ps, NULL));
  TRY(pop(c, TROUPE_WASM_I32, &pd, NULL));
  if (!dead(c)) {
    uint32_t d = rd(c, pd), s = rd(c, ps), n = rd(c, pn);
    uint32_t *w = emit(c, op, nimm + 3);
    if (nimm > 0)
      w[0] = imm0;
    if (nimm > 1)
      w[1] = imm1;
    w[nimm] = d, w[nimm + 1] = s, w[nimm + 2] = n;
  }
  return 0;
}

static int data_index(cc *c, uint32_t *seg) {
  TRY(rd_u32(c, seg));
  if (!c->m->has_datacount)
    return vfail(c, TROUPE_E_MALFORMED, "data count section required");
  if (*seg >= c->m->datacount)
    return INVALID("unknown data segment %u", *seg);
  return 0;
}

static int op_fc(cc *c) {
  uint32_t sub, seg, t, t2;
  TRY(rd_u32(c, &sub));
  trE_module *m = c->m;
  switch (sub) {
  case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: {
    bool known;
    return num_op(c, 0x100 + (int)sub, &known);
  }
  case 8: /* memory.init */
    TRY(data_index(c, &seg));
    TRY(rd_zero_byte(c));
    if (m->nmemories == 0)
      return INVALID("unknown memory 0");
    return bulk3(c, TRE_OP_memory_init, 1, seg, 0);
  case 9: { /* data.drop */
    TRY(data_index(c, &seg));
    uint32_t *w = emit(c, TRE_OP_data_drop, 1);
    w[0] = seg;
    return 0;
  }
  case 10: case 11: /* memory.copy, memory.fill */
    TRY(rd_zero_byte(c));
    if (sub == 10)
      TRY(rd_zero_byte(c));
    if (m->nmemories == 0)
      return INVALID("unknown memory 0");
    return bulk3(c, sub == 10 ? TRE_OP_memory_copy : TRE_OP_memory_fill, 0, 0, 0);
  case 12: /* table.init elem table */
    TRY(rd_u32(c, &seg));
    TRY(rd_u32(c, &t));
    TRY(check_table(c, t));
    if (seg >= m->nelems)
      return INVALID("unknown elem segment %u", seg);
    if (m->elems[seg].elem_type != m->tables[t].elem)
      return MISMATCH();
    return bulk3(c, TRE_OP_table_init, 2, t, seg);
  case 13: { /* elem.drop */
    TRY(rd_u32(c, &seg));
    if (seg >= m->nelems)
      return INVALID("unknown elem segment %u", seg);
    uint32_t *w = emit(c, TRE_OP_elem_drop, 1);
    w[0] = seg;
    return 0;
  }
  case 14: /* table.copy dst src */
    TRY(rd_u32(c, &t));
    TRY(rd_u32(c, &t2));
    TRY(check_table(c, t));
    TRY(check_table(c, t2));
    if (m->tables[t].elem != m->tables[t2].elem)
      return MISMATCH();
    return bulk3(c, TRE_OP_table_copy, 2, t, t2);
  case 15: { /* table.grow */
    uint32_t pn = 0, pv = 0;
    TRY(rd_u32(c, &t));
    TRY(check_table(c, t));
    TRY(pop(c, TROUPE_WASM_I32, &pn, NULL));
    TRY(pop(c, m->tables[t].elem, &pv, NULL));
    if (!dead(c)) {
      uint32_t v = rd(c, pv), n = rd(c, pn);
      uint32_t *w = emit(c, TRE_OP_table_grow, 4);
      w[0] = t, w[1] = home(c, pv), w[2] = v, w[3] = n;
      note_dst(c, &w[1], pv);
    }
    return push(c, TROUPE_WASM_I32);
  }
  case 16: { /* table.size */
    TRY(rd_u32(c, &t));
    TRY(check_table(c, t));
    uint32_t pos = c->sp;
    TRY(push(c, TROUPE_WASM_I32));
    uint32_t *w = emit(c, TRE_OP_table_size, 2);
    w[0] = t, w[1] = home(c, pos);
    note_dst(c, &w[1], pos);
    return 0;
  }
  case 17: { /* table.fill */
    uint32_t pn = 0, pv = 0, pi = 0;
    TRY(rd_u32(c, &t));
    TRY(check_table(c, t));
    TRY(pop(c, TROUPE_WASM_I32, &pn, NULL));
    TRY(pop(c, m->tables[t].elem, &pv, NULL));
    TRY(pop(c, TROUPE_WASM_I32, &pi, NULL));
    if (!dead(c)) {
      uint32_t i = rd(c, pi), v = rd(c, pv), n = rd(c, pn);
      uint32_t *w = emit(c, TRE_OP_table_fill, 4);
      w[0] = t, w[1] = i, w[2] = v, w[3] = n;
    }
    return 0;
  }
  default:
    return vfail(c, TROUPE_E_MALFORMED, "illegal opcode 0xfc 0x%x", sub);
  }
}

/* A store through local x, then x advanced by an i32.add just retargeted to x (the
 * C idiom *p = v, p += n): one op (ops.h, <store>_inc and friends). */
static void fuse_store_inc(cc *c, uint32_t x) {
  trE_opcode p = c->prev_op, a = c->last_op;
  uint32_t ps = c->prev_start, ls = c->last_start;
  bool addi = a == TRE_OP_i32_add_imm;
  int k = trE_op_store_index(p), ki = trE_op_store_imm_index(p);
  bool simm = ki >= 0;
  if ((!addi && a != TRE_OP_i32_add) || c->label_at == ls + 1 || c->oom ||
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
  uint32_t val = c->code[ps + 2], off = c->code[ps + 3], at = loc_of(c, ps);
  unemit(c, ps);
  uint32_t *w = emit(c, trE_op_store_inc((unsigned)(simm ? ki : k), simm, addi), 4);
  w[0] = x, w[1] = val, w[2] = off, w[3] = inc;
  set_loc(c, at);
}

/* local.set / local.tee: write the top entry into local x. */
static int op_local_set(cc *c, uint32_t x, bool tee) {
  if (x >= c->nlocals)
    return INVALID("unknown local %u", x);
  uint32_t pos;
  TRY(pop(c, c->ltypes[x], &pos, NULL));
  if (!dead(c)) {
    cval v = c->st[pos]; /* popped, still readable */
    bool referenced = false;
    for (uint32_t i = 0; c->lazy[x] && i < c->sp; i++)
      if (c->st[i].kind == K_LOCAL && c->st[i].idx == x) {
        referenced = true;
        materialize(c, i); /* preserve the old value for pending readers */
      }
    if (v.kind == K_SLOT && !referenced && c->last_dst && c->last_pos == pos) {
      c->code[c->last_dst - 1] = x; /* the producer writes the local directly */
      c->set_end = c->ncode + 1; /* op_load may fuse an address add with it */
      fuse_store_inc(c, x);
    } else if (v.kind == K_CONST) {
      emit_const(c, x, v.type, v.val);
    } else {
      emit_copy(c, x, v.kind == K_LOCAL ? v.idx : home(c, pos));
    }
    c->last_dst = 0;
  }
  if (tee) {
    TRY(push(c, c->ltypes[x]));
    if (!dead(c)) {
      c->st[c->sp - 1].kind = K_LOCAL;
      c->st[c->sp - 1].idx = x;
      c->nlazy++;
      c->lazy[x]++;
    }
  }
  return 0;
}

static int op_end(cc *c, bool *done) {
  cctrl *f = &c->cs[c->csp - 1];
  TRY(take_results(c, f));
  if (f->kind == C_IF && (f->nparams != f->nresults ||
                          (f->nresults && memcmp(f->params, f->results, f->nresults) != 0)))
    return MISMATCH(); /* the missing else must turn params into results */
  if (f->kind == C_LOOP && f->fuel_seg) {
    settle_fuel(c);
    c->fuel_word = f->outer_fuel_word;
    c->fuel_count = f->outer_fuel_count;
  }
  if (f->kind == C_FUNC) {
    emit_return(c);
    settle_fuel(c);
    c->csp--;
    *done = true;
    return 0;
  }
  if (!dead(c)) {
    for (uint32_t i = 0; i < f->nresults; i++) {
      if (f->rbase != f->height)
        move_to(c, home(c, f->rbase + i), f->height + i);
      else
        materialize(c, f->height + i);
    }
  }
  uint32_t here = c->ncode;
  c->label_at = here + 1;
  if (f->kind == C_IF && f->else_fix)
    set_rel(c, f->else_fix - 1, here); /* if without else: the false path lands here */
  patch_fixups(c, f, here);
  uint32_t rbase = f->rbase, nr = f->nresults;
  const uint8_t *rt = f->results;
  c->csp--;
  while (c->sp > rbase) /* the results, and any hidden param copies below them */
    drop_entry(c);
  TRY(push_vals(c, nr, rt));
  c->last_dst = 0;
  return 0;
}

static int op_else(cc *c) {
  cctrl *f = &c->cs[c->csp - 1];
  if (f->kind != C_IF)
    return INVALID("else without if");
  TRY(take_results(c, f));
  if (!dead(c)) {
    for (uint32_t i = 0; i < f->nresults; i++) {
      if (f->rbase != f->height || c->st[f->height + i].kind != K_SLOT)
        move_to(c, home(c, f->rbase + i), f->height + i);
    }
    emit_jump(c, f);
  }
  while (c->sp > f->height)
    drop_entry(c);
  if (f->else_fix)
    set_rel(c, f->else_fix - 1, c->ncode);
  c->label_at = c->ncode + 1;
  f->else_fix = 0;
  f->kind = C_ELSE;
  f->unreachable = false;
  c->last_dst = 0;
  /* the params again: from the hidden originals below the floor */
  for (uint32_t i = 0; i < f->nparams; i++) {
    TRY(push(c, f->params[i]));
    if (!dead(c))
      emit_copy(c, home(c, f->height + i), home(c, f->rbase + i));
  }
  return 0;
}

static int op_block(cc *c, uint8_t op) {
  uint32_t np = 0, nr = 0;
  const uint8_t *p = NULL, *r = NULL;
  TRY(read_blocktype(c, &np, &p, &nr, &r));
  uint32_t pcond = 0, cond = 0;
  if (op == 0x04) {
    TRY(pop(c, TROUPE_WASM_I32, &pcond, NULL));
    if (!dead(c))
      cond = rd(c, pcond);
  }
  TRY(take_vals(c, np, p));
  uint32_t h = c->sp - np;
  if (!dead(c)) {
    materialize_locals(c);
    for (uint32_t i = 0; i < np; i++)
      materialize(c, h + i);
  }
  if (op == 0x03 || op == 0x02) {
    c->last_dst = 0;
    c->sp = h; /* the params stay in place: they become the block's own operands */
    TRY(push_ctrl(c, op == 0x03 ? C_LOOP : C_BLOCK, np, p, nr, r));
    c->sp = h + np;
    if (op == 0x03 && !dead(c)) {
      cctrl *f = &c->cs[c->csp - 1];
      f->fuel_seg = true;
      f->outer_fuel_word = c->fuel_word;
      f->outer_fuel_count = c->fuel_count;
      c->fuel_count = 0;
      f->loop_pc = c->ncode;
      uint32_t *w = emit(c, TRE_OP_fuel, 1);
      uint32_t i = word_index(c, w);
      c->fuel_word = i == UINT32_MAX ? 0 : i + 1;
    }
    return 0;
  }
  /* if: br_unless to the else branch (or the end) */
  uint32_t wi = UINT32_MAX;
  if (!dead(c)) {
    wi = word_index(c, emit_cond_branch(c, pcond, cond, false, false));
  }
  c->last_dst = 0;
  if (np == 0) {
    TRY(push_ctrl(c, C_IF, np, p, nr, r));
  } else {
    /* the originals at h.. stay hidden below the floor for the else branch; the then
     * branch works on copies at h+np.. */
    TRY(push_ctrl(c, C_IF, np, p, nr, r));
    cctrl *f = &c->cs[c->csp - 1];
    f->rbase = h;
    f->shadow = np;
    for (uint32_t i = 0; i < np; i++) {
      TRY(push(c, p[i]));
      if (!dead(c))
        emit_copy(c, home(c, h + np + i), home(c, h + i));
    }
  }
  c->cs[c->csp - 1].else_fix = wi == UINT32_MAX ? 0 : wi + 1;
  return 0;
}

static int op_load(cc *c, trE_opcode op, uint8_t t, unsigned align) {
  uint32_t off, pa = 0;
  TRY(read_memarg(c, align, &off));
  TRY(pop(c, TROUPE_WASM_I32, &pa, NULL));
  uint32_t ps = c->prev_start, ls = c->last_start;
  unsigned li = (unsigned)trE_op_load_index(op);
  if (!dead(c) && c->st[pa].kind == K_CONST) {
    /* a constant address (static data): it is the operand */
    uint32_t *w = emit(c, trE_op_load_k(li), 3);
    w[0] = home(c, pa), w[1] = (uint32_t)c->st[pa].val, w[2] = off;
    note_dst(c, w, pa);
  } else if (!dead(c) && c->last_op == TRE_OP_i32_add_imm && last_wrote(c, pa) &&
      c->prev_op == TRE_OP_i32_shl_imm && op_at(c, c->prev_op, ps, 4, ls) &&
      c->code[ps + 1] == home(c, pa) && c->code[ls + 2] == home(c, pa) &&
      c->label_at != ls + 1) {
    /* (index << k) + constant base, only the address: a scaled-index load */
    uint32_t idx = c->code[ps + 2], k = c->code[ps + 3], base = c->code[ls + 3];
    unemit(c, ps);
    uint32_t *w = emit(c, trE_op_load_addsi(li), 5);
    w[0] = home(c, pa), w[1] = idx, w[2] = k, w[3] = base, w[4] = off;
    note_dst(c, w, pa);
  } else if (!dead(c) && (c->last_op == TRE_OP_i32_add || c->last_op == TRE_OP_i32_add_imm) &&
      last_wrote(c, pa)) {
    uint32_t start = c->last_start;
    uint32_t a = c->code[start + 2], b = c->code[start + 3];
    bool imm = c->last_op == TRE_OP_i32_add_imm;
    unemit(c, start); /* the sum was only the address: fold the add into the load */
    /* per load: _add, _addi, _tadd, _taddi (ops.h) */
    trE_opcode f = trE_op_load_add(li, false, imm);
    uint32_t *w = emit(c, f, 4);
    w[0] = home(c, pa), w[1] = a, w[2] = b, w[3] = off;
    note_dst(c, w, pa);
  } else if (!dead(c) && c->last_op == TRE_OP_i32_add_shl_imm && last_wrote(c, pa)) {
    /* base + (index << k), only the address: a scaled-index load */
    uint32_t start = c->last_start;
    uint32_t idx = c->code[start + 2], k = c->code[start + 3], base = c->code[start + 4];
    unemit(c, start);
    uint32_t *w = emit(c, trE_op_load_adds(li), 5);
    w[0] = home(c, pa), w[1] = base, w[2] = idx, w[3] = k, w[4] = off;
    note_dst(c, w, pa);
  } else if (!dead(c) && !c->oom && c->st[pa].kind == K_LOCAL &&
             (c->last_op == TRE_OP_i32_add || c->last_op == TRE_OP_i32_add_imm) &&
             c->set_end == c->ncode + 1 && c->last_start + 4 == c->ncode &&
             c->label_at != c->ncode + 1 && c->code[c->last_start + 1] == c->st[pa].idx) {
    /* an address add written to local x (local.set or tee), then a load from x: one op
     * writes x and loads */
    uint32_t start = c->last_start;
    uint32_t x = c->code[start + 1], a = c->code[start + 2], b = c->code[start + 3];
    bool imm = c->last_op == TRE_OP_i32_add_imm;
    unemit(c, start);
    trE_opcode f = trE_op_load_add(li, true, imm);
    uint32_t *w = emit(c, f, 5);
    w[0] = home(c, pa), w[1] = x, w[2] = a, w[3] = b, w[4] = off;
    note_dst(c, w, pa);
  } else if (!dead(c)) {
    uint32_t a = rd(c, pa);
    uint32_t *w = emit(c, op, 3);
    w[0] = home(c, pa), w[1] = a, w[2] = off;
    note_dst(c, w, pa);
  }
  return push(c, t);
}

/* An f64.store of the value the f64 add/sub/mul or chain just emitted computed (read by
 * nothing else): the op stores its result itself (the _st forms, ops.h). */
static bool fuse_store(cc *c, uint32_t addr, uint32_t off) {
  trE_opcode p = c->last_op, f = trE_op_f64_st(p);
  if (f == TRE_OP_COUNT)
    return false;
  uint32_t n = p >= TRE_OP_f64_add && p <= TRE_OP_f64_mul ? 2 : 3; /* slots read */
  uint32_t start = c->last_start, in[3];
  memcpy(in, &c->code[start + 2], n * sizeof *in);
  unemit(c, start);
  uint32_t *w = emit(c, f, n + 2);
  w[0] = addr;
  memcpy(&w[1], in, n * sizeof *in);
  w[n + 1] = off;
  return true;
}

static int op_store(cc *c, trE_opcode op, uint8_t t, unsigned align) {
  uint32_t off, pa = 0, pv = 0;
  unsigned si = (unsigned)trE_op_store_index(op);
  TRY(read_memarg(c, align, &off));
  TRY(pop(c, t, &pv, NULL));
  TRY(pop(c, TROUPE_WASM_I32, &pa, NULL));
  if (!dead(c)) {
    const cval *cv = &c->st[pv];
    bool narrow = t == TROUPE_WASM_I32 || t == TROUPE_WASM_F32 || op == TRE_OP_i64_store8 ||
                  op == TRE_OP_i64_store16 || op == TRE_OP_i64_store32;
    if (cv->kind == K_CONST && (narrow || (int64_t)cv->val == (int64_t)(int32_t)cv->val)) {
      uint32_t imm = (uint32_t)cv->val; /* the store truncates: only the low bits matter */
      uint32_t a = rd(c, pa);
      uint32_t *w = emit(c, trE_op_store_imm(si), 3);
      w[0] = a, w[1] = imm, w[2] = off;
      return 0;
    }
    if (c->st[pa].kind == K_CONST) { /* a constant address (static data) */
      uint32_t v = rd(c, pv);
      uint32_t *w = emit(c, trE_op_store_k(si), 3);
      w[0] = (uint32_t)c->st[pa].val, w[1] = v, w[2] = off;
      return 0;
    }
    if (op == TRE_OP_f64_store && cv->kind == K_SLOT && c->st[pa].kind != K_CONST &&
        last_wrote(c, pv) && fuse_store(c, rd(c, pa), off))
      return 0;
    uint32_t a = rd(c, pa), v = rd(c, pv);
    uint32_t *w = emit(c, op, 3);
    w[0] = a, w[1] = v, w[2] = off;
  }
  return 0;
}

static int push_const(cc *c, uint8_t type, uint64_t v) {
  TRY(push(c, type));
  c->st[c->sp - 1].kind = K_CONST;
  c->st[c->sp - 1].val = v;
  return 0;
}

/* One instruction. */
static int instr(cc *c, uint8_t op, bool *done) {
  trE_module *m = c->m;
  switch (op) {
  case 0x00:
    emit(c, TRE_OP_unreachable, 0);
    set_unreachable(c);
    return 0;
  case 0x01:
    return 0;
  case 0x02: case 0x03: case 0x04:
    return op_block(c, op);
  case 0x05:
    return op_else(c);
  case 0x0B:
    return op_end(c, done);
  case 0x0C: case 0x0D: { /* br, br_if */
    uint32_t d;
    TRY(get_label(c, &d));
    uint32_t pc_ = 0;
    if (op == 0x0D)
      TRY(pop(c, TROUPE_WASM_I32, &pc_, NULL));
    cctrl *f = &c->cs[c->csp - 1 - d];
    uint32_t n;
    const uint8_t *t;
    label_types(f, &n, &t);
    TRY(take_vals(c, n, t));
    if (!dead(c)) {
      if (op == 0x0C) {
        emit_branch(c, f);
      } else if (!needs_moves(c, f)) {
        uint32_t cond = rd(c, pc_);
        uint32_t *rel = emit_cond_branch(c, pc_, cond, true, f->kind == C_LOOP);
        uint32_t i = word_index(c, rel);
        if (i != UINT32_MAX) {
          if (f->kind == C_LOOP)
            set_rel(c, i, f->loop_pc);
          else
            add_fixup(c, f, rel);
        }
      } else {
        uint32_t cond = rd(c, pc_);
        uint32_t skip = word_index(c, emit_cond_branch(c, pc_, cond, false, false));
        emit_branch(c, f);
        if (skip != UINT32_MAX)
          set_rel(c, skip, c->ncode);
        c->label_at = c->ncode + 1;
      }
    }
    c->last_dst = 0;
    if (op == 0x0C)
      set_unreachable(c);
    return 0;
  }
  case 0x0E:
    return op_br_table(c);
  case 0x0F:
    TRY(check_top(c, c->ft->nresults, TRE_RESULTS(c->ft)));
    emit_return(c);
    set_unreachable(c);
    return 0;
  case 0x10: { /* call */
    uint32_t fi;
    TRY(rd_u32(c, &fi));
    if (fi >= m->nfuncs)
      return INVALID("unknown function %u", fi);
    return op_call(c, trE_func_type(m, fi), false, fi, 0);
  }
  case 0x11: { /* call_indirect */
    uint32_t ti, t;
    TRY(rd_u32(c, &ti));
    TRY(rd_u32(c, &t));
    if (ti >= m->ntypes)
      return INVALID("unknown type %u", ti);
    TRY(check_table(c, t));
    if (m->tables[t].elem != TROUPE_WASM_FUNCREF)
      return MISMATCH();
    return op_call(c, &m->types[ti], true, ti, t);
  }
  case 0x1A:
    return pop(c, T_UNKNOWN, NULL, NULL);
  case 0x1B: case 0x1C: { /* select */
    uint8_t want = T_UNKNOWN;
    if (op == 0x1C) {
      uint32_t n;
      TRY(rd_u32(c, &n));
      if (n != 1)
        return INVALID("invalid result arity");
      TRY(trE_rd_valtype(&c->r, &want));
    }
    uint32_t pcond = 0, pb = 0, pa = 0;
    uint8_t tb = 0, ta = 0;
    TRY(pop(c, TROUPE_WASM_I32, &pcond, NULL));
    TRY(pop(c, want, &pb, &tb));
    TRY(pop(c, want, &pa, &ta));
    if (op == 0x1B) {
      if (trE_is_reftype(ta) || trE_is_reftype(tb) || ta == TROUPE_WASM_V128)
        return MISMATCH();
      if (ta != T_UNKNOWN && tb != T_UNKNOWN && ta != tb)
        return MISMATCH();
      want = ta != T_UNKNOWN ? ta : tb;
    }
    if (!dead(c)) {
      uint32_t a = rd(c, pa), b = rd(c, pb), cond = rd(c, pcond);
      uint32_t *w = emit(c, TRE_OP_select, 4);
      w[0] = home(c, pa), w[1] = a, w[2] = b, w[3] = cond;
      note_dst(c, w, pa);
    }
    return push(c, want);
  }
  case 0x20: { /* local.get */
    uint32_t x;
    TRY(rd_u32(c, &x));
    if (x >= c->nlocals)
      return INVALID("unknown local %u", x);
    TRY(push(c, c->ltypes[x]));
    if (!dead(c)) {
      c->st[c->sp - 1].kind = K_LOCAL;
      c->st[c->sp - 1].idx = x;
      c->nlazy++;
      c->lazy[x]++;
    }
    return 0;
  }
  case 0x21: case 0x22: {
    uint32_t x;
    TRY(rd_u32(c, &x));
    return op_local_set(c, x, op == 0x22);
  }
  case 0x23: { /* global.get */
    uint32_t g;
    TRY(rd_u32(c, &g));
    if (g >= m->nglobals)
      return INVALID("unknown global %u", g);
    uint32_t pos = c->sp;
    TRY(push(c, m->global_types[g].type));
    uint32_t *w = emit(c, TRE_OP_global_get, 2);
    w[0] = home(c, pos), w[1] = g;
    note_dst(c, w, pos);
    return 0;
  }
  case 0x24: { /* global.set */
    uint32_t g, pos = 0;
    TRY(rd_u32(c, &g));
    if (g >= m->nglobals)
      return INVALID("unknown global %u", g);
    if (!m->global_types[g].mut)
      return INVALID("global is immutable");
    TRY(pop(c, m->global_types[g].type, &pos, NULL));
    if (!dead(c)) {
      uint32_t s = rd(c, pos);
      uint32_t *w = emit(c, TRE_OP_global_set, 2);
      w[0] = g, w[1] = s;
    }
    return 0;
  }
  case 0x25: case 0x26: { /* table.get, table.set */
    uint32_t t, pi = 0, pv = 0;
    TRY(rd_u32(c, &t));
    TRY(check_table(c, t));
    if (op == 0x26)
      TRY(pop(c, m->tables[t].elem, &pv, NULL));
    TRY(pop(c, TROUPE_WASM_I32, &pi, NULL));
    if (!dead(c)) {
      uint32_t i = rd(c, pi);
      if (op == 0x25) {
        uint32_t *w = emit(c, TRE_OP_table_get, 3);
        w[0] = t, w[1] = home(c, pi), w[2] = i;
        note_dst(c, &w[1], pi);
      } else {
        uint32_t v = rd(c, pv);
        uint32_t *w = emit(c, TRE_OP_table_set, 3);
        w[0] = t, w[1] = i, w[2] = v;
      }
    }
    return op == 0x25 ? push(c, m->tables[t].elem) : 0;
  }
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
  case 0x3F: case 0x40: { /* memory.size, memory.grow */
    TRY(rd_zero_byte(c));
    if (m->nmemories == 0)
      return INVALID("unknown memory 0");
    if (op == 0x3F) {
      uint32_t pos = c->sp;
      TRY(push(c, TROUPE_WASM_I32));
      uint32_t *w = emit(c, TRE_OP_memory_size, 1);
      w[0] = home(c, pos);
      note_dst(c, w, pos);
      return 0;
    }
    uint32_t pos;
    TRY(pop(c, TROUPE_WASM_I32, &pos, NULL));
    if (!dead(c)) {
      uint32_t s = rd(c, pos);
      uint32_t *w = emit(c, TRE_OP_memory_grow, 2);
      w[0] = home(c, pos), w[1] = s;
      note_dst(c, w, pos);
    }
    return push(c, TROUPE_WASM_I32);
  }
  case 0x41: {
    int64_t v;
    TRY(trE_rd_sleb(&c->r, 32, &v));
    return push_const(c, TROUPE_WASM_I32, (uint32_t)v);
  }
  case 0x42: {
    int64_t v;
    TRY(trE_rd_sleb(&c->r, 64, &v));
    return push_const(c, TROUPE_WASM_I64, (uint64_t)v);
  }
  case 0x43: {
    uint32_t v;
    TRY(trE_rd_fixed32(&c->r, &v));
    return push_const(c, TROUPE_WASM_F32, v);
  }
  case 0x44: {
    uint64_t v;
    TRY(trE_rd_fixed64(&c->r, &v));
    return push_const(c, TROUPE_WASM_F64, v);
  }
  case 0xD0: { /* ref.null t */
    uint8_t t;
    TRY(trE_rd_u8(&c->r, &t));
    if (!trE_is_reftype(t))
      return vfail(c, TROUPE_E_MALFORMED, "malformed reference type");
    return push_const(c, t, 0);
  }
  case 0xD1: { /* ref.is_null */
    uint32_t pos;
    uint8_t t;
    TRY(pop(c, T_UNKNOWN, &pos, &t));
    if (t != T_UNKNOWN && !trE_is_reftype(t))
      return MISMATCH();
    if (!dead(c)) {
      uint32_t s = rd(c, pos);
      uint32_t *w = emit(c, TRE_OP_ref_is_null, 2);
      w[0] = home(c, pos), w[1] = s;
      note_dst(c, w, pos);
    }
    return push(c, TROUPE_WASM_I32);
  }
  case 0xD2: { /* ref.func */
    uint32_t fi;
    TRY(rd_u32(c, &fi));
    if (fi >= m->nfuncs)
      return INVALID("unknown function %u", fi);
    if (!(m->declared_funcs[fi / 8] & (1u << (fi % 8))))
      return INVALID("undeclared function reference");
    uint32_t pos = c->sp;
    TRY(push(c, TROUPE_WASM_FUNCREF));
    uint32_t *w = emit(c, TRE_OP_ref_func, 2);
    w[0] = home(c, pos), w[1] = fi;
    note_dst(c, w, pos);
    return 0;
  }
  case 0xFC:
    return op_fc(c);
  case 0xFD:
    return vfail(c, TROUPE_E_UNSUPPORTED, "SIMD instructions (0xfd prefix) are not supported");
  default: {
    bool known;
    int rc = num_op(c, op, &known);
    if (known)
      return rc;
    return vfail(c, TROUPE_E_MALFORMED, "illegal opcode 0x%02x", op);
  }
  }
}

/* ---- functions and the module ------------------------------------------------------ */

static void reset_func(cc *c) {
  c->sp = c->max_height = c->csp = 0;
  c->ncode = c->nmap = 0;
  c->code = NULL, c->map = NULL;
  c->code_cap = c->map_cap = 0;
  c->nlazy = c->fuel_word = c->fuel_count = c->entry_fuel = 0;
  c->last_dst = 0;
  c->label_at = 0;
  c->set_end = 0;
  c->prev_op = c->prev2_op = TRE_OP_COUNT;
  c->oom = false;
}

static int compile_func(cc *c, uint32_t defined, trE_compiled *out) {
  trE_module *m = c->m;
  uint32_t fi = m->nfunc_imports + defined;
  const trE_funcbody *b = &m->bodies[defined];
  const trE_functype *ft = trE_func_type(m, fi);
  c->func_index = fi;
  c->ft = ft;
  c->nlocals = ft->nparams + b->nlocals;
  reset_func(c);
  free(c->ltypes);
  free(c->lazy);
  c->ltypes = trB_malloc(c->nlocals ? c->nlocals : 1);
  c->lazy = trB_calloc(c->nlocals ? c->nlocals : 1, sizeof *c->lazy);
  if (!c->ltypes || !c->lazy)
    return vfail(c, TROUPE_E_NOMEM, "out of memory");
  memcpy(c->ltypes, TRE_PARAMS(ft), ft->nparams);
  uint32_t k = ft->nparams;
  for (uint32_t g = 0; g < b->nlocal_groups; g++)
    for (uint32_t i = 0; i < b->local_groups[g].count; i++)
      c->ltypes[k++] = b->local_groups[g].type;
  c->r.p = b->code;
  c->r.end = b->code_end;
  c->cur_off = b->code_offset;
  int rc = push_ctrl(c, C_FUNC, 0, NULL, ft->nresults, TRE_RESULTS(ft));
  bool done = false;
  while (rc == 0 && !done) {
    if (c->r.p >= c->r.end) {
      c->cur_off = (uint32_t)(c->r.p - c->r.base);
      rc = vfail(c, TROUPE_E_MALFORMED, "unexpected end of section or function");
      break;
    }
    c->cur_off = (uint32_t)(c->r.p - c->r.base);
    uint8_t op = *c->r.p++;
    c->fuel_count++;
    rc = instr(c, op, &done);
  }
  if (rc == 0 && c->r.p != c->r.end) {
    c->cur_off = (uint32_t)(c->r.p - c->r.base);
    rc = vfail(c, TROUPE_E_MALFORMED, "section size mismatch: code after the function's end");
  }
  if (rc == 0 && c->oom)
    rc = vfail(c, TROUPE_E_NOMEM, "out of memory");
  if (rc) {
    free(c->code);
    free(c->map);
    return rc;
  }
  *out = (trE_compiled){
      .code = c->code, .ncode = c->ncode, .func_index = fi, .nparams = ft->nparams,
      .nresults = ft->nresults, .nlocals = c->nlocals,
      .frame_slots = c->nlocals + c->max_height + 1, .entry_fuel = c->entry_fuel, .type = ft,
      .npcmap = c->nmap, .pcmap = c->map};
  return 0;
}

/* What compile.c owns in a module: the compiled functions and the function types as
 * the public API shows them (troupe_wasm_export_functype returns these). */
typedef struct owner {
  trE_compiled *fns;
  troupe_wasm_functype *pubtypes;
} owner;

const troupe_wasm_functype *trE_pubtype(const trE_module *m, uint32_t type_index) {
  return &((const owner *)m->code_owner)->pubtypes[type_index];
}

int trE_compile_module(trE_module *m, const uint8_t *bytes, size_t len, troupe_err *err) {
  uint32_t n = m->nfuncs - m->nfunc_imports;
  trE_compiled *fns = trB_calloc(n ? n : 1, sizeof *fns);
  trE_compiled **ptrs = trB_calloc(n ? n : 1, sizeof *ptrs);
  owner *own = trB_calloc(1, sizeof *own);
  troupe_wasm_functype *pub = trB_calloc(m->ntypes ? m->ntypes : 1, sizeof *pub);
  if (!fns || !ptrs || !own || !pub) {
    free(fns);
    free(ptrs);
    free(own);
    free(pub);
    return troupe_err_set(err, TROUPE_E_NOMEM, "code section: out of memory");
  }
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const trE_functype *ft = &m->types[i];
    pub[i] = (troupe_wasm_functype){.nparams = ft->nparams, .nresults = ft->nresults,
                                    .params = TRE_PARAMS(ft), .results = TRE_RESULTS(ft)};
  }
  own->fns = fns;
  own->pubtypes = pub;
  cc c = {.m = m, .H = trE_interp_handlers(), .err = err};
  c.r = (trE_reader){.base = bytes, .p = bytes, .end = bytes + len, .where = "code section",
                     .err = err};
  int rc = 0;
  uint32_t i;
  for (i = 0; i < n && rc == 0; i++) {
    rc = compile_func(&c, i, &fns[i]);
    ptrs[i] = &fns[i];
  }
  free(c.st);
  free(c.cs);
  free(c.ltypes);
  free(c.lazy);
  m->compiled = ptrs;
  m->code_owner = own;
  if (rc) {
    /* fns[i-1] failed and owns nothing */
    for (uint32_t j = 0; j + 1 < i; j++) {
      free((void *)fns[j].code);
      free((void *)fns[j].pcmap);
    }
    free(fns);
    free(ptrs);
    free(pub);
    free(own);
    m->compiled = NULL;
    m->code_owner = NULL;
  }
  return rc;
}

void trE_compile_free(trE_module *m) {
  owner *own = m->code_owner;
  if (!own)
    return;
  for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
    free((void *)own->fns[i].code);
    free((void *)own->fns[i].pcmap);
  }
  free(own->fns);
  free(own->pubtypes);
  free(own);
  free(m->compiled);
  m->compiled = NULL;
  m->code_owner = NULL;
}

uint32_t trE_code_offset(const trE_compiled *fn, uint32_t pc) {
  uint32_t lo = 0, hi = fn->npcmap;
  if (hi == 0)
    return 0;
  while (hi - lo > 1) {
    uint32_t mid = (lo + hi) / 2;
    if (fn->pcmap[mid].pc <= pc)
      lo = mid;
    else
      hi = mid;
  }
  return fn->pcmap[lo].off;
}
