;; loop_forever: kiln_handle never returns; the deadline must stop it.
(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (loop $forever (br $forever))
    (i64.const 0)))
