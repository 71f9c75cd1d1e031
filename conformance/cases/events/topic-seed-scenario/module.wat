;; order_summary: the seed scenario. Input: an order-submitted event such as
;;   {"type":"order.submitted","orderId":"A-1001","items":3}
;; Logs "order received A-1001" (info) and returns {"orderId":"A-1001","status":"accepted"}.
;; Without an "orderId":"..." member it reports kiln.fail("missing orderId").
(module
  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "kiln" "fail" (func $fail (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "\"orderId\":\"")            ;; 11 bytes: the key we look for
  (data (i32.const 32) "order received ")           ;; 15
  (data (i32.const 48) "{\"orderId\":\"")           ;; 12
  (data (i32.const 64) "\",\"status\":\"accepted\"}") ;; 22
  (data (i32.const 96) "missing orderId")           ;; 15
  (global $bump (mut i32) (i32.const 8192))
  (func (export "kiln_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (local.get $p))

  ;; Index of the first byte after the key in [ptr, ptr+len), or -1.
  (func $find_key (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $j i32)
    (block $notfound
      (loop $outer
        (br_if $notfound (i32.gt_u (i32.add (local.get $i) (i32.const 11)) (local.get $len)))
        (local.set $j (i32.const 0))
        (block $mismatch
          (loop $inner
            (if (i32.eq (local.get $j) (i32.const 11))
              (then (return (i32.add (local.get $i) (i32.const 11)))))
            (br_if $mismatch
              (i32.ne (i32.load8_u (i32.add (i32.add (local.get $ptr) (local.get $i)) (local.get $j)))
                      (i32.load8_u (i32.add (i32.const 16) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i32.const -1))

  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $start i32) (local $end i32) (local $idlen i32) (local $out i32)
    (global.set $bump (i32.const 8192))
    (local.set $start (call $find_key (local.get $ptr) (local.get $len)))
    (if (i32.lt_s (local.get $start) (i32.const 0))
      (then
        (drop (call $fail (i32.const 96) (i32.const 15)))
        (return (i64.const 0))))
    ;; The id runs to the next quote.
    (local.set $end (local.get $start))
    (block $eos
      (loop $scan
        (br_if $eos (i32.ge_u (local.get $end) (local.get $len)))
        (br_if $eos (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $end))) (i32.const 34)))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (br $scan)))
    (local.set $idlen (i32.sub (local.get $end) (local.get $start)))
    ;; Log line at 1024: "order received " + id (ids longer than 1000 bytes are cut).
    (if (i32.gt_u (local.get $idlen) (i32.const 1000)) (then (local.set $idlen (i32.const 1000))))
    (memory.copy (i32.const 1024) (i32.const 32) (i32.const 15))
    (memory.copy (i32.const 1039) (i32.add (local.get $ptr) (local.get $start)) (local.get $idlen))
    (drop (call $log (i32.const 1) (i32.const 1024) (i32.add (i32.const 15) (local.get $idlen))))
    ;; Output at 4096: {"orderId":" + id + ","status":"accepted"}
    (local.set $out (i32.const 4096))
    (memory.copy (local.get $out) (i32.const 48) (i32.const 12))
    (memory.copy (i32.add (local.get $out) (i32.const 12)) (i32.add (local.get $ptr) (local.get $start)) (local.get $idlen))
    (memory.copy (i32.add (i32.add (local.get $out) (i32.const 12)) (local.get $idlen)) (i32.const 64) (i32.const 22))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.add (local.get $idlen) (i32.const 34))))))
