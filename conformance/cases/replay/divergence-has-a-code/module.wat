;; Nondeterministic on purpose through state no recording holds: with isolation reuse, odd
;; invocations of an instance call clock_unix_ns, even ones random_fill. A replay starts from a
;; fresh instance, so the second invocation's replay asks for the wrong call.
(module
  (import "kiln" "clock_unix_ns" (func $unix (result i64)))
  (import "kiln" "random_fill" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (if (i32.and (global.get $n) (i32.const 1))
      (then (i64.store (i32.const 0) (call $unix)))
      (else (drop (call $random (i32.const 0) (i32.const 8)))))
    (i64.const 8)))
