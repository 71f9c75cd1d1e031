(module
  
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (loop $l (br $l)) (i32.const 0))
  
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (i64.const 0)))
