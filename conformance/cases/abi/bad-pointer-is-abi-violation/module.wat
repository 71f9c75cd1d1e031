;; abi_violation: logs from a pointer beyond the end of its one-page memory.
(module
  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (drop (call $log (i32.const 1) (i32.const 65530) (i32.const 100)))
    (i64.const 0)))
