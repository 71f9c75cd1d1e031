;; grows: grows memory by one page per call and returns the page count as one digit:
;; with fresh isolation every call starts from 1 page and answers "2".
(module
  (memory (export "memory") 1 8)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (drop (memory.grow (i32.const 1)))
    (i32.store8 (i32.const 2048) (i32.add (i32.const 48) (memory.size)))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 1))))
