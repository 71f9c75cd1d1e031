;; kiln_init draws 16 random bytes and keeps them as 16 letters a..p; every invocation returns
;; them as {"r":"<letters>"}. The snapshot (and so the letters) belongs to one function version.
(module
  (import "kiln" "random_fill" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "{\"r\":\"")
  (data (i32.const 534) "\"}")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_init")
    (local $i i32)
    (drop (call $random (i32.const 256) (i32.const 16)))
    (loop $each
      (i32.store8
        (i32.add (i32.const 518) (local.get $i))
        (i32.add (i32.const 97)
          (i32.and (i32.load8_u (i32.add (i32.const 256) (local.get $i))) (i32.const 15))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 16)))))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 512) (i64.const 32)) (i64.const 24))))
