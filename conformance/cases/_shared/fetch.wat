;; Outbound HTTP guest for outbound/ and the hostile corpus (wasm-abi/ABI.md 4.13).
;; kiln_handle: the payload is a URL; GET it once and answer rc i32 LE (the handle or the error
;;   code), status i32 LE (0 on error), then the response body.
;; flood: GET the payload URL 1000 times; answer the last call's rc (i32 LE).
;; bad_url / bad_buffer: pass a range outside memory (abi_violation).
(module
  (import "kiln" "http_send" (func $send (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "kiln" "http_response_status" (func $status (param i32) (result i32)))
  (import "kiln" "http_response_body" (func $body (param i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const 0) "GET")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func $get (param $p i32) (param $len i32) (result i32)
    (call $send (i32.const 0) (i32.const 3) (local.get $p) (local.get $len)
                (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "kiln_handle") (param $p i32) (param $len i32) (result i64)
    (local $h i32) (local $n i32)
    (local.set $h (call $get (local.get $p) (local.get $len)))
    (i32.store (i32.const 65536) (local.get $h))
    (i32.store (i32.const 65540) (i32.const 0))
    (if (i32.ge_s (local.get $h) (i32.const 0))
      (then
        (i32.store (i32.const 65540) (call $status (local.get $h)))
        (local.set $n (call $body (local.get $h) (i32.const 65544) (i32.const 131072)))))
    (i64.or (i64.shl (i64.const 65536) (i64.const 32))
            (i64.extend_i32_u (i32.add (i32.const 8) (local.get $n)))))
  (func (export "flood") (param $p i32) (param $len i32) (result i64)
    (local $i i32) (local $rc i32)
    (loop $again
      (local.set $rc (call $get (local.get $p) (local.get $len)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 1000))))
    (i32.store (i32.const 65536) (local.get $rc))
    (i64.or (i64.shl (i64.const 65536) (i64.const 32)) (i64.const 4)))
  (func (export "bad_url") (param i32 i32) (result i64)
    (drop (call $send (i32.const 0) (i32.const 3) (i32.const 0xFFFFFF00) (i32.const 0x200)
                      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i64.const 0))
  (func (export "bad_buffer") (param i32 i32) (result i64)
    (drop (call $body (i32.const 0) (i32.const 0xFFFFFF00) (i32.const 0x200)))
    (i64.const 0))
)
