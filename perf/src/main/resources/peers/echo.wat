;; echo: returns its input unchanged.
(module
  (memory (export "memory") 1)
  ;; Bump allocator from 1024, reset per invocation by kiln_handle.
  (global $bump (mut i32) (i32.const 1024))
  (func (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    ;; Grow when the payload does not fit (one page per 64 KiB, plus one).
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (global.set $bump (i32.const 1024))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
