;; header_flood_big (kiln ABI): kiln.response_header_add with an 8 KiB field, forever (past 100
;; fields every call returns -2, but the host still reads the field).
(module
  (import "kiln" "response_header_add" (func $add (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "x-flood")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 16384))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (memory.fill (i32.const 16) (i32.const 97) (i32.const 8185))
    (loop $again
      (drop (call $add (i32.const 0) (i32.const 7) (i32.const 16) (i32.const 8185)))
      (br $again))
    (i64.const 0)))
