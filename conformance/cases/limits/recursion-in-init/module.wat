(module
  (memory (export "memory") 1)
  (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
  (func (export "kiln_init") (drop (call $r (i32.const 0))))
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64) (i64.const 0)))
