/*
 * engine/ops.h: the one list of internal operations. compile.c emits them, interp.c
 * implements them (a label per op), and the handler table is generated from the same
 * list, so an op cannot be emitted without an implementation or vice versa.
 *
 * Operand layouts (32-bit words after the op word; "s" is a slot index into the frame,
 * "rel" a signed branch offset relative to the word that holds it) are given per group.
 */
#ifndef TROUPE_SRC_ENGINE_OPS_H
#define TROUPE_SRC_ENGINE_OPS_H

/* Numeric ops that map 1:1 onto a wasm opcode: X(name, opcode, in1, in2, out), types
 * as 'i' i32, 'I' i64, 'f' f32, 'F' f64, 0 none. Layout: unary [op d a], binary
 * [op d a b]. Opcodes 0xFC00.. are written as 0x100 + sub-opcode. */
#define TRE_NUMOPS(X)                                                                      \
  X(i32_eqz, 0x45, 'i', 0, 'i') X(i32_eq, 0x46, 'i', 'i', 'i') X(i32_ne, 0x47, 'i', 'i', 'i') \
  X(i32_lt_s, 0x48, 'i', 'i', 'i') X(i32_lt_u, 0x49, 'i', 'i', 'i')                        \
  X(i32_gt_s, 0x4A, 'i', 'i', 'i') X(i32_gt_u, 0x4B, 'i', 'i', 'i')                        \
  X(i32_le_s, 0x4C, 'i', 'i', 'i') X(i32_le_u, 0x4D, 'i', 'i', 'i')                        \
  X(i32_ge_s, 0x4E, 'i', 'i', 'i') X(i32_ge_u, 0x4F, 'i', 'i', 'i')                        \
  X(i64_eqz, 0x50, 'I', 0, 'i') X(i64_eq, 0x51, 'I', 'I', 'i') X(i64_ne, 0x52, 'I', 'I', 'i') \
  X(i64_lt_s, 0x53, 'I', 'I', 'i') X(i64_lt_u, 0x54, 'I', 'I', 'i')                        \
  X(i64_gt_s, 0x55, 'I', 'I', 'i') X(i64_gt_u, 0x56, 'I', 'I', 'i')                        \
  X(i64_le_s, 0x57, 'I', 'I', 'i') X(i64_le_u, 0x58, 'I', 'I', 'i')                        \
  X(i64_ge_s, 0x59, 'I', 'I', 'i') X(i64_ge_u, 0x5A, 'I', 'I', 'i')                        \
  X(f32_eq, 0x5B, 'f', 'f', 'i') X(f32_ne, 0x5C, 'f', 'f', 'i') X(f32_lt, 0x5D, 'f', 'f', 'i') \
  X(f32_gt, 0x5E, 'f', 'f', 'i') X(f32_le, 0x5F, 'f', 'f', 'i') X(f32_ge, 0x60, 'f', 'f', 'i') \
  X(f64_eq, 0x61, 'F', 'F', 'i') X(f64_ne, 0x62, 'F', 'F', 'i') X(f64_lt, 0x63, 'F', 'F', 'i') \
  X(f64_gt, 0x64, 'F', 'F', 'i') X(f64_le, 0x65, 'F', 'F', 'i') X(f64_ge, 0x66, 'F', 'F', 'i') \
  X(i32_clz, 0x67, 'i', 0, 'i') X(i32_ctz, 0x68, 'i', 0, 'i') X(i32_popcnt, 0x69, 'i', 0, 'i') \
  X(i32_add, 0x6A, 'i', 'i', 'i') X(i32_sub, 0x6B, 'i', 'i', 'i')                          \
  X(i32_mul, 0x6C, 'i', 'i', 'i') X(i32_div_s, 0x6D, 'i', 'i', 'i')                        \
  X(i32_div_u, 0x6E, 'i', 'i', 'i') X(i32_rem_s, 0x6F, 'i', 'i', 'i')                      \
  X(i32_rem_u, 0x70, 'i', 'i', 'i') X(i32_and, 0x71, 'i', 'i', 'i')                        \
  X(i32_or, 0x72, 'i', 'i', 'i') X(i32_xor, 0x73, 'i', 'i', 'i')                           \
  X(i32_shl, 0x74, 'i', 'i', 'i') X(i32_shr_s, 0x75, 'i', 'i', 'i')                        \
  X(i32_shr_u, 0x76, 'i', 'i', 'i') X(i32_rotl, 0x77, 'i', 'i', 'i')                       \
  X(i32_rotr, 0x78, 'i', 'i', 'i')                                                         \
  X(i64_clz, 0x79, 'I', 0, 'I') X(i64_ctz, 0x7A, 'I', 0, 'I') X(i64_popcnt, 0x7B, 'I', 0, 'I') \
  X(i64_add, 0x7C, 'I', 'I', 'I') X(i64_sub, 0x7D, 'I', 'I', 'I')                          \
  X(i64_mul, 0x7E, 'I', 'I', 'I') X(i64_div_s, 0x7F, 'I', 'I', 'I')                        \
  X(i64_div_u, 0x80, 'I', 'I', 'I') X(i64_rem_s, 0x81, 'I', 'I', 'I')                      \
  X(i64_rem_u, 0x82, 'I', 'I', 'I') X(i64_and, 0x83, 'I', 'I', 'I')                        \
  X(i64_or, 0x84, 'I', 'I', 'I') X(i64_xor, 0x85, 'I', 'I', 'I')                           \
  X(i64_shl, 0x86, 'I', 'I', 'I') X(i64_shr_s, 0x87, 'I', 'I', 'I')                        \
  X(i64_shr_u, 0x88, 'I', 'I', 'I') X(i64_rotl, 0x89, 'I', 'I', 'I')                       \
  X(i64_rotr, 0x8A, 'I', 'I', 'I')                                                         \
  X(f32_abs, 0x8B, 'f', 0, 'f') X(f32_neg, 0x8C, 'f', 0, 'f') X(f32_ceil, 0x8D, 'f', 0, 'f') \
  X(f32_floor, 0x8E, 'f', 0, 'f') X(f32_trunc, 0x8F, 'f', 0, 'f')                          \
  X(f32_nearest, 0x90, 'f', 0, 'f') X(f32_sqrt, 0x91, 'f', 0, 'f')                         \
  X(f32_add, 0x92, 'f', 'f', 'f') X(f32_sub, 0x93, 'f', 'f', 'f')                          \
  X(f32_mul, 0x94, 'f', 'f', 'f') X(f32_div, 0x95, 'f', 'f', 'f')                          \
  X(f32_min, 0x96, 'f', 'f', 'f') X(f32_max, 0x97, 'f', 'f', 'f')                          \
  X(f32_copysign, 0x98, 'f', 'f', 'f')                                                     \
  X(f64_abs, 0x99, 'F', 0, 'F') X(f64_neg, 0x9A, 'F', 0, 'F') X(f64_ceil, 0x9B, 'F', 0, 'F') \
  X(f64_floor, 0x9C, 'F', 0, 'F') X(f64_trunc, 0x9D, 'F', 0, 'F')                          \
  X(f64_nearest, 0x9E, 'F', 0, 'F') X(f64_sqrt, 0x9F, 'F', 0, 'F')                         \
  X(f64_add, 0xA0, 'F', 'F', 'F') X(f64_sub, 0xA1, 'F', 'F', 'F')                          \
  X(f64_mul, 0xA2, 'F', 'F', 'F') X(f64_div, 0xA3, 'F', 'F', 'F')                          \
  X(f64_min, 0xA4, 'F', 'F', 'F') X(f64_max, 0xA5, 'F', 'F', 'F')                          \
  X(f64_copysign, 0xA6, 'F', 'F', 'F')                                                     \
  X(i32_wrap_i64, 0xA7, 'I', 0, 'i') X(i32_trunc_f32_s, 0xA8, 'f', 0, 'i')                 \
  X(i32_trunc_f32_u, 0xA9, 'f', 0, 'i') X(i32_trunc_f64_s, 0xAA, 'F', 0, 'i')              \
  X(i32_trunc_f64_u, 0xAB, 'F', 0, 'i') X(i64_extend_i32_s, 0xAC, 'i', 0, 'I')             \
  X(i64_extend_i32_u, 0xAD, 'i', 0, 'I') X(i64_trunc_f32_s, 0xAE, 'f', 0, 'I')             \
  X(i64_trunc_f32_u, 0xAF, 'f', 0, 'I') X(i64_trunc_f64_s, 0xB0, 'F', 0, 'I')              \
  X(i64_trunc_f64_u, 0xB1, 'F', 0, 'I') X(f32_convert_i32_s, 0xB2, 'i', 0, 'f')            \
  X(f32_convert_i32_u, 0xB3, 'i', 0, 'f') X(f32_convert_i64_s, 0xB4, 'I', 0, 'f')          \
  X(f32_convert_i64_u, 0xB5, 'I', 0, 'f') X(f32_demote_f64, 0xB6, 'F', 0, 'f')             \
  X(f64_convert_i32_s, 0xB7, 'i', 0, 'F') X(f64_convert_i32_u, 0xB8, 'i', 0, 'F')          \
  X(f64_convert_i64_s, 0xB9, 'I', 0, 'F') X(f64_convert_i64_u, 0xBA, 'I', 0, 'F')          \
  X(f64_promote_f32, 0xBB, 'f', 0, 'F') X(i32_reinterpret_f32, 0xBC, 'f', 0, 'i')          \
  X(i64_reinterpret_f64, 0xBD, 'F', 0, 'I') X(f32_reinterpret_i32, 0xBE, 'i', 0, 'f')      \
  X(f64_reinterpret_i64, 0xBF, 'I', 0, 'F')                                                \
  X(i32_extend8_s, 0xC0, 'i', 0, 'i') X(i32_extend16_s, 0xC1, 'i', 0, 'i')                 \
  X(i64_extend8_s, 0xC2, 'I', 0, 'I') X(i64_extend16_s, 0xC3, 'I', 0, 'I')                 \
  X(i64_extend32_s, 0xC4, 'I', 0, 'I')                                                     \
  X(i32_trunc_sat_f32_s, 0x100, 'f', 0, 'i') X(i32_trunc_sat_f32_u, 0x101, 'f', 0, 'i')    \
  X(i32_trunc_sat_f64_s, 0x102, 'F', 0, 'i') X(i32_trunc_sat_f64_u, 0x103, 'F', 0, 'i')    \
  X(i64_trunc_sat_f32_s, 0x104, 'f', 0, 'I') X(i64_trunc_sat_f32_u, 0x105, 'f', 0, 'I')    \
  X(i64_trunc_sat_f64_s, 0x106, 'F', 0, 'I') X(i64_trunc_sat_f64_u, 0x107, 'F', 0, 'I')

