;; Golden test (dump.cmake): the loop and branch fusions. The header comment of
;; dump_case.cmake says how to regenerate loops.expected.
(module
  ;; an add-then-compare back-edge: the counter step and the loop test in one op
  ;; (brbai_lt_u); the sum is retargeted to its local (i32_add writes s2)
  (func (export "count_up") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $s))

  ;; a loop counted down to zero: brbai_ne_imm with a zero bound (i32.sub of a
  ;; constant is compiled as an add of its negation)
  (func (export "count_down") (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.xor (local.get $s) (local.get $n)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))

  ;; the i64 form against a constant bound: brbai64_lt_s_imm
  (func (export "count_i64") (result i64) (local $i i64)
    (loop $l
      (br_if $l (i64.lt_s (local.tee $i (i64.add (local.get $i) (i64.const 3)))
                          (i64.const 100))))
    (local.get $i))

  ;; a forward exit on a compare with a constant (br_ge_u_imm), then a move and the
  ;; back-edge in one op (copy_br_back)
  (func (export "walk") (param $p i32) (result i32) (local $q i32) (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $n) (i32.const 1000)))
        (local.set $q (i32.load (local.get $p)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $p (local.get $q))
        (br $l)))
    (local.get $n))

  ;; a forward exit on a compare of two slots (br_ge_u), two moves in a row (copy2:
  ;; rotating locals), and a plain back-edge that charges the loop's fuel (br_back)
  (func (export "fib") (param $n i32) (result i32)
    (local $a i32) (local $b i32) (local $t i32) (local $i i32)
    (local.set $b (i32.const 1))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $t (i32.add (local.get $a) (local.get $b)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (br $l)))
    (local.get $a))

  ;; a back-edge taken while a value is zero (brb_eqz), an if on a compare (the negated
  ;; compare-and-branch, br_ge_s), and an i32.eqz of a compare folded into the compare
  (func (export "branches") (param $x i32) (param $y i32) (result i32)
    (loop $l
      (local.set $x (i32.load8_u (local.get $x)))
      (br_if $l (i32.eqz (local.get $x))))
    (if (i32.lt_s (local.get $x) (local.get $y))
      (then (local.set $x (local.get $y))))
    (i32.eqz (i32.gt_u (local.get $x) (local.get $y))))

  ;; f64 compare-and-branch: against a constant materialised for it (an if: the
  ;; negation, brf64_nlt_imm), and on a loop back-edge (brbf64_gt)
  (func (export "escape") (param $x f64) (result i32) (local $k i32)
    (if (f64.lt (local.get $x) (f64.const 4))
      (then (local.set $k (i32.const 1))))
    (loop $l
      (local.set $x (f64.mul (local.get $x) (f64.const 0.5)))
      (br_if $l (f64.gt (local.get $x) (f64.const 1))))
    (local.get $k))

  (memory 1))
