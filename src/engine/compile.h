/*
 * engine/compile.h: the compiler's state, shared by the compile*.c files. One pass per
 * function body validates it and emits the internal code (code.h): compile.c drives the
 * pass and hands each instruction to its family (compile_ctrl.c: control; compile_ops.c:
 * the rest), which validates with compile_stack.c's operand and control stacks and emits
 * through compile_emit.c. compile_fuse.c is the peephole: it rewrites the ops just
 * emitted into fused ones, and its top comment states the invariants of that window.
 * Nothing here outlives trE_compile_module.
 */
#ifndef TROUPE_SRC_ENGINE_COMPILE_H
#define TROUPE_SRC_ENGINE_COMPILE_H

#include "engine/code.h"
#include "engine/reader.h"

enum { TRE_T_UNKNOWN = 0 }; /* the type of an operand of stack-polymorphic code */

/* Where an operand's value lives: in its home slot (nlocals + its stack position), in a
 * local (local.get emits nothing), or as a constant not yet materialised. */
enum { TRE_V_SLOT, TRE_V_LOCAL, TRE_V_CONST };

enum { TRE_C_BLOCK, TRE_C_LOOP, TRE_C_IF, TRE_C_ELSE, TRE_C_FUNC };

typedef struct trE_cval {
  uint8_t type;
  uint8_t kind; /* TRE_V_* */
  uint32_t idx; /* TRE_V_LOCAL: the local's slot */
  uint64_t val; /* TRE_V_CONST: the bits */
} trE_cval;

typedef struct trE_cctrl {
  uint8_t kind;     /* TRE_C_* */
  bool unreachable; /* validation: the rest of this block is stack-polymorphic */
  bool dead_in;     /* emission: the whole block sits in unreachable code */
  uint32_t height;  /* operand stack floor of this block */
  uint32_t rbase;   /* stack position where values carried by a branch here land */
  uint32_t nparams, nresults;
  const uint8_t *params, *results;
  uint32_t loop_pc; /* TRE_C_LOOP: code index of the head (its fuel op) */
  bool fuel_seg;    /* TRE_C_LOOP: the head opened a fuel segment (closed at `end`) */
  uint32_t outer_fuel_word, outer_fuel_count; /* ... and the enclosing one, resumed then */
  uint32_t fixups;   /* chain of branch words to patch at end (word index + 1; 0 ends) */
  uint32_t else_fix; /* TRE_C_IF: the br_unless offset word (+1) */
  uint32_t shadow;   /* TRE_C_IF/ELSE with params: hidden copies of the params below height */
} trE_cctrl;

typedef struct trE_cc {
  trE_module *m;
  trE_reader r;
  const int32_t *H; /* handler offsets (trE_interp_handlers): what an op word holds */
  const trE_opdecoder *dec; /* TROUPE_VERIFY_CODE: for the verifier (else NULL) */
  troupe_err *err;
  uint32_t func_index;
  const trE_functype *ft;
  uint32_t nlocals;
  uint8_t *ltypes;
  trE_cval *st;
  uint32_t sp, st_cap, max_height;
  trE_cctrl *cs;
  uint32_t csp, cs_cap;
  uint32_t *code;
  uint32_t ncode, code_cap;
  trE_pcmap *map;
  uint32_t nmap, map_cap;
  uint32_t cur_off;     /* module offset of the instruction being compiled */
  /* the peephole window (compile_fuse.c states its invariants) */
  uint32_t last_start;  /* code index of the last op emitted, and which op */
  trE_opcode last_op;
  uint32_t prev_start;  /* ... and of the op before it (TRE_OP_COUNT: none, or fused away) */
  trE_opcode prev_op;
  uint32_t prev2_start; /* ... and of the one before that */
  trE_opcode prev2_op;
  uint32_t last_dst;    /* word index + 1 of the last op's result operand (retargeting) */
  uint32_t last_pos;    /* ... and the stack position it wrote */
  uint32_t label_at;    /* code index + 1 of the latest branch target (no fusing across it) */
  uint32_t set_end;     /* code index + 1 right after an op retargeted by local.set/tee */
  uint32_t nlazy;       /* TRE_V_LOCAL entries on the stack */
  uint32_t *lazy;       /* ... per local (local.set scans the stack only when non-zero) */
  uint32_t fuel_word;   /* word index + 1 of the running segment's cost; 0: entry */
  uint32_t fuel_count, entry_fuel;
  bool oom;
  uint32_t scratch[64]; /* emission sink for unreachable code */
} trE_cc;

/* ---- validation: errors, immediates, the operand and control stacks (compile_stack.c) */

/* "code section, offset 0x2a (function 3): <reason>" with the given code. */
int trE_cc_fail(trE_cc *c, int code, const char *fmt, ...) TROUPE_PRINTF(3, 4);
#define TRE_INVALID(c, ...) trE_cc_fail(c, TROUPE_E_INVALID, __VA_ARGS__)
#define TRE_MISMATCH(c) trE_cc_fail(c, TROUPE_E_INVALID, "type mismatch")

