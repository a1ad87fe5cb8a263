/*
 * engine/ops.h: the one list of internal operations, TRE_OPS(X): every op with its
 * operand layout, X(name, layout). From it come the opcode enum (here), the op lengths
 * (here), interp.c's handler table (a label per op: an op without a handler, or a handler
 * without an op, does not compile), and ops.c's name and layout tables, which the code
 * verifier (verify.c) and the dump (dump.c) read. compile.c emits the ops; where it
 * computes an opcode from a family's order (a compare index, the _imm form next to a
 * plain one, ...) it calls the helpers at the end of this file, and each family carries a
 * TRE_CHECK_* macro of _Static_asserts that pin those offsets, so that reordering the
 * list fails to compile instead of emitting the wrong op.
 *
 * A layout is a string with one letter per operand word after the op word (so an op
 * takes sizeof(layout) words, op word included):
 *   d  a frame slot the op writes (it may read it too)     s  a frame slot the op reads
 *   a  a call's argument base: the callee's params and results are slots a, a+1, ...
 *   i  a 32-bit immediate (i32 bits; i64 forms sign-extend it)
 *   u  an unsigned immediate (shift count, constant address, fuel cost)
 *   o  a memory access's offset (memarg)                   l h  a 64-bit immediate
 *   r  a branch target, relative to the word that holds it; lands on an op
 *   b  a loop back-edge target (relative): lands on the loop's `fuel` op, whose cost the
 *      branch charges before it jumps past it. r and b are always an op's last word
 *      (interp.c's TARGET() reads them there).
 *   t  br_table: a count n, then n + 1 target words (r; the last is the default). The
 *      only variable-length operand, always last: trE_op_words() has the rule.
 *   F G T Y D E  an index into the module's functions, globals, tables, types, data
 *      segments, element segments
 */
#ifndef TROUPE_SRC_ENGINE_OPS_H
#define TROUPE_SRC_ENGINE_OPS_H

#include "troupe/wasm.h"

/* Value types of the lists below, as tokens (so that layouts can be pasted from them). */
#define TRE_TY_none 0
#define TRE_TY_i32 TROUPE_WASM_I32
#define TRE_TY_i64 TROUPE_WASM_I64
#define TRE_TY_f32 TROUPE_WASM_F32
#define TRE_TY_f64 TROUPE_WASM_F64

/* ---- parameter lists ------------------------------------------------------------------
 * Each takes (Y, X) and expands to Y(X, entry...): Y builds ops (or table rows) from an
 * entry and X is passed through, so one family list serves the op list and compile.c's
 * and interp.c's own expansions alike. */

/* Numeric ops that map 1:1 onto a wasm opcode: Y(X, name, opcode, in1, in2, out), types
 * i32/i64/f32/f64/none. Layout: unary [op d a], binary [op d a b]. Opcodes 0xFC00.. are
 * written as 0x100 + sub-opcode. */
