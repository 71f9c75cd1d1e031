(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  ;; The payload is a decimal byte count: grows memory and returns that many bytes.
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $i i32)
    (block $done (loop $d
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
                             (i32.sub (i32.load8_u (i32.add (local.get $ptr) (local.get $i))) (i32.const 48))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $d)))
    (drop (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1))))
    (i64.or (i64.shl (i64.const 65536) (i64.const 32)) (i64.extend_i32_u (local.get $n)))))
