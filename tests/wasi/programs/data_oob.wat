;; tests/wasi/programs/data_oob.wat: the second data segment ends past the one page of
;; memory, so instantiation traps before anything runs.
(module
  (memory 1)
  (data (i32.const 0) "ok")
  (data (i32.const 65534) "abcd")
  (func (export "f")))
