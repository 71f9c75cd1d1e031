;; header-values: the payload names a request header; answers every value of it, one per
;; line, read with kiln.request_header by index until it returns -1 (or "-2" for a refused name).
(module
  (import "kiln" "request_header" (func $hdr (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $n i32) (local $out i32)
    (local.set $out (i32.const 65536))
    (block $done
      (loop $next
        (local.set $n (call $hdr (local.get $ptr) (local.get $len) (local.get $i)
                                 (local.get $out) (i32.const 8192)))
        (br_if $done (i32.eq (local.get $n) (i32.const -1)))
        (if (i32.eq (local.get $n) (i32.const -2))
          (then
            (i32.store8 (local.get $out) (i32.const 45))
            (i32.store8 offset=1 (local.get $out) (i32.const 50))
            (local.set $n (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (local.get $n)))
        (i32.store8 (local.get $out) (i32.const 10))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (i32.const 200)))))
    (i64.or (i64.shl (i64.const 65536) (i64.const 32))
            (i64.extend_i32_u (i32.sub (local.get $out) (i32.const 65536))))))
