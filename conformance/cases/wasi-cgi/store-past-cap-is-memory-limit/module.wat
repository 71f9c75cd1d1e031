;; A guest that ignores the refused grow and stores past its cap traps: memory_limit, not trap.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (memory.grow (i32.const 1000)))
    (drop (memory.grow (i32.const 31)))
    (i32.store (i32.const 2097152) (i32.const 1))))
