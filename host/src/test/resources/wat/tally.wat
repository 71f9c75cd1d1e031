;; tally: counts its own invocations. Answers "<instance id>:<count>", where the id is 16 hex
;; digits drawn with random_fill when the count is 0 (an instance's first call, or every call
;; when state is reset) and the count is decimal. With isolation fresh it always answers "…:1";
;; with reuse each instance counts up. A busy flag traps if two invocations ever overlap on one
;; instance.
(module
  (import "kiln" "random_fill" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (global $busy (mut i32) (i32.const 0))
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func $hex (param $v i32) (result i32)
    (i32.add (local.get $v) (select (i32.const 48) (i32.const 87) (i32.lt_u (local.get $v) (i32.const 10)))))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (local $i i32) (local $b i32) (local $n i32) (local $at i32) (local $spin i32)
    (if (global.get $busy) (then unreachable))
    (global.set $busy (i32.const 1))
    (if (i32.eqz (global.get $count))
      (then (drop (call $random (i32.const 512) (i32.const 8)))))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    ;; Stay busy a little while, so overlapping use would be caught.
    (loop $wait
      (local.set $spin (i32.add (local.get $spin) (i32.const 1)))
      (br_if $wait (i32.lt_u (local.get $spin) (i32.const 5000))))
    ;; 16 hex digits of the id at 2048..2063, then ':' at 2064.
    (block $done (loop $digits
      (br_if $done (i32.ge_u (local.get $i) (i32.const 8)))
      (local.set $b (i32.load8_u (i32.add (i32.const 512) (local.get $i))))
      (i32.store8 (i32.add (i32.const 2048) (i32.shl (local.get $i) (i32.const 1)))
        (call $hex (i32.shr_u (local.get $b) (i32.const 4))))
      (i32.store8 (i32.add (i32.const 2049) (i32.shl (local.get $i) (i32.const 1)))
        (call $hex (i32.and (local.get $b) (i32.const 15))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $digits)))
    (i32.store8 (i32.const 2064) (i32.const 58))
    ;; The count in decimal, written backwards ending before 2080, then moved after the ':'.
    (local.set $n (global.get $count))
    (local.set $at (i32.const 2080))
    (loop $dec
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $dec (local.get $n)))
    (memory.copy (i32.const 2065) (local.get $at) (i32.sub (i32.const 2080) (local.get $at)))
    (global.set $busy (i32.const 0))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32))
            (i64.extend_i32_u (i32.sub (i32.const 2097) (local.get $at))))))