/* Memory access ops: X(name, opcode, type, natural alignment log2).
 * Loads [op d addr offset], stores [op addr value offset]; each store also has a
 * constant-value form <name>_imm [op addr imm offset] (imm sign-extended to 64 bits),
 * each load an added-address form <name>_add [op d a b offset]: the address is the i32
 * sum a + b (an i32.add feeding only the load), and <name>_addi [op d a imm offset]
 * (an i32.add with a constant: the address is the 32-bit a + imm, then + offset), and
 * <name>_tadd [op d x a b offset] / <name>_taddi [op d x a imm offset]: the sum also
 * goes to local x (an address add written to x by local.set or local.tee, then loaded
 * from x); and <name>_adds [op d base idx k offset]: the address is the i32
 * base + (idx << k) (an i32_add_shl_imm feeding only the load; listed after the chains),
 * and <name>_addsi [op d idx k imm offset]: the address is the i32 (idx << k) + imm (a
 * constant base; listed last). */
#define TRE_LOADOPS(X)                                                                     \
  X(i32_load, 0x28, 'i', 2) X(i64_load, 0x29, 'I', 3) X(f32_load, 0x2A, 'f', 2)            \
  X(f64_load, 0x2B, 'F', 3) X(i32_load8_s, 0x2C, 'i', 0) X(i32_load8_u, 0x2D, 'i', 0)      \
  X(i32_load16_s, 0x2E, 'i', 1) X(i32_load16_u, 0x2F, 'i', 1) X(i64_load8_s, 0x30, 'I', 0) \
  X(i64_load8_u, 0x31, 'I', 0) X(i64_load16_s, 0x32, 'I', 1) X(i64_load16_u, 0x33, 'I', 1) \
  X(i64_load32_s, 0x34, 'I', 2) X(i64_load32_u, 0x35, 'I', 2)
