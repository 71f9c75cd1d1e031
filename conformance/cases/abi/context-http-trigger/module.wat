;; context: returns "request_id|service|function|trigger" read with kiln.context_get.
(module
  (import "kiln" "context_get" (func $ctx (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 8192))
  ;; Appends context field $field at $at followed by $sep (when $sep >= 0); returns the new end.
  (func $put (param $field i32) (param $at i32) (param $sep i32) (result i32)
    (local $n i32)
    (local.set $n (call $ctx (local.get $field) (local.get $at) (i32.const 256)))
    (local.set $at (i32.add (local.get $at) (local.get $n)))
    (if (i32.ge_s (local.get $sep) (i32.const 0))
      (then
        (i32.store8 (local.get $at) (local.get $sep))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))))
    (local.get $at))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (local $end i32)
    (local.set $end (call $put (i32.const 0) (i32.const 1024) (i32.const 124)))
    (local.set $end (call $put (i32.const 1) (local.get $end) (i32.const 124)))
    (local.set $end (call $put (i32.const 2) (local.get $end) (i32.const 124)))
    (local.set $end (call $put (i32.const 4) (local.get $end) (i32.const -1)))
    (i64.or (i64.shl (i64.const 1024) (i64.const 32))
            (i64.extend_i32_u (i32.sub (local.get $end) (i32.const 1024))))))
