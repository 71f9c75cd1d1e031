;; route_probe (HTTP trigger): answers "<tag>\n<path>\n<query>\n" as text/plain, where <tag> is
;; the function's env value "tag" (so a test can tell which function a request reached) and the
;; path and query are what kiln.request_get reports. A missing field reads "-1".
(module
  (import "kiln" "request_get" (func $get (param i32 i32 i32) (result i32)))
  (import "kiln" "config_get" (func $config (param i32 i32 i32 i32) (result i32)))
  (import "kiln" "response_header_set" (func $hset (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "content-type")
  (data (i32.const 32) "text/plain")
  (data (i32.const 48) "tag")
  (global $bump (mut i32) (i32.const 65536))
  (func (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  ;; After $n bytes written at $at (or "-1" for a negative $n), a newline; returns the new end.
  (func $line (param $n i32) (param $at i32) (result i32)
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (i32.store8 (local.get $at) (i32.const 45))
        (i32.store8 offset=1 (local.get $at) (i32.const 49))
        (local.set $n (i32.const 2))))
    (local.set $at (i32.add (local.get $at) (local.get $n)))
    (i32.store8 (local.get $at) (i32.const 10))
    (i32.add (local.get $at) (i32.const 1)))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $end i32)
    ;; Output at 1024..65535 (the payload lives at 65536 and up).
    (local.set $end
      (call $line (call $config (i32.const 48) (i32.const 3) (i32.const 1024) (i32.const 1024))
                  (i32.const 1024)))
    (local.set $end
      (call $line (call $get (i32.const 1) (local.get $end) (i32.const 20000)) (local.get $end)))
    (local.set $end
      (call $line (call $get (i32.const 2) (local.get $end) (i32.const 20000)) (local.get $end)))
    (drop (call $hset (i32.const 16) (i32.const 12) (i32.const 32) (i32.const 10)))
    (global.set $bump (i32.const 65536))
    (i64.or (i64.shl (i64.const 1024) (i64.const 32))
            (i64.extend_i32_u (i32.sub (local.get $end) (i32.const 1024))))))