#define TRE_NUMOPS(Y, X)                                                                      \
  Y(X, i32_eqz, 0x45, i32, none, i32) Y(X, i32_eq, 0x46, i32, i32, i32)                       \
  Y(X, i32_ne, 0x47, i32, i32, i32) Y(X, i32_lt_s, 0x48, i32, i32, i32)                       \
  Y(X, i32_lt_u, 0x49, i32, i32, i32) Y(X, i32_gt_s, 0x4A, i32, i32, i32)                     \
  Y(X, i32_gt_u, 0x4B, i32, i32, i32) Y(X, i32_le_s, 0x4C, i32, i32, i32)                     \
  Y(X, i32_le_u, 0x4D, i32, i32, i32) Y(X, i32_ge_s, 0x4E, i32, i32, i32)                     \
  Y(X, i32_ge_u, 0x4F, i32, i32, i32) Y(X, i64_eqz, 0x50, i64, none, i32)                     \
  Y(X, i64_eq, 0x51, i64, i64, i32) Y(X, i64_ne, 0x52, i64, i64, i32)                         \
  Y(X, i64_lt_s, 0x53, i64, i64, i32) Y(X, i64_lt_u, 0x54, i64, i64, i32)                     \
  Y(X, i64_gt_s, 0x55, i64, i64, i32) Y(X, i64_gt_u, 0x56, i64, i64, i32)                     \
  Y(X, i64_le_s, 0x57, i64, i64, i32) Y(X, i64_le_u, 0x58, i64, i64, i32)                     \
  Y(X, i64_ge_s, 0x59, i64, i64, i32) Y(X, i64_ge_u, 0x5A, i64, i64, i32)                     \
  Y(X, f32_eq, 0x5B, f32, f32, i32) Y(X, f32_ne, 0x5C, f32, f32, i32)                         \
  Y(X, f32_lt, 0x5D, f32, f32, i32) Y(X, f32_gt, 0x5E, f32, f32, i32)                         \
  Y(X, f32_le, 0x5F, f32, f32, i32) Y(X, f32_ge, 0x60, f32, f32, i32)                         \
  Y(X, f64_eq, 0x61, f64, f64, i32) Y(X, f64_ne, 0x62, f64, f64, i32)                         \
  Y(X, f64_lt, 0x63, f64, f64, i32) Y(X, f64_gt, 0x64, f64, f64, i32)                         \
  Y(X, f64_le, 0x65, f64, f64, i32) Y(X, f64_ge, 0x66, f64, f64, i32)                         \
  Y(X, i32_clz, 0x67, i32, none, i32) Y(X, i32_ctz, 0x68, i32, none, i32)                     \
  Y(X, i32_popcnt, 0x69, i32, none, i32) Y(X, i32_add, 0x6A, i32, i32, i32)                   \
  Y(X, i32_sub, 0x6B, i32, i32, i32) Y(X, i32_mul, 0x6C, i32, i32, i32)                       \
  Y(X, i32_div_s, 0x6D, i32, i32, i32) Y(X, i32_div_u, 0x6E, i32, i32, i32)                   \
  Y(X, i32_rem_s, 0x6F, i32, i32, i32) Y(X, i32_rem_u, 0x70, i32, i32, i32)                   \
  Y(X, i32_and, 0x71, i32, i32, i32) Y(X, i32_or, 0x72, i32, i32, i32)                        \
  Y(X, i32_xor, 0x73, i32, i32, i32) Y(X, i32_shl, 0x74, i32, i32, i32)                       \
  Y(X, i32_shr_s, 0x75, i32, i32, i32) Y(X, i32_shr_u, 0x76, i32, i32, i32)                   \
  Y(X, i32_rotl, 0x77, i32, i32, i32) Y(X, i32_rotr, 0x78, i32, i32, i32)                     \
  Y(X, i64_clz, 0x79, i64, none, i64) Y(X, i64_ctz, 0x7A, i64, none, i64)                     \
  Y(X, i64_popcnt, 0x7B, i64, none, i64) Y(X, i64_add, 0x7C, i64, i64, i64)                   \
  Y(X, i64_sub, 0x7D, i64, i64, i64) Y(X, i64_mul, 0x7E, i64, i64, i64)                       \
  Y(X, i64_div_s, 0x7F, i64, i64, i64) Y(X, i64_div_u, 0x80, i64, i64, i64)                   \
  Y(X, i64_rem_s, 0x81, i64, i64, i64) Y(X, i64_rem_u, 0x82, i64, i64, i64)                   \
  Y(X, i64_and, 0x83, i64, i64, i64) Y(X, i64_or, 0x84, i64, i64, i64)                        \
  Y(X, i64_xor, 0x85, i64, i64, i64) Y(X, i64_shl, 0x86, i64, i64, i64)                       \
  Y(X, i64_shr_s, 0x87, i64, i64, i64) Y(X, i64_shr_u, 0x88, i64, i64, i64)                   \
  Y(X, i64_rotl, 0x89, i64, i64, i64) Y(X, i64_rotr, 0x8A, i64, i64, i64)                     \
  Y(X, f32_abs, 0x8B, f32, none, f32) Y(X, f32_neg, 0x8C, f32, none, f32)                     \
  Y(X, f32_ceil, 0x8D, f32, none, f32) Y(X, f32_floor, 0x8E, f32, none, f32)                  \
  Y(X, f32_trunc, 0x8F, f32, none, f32) Y(X, f32_nearest, 0x90, f32, none, f32)               \
  Y(X, f32_sqrt, 0x91, f32, none, f32) Y(X, f32_add, 0x92, f32, f32, f32)                     \
  Y(X, f32_sub, 0x93, f32, f32, f32) Y(X, f32_mul, 0x94, f32, f32, f32)                       \
  Y(X, f32_div, 0x95, f32, f32, f32) Y(X, f32_min, 0x96, f32, f32, f32)                       \
  Y(X, f32_max, 0x97, f32, f32, f32) Y(X, f32_copysign, 0x98, f32, f32, f32)                  \
  Y(X, f64_abs, 0x99, f64, none, f64) Y(X, f64_neg, 0x9A, f64, none, f64)                     \
  Y(X, f64_ceil, 0x9B, f64, none, f64) Y(X, f64_floor, 0x9C, f64, none, f64)                  \
  Y(X, f64_trunc, 0x9D, f64, none, f64) Y(X, f64_nearest, 0x9E, f64, none, f64)               \
  Y(X, f64_sqrt, 0x9F, f64, none, f64) Y(X, f64_add, 0xA0, f64, f64, f64)                     \
  Y(X, f64_sub, 0xA1, f64, f64, f64) Y(X, f64_mul, 0xA2, f64, f64, f64)                       \
  Y(X, f64_div, 0xA3, f64, f64, f64) Y(X, f64_min, 0xA4, f64, f64, f64)                       \
  Y(X, f64_max, 0xA5, f64, f64, f64) Y(X, f64_copysign, 0xA6, f64, f64, f64)                  \
  Y(X, i32_wrap_i64, 0xA7, i64, none, i32) Y(X, i32_trunc_f32_s, 0xA8, f32, none, i32)        \
  Y(X, i32_trunc_f32_u, 0xA9, f32, none, i32) Y(X, i32_trunc_f64_s, 0xAA, f64, none, i32)     \
  Y(X, i32_trunc_f64_u, 0xAB, f64, none, i32) Y(X, i64_extend_i32_s, 0xAC, i32, none, i64)    \
  Y(X, i64_extend_i32_u, 0xAD, i32, none, i64) Y(X, i64_trunc_f32_s, 0xAE, f32, none, i64)    \
  Y(X, i64_trunc_f32_u, 0xAF, f32, none, i64) Y(X, i64_trunc_f64_s, 0xB0, f64, none, i64)     \
  Y(X, i64_trunc_f64_u, 0xB1, f64, none, i64) Y(X, f32_convert_i32_s, 0xB2, i32, none, f32)   \
  Y(X, f32_convert_i32_u, 0xB3, i32, none, f32)                                               \
  Y(X, f32_convert_i64_s, 0xB4, i64, none, f32)                                               \
  Y(X, f32_convert_i64_u, 0xB5, i64, none, f32) Y(X, f32_demote_f64, 0xB6, f64, none, f32)    \
  Y(X, f64_convert_i32_s, 0xB7, i32, none, f64)                                               \
  Y(X, f64_convert_i32_u, 0xB8, i32, none, f64)                                               \
  Y(X, f64_convert_i64_s, 0xB9, i64, none, f64)                                               \
  Y(X, f64_convert_i64_u, 0xBA, i64, none, f64) Y(X, f64_promote_f32, 0xBB, f32, none, f64)   \
  Y(X, i32_reinterpret_f32, 0xBC, f32, none, i32)                                             \
  Y(X, i64_reinterpret_f64, 0xBD, f64, none, i64)                                             \
  Y(X, f32_reinterpret_i32, 0xBE, i32, none, f32)                                             \
  Y(X, f64_reinterpret_i64, 0xBF, i64, none, f64) Y(X, i32_extend8_s, 0xC0, i32, none, i32)   \
  Y(X, i32_extend16_s, 0xC1, i32, none, i32) Y(X, i64_extend8_s, 0xC2, i64, none, i64)        \
  Y(X, i64_extend16_s, 0xC3, i64, none, i64) Y(X, i64_extend32_s, 0xC4, i64, none, i64)       \
  Y(X, i32_trunc_sat_f32_s, 0x100, f32, none, i32)                                            \
  Y(X, i32_trunc_sat_f32_u, 0x101, f32, none, i32)                                            \
  Y(X, i32_trunc_sat_f64_s, 0x102, f64, none, i32)                                            \
  Y(X, i32_trunc_sat_f64_u, 0x103, f64, none, i32)                                            \
  Y(X, i64_trunc_sat_f32_s, 0x104, f32, none, i64)                                            \
  Y(X, i64_trunc_sat_f32_u, 0x105, f32, none, i64)                                            \
  Y(X, i64_trunc_sat_f64_s, 0x106, f64, none, i64)                                            \
  Y(X, i64_trunc_sat_f64_u, 0x107, f64, none, i64)

