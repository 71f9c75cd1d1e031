;; upload: the function the soak uploads again every few seconds. Echoes its input after a
;; 16-byte mark; the soak replaces the mark's digits in the binary with the upload's number, so
;; every upload is new code (a new content hash, compiled and stored anew) and says which it is.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "gen-000000000000")
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
    ;; The mark goes right before the payload (kiln_alloc handed out 1024 onwards; the mark is
    ;; copied to 1008..1023 so mark + payload are contiguous).
    (memory.copy (i32.const 1008) (i32.const 16) (i32.const 16))
    (i64.or (i64.shl (i64.const 1008) (i64.const 32))
            (i64.extend_i32_u (i32.add (local.get $len) (i32.const 16))))))
