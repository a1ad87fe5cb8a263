/*
 * engine/ops.c: the op list (ops.h) read back -- each op's name and operand layout, the
 * length rule, and op words decoded back into ops. The code verifier (verify.c) and the
 * dump (dump.c) walk compiled code with these; compiling and running code never needs
 * them (the compiler writes handler offsets, the interpreter jumps to them).
 */
#include "engine/code.h"

#include <stdlib.h>
#include <string.h>

#define X_NAME(name, layout) #name,
static const char *const names[TRE_OP_COUNT] = {TRE_OPS(X_NAME)};
#undef X_NAME

#define X_LAYOUT(name, layout) layout,
static const char *const layouts[TRE_OP_COUNT] = {TRE_OPS(X_LAYOUT)};
#undef X_LAYOUT

#define X_END(name) [TRE_OP_##name] = true,
static const bool no_fallthrough[TRE_OP_COUNT] = {TRE_NO_FALLTHROUGH(X_END)};
#undef X_END

const char *trE_op_name(trE_opcode op) { return op < TRE_OP_COUNT ? names[op] : "?"; }

const char *trE_op_layout(trE_opcode op) { return op < TRE_OP_COUNT ? layouts[op] : ""; }

bool trE_op_falls_through(trE_opcode op) { return op < TRE_OP_COUNT && !no_fallthrough[op]; }

const char *trE_index_kind(char letter) {
  switch (letter) {
  case 'F': return "func";
  case 'G': return "global";
  case 'T': return "table";
  case 'Y': return "type";
  case 'D': return "data";
  case 'E': return "elem";
  default: return NULL;
  }
}

uint32_t trE_op_words(trE_opcode op, const uint32_t *code, uint32_t at, uint32_t ncode) {
  if (op >= TRE_OP_COUNT || at >= ncode)
    return 0;
  const char *l = layouts[op];
  uint32_t fixed = (uint32_t)strlen(l) + 1, left = ncode - at;
  if (fixed > left)
    return 0;
  const char *t = strchr(l, 't');
  if (!t)
    return fixed;
  uint32_t n = code[at + 1 + (uint32_t)(t - l)]; /* n + 1 targets follow the fixed part */
  if (n >= left - fixed)
    return 0;
  return fixed + n + 1;
}

static int by_offset(const void *a, const void *b) {
  const trE_opword *x = a, *y = b;
  if (x->off != y->off)
    return x->off < y->off ? -1 : 1;
  return x->op < y->op ? -1 : x->op > y->op;
}

void trE_opdecoder_init(trE_opdecoder *d, const int32_t *handlers) {
  for (uint32_t i = 0; i < TRE_OP_COUNT; i++)
    d->e[i] = (trE_opword){.off = handlers[i], .op = (uint16_t)i};
  qsort(d->e, TRE_OP_COUNT, sizeof d->e[0], by_offset);
}

trE_opcode trE_op_decode(const trE_opdecoder *d, uint32_t word) {
  int32_t off = (int32_t)word;
  uint32_t lo = 0, hi = TRE_OP_COUNT;
  while (lo < hi) { /* the first entry with this offset */
    uint32_t mid = lo + (hi - lo) / 2;
    if (d->e[mid].off < off)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < TRE_OP_COUNT && d->e[lo].off == off ? (trE_opcode)d->e[lo].op : TRE_OP_COUNT;
}
