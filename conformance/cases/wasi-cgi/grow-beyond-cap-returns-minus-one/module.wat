;; memory.grow past the function's memoryMiB (2 MiB = 32 pages) returns -1, as the spec says;
;; growing within the cap still works. Prints what it saw.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "Content-Type: text/plain\n\nrefused, then grew")
  (data (i32.const 128) "Content-Type: text/plain\n\nNOT REFUSED")
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (if (i32.eq (memory.grow (i32.const 1000)) (i32.const -1))
      (then
        (if (i32.eq (memory.grow (i32.const 31)) (i32.const 1))
          (then (call $print (i32.const 64) (i32.const 44)))
          (else (call $print (i32.const 128) (i32.const 37)))))
      (else (call $print (i32.const 128) (i32.const 37))))))
