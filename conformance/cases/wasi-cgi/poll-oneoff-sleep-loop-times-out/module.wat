;; poll_sleep_loop: poll_oneoff on a 10-second clock subscription, in a loop: only the deadline
;; can end it.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i64.store (i32.const 0) (i64.const 7))
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 10000000000))
    (i64.store (i32.const 32) (i64.const 0))
    (i32.store16 (i32.const 40) (i32.const 0))
    (loop $again
      (drop (call $poll (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 2048)))
      (br $again))))
