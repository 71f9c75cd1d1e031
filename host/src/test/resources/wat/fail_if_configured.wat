;; fail_if_configured: reports kiln.fail("configured to fail") while config key FAIL is set,
;; else returns its input. Lets a test make a function fail, then heal it, without a new upload.
(module
  (import "kiln" "config_get" (func $config_get (param i32 i32 i32 i32) (result i32)))
  (import "kiln" "fail" (func $fail (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "FAIL")                ;; 4
  (data (i32.const 32) "configured to fail")  ;; 18
  (global $bump (mut i32) (i32.const 1024))
  (func (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (global.set $bump (i32.const 1024))
    (if (i32.ge_s (call $config_get (i32.const 16) (i32.const 4) (i32.const 64) (i32.const 0))
                  (i32.const 0))
      (then
        (drop (call $fail (i32.const 32) (i32.const 18)))
        (return (i64.const 0))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
