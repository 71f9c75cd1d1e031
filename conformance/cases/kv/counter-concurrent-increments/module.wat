;; A page-view counter: kv_increment("hits", 1) and the new count as i64 little-endian.
(module
  (import "kiln" "kv_increment" (func $incr (param i32 i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hits")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (if (i32.ne (call $incr (i32.const 0) (i32.const 4) (i64.const 1) (i32.const 16)) (i32.const 0))
      (then unreachable))
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 8))))
