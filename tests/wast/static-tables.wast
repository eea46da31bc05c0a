;; A table that never changes after instantiation ("static": not exported, never written, only
;; this module's functions) may be dispatched without runtime checks; the traps must stay the same.
(module
  (type $i (func (result i32)))
  (type $ii (func (param i32) (result i32)))
  (table 5 funcref)
  (elem (i32.const 0) $one $two $wrong)
  ;; entries 3 and 4 stay null
  (func $one (type $i) (i32.const 1))
  (func $two (type $i) (i32.const 2))
  (func $wrong (type $ii) (local.get 0))
  (func (export "call") (param i32) (result i32) (call_indirect (type $i) (local.get 0)))
  (func (export "tail") (param i32) (result i32) (return_call_indirect (type $i) (local.get 0)))
  (func (export "call_ii") (param i32) (result i32) (call_indirect (type $ii) (i32.const 7) (local.get 0)))
)
(assert_return (invoke "call" (i32.const 0)) (i32.const 1))
(assert_return (invoke "call" (i32.const 1)) (i32.const 2))
(assert_return (invoke "tail" (i32.const 1)) (i32.const 2))
(assert_trap (invoke "call" (i32.const 2)) "indirect call type mismatch")
(assert_trap (invoke "tail" (i32.const 2)) "indirect call type mismatch")
(assert_trap (invoke "call" (i32.const 3)) "uninitialized element")
(assert_trap (invoke "tail" (i32.const 4)) "uninitialized element")
(assert_trap (invoke "call" (i32.const 5)) "undefined element")
(assert_trap (invoke "tail" (i32.const -1)) "undefined element")
(assert_return (invoke "call_ii" (i32.const 2)) (i32.const 7))
(assert_trap (invoke "call_ii" (i32.const 0)) "indirect call type mismatch")
;; The instance is usable after all those traps.
(assert_return (invoke "tail" (i32.const 0)) (i32.const 1))
