(module
  (import "kiln" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param $len i32) (result i32) (i32.const 1024))

  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (drop (call $context_get (i32.const 0) (i32.const 0) (i32.const -1))) (i64.const 0)))
