;; uppercase (HTTP trigger): uppercases ASCII letters of the body in place, answers 201 with
;; content-type text/plain, x-upper: yes, and the request method in x-method.
(module
  (import "kiln" "response_set_status" (func $status (param i32) (result i32)))
  (import "kiln" "response_header_set" (func $hset (param i32 i32 i32 i32) (result i32)))
  (import "kiln" "response_header_add" (func $hadd (param i32 i32 i32 i32) (result i32)))
  (import "kiln" "request_get" (func $request_get (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "content-type")              ;; 12
  (data (i32.const 32) "text/plain; charset=utf-8") ;; 25
  (data (i32.const 64) "x-upper")                   ;; 7
  (data (i32.const 80) "yes")                       ;; 3
  (data (i32.const 96) "x-method")                  ;; 8
  (global $bump (mut i32) (i32.const 1024))
  (func (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $c i32) (local $m i32)
    (global.set $bump (i32.const 1024))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (i32.store8 (i32.add (local.get $ptr) (local.get $i))
                            (i32.sub (local.get $c) (i32.const 32)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (drop (call $status (i32.const 201)))
    (drop (call $hset (i32.const 16) (i32.const 12) (i32.const 32) (i32.const 25)))
    (drop (call $hadd (i32.const 64) (i32.const 7) (i32.const 80) (i32.const 3)))
    ;; Method into 128..191, then as header x-method.
    (local.set $m (call $request_get (i32.const 0) (i32.const 128) (i32.const 64)))
    (if (i32.gt_s (local.get $m) (i32.const 0))
      (then (drop (call $hset (i32.const 96) (i32.const 8) (i32.const 128) (local.get $m)))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
