;; tests/wasi/programs/elem_oob.wat: an element segment of two entries at index 1 of a
;; table of two, so instantiation traps before anything runs.
(module
  (table 2 funcref)
  (func $f (export "f"))
  (elem (i32.const 1) $f $f))
