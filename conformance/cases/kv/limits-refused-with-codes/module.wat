;; Returns five i32 return codes: kv_set with a 257-byte key (-3 ERR_LIMIT), with a value of
;; 1 MiB + 1 (-3), with an empty key (-2 ERR_INVALID), with a key holding a control character
;; (-2), and kv_set of a 256-byte key with a 1 MiB value (0: exactly at the limits).
(module
  (import "kiln" "kv_set" (func $set (param i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 20)
  (data (i32.const 512) "a\01b")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (memory.fill (i32.const 0) (i32.const 107) (i32.const 257))
    (i32.store (i32.const 4096) (call $set (i32.const 0) (i32.const 257) (i32.const 8192) (i32.const 1) (i64.const 0)))
    (i32.store (i32.const 4100) (call $set (i32.const 0) (i32.const 4) (i32.const 8192) (i32.const 1048577) (i64.const 0)))
    (i32.store (i32.const 4104) (call $set (i32.const 0) (i32.const 0) (i32.const 8192) (i32.const 1) (i64.const 0)))
    (i32.store (i32.const 4108) (call $set (i32.const 512) (i32.const 3) (i32.const 8192) (i32.const 1) (i64.const 0)))
    (i32.store (i32.const 4112) (call $set (i32.const 0) (i32.const 256) (i32.const 8192) (i32.const 1048576) (i64.const 0)))
    (i64.or (i64.shl (i64.const 4096) (i64.const 32)) (i64.const 20))))
