/*
 * engine/interp.c: the dispatch loop. One function, direct-threaded by computed goto:
 * every op word is its handler's offset from a base label, so dispatch is
 * `goto *(base + *pc)`. The VM registers are C locals the compiler keeps in machine
 * registers: pc, fp (the frame's slot 0), inst (the running instance) and mem/memsize
 * (linear memory 0, reloaded when the running instance changes, after memory.grow and
 * after host calls). Fuel is not one of them: it lives in ex (FUEL_OUT, CHARGE), charged
 * by one addition in memory at each charge point (a loop's entry or back-edge, a call),
 * because one more live value made gcc spill pc (docs/BENCH-ENGINE.md, "What each step
 * bought", step 2). Op lengths and branch operand positions come from the op list
 * (ops.h: SKIP and TARGET below).
 *
 * Calls and returns never recurse in C: a call pushes a trE_frame on ex->frames and
 * jumps; a return pops it and jumps back. Traps and suspensions store the state in ex
 * and return a status to the driver (api.c). Handlers read all their operands before
 * writing their result (the compiler may give the result an operand's slot) and leave
 * pc at the op when they trap, so the trap's location is exact.
 */
#include "engine/instance.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static inline uint64_t f32b(float f) {
  union { float f; uint32_t u; } x = {.f = f};
  return x.u;
}
static inline uint64_t f64b(double f) {
  union { double f; uint64_t u; } x = {.f = f};
  return x.u;
}
static inline double f64_of(uint64_t u) {
  union { uint64_t u; double f; } x = {.u = u};
  return x.f;
}

/* min/max per the spec: -0 below +0; any NaN operand gives a canonical NaN -- the
 * negative one, which is what x86 arithmetic itself produces for invalid operations and
 * what V8 returns, so results never depend on which operand was the NaN and match V8's
 * bit for bit (the engine is differentially tested against it). */
