/*
 * tests/engine/test_verify.c: the code verifier (src/engine/verify.c). A small module is
 * compiled, the code of one function copied, and each test corrupts the copy the way a
 * compiler or fusion bug could -- a slot outside the frame, a branch into the middle of
 * an op, an unknown op word, a module index out of range, code that runs off its end --
 * and checks that the verifier reports it as an internal error naming the function and
 * the code word. The uncorrupted code must verify.
 */
#include "engine/code.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*
 * (module
 *   (global $g (mut i32) (i32.const 0))
 *   (func $id (param i32) (result i32) (local.get 0))
 *   (func (export "f") (param i32 i32) (result i32) (local i32)
 *     (loop $l
 *       (local.set 2 (i32.add (local.get 2) (call $id (local.get 0))))
 *       (br_if $l (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1)))
 *                           (local.get 1))))
 *     (block $a
 *       (block $b
 *         (br_table $a $b (local.get 2)))
 *       (global.set $g (i32.const 7)))
 *     (local.get 2)))
 * f compiles to: fuel; copy; call; i32_add; brbai_lt_u (back to the fuel op); br_table
 * (two targets); const32; global_set; ret1.
 */
static const uint8_t verify_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x01, 0x06,
    0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01,
    0x0a, 0x35, 0x02, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x2e, 0x01, 0x01, 0x7f, 0x03, 0x40,
    0x20, 0x02, 0x20, 0x00, 0x10, 0x00, 0x6a, 0x21, 0x02, 0x20, 0x00, 0x41, 0x01, 0x6a,
    0x22, 0x00, 0x20, 0x01, 0x49, 0x0d, 0x00, 0x0b, 0x02, 0x40, 0x02, 0x40, 0x20, 0x02,
    0x0e, 0x01, 0x01, 0x00, 0x0b, 0x41, 0x07, 0x24, 0x00, 0x0b, 0x20, 0x02, 0x0b};

typedef struct fixture {
  troupe_wasm_module *pm;
  const trE_module *m;
  trE_opdecoder d;
  trE_compiled fn; /* f, with its code in `code` (ours to corrupt) */
  uint32_t *code;
  troupe_err err;
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  assert_int_equal(troupe_wasm_module_new(verify_wasm, sizeof verify_wasm, &fx->pm, NULL), 0);
  fx->m = (const trE_module *)fx->pm;
  trE_opdecoder_init(&fx->d, trE_interp_handlers());
  fx->fn = *fx->m->compiled[1];
  fx->code = malloc(fx->fn.ncode * sizeof *fx->code);
  assert_non_null(fx->code);
  memcpy(fx->code, fx->fn.code, fx->fn.ncode * sizeof *fx->code);
  fx->fn.code = fx->code;
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  free(fx->code);
  troupe_wasm_module_free(fx->pm);
  free(fx);
  return 0;
}

/* The code word of the first op of f that is `op` (the test module has each once). */
static uint32_t op_start(fixture *fx, trE_opcode op) {
  for (uint32_t at = 0; at < fx->fn.ncode;) {
    trE_opcode got = trE_op_decode(&fx->d, fx->code[at]);
    if (got == op)
      return at;
    uint32_t n = trE_op_words(got, fx->code, at, fx->fn.ncode);
    assert_true(n > 0);
    at += n;
  }
  fail_msg("f has no %s", trE_op_name(op));
  return 0;
}

/* f's code cut at word n (with the pc map entries that remain inside it). */
static void truncate_code(fixture *fx, uint32_t n) {
  fx->fn.ncode = n;
  while (fx->fn.npcmap && fx->fn.pcmap[fx->fn.npcmap - 1].pc >= n)
    fx->fn.npcmap--;
}

/* Verify f and expect an internal error whose message holds `what` and the word. */
static void expect_caught(fixture *fx, uint32_t at, const char *what) {
  char word[32];
  snprintf(word, sizeof word, "at word %u ", at);
  assert_int_equal(trE_verify_func(fx->m, &fx->fn, &fx->d, &fx->err), TROUPE_E_INTERNAL);
  const char *msg = troupe_err_message(&fx->err);
  if (!strstr(msg, "function 1: ") || !strstr(msg, word) || !strstr(msg, what))
    fail_msg("unexpected message: %s (want \"%s\" at word %u)", msg, what, at);
}

static void compiled_code_verifies(void **state) {
  fixture *fx = *state;
  assert_int_equal(trE_verify_func(fx->m, &fx->fn, &fx->d, &fx->err), 0);
  assert_int_equal(trE_verify_func(fx->m, fx->m->compiled[0], &fx->d, &fx->err), 0);
}

static void slot_outside_the_frame(void **state) {
  fixture *fx = *state;
  uint32_t at = op_start(fx, TRE_OP_i32_add); /* [op d a b] */
  fx->code[at + 3] = fx->fn.frame_slots;
  expect_caught(fx, at, "slot 6 outside the frame (6 slots)");
}