#define TRE_STOREOPS(X)                                                                    \
  X(i32_store, 0x36, 'i', 2) X(i64_store, 0x37, 'I', 3) X(f32_store, 0x38, 'f', 2)         \
  X(f64_store, 0x39, 'F', 3) X(i32_store8, 0x3A, 'i', 0) X(i32_store16, 0x3B, 'i', 1)      \
  X(i64_store8, 0x3C, 'I', 0) X(i64_store16, 0x3D, 'I', 1) X(i64_store32, 0x3E, 'I', 2)

/* Everything else: X(name). Layouts:
 *   unreachable  [op]                       trap
 *   br           [op rel]
 *   br_if        [op cond rel]              taken when cond != 0
 *   br_unless    [op cond rel]              taken when cond == 0 (if, br_if with moves)
 *   br_back      [op rel]        br_if_back [op cond rel]
 *                                           a loop's back-edge: rel points at the loop's
 *                                           fuel op, whose cost is charged here and which
 *                                           is then skipped (one dispatch per iteration)
 *   br_table     [op idx n rel0 .. reln]    reln is the default
 *   fuel         [op cost]                  loop header: charge, or suspend here
 *   ret          [op]                       results already in slots 0..n-1
 *   ret1         [op s]                     one result: slot 0 = s, then ret
 *   call         [op func argbase]          args in argbase.., results land there
 *   call_ind     [op type table idx argbase]
 *   copy         [op d s]                   64-bit slot move
 *   copy2        [op d1 s1 d2 s2]           two moves, in this order
 *   copy_br_back [op d s rel]               a move, then a loop back-edge (br_back)
 *   copy3 / copy4 [op d1 s1 .. d4 s4]       three / four moves, in this order
 *   i32_xor_rotl2 [op d a k b j]            d = rotl(a, k) ^ rotl(b, j) (k, j constants)
 *   i32_xor_rotl3 [op d a k b j x y]        ... ^ rotl(x, y)
 *   i32_add3     [op d a b c e]             d = a + b + c + e
 *   br_table_ld8 [op addr offset n rel0 .. reln]
 *                                           br_table on the byte at addr + offset
 *   const32      [op d imm]   const64 [op d lo hi]
 *   select       [op d a b cond]
 *   global_get   [op d g]     global_set [op g s]
 *   memory_size  [op d]       memory_grow [op d delta]
 *   memory_init  [op seg d s n]  data_drop [op seg]  memory_copy [op d s n]
 *   memory_fill  [op d v n]
 *   table_get    [op t d i]   table_set [op t i v]  table_size [op t d]
 *   table_grow   [op t d init n]  table_fill [op t i v n]
 *   table_init   [op t seg d s n]  elem_drop [op seg]  table_copy [op dt st d s n]
 *   ref_is_null  [op d s]     ref_func [op d func]
 *   i32_add_imm  [op d a imm] and friends: fused forms with a constant operand.
 *   brb_eqz      [op a rel]                 back-edge taken when a == 0
 */