static inline float fmin32(float a, float b) {
  if (a != a || b != b)
    return -__builtin_nanf("");
  if (a == 0 && b == 0)
    return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline float fmax32(float a, float b) {
  if (a != a || b != b)
    return -__builtin_nanf("");
  if (a == 0 && b == 0)
    return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline double fmin64(double a, double b) {
  if (a != a || b != b)
    return -__builtin_nan("");
  if (a == 0 && b == 0)
    return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double fmax64(double a, double b) {
  if (a != a || b != b)
    return -__builtin_nan("");
  if (a == 0 && b == 0)
    return signbit(a) ? b : a;
  return a > b ? a : b;
}

/* The (x << n) | (x >> (-n & w)) form: gcc and clang turn it into one rol/ror. */
static inline uint32_t rotl32(uint32_t a, uint32_t b) { return (a << (b & 31)) | (a >> (-b & 31)); }
static inline uint32_t rotr32(uint32_t a, uint32_t b) { return (a >> (b & 31)) | (a << (-b & 31)); }
static inline uint64_t rotl64(uint64_t a, uint64_t b) { return (a << (b & 63)) | (a >> (-b & 63)); }
static inline uint64_t rotr64(uint64_t a, uint64_t b) { return (a >> (b & 63)) | (a << (-b & 63)); }

/* Saturating truncations. */
static inline int32_t sat_i32(double x) {
  if (x != x)
    return 0;
  if (x <= -2147483649.0)
    return INT32_MIN;
  if (x >= 2147483648.0)
    return INT32_MAX;
  return (int32_t)x;
}
static inline uint32_t sat_u32(double x) {
  if (x != x || x <= -1.0)
    return 0;
  if (x >= 4294967296.0)
    return UINT32_MAX;
  return (uint32_t)x;
}
static inline int64_t sat_i64(double x) {
  if (x != x)
    return 0;
  if (x < -9223372036854775808.0)
    return INT64_MIN;
  if (x >= 9223372036854775808.0)
    return INT64_MAX;
  return (int64_t)x;
}
static inline uint64_t sat_u64(double x) {
  if (x != x || x <= -1.0)
    return 0;
  if (x >= 18446744073709551616.0)
    return UINT64_MAX;
  return (uint64_t)x;
}

/* The stacks grow by exec.c's rule (the call driver grows the value stack by it too),
 * which also enforces their limits (depth, stack budget): false means "call stack
 * exhausted", whether the limit or the allocator said no. */
static inline bool grow_stack(trE_exec *ex, size_t need) {
  return trE_exec_grow_stack(ex, need) == TRE_GROW_OK;
}
static inline bool grow_frames(trE_exec *ex) { return trE_exec_grow_frames(ex) == TRE_GROW_OK; }

static bool hostbuf(trE_exec *ex, uint32_t n) {
  if (n <= ex->hostbuf_cap)
    return true;
  troupe_wasm_val *b = trB_realloc_array(ex->hostbuf, n, sizeof *b);
  if (!b)
    return false;
  ex->hostbuf = b;
  ex->hostbuf_cap = n;
  return true;
}

/* Host-call arguments and results convert as every API crossing does (instance.h). */
static inline void slot_to_val(trE_slot s, uint8_t type, troupe_wasm_val *v) {
  trE_slot_to_val(s, type, v);
}
static inline trE_slot val_to_slot(const troupe_wasm_val *v, uint8_t type) {
  return trE_val_to_slot(v, type);
}

static void set_trap(trE_exec *ex, troupe_wasm_trap_kind kind, const uint32_t *pc,
                     const char *msg) {
  troupe_wasm_trap *t = &ex->trap;
  memset(t, 0, sizeof *t);
  t->kind = kind;
  if (ex->nframes) {
    const trE_compiled *fn = ex->frames[ex->nframes - 1].fn;
    t->func_index = fn->func_index;
    if (pc && pc >= fn->code && pc < fn->code + fn->ncode)
      t->code_offset = trE_code_offset(fn, (uint32_t)(pc - fn->code));
  } else if (ex->entry) {
    t->func_index = UINT32_MAX;
  }
  trB_sb m = trB_sb_init(t->message, sizeof t->message); /* a crash's path: no snprintf */
  trB_sb_str(&m, msg ? msg : troupe_wasm_trap_kind_message(kind));
}

static int run(trE_exec *ex, const trE_func *enter, const int32_t **table) {
  /* The handler table, from the op list (ops.h): each op's label offset from L_base. */
#define HANDLER(name, layout) (int32_t)((const char *)&&L_##name - (const char *)&&L_base),
  static const int32_t handlers[TRE_OP_COUNT] = {TRE_OPS(HANDLER)};
#undef HANDLER
  if (table) {
    *table = handlers;
    return 0;
  }

  const uint32_t *pc = ex->pc;
  trE_slot *fp = NULL;
  trE_inst *inst = NULL;
  uint8_t *mem = NULL;
  uint64_t memsize = 0;
  const trE_func *f;    /* do_call: the callee */
  size_t argbase;       /* do_call: its first argument's slot (from fp) */
  const uint32_t *next; /* do_call: where the caller continues */
  troupe_wasm_trap_kind tk;
  const char *tmsg = NULL;

/* Fuel: the call's budget is ex->fuel_budget, what it has spent ex->fuel_spent (this
 * thread's alone). A charge point stops when spent >= budget, then charges its segment.
 * troupe_wasm_instance_interrupt (api.c) sets the budget to 0 from any thread, so the
 * next charge point stops: the interrupt costs the hot path nothing, since the compare
 * reads the budget where it read the remaining fuel before (gcc: one load, a compare
 * with the spent counter in memory, an add to it), and nothing else ever writes the
 * runner's counter, so no interrupt can be lost to a racing charge. The load is an
 * acquire (a plain mov on x86 and arm64's ldar is cheap): having seen an interrupter's 0,
 * out_of_fuel also sees its flag, stored before. */
#define FUEL_OUT()                                                                         \
  TR_UNLIKELY(ex->fuel_spent >= atomic_load_explicit(&ex->fuel_budget, memory_order_acquire))
/* The same test, written for the call handler, which charges the callee's entry fuel
 * to memory later anyway: in this order gcc compares the budget straight with the
 * counter in memory (a load, a compare, a branch); FUEL_OUT's order lets the back-edges
 * reuse the loaded counter for their charge. Same meaning, fewest instructions each. */
#define CALL_FUEL_OUT()                                                                    \
  TR_UNLIKELY(atomic_load_explicit(&ex->fuel_budget, memory_order_acquire) <= ex->fuel_spent)
#define CHARGE(n) (ex->fuel_spent += (n))

#define NEXT()                                                                             \
 goto *(const void *)((const char *)&&L_base + (int32_t)*pc)
#define S(k) fp[pc[k]]
/* Op lengths and branch targets come from the op list (ops.h): SKIP(op) moves pc past
 * the op, TARGET(op) is where its branch operand (always its last word) points, and a
 * back-edge continues PAST_FUEL(head), after the loop head's fuel op it charged. */
#define SKIP(op) (pc += TRE_LEN_##op)
#define TARGET(op) (pc + (TRE_LEN_##op - 1) + (int32_t)pc[TRE_LEN_##op - 1])
#define PAST_FUEL(head) ((head) + TRE_LEN_fuel)
#define TRAP(kind)                                                                         \
  do {                                                                                     \
    tk = TROUPE_WASM_TRAP_##kind;                                                          \
    goto trap;                                                                             \
  } while (0)
#define RELOAD_MEM()                                                                       \
  do {                                                                                     \
    trE_memory *m_ = inst->mem;                                                            \
    mem = m_ ? m_->data : NULL;                                                            \
    memsize = m_ ? m_->size : 0;                                                           \
  } while (0)
/* A memory access once its effective address is known: the bounds check (one compare,
 * the 33-bit address plus the access size against the current size; no guard pages, no
 * signal handlers), the move, then pc past the op's `words` and the next dispatch. */
#define LOAD_AT(ea_expr, T, put, words)                                                    \
  do {                                                                                     \
    uint64_t ea = (ea_expr);                                                               \
    if (TR_UNLIKELY(ea + sizeof(T) > memsize))                                             \
      goto trap_oob;                                                                       \
    T v;                                                                                   \
    memcpy(&v, mem + ea, sizeof v);                                                        \
    put;                                                                                   \
    pc += (words);                                                                         \
    NEXT();                                                                                \
  } while (0)
#define STORE_AT(ea_expr, T, val, then, words)                                             \
  do {                                                                                     \
    uint64_t ea = (ea_expr);                                                               \
    if (TR_UNLIKELY(ea + sizeof(T) > memsize))                                             \
      goto trap_oob;                                                                       \
    T v = (T)(val);                                                                        \
    memcpy(mem + ea, &v, sizeof v);                                                        \
    then;                                                                                  \
    pc += (words);                                                                         \
    NEXT();                                                                                \
  } while (0)

  if (enter) {
    f = enter;
    fp = ex->stack;
    argbase = 0;
    next = NULL;
    inst = enter->inst;
    RELOAD_MEM();
    goto do_call;
  }
  {
    trE_frame *fr = &ex->frames[ex->nframes - 1];
    fp = ex->stack + fr->fp;
    inst = fr->inst;
    RELOAD_MEM();
  }
  NEXT();

L_base:
L_unreachable:
  TRAP(UNREACHABLE);

  /* ---- control ---------------------------------------------------------------- */
L_br:
  pc = TARGET(br);
  NEXT();
L_br_if:
  if (S(1).u32)
    pc = TARGET(br_if);
  else
    SKIP(br_if);
  NEXT();
L_br_unless:
  if (!S(1).u32)
    pc = TARGET(br_unless);
  else
    SKIP(br_unless);
  NEXT();
L_br_table: {
  uint32_t i = S(1).u32, n = pc[2];
  const uint32_t *w = pc + TRE_LEN_br_table + (i < n ? i : n);
  pc = w + (int32_t)*w;
  NEXT();
}
L_br_table_ld8: {
  uint64_t ea = (uint64_t)S(1).u32 + pc[2];
  if (TR_UNLIKELY(ea + 1 > memsize))
    goto trap_oob;
  uint32_t i = mem[ea], n = pc[3];
  const uint32_t *w = pc + TRE_LEN_br_table_ld8 + (i < n ? i : n);
  pc = w + (int32_t)*w;
  NEXT();
}
L_br_back: {
  const uint32_t *head = TARGET(br_back);
  if (FUEL_OUT())
    goto out_of_fuel; /* resuming runs this branch again */
  CHARGE(head[1]);
  pc = PAST_FUEL(head);
  NEXT();
}
L_copy_br_back: {
  const uint32_t *head = TARGET(copy_br_back);
  if (FUEL_OUT())
    goto out_of_fuel; /* before the move: resuming runs this op again */
  S(1) = S(2);
  CHARGE(head[1]);
  pc = PAST_FUEL(head);
  NEXT();
}
L_br_if_back:
  if (S(1).u32) {
    const uint32_t *head = TARGET(br_if_back);
    if (FUEL_OUT())
      goto out_of_fuel;
    CHARGE(head[1]);
    pc = PAST_FUEL(head);
  } else {
    SKIP(br_if_back);
  }
  NEXT();
L_brb_eqz:
  if (!S(1).u32) {
    const uint32_t *head = TARGET(brb_eqz);
    if (FUEL_OUT())
      goto out_of_fuel;
    CHARGE(head[1]);
    pc = PAST_FUEL(head);
  } else {
    SKIP(brb_eqz);
  }
  NEXT();

  /* fused compare-and-branch: [op a b rel] / [op a imm rel] */
#define BACK_EDGE(op)                                                                      \
  do {                                                                                     \
    const uint32_t *head = TARGET(op);                                                     \
    if (FUEL_OUT())                                                        \
      goto out_of_fuel;                                                                    \
    CHARGE(head[1]);                                                                   \
    pc = PAST_FUEL(head);                                                                  \
  } while (0)
#define BRCMP(br, brb, T, get, immx, expr)                                                 \
  L_##br : {                                                                               \
    T a = S(1).get, b = S(2).get;                                                          \
    pc = (expr) ? TARGET(br) : pc + TRE_LEN_##br;                                          \
    NEXT();                                                                                \
  }                                                                                        \
  L_##br##_imm : {                                                                         \
    T a = S(1).get, b = (T)(immx);                                                         \
    pc = (expr) ? TARGET(br##_imm) : pc + TRE_LEN_##br##_imm;                              \
    NEXT();                                                                                \
  }                                                                                        \
  L_##brb : {                                                                              \
    T a = S(1).get, b = S(2).get;                                                          \
    if (expr)                                                                              \
      BACK_EDGE(brb);                                                                      \
    else                                                                                   \
      SKIP(brb);                                                                           \
    NEXT();                                                                                \
  }                                                                                        \
  L_##brb##_imm : {                                                                        \
    T a = S(1).get, b = (T)(immx);                                                         \
    if (expr)                                                                              \
      BACK_EDGE(brb##_imm);                                                                \
    else                                                                                   \
      SKIP(brb##_imm);                                                                     \
    NEXT();                                                                                \
  }
#define BR32(c, expr) BRCMP(br_##c, brb_##c, uint32_t, u32, pc[2], expr)
#define BR64(c, expr) BRCMP(br64_##c, brb64_##c, uint64_t, u64, (int64_t)(int32_t)pc[2], expr)
  BR32(eq, a == b) BR32(ne, a != b)
  BR32(lt_s, (int32_t)a < (int32_t)b) BR32(lt_u, a < b)
  BR32(gt_s, (int32_t)a > (int32_t)b) BR32(gt_u, a > b)
  BR32(le_s, (int32_t)a <= (int32_t)b) BR32(le_u, a <= b)
  BR32(ge_s, (int32_t)a >= (int32_t)b) BR32(ge_u, a >= b)
  BR64(eq, a == b) BR64(ne, a != b)
  BR64(lt_s, (int64_t)a < (int64_t)b) BR64(lt_u, a < b)
  BR64(gt_s, (int64_t)a > (int64_t)b) BR64(gt_u, a > b)
  BR64(le_s, (int64_t)a <= (int64_t)b) BR64(le_u, a <= b)
  BR64(ge_s, (int64_t)a >= (int64_t)b) BR64(ge_u, a >= b)

  /* add-then-compare back-edges: [op x a b y rel] (ops.h). x is written only once the
   * fuel check passed: out of fuel, resuming runs this op again from the old x. */
#define BRADD(name, T, get, addb, cmpb, expr)                                              \
  L_##name : {                                                                             \
    T a = (T)(S(2).get + (addb)), b = (cmpb);                                              \
    if (expr) {                                                                            \
      const uint32_t *head = TARGET(name);                                                 \
      if (FUEL_OUT())                                                      \
        goto out_of_fuel;                                                                  \
      S(1).u64 = a;                                                                        \
      CHARGE(head[1]);                                                                 \
      pc = PAST_FUEL(head);                                                                \
    } else {                                                                               \
      S(1).u64 = a;                                                                        \
      SKIP(name);                                                                          \
    }                                                                                      \
    NEXT();                                                                                \
  }
#define I64IMM(k) ((uint64_t)(int64_t)(int32_t)pc[k])
#define BRA32(c, expr)                                                                     \
  BRADD(brba_##c, uint32_t, u32, S(3).u32, S(4).u32, expr)                   \
  BRADD(brba_##c##_imm, uint32_t, u32, S(3).u32, pc[4], expr)                \
  BRADD(brbai_##c, uint32_t, u32, pc[3], S(4).u32, expr)                     \
  BRADD(brbai_##c##_imm, uint32_t, u32, pc[3], pc[4], expr)
#define BRA64(c, expr)                                                                     \
  BRADD(brba64_##c, uint64_t, u64, S(3).u64, S(4).u64, expr)                 \
  BRADD(brba64_##c##_imm, uint64_t, u64, S(3).u64, I64IMM(4), expr)          \
  BRADD(brbai64_##c, uint64_t, u64, I64IMM(3), S(4).u64, expr)               \
  BRADD(brbai64_##c##_imm, uint64_t, u64, I64IMM(3), I64IMM(4), expr)
  BRA32(eq, a == b) BRA32(ne, a != b)
  BRA32(lt_s, (int32_t)a < (int32_t)b) BRA32(lt_u, a < b)
  BRA32(gt_s, (int32_t)a > (int32_t)b) BRA32(gt_u, a > b)
  BRA32(le_s, (int32_t)a <= (int32_t)b) BRA32(le_u, a <= b)
  BRA32(ge_s, (int32_t)a >= (int32_t)b) BRA32(ge_u, a >= b)
  BRA64(eq, a == b) BRA64(ne, a != b)
  BRA64(lt_s, (int64_t)a < (int64_t)b) BRA64(lt_u, a < b)
  BRA64(gt_s, (int64_t)a > (int64_t)b) BRA64(gt_u, a > b)
  BRA64(le_s, (int64_t)a <= (int64_t)b) BRA64(le_u, a <= b)
  BRA64(ge_s, (int64_t)a >= (int64_t)b) BRA64(ge_u, a >= b)

#define BRF(c, expr)                                                                       \
  L_brf64_##c : {                                                                          \
    double a = S(1).f64, b = S(2).f64;                                                     \
    pc = (expr) ? TARGET(brf64_##c) : pc + TRE_LEN_brf64_##c;                              \
    NEXT();                                                                                \
  }                                                                                        \
  L_brf64_n##c : {                                                                         \
    double a = S(1).f64, b = S(2).f64;                                                     \
    pc = !(expr) ? TARGET(brf64_n##c) : pc + TRE_LEN_brf64_n##c;                           \
    NEXT();                                                                                \
  }                                                                                        \
  L_brbf64_##c : {                                                                         \
    double a = S(1).f64, b = S(2).f64;                                                     \
    if (expr)                                                                              \
      BACK_EDGE(brbf64_##c);                                                               \
    else                                                                                   \
      SKIP(brbf64_##c);                                                                    \
    NEXT();                                                                                \
  }
  BRF(eq, a == b) BRF(ne, a != b) BRF(lt, a < b) BRF(gt, a > b) BRF(le, a <= b) BRF(ge, a >= b)
  /* against a constant: [op a lo hi rel] */
#define BRFI(c, expr)                                                                      \
  L_brf64_##c##_imm : {                                                                    \
    double a = S(1).f64, b = f64_of((uint64_t)pc[3] << 32 | pc[2]);                        \
    pc = (expr) ? TARGET(brf64_##c##_imm) : pc + TRE_LEN_brf64_##c##_imm;                  \
    NEXT();                                                                                \
  }                                                                                        \
  L_brf64_n##c##_imm : {                                                                   \
    double a = S(1).f64, b = f64_of((uint64_t)pc[3] << 32 | pc[2]);                        \
    pc = !(expr) ? TARGET(brf64_n##c##_imm) : pc + TRE_LEN_brf64_n##c##_imm;               \
    NEXT();                                                                                \
  }
  BRFI(eq, a == b) BRFI(ne, a != b) BRFI(lt, a < b) BRFI(gt, a > b) BRFI(le, a <= b)
  BRFI(ge, a >= b)

L_fuel:
  if (FUEL_OUT())
    goto out_of_fuel;
  CHARGE(pc[1]);
  SKIP(fuel);
  NEXT();
L_ret1:
  fp[0] = S(1);
  goto L_ret;
L_ret: {
  ex->nframes--;
  if (ex->nframes == 0)
    goto done;
  trE_frame *fr = &ex->frames[ex->nframes - 1];
  fp = ex->stack + fr->fp;
  pc = fr->ret_pc;
  /* Only another instance can have grown the memory behind our registers: the same
   * instance's memory.grow reloads them itself, and host calls reload after returning. */
  if (TR_UNLIKELY(inst != fr->inst)) {
    inst = fr->inst;
    RELOAD_MEM();
  }
  NEXT();
}
L_call:
  f = inst->funcs[pc[1]];
  argbase = pc[2];
  next = pc + TRE_LEN_call;
  goto do_call;
L_call_ind: {
  trE_table *t = inst->tables[pc[2]];
  uint32_t i = S(3).u32;
  if (i >= t->size)
    TRAP(UNDEFINED_ELEMENT);
  f = t->elems[i];
  if (!f)
    TRAP(UNINITIALIZED_ELEMENT);
  if (!trE_functype_equal(f->type, &inst->mod->types[pc[1]]))
    TRAP(INDIRECT_CALL_TYPE);
  argbase = pc[4];
  next = pc + TRE_LEN_call_ind;
  goto do_call;
}

do_call: {
  if (!f->code)
    goto host_call;
  const trE_compiled *fn = f->code;
  if (next && CALL_FUEL_OUT())
    goto out_of_fuel; /* pc is at the call: resuming runs it again */
  uint32_t n = ex->nframes;
  if (TR_UNLIKELY(n >= ex->frames_cap)) { /* one compare covers the depth limit too */
    if (n >= ex->max_depth)
      TRAP(STACK_EXHAUSTED);
    if (!grow_frames(ex))
      TRAP(STACK_EXHAUSTED);
  }
  size_t nfp = (size_t)(fp - ex->stack) + argbase;
  if (TR_UNLIKELY(nfp + fn->frame_slots > ex->stack_cap)) {
    size_t off = (size_t)(fp - ex->stack);
    if (!grow_stack(ex, nfp + fn->frame_slots))
      TRAP(STACK_EXHAUSTED);
    fp = ex->stack + off;
  }
  trE_frame *fr = ex->frames + n;
  if (n)
    fr[-1].ret_pc = next;
  fr->fn = fn;
  fr->inst = f->inst;
  fr->fp = nfp;
  ex->nframes = n + 1;
  fp += argbase;
  /* Usually a few locals: zero them inline. The empty asm keeps gcc from turning the
   * loop into a memset call, which costs more than the loop for a handful of slots. */
  for (uint32_t i = fn->nparams; i < fn->nlocals; i++) {
    fp[i].u64 = 0;
    __asm__("" : "+r"(i));
  }
  CHARGE(fn->entry_fuel);
  if (TR_UNLIKELY(inst != f->inst)) { /* same instance: same memory, nothing to reload */
    inst = f->inst;
    RELOAD_MEM();
  }
  pc = fn->code;
  NEXT();
}

host_call: {
  const trE_functype *ft = f->type;
  if (!hostbuf(ex, ft->nparams + ft->nresults + 1))
    TRAP(OUT_OF_MEMORY);
  troupe_wasm_val *args = ex->hostbuf, *res = ex->hostbuf + ft->nparams;
  for (uint32_t i = 0; i < ft->nparams; i++)
    slot_to_val(fp[argbase + i], TRE_PARAMS(ft)[i], &args[i]);
  for (uint32_t i = 0; i < ft->nresults; i++)
    slot_to_val((trE_slot){.u64 = 0}, TRE_RESULTS(ft)[i], &res[i]);
  /* Not `= {...}`: that zeroes the 128-byte message too, a `rep stos` per host call
   * (11% of the interpreter's samples in an invocation's profile). The message is read
   * only when the function set it (a TRAP action). */
  struct troupe_wasm_hostcall call;
  call.inst = inst;
  call.fn = f;
  call.action = TRE_HOST_RETURN;
  call.exit_code = 0;
  call.message[0] = '\0';
  ex->pc = pc;
  int rc = f->host(&call, f->user, args, res);
  if (rc == TROUPE_OK && call.action == 0) {
    for (uint32_t i = 0; i < ft->nresults; i++)
      fp[argbase + i] = val_to_slot(&res[i], TRE_RESULTS(ft)[i]);
    if (!next) /* the entry itself was a host function */
      goto done;
    pc = next;
    RELOAD_MEM();
    NEXT();
  }
  if (call.action == 3) {
    ex->state = TROUPE_WASM_SUSPENDED_HOST;
    ex->susp_host = f;
    ex->susp_argbase = (size_t)(fp - ex->stack) + argbase;
    ex->pc = next;
    return TROUPE_E_SUSPENDED;
  }
  if (call.action == 2) {
    set_trap(ex, TROUPE_WASM_TRAP_EXIT, next ? pc : NULL, NULL);
    ex->trap.exit_code = call.exit_code;
    return TROUPE_E_TRAP;
  }
  if (call.action == 1) {
    set_trap(ex, TROUPE_WASM_TRAP_HOST, next ? pc : NULL, call.message);
    return TROUPE_E_TRAP;
  }
  char msg[96];
  snprintf(msg, sizeof msg, "host function %s.%s failed: %s", f->module ? f->module : "?",
           f->name ? f->name : "?", troupe_err_name(rc));
  set_trap(ex, TROUPE_WASM_TRAP_HOST, next ? pc : NULL, msg);
  return TROUPE_E_TRAP;
}

  /* ---- values ------------------------------------------------------------------ */
L_copy:
  S(1) = S(2);
  SKIP(copy);
  NEXT();
L_copy2:
  S(1) = S(2);
  S(3) = S(4);
  SKIP(copy2);
  NEXT();
L_copy3:
  S(1) = S(2);
  S(3) = S(4);
  S(5) = S(6);
  SKIP(copy3);
  NEXT();
L_copy4:
  S(1) = S(2);
  S(3) = S(4);
  S(5) = S(6);
  S(7) = S(8);
  SKIP(copy4);
  NEXT();
L_const32:
  S(1).u64 = pc[2];
  SKIP(const32);
  NEXT();
L_const64:
  S(1).u64 = (uint64_t)pc[3] << 32 | pc[2];
  SKIP(const64);
  NEXT();
L_select:
  S(1) = S(4).u32 ? S(2) : S(3);
  SKIP(select);
  NEXT();
L_global_get:
  S(1) = inst->globals[pc[2]]->val;
  SKIP(global_get);
  NEXT();
L_global_set:
  inst->globals[pc[1]]->val = S(2);
  SKIP(global_set);
  NEXT();
L_ref_is_null:
  S(1).u64 = S(2).u64 == 0;
  SKIP(ref_is_null);
  NEXT();
L_ref_func:
  S(1).u64 = 0;
  S(1).ref = inst->funcs[pc[2]];
  SKIP(ref_func);
  NEXT();

  /* ---- numeric ----------------------------------------------------------------- */
#define BIN(name, get, put, expr)                                                          \
  L_##name : {                                                                             \
    __typeof__(S(2).get) a = S(2).get, b = S(3).get;                                       \
    put;                                                                                   \
    (void)a, (void)b;                                                                      \
    SKIP(name);                                                                            \
    NEXT();                                                                                \
  }
#define BINI32(name, expr) BIN(name, u32, S(1).u64 = (uint32_t)(expr), expr)
#define BINI64(name, expr) BIN(name, u64, S(1).u64 = (uint64_t)(expr), expr)
#define CMPI64(name, expr) BIN(name, u64, S(1).u64 = (expr) ? 1 : 0, expr)
#define BINF32(name, expr) BIN(name, f32, S(1).u64 = f32b(expr), expr)
#define BINF64(name, expr) BIN(name, f64, S(1).u64 = f64b(expr), expr)
#define CMPF32(name, expr) BIN(name, f32, S(1).u64 = (expr) ? 1 : 0, expr)
#define CMPF64(name, expr) BIN(name, f64, S(1).u64 = (expr) ? 1 : 0, expr)
#define UN(name, get, put)                                                                 \
  L_##name : {                                                                             \
    __typeof__(S(2).get) a = S(2).get;                                                     \
    put;                                                                                   \
    SKIP(name);                                                                            \
    NEXT();                                                                                \
  }
  BINI32(i32_eq, a == b) BINI32(i32_ne, a != b)
  BINI32(i32_lt_s, (int32_t)a < (int32_t)b) BINI32(i32_lt_u, a < b)
  BINI32(i32_gt_s, (int32_t)a > (int32_t)b) BINI32(i32_gt_u, a > b)
  BINI32(i32_le_s, (int32_t)a <= (int32_t)b) BINI32(i32_le_u, a <= b)
  BINI32(i32_ge_s, (int32_t)a >= (int32_t)b) BINI32(i32_ge_u, a >= b)
  CMPI64(i64_eq, a == b) CMPI64(i64_ne, a != b)
  CMPI64(i64_lt_s, (int64_t)a < (int64_t)b) CMPI64(i64_lt_u, a < b)
  CMPI64(i64_gt_s, (int64_t)a > (int64_t)b) CMPI64(i64_gt_u, a > b)
  CMPI64(i64_le_s, (int64_t)a <= (int64_t)b) CMPI64(i64_le_u, a <= b)
  CMPI64(i64_ge_s, (int64_t)a >= (int64_t)b) CMPI64(i64_ge_u, a >= b)
  CMPF32(f32_eq, a == b) CMPF32(f32_ne, a != b) CMPF32(f32_lt, a < b)
  CMPF32(f32_gt, a > b) CMPF32(f32_le, a <= b) CMPF32(f32_ge, a >= b)
  CMPF64(f64_eq, a == b) CMPF64(f64_ne, a != b) CMPF64(f64_lt, a < b)
  CMPF64(f64_gt, a > b) CMPF64(f64_le, a <= b) CMPF64(f64_ge, a >= b)

  BINI32(i32_add, a + b) BINI32(i32_sub, a - b) BINI32(i32_mul, a * b)
  BINI32(i32_and, a & b) BINI32(i32_or, a | b) BINI32(i32_xor, a ^ b)
  BINI32(i32_shl, a << (b & 31)) BINI32(i32_shr_s, (int32_t)a >> (b & 31))
  BINI32(i32_shr_u, a >> (b & 31)) BINI32(i32_rotl, rotl32(a, b)) BINI32(i32_rotr, rotr32(a, b))
  BINI64(i64_add, a + b) BINI64(i64_sub, a - b) BINI64(i64_mul, a * b)
  BINI64(i64_and, a & b) BINI64(i64_or, a | b) BINI64(i64_xor, a ^ b)
  BINI64(i64_shl, a << (b & 63)) BINI64(i64_shr_s, (int64_t)a >> (b & 63))
  BINI64(i64_shr_u, a >> (b & 63)) BINI64(i64_rotl, rotl64(a, b)) BINI64(i64_rotr, rotr64(a, b))

  /* Integer division: a zero divisor traps; signed division of the minimum by -1
   * overflows (traps), while the matching remainder is defined as 0. */
#define DIV(name, get, put, overflows)                                                     \
  L_##name : {                                                                             \
    __typeof__(S(2).get) a = S(2).get, b = S(3).get;                                       \
    if (b == 0)                                                                            \
      TRAP(INT_DIV_ZERO);                                                                  \
    if (overflows)                                                                         \
      TRAP(INT_OVERFLOW);                                                                  \
    put;                                                                                   \
    SKIP(name);                                                                            \
    NEXT();                                                                                \
  }
  DIV(i32_div_s, i32, S(1).u64 = (uint32_t)(a / b), a == INT32_MIN && b == -1)
  DIV(i32_div_u, u32, S(1).u64 = a / b, false)
  DIV(i32_rem_s, i32, S(1).u64 = b == -1 ? 0 : (uint32_t)(a % b), false)
  DIV(i32_rem_u, u32, S(1).u64 = a % b, false)
  DIV(i64_div_s, i64, S(1).i64 = a / b, a == INT64_MIN && b == -1)
  DIV(i64_div_u, u64, S(1).u64 = a / b, false)
  DIV(i64_rem_s, i64, S(1).i64 = b == -1 ? 0 : a % b, false)
  DIV(i64_rem_u, u64, S(1).u64 = a % b, false)

  BINF32(f32_add, a + b) BINF32(f32_sub, a - b) BINF32(f32_mul, a * b)
  BINF32(f32_div, a / b) BINF32(f32_min, fmin32(a, b)) BINF32(f32_max, fmax32(a, b))
  BINF64(f64_add, a + b) BINF64(f64_sub, a - b) BINF64(f64_mul, a * b)
  BINF64(f64_div, a / b) BINF64(f64_min, fmin64(a, b)) BINF64(f64_max, fmax64(a, b))
  /* f64 chains [op d a b c] (ops.h): the empty asm pins the first result in a
   * register, so the C compiler cannot contract a mul and an add into an fma (wasm
   * rounds twice). */
#define FCH_add(a, b) ((a) + (b))
#define FCH_sub(a, b) ((a) - (b))
#define FCH_mul(a, b) ((a) * (b))
#define FCHAIN(_, o2, o1)                                                                     \
  L_f64_##o2##_##o1##_l : {                                                                \
    double t = FCH_##o1(S(2).f64, S(3).f64), c = S(4).f64;                                 \
    __asm__("" : "+x"(t));                                                                 \
    S(1).u64 = f64b(FCH_##o2(t, c));                                                       \
    SKIP(f64_##o2##_##o1##_l);                                                             \
    NEXT();                                                                                \
  }                                                                                        \
  L_f64_##o2##_##o1##_r : {                                                                \
    double t = FCH_##o1(S(2).f64, S(3).f64), c = S(4).f64;                                 \
    __asm__("" : "+x"(t));                                                                 \
    S(1).u64 = f64b(FCH_##o2(c, t));                                                       \
    SKIP(f64_##o2##_##o1##_r);                                                             \
    NEXT();                                                                                \
  }
  TRE_F64CHAINS(FCHAIN, _)
  /* ... and storing the result: [op addr a b offset] / [op addr a b c offset] */
#define F64ST(op, n, expr)                                                                 \
  STORE_AT((uint64_t)S(1).u32 + pc[n], uint64_t, f64b(expr), (void)0, TRE_LEN_##op)
L_f64_add_st:
  F64ST(f64_add_st, 4, S(2).f64 + S(3).f64);
L_f64_sub_st:
  F64ST(f64_sub_st, 4, S(2).f64 - S(3).f64);
L_f64_mul_st:
  F64ST(f64_mul_st, 4, S(2).f64 * S(3).f64);
#define FCHAIN_ST(_, o2, o1)                                                                  \
  L_f64_##o2##_##o1##_l_st : {                                                             \
    double t = FCH_##o1(S(2).f64, S(3).f64), c = S(4).f64;                                 \
    __asm__("" : "+x"(t));                                                                 \
    F64ST(f64_##o2##_##o1##_l_st, 5, FCH_##o2(t, c));                                      \
  }                                                                                        \
  L_f64_##o2##_##o1##_r_st : {                                                             \
    double t = FCH_##o1(S(2).f64, S(3).f64), c = S(4).f64;                                 \
    __asm__("" : "+x"(t));                                                                 \
    F64ST(f64_##o2##_##o1##_r_st, 5, FCH_##o2(c, t));                                      \
  }
  TRE_F64CHAINS(FCHAIN_ST, _)
L_f32_copysign:
  S(1).u64 = (S(2).u32 & 0x7fffffffu) | (S(3).u32 & 0x80000000u);
  SKIP(f32_copysign);
  NEXT();
L_f64_copysign:
  S(1).u64 = (S(2).u64 & 0x7fffffffffffffffull) | (S(3).u64 & 0x8000000000000000ull);
  SKIP(f64_copysign);
  NEXT();

  UN(i32_eqz, u32, S(1).u64 = a == 0)
  UN(i64_eqz, u64, S(1).u64 = a == 0)
  UN(i32_clz, u32, S(1).u64 = a ? (uint32_t)__builtin_clz(a) : 32)
  UN(i32_ctz, u32, S(1).u64 = a ? (uint32_t)__builtin_ctz(a) : 32)
  UN(i32_popcnt, u32, S(1).u64 = (uint32_t)__builtin_popcount(a))
  UN(i64_clz, u64, S(1).u64 = a ? (uint64_t)__builtin_clzll(a) : 64)
  UN(i64_ctz, u64, S(1).u64 = a ? (uint64_t)__builtin_ctzll(a) : 64)
  UN(i64_popcnt, u64, S(1).u64 = (uint64_t)__builtin_popcountll(a))
  UN(f32_abs, u32, S(1).u64 = a & 0x7fffffffu)
  UN(f32_neg, u32, S(1).u64 = a ^ 0x80000000u)
  UN(f32_ceil, f32, S(1).u64 = a != a ? f32b(a) | 0x400000u : f32b(ceilf(a)))
  UN(f32_floor, f32, S(1).u64 = a != a ? f32b(a) | 0x400000u : f32b(floorf(a)))
  UN(f32_trunc, f32, S(1).u64 = a != a ? f32b(a) | 0x400000u : f32b(truncf(a)))
  UN(f32_nearest, f32, S(1).u64 = a != a ? f32b(a) | 0x400000u : f32b(rintf(a)))
  UN(f32_sqrt, f32, S(1).u64 = a != a ? f32b(a) | 0x400000u : f32b(sqrtf(a)))
  UN(f64_abs, u64, S(1).u64 = a & 0x7fffffffffffffffull)
  UN(f64_neg, u64, S(1).u64 = a ^ 0x8000000000000000ull)
  UN(f64_ceil, f64, S(1).u64 = a != a ? f64b(a) | 0x8000000000000ull : f64b(ceil(a)))
  UN(f64_floor, f64, S(1).u64 = a != a ? f64b(a) | 0x8000000000000ull : f64b(floor(a)))
  UN(f64_trunc, f64, S(1).u64 = a != a ? f64b(a) | 0x8000000000000ull : f64b(trunc(a)))
  UN(f64_nearest, f64, S(1).u64 = a != a ? f64b(a) | 0x8000000000000ull : f64b(rint(a)))
  UN(f64_sqrt, f64, S(1).u64 = a != a ? f64b(a) | 0x8000000000000ull : f64b(sqrt(a)))
  UN(i32_wrap_i64, u64, S(1).u64 = (uint32_t)a)
  UN(i64_extend_i32_s, i32, S(1).i64 = a)
  UN(i64_extend_i32_u, u32, S(1).u64 = a)
  UN(f32_convert_i32_s, i32, S(1).u64 = f32b((float)a))
  UN(f32_convert_i32_u, u32, S(1).u64 = f32b((float)a))
  UN(f32_convert_i64_s, i64, S(1).u64 = f32b((float)a))
  UN(f32_convert_i64_u, u64, S(1).u64 = f32b((float)a))
  UN(f32_demote_f64, f64, S(1).u64 = f32b((float)a))
  UN(f64_convert_i32_s, i32, S(1).u64 = f64b((double)a))
  UN(f64_convert_i32_u, u32, S(1).u64 = f64b((double)a))
  UN(f64_convert_i64_s, i64, S(1).u64 = f64b((double)a))
  UN(f64_convert_i64_u, u64, S(1).u64 = f64b((double)a))
  UN(f64_promote_f32, f32, S(1).u64 = f64b((double)a))
  UN(i32_reinterpret_f32, u32, S(1).u64 = a)
  UN(i64_reinterpret_f64, u64, S(1).u64 = a)
  UN(f32_reinterpret_i32, u32, S(1).u64 = a)
  UN(f64_reinterpret_i64, u64, S(1).u64 = a)
  UN(i32_extend8_s, u32, S(1).u64 = (uint32_t)(int32_t)(int8_t)a)
  UN(i32_extend16_s, u32, S(1).u64 = (uint32_t)(int32_t)(int16_t)a)
  UN(i64_extend8_s, u64, S(1).i64 = (int8_t)a)
  UN(i64_extend16_s, u64, S(1).i64 = (int16_t)a)
  UN(i64_extend32_s, u64, S(1).i64 = (int32_t)a)
  UN(i32_trunc_sat_f32_s, f32, S(1).u64 = (uint32_t)sat_i32(a))
  UN(i32_trunc_sat_f32_u, f32, S(1).u64 = sat_u32(a))
  UN(i32_trunc_sat_f64_s, f64, S(1).u64 = (uint32_t)sat_i32(a))
  UN(i32_trunc_sat_f64_u, f64, S(1).u64 = sat_u32(a))
  UN(i64_trunc_sat_f32_s, f32, S(1).i64 = sat_i64(a))
  UN(i64_trunc_sat_f32_u, f32, S(1).u64 = sat_u64(a))
  UN(i64_trunc_sat_f64_s, f64, S(1).i64 = sat_i64(a))
  UN(i64_trunc_sat_f64_u, f64, S(1).u64 = sat_u64(a))

  /* Trapping truncations: NaN is an invalid conversion, out of range an overflow. The
   * bounds are exact in the source type (see the comparisons' strictness). */
#define TRUNC(name, get, lo_ok, hi_ok, put)                                                \
  L_##name : {                                                                             \
    __typeof__(S(2).get) a = S(2).get;                                                     \
    if (a != a)                                                                            \
      TRAP(INVALID_CONVERSION);                                                            \
    if (!((lo_ok) && (hi_ok)))                                                             \
      TRAP(INT_OVERFLOW);                                                                  \
    put;                                                                                   \
    SKIP(name);                                                                            \
    NEXT();                                                                                \
  }
  TRUNC(i32_trunc_f32_s, f32, a >= -2147483648.0f, a < 2147483648.0f, S(1).u64 = (uint32_t)(int32_t)a)
  TRUNC(i32_trunc_f32_u, f32, a > -1.0f, a < 4294967296.0f, S(1).u64 = (uint32_t)a)
  TRUNC(i32_trunc_f64_s, f64, a > -2147483649.0, a < 2147483648.0, S(1).u64 = (uint32_t)(int32_t)a)
  TRUNC(i32_trunc_f64_u, f64, a > -1.0, a < 4294967296.0, S(1).u64 = (uint32_t)a)
  TRUNC(i64_trunc_f32_s, f32, a >= -9223372036854775808.0f, a < 9223372036854775808.0f, S(1).i64 = (int64_t)a)
  TRUNC(i64_trunc_f32_u, f32, a > -1.0f, a < 18446744073709551616.0f, S(1).u64 = (uint64_t)a)
  TRUNC(i64_trunc_f64_s, f64, a >= -9223372036854775808.0, a < 9223372036854775808.0, S(1).i64 = (int64_t)a)
  TRUNC(i64_trunc_f64_u, f64, a > -1.0, a < 18446744073709551616.0, S(1).u64 = (uint64_t)a)

  /* fused constant-operand forms: i32 imm as is, i64 imm sign-extended */
#define IMMOP(o, e32, e64)                                                                 \
  L_i32_##o##_imm : {                                                                      \
    uint32_t a = S(2).u32, b = pc[3];                                                      \
    S(1).u64 = (uint32_t)(e32);                                                            \
    SKIP(i32_##o##_imm);                                                                   \
    NEXT();                                                                                \
  }                                                                                        \
  L_i64_##o##_imm : {                                                                      \
    uint64_t a = S(2).u64, b = (uint64_t)(int64_t)(int32_t)pc[3];                          \
    S(1).u64 = (uint64_t)(e64);                                                            \
    SKIP(i64_##o##_imm);                                                                   \
    NEXT();                                                                                \
  }
  IMMOP(add, a + b, a + b) IMMOP(sub, a - b, a - b) IMMOP(mul, a * b, a * b)
  IMMOP(and, a & b, a & b) IMMOP(or, a | b, a | b) IMMOP(xor, a ^ b, a ^ b)
  IMMOP(shl, a << (b & 31), a << (b & 63))
  IMMOP(shr_s, (int32_t)a >> (b & 31), (int64_t)a >> (b & 63))
  IMMOP(shr_u, a >> (b & 31), a >> (b & 63))
  IMMOP(rotl, rotl32(a, b), rotl64(a, b)) IMMOP(rotr, rotr32(a, b), rotr64(a, b))
  IMMOP(eq, a == b, a == b) IMMOP(ne, a != b, a != b)
  IMMOP(lt_s, (int32_t)a < (int32_t)b, (int64_t)a < (int64_t)b) IMMOP(lt_u, a < b, a < b)
  IMMOP(gt_s, (int32_t)a > (int32_t)b, (int64_t)a > (int64_t)b) IMMOP(gt_u, a > b, a > b)
  IMMOP(le_s, (int32_t)a <= (int32_t)b, (int64_t)a <= (int64_t)b) IMMOP(le_u, a <= b, a <= b)
  IMMOP(ge_s, (int32_t)a >= (int32_t)b, (int64_t)a >= (int64_t)b) IMMOP(ge_u, a >= b, a >= b)

  /* i32 chains [op d a b c] / [op d a imm c]: d = (a o1 b) o2 c (ops.h) */
#define CH_add(a, b) ((a) + (b))
#define CH_sub(a, b) ((a) - (b))
#define CH_and(a, b) ((a) & (b))
#define CH_or(a, b) ((a) | (b))
#define CH_xor(a, b) ((a) ^ (b))
#define CH_shl(a, b) ((a) << ((b) & 31))
#define CH_shr_s(a, b) ((uint32_t)((int32_t)(a) >> ((b) & 31)))
#define CH_shr_u(a, b) ((a) >> ((b) & 31))
#define CH_rotl(a, b) rotl32(a, b)
#define CH_rotr(a, b) rotr32(a, b)
#define CH_B S(3).u32
#define CH_B_imm pc[3]
#define CHAIN(_, o2, o1, sfx)                                                                 \
  L_i32_##o2##_##o1##sfx : {                                                               \
    uint32_t a = S(2).u32, b = CH_B##sfx, c = S(4).u32;                                    \
    S(1).u64 = (uint32_t)CH_##o2(CH_##o1(a, b), c);                                        \
    SKIP(i32_##o2##_##o1##sfx);                                                            \
    NEXT();                                                                                \
  }
  TRE_CHAINOPS(CHAIN, _)
L_i32_xor_rotl2:
  S(1).u64 = rotl32(S(2).u32, pc[3]) ^ rotl32(S(4).u32, pc[5]);
  SKIP(i32_xor_rotl2);
  NEXT();
L_i32_xor_rotl3:
  S(1).u64 = rotl32(S(2).u32, pc[3]) ^ rotl32(S(4).u32, pc[5]) ^ rotl32(S(6).u32, pc[7]);
  SKIP(i32_xor_rotl3);
  NEXT();
L_i32_add3:
  S(1).u64 = (uint32_t)(S(2).u32 + S(3).u32 + S(4).u32 + S(5).u32);
  SKIP(i32_add3);
  NEXT();

  /* ---- memory ------------------------------------------------------------------ */
  /* every load form (ops.h): plain, the fused address adds, constant address */
#define LOAD(name, T, put)                                                                 \
  L_##name : LOAD_AT((uint64_t)S(2).u32 + pc[3], T, put, TRE_LEN_##name);                  \
  L_##name##_add :                                                                         \
  LOAD_AT((uint64_t)(uint32_t)(S(2).u32 + S(3).u32) + pc[4], T, put, TRE_LEN_##name##_add); \
  L_##name##_addi :                                                                        \
  LOAD_AT((uint64_t)(uint32_t)(S(2).u32 + pc[3]) + pc[4], T, put, TRE_LEN_##name##_addi);  \
  L_##name##_tadd : {                                                                      \
    uint32_t x = S(3).u32 + S(4).u32;                                                      \
    S(2).u64 = x;                                                                          \
    LOAD_AT((uint64_t)x + pc[5], T, put, TRE_LEN_##name##_tadd);                           \
  }                                                                                        \
  L_##name##_taddi : {                                                                     \
    uint32_t x = S(3).u32 + pc[4];                                                         \
    S(2).u64 = x;                                                                          \
    LOAD_AT((uint64_t)x + pc[5], T, put, TRE_LEN_##name##_taddi);                          \
  }                                                                                        \
  L_##name##_adds : LOAD_AT((uint64_t)(uint32_t)(S(2).u32 + (S(3).u32 << (pc[4] & 31))) +  \
                                pc[5],                                                     \
                            T, put, TRE_LEN_##name##_adds);                                \
  L_##name##_addsi : LOAD_AT((uint64_t)(uint32_t)((S(2).u32 << (pc[3] & 31)) + pc[4]) +    \
                                 pc[5],                                                    \
                             T, put, TRE_LEN_##name##_addsi);                              \
  L_##name##_k : LOAD_AT((uint64_t)pc[2] + pc[3], T, put, TRE_LEN_##name##_k);
  LOAD(i32_load, uint32_t, S(1).u64 = v)
  LOAD(i64_load, uint64_t, S(1).u64 = v)
  LOAD(f32_load, uint32_t, S(1).u64 = v)
  LOAD(f64_load, uint64_t, S(1).u64 = v)
  LOAD(i32_load8_s, int8_t, S(1).u64 = (uint32_t)(int32_t)v)
  LOAD(i32_load8_u, uint8_t, S(1).u64 = v)
  LOAD(i32_load16_s, int16_t, S(1).u64 = (uint32_t)(int32_t)v)
  LOAD(i32_load16_u, uint16_t, S(1).u64 = v)
  LOAD(i64_load8_s, int8_t, S(1).i64 = v)
  LOAD(i64_load8_u, uint8_t, S(1).u64 = v)
  LOAD(i64_load16_s, int16_t, S(1).i64 = v)
  LOAD(i64_load16_u, uint16_t, S(1).u64 = v)
  LOAD(i64_load32_s, int32_t, S(1).i64 = v)
  LOAD(i64_load32_u, uint32_t, S(1).u64 = v)
  /* every store form (ops.h): plain, constant value, constant address, post-increment
   * [op p value offset n] with a slot or constant value and step */
#define IMM64(k) ((uint64_t)(int64_t)(int32_t)pc[k])
#define STEP_SLOT S(1).u64 = (uint32_t)(S(1).u32 + S(4).u32)
#define STEP_IMM S(1).u64 = (uint32_t)(S(1).u32 + pc[4])
#define STORE(name, T, get)                                                                \
  L_##name : STORE_AT((uint64_t)S(1).u32 + pc[3], T, S(2).get, (void)0, TRE_LEN_##name);   \
  L_##name##_imm :                                                                         \
  STORE_AT((uint64_t)S(1).u32 + pc[3], T, IMM64(2), (void)0, TRE_LEN_##name##_imm);        \
  L_##name##_k : STORE_AT((uint64_t)pc[1] + pc[3], T, S(2).get, (void)0, TRE_LEN_##name##_k); \
  L_##name##_inc :                                                                         \
  STORE_AT((uint64_t)S(1).u32 + pc[3], T, S(2).get, STEP_SLOT, TRE_LEN_##name##_inc);      \
  L_##name##_inci :                                                                        \
  STORE_AT((uint64_t)S(1).u32 + pc[3], T, S(2).get, STEP_IMM, TRE_LEN_##name##_inci);      \
  L_##name##_imm_inc :                                                                     \
  STORE_AT((uint64_t)S(1).u32 + pc[3], T, IMM64(2), STEP_SLOT, TRE_LEN_##name##_imm_inc);  \
  L_##name##_imm_inci :                                                                    \
  STORE_AT((uint64_t)S(1).u32 + pc[3], T, IMM64(2), STEP_IMM, TRE_LEN_##name##_imm_inci);
  STORE(i32_store, uint32_t, u32)
  STORE(i64_store, uint64_t, u64)
  STORE(f32_store, uint32_t, u32)
  STORE(f64_store, uint64_t, u64)
  STORE(i32_store8, uint8_t, u32)
  STORE(i32_store16, uint16_t, u32)
  STORE(i64_store8, uint8_t, u64)
  STORE(i64_store16, uint16_t, u64)
  STORE(i64_store32, uint32_t, u64)

L_memory_size:
  S(1).u64 = (uint32_t)(memsize / TRE_PAGE_SIZE);
  SKIP(memory_size);
  NEXT();
L_memory_grow: {
  uint32_t old;
  uint32_t delta = S(2).u32;
  if (trE_memory_grow(inst, inst->mem, delta, &old) == 0)
    S(1).u64 = old;
  else
    S(1).u64 = UINT32_MAX;
  RELOAD_MEM();
  SKIP(memory_grow);
  NEXT();
}
L_memory_fill: {
  uint64_t d = S(1).u32, n = S(3).u32;
  uint8_t v = (uint8_t)S(2).u32;
  if (d + n > memsize)
    TRAP(MEMORY_OOB);
  if (n)
    memset(mem + d, v, n);
  SKIP(memory_fill);
  NEXT();
}
L_memory_copy: {
  uint64_t d = S(1).u32, s = S(2).u32, n = S(3).u32;
  if (d + n > memsize || s + n > memsize)
    TRAP(MEMORY_OOB);
  if (n)
    memmove(mem + d, mem + s, n);
  SKIP(memory_copy);
  NEXT();
}
L_memory_init: {
  const trE_data *seg = &inst->mod->datas[pc[1]];
  uint64_t d = S(2).u32, s = S(3).u32, n = S(4).u32;
  uint64_t len = trE_data_dropped(inst, pc[1]) ? 0 : seg->len;
  if (s + n > len || d + n > memsize)
    TRAP(MEMORY_OOB);
  if (n)
    memcpy(mem + d, seg->bytes + s, n);
  SKIP(memory_init);
  NEXT();
}
L_data_drop:
  trE_drop_data(inst, pc[1]);
  SKIP(data_drop);
  NEXT();

  /* ---- tables ------------------------------------------------------------------ */
L_table_get: {
  trE_table *t = inst->tables[pc[1]];
  uint32_t i = S(3).u32;
  if (i >= t->size)
    TRAP(TABLE_OOB);
  S(2).u64 = 0;
  S(2).ref = t->elems[i];
  SKIP(table_get);
  NEXT();
}
L_table_set: {
  trE_table *t = inst->tables[pc[1]];
  uint32_t i = S(2).u32;
  if (i >= t->size)
    TRAP(TABLE_OOB);
  t->elems[i] = S(3).ref;
  SKIP(table_set);
  NEXT();
}
L_table_size:
  S(2).u64 = inst->tables[pc[1]]->size;
  SKIP(table_size);
  NEXT();
L_table_grow: {
  uint32_t old;
  void *init = S(3).ref;
  uint32_t n = S(4).u32;
  if (trE_table_grow(inst, inst->tables[pc[1]], n, init, &old) == 0)
    S(2).u64 = old;
  else
    S(2).u64 = UINT32_MAX;
  SKIP(table_grow);
  NEXT();
}
L_table_fill: {
  trE_table *t = inst->tables[pc[1]];
  uint64_t i = S(2).u32, n = S(4).u32;
  void *v = S(3).ref;
  if (i + n > t->size)
    TRAP(TABLE_OOB);
  for (uint64_t k = 0; k < n; k++)
    t->elems[i + k] = v;
  SKIP(table_fill);
  NEXT();
}
L_table_init: {
  trE_table *t = inst->tables[pc[1]];
  const trE_elem *e = &inst->mod->elems[pc[2]];
  uint64_t d = S(3).u32, s = S(4).u32, n = S(5).u32;
  uint64_t len = trE_elem_dropped(inst, pc[2]) ? 0 : e->count;
  if (s + n > len || d + n > t->size)
    TRAP(TABLE_OOB);
  for (uint64_t k = 0; k < n; k++)
    t->elems[d + k] = trE_elem_item(inst, e, (uint32_t)(s + k));
  SKIP(table_init);
  NEXT();
}
L_elem_drop:
  trE_drop_elem(inst, pc[1]);
  SKIP(elem_drop);
  NEXT();
L_table_copy: {
  trE_table *dt = inst->tables[pc[1]], *st = inst->tables[pc[2]];
  uint64_t d = S(3).u32, s = S(4).u32, n = S(5).u32;
  if (d + n > dt->size || s + n > st->size)
    TRAP(TABLE_OOB);
  if (n)
    memmove(dt->elems + d, st->elems + s, n * sizeof(void *));
  SKIP(table_copy);
  NEXT();
}

  /* ---- leaving the loop ---------------------------------------------------------- */
out_of_fuel:
  /* An interrupt is consumed when it is reported; it suspends even with trap_on_fuel:
   * the embedder asked for the instance back, not for a verdict on its fuel. The plain
   * load first keeps the locked exchange off the fuel-slicing path: if an interrupter's
   * 0 brought us here, its flag is visible (FUEL_OUT's acquire); if the fuel ran out by
   * itself and the flag arrives just now, it stays set and the next resume stops. */
  if (atomic_load_explicit(&ex->interrupt, memory_order_relaxed) &&
      atomic_exchange_explicit(&ex->interrupt, false, memory_order_seq_cst)) {
    ex->pc = pc;
    ex->state = TROUPE_WASM_SUSPENDED_INTERRUPT;
    return TROUPE_E_SUSPENDED;
  }
  /* pc also for the trap: the caller may find the stop was an interrupter's stale 0
   * (api.c's stale_stop) and run on from here. */
  ex->pc = pc;
  if (ex->trap_on_fuel)
    TRAP(FUEL_EXHAUSTED);
  ex->state = TROUPE_WASM_SUSPENDED_FUEL;
  return TROUPE_E_SUSPENDED;
trap_oob: /* its own call: gcc would otherwise set the kind in every access's hot path */
  set_trap(ex, TROUPE_WASM_TRAP_MEMORY_OOB, pc, NULL);
  return TROUPE_E_TRAP;
trap:
  set_trap(ex, tk, pc, tmsg);
  return TROUPE_E_TRAP;
done:
  ex->pc = NULL;
  return TROUPE_OK;
}

int trE_interp_run(trE_exec *ex, const trE_func *enter) { return run(ex, enter, NULL); }

const int32_t *trE_interp_handlers(void) {
  const int32_t *t = NULL;
  run(NULL, NULL, &t);
  return t;
}

