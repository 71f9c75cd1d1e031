(module
  (memory (export "memory") 1 1000)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (drop (memory.grow (i32.const 900)))
    (memory.fill (i32.const 0) (i32.const 1) (i32.const 58982400))
    (i64.const 0)))
