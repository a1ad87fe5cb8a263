;; data.wat: the spawn micro-benchmark module -- one 64 KiB memory page with an active
;; data segment at 1 KiB (where clang puts a C program's static data), so every
;; instantiation writes into its memory and touches one OS page of it, as a real
;; component's does. small.wat has no data segment: its pages are never touched by
;; instantiation.
(module
  (memory 1)
  (data (i32.const 1024) "component state: 0123456789abcdef0123456789abcdef0123456789abcdef")
  (func (export "peek") (param $a i32) (result i32)
    (i32.load8_u (local.get $a))))
