;; Seed: linear memory: active and passive data, loads and stores of every width,
;; grow, fill, copy, init, drop, and an out-of-bounds access.
(module
  (memory (export "memory") 1 4)
  (data (i32.const 16) "hello, troupe")
  (data $p "passive bytes")
  (func (export "rw") (param i32) (result i64)
    (i64.store16 offset=2 (local.get 0) (i64.const -2))
    (f64.store align=4 (i32.const 64) (f64.load offset=16 (i32.const 0)))
    (i64.add (i64.load8_s (i32.const 17)) (i64.load32_u offset=1 (local.get 0))))
  (func (export "bulk") (result i32)
    (memory.fill (i32.const 100) (i32.const 7) (i32.const 32))
    (memory.copy (i32.const 200) (i32.const 16) (i32.const 13))
    (memory.init $p (i32.const 300) (i32.const 0) (i32.const 13))
    (data.drop $p)
    (memory.grow (i32.const 1)))
  (func (export "oob") (result i32) (i32.load (i32.const 0x7ffffff0))))
