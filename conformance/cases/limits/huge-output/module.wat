(module
  
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (drop (memory.grow (i32.const 112))) (i64.const 7340032)))
