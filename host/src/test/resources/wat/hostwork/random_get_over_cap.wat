;; random_get_over_cap: random_get of 32 MiB, more than one call may move; its errno (4 bytes,
;; little-endian) is the whole of stdout.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1024)
  (func (export "_start")
    (i32.store (i32.const 8192) (call $random_get (i32.const 16384) (i32.const 33554432)))
    (i32.store (i32.const 8200) (i32.const 8192))
    (i32.store (i32.const 8204) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 8200) (i32.const 1) (i32.const 8208)))))
