(module
  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "kiln_alloc") (param $len i32) (result i32) (i32.const 1024))

  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (loop $l (drop (call $log (i32.const 1) (i32.const 0) (i32.const 65536))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 1000)))) (i64.const 0)))
