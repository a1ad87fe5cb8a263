;; Seed: numeric instructions of every type, sign extension, saturating truncation,
;; reinterpretations, and the trapping ones (division, truncation).
(module
  (func (export "i32") (param i32 i32) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 7))
             (i32.rotl (i32.extend8_s (local.get 1)) (i32.popcnt (local.get 0)))))
  (func (export "i64") (param i64) (result i64)
    (i64.div_s (i64.extend32_s (local.get 0)) (i64.or (local.get 0) (i64.const 3))))
  (func (export "f32") (param f32) (result i32)
    (i32.trunc_sat_f32_s (f32.sqrt (f32.abs (local.get 0)))))
  (func (export "f64") (param f64) (result i64)
    (i64.reinterpret_f64 (f64.copysign (f64.nearest (local.get 0)) (f64.const -0.5))))
  (func (export "div0") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
  (func (export "trunc") (result i32) (i32.trunc_f64_s (f64.const 1e100))))
