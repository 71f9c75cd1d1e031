;; A command with a start function is not pooled (docs/adr/0066): the start function runs on a new
;; instance for every request, before _start, so the count it keeps in a global is always 1.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $starts (mut i32) (i32.const 0))
  (data (i32.const 64) "Content-Type: text/plain\n\nstarts=?")
  (func $init (global.set $starts (i32.add (global.get $starts) (i32.const 1))))
  (start $init)
  (func (export "_start")
    (i32.store8 (i32.const 97) (i32.add (i32.const 48) (global.get $starts)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 34))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
