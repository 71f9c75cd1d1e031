(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  ;; stores the results of three grows and the final size: -1, -1, 1, 3
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (i32.store (i32.const 0) (table.grow $t (ref.null func) (i32.const 0x7FFFFFFF)))
    (i32.store (i32.const 4) (table.grow $t (ref.null func) (i32.const -1)))
    (i32.store (i32.const 8) (table.grow $t (ref.null func) (i32.const 2)))
    (i32.store (i32.const 12) (table.size $t))
    (i64.const 16)))