static inline int trE_cc_rd_u32(trE_cc *c, uint32_t *v) { return trE_rd_u32(&c->r, v); }
int trE_cc_rd_zero_byte(trE_cc *c);
int trE_cc_check_table(trE_cc *c, uint32_t t);

/* Grow an array to hold `need` elements (doubling); false on overflow or out of memory.
 * The small helpers here are inline: they run a few times per instruction compiled. */
bool trE_cc_grow_to(void **p, uint32_t *cap, uint32_t need, size_t size);
static inline bool trE_cc_grow(void **p, uint32_t *cap, uint32_t need, size_t size) {
  return need <= *cap || trE_cc_grow_to(p, cap, need, size);
}

static inline int trE_cc_push(trE_cc *c, uint8_t type) {
  if (!trE_cc_grow((void **)&c->st, &c->st_cap, c->sp + 1, sizeof *c->st))
    return trE_cc_fail(c, TROUPE_E_NOMEM, "out of memory");
  c->st[c->sp++] = (trE_cval){.type = type, .kind = TRE_V_SLOT};
  if (c->sp > c->max_height)
    c->max_height = c->sp;
  return 0;
}
int trE_cc_push_const(trE_cc *c, uint8_t type, uint64_t v);
static inline void trE_cc_drop_entry(trE_cc *c) {
  const trE_cval *v = &c->st[c->sp - 1];
  if (v->kind == TRE_V_LOCAL) {
    c->nlazy--;
    c->lazy[v->idx]--;
  }
  c->sp--;
}
/* Pop an operand of type `want` (TRE_T_UNKNOWN: any); *pos gets its position (still
 * readable until the next push), *got its type. trE_cc_pop_edge takes the block's empty
 * stack (an unknown value in unreachable code, else an error) and type mismatches. */
int trE_cc_pop_edge(trE_cc *c, uint8_t want, uint32_t *pos, uint8_t *got);
static inline int trE_cc_pop(trE_cc *c, uint8_t want, uint32_t *pos, uint8_t *got) {
  uint32_t sp = c->sp;
  if (sp == c->cs[c->csp - 1].height)
    return trE_cc_pop_edge(c, want, pos, got);
  uint8_t t = c->st[sp - 1].type;
  if (want != TRE_T_UNKNOWN && t != TRE_T_UNKNOWN && t != want)
    return trE_cc_pop_edge(c, want, pos, got);
  if (pos)
    *pos = sp - 1;
  if (got)
    *got = t == TRE_T_UNKNOWN ? want : t;
  trE_cc_drop_entry(c);
  return 0;
}
int trE_cc_pop_vals(trE_cc *c, uint32_t n, const uint8_t *types);
int trE_cc_push_vals(trE_cc *c, uint32_t n, const uint8_t *types);
/* Check that the top n entries have these types, without popping (branch operands). */
int trE_cc_check_top(trE_cc *c, uint32_t n, const uint8_t *types);
/* Leave exactly the n operands of these types on top (filling a polymorphic stack). */
int trE_cc_take_vals(trE_cc *c, uint32_t n, const uint8_t *t);
/* The block's results, exactly, on top of its floor. */
int trE_cc_take_results(trE_cc *c, const trE_cctrl *f);
void trE_cc_set_unreachable(trE_cc *c);
int trE_cc_push_ctrl(trE_cc *c, uint8_t kind, uint32_t np, const uint8_t *p, uint32_t nr,
                     const uint8_t *r);
/* The label types of a branch target. */
void trE_cc_label_types(const trE_cctrl *f, uint32_t *n, const uint8_t **t);

/* ---- emission (compile_emit.c) ------------------------------------------------------- */

/* Code is emitted only for reachable instructions. */
static inline bool trE_cc_dead(const trE_cc *c) {
  const trE_cctrl *f = &c->cs[c->csp - 1];
  return f->unreachable || f->dead_in;
}
static inline uint32_t trE_cc_home(const trE_cc *c, uint32_t pos) { return c->nlocals + pos; }

/* Append op with room for `nops` operand words (zeroed); returns the operand words. In
 * unreachable code (or after an allocation failure) they go to a scratch sink. */
uint32_t *trE_cc_emit(trE_cc *c, trE_opcode op, uint32_t nops);
/* Drop the ops from code index `start` on (being fused away). */
void trE_cc_unemit(trE_cc *c, uint32_t start);
/* The code index of operand word w; UINT32_MAX for the scratch sink (unreachable code or
 * after a failed allocation). */
