;; echo-cgi: a WASI preview 1 command that answers a CGI request with its own body: a
;; Content-Type header, a blank line, then stdin copied to stdout. The wasi-cgi twin of echo.wat.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; 0: write iovec, 8: bytes written, 16: read iovec, 24: bytes read,
  ;; 64: the response head (40 bytes), 1024..65536: the copy buffer.
  (data (i32.const 64) "Content-Type: application/octet-stream\n\n")

  (func $write_all (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        ;; Stop on an error or when nothing was written (never spin).
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  (func (export "_start")
    (local $n i32)
    (call $write_all (i32.const 64) (i32.const 40))
    (block $eof
      (loop $copy
        (i32.store (i32.const 16) (i32.const 1024))
        (i32.store (i32.const 20) (i32.const 64512))
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (local.set $n (i32.load (i32.const 24)))
        (br_if $eof (i32.eqz (local.get $n)))
        (call $write_all (i32.const 1024) (local.get $n))
        (br $copy)))))
