(module

  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param $len i32) (result i32) (call $r (local.get $len)))
  (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (i64.const 0)))
