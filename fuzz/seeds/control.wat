;; Seed: structured control, br_table, multi-value blocks and returns, recursion,
;; call_indirect through a table, select.
(module
  (type $bin (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $add $fact)
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $fact (param i32 i32) (result i32)
    (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
      (then (i32.const 1))
      (else (i32.mul (local.get 0)
                     (call $fact (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))
  (func $pair (param i32) (result i32 i32) (local.get 0) (i32.const 1))
  (func (export "switch") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  (func (export "loop") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (br_if $l (i32.gt_s (local.tee 0 (i32.sub (local.get 0) (i32.const 1))) (i32.const 0))))
    (local.get 1))
  (func (export "indirect") (param i32) (result i32)
    (call_indirect (type $bin) (call $pair (i32.const 5)) (local.get 0)))
  (func (export "multi") (result i32)
    (block (result i32 i32) (call $pair (i32.const 4)))
    (select (i32.const 1))))
