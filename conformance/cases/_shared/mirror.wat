;; mirror (HTTP trigger): answers "<method>\n<path>\n<query>\n<body>" as text/plain, with the
;; request read through kiln.request_get. Outside the HTTP trigger each field is "-1".
(module
  (import "kiln" "request_get" (func $get (param i32 i32 i32) (result i32)))
  (import "kiln" "response_header_set" (func $hset (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const 16) "content-type")
  (data (i32.const 32) "text/plain")
  (global $bump (mut i32) (i32.const 65536))
  (func (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  ;; Writes field $f at $at (room for 16 KiB) then a newline; returns the new end.
  (func $field (param $f i32) (param $at i32) (result i32)
    (local $n i32)
    (local.set $n (call $get (local.get $f) (local.get $at) (i32.const 16384)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (i32.store8 (local.get $at) (i32.const 45))            ;; "-"
        (i32.store8 offset=1 (local.get $at) (i32.const 49))   ;; "1"
        (local.set $n (i32.const 2))))
    (local.set $at (i32.add (local.get $at) (local.get $n)))
    (i32.store8 (local.get $at) (i32.const 10))
    (i32.add (local.get $at) (i32.const 1)))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $out i32) (local $end i32)
    ;; The output goes right after the payload.
    (local.set $out (i32.add (local.get $ptr) (local.get $len)))
    (if (i32.lt_u
          (i32.mul (memory.size) (i32.const 65536))
          (i32.add (i32.add (local.get $out) (local.get $len)) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 2))))))
    (local.set $end (call $field (i32.const 0) (local.get $out)))
    (local.set $end (call $field (i32.const 1) (local.get $end)))
    (local.set $end (call $field (i32.const 2) (local.get $end)))
    (memory.copy (local.get $end) (local.get $ptr) (local.get $len))
    (local.set $end (i32.add (local.get $end) (local.get $len)))
    (drop (call $hset (i32.const 16) (i32.const 12) (i32.const 32) (i32.const 10)))
    (global.set $bump (i32.const 65536))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.sub (local.get $end) (local.get $out))))))
