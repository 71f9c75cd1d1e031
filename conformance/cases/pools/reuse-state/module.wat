;; counter: increments a global on every call and answers it as one digit. With isolation
;; reuse, sequential calls land on the same instance and count up.
(module
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 2048) (i32.add (i32.const 48) (global.get $count)))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 1))))
