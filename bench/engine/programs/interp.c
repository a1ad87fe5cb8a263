/*
 * interp: a tiny register-machine bytecode interpreter (the switch-in-a-loop shape of
 * every scripting VM) running a Collatz-steps program -- unpredictable indirect
 * branches and short dependent integer ops: the branchy-code benchmark.
 */
#include "common.h"

enum op { LOADI, ADDI, MULI, ANDI, SHRI, ADD, JMP, JZ, JEQI, JLT, HALT };

typedef struct insn {
  uint8_t op, a, b, c;
  int32_t imm;
} insn;

static uint64_t run(const insn *code, uint64_t *r) {
  uint64_t steps = 0;
  const insn *pc = code;
  for (;;) {
    steps++;
    const insn *i = pc++;
    switch (i->op) {
    case LOADI: r[i->a] = (uint64_t)(int64_t)i->imm; break;
    case ADDI: r[i->a] = r[i->b] + (uint64_t)(int64_t)i->imm; break;
    case MULI: r[i->a] = r[i->b] * (uint64_t)(int64_t)i->imm; break;
    case ANDI: r[i->a] = r[i->b] & (uint64_t)(int64_t)i->imm; break;
    case SHRI: r[i->a] = r[i->b] >> i->imm; break;
    case ADD: r[i->a] = r[i->b] + r[i->c]; break;
    case JMP: pc = code + i->imm; break;
    case JZ: if (r[i->a] == 0) pc = code + i->imm; break;
    case JEQI: if (r[i->a] == (uint64_t)i->b) pc = code + i->imm; break;
    case JLT: if (r[i->a] < r[i->b]) pc = code + i->imm; break;
    case HALT: return steps;
    default: return 0;
    }
  }
}

int main(void) {
  /* r0 = n, r1 = limit, r2 = total Collatz steps, r3 = x, r4 = scratch, r5 = max x */
  static const insn prog[] = {
      /* 0 */ {LOADI, 0, 0, 0, 1},
      /* 1 */ {LOADI, 1, 0, 0, 150000},
      /* 2 */ {LOADI, 2, 0, 0, 0},
      /* 3 outer */ {ADDI, 3, 0, 0, 0},
      /* 4 inner */ {JEQI, 3, 1, 0, 13},
      /* 5 */ {ANDI, 4, 3, 0, 1},
      /* 6 */ {JZ, 4, 0, 0, 10},
      /* 7 */ {MULI, 3, 3, 0, 3},
      /* 8 */ {ADDI, 3, 3, 0, 1},
      /* 9 */ {JMP, 0, 0, 0, 11},
      /* 10 even */ {SHRI, 3, 3, 0, 1},
      /* 11 */ {ADDI, 2, 2, 0, 1},
      /* 12 */ {JMP, 0, 0, 0, 4},
      /* 13 next */ {ADDI, 0, 0, 0, 1},
      /* 14 */ {JLT, 0, 1, 0, 3},
      /* 15 */ {HALT, 0, 0, 0, 0},
  };
  uint64_t r[8] = {0};
  uint64_t total = 0;
  for (int rep = 0; rep < 2; rep++) total += run(prog, r);
  printf("collatz steps %llu, vm steps %llu\n", (unsigned long long)r[2], (unsigned long long)total);
  bench_checksum("interp", r[2] * 1000003u ^ total);
  return 0;
}
