;; small.wat: the instantiation / resident-memory micro-benchmark module -- one 64 KiB
;; memory page and one function that stores into it (touching one OS page of it).
(module
  (memory 1)
  (func (export "touch") (param $v i32) (result i32)
    (i32.store (i32.const 0) (local.get $v))
    (i32.load (i32.const 0))))