/* Memory accesses: Y(X, name, opcode, type, natural alignment log2). */
#define TRE_LOADOPS(Y, X)                                                                     \
  Y(X, i32_load, 0x28, i32, 2) Y(X, i64_load, 0x29, i64, 3) Y(X, f32_load, 0x2A, f32, 2)      \
  Y(X, f64_load, 0x2B, f64, 3) Y(X, i32_load8_s, 0x2C, i32, 0)                                \
  Y(X, i32_load8_u, 0x2D, i32, 0) Y(X, i32_load16_s, 0x2E, i32, 1)                            \
  Y(X, i32_load16_u, 0x2F, i32, 1) Y(X, i64_load8_s, 0x30, i64, 0)                            \
  Y(X, i64_load8_u, 0x31, i64, 0) Y(X, i64_load16_s, 0x32, i64, 1)                            \
  Y(X, i64_load16_u, 0x33, i64, 1) Y(X, i64_load32_s, 0x34, i64, 2)                           \
  Y(X, i64_load32_u, 0x35, i64, 2)
#define TRE_STOREOPS(Y, X)                                                                    \
  Y(X, i32_store, 0x36, i32, 2) Y(X, i64_store, 0x37, i64, 3) Y(X, f32_store, 0x38, f32, 2)   \
  Y(X, f64_store, 0x39, f64, 3) Y(X, i32_store8, 0x3A, i32, 0)                                \
  Y(X, i32_store16, 0x3B, i32, 1) Y(X, i64_store8, 0x3C, i64, 0)                              \
  Y(X, i64_store16, 0x3D, i64, 1) Y(X, i64_store32, 0x3E, i64, 2)

/* The integer compares in wasm's order: Y(X, c, negation, mirror): !(a c b) is
 * (a negation b) and (a c b) is (b mirror a). */
#define TRE_CMPS(Y, X)                                                                        \
  Y(X, eq, ne, eq) Y(X, ne, eq, ne) Y(X, lt_s, ge_s, gt_s) Y(X, lt_u, ge_u, gt_u)             \
  Y(X, gt_s, le_s, lt_s) Y(X, gt_u, le_u, lt_u) Y(X, le_s, gt_s, ge_s)                        \
  Y(X, le_u, gt_u, ge_u) Y(X, ge_s, lt_s, le_s) Y(X, ge_u, lt_u, le_u)

/* The f64 compares in wasm's order: Y(X, c, mirror). No negation: with a NaN operand
 * (a lt b) and (a ge b) are both false. */
#define TRE_FCMPS(Y, X)                                                                       \
  Y(X, eq, eq) Y(X, ne, ne) Y(X, lt, gt) Y(X, gt, lt) Y(X, le, ge) Y(X, ge, le)

/* Binary i32/i64 ops with a constant-operand form, besides the compares: Y(X, o). */
#define TRE_BINIMMS(Y, X)                                                                     \
  Y(X, add) Y(X, sub) Y(X, mul) Y(X, and) Y(X, or) Y(X, xor) Y(X, shl) Y(X, shr_s)            \
  Y(X, shr_u) Y(X, rotl) Y(X, rotr)

/* i32 chains: an op o1 whose result feeds only the next op, a commutative add/and/or/xor
 * o2: Y(X, o2, o1, suffix), suffix empty (o1 of two slots) or _imm (o1 of a slot and a
 * constant). */
#define TRE_CHAINS_OF(Y, X, o2)                                                               \
  Y(X, o2, add, ) Y(X, o2, sub, ) Y(X, o2, and, ) Y(X, o2, or, ) Y(X, o2, xor, )              \
  Y(X, o2, shl, _imm) Y(X, o2, shr_s, _imm) Y(X, o2, shr_u, _imm) Y(X, o2, rotl, _imm)        \
  Y(X, o2, rotr, _imm) Y(X, o2, and, _imm) Y(X, o2, xor, _imm)
