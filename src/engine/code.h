/*
 * engine/code.h: the internal code of a compiled function (compile.c writes it,
 * interp.c runs it). See docs/ENGINE.md for the picture.
 *
 * Code is an array of 32-bit words: an op word (the handler's offset from the dispatch
 * function's base label, so the code holds no absolute address and is identical in every
 * process) followed by the op's operands (ops.h). Operands are frame slot indices,
 * immediates, or branch offsets relative to the word holding them.
 */
#ifndef TROUPE_SRC_ENGINE_CODE_H
#define TROUPE_SRC_ENGINE_CODE_H

#include "engine/engine.h"
#include "engine/ops.h"

/* A frame slot: every value takes one 64-bit slot (v128 will take two adjacent ones).
 * i32 and f32 values are read through the low half only (u32/i32/f32) and written
 * zero-extended; the compiler relies on the first rule to compile i32.wrap_i64 to
 * nothing (the i64's high half stays in the slot), so no i32 consumer may read u64. */
typedef union trE_slot {
  uint64_t u64;
  int64_t i64;
  uint32_t u32;
  int32_t i32;
  float f32;
  double f64;
  void *ref;
} trE_slot;

/* (code word index, wasm byte offset) for each emitted op, ascending: read only when a
 * trap needs its location. */
typedef struct trE_pcmap {
  uint32_t pc, off;
} trE_pcmap;

typedef struct trE_compiled {
  const uint32_t *code;   /* first op */
  uint32_t ncode;         /* words */
  uint32_t func_index;
  uint32_t nparams, nresults;
  uint32_t nlocals;       /* params + declared locals: slots 0..nlocals-1 */
  uint32_t frame_slots;   /* nlocals + the deepest operand stack */
  uint32_t entry_fuel;    /* cost of the straight-line code charged on entry */
  const trE_functype *type;
  uint32_t npcmap;
  const trE_pcmap *pcmap;
} trE_compiled;

/* A module's function type as troupe/wasm.h shows it (lives as long as the module). */
const troupe_wasm_functype *trE_pubtype(const trE_module *m, uint32_t type_index);

/* The handler offsets, indexed by trE_opcode (interp.c). */
const int32_t *trE_interp_handlers(void);

/* The wasm byte offset of the op at code word `pc` of fn. */
uint32_t trE_code_offset(const trE_compiled *fn, uint32_t pc);

/* ---- reading code back (ops.c): for the verifier and the dump --------------------- */

const char *trE_op_name(trE_opcode op);   /* "i32_add_imm"; "?" past the list */
const char *trE_op_layout(trE_opcode op); /* its operand letters (ops.h) */
bool trE_op_falls_through(trE_opcode op); /* false: the next word is never reached */
/* The module space a layout letter indexes, named as in the text format ("func", "global",
 * "table", "type", "data", "elem"); NULL for other letters. */
const char *trE_index_kind(char letter);
/* The words of op (op word included) at code[at], by ops.h's length rule; 0 when it
 * would run past ncode. */
uint32_t trE_op_words(trE_opcode op, const uint32_t *code, uint32_t at, uint32_t ncode);

/* Op words back to ops: the handler offsets, sorted. Built by whoever walks code (no
 * global state); read-only afterwards. */
typedef struct trE_opword {
  int32_t off;
  uint16_t op;
} trE_opword;
typedef struct trE_opdecoder {
  trE_opword e[TRE_OP_COUNT];
} trE_opdecoder;
void trE_opdecoder_init(trE_opdecoder *d, const int32_t *handlers);
/* The op whose handler offset `word` is, or TRE_OP_COUNT. */
trE_opcode trE_op_decode(const trE_opdecoder *d, uint32_t word);

/* The code verifier (verify.c): TROUPE_E_INTERNAL, with the function, the code word and
 * what is wrong, unless every op of fn is known and inside the code, every slot inside
 * its frame, every branch on an op start (a back-edge on a fuel op), every module index
 * of m in range, and the code cannot run off its end. */
int trE_verify_func(const trE_module *m, const trE_compiled *fn, const trE_opdecoder *d,
                    troupe_err *err);

#endif
