;; tests/wasi/programs/start_loop.wat: a module whose start function never returns, for
;; `troupe wasm run --fuel N --invoke f`: the fuel must stop the start function too.
(module
  (func $spin (loop $forever (br $forever)))
  (start $spin)
  (func (export "f")))
