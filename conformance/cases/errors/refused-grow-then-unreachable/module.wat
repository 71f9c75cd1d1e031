;; Asks for far more memory than the cap allows while well below it (the grow is refused, -1),
;; then aborts the way Rust and C runtimes do when an allocation fails: memory_limit, with the
;; trap's kind kept in the message.
(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (drop (memory.grow (i32.const 1000)))
    unreachable))
