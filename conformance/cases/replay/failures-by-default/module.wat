;; Reads the clock, then fails (guest_error) when the payload starts with 'F', else echoes.
(module
  (import "kiln" "clock_unix_ns" (func $unix (result i64)))
  (import "kiln" "fail" (func $fail (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "asked to fail")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (i64.store (i32.const 16) (call $unix))
    (if (i32.and (i32.gt_u (local.get $len) (i32.const 0))
                 (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 70)))
      (then (drop (call $fail (i32.const 0) (i32.const 13)))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