static inline uint32_t trE_cc_word(const trE_cc *c, const uint32_t *w) {
  if (!c->code || w < c->code || w >= c->code + c->code_cap)
    return UINT32_MAX;
  return (uint32_t)(w - c->code);
}
/* Remember that the op just emitted wrote stack position `pos` through word w. */
static inline void trE_cc_note_dst(trE_cc *c, uint32_t *w, uint32_t pos) {
  uint32_t i = trE_cc_word(c, w);
  c->last_dst = i == UINT32_MAX ? 0 : i + 1;
  c->last_pos = pos;
}
/* Branch offsets are relative to the word that holds them. */
void trE_cc_set_rel(trE_cc *c, uint32_t word, uint32_t target);
void trE_cc_add_fixup(trE_cc *c, trE_cctrl *f, uint32_t *w);
void trE_cc_patch_fixups(trE_cc *c, trE_cctrl *f, uint32_t target);
void trE_cc_settle_fuel(trE_cc *c);
/* The wasm offset the pc map gives code index `start`, and giving the op just emitted
 * one (a fused op keeps the location of the instruction that can trap). */
uint32_t trE_cc_loc_of(const trE_cc *c, uint32_t start);
void trE_cc_set_loc(trE_cc *c, uint32_t off);

void trE_cc_emit_const(trE_cc *c, uint32_t dst, uint8_t type, uint64_t v);
void trE_cc_emit_copy(trE_cc *c, uint32_t dst, uint32_t src);
/* Move the value of stack entry `pos` into slot dst (without changing the entry). */
void trE_cc_move_to(trE_cc *c, uint32_t dst, uint32_t pos);
/* Put entry `pos` into its home slot. */
void trE_cc_materialize(trE_cc *c, uint32_t pos);
/* Before control flow splits or joins, no entry may still read a local. */
void trE_cc_materialize_locals(trE_cc *c);
/* The slot to read entry `pos` from (a constant is materialised first). */
static inline uint32_t trE_cc_rd(trE_cc *c, uint32_t pos) {
  const trE_cval *v = &c->st[pos];
  if (v->kind == TRE_V_LOCAL)
    return v->idx;
  if (v->kind == TRE_V_CONST)
    trE_cc_materialize(c, pos);
  return trE_cc_home(c, pos);
}

/* ---- instruction families: validate and emit one instruction ------------------------- */

int trE_cc_control(trE_cc *c, uint8_t op, bool *done); /* compile_ctrl.c: 0x00-0x11 */
int trE_cc_parametric(trE_cc *c, uint8_t op);          /* compile_ops.c: drop, select */
int trE_cc_variable(trE_cc *c, uint8_t op);            /* local.*, global.* */
int trE_cc_table(trE_cc *c, uint8_t op);               /* table.get, table.set */
int trE_cc_memory(trE_cc *c, uint8_t op);              /* loads, stores, size, grow */
int trE_cc_constant(trE_cc *c, uint8_t op);            /* t.const */
int trE_cc_reference(trE_cc *c, uint8_t op);           /* ref.* */
int trE_cc_prefixed(trE_cc *c);                        /* 0xFC: saturating, bulk */
/* A numeric instruction (0x45-0xC4, 0xFC 0-7 as 0x100 + sub-opcode); *known false when
 * `code` is none. */
int trE_cc_numeric(trE_cc *c, int code, bool *known);

/* ---- the peephole (compile_fuse.c): true when the fused form was emitted -------------- */

/* copy after copy: copy2..copy4. */
bool trE_fuse_copy(trE_cc *c, uint32_t dst, uint32_t src);
/* A jump to the loop head at loop_pc after a copy: copy_br_back. */
bool trE_fuse_jump_back(trE_cc *c, uint32_t loop_pc);
/* A conditional branch on stack position pos (read from cond_slot) after the compare,
 * eqz or add that computed it: the fused branch's offset word (NULL: nothing fused;
 * *when_true may then have been inverted). */
uint32_t *trE_fuse_cond_branch(trE_cc *c, uint32_t pos, uint32_t cond_slot, bool *when_true,
                               bool back);
/* br_table on a byte just loaded: emits br_table_ld8 (its operands are then idx, off). */
bool trE_fuse_br_table(trE_cc *c, uint32_t pos, uint32_t *idx, uint32_t *off);
/* A binary op on the result of the op just emitted: i32 and f64 chains. */
bool trE_fuse_binary(trE_cc *c, trE_opcode op, uint32_t pa, uint32_t pb);
/* i32.eqz of a compare just emitted: the compare negated in place. */
bool trE_fuse_eqz(trE_cc *c, uint32_t pa);
/* A load whose address an add just computed (or wrote to the local it reads). */
bool trE_fuse_load(trE_cc *c, trE_opcode op, uint32_t pa, uint32_t off);
/* An f64.store of an f64 result just computed. */
bool trE_fuse_store(trE_cc *c, trE_opcode op, uint32_t pa, uint32_t pv, uint32_t off);
/* After local.set x retargeted an add: a store through x and the add, post-increment. */
void trE_fuse_store_inc(trE_cc *c, uint32_t x);

#endif