#define TRE_MISCOPS(X)                                                                     \
  X(unreachable) X(br) X(br_if) X(br_unless) X(br_back) X(br_if_back) X(br_table) X(fuel) X(ret) X(ret1) X(call)            \
  X(call_ind) X(copy) X(const32) X(const64) X(select) X(global_get) X(global_set)           \
  X(memory_size) X(memory_grow) X(memory_init) X(data_drop) X(memory_copy) X(memory_fill)  \
  X(table_get) X(table_set) X(table_size) X(table_grow) X(table_fill) X(table_init)        \
  X(elem_drop) X(table_copy) X(ref_is_null) X(ref_func) X(brb_eqz) X(copy2)             \
  X(copy_br_back) X(copy3) X(copy4) X(i32_xor_rotl2) X(br_table_ld8) X(i32_xor_rotl3)       \
  X(i32_add3)

/* Fused compare-and-branch: for each compare c, br_c [op a b rel], br_c_imm
 * [op a imm rel], and the loop back-edge forms brb_c / brb_c_imm (which charge the
 * loop's fuel like br_back). Four consecutive ops per compare, in this order; the i32
 * group (br_*) first, then the i64 group (br64_*, imm sign-extended). */
#define TRE_CMPS(X) X(eq) X(ne) X(lt_s) X(lt_u) X(gt_s) X(gt_u) X(le_s) X(le_u) X(ge_s) X(ge_u)

