;; A function type with eight i32 parameters that never leaves the module: under `wide` and
;; `fused` on x86-64, kite gives integer registers only to the parameters most functions of the
;; type use (crates/frontend/src/lanes.rs) and carries the others (here 4, 5 and 6, which only
;; $done reads) in float registers. Every caller and callee must agree on that: tail calls
;; through a static table, an ordinary indirect call, a direct call, and a trap on the way.
;; Expected values worked out by hand from the rules in the comments.
(module
  (type $h (func (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) func $step $step $rare $done)

  ;; (c, acc, a, b, d, e, f, g): c = 0 goes to $done; otherwise c - 1 and acc + c go on, to
  ;; $rare when c is a multiple of 3, else to $step.
  (func $step (type $h)
    (if (i32.eqz (local.get 0))
      (then
        (return_call_indirect (type $h)
          (local.get 0) (local.get 1) (local.get 2) (local.get 3)
          (local.get 4) (local.get 5) (local.get 6) (local.get 7) (i32.const 3))))
    (return_call_indirect (type $h)
      (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (local.get 0))
      (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7)
      (select (i32.const 2) (i32.const 0) (i32.eqz (i32.rem_u (local.get 0) (i32.const 3))))))

  ;; a += c, b = 3b + 1, g ^= a (the old a); back to $step. A wrong c (0xdead) traps.
  (func $rare (type $h)
    (if (i32.eq (local.get 0) (i32.const 0xdead)) (then unreachable))
    (return_call_indirect (type $h)
      (local.get 0) (local.get 1)
      (i32.add (local.get 2) (local.get 0))
      (i32.add (i32.mul (local.get 3) (i32.const 3)) (i32.const 1))
      (local.get 4) (local.get 5) (local.get 6)
      (i32.xor (local.get 7) (local.get 2))
      (i32.const 0)))

  ;; acc + 7a + 11b + 17d + 19e + 23f + 13g
  (func $done (type $h)
    (i32.add (local.get 1)
    (i32.add (i32.mul (local.get 2) (i32.const 7))
    (i32.add (i32.mul (local.get 3) (i32.const 11))
    (i32.add (i32.mul (local.get 4) (i32.const 17))
    (i32.add (i32.mul (local.get 5) (i32.const 19))
    (i32.add (i32.mul (local.get 6) (i32.const 23))
             (i32.mul (local.get 7) (i32.const 13)))))))))

  (func (export "run") (param i32) (result i32)
    (call_indirect (type $h)
      (local.get 0) (i32.const 0) (i32.const 1) (i32.const 2)
      (i32.const 3) (i32.const 4) (i32.const 5) (i32.const 6) (i32.const 0)))

  (func (export "direct") (result i32)
    (call $done (i32.const 5) (i32.const 100) (i32.const 1) (i32.const 2)
      (i32.const 3) (i32.const 4) (i32.const 5) (i32.const 6)))

  (func (export "rare") (param i32) (result i32)
    (call_indirect (type $h)
      (local.get 0) (i32.const 0) (i32.const 1) (i32.const 2)
      (i32.const 3) (i32.const 4) (i32.const 5) (i32.const 6) (i32.const 2))))

;; n = 0: 0 + 7 + 22 + 51 + 76 + 115 + 78.
(assert_return (invoke "run" (i32.const 0)) (i32.const 349))
;; n = 1: acc = 1, then $done as for 0.
(assert_return (invoke "run" (i32.const 1)) (i32.const 350))
;; n = 10: acc = 55; $rare at c = 8, 5, 2 (after 9, 6, 3): a = 1+8+5+2 = 16, b = 2 -> 7 -> 22
;; -> 67, g = 6^1^9^14 = 0; 55 + 112 + 737 + 51 + 76 + 115 + 0.
(assert_return (invoke "run" (i32.const 10)) (i32.const 1146))
(assert_return (invoke "run" (i32.const 1000)) (i32.const -1129724207))
;; 100 + 7 + 22 + 51 + 76 + 115 + 78.
(assert_return (invoke "direct") (i32.const 449))
(assert_trap (invoke "rare" (i32.const 0xdead)) "unreachable")
;; The runtime is usable after the trap.
(assert_return (invoke "run" (i32.const 10)) (i32.const 1146))
