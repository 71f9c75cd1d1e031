;; random_get_loop: random_get over all 16 MiB of memory, again and again.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 256)
  (func (export "_start")
    (loop $again
      (drop (call $random_get (i32.const 0) (i32.const 16777216)))
      (br $again))))