/* Fused f64 compare-and-branch [op a b rel], three per compare c (f64.c order):
 * brf64_c taken when (a c b), brf64_nc when !(a c b) (not the inverse compare: NaN),
 * brbf64_c the loop back-edge form. After the chains and scaled loads: the forms against
 * a constant, brf64_c_imm / brf64_nc_imm [op a lo hi rel] (two per compare). */
#define TRE_FCMPS(X) X(eq) X(ne) X(lt) X(gt) X(le) X(ge)

/* Constant-operand forms of binary ops: i32_<o>_imm and i64_<o>_imm [op d a imm] (the
 * i64 forms sign-extend imm; the compiler uses them when the constant fits). */
#define TRE_IMMOPS(X)                                                                      \
  X(add) X(sub) X(mul) X(and) X(or) X(xor) X(shl) X(shr_s) X(shr_u) X(rotl) X(rotr)        \
  TRE_CMPS(X)

/* Add-then-compare loop back-edges (the counter step and the loop test in one op), for
 * each compare c, i32 group then i64 group (brba64_*), four per compare in this order:
 *   brba_c       [op x a b y rel]    x = a + b;   back-edge taken when x c y
 *   brba_c_imm   [op x a b imm rel]  x = a + b;   ... when x c imm
 *   brbai_c      [op x a imm y rel]  x = a + imm; ... when x c y
 *   brbai_c_imm  [op x a imm imm rel]
 * (the i64 forms sign-extend both immediates). y is never x; x is written only when
 * the op completes (out of fuel, resuming runs it again). */

/* i32 chains: an op whose result feeds only the next op, a commutative add/and/or/xor
 * (o2), fused: i32_<o2>_<o1> [op d a b c] d = (a o1 b) o2 c, and i32_<o2>_<o1>_imm
 * [op d a imm c] d = (a o1 imm) o2 c. X(o2, o1, suffix), suffix empty or _imm. */
#define TRE_CHAINS_OF(X, o2)                                                               \
  X(o2, add, ) X(o2, sub, ) X(o2, and, ) X(o2, or, ) X(o2, xor, ) X(o2, shl, _imm)          \
  X(o2, shr_s, _imm) X(o2, shr_u, _imm) X(o2, rotl, _imm) X(o2, rotr, _imm)               \
  X(o2, and, _imm) X(o2, xor, _imm)
#define TRE_CHAINOPS(X)                                                                    \
  TRE_CHAINS_OF(X, add) TRE_CHAINS_OF(X, and) TRE_CHAINS_OF(X, or) TRE_CHAINS_OF(X, xor)

/* f64 chains, X(o2, o1): f64_<o2>_<o1>_l [op d a b c] d = (a o1 b) o2 c and
 * f64_<o2>_<o1>_r [op d a b c] d = c o2 (a o1 b). Each op rounds (no fma), and operand
 * order is kept, so NaN results are those of the two ops. */
#define TRE_F64CHAINS(X)                                                                   \
  X(add, add) X(add, sub) X(add, mul) X(sub, add) X(sub, sub) X(sub, mul) X(mul, add)      \
  X(mul, sub) X(mul, mul)

/* At the end of the list, the f64 ops storing their result (an f64.store of it, the
 * only reader): f64_add_st / f64_sub_st / f64_mul_st [op addr a b offset] and the
 * chains' f64_<o2>_<o1>_l_st / _r_st [op addr a b c offset]: mem[addr + offset] = result.
 * After them, accesses at a constant address: each load's <name>_k [op d addr offset]
 * and each store's <name>_k [op addr value offset] (addr an immediate); then for each
 * store the post-increment forms (*p = v, p += n): <name>_inc [op p value offset n],
 * <name>_inci [op p value offset imm] (p += imm), <name>_imm_inc [op p imm offset n]
 * and <name>_imm_inci [op p imm offset imm2] (a constant value, as <name>_imm). */

