;; random_fill_loop (kiln ABI): kiln.random_fill of 64 KiB, the most one call may ask, forever.
(module
  (import "kiln" "random_fill" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 0))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (loop $again
      (drop (call $random (i32.const 0) (i32.const 65536)))
      (br $again))
    (i64.const 0)))
