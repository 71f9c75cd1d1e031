(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  ;; adds two vectors and returns lane 0: the compiler fails on v128.const
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (i32.store (i32.const 0)
      (i32x4.extract_lane 0 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 40 1 1 1))))
    (i64.const 4)))
