(module
  
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func $even (param i32) (result i32) (call $odd (i32.add (local.get 0) (i32.const 1)))) (func $odd (param i32) (result i32) (call $even (i32.add (local.get 0) (i32.const 1))))
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (i64.extend_i32_u (call $even (i32.const 0)))))
