(module

  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param $len i32) (result i32) (i32.const 1024))

  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (i64.extend_i32_s (i32.rem_s (i32.const 7) (i32.sub (local.get $len) (local.get $len))))))
