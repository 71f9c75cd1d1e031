(module

  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param $len i32) (result i32) unreachable)

  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (i64.const 0)))
