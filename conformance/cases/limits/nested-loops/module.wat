(module
  
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (local $i i32) (loop $a (local.set $i (i32.const 0)) (loop $b (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $b (i32.lt_u (local.get $i) (i32.const 1000)))) (br $a)) (i64.const 0)))
