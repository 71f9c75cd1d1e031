;; config_get_loop (kiln ABI): kiln.config_get with a 4096-byte key, the longest allowed, forever.
(module
  (import "kiln" "config_get" (func $config (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 16384))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (memory.fill (i32.const 0) (i32.const 107) (i32.const 4096))
    (loop $again
      (drop (call $config (i32.const 0) (i32.const 4096) (i32.const 8192) (i32.const 4096)))
      (br $again))
    (i64.const 0)))
