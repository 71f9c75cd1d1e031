;; hello: the quickstart function. Works with both triggers:
;;  - invoke:  returns "Hello, <event>!" (or "Hello, world!" for an empty event)
;;  - HTTP:    the same, as text/plain, with the request method in header x-method
;; and logs one line per invocation. Uses only kiln ABI v1 (see wasm-abi/ABI.md).
(module
  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "kiln" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (import "kiln" "request_get" (func $request_get (param i32 i32 i32) (result i32)))
  (import "kiln" "response_header_set"
    (func $header_set (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)

  ;; Static strings.
  (data (i32.const 16) "Hello, ")             ;; 7 bytes at 16
  (data (i32.const 32) "world")               ;; 5 bytes at 32
  (data (i32.const 48) "!")                   ;; 1 byte at 48
  (data (i32.const 64) "hello invoked via ")  ;; 18 bytes at 64
  (data (i32.const 96) "content-type")        ;; 12 bytes at 96
  (data (i32.const 112) "text/plain; charset=utf-8") ;; 25 bytes at 112
  (data (i32.const 144) "x-method")           ;; 8 bytes at 144

  ;; Scratch: 256..511 log line, 512..575 method, 4096.. output, 65536.. payload (bump).
  (global $bump (mut i32) (i32.const 65536))

  (func (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    ;; Grow memory when the payload does not fit yet.
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq
              (memory.grow
                (i32.add (i32.shr_u (i32.sub (global.get $bump)
                                             (i32.mul (memory.size) (i32.const 65536)))
                                    (i32.const 16))
                         (i32.const 1)))
              (i32.const -1))
          (then unreachable))))
    (local.get $p))

  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $out i32) (local $m i32)
    ;; Log "hello invoked via <trigger>": copy the prefix, then ask for the trigger name.
    (memory.copy (i32.const 256) (i32.const 64) (i32.const 18))
    (local.set $n (call $context_get (i32.const 4) (i32.const 274) (i32.const 200)))
    (drop (call $log (i32.const 1) (i32.const 256) (i32.add (i32.const 18) (local.get $n))))

    ;; HTTP trigger: plain-text content type and the method echoed in x-method.
    (local.set $m (call $request_get (i32.const 0) (i32.const 512) (i32.const 64)))
    (if (i32.gt_s (local.get $m) (i32.const 0))
      (then
        (drop (call $header_set (i32.const 96) (i32.const 12) (i32.const 112) (i32.const 25)))
        (drop (call $header_set (i32.const 144) (i32.const 8) (i32.const 512) (local.get $m)))))

    ;; Output: "Hello, " + (payload or "world") + "!", built from 4096 upward.
    (local.set $out (i32.const 4096))
    (memory.copy (local.get $out) (i32.const 16) (i32.const 7))
    (if (i32.eqz (local.get $len))
      (then
        (local.set $ptr (i32.const 32))
        (local.set $len (i32.const 5))))
    ;; Payloads go above 64 KiB, so the output region (<64 KiB) must hold them: cap at 61000 bytes.
    (if (i32.gt_u (local.get $len) (i32.const 61000))
      (then (local.set $len (i32.const 61000))))
    (memory.copy (i32.add (local.get $out) (i32.const 7)) (local.get $ptr) (local.get $len))
    (memory.copy (i32.add (i32.add (local.get $out) (i32.const 7)) (local.get $len))
                 (i32.const 48) (i32.const 1))
    ;; Reset the bump allocator: nothing outlives the invocation.
    (global.set $bump (i32.const 65536))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
      (i64.extend_i32_u (i32.add (local.get $len) (i32.const 8))))))
