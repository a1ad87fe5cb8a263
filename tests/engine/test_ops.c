/*
 * tests/engine/test_ops.c: the op list (src/engine/ops.h) and what is generated from it.
 * The verifier and the dump read compiled code through these tables, so they must agree
 * with the enum, the interpreter's handler table and the lengths the interpreter advances
 * by; the opcode helpers must name the ops the compiler means.
 */
#include "engine/code.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const unsigned lengths[TRE_OP_COUNT] = {
#define X(name, layout) TRE_LEN_##name,
    TRE_OPS(X)
#undef X
};

/* Layout letters are the ones ops.h documents; a branch operand is an op's last word
 * (interp.c finds it there), br_table's count comes last (its targets follow), and a
 * 64-bit immediate is a low word followed by a high word. */
static void layouts_are_well_formed(void **state) {
  (void)state;
  for (unsigned op = 0; op < TRE_OP_COUNT; op++) {
    const char *l = trE_op_layout((trE_opcode)op), *name = trE_op_name((trE_opcode)op);
    size_t n = strlen(l);
    for (size_t i = 0; i < n; i++) {
      if (!strchr("dsaiuolhrbtFGTYDE", l[i]))
        fail_msg("%s: unknown layout letter '%c'", name, l[i]);
      if (strchr("rbt", l[i]) && i + 1 != n)
        fail_msg("%s: '%c' is not the last operand", name, l[i]);
      if (l[i] == 'l' && l[i + 1] != 'h')
        fail_msg("%s: 'l' without 'h'", name);
      if (l[i] == 'h' && (i == 0 || l[i - 1] != 'l'))
        fail_msg("%s: 'h' without 'l'", name);
    }
    if (n + 1 != lengths[op])
      fail_msg("%s: layout \"%s\" but length %u", name, l, lengths[op]);
  }
}

static void names_are_the_enum_names(void **state) {
  (void)state;
  assert_string_equal(trE_op_name(TRE_OP_i32_eqz), "i32_eqz");
  assert_string_equal(trE_op_name(TRE_OP_brba64_ge_u_imm), "brba64_ge_u_imm");
  assert_string_equal(trE_op_name(TRE_OP_i64_store32_imm_inci), "i64_store32_imm_inci");
  assert_string_equal(trE_op_name(TRE_OP_COUNT), "?");
  for (unsigned a = 0; a < TRE_OP_COUNT; a++)
    for (unsigned b = a + 1; b < TRE_OP_COUNT; b++)
      if (!strcmp(trE_op_name((trE_opcode)a), trE_op_name((trE_opcode)b)))
        fail_msg("two ops named %s", trE_op_name((trE_opcode)a));
}

/* The decoder maps every handler offset back to its op: no two ops may share a handler
 * (the compiler's op_at checks and the dump rely on it). */
static void handler_offsets_decode_to_their_ops(void **state) {
  (void)state;
  const int32_t *h = trE_interp_handlers();
  static trE_opdecoder d;
  trE_opdecoder_init(&d, h);
  for (unsigned op = 0; op < TRE_OP_COUNT; op++) {
    trE_opcode got = trE_op_decode(&d, (uint32_t)h[op]);
    if (got != (trE_opcode)op)
      fail_msg("%s decodes to %s", trE_op_name((trE_opcode)op), trE_op_name(got));
  }
  int32_t most = h[0];
  for (unsigned op = 0; op < TRE_OP_COUNT; op++)
    most = h[op] > most ? h[op] : most;
  assert_int_equal(trE_op_decode(&d, (uint32_t)(most + 1)), TRE_OP_COUNT);
}

static void op_words_follow_the_length_rule(void **state) {
  (void)state;
  uint32_t code[8] = {0, 7, 2, 1, 2, 3, 0, 0}; /* br_table idx=s7, n=2, three targets */
  assert_int_equal(trE_op_words(TRE_OP_br_table, code, 0, 6), 6);
  assert_int_equal(trE_op_words(TRE_OP_br_table, code, 0, 5), 0); /* a target missing */
  code[2] = UINT32_MAX;                                            /* n overflowing */
  assert_int_equal(trE_op_words(TRE_OP_br_table, code, 0, 8), 0);
  assert_int_equal(trE_op_words(TRE_OP_i32_add, code, 0, 8), 4);
  assert_int_equal(trE_op_words(TRE_OP_i32_add, code, 5, 8), 0); /* runs past the end */
  assert_int_equal(trE_op_words(TRE_OP_ret, code, 7, 8), 1);
  assert_int_equal(trE_op_words(TRE_OP_COUNT, code, 0, 8), 0);
  assert_false(trE_op_falls_through(TRE_OP_br));
  assert_false(trE_op_falls_through(TRE_OP_ret1));
  assert_false(trE_op_falls_through(TRE_OP_br_table_ld8));
  assert_true(trE_op_falls_through(TRE_OP_br_if));
  assert_true(trE_op_falls_through(TRE_OP_call));
}