static void written_slot_outside_the_frame(void **state) {
  fixture *fx = *state;
  uint32_t at = op_start(fx, TRE_OP_copy); /* [op d s] */
  fx->code[at + 1] = UINT32_MAX;
  expect_caught(fx, at, "outside the frame");
}

static void branch_into_the_middle_of_an_op(void **state) {
  fixture *fx = *state;
  uint32_t at = op_start(fx, TRE_OP_br_table); /* [op idx n rel0 rel1] */
  uint32_t g = op_start(fx, TRE_OP_global_set), w = at + 3;
  fx->code[w] = (uint32_t)((int32_t)(g + 1) - (int32_t)w); /* onto global_set's operand */
  expect_caught(fx, at, "is not an op start");
}

static void branch_out_of_the_function(void **state) {
  fixture *fx = *state;
  uint32_t at = op_start(fx, TRE_OP_br_table), w = at + 4;
  fx->code[w] = (uint32_t)((int32_t)fx->fn.ncode - (int32_t)w); /* just past the end */
  expect_caught(fx, at, "is not an op start");
  fx->code[w] = (uint32_t)-(int32_t)(w + 1); /* before the start */
  expect_caught(fx, at, "branch target -1 ");
}

static void back_edge_not_onto_a_fuel_op(void **state) {
  fixture *fx = *state;
  uint32_t at = op_start(fx, TRE_OP_brbai_lt_u), w = at + 5; /* [op x a imm y rel] */
  uint32_t copy = op_start(fx, TRE_OP_copy);
  fx->code[w] = (uint32_t)((int32_t)copy - (int32_t)w); /* an op start, but not the loop head */
  expect_caught(fx, at, "is not a loop's fuel op");
}

static void unknown_op_word(void **state) {
  fixture *fx = *state;
  uint32_t at = op_start(fx, TRE_OP_const32);
  fx->code[at] = 0x7fffffffu; /* no handler is 2 GiB from the dispatch loop's base */
  expect_caught(fx, at, "unknown op word 0x7fffffff");
}

static void module_indices_out_of_range(void **state) {
  fixture *fx = *state;
  uint32_t call = op_start(fx, TRE_OP_call); /* [op func argbase] */
  fx->code[call + 1] = 2;
  expect_caught(fx, call, "func 2 out of range (2)");
  fx->code[call + 1] = 0;
  uint32_t set = op_start(fx, TRE_OP_global_set); /* [op g s] */
  fx->code[set + 1] = 1;
  expect_caught(fx, set, "global 1 out of range (1)");
}

static void call_arguments_outside_the_frame(void **state) {
  fixture *fx = *state;
  uint32_t call = op_start(fx, TRE_OP_call);
  fx->code[call + 2] = fx->fn.frame_slots; /* $id takes one argument and returns one */
  expect_caught(fx, call, "arguments at slot 6 (1) outside the frame");
}

static void code_that_runs_off_its_end(void **state) {
  fixture *fx = *state;
  truncate_code(fx, op_start(fx, TRE_OP_ret1)); /* global_set is now the last op */
  expect_caught(fx, op_start(fx, TRE_OP_global_set), "execution can run off the end");
}

static void operands_past_the_end(void **state) {
  fixture *fx = *state;
  uint32_t at = op_start(fx, TRE_OP_ret1);
  truncate_code(fx, at + 1); /* ret1 without its slot */
  expect_caught(fx, at, "operands past the end of the code");
  truncate_code(fx, op_start(fx, TRE_OP_const32));
  uint32_t bt = op_start(fx, TRE_OP_br_table);
  fx->code[bt + 2] = UINT32_MAX; /* a count that would run past any code */
  expect_caught(fx, bt, "operands past the end of the code");
}

static void pc_map_out_of_order(void **state) {
  fixture *fx = *state;
  assert_true(fx->fn.npcmap >= 2);
  trE_pcmap *map = malloc(fx->fn.npcmap * sizeof *map);
  assert_non_null(map);
  memcpy(map, fx->fn.pcmap, fx->fn.npcmap * sizeof *map);
  map[1].pc = map[0].pc;
  fx->fn.pcmap = map;
  expect_caught(fx, 0, "pc map entry 1 (word 0) out of order");
  map[1].pc = fx->fn.ncode;
  expect_caught(fx, 0, "past the code");
  free(map);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(compiled_code_verifies, setup, teardown),
      cmocka_unit_test_setup_teardown(slot_outside_the_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(written_slot_outside_the_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(branch_into_the_middle_of_an_op, setup, teardown),
      cmocka_unit_test_setup_teardown(branch_out_of_the_function, setup, teardown),
      cmocka_unit_test_setup_teardown(back_edge_not_onto_a_fuel_op, setup, teardown),
      cmocka_unit_test_setup_teardown(unknown_op_word, setup, teardown),
      cmocka_unit_test_setup_teardown(module_indices_out_of_range, setup, teardown),
      cmocka_unit_test_setup_teardown(call_arguments_outside_the_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(code_that_runs_off_its_end, setup, teardown),
      cmocka_unit_test_setup_teardown(operands_past_the_end, setup, teardown),
      cmocka_unit_test_setup_teardown(pc_map_out_of_order, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
