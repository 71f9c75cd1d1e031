;; logger: the first byte of the payload is a log level digit ('0' debug .. '3' error); the rest
;; is logged at that level and the whole payload is returned. A payload starting with 'x' fails
;; with kiln.fail (the payload as the message); an empty one returns nothing and logs nothing.
(module
  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "kiln" "fail" (func $fail (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 1024))
  (func (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $c i32)
    (global.set $bump (i32.const 1024))
    (if (i32.eqz (local.get $len)) (then (return (i64.const 0))))
    (local.set $c (i32.load8_u (local.get $ptr)))
    (if (i32.eq (local.get $c) (i32.const 120))
      (then
        (drop (call $fail (local.get $ptr) (local.get $len)))
        (return (i64.const 0))))
    (drop (call $log
      (i32.sub (local.get $c) (i32.const 48))
      (i32.add (local.get $ptr) (i32.const 1))
      (i32.sub (local.get $len) (i32.const 1))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