/* What the opcode helpers compute, by name, for every compare of each family. */
static void helpers_name_the_ops_of_their_families(void **state) {
  (void)state;
  static const char *const cmps[] = {
#define X(_, c, n, m) #c,
      TRE_CMPS(X, _)
#undef X
  };
  static const char *const fcmps[] = {
#define X(_, c, m) #c,
      TRE_FCMPS(X, _)
#undef X
  };
  char want[64];
  for (unsigned k = 0; k < TRE_NCMPS; k++) {
    for (unsigned v = 0; v < 8; v++) {
      bool wide = v & 4, imm = v & 2, back = v & 1;
      snprintf(want, sizeof want, "%s%s_%s%s", back ? "brb" : "br", wide ? "64" : "", cmps[k],
               imm ? "_imm" : "");
      assert_string_equal(trE_op_name(trE_op_br(k, wide, imm, back)), want);
      bool addi = back;
      snprintf(want, sizeof want, "%s%s_%s%s", addi ? "brbai" : "brba", wide ? "64" : "",
               cmps[k], imm ? "_imm" : "");
      assert_string_equal(trE_op_name(trE_op_brba(k, wide, addi, imm)), want);
    }
  }
  for (unsigned f = 0; f < TRE_NFCMPS; f++) {
    snprintf(want, sizeof want, "f64_%s", fcmps[f]);
    assert_int_equal(trE_op_fcmp(TRE_OP_f64_eq + f), (int)f);
    assert_string_equal(trE_op_name(TRE_OP_f64_eq + f), want);
    snprintf(want, sizeof want, "brf64_%s", fcmps[f]);
    assert_string_equal(trE_op_name(trE_op_brf64(f, false, false)), want);
    snprintf(want, sizeof want, "brf64_n%s", fcmps[f]);
    assert_string_equal(trE_op_name(trE_op_brf64(f, true, false)), want);
    snprintf(want, sizeof want, "brbf64_%s", fcmps[f]);
    assert_string_equal(trE_op_name(trE_op_brf64(f, false, true)), want);
    snprintf(want, sizeof want, "brf64_%s_imm", fcmps[f]);
    assert_string_equal(trE_op_name(trE_op_brf64_imm(f, false)), want);
    snprintf(want, sizeof want, "brf64_n%s_imm", fcmps[f]);
    assert_string_equal(trE_op_name(trE_op_brf64_imm(f, true)), want);
  }
  assert_int_equal(trE_op_fcmp(TRE_OP_f32_ge), -1);
  assert_int_equal(trE_op_fcmp(TRE_OP_i32_eqz), -1);
}

static void helpers_name_the_memory_forms(void **state) {
  (void)state;
  char want[64];
  for (unsigned i = 0; i < TRE_NLOADS; i++) {
    trE_opcode op = (trE_opcode)(TRE_OP_i32_load + i);
    const char *name = trE_op_name(op);
    assert_int_equal(trE_op_load_index(op), (int)i);
    static const char *const add[] = {"_add", "_addi", "_tadd", "_taddi"};
    for (unsigned v = 0; v < 4; v++) {
      snprintf(want, sizeof want, "%s%s", name, add[v]);
      assert_string_equal(trE_op_name(trE_op_load_add(i, v & 2, v & 1)), want);
    }
    snprintf(want, sizeof want, "%s_adds", name);
    assert_string_equal(trE_op_name(trE_op_load_adds(i)), want);
    snprintf(want, sizeof want, "%s_addsi", name);
    assert_string_equal(trE_op_name(trE_op_load_addsi(i)), want);
    snprintf(want, sizeof want, "%s_k", name);
    assert_string_equal(trE_op_name(trE_op_load_k(i)), want);
  }
  for (unsigned i = 0; i < TRE_NSTORES; i++) {
    trE_opcode op = (trE_opcode)(TRE_OP_i32_store + i);
    const char *name = trE_op_name(op);
    assert_int_equal(trE_op_store_index(op), (int)i);
    assert_int_equal(trE_op_store_imm_index(trE_op_store_imm(i)), (int)i);
    snprintf(want, sizeof want, "%s_imm", name);
    assert_string_equal(trE_op_name(trE_op_store_imm(i)), want);
    snprintf(want, sizeof want, "%s_k", name);
    assert_string_equal(trE_op_name(trE_op_store_k(i)), want);
    static const char *const inc[] = {"_inc", "_inci", "_imm_inc", "_imm_inci"};
    for (unsigned v = 0; v < 4; v++) {
      snprintf(want, sizeof want, "%s%s", name, inc[v]);
      assert_string_equal(trE_op_name(trE_op_store_inc(i, v & 2, v & 1)), want);
    }
  }
  assert_int_equal(trE_op_load_index(TRE_OP_i32_store), -1);
  assert_int_equal(trE_op_store_index(TRE_OP_i64_load32_u), -1);
  assert_string_equal(trE_op_name(trE_op_f64_st(TRE_OP_f64_mul)), "f64_mul_st");
  assert_string_equal(trE_op_name(trE_op_f64_st(TRE_OP_f64_sub_add_r)), "f64_sub_add_r_st");
  assert_string_equal(trE_op_name(trE_op_f64_st(TRE_OP_f64_mul_mul_r)), "f64_mul_mul_r_st");
  assert_int_equal(trE_op_f64_st(TRE_OP_f64_div), TRE_OP_COUNT);
  assert_int_equal(trE_op_f64_st(TRE_OP_f64_add_st), TRE_OP_COUNT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(layouts_are_well_formed),
      cmocka_unit_test(names_are_the_enum_names),
      cmocka_unit_test(handler_offsets_decode_to_their_ops),
      cmocka_unit_test(op_words_follow_the_length_rule),
      cmocka_unit_test(helpers_name_the_ops_of_their_families),
      cmocka_unit_test(helpers_name_the_memory_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
