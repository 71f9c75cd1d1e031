;; spin: never returns. Deployed twice: with a small fuel budget (fuel_exhausted) and with a short
;; timeout and plenty of fuel (timeout).
(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "kiln_handle") (param i32 i32) (result i64)
    (loop $forever (br $forever))
    (i64.const 0)))
