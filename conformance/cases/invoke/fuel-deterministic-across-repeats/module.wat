(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  ;; fib(payload length): fuel depends on the input, and only on the input.
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (i32.store (i32.const 0) (call $fib (local.get $len)))
    (i64.const 4)))
