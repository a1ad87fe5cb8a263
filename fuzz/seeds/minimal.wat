;; Seed: the smallest module, and the smallest with a function export.
(module (func (export "f") (nop)))
