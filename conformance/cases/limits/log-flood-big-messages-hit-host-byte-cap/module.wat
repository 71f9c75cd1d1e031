;; log_flood_big (kiln ABI): kiln.log with a 16 MiB message, forever; the host reads at most
;; 64 KiB + 1 of each, but that is still host work.
(module
  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 256)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 0))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (loop $again
      (drop (call $log (i32.const 1) (i32.const 0) (i32.const 16777216)))
      (br $again))
    (i64.const 0)))
