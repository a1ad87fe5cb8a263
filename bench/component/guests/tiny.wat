;; tiny: the smallest component of `make bench-component` (bench/component/), for the
;; spawn, idle-memory and live-count rows. One 64 KiB page of memory (minimum and
;; maximum), no WASI, one import. _start touches the first and the last word of the page,
;; as a C program's data (at the bottom) and stack (at the top) would: 2 of the page's 16
;; 4-KiB OS pages become resident. handle-message answers an ASK with an empty reply and
;; traps on a MESSAGE of tag 99 (the restart row's crash); anything else is consumed.
(module
  (import "troupe" "reply" (func $reply (param i64 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1))
    (i32.store (i32.const 65532) (i32.const 1)))
  (func (export "handle-message")
        (param $kind i32) (param $from i64) (param $tag i32) (param $corr i64) (param $len i32)
        (result i32)
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then
        (drop (call $reply (local.get $corr) (i32.const 0) (i32.const 0)))
        (return (i32.const 0))))
    (if (i32.eq (local.get $tag) (i32.const 99))
      (then unreachable))
    (i32.const 0)))
