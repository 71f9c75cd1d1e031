;; sleepy: busy-waits for as many milliseconds as the payload says (decimal, 0 if empty), then
;; answers its tag "v1". Tests replace the tag to make a second version of the same function.
(module
  (import "kiln" "clock_monotonic_ns" (func $now (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 2048) "v1")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param $p i32) (param $len i32) (result i64)
    (local $ms i64) (local $i i32) (local $until i64) (local $spin i32)
    (block $done (loop $digits
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $ms (i64.add (i64.mul (local.get $ms) (i64.const 10))
        (i64.extend_i32_u (i32.sub (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 48)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $digits)))
    (local.set $until (i64.add (call $now) (i64.mul (local.get $ms) (i64.const 1000000))))
    ;; Spin between clock reads: host calls per invocation are capped (100 000), and a metered
    ;; loop of 2M iterations still takes ~1 ms, so an 8 s sleep stays far below the cap.
    (block $out (loop $wait
      (br_if $out (i64.ge_s (call $now) (local.get $until)))
      (local.set $spin (i32.const 0))
      (loop $busy
        (local.set $spin (i32.add (local.get $spin) (i32.const 1)))
        (br_if $busy (i32.lt_u (local.get $spin) (i32.const 2000000))))
      (br $wait)))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 2))))
