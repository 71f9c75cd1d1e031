;; Payload "key": kv_get of a key range past the end of memory. Payload "buf": kv_get of a
;; missing key into a buffer past the end of memory. Anything else: kv_set("ok", "1") and "ok".
(module
  (import "kiln" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "kiln" "kv_set" (func $set (param i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ok1")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 107))
      (then (drop (call $get (i32.const 65530) (i32.const 16) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 98))
      (then (drop (call $get (i32.const 0) (i32.const 2) (i32.const 65530) (i32.const 64)))))
    (drop (call $set (i32.const 0) (i32.const 2) (i32.const 2) (i32.const 1) (i64.const 0)))
    (i64.or (i64.shl (i64.const 0) (i64.const 32)) (i64.const 2))))
