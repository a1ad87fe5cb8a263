;; Seed: reference types and tables: funcref and externref tables, active, passive and
;; declarative element segments, ref.func / ref.null / ref.is_null, table.get/set/grow/
;; size/fill/copy/init, elem.drop, and a call through a null entry.
(module
  (type $v (func (result i32)))
  (table $f 4 8 funcref)
  (table $e 2 externref)
  (elem (table $f) (i32.const 0) func $one)
  (elem $pass funcref (ref.func $one) (ref.null func))
  (elem declare func $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func (export "tables") (result i32)
    (table.set $f (i32.const 1) (ref.func $two))
    (table.init $f $pass (i32.const 2) (i32.const 0) (i32.const 2))
    (elem.drop $pass)
    (table.copy $f $f (i32.const 0) (i32.const 1) (i32.const 2))
    (table.fill $e (i32.const 0) (ref.null extern) (i32.const 2))
    (drop (table.grow $f (ref.null func) (i32.const 2)))
    (i32.add (table.size $f) (ref.is_null (table.get $e (i32.const 1)))))
  (func (export "null_call") (result i32) (call_indirect (type $v) (i32.const 5))))
