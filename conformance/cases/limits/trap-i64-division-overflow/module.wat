(module

  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param $len i32) (result i32) (i32.const 1024))

  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (i64.div_s (i64.const -9223372036854775808) (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $len))))))
