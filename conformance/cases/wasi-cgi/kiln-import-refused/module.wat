;; wasi-cgi modules import only from wasi_snapshot_preview1.
(module
  (import "kiln" "log" (func (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
