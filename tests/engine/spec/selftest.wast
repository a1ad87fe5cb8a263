;; selftest.wast: the spec runner checking itself (ctest spec_selftest). The commands in
;; the first part are right and must pass; every command in the second part is WRONG on
;; purpose, one per way of failing, and must be reported as failed. The test runs with
;; --expect-passed and --expect-failed, so a runner that let a wrong result through (or
;; rejected a right one) fails it. (wast2json itself refuses wrong result counts or types
;; and unknown exports, so those cases are not here.)

(module $M
  (func (export "one") (result i32) (i32.const 1))
  (func (export "two") (result i32 i32) (i32.const 1) (i32.const 2))
  (func (export "big") (result i64) (i64.const -1))
  (func (export "f32-arith-nan") (result f32) (f32.const nan:0x600001))
  (func (export "f32-canon-nan") (result f32) (f32.const -nan))
  (func (export "f64-one") (result f64) (f64.const 1))
  (func (export "f64-neg-zero") (result f64) (f64.const -0))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "fn") (result funcref) (ref.func 0))
  (func (export "trap") (unreachable))
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $rec (export "rec") (call $rec))
  (global (export "g") i32 (i32.const 7))
)
(register "self" $M)

;; Part 1: right (13 commands with the module and the register above).
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "two") (i32.const 1) (i32.const 2))
(assert_return (invoke "big") (i64.const 0xffffffffffffffff))
(assert_return (invoke "f32-arith-nan") (f32.const nan:arithmetic))
(assert_return (invoke "f32-canon-nan") (f32.const nan:canonical))
(assert_return (invoke "f64-neg-zero") (f64.const -0))
(assert_return (invoke "ext" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))
(assert_return (get $M "g") (i32.const 7))
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "rec") "call stack exhausted")

;; Part 2: wrong (23 commands).
(assert_return (invoke "one") (i32.const 2))                        ;; 1: wrong value
(assert_return (invoke "two") (i32.const 1) (i32.const 3))          ;; 2: second result
(assert_return (invoke "f32-arith-nan") (f32.const nan:canonical))  ;; 3: not canonical
(assert_return (invoke "f64-one") (f64.const nan:arithmetic))       ;; 4: not a NaN
(assert_return (invoke "f64-neg-zero") (f64.const 0))               ;; 5: -0 is not +0
(assert_return (invoke "ext" (ref.extern 1)) (ref.extern 2))        ;; 6: another ref
(assert_return (invoke "ext" (ref.extern 0)) (ref.null extern))     ;; 7: extern 0 is not null
(assert_return (invoke "fn") (ref.null func))                       ;; 8: not null
(assert_return (get "g") (i32.const 8))                             ;; 9: global value
(assert_return (get $M "g") (i32.const 9))                          ;; 10: named module
(assert_return (invoke "trap"))                                     ;; 11: traps instead
(assert_trap (invoke "one") "unreachable")                          ;; 12: no trap
(assert_trap (invoke "div" (i32.const 0)) "integer overflow")       ;; 13: another trap
(assert_exhaustion (invoke "one") "call stack exhausted")           ;; 14: returns
(invoke "trap")                                                     ;; 15: action traps
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")  ;; 16: valid
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")     ;; 17: well-formed
(assert_unlinkable                                                  ;; 18: links
  (module (func (import "spectest" "print_i32") (param i32))) "unknown import")
(assert_unlinkable (module binary "\00asm") "unknown import")       ;; 19: does not load
(assert_trap (module (func $f)) "unreachable")                      ;; 20: instantiates
(assert_trap                                                        ;; 21: another trap
  (module (func $f unreachable) (start $f)) "out of bounds memory access")
(module                                                             ;; 22: unlinkable
  (func (import "self" "nothing-by-this-name"))
  (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 1))                          ;; 23: no module
