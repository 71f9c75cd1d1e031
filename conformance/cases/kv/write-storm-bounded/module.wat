;; A write storm: kv_set of distinct 4-byte keys with 512-byte values, as fast as it can, until
;; the store refuses (ERR_LIMIT at the service's key or byte limit) or the deadline ends it.
;; Answers the last return code.
(module
  (import "kiln" "kv_set" (func $set (param i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (local $i i32) (local $rc i32)
    (i32.store8 (i32.const 0) (i32.const 107))
    (block $done
      (loop $next
        (i32.store8 (i32.const 1) (i32.add (i32.const 97) (i32.rem_u (local.get $i) (i32.const 26))))
        (i32.store8 (i32.const 2) (i32.add (i32.const 97) (i32.rem_u (i32.div_u (local.get $i) (i32.const 26)) (i32.const 26))))
        (i32.store8 (i32.const 3) (i32.add (i32.const 97) (i32.rem_u (i32.div_u (local.get $i) (i32.const 676)) (i32.const 26))))
        (local.set $rc (call $set (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 512) (i64.const 0)))
        (br_if $done (i32.ne (local.get $rc) (i32.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (i32.const 17576)))))
    (i32.store (i32.const 16) (local.get $rc))
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 4))))
