;; Seed: imports of every kind (as binaryen's ttf modules import loggers), globals
;; mutable and not, exported globals, and a start function that calls an import.
(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "pick" (func $pick (param f64 i64) (result i32 f32)))
  (import "env" "g" (global $g i32))
  (import "env" "mem" (memory 1))
  (import "env" "tab" (table 1 funcref))
  (global $count (export "count") (mut i32) (i32.const 0))
  (global (export "pi") f64 (f64.const 3.14159))
  (func $init (call $log (global.get $g)))
  (start $init)
  (func (export "tick") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (drop (drop (call $pick (f64.const 1) (i64.const 2))))
    (i32.store (i32.const 0) (global.get $count))
    (global.get $count)))
