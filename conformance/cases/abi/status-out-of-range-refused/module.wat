(module
  (import "kiln" "response_set_status" (func $s (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (i32.store8 (i32.const 0) (i32.add (i32.const 50) (call $s (i32.const 99)))) (i64.const 1)))
