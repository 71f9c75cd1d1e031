;; counter: increments a global and a memory cell on every call and returns both as
;; "<global>,<memory>" (single digits). With fresh isolation every call must see "1,1".
;; A busy flag traps if two invocations ever run on this instance at once.
(module
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (global $busy (mut i32) (i32.const 0))
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (local $spin i32)
    (if (global.get $busy) (then unreachable))
    (global.set $busy (i32.const 1))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
    ;; Stay busy a little while, so overlapping use would be caught.
    (loop $wait
      (local.set $spin (i32.add (local.get $spin) (i32.const 1)))
      (br_if $wait (i32.lt_u (local.get $spin) (i32.const 20000))))
    (i32.store8 (i32.const 2048) (i32.add (i32.const 48) (global.get $count)))
    (i32.store8 (i32.const 2049) (i32.const 44))
    (i32.store8 (i32.const 2050) (i32.add (i32.const 48) (i32.load (i32.const 64))))
    (global.set $busy (i32.const 0))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 3))))
