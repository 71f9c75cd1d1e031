;; stderr_iovec_bomb: fd_write to stderr with 1024 I/O vectors, each covering all 16 MiB of
;; memory, in an endless loop (the issue-13 reproduction: 12.9 s under a 100 ms timeout, "ok").
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 256)
  (func (export "_start")
    (local $i i32)
    (loop $fill
      (i32.store (i32.shl (local.get $i) (i32.const 3)) (i32.const 0))
      (i32.store (i32.add (i32.shl (local.get $i) (i32.const 3)) (i32.const 4)) (i32.const 16777216))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 1024))))
    (loop $again
      (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1024) (i32.const 8192)))
      (br $again))))
