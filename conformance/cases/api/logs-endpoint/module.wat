(module
  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param $len i32) (result i32) (i32.const 1024))
  (data (i32.const 0) "hello, logs \e2\9c\93")
  (data (i32.const 16) "oh no!")
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (drop (call $log (i32.const 1) (i32.const 0) (i32.const 15))) (drop (call $log (i32.const 3) (i32.const 16) (i32.const 6))) (i64.const 0)))
