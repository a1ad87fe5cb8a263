;; Golden test (dump.cmake): constant operands and the i32 and f64 chains. The header
;; comment of dump_case.cmake says how to regenerate chains.expected.
(module
  ;; constants in the op: i64.sub of a constant as an add of its negation
  ;; (i64_add_imm -5), a constant first operand of a compare mirrors it (i32_gt_u_imm),
  ;; i32.wrap_i64 costs nothing (the i32 consumer reads the slot's low half)
  (func (export "consts") (param $x i64) (param $y i32) (result i32)
    (i32.add
      (i32.wrap_i64 (i64.sub (local.get $x) (i64.const 5)))
      (i32.lt_u (i32.const 10) (local.get $y))))

  ;; three rotates xored (SHA-2's sigma functions): i32_xor_rotl3
  (func (export "sigma") (param $x i32) (result i32)
    (i32.xor
      (i32.xor (i32.rotl (local.get $x) (i32.const 26)) (i32.rotl (local.get $x) (i32.const 21)))
      (i32.rotl (local.get $x) (i32.const 7))))

  ;; four terms added: i32_add3; an and feeding an xor: i32_xor_and
  (func (export "terms") (param $a i32) (param $b i32) (param $c i32) (param $d i32)
    (result i32)
    (i32.xor
      (i32.add (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $c)) (local.get $d))
      (i32.and (local.get $a) (local.get $b))))

  ;; f64 chains, each op rounding: c + a*b (f64_add_mul_r), (a - b) * c (f64_mul_sub_l)
  (func (export "fma_free") (param $a f64) (param $b f64) (param $c f64) (result f64)
    (f64.add
      (f64.add (local.get $c) (f64.mul (local.get $a) (local.get $b)))
      (f64.mul (f64.sub (local.get $a) (local.get $b)) (local.get $c))))

  ;; four moves in a row (copy4: rotating locals) and one result moved by the return
  ;; itself (ret1)
  (func (export "rotate") (param $a i32) (param $b i32) (param $c i32) (result i32)
    (local $t i32)
    (local.set $t (local.get $a))
    (local.set $a (local.get $b))
    (local.set $b (local.get $c))
    (local.set $c (local.get $t))
    (i32.sub (local.get $a) (local.get $c))))
