;; spin.wat: the suspend/resume micro-benchmark module -- a counted loop, so every fuel
;; slice ends at a loop back-edge and the work per iteration is the same with and
;; without slicing.
(module
  (func (export "spin") (param $n i32) (result i32)
    (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (local.get $acc)))