typedef enum trE_opcode {
#define TRE_X_NUM(name, code, a, b, r) TRE_OP_##name,
#define TRE_X_MEM(name, code, t, al) TRE_OP_##name,
#define TRE_X_MISC(name) TRE_OP_##name,
#define TRE_X_BR4(c) TRE_OP_br_##c, TRE_OP_br_##c##_imm, TRE_OP_brb_##c, TRE_OP_brb_##c##_imm,
#define TRE_X_BR64(c)                                                                      \
  TRE_OP_br64_##c, TRE_OP_br64_##c##_imm, TRE_OP_brb64_##c, TRE_OP_brb64_##c##_imm,
#define TRE_X_IMM(o) TRE_OP_i32_##o##_imm, TRE_OP_i64_##o##_imm,
#define TRE_X_BRF(c) TRE_OP_brf64_##c, TRE_OP_brf64_n##c, TRE_OP_brbf64_##c,
#define TRE_X_BRFI(c) TRE_OP_brf64_##c##_imm, TRE_OP_brf64_n##c##_imm,
#define TRE_X_FCHAIN(o2, o1) TRE_OP_f64_##o2##_##o1##_l, TRE_OP_f64_##o2##_##o1##_r,
#define TRE_X_BRA(c)                                                                       \
  TRE_OP_brba_##c, TRE_OP_brba_##c##_imm, TRE_OP_brbai_##c, TRE_OP_brbai_##c##_imm,
#define TRE_X_BRA64(c)                                                                     \
  TRE_OP_brba64_##c, TRE_OP_brba64_##c##_imm, TRE_OP_brbai64_##c, TRE_OP_brbai64_##c##_imm,
#define TRE_X_CHAIN(o2, o1, sfx) TRE_OP_i32_##o2##_##o1##sfx,
#define TRE_X_LDS(name, code, t, al) TRE_OP_##name##_adds,
#define TRE_X_LDSI(name, code, t, al) TRE_OP_##name##_addsi,
#define TRE_X_FST(o2, o1) TRE_OP_f64_##o2##_##o1##_l_st, TRE_OP_f64_##o2##_##o1##_r_st,
#define TRE_X_MEMK(name, code, t, al) TRE_OP_##name##_k,
#define TRE_X_STINC(name, code, t, al)                                                     \
  TRE_OP_##name##_inc, TRE_OP_##name##_inci, TRE_OP_##name##_imm_inc, TRE_OP_##name##_imm_inci,
#define TRE_X_STI(name, code, t, al) TRE_OP_##name##_imm,
#define TRE_X_LDA(name, code, t, al)                                                       \
  TRE_OP_##name##_add, TRE_OP_##name##_addi, TRE_OP_##name##_tadd, TRE_OP_##name##_taddi,
  TRE_NUMOPS(TRE_X_NUM) TRE_LOADOPS(TRE_X_MEM) TRE_STOREOPS(TRE_X_MEM) TRE_MISCOPS(TRE_X_MISC)
  TRE_CMPS(TRE_X_BR4) TRE_CMPS(TRE_X_BR64) TRE_IMMOPS(TRE_X_IMM) TRE_STOREOPS(TRE_X_STI)
  TRE_LOADOPS(TRE_X_LDA) TRE_FCMPS(TRE_X_BRF) TRE_CMPS(TRE_X_BRA) TRE_CMPS(TRE_X_BRA64)
  TRE_CHAINOPS(TRE_X_CHAIN) TRE_LOADOPS(TRE_X_LDS) TRE_FCMPS(TRE_X_BRFI)
  TRE_F64CHAINS(TRE_X_FCHAIN) TRE_LOADOPS(TRE_X_LDSI)
  TRE_OP_f64_add_st, TRE_OP_f64_sub_st, TRE_OP_f64_mul_st, TRE_F64CHAINS(TRE_X_FST)
  TRE_LOADOPS(TRE_X_MEMK) TRE_STOREOPS(TRE_X_MEMK) TRE_STOREOPS(TRE_X_STINC)
#undef TRE_X_STINC
#undef TRE_X_MEMK
#undef TRE_X_FST
#undef TRE_X_LDSI
#undef TRE_X_FCHAIN
#undef TRE_X_BRFI
#undef TRE_X_LDS
#undef TRE_X_CHAIN
#undef TRE_X_BRA64
#undef TRE_X_BRA
#undef TRE_X_BRF
#undef TRE_X_LDA
#undef TRE_X_STI
#undef TRE_X_IMM
#undef TRE_X_BR64
#undef TRE_X_BR4
#undef TRE_X_NUM
#undef TRE_X_MEM
#undef TRE_X_MISC
  TRE_OP_COUNT
} trE_opcode;

#endif
