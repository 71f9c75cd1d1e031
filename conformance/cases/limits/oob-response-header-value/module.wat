(module
  (import "kiln" "response_header_add" (func $f (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (drop (call $f (i32.const 0) (i32.const 1) (i32.const 65000) (i32.const 1000))) (i64.const 0)))
