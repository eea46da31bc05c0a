;; `v128` values crossing everything a convention decides: parameters beyond the float argument
;; registers (and mixed with integers that ride in float registers under `wide`), results,
;; direct, indirect and tail calls, fused groups dispatching through a table, imports and
;; exports of functions and globals, and block parameters. Expected values are worked out by
;; hand from the lanes.

(module $lib
  (global (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  (func (export "swap") (param v128 v128) (result v128 v128) (local.get 1) (local.get 0))
)
(register "lib" $lib)

(module
  (import "lib" "g" (global $g (mut v128)))
  (import "lib" "swap" (func $swap (param v128 v128) (result v128 v128)))
  (global $own (mut v128) (v128.const i64x2 7 8))
  (global $fixed v128 (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16))
  (type $step (func (param i32 v128 v128) (result v128)))
  (table $t funcref (elem $add_step $sub_step $done))

  ;; Ten v128 parameters among eleven integers: more vectors than float argument registers on
  ;; either ISA, and integers past the integer registers.
  (func $many (param i32 v128 i64 v128 i32 v128 i32 v128 i32 v128 i32 v128 i32 v128 i32 v128
                      i32 v128 i32 v128 i32) (result v128)
    (i32x4.add
      (i32x4.add (i32x4.add (local.get 1) (local.get 3)) (i32x4.add (local.get 5) (local.get 7)))
      (i32x4.add
        (i32x4.add (i32x4.add (local.get 9) (local.get 11)) (i32x4.add (local.get 13) (local.get 15)))
        (i32x4.add
          (i32x4.add (local.get 17) (local.get 19))
          (i32x4.splat
            (i32.add (i32.add (i32.add (local.get 0) (i32.wrap_i64 (local.get 2))) (local.get 4))
              (i32.add (i32.add (local.get 6) (local.get 8))
                (i32.add (i32.add (local.get 10) (local.get 12))
                  (i32.add (i32.add (local.get 14) (local.get 16))
                    (i32.add (local.get 18) (local.get 20)))))))))))
  (func (export "many") (result v128)
    (call $many
      (i32.const 1) (v128.const i32x4 1 0 0 0) (i64.const 2) (v128.const i32x4 0 1 0 0)
      (i32.const 3) (v128.const i32x4 0 0 1 0) (i32.const 4) (v128.const i32x4 0 0 0 1)
      (i32.const 5) (v128.const i32x4 1 0 0 0) (i32.const 6) (v128.const i32x4 0 1 0 0)
      (i32.const 7) (v128.const i32x4 0 0 1 0) (i32.const 8) (v128.const i32x4 0 0 0 1)
      (i32.const 9) (v128.const i32x4 100 0 0 0) (i32.const 10) (v128.const i32x4 0 0 0 100)
      (i32.const 11)))

  ;; A fused group: three handlers that tail-call each other through the table, carrying two
  ;; vectors. $add_step adds and goes on to table[n & 1], $sub_step subtracts and goes on to
  ;; $add_step; each counts n down and ends at $done when n is 0.
  (func $add_step (type $step) (param $n i32) (param $acc v128) (param $x v128) (result v128)
    (if (result v128) (i32.eqz (local.get $n))
      (then (return_call_indirect (type $step) (local.get $n) (local.get $acc) (local.get $x) (i32.const 2)))
      (else (return_call_indirect (type $step)
        (i32.sub (local.get $n) (i32.const 1)) (i32x4.add (local.get $acc) (local.get $x)) (local.get $x)
        (i32.and (local.get $n) (i32.const 1))))))
  (func $sub_step (type $step) (param $n i32) (param $acc v128) (param $x v128) (result v128)
    (if (result v128) (i32.eqz (local.get $n))
      (then (return_call_indirect (type $step) (local.get $n) (local.get $acc) (local.get $x) (i32.const 2)))
      (else (return_call_indirect (type $step)
        (i32.sub (local.get $n) (i32.const 1)) (i32x4.sub (local.get $acc) (local.get $x)) (local.get $x)
        (i32.const 0)))))
  (func $done (type $step) (param i32 v128 v128) (result v128) (local.get 1))
  (func (export "interpret") (param i32) (result v128)
    (call_indirect (type $step) (local.get 0) (v128.const i32x4 0 0 0 0) (v128.const i32x4 1 -1 2 -2)
      (i32.const 0)))

  ;; Results through an import with two v128 results, and a block with a v128 parameter.
  (func (export "swapped_sub") (result v128)
    (call $swap (v128.const i32x4 10 20 30 40) (v128.const i32x4 1 2 3 4))
    (block (param v128 v128) (result v128) (i32x4.sub)))
  (func (export "select") (param i32) (result v128)
    (select (v128.const i64x2 1 2) (v128.const i64x2 3 4) (local.get 0)))

  ;; Globals: imported, defined mutable, defined immutable.
  (func (export "bump_imported") (result v128)
    (global.set $g (i32x4.add (global.get $g) (v128.const i32x4 10 10 10 10)))
    (global.get $g))
  (func (export "bump_own") (result v128)
    (global.set $own (i64x2.mul (global.get $own) (v128.const i64x2 2 3)))
    (global.get $own))
  (func (export "fixed") (result v128) (global.get $fixed))
)

;; 1+1+100 in lane 0, 1+1 in lane 1, 1+1 in lane 2, 1+1+100 in lane 3, each plus 66 = 1+2+...+11.
(assert_return (invoke "many") (v128.const i32x4 168 68 68 168))
;; n = 5: add(5) +x -> sub(4) -x -> add(3) +x -> sub(2) -x -> add(1) +x -> sub(0) done: x.
(assert_return (invoke "interpret" (i32.const 5)) (v128.const i32x4 1 -1 2 -2))
(assert_return (invoke "interpret" (i32.const 0)) (v128.const i32x4 0 0 0 0))
;; n = 4: add(4) +x -> add(3) +x -> sub(2) -x -> add(1) +x -> sub(0) done: 2x.
(assert_return (invoke "interpret" (i32.const 4)) (v128.const i32x4 2 -2 4 -4))
(assert_return (invoke "swapped_sub") (v128.const i32x4 -9 -18 -27 -36))
(assert_return (invoke "select" (i32.const 1)) (v128.const i64x2 1 2))
(assert_return (invoke "select" (i32.const 0)) (v128.const i64x2 3 4))
(assert_return (invoke "bump_imported") (v128.const i32x4 11 12 13 14))
(assert_return (invoke "bump_imported") (v128.const i32x4 21 22 23 24))
(assert_return (invoke "bump_own") (v128.const i64x2 14 24))
(assert_return (invoke "fixed") (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16))
(assert_return (get $lib "g") (v128.const i32x4 21 22 23 24))
