;; Drives the kv_* host calls (wasm-abi/ABI.md 4.12) from its payload; each export is one
;; operation, chosen with the function's handler setting. Every result starts with the call's
;; i32 return code (little-endian), followed by what the call produced.
;; Payload area from 64 KiB (up to ~2 MiB), output buffer at 0x230000 (cap 1 MiB + 16).
(module
  (import "kiln" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "kiln" "kv_set" (func $set (param i32 i32 i32 i32 i64) (result i32)))
  (import "kiln" "kv_delete" (func $del (param i32 i32) (result i32)))
  (import "kiln" "kv_list" (func $list (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "kiln" "kv_increment" (func $incr (param i32 i32 i64 i32) (result i32)))
  (import "kiln" "kv_compare_and_swap" (func $cas (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 64)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 65536))
  (func $out (param $rc i32) (param $extra i32) (result i64)
    (i32.store (i32.const 0x22FFFC) (local.get $rc))
    (i64.or (i64.shl (i64.const 0x22FFFC) (i64.const 32))
            (i64.extend_i32_u (i32.add (i32.const 4) (local.get $extra)))))
  ;; payload: key; result: rc, then the 8-byte sum
  (func (export "incr") (param $p i32) (param $n i32) (result i64)
    (call $out (call $incr (local.get $p) (local.get $n) (i64.const 1) (i32.const 0x230000))
               (i32.const 8)))
  ;; payload: [key length u8][ttl ms i64][key][value]
  (func (export "set") (param $p i32) (param $n i32) (result i64)
    (local $k i32)
    (local.set $k (i32.load8_u (local.get $p)))
    (call $out
      (call $set (i32.add (local.get $p) (i32.const 9)) (local.get $k)
                 (i32.add (i32.add (local.get $p) (i32.const 9)) (local.get $k))
                 (i32.sub (i32.sub (local.get $n) (i32.const 9)) (local.get $k))
                 (i64.load (i32.add (local.get $p) (i32.const 1))))
      (i32.const 0)))
  ;; payload: key; result: rc, then the value when found
  (func (export "get") (param $p i32) (param $n i32) (result i64)
    (local $rc i32)
    (local.set $rc (call $get (local.get $p) (local.get $n) (i32.const 0x230000) (i32.const 0x100010)))
    (call $out (local.get $rc)
      (select (local.get $rc) (i32.const 0) (i32.gt_s (local.get $rc) (i32.const 0)))))
  ;; payload: key
  (func (export "del") (param $p i32) (param $n i32) (result i64)
    (call $out (call $del (local.get $p) (local.get $n)) (i32.const 0)))
  ;; payload: [prefix length u8][prefix][after]; result: rc, then the page
  (func (export "list") (param $p i32) (param $n i32) (result i64)
    (local $k i32) (local $rc i32)
    (local.set $k (i32.load8_u (local.get $p)))
    (local.set $rc
      (call $list (i32.add (local.get $p) (i32.const 1)) (local.get $k)
                  (i32.add (i32.add (local.get $p) (i32.const 1)) (local.get $k))
                  (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $k))
                  (i32.const 0x230000) (i32.const 0x100010)))
    (call $out (local.get $rc)
      (select (local.get $rc) (i32.const 0) (i32.gt_s (local.get $rc) (i32.const 0)))))
  ;; payload: [key length u8][expected length u32, 0xFFFFFFFF = absent][key][expected][value]
  (func (export "cas") (param $p i32) (param $n i32) (result i64)
    (local $k i32) (local $e i32) (local $elen i32)
    (local.set $k (i32.load8_u (local.get $p)))
    (local.set $e (i32.load (i32.add (local.get $p) (i32.const 1))))
    (local.set $elen (select (i32.const 0) (local.get $e) (i32.eq (local.get $e) (i32.const -1))))
    (call $out
      (call $cas (i32.add (local.get $p) (i32.const 5)) (local.get $k)
                 (i32.add (i32.add (local.get $p) (i32.const 5)) (local.get $k)) (local.get $e)
                 (i32.add (i32.add (i32.add (local.get $p) (i32.const 5)) (local.get $k)) (local.get $elen))
                 (i32.sub (i32.sub (i32.sub (local.get $n) (i32.const 5)) (local.get $k)) (local.get $elen)))
      (i32.const 0)))
  ;; a key range past the end of memory: abi_violation
  (func (export "bad_pointer") (param i32 i32) (result i64)
    (call $out (call $get (i32.const 0x3FFFFF0) (i32.const 64) (i32.const 0) (i32.const 0))
               (i32.const 0)))
  ;; an output buffer past the end of memory, for a key that does not exist: still abi_violation
  (func (export "bad_buffer") (param $p i32) (param $n i32) (result i64)
    (call $out (call $get (local.get $p) (local.get $n) (i32.const 0x3FFFFF0) (i32.const 64))
               (i32.const 0)))
  ;; kv calls outside an invocation are unavailable: kiln_init records what kv_get returned
  (global $init_rc (mut i32) (i32.const 0))
  (func (export "kiln_init")
    (global.set $init_rc (call $get (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0))))
  (func (export "init_rc") (param i32 i32) (result i64)
    (call $out (global.get $init_rc) (i32.const 0)))
  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
    (call $out (call $incr (local.get $p) (local.get $n) (i64.const 1) (i32.const 0x230000))
               (i32.const 8))))
