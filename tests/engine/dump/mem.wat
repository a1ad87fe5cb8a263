;; Golden test (dump.cmake): the memory access fusions. The header comment of
;; dump_case.cmake says how to regenerate mem.expected.
(module
  (memory 1)
  (data (i32.const 64) "\2a\00\00\00")

  ;; base + (i << 2) only as an address: the scaled-index load (i32_load_adds), and
  ;; (i << 3) + a constant base (f64_load_addsi)
  (func (export "scaled") (param $base i32) (param $i i32) (result f64)
    (f64.add
      (f64.convert_i32_s
        (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))))
      (f64.load (i32.add (i32.shl (local.get $i) (i32.const 3)) (i32.const 1024)))))

  ;; an add of two values or of a constant as the address (i32_load_add, i64_load_addi),
  ;; and an address add tee'd to a local, then loaded from (f64_load_taddi)
  (func (export "added") (param $p i32) (param $q i32) (result f64)
    (f64.add
      (f64.add
        (f64.convert_i32_u (i32.load offset=4 (i32.add (local.get $p) (local.get $q))))
        (f64.convert_i64_s (i64.load (i32.add (local.get $p) (i32.const 16)))))
      (f64.load (local.tee $p (i32.add (local.get $p) (i32.const 8))))))

  ;; a constant address (i32_load_k, i64_store_k) and a constant value (i32_store8_imm)
  (func (export "constants") (param $p i32) (param $v i64) (result i32)
    (i64.store (i32.const 128) (local.get $v))
    (i32.store8 (local.get $p) (i32.const 7))
    (i32.load (i32.const 64)))

  ;; *p = v; p += 1 and *p = 0; p += n: post-increment stores (i32_store8_inci,
  ;; i32_store_imm_inc)
  (func (export "fill") (param $p i32) (param $v i32) (param $n i32) (result i32)
    (i32.store8 (local.get $p) (local.get $v))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (i32.store (local.get $p) (i32.const 0))
    (local.set $p (i32.add (local.get $p) (local.get $n)))
    (local.get $p))

  ;; an f64 multiply-add stored by the op itself (f64_add_mul_r_st), and a plain one
  ;; (f64_mul_st)
  (func (export "axpy") (param $p i32) (param $a f64) (param $x f64) (param $y f64)
    (f64.store (local.get $p)
      (f64.add (local.get $y) (f64.mul (local.get $a) (local.get $x))))
    (f64.store offset=8 (local.get $p) (f64.mul (local.get $a) (local.get $x))))

  ;; br_table on a byte just loaded: a bytecode interpreter's dispatch (br_table_ld8)
  (func (export "dispatch") (param $pc i32) (result i32)
    (block $c
      (block $b
        (block $a
          (br_table $a $b $c (i32.load8_u offset=2 (local.get $pc))))
        (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30)))
