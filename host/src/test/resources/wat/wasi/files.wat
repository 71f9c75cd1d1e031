;; files: stdin is a command letter and a path relative to the first preopened directory (fd 3).
;;   r<path>  open for reading and copy the file to stdout
;;   w<path>  open for writing (create, truncate)
;;   d<path>  unlink the file
;; Any failing call ends with the body "errno=NN".
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 512) "errno=00")
  (func $fail (param $errno i32)
    (i32.store8 (i32.const 518) (i32.add (i32.const 48) (i32.div_u (local.get $errno) (i32.const 10))))
    (i32.store8 (i32.const 519) (i32.add (i32.const 48) (i32.rem_u (local.get $errno) (i32.const 10))))
    (i32.store (i32.const 0) (i32.const 512))
    (i32.store (i32.const 4) (i32.const 8))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $n i32) (local $r i32) (local $fd i32)
    ;; stdin into 1024..
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 1024))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $n (i32.load (i32.const 8)))
    (if (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 100)) ;; 'd'
      (then
        (local.set $r (call $unlink (i32.const 3) (i32.const 1025) (i32.sub (local.get $n) (i32.const 1))))
        (if (local.get $r) (then (call $fail (local.get $r)) (return)))
        (return)))
    (if (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 119)) ;; 'w'
      (then
        ;; oflags CREAT|TRUNC = 9, rights FD_WRITE = 64
        (local.set $r (call $path_open (i32.const 3) (i32.const 1) (i32.const 1025)
          (i32.sub (local.get $n) (i32.const 1)) (i32.const 9) (i64.const 64) (i64.const 0)
          (i32.const 0) (i32.const 16)))
        (if (local.get $r) (then (call $fail (local.get $r)) (return)))
        (return)))
    ;; read: dirflags SYMLINK_FOLLOW = 1, rights FD_READ = 2
    (local.set $r (call $path_open (i32.const 3) (i32.const 1) (i32.const 1025)
      (i32.sub (local.get $n) (i32.const 1)) (i32.const 0) (i64.const 2) (i64.const 0)
      (i32.const 0) (i32.const 16)))
    (if (local.get $r) (then (call $fail (local.get $r)) (return)))
    (local.set $fd (i32.load (i32.const 16)))
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 60000))
    (local.set $r (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (local.get $r) (then (call $fail (local.get $r)) (return)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
