;; `call_ref` and `return_call_ref` of a reference `table.get` has just read from a table that
;; never changes: kite calls through the table's dispatch array by index, without reading the
;; reference (facts::ref_call_through_table). The traps stay those of `table.get` (out of bounds)
;; and of `call_ref` (null), under every convention; under `fused` the tail calls are also a
;; group's br_table.
(module
  (type $op (func (param i32 i32) (result i32)))
  (table $ops 4 (ref null $op))
  (elem (table $ops) (i32.const 0) (ref null $op) (ref.func $add) (ref.func $sub) (ref.null $op))
  (func $add (type $op) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $op) (i32.sub (local.get 0) (local.get 1)))
  ;; Dispatches on its first argument, counting down its second through `sub`'s slot.
  (func $step (export "step") (param $which i32) (param $n i32) (result i32)
    (return_call_ref $op (local.get $n) (i32.const 1) (table.get $ops (local.get $which))))
  (func (export "call") (param $which i32) (param $a i32) (param $b i32) (result i32)
    (call_ref $op (local.get $a) (local.get $b) (table.get $ops (local.get $which))))
  ;; The same read, not called at once: an ordinary `table.get`.
  (func (export "is_null") (param $which i32) (result i32)
    (ref.is_null (table.get $ops (local.get $which)))))

(assert_return (invoke "step" (i32.const 0) (i32.const 5)) (i32.const 6))
(assert_return (invoke "step" (i32.const 1) (i32.const 5)) (i32.const 4))
(assert_return (invoke "call" (i32.const 0) (i32.const 7) (i32.const 2)) (i32.const 9))
(assert_return (invoke "call" (i32.const 1) (i32.const 7) (i32.const 2)) (i32.const 5))
(assert_trap (invoke "step" (i32.const 2) (i32.const 5)) "null function reference")
(assert_trap (invoke "call" (i32.const 2) (i32.const 7) (i32.const 2)) "null function reference")
(assert_trap (invoke "step" (i32.const 4) (i32.const 5)) "out of bounds table access")
(assert_trap (invoke "call" (i32.const -1) (i32.const 7) (i32.const 2)) "out of bounds table access")
(assert_return (invoke "is_null" (i32.const 2)) (i32.const 1))
(assert_return (invoke "is_null" (i32.const 1)) (i32.const 0))
(assert_trap (invoke "is_null" (i32.const 4)) "out of bounds table access")
