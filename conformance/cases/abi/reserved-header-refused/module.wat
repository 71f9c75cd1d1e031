(module
  (import "kiln" "response_header_set" (func $h (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (data (i32.const 0) "content-length9")
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (i32.store8 (i32.const 100) (i32.add (i32.const 50) (call $h (i32.const 0) (i32.const 14) (i32.const 16) (i32.const 1)))) (i64.const 0x0000006400000001)))
