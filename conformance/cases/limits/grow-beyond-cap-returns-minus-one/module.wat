(module
  
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (if (i32.ne (memory.grow (i32.const 5000)) (i32.const -1)) (then unreachable)) (i64.const 0)))
