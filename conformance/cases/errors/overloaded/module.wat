(module
  (import "kiln" "clock_monotonic_ns" (func $clock_monotonic_ns (result i64)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param $len i32) (result i32) (i32.const 1024))

  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $end i64) (local $i i32)
    (local.set $end (i64.add (call $clock_monotonic_ns) (i64.const 8000000000)))
    (loop $l
      (local.set $i (i32.const 0))
      (loop $spin (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $spin (i32.lt_u (local.get $i) (i32.const 2000000))))
      (br_if $l (i64.lt_s (call $clock_monotonic_ns) (local.get $end))))
    (i64.const 0)))
