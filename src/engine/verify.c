/*
 * engine/verify.c: the code verifier. The interpreter trusts compiled code -- every slot
 * index, branch offset and module index in it -- so a compiler or fusion bug would be a
 * memory-safety bug. The verifier walks a compiled function with the op list's layout
 * table (ops.h, ops.c) and checks that every op is known and lies inside the code, that
 * every slot is inside the frame, every branch lands on an op start in the function (a
 * back-edge on a loop's fuel op), every module index is in range, the pc map is ordered,
 * and the code cannot run off its end. compile.c runs it on every function it compiles
 * when TROUPE_VERIFY_CODE is defined (debug, sanitizer and fuzz builds: the engine's
 * CMakeLists.txt), so a failure fails the compile with an internal error, never an abort.
 */
#include "engine/code.h"
#include "engine/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct vctx {
  const trE_module *m;
  const trE_compiled *fn;
  const trE_opdecoder *d;
  troupe_err *err;
  uint8_t *start; /* bitmap: an op starts at this word */
} vctx;

static int bad(const vctx *v, uint32_t at, trE_opcode op, const char *fmt, ...)
    TROUPE_PRINTF(4, 5);
static int bad(const vctx *v, uint32_t at, trE_opcode op, const char *fmt, ...) {
  char what[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  const trE_compiled *fn = v->fn;
  return troupe_err_set(v->err, TROUPE_E_INTERNAL,
                        "function %u: compiled code fails verification at word %u (%s, "
                        "wasm offset 0x%x): %s",
                        fn->func_index, at, trE_op_name(op),
                        fn->npcmap ? trE_code_offset(fn, at < fn->ncode ? at : 0) : 0, what);
}

static bool is_start(const vctx *v, uint32_t i) { return v->start[i / 8] & (1u << (i % 8)); }

/* A branch word at index w: the target must be an op start (a fuel op for back-edges). */
static int check_target(const vctx *v, uint32_t at, trE_opcode op, uint32_t w, bool back) {
  int64_t t = (int64_t)w + (int32_t)v->fn->code[w];
  if (t < 0 || t >= v->fn->ncode || !is_start(v, (uint32_t)t))
    return bad(v, at, op, "branch target %lld is not an op start", (long long)t);
  if (back && trE_op_decode(v->d, v->fn->code[t]) != TRE_OP_fuel)
    return bad(v, at, op, "back-edge target %lld is not a loop's fuel op", (long long)t);
  return 0;
}

/* An index operand of kind k into a module space. */
static int check_index(const vctx *v, uint32_t at, trE_opcode op, char k, uint32_t x) {
  const trE_module *m = v->m;
  uint32_t n = k == 'F' ? m->nfuncs : k == 'G' ? m->nglobals : k == 'T' ? m->ntables
             : k == 'Y' ? m->ntypes : k == 'D' ? m->ndatas : m->nelems;
  if (x >= n)
    return bad(v, at, op, "%s %u out of range (%u)", trE_index_kind(k), x, n);
  return 0;
}

/* The operands of the op at `at`, by its layout. */
static int check_operands(const vctx *v, uint32_t at, trE_opcode op) {
  const trE_compiled *fn = v->fn;
  const uint32_t *w = fn->code + at + 1;
  const trE_functype *callee = NULL; /* the function type an 'a' operand refers to */
  const char *l = trE_op_layout(op);
  for (uint32_t i = 0; l[i]; i++) {
    uint32_t x = w[i];
    switch (l[i]) {
    case 'd': case 's':
      if (x >= fn->frame_slots)
        return bad(v, at, op, "slot %u outside the frame (%u slots)", x, fn->frame_slots);
      break;
    case 'a': {
      if (!callee)
        return bad(v, at, op, "argument base without a function or type before it");
      uint32_t n = callee->nparams > callee->nresults ? callee->nparams : callee->nresults;
      if ((uint64_t)x + n > fn->frame_slots)
        return bad(v, at, op, "arguments at slot %u (%u) outside the frame (%u slots)", x, n,
                   fn->frame_slots);
      break;
    }
    case 'F': case 'G': case 'T': case 'Y': case 'D': case 'E':
      TRY(check_index(v, at, op, l[i], x));
      if (l[i] == 'F')
        callee = trE_func_type(v->m, x);
      else if (l[i] == 'Y')
        callee = &v->m->types[x];
      break;
    case 'r': case 'b':
      TRY(check_target(v, at, op, at + 1 + i, l[i] == 'b'));
      break;
    case 't':
      for (uint32_t k = 0; k <= x; k++)
        TRY(check_target(v, at, op, at + 2 + i + k, false));
      break;
    default: /* immediates: any value is safe */
      break;
    }
  }
  return 0;
}

/* Pass 1: the ops tile the code exactly and the last one does not fall off its end. */
static int map_ops(vctx *v) {
  const trE_compiled *fn = v->fn;
  trE_opcode op = TRE_OP_COUNT;
  uint32_t last = 0;
  for (uint32_t at = 0; at < fn->ncode;) {
    op = trE_op_decode(v->d, fn->code[at]);
    if (op == TRE_OP_COUNT)
      return bad(v, at, op, "unknown op word 0x%x", fn->code[at]);
    uint32_t n = trE_op_words(op, fn->code, at, fn->ncode);
    if (n == 0)
      return bad(v, at, op, "operands past the end of the code (%u words)", fn->ncode);
    v->start[at / 8] |= (uint8_t)(1u << (at % 8));
    last = at;
    at += n;
  }
  if (op == TRE_OP_COUNT || trE_op_falls_through(op))
    return bad(v, last, op, "execution can run off the end");
  return 0;
}

/* The frame and the pc map (trap locations are looked up in it). */
static int check_frame(const vctx *v) {
  const trE_compiled *fn = v->fn;
  if (fn->nparams > fn->nlocals || fn->nlocals > fn->frame_slots ||
      fn->nresults > fn->frame_slots)
    return bad(v, 0, TRE_OP_COUNT, "frame of %u slots for %u params, %u locals, %u results",
               fn->frame_slots, fn->nparams, fn->nlocals, fn->nresults);
  for (uint32_t i = 0; i < fn->npcmap; i++) {
    if (fn->pcmap[i].pc >= fn->ncode)
      return bad(v, 0, TRE_OP_COUNT, "pc map entry %u (word %u) past the code", i,
                 fn->pcmap[i].pc);
    if (i && fn->pcmap[i].pc <= fn->pcmap[i - 1].pc)
      return bad(v, 0, TRE_OP_COUNT, "pc map entry %u (word %u) out of order", i,
                 fn->pcmap[i].pc);
  }
  return 0;
}

int trE_verify_func(const trE_module *m, const trE_compiled *fn, const trE_opdecoder *d,
                    troupe_err *err) {
  vctx v = {.m = m, .fn = fn, .d = d, .err = err};
  TRY(check_frame(&v));
  v.start = trB_calloc((size_t)fn->ncode / 8 + 1, 1);
  if (!v.start)
    return troupe_err_set(err, TROUPE_E_NOMEM, "function %u: out of memory verifying code",
                          fn->func_index);
  int rc = map_ops(&v);
  for (uint32_t at = 0; rc == 0 && at < fn->ncode;) {
    trE_opcode op = trE_op_decode(d, fn->code[at]);
    rc = check_operands(&v, at, op);
    at += trE_op_words(op, fn->code, at, fn->ncode);
  }
  free(v.start);
  return rc;
}
