;; stdin_iovec_once: one fd_read from stdin with 1024 I/O vectors, each all 64 MiB of memory (the
;; host must not allocate what the vectors name), then nread (4 bytes, little-endian) on stdout.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1024)
  (func (export "_start")
    (local $i i32)
    (loop $fill
      (i32.store (i32.shl (local.get $i) (i32.const 3)) (i32.const 16384))
      (i32.store (i32.add (i32.shl (local.get $i) (i32.const 3)) (i32.const 4)) (i32.const 67092480))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 1024))))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1024) (i32.const 8192)))
    (i32.store (i32.const 8200) (i32.const 8192))
    (i32.store (i32.const 8204) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 8200) (i32.const 1) (i32.const 8208)))))
