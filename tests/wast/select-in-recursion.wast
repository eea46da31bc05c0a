;; `select` on an `i32.eqz` condition in a function that has recursed or tail-called itself: the
;; guard wasm-smith puts before every division when traps are disallowed. kite-fuzz found wasmi
;; 2.0.0 taking the wrong operand of such a `select` from the second activation on (dividing by
;; zero, or reaching `unreachable`); kite must keep taking the right one under every convention.
(module
  (global $fuel (mut i32) (i32.const 1000))

  ;; Traps unless select(1, 0, 0 == 0) is 1, each time `n` counts down.
  (func $recursive (export "recursive") (param $n i32) (result i32) (local $zero i32)
    (drop (i32.rem_u (i32.const 7) (select (i32.const 1) (local.get $zero) (i32.eqz (local.get $zero)))))
    (if (i32.eqz (select (i32.const 1) (i32.const 0) (i32.eqz (local.get $zero)))) (then unreachable))
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 42))
      (else (call $recursive (i32.sub (local.get $n) (i32.const 1))))))

  (func $tail (export "tail") (param $n i32) (result i32) (local $zero i32)
    (drop (i32.rem_u (i32.const 7) (select (i32.const 1) (local.get $zero) (i32.eqz (local.get $zero)))))
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 42))
      (else (return_call $tail (i32.sub (local.get $n) (i32.const 1))))))

  ;; The reproducer's shape: wasm-smith's fuel check, then the guarded division, then a tail
  ;; call to itself, until the fuel runs out.
  (func $until-fuel-runs-out (export "until-fuel-runs-out") (local $cond i32)
    (if (i32.eqz (global.get $fuel)) (then unreachable))
    (global.set $fuel (i32.sub (global.get $fuel) (i32.const 1)))
    (local.set $cond (i64.eqz (i64.const 1229782938247303441)))
    (drop (i32.rem_u (i32.const -1425220979)
      (select (i32.const 1) (local.get $cond) (i32.eqz (local.get $cond)))))
    (return_call $until-fuel-runs-out))
  (func (export "fuel") (result i32) (global.get $fuel)))

(assert_return (invoke "recursive" (i32.const 0)) (i32.const 42))
(assert_return (invoke "recursive" (i32.const 5)) (i32.const 42))
(assert_return (invoke "tail" (i32.const 5)) (i32.const 42))
(assert_trap (invoke "until-fuel-runs-out") "unreachable")
(assert_return (invoke "fuel") (i32.const 0))
