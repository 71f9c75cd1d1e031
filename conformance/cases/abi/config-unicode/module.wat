;; config: returns "<GREETING>, <body>" using config key GREETING, or "no greeting".
;; It first asks with a 4-byte buffer, so a longer value exercises the buffer-too-small rule:
;; the host returns the full length and writes nothing; the guest retries with room enough.
(module
  (import "kiln" "config_get" (func $config_get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "GREETING")     ;; 8
  (data (i32.const 32) "no greeting")  ;; 11
  (data (i32.const 48) ", ")           ;; 2
  (global $bump (mut i32) (i32.const 1024))
  (func $alloc (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $buf i32) (local $out i32)
    (local.set $n (call $config_get (i32.const 16) (i32.const 8) (i32.const 64) (i32.const 4)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (global.set $bump (i32.const 1024))
        (return (i64.or (i64.shl (i64.const 32) (i64.const 32)) (i64.const 11)))))
    (local.set $buf (i32.const 64))
    (if (i32.gt_u (local.get $n) (i32.const 4))
      (then
        (local.set $buf (call $alloc (local.get $n)))
        (local.set $n (call $config_get (i32.const 16) (i32.const 8) (local.get $buf) (local.get $n)))))
    ;; Output: value + ", " + body.
    (local.set $out (call $alloc (i32.add (i32.add (local.get $n) (i32.const 2)) (local.get $len))))
    (memory.copy (local.get $out) (local.get $buf) (local.get $n))
    (memory.copy (i32.add (local.get $out) (local.get $n)) (i32.const 48) (i32.const 2))
    (memory.copy (i32.add (i32.add (local.get $out) (local.get $n)) (i32.const 2)) (local.get $ptr) (local.get $len))
    (global.set $bump (i32.const 1024))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.add (i32.add (local.get $n) (i32.const 2)) (local.get $len))))))
