(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  ;; Grows by the default limit (1M elements) in one step: must be refused (-1), so 0 successes.
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (local $n i32)
    (if (i32.ne (table.grow $t (ref.null func) (i32.const 1000000)) (i32.const -1))
      (then (local.set $n (i32.const 1))))
    (i32.store (i32.const 0) (local.get $n))
    (i64.const 4)))
