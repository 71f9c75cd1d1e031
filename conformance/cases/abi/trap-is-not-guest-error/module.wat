(module
  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param $len i32) (result i32) (i32.const 1024))
  (global $o (mut i32) (i32.const 4096))
  (func $put (param i32) (i32.store (global.get $o) (local.get 0)) (global.set $o (i32.add (global.get $o) (i32.const 4))))
  (func $bytes (param $p i32) (param $n i32) (memory.copy (global.get $o) (local.get $p) (local.get $n)) (global.set $o (i32.add (global.get $o) (local.get $n))))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    unreachable
    (i64.or (i64.const 17592186044416) (i64.extend_i32_u (i32.sub (global.get $o) (i32.const 4096))))))