#define TRE_CHAINOPS(Y, X)                                                                    \
  TRE_CHAINS_OF(Y, X, add) TRE_CHAINS_OF(Y, X, and) TRE_CHAINS_OF(Y, X, or)                   \
  TRE_CHAINS_OF(Y, X, xor)

/* f64 chains: f64 add/sub/mul o1 feeding add/sub/mul o2: Y(X, o2, o1). */
#define TRE_F64CHAINS(Y, X)                                                                   \
  Y(X, add, add) Y(X, add, sub) Y(X, add, mul) Y(X, sub, add) Y(X, sub, sub) Y(X, sub, mul)   \
  Y(X, mul, add) Y(X, mul, sub) Y(X, mul, mul)

/* Four forms of one family entry: o0..o3 consecutive, o0 at 4 * k past the family's
 * first op. */
#define TRE_FOUR_AT(first, k, o0, o1, o2, o3)                                                 \
  (TRE_OP_##o0 == TRE_OP_##first + 4 * (k) && TRE_OP_##o1 == TRE_OP_##o0 + 1 &&               \
   TRE_OP_##o2 == TRE_OP_##o0 + 2 && TRE_OP_##o3 == TRE_OP_##o0 + 3)

/* ---- the families, in list order ------------------------------------------------------
 * TRE_FAM_* makes a family's ops from one parameter-list entry; TRE_CHECK_* (applied after
 * the enum, at the end of this file) pins the offsets that the helpers there compute. */

/* Plain numeric ops (TRE_NUMOPS): [op d a] or [op d a b], by the second operand's type.
 * compile.c finds an f64 compare's index by its distance from f64_eq, and the storing
 * form of f64 add/sub/mul by its distance from f64_add. */
#define TRE_LAYOUT_NUM_none "ds"
#define TRE_LAYOUT_NUM_i32 "dss"
#define TRE_LAYOUT_NUM_i64 "dss"
#define TRE_LAYOUT_NUM_f32 "dss"
#define TRE_LAYOUT_NUM_f64 "dss"
#define TRE_FAM_NUM(X, name, code, a, b, r) X(name, TRE_LAYOUT_NUM_##b)
#define TRE_CHECK_FCMP(_, c, m)                                                               \
  _Static_assert(TRE_OP_f64_##c == TRE_OP_f64_eq + TRE_FCMP_##c, "f64_" #c ": trE_op_fcmp");
#define TRE_CHECK_F64ARITH                                                                    \
  _Static_assert(TRE_OP_f64_sub == TRE_OP_f64_add + 1 && TRE_OP_f64_mul == TRE_OP_f64_add + 2, \
                 "f64 add, sub, mul: trE_op_f64_st");

/* Plain loads [op d addr offset] and stores [op addr value offset] (TRE_LOADOPS,
 * TRE_STOREOPS), each list consecutive in its order (a load's or store's index). */
#define TRE_FAM_LOAD(X, name, code, t, al) X(name, "dso")
#define TRE_FAM_STORE(X, name, code, t, al) X(name, "sso")
#define TRE_CHECK_LOAD(_, name, code, t, al)                                                  \
  _Static_assert(TRE_OP_##name == TRE_OP_i32_load + TRE_LOADIDX_##name, #name ": load index");
#define TRE_CHECK_STORE(_, name, code, t, al)                                                 \
  _Static_assert(TRE_OP_##name == TRE_OP_i32_store + TRE_STOREIDX_##name,                     \
                 #name ": store index");

/* Everything that maps to no single wasm instruction or has its own layout. */
#define TRE_MISCOPS(X)                                                                        \
  X(unreachable, "")          /* trap */                                                      \
  X(br, "r")                                                                                  \
  X(br_if, "sr")              /* taken when the slot is non-zero */                           \
  X(br_unless, "sr")          /* taken when it is zero (if, br_if with moves) */              \
  X(br_back, "b")             /* a loop's back-edge (charges the loop's fuel) */              \
  X(br_if_back, "sb")                                                                         \
  X(br_table, "st")           /* on the slot's value; the last target is the default */       \
  X(fuel, "u")                /* loop head: charge the cost, or suspend here */               \
  X(ret, "")                  /* results already in slots 0.. */                              \
  X(ret1, "s")                /* one result: slot 0 = s, then ret */                          \
  X(call, "Fa")                                                                               \
  X(call_ind, "YTsa")         /* [op type table index argbase] */                             \
  X(copy, "ds")               /* 64-bit slot move */                                          \
  X(const32, "di")                                                                            \
  X(const64, "dlh")                                                                           \
  X(select, "dsss")           /* [op d a b cond] */                                           \
  X(global_get, "dG")                                                                         \
  X(global_set, "Gs")                                                                         \
  X(memory_size, "d")                                                                         \
  X(memory_grow, "ds")        /* [op d delta] */                                              \
  X(memory_init, "Dsss")      /* [op seg d s n] */                                            \
  X(data_drop, "D")                                                                           \
  X(memory_copy, "sss")       /* [op d s n] */                                                \
  X(memory_fill, "sss")       /* [op d v n] */                                                \
  X(table_get, "Tds")         /* [op t d i] */                                                \
  X(table_set, "Tss")         /* [op t i v] */                                                \
  X(table_size, "Td")                                                                         \
  X(table_grow, "Tdss")       /* [op t d init n] */                                           \
  X(table_fill, "Tsss")       /* [op t i v n] */                                              \
  X(table_init, "TEsss")      /* [op t seg d s n] */                                          \
  X(elem_drop, "E")                                                                           \
  X(table_copy, "TTsss")      /* [op dt st d s n] */                                          \
  X(ref_is_null, "ds")                                                                        \
  X(ref_func, "dF")                                                                           \
  X(brb_eqz, "sb")            /* back-edge taken when the slot is zero */                     \
  X(copy2, "dsds")            /* two moves, in this order */                                  \
  X(copy_br_back, "dsb")      /* a move, then br_back */                                      \
  X(copy3, "dsdsds")                                                                          \
  X(copy4, "dsdsdsds")                                                                        \
  X(i32_xor_rotl2, "dsusu")   /* [op d a k b j]: d = rotl(a, k) ^ rotl(b, j) */               \
  X(br_table_ld8, "sot")      /* br_table on the byte at addr + offset */                     \
  X(i32_xor_rotl3, "dsususu") /* ... ^ rotl(x, y) */                                          \
  X(i32_add3, "dssss")        /* d = a + b + c + e */

/* Ops after which execution never reaches the next word: a function's code ends with one
 * (the verifier checks it). */
#define TRE_NO_FALLTHROUGH(X)                                                                 \
  X(unreachable) X(br) X(br_back) X(copy_br_back) X(br_table) X(br_table_ld8) X(ret) X(ret1)

/* Compare-and-branch, four per compare, i32 group then i64 group (br64_*, imm
 * sign-extended): br_c [op a b rel], br_c_imm [op a imm rel], and the loop back-edge
 * forms brb_c / brb_c_imm, which charge the loop's fuel like br_back. */
#define TRE_FAM_BR(X, c, n, m)                                                                \
  X(br_##c, "ssr") X(br_##c##_imm, "sir") X(brb_##c, "ssb") X(brb_##c##_imm, "sib")
#define TRE_FAM_BR64(X, c, n, m)                                                              \
  X(br64_##c, "ssr") X(br64_##c##_imm, "sir") X(brb64_##c, "ssb") X(brb64_##c##_imm, "sib")
#define TRE_CHECK_BR(_, c, n, m)                                                              \
  _Static_assert(TRE_FOUR_AT(br_eq, TRE_CMP_##c, br_##c, br_##c##_imm, brb_##c,               \
                             brb_##c##_imm) &&                                                \
                     TRE_FOUR_AT(br64_eq, TRE_CMP_##c, br64_##c, br64_##c##_imm, brb64_##c,   \
                                 brb64_##c##_imm),                                            \
                 "br_" #c " family: trE_op_br");

/* Constant-operand forms of binary ops, i32 and i64 in turn: i32_<o>_imm / i64_<o>_imm
 * [op d a imm] (the i64 forms sign-extend imm; compile.c uses them when the constant
 * fits), the compares' after the other ops'. */
#define TRE_FAM_IMM(X, o) X(i32_##o##_imm, "dsi") X(i64_##o##_imm, "dsi")
#define TRE_FAM_CMPIMM(X, c, n, m) TRE_FAM_IMM(X, c)

/* Stores of a constant: <store>_imm [op addr imm offset] (imm sign-extended to 64 bits). */
#define TRE_FAM_STORE_IMM(X, name, code, t, al) X(name##_imm, "sio")
#define TRE_CHECK_STORE_IMM(_, name, code, t, al)                                             \
  _Static_assert(TRE_OP_##name##_imm == TRE_OP_i32_store_imm + TRE_STOREIDX_##name,           \
                 #name "_imm: trE_op_store_imm");

/* Loads from an added address, four per load: <load>_add [op d a b offset] (the address
 * is the i32 sum a + b: an i32.add feeding only the load), <load>_addi [op d a imm
 * offset] (the 32-bit a + imm, then + offset), and <load>_tadd [op d x a b offset] /
 * <load>_taddi [op d x a imm offset], which also write the sum to local x (an address
 * add written by local.set or local.tee, then loaded from). */
#define TRE_FAM_LOAD_ADD(X, name, code, t, al)                                                \
  X(name##_add, "dsso") X(name##_addi, "dsio") X(name##_tadd, "ddsso") X(name##_taddi, "ddsio")
#define TRE_CHECK_LOAD_ADD(_, name, code, t, al)                                              \
  _Static_assert(TRE_FOUR_AT(i32_load_add, TRE_LOADIDX_##name, name##_add, name##_addi,       \
                             name##_tadd, name##_taddi),                                      \
                 #name "_add family: trE_op_load_add");

/* f64 compare-and-branch [op a b rel], three per compare: brf64_c taken when (a c b),
 * brf64_nc when !(a c b) (not the inverse compare: NaN), brbf64_c the back-edge form. */
#define TRE_FAM_BRF(X, c, m) X(brf64_##c, "ssr") X(brf64_n##c, "ssr") X(brbf64_##c, "ssb")
#define TRE_CHECK_BRF(_, c, m)                                                                \
  _Static_assert(TRE_OP_brf64_##c == TRE_OP_brf64_eq + 3 * TRE_FCMP_##c &&                    \
                     TRE_OP_brf64_n##c == TRE_OP_brf64_##c + 1 &&                             \
                     TRE_OP_brbf64_##c == TRE_OP_brf64_##c + 2,                               \
                 "brf64_" #c " family: trE_op_brf64");

/* Add-then-compare loop back-edges (the counter step and the loop test in one op), four
 * per compare, i32 group then i64 group (brba64_*, both immediates sign-extended):
 *   brba_c       [op x a b y rel]    x = a + b;   back-edge taken when x c y
 *   brba_c_imm   [op x a b imm rel]  x = a + b;   ... when x c imm
 *   brbai_c      [op x a imm y rel]  x = a + imm; ... when x c y
 *   brbai_c_imm  [op x a imm imm rel]
 * y is never x; x is written only when the op completes (out of fuel, resuming runs it
 * again). */
#define TRE_FAM_BRA(X, c, n, m)                                                               \
  X(brba_##c, "dsssb") X(brba_##c##_imm, "dssib") X(brbai_##c, "dsisb")                       \
  X(brbai_##c##_imm, "dsiib")
#define TRE_FAM_BRA64(X, c, n, m)                                                             \
  X(brba64_##c, "dsssb") X(brba64_##c##_imm, "dssib") X(brbai64_##c, "dsisb")                 \
  X(brbai64_##c##_imm, "dsiib")
#define TRE_CHECK_BRA(_, c, n, m)                                                             \
  _Static_assert(TRE_FOUR_AT(brba_eq, TRE_CMP_##c, brba_##c, brba_##c##_imm, brbai_##c,       \
                             brbai_##c##_imm) &&                                              \
                     TRE_FOUR_AT(brba64_eq, TRE_CMP_##c, brba64_##c, brba64_##c##_imm,        \
                                 brbai64_##c, brbai64_##c##_imm),                             \
                 "brba_" #c " family: trE_op_brba");

/* i32 chains (TRE_CHAINOPS): i32_<o2>_<o1> [op d a b c] d = (a o1 b) o2 c, and
 * i32_<o2>_<o1>_imm [op d a imm c] d = (a o1 imm) o2 c. */
#define TRE_LAYOUT_CHAIN "dsss"
#define TRE_LAYOUT_CHAIN_imm "dsis"
#define TRE_FAM_CHAIN(X, o2, o1, sfx) X(i32_##o2##_##o1##sfx, TRE_LAYOUT_CHAIN##sfx)

/* Scaled-index loads: <load>_adds [op d base idx k offset], the address the i32
 * base + (idx << k) (an i32_add_shl_imm feeding only the load). */
#define TRE_FAM_LOAD_ADDS(X, name, code, t, al) X(name##_adds, "dssuo")
#define TRE_CHECK_LOAD_ADDS(_, name, code, t, al)                                             \
  _Static_assert(TRE_OP_##name##_adds == TRE_OP_i32_load_adds + TRE_LOADIDX_##name,           \
                 #name "_adds: trE_op_load_adds");

/* f64 compare-and-branch against a constant, two per compare: brf64_c_imm /
 * brf64_nc_imm [op a lo hi rel]. */
#define TRE_FAM_BRFI(X, c, m) X(brf64_##c##_imm, "slhr") X(brf64_n##c##_imm, "slhr")
#define TRE_CHECK_BRFI(_, c, m)                                                               \
  _Static_assert(TRE_OP_brf64_##c##_imm == TRE_OP_brf64_eq_imm + 2 * TRE_FCMP_##c &&          \
                     TRE_OP_brf64_n##c##_imm == TRE_OP_brf64_##c##_imm + 1,                   \
                 "brf64_" #c "_imm family: trE_op_brf64_imm");

/* f64 chains (TRE_F64CHAINS), two per chain: f64_<o2>_<o1>_l [op d a b c]
 * d = (a o1 b) o2 c and f64_<o2>_<o1>_r [op d a b c] d = c o2 (a o1 b). Each op rounds
 * (no fma), and operand order is kept, so NaN results are those of the two ops. */
#define TRE_FAM_FCHAIN(X, o2, o1) X(f64_##o2##_##o1##_l, "dsss") X(f64_##o2##_##o1##_r, "dsss")
#define TRE_CHECK_FCHAIN(_, o2, o1)                                                           \
  _Static_assert(TRE_OP_f64_##o2##_##o1##_l ==                                                \
                         TRE_OP_f64_add_add_l + 2 * TRE_FCHAIN_##o2##_##o1 &&                 \
                     TRE_OP_f64_##o2##_##o1##_r == TRE_OP_f64_##o2##_##o1##_l + 1 &&          \
                     TRE_OP_f64_##o2##_##o1##_l_st ==                                         \
                         TRE_OP_f64_add_add_l_st + 2 * TRE_FCHAIN_##o2##_##o1 &&              \
                     TRE_OP_f64_##o2##_##o1##_r_st == TRE_OP_f64_##o2##_##o1##_l_st + 1,      \
                 "f64_" #o2 "_" #o1 " family: trE_op_f64_st");

/* Scaled-index loads with a constant base: <load>_addsi [op d idx k imm offset], the
 * address the i32 (idx << k) + imm. */
#define TRE_FAM_LOAD_ADDSI(X, name, code, t, al) X(name##_addsi, "dsuuo")
#define TRE_CHECK_LOAD_ADDSI(_, name, code, t, al)                                            \
  _Static_assert(TRE_OP_##name##_addsi == TRE_OP_i32_load_addsi + TRE_LOADIDX_##name,         \
                 #name "_addsi: trE_op_load_addsi");

/* f64 ops storing their result (an f64.store of it, the only reader): f64_add_st /
 * f64_sub_st / f64_mul_st [op addr a b offset] and each chain's f64_<o2>_<o1>_l_st /
 * _r_st [op addr a b c offset]: mem[addr + offset] = result. */
#define TRE_FAM_FCHAIN_ST(X, o2, o1)                                                          \
  X(f64_##o2##_##o1##_l_st, "sssso") X(f64_##o2##_##o1##_r_st, "sssso")
#define TRE_CHECK_F64ST                                                                       \
  _Static_assert(TRE_OP_f64_sub_st == TRE_OP_f64_add_st + 1 &&                                \
                     TRE_OP_f64_mul_st == TRE_OP_f64_add_st + 2,                              \
                 "f64_add_st, f64_sub_st, f64_mul_st: trE_op_f64_st");

/* Accesses at a constant address: <load>_k [op d addr offset], <store>_k [op addr value
 * offset] (static data). */
#define TRE_FAM_LOAD_K(X, name, code, t, al) X(name##_k, "duo")
#define TRE_FAM_STORE_K(X, name, code, t, al) X(name##_k, "uso")
#define TRE_CHECK_LOAD_K(_, name, code, t, al)                                                \
  _Static_assert(TRE_OP_##name##_k == TRE_OP_i32_load_k + TRE_LOADIDX_##name,                 \
                 #name "_k: trE_op_load_k");
#define TRE_CHECK_STORE_K(_, name, code, t, al)                                               \
  _Static_assert(TRE_OP_##name##_k == TRE_OP_i32_store_k + TRE_STOREIDX_##name,               \
                 #name "_k: trE_op_store_k");

/* Post-increment stores (*p = v; p += n), four per store: <store>_inc [op p value offset
 * n], <store>_inci [op p value offset imm] (p += imm), and with a constant value (as
 * <store>_imm) <store>_imm_inc [op p imm offset n] and <store>_imm_inci. */
#define TRE_FAM_STORE_INC(X, name, code, t, al)                                               \
  X(name##_inc, "dsos") X(name##_inci, "dsoi") X(name##_imm_inc, "dios")                      \
  X(name##_imm_inci, "dioi")
#define TRE_CHECK_STORE_INC(_, name, code, t, al)                                             \
  _Static_assert(TRE_FOUR_AT(i32_store_inc, TRE_STOREIDX_##name, name##_inc, name##_inci,     \
                             name##_imm_inc, name##_imm_inci),                                \
                 #name "_inc family: trE_op_store_inc");

/* ---- the list ------------------------------------------------------------------------- */

#define TRE_OPS(X)                                                                            \
  TRE_NUMOPS(TRE_FAM_NUM, X)                                                                  \
  TRE_LOADOPS(TRE_FAM_LOAD, X)                                                                \
  TRE_STOREOPS(TRE_FAM_STORE, X)                                                              \
  TRE_MISCOPS(X)                                                                              \
  TRE_CMPS(TRE_FAM_BR, X)                                                                     \
  TRE_CMPS(TRE_FAM_BR64, X)                                                                   \
  TRE_BINIMMS(TRE_FAM_IMM, X) TRE_CMPS(TRE_FAM_CMPIMM, X)                                     \
  TRE_STOREOPS(TRE_FAM_STORE_IMM, X)                                                          \
  TRE_LOADOPS(TRE_FAM_LOAD_ADD, X)                                                            \
  TRE_FCMPS(TRE_FAM_BRF, X)                                                                   \
  TRE_CMPS(TRE_FAM_BRA, X)                                                                    \
  TRE_CMPS(TRE_FAM_BRA64, X)                                                                  \
  TRE_CHAINOPS(TRE_FAM_CHAIN, X)                                                              \
  TRE_LOADOPS(TRE_FAM_LOAD_ADDS, X)                                                           \
  TRE_FCMPS(TRE_FAM_BRFI, X)                                                                  \
  TRE_F64CHAINS(TRE_FAM_FCHAIN, X)                                                            \
  TRE_LOADOPS(TRE_FAM_LOAD_ADDSI, X)                                                          \
  X(f64_add_st, "ssso") X(f64_sub_st, "ssso") X(f64_mul_st, "ssso")                           \
  TRE_F64CHAINS(TRE_FAM_FCHAIN_ST, X)                                                         \
  TRE_LOADOPS(TRE_FAM_LOAD_K, X)                                                              \
  TRE_STOREOPS(TRE_FAM_STORE_K, X)                                                            \
  TRE_STOREOPS(TRE_FAM_STORE_INC, X)

typedef enum trE_opcode {
#define TRE_X_ENUM(name, layout) TRE_OP_##name,
  TRE_OPS(TRE_X_ENUM)
#undef TRE_X_ENUM
  TRE_OP_COUNT
} trE_opcode;

/* Each op's length in words, op word included (br_table, br_table_ld8: without the
 * targets). interp.c advances pc by these. */
enum trE_oplen {
#define TRE_X_LEN(name, layout) TRE_LEN_##name = sizeof(layout),
  TRE_OPS(TRE_X_LEN)
#undef TRE_X_LEN
};

/* Positions in the parameter lists (what the checks and helpers count in). */
#define TRE_X_CMPIDX(_, c, n, m) TRE_CMP_##c,
#define TRE_X_FCMPIDX(_, c, m) TRE_FCMP_##c,
#define TRE_X_LOADIDX(_, name, code, t, al) TRE_LOADIDX_##name,
#define TRE_X_STOREIDX(_, name, code, t, al) TRE_STOREIDX_##name,
#define TRE_X_FCHAINIDX(_, o2, o1) TRE_FCHAIN_##o2##_##o1,
enum { TRE_CMPS(TRE_X_CMPIDX, _) TRE_NCMPS };
enum { TRE_FCMPS(TRE_X_FCMPIDX, _) TRE_NFCMPS };
enum { TRE_LOADOPS(TRE_X_LOADIDX, _) TRE_NLOADS };
enum { TRE_STOREOPS(TRE_X_STOREIDX, _) TRE_NSTORES };
enum { TRE_F64CHAINS(TRE_X_FCHAINIDX, _) TRE_NFCHAINS };
#undef TRE_X_FCHAINIDX
#undef TRE_X_STOREIDX
#undef TRE_X_LOADIDX
#undef TRE_X_FCMPIDX
#undef TRE_X_CMPIDX

/* ---- the checks ---------------------------------------------------------------------- */

TRE_FCMPS(TRE_CHECK_FCMP, _)
TRE_CHECK_F64ARITH
TRE_LOADOPS(TRE_CHECK_LOAD, _)
TRE_STOREOPS(TRE_CHECK_STORE, _)
TRE_CMPS(TRE_CHECK_BR, _)
TRE_STOREOPS(TRE_CHECK_STORE_IMM, _)
TRE_LOADOPS(TRE_CHECK_LOAD_ADD, _)
TRE_FCMPS(TRE_CHECK_BRF, _)
TRE_CMPS(TRE_CHECK_BRA, _)
TRE_LOADOPS(TRE_CHECK_LOAD_ADDS, _)
TRE_FCMPS(TRE_CHECK_BRFI, _)
TRE_F64CHAINS(TRE_CHECK_FCHAIN, _)
TRE_LOADOPS(TRE_CHECK_LOAD_ADDSI, _)
TRE_CHECK_F64ST
TRE_LOADOPS(TRE_CHECK_LOAD_K, _)
TRE_STOREOPS(TRE_CHECK_STORE_K, _)
TRE_STOREOPS(TRE_CHECK_STORE_INC, _)

/* ---- opcodes by family order (pinned by the checks above) ---------------------------- */

/* Compare-and-branch on integer compare k (TRE_CMP_*): i64 (wide) or i32, against a
 * constant (imm), as a loop back-edge (back). */
static inline trE_opcode trE_op_br(unsigned k, bool wide, bool imm, bool back) {
  return (trE_opcode)((wide ? TRE_OP_br64_eq : TRE_OP_br_eq) + 4 * k + 2 * back + imm);
}

/* Add-then-compare back-edge on compare k: the add of a constant (addi), the compare
 * against a constant (imm). */
static inline trE_opcode trE_op_brba(unsigned k, bool wide, bool addi, bool imm) {
  return (trE_opcode)((wide ? TRE_OP_brba64_eq : TRE_OP_brba_eq) + 4 * k + 2 * addi + imm);
}

/* The TRE_FCMP_* index of an f64 compare op, or -1. */
static inline int trE_op_fcmp(trE_opcode op) {
  return op >= TRE_OP_f64_eq && op < TRE_OP_f64_eq + TRE_NFCMPS ? (int)(op - TRE_OP_f64_eq)
                                                                 : -1;
}

/* f64 compare-and-branch on compare f: taken when !(a f b) (negated), as a loop
 * back-edge (back; never negated). */
static inline trE_opcode trE_op_brf64(unsigned f, bool negated, bool back) {
  return (trE_opcode)(TRE_OP_brf64_eq + 3 * f + (negated ? 1 : back ? 2 : 0));
}
static inline trE_opcode trE_op_brf64_imm(unsigned f, bool negated) {
  return (trE_opcode)(TRE_OP_brf64_eq_imm + 2 * f + negated);
}

/* The TRE_LOADIDX_* index of a plain load, or -1; and its fused forms. */
static inline int trE_op_load_index(trE_opcode op) {
  return op >= TRE_OP_i32_load && op < TRE_OP_i32_load + TRE_NLOADS ? (int)(op - TRE_OP_i32_load)
                                                                     : -1;
}
/* <load>_add, _addi, _tadd, _taddi: the sum also written to a local (tee), a constant
 * addend (imm). */
static inline trE_opcode trE_op_load_add(unsigned i, bool tee, bool imm) {
  return (trE_opcode)(TRE_OP_i32_load_add + 4 * i + 2 * tee + imm);
}
static inline trE_opcode trE_op_load_adds(unsigned i) {
  return (trE_opcode)(TRE_OP_i32_load_adds + i);
}
static inline trE_opcode trE_op_load_addsi(unsigned i) {
  return (trE_opcode)(TRE_OP_i32_load_addsi + i);
}
static inline trE_opcode trE_op_load_k(unsigned i) {
  return (trE_opcode)(TRE_OP_i32_load_k + i);
}

/* The TRE_STOREIDX_* index of a plain store (or of a store's _imm form), or -1; and its
 * fused forms. */
static inline int trE_op_store_index(trE_opcode op) {
  return op >= TRE_OP_i32_store && op < TRE_OP_i32_store + TRE_NSTORES
             ? (int)(op - TRE_OP_i32_store)
             : -1;
}
static inline int trE_op_store_imm_index(trE_opcode op) {
  return op >= TRE_OP_i32_store_imm && op < TRE_OP_i32_store_imm + TRE_NSTORES
             ? (int)(op - TRE_OP_i32_store_imm)
             : -1;
}
static inline trE_opcode trE_op_store_imm(unsigned i) {
  return (trE_opcode)(TRE_OP_i32_store_imm + i);
}
static inline trE_opcode trE_op_store_k(unsigned i) {
  return (trE_opcode)(TRE_OP_i32_store_k + i);
}
/* <store>_inc, _inci, _imm_inc, _imm_inci: a constant value (value_imm), a constant step
 * (step_imm). */
static inline trE_opcode trE_op_store_inc(unsigned i, bool value_imm, bool step_imm) {
  return (trE_opcode)(TRE_OP_i32_store_inc + 4 * i + 2 * value_imm + step_imm);
}

/* The form of an f64 add/sub/mul or f64 chain that stores its result (_st), or
 * TRE_OP_COUNT. */
static inline trE_opcode trE_op_f64_st(trE_opcode op) {
  if (op >= TRE_OP_f64_add && op <= TRE_OP_f64_mul)
    return (trE_opcode)(TRE_OP_f64_add_st + (op - TRE_OP_f64_add));
  if (op >= TRE_OP_f64_add_add_l && op < TRE_OP_f64_add_add_l + 2 * TRE_NFCHAINS)
    return (trE_opcode)(TRE_OP_f64_add_add_l_st + (op - TRE_OP_f64_add_add_l));
  return TRE_OP_COUNT;
}

#endif
