;; bad_signature: kiln_handle is (i32) -> i32 instead of (i32, i32) -> i64; must be refused.
(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32) (result i32) (i32.const 0)))
