;; start-kinds: echoes its input; traps when the input is "trap" (the instance is then dropped).
(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param $p i32) (param $len i32) (result i64)
    (if (i32.and (i32.eq (local.get $len) (i32.const 4))
                 (i32.eq (i32.load (local.get $p)) (i32.const 0x70617274)))
      (then unreachable))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
