;; deep: recurses without end (stack_exhausted).
(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (i64.extend_i32_u (call $r (i32.const 0)))))
