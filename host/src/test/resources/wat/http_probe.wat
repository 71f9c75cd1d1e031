;; Outbound HTTP probe (wasm-abi/ABI.md 4.13). kiln_handle reads a request from the payload,
;; sends it `repeat` times with http_send and answers with what the last call returned:
;;   payload: repeat u32, method_len u32, url_len u32, headers_len u32, body_len u32,
;;            then method, url, headers (name NUL value NUL ...), body
;;   result:  rc i32 (the last call's handle or error), ok i32 (calls that returned a handle),
;;            status i32, headers_len u32, headers, body   (of the last handle, if any)
;; Other exports pass bad pointers or handles, chosen with the handler setting.
(module
  (import "kiln" "http_send" (func $send (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "kiln" "http_response_status" (func $status (param i32) (result i32)))
  (import "kiln" "http_response_headers" (func $headers (param i32 i32 i32) (result i32)))
  (import "kiln" "http_response_body" (func $body (param i32 i32 i32) (result i32)))
  (memory (export "memory") 40)
  (global $out i32 (i32.const 0x110000))
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 0x10000))
  (func (export "kiln_handle") (param $p i32) (param $len i32) (result i64)
    (local $repeat i32) (local $ml i32) (local $ul i32) (local $hl i32) (local $bl i32)
    (local $m i32) (local $u i32) (local $h i32) (local $b i32)
    (local $rc i32) (local $ok i32) (local $i i32) (local $n i32) (local $at i32) (local $last i32)
    (local.set $repeat (i32.load (local.get $p)))
    (local.set $ml (i32.load offset=4 (local.get $p)))
    (local.set $ul (i32.load offset=8 (local.get $p)))
    (local.set $hl (i32.load offset=12 (local.get $p)))
    (local.set $bl (i32.load offset=16 (local.get $p)))
    (local.set $m (i32.add (local.get $p) (i32.const 20)))
    (local.set $u (i32.add (local.get $m) (local.get $ml)))
    (local.set $h (i32.add (local.get $u) (local.get $ul)))
    (local.set $b (i32.add (local.get $h) (local.get $hl)))
    (local.set $last (i32.const -1))
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $repeat)))
        (local.set $rc
          (call $send (local.get $m) (local.get $ml) (local.get $u) (local.get $ul)
                      (local.get $h) (local.get $hl) (local.get $b) (local.get $bl)))
        (if (i32.ge_s (local.get $rc) (i32.const 0))
          (then
            (local.set $ok (i32.add (local.get $ok) (i32.const 1)))
            (local.set $last (local.get $rc))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (i32.store (global.get $out) (local.get $rc))
    (i32.store offset=4 (global.get $out) (local.get $ok))
    (local.set $at (i32.add (global.get $out) (i32.const 16)))
    (if (i32.ge_s (local.get $last) (i32.const 0))
      (then
        (i32.store offset=8 (global.get $out) (call $status (local.get $last)))
        ;; the buffer convention: ask the length with cap 0, then read into place
        (local.set $n (call $headers (local.get $last) (local.get $at) (i32.const 0)))
        (drop (call $headers (local.get $last) (local.get $at) (local.get $n)))
        (i32.store offset=12 (global.get $out) (local.get $n))
        (local.set $at (i32.add (local.get $at) (local.get $n)))
        (local.set $n (call $body (local.get $last) (local.get $at) (i32.const 0)))
        (drop (call $body (local.get $last) (local.get $at) (local.get $n)))
        (local.set $at (i32.add (local.get $at) (local.get $n)))))
    (i64.or (i64.shl (i64.extend_i32_u (global.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.sub (local.get $at) (global.get $out)))))
  ;; http_send with a URL range past the end of memory: abi_violation.
  (func (export "bad_url") (param i32 i32) (result i64)
    (drop (call $send (i32.const 0) (i32.const 3) (i32.const 0xFFFFFF00) (i32.const 0x200)
                      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i64.const 0))
  ;; http_response_body into a buffer past the end of memory, even for a handle that does not
  ;; exist: abi_violation.
  (func (export "bad_buffer") (param i32 i32) (result i64)
    (drop (call $body (i32.const 7) (i32.const 0xFFFFFF00) (i32.const 0x200)))
    (i64.const 0))
  ;; http_response_status of a handle never returned: -1, as 4 bytes.
  (func (export "no_handle") (param i32 i32) (result i64)
    (i32.store (i32.const 0) (call $status (i32.const 3)))
    (i64.const 4))
)
