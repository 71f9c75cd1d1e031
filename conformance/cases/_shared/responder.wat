;; responder: the payload is a script, one command per line, that shapes the HTTP response:
;;   s <n>              kiln.response_set_status(n)
;;   h <name>: <value>  kiln.response_header_set(name, value)
;;   a <name>: <value>  kiln.response_header_add(name, value)
;;   b <text>           appends text to the body
;; Each s/h/a command appends its return code and ";" to the body, so a case sees which calls
;; the host refused (-2) as well as what reached the client.
(module
  (import "kiln" "response_set_status" (func $status (param i32) (result i32)))
  (import "kiln" "response_header_set" (func $hset (param i32 i32 i32 i32) (result i32)))
  (import "kiln" "response_header_add" (func $hadd (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (global $out (mut i32) (i32.const 0))
  (func (export "kiln_alloc") (param $len i32) (result i32)
    (if (i32.gt_u (i32.add (local.get $len) (i32.const 131072))
                  (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 15)) (i32.const 1))))))
    (i32.const 65536))
  ;; Appends the decimal form of $v to the output, then ";".
  (func $rc (param $v i32)
    (local $tmp i32) (local $n i32)
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then
        (i32.store8 (global.get $out) (i32.const 45))
        (global.set $out (i32.add (global.get $out) (i32.const 1)))
        (local.set $v (i32.sub (i32.const 0) (local.get $v)))))
    ;; Digits into 32..47 backwards, then copied.
    (local.set $tmp (i32.const 48))
    (loop $d
      (local.set $tmp (i32.sub (local.get $tmp) (i32.const 1)))
      (i32.store8 (local.get $tmp) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $d (i32.ne (local.get $v) (i32.const 0))))
    (local.set $n (i32.sub (i32.const 48) (local.get $tmp)))
    (memory.copy (global.get $out) (local.get $tmp) (local.get $n))
    (global.set $out (i32.add (global.get $out) (local.get $n)))
    (i32.store8 (global.get $out) (i32.const 59))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))
  ;; Parses a signed decimal in [$p, $end).
  (func $num (param $p i32) (param $end i32) (result i32)
    (local $v i32) (local $neg i32)
    (if (i32.and (i32.lt_u (local.get $p) (local.get $end))
                 (i32.eq (i32.load8_u (local.get $p)) (i32.const 45)))
      (then (local.set $neg (i32.const 1)) (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10))
                               (i32.sub (i32.load8_u (local.get $p)) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (if (result i32) (local.get $neg)
      (then (i32.sub (i32.const 0) (local.get $v)))
      (else (local.get $v))))
  ;; Runs the header command in [$p, $end): "<name>: <value>".
  (func $header (param $add i32) (param $p i32) (param $end i32) (result i32)
    (local $colon i32)
    (local.set $colon (local.get $p))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $colon) (local.get $end)))
        (br_if $found (i32.eq (i32.load8_u (local.get $colon)) (i32.const 58)))
        (local.set $colon (i32.add (local.get $colon) (i32.const 1)))
        (br $scan)))
    (if (result i32) (i32.ge_u (i32.add (local.get $colon) (i32.const 2)) (local.get $end))
      ;; "name:" with an empty value
      (then
        (if (result i32) (local.get $add)
          (then (call $hadd (local.get $p) (i32.sub (local.get $colon) (local.get $p)) (local.get $end) (i32.const 0)))
          (else (call $hset (local.get $p) (i32.sub (local.get $colon) (local.get $p)) (local.get $end) (i32.const 0)))))
      (else
        (if (result i32) (local.get $add)
          (then (call $hadd (local.get $p) (i32.sub (local.get $colon) (local.get $p))
                            (i32.add (local.get $colon) (i32.const 2))
                            (i32.sub (local.get $end) (i32.add (local.get $colon) (i32.const 2)))))
          (else (call $hset (local.get $p) (i32.sub (local.get $colon) (local.get $p))
                            (i32.add (local.get $colon) (i32.const 2))
                            (i32.sub (local.get $end) (i32.add (local.get $colon) (i32.const 2)))))))))
  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $p i32) (local $end i32) (local $eol i32) (local $cmd i32) (local $start i32)
    (local.set $start (i32.add (i32.add (local.get $ptr) (local.get $len)) (i32.const 16)))
    (global.set $out (local.get $start))
    (local.set $p (local.get $ptr))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $line
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        ;; End of this line.
        (local.set $eol (local.get $p))
        (block $found
          (loop $scan
            (br_if $found (i32.ge_u (local.get $eol) (local.get $end)))
            (br_if $found (i32.eq (i32.load8_u (local.get $eol)) (i32.const 10)))
            (local.set $eol (i32.add (local.get $eol) (i32.const 1)))
            (br $scan)))
        (if (i32.ge_u (i32.sub (local.get $eol) (local.get $p)) (i32.const 2))
          (then
            (local.set $cmd (i32.load8_u (local.get $p)))
            (if (i32.eq (local.get $cmd) (i32.const 115)) ;; s
              (then (call $rc (call $status (call $num (i32.add (local.get $p) (i32.const 2)) (local.get $eol))))))
            (if (i32.eq (local.get $cmd) (i32.const 104)) ;; h
              (then (call $rc (call $header (i32.const 0) (i32.add (local.get $p) (i32.const 2)) (local.get $eol)))))
            (if (i32.eq (local.get $cmd) (i32.const 97)) ;; a
              (then (call $rc (call $header (i32.const 1) (i32.add (local.get $p) (i32.const 2)) (local.get $eol)))))
            (if (i32.eq (local.get $cmd) (i32.const 98)) ;; b
              (then
                (memory.copy (global.get $out) (i32.add (local.get $p) (i32.const 2))
                             (i32.sub (local.get $eol) (i32.add (local.get $p) (i32.const 2))))
                (global.set $out (i32.add (global.get $out)
                                          (i32.sub (local.get $eol) (i32.add (local.get $p) (i32.const 2)))))))))
        (local.set $p (i32.add (local.get $eol) (i32.const 1)))
        (br $line)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $start)) (i64.const 32))
            (i64.extend_i32_u (i32.sub (global.get $out) (local.get $start))))))
