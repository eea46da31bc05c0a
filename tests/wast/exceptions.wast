;; Exceptions across everything they cross in kite: calls of every kind, several frames, tail
;; calls (which leave their try_table), fused tail-call groups, instances; values of every type
;; through an exception; values live in the catching frame survive the throw; traps are never
;; caught. The legacy instructions: `exceptions-legacy.wast`.

(module $thrower
  (tag $e (export "e") (param i32))
  (tag $other (export "other") (param i32))
  (func (export "throw-e") (param i32) (throw $e (local.get 0)))
  (func (export "throw-other") (param i32) (throw $other (local.get 0)))
)
(register "thrower")

(module
  (tag $e (import "thrower" "e") (param i32))
  (tag $local (param i32))
  (tag $many (param i32 i64 f32 f64 v128 funcref externref))
  (import "thrower" "throw-e" (func $throw-e (param i32)))
  (import "thrower" "throw-other" (func $throw-other (param i32)))
  (type $i32->void (func (param i32)))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $deep $throw-local)

  (func $throw-local (param i32) (throw $local (local.get 0)))

  ;; n frames of ordinary calls, then a throw of $local with n.
  (func $deep (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $local (i32.const 100))))
    (call $deep (i32.sub (local.get 0) (i32.const 1))))

  ;; Caught 20 frames up, by tag, with its value.
  (func (export "deep") (result i32)
    (block $h (result i32)
      (try_table (catch $local $h) (call $deep (i32.const 20)))
      (i32.const -1)))

  ;; Through call_indirect and call_ref.
  (func (export "indirect") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $local $h)
        (call_indirect $t (type $i32->void) (i32.const 5) (local.get 0)))
      (i32.const -1)))
  (elem declare func $throw-local)
  (func (export "by-ref") (result i32)
    (block $h (result i32)
      (try_table (catch $local $h) (call_ref $i32->void (i32.const 7) (ref.func $throw-local)))
      (i32.const -1)))

  ;; Another instance's tag, imported: the same identity. A tag of the same type is another.
  (func (export "imported-tag") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $throw-e (i32.const 42)))
      (i32.const -1)))
  (func (export "other-tag") (result i32)
    (block $h (result i32)
      (block $all
        (try_table (catch $e $h) (catch_all $all) (call $throw-other (i32.const 42))))
      (i32.const -2)))

  ;; Locals live across the call survive the throw, in whatever registers the convention uses.
  (func (export "live-values") (param i32 i64 f64) (result i64)
    (local $x i32) (local $y i64)
    (local.set $x (i32.mul (local.get 0) (i32.const 3)))
    (local.set $y (i64.add (local.get 1) (i64.const 1000)))
    (block $h (result i32)
      (try_table (catch $local $h) (call $deep (i32.const 5)))
      (i32.const -1))
    (i64.extend_i32_s)
    (i64.add (i64.extend_i32_s (local.get $x)))
    (i64.add (local.get $y))
    (i64.add (i64.trunc_f64_s (local.get 2))))

  ;; Every value type through one exception.
  (func (export "many") (param externref) (result i32 i64 f32 f64 i32 i32 i32)
    (local $v v128) (local $f funcref) (local $x externref)
    (block $h (result i32 i64 f32 f64 v128 funcref externref)
      (try_table (catch $many $h)
        (throw $many (i32.const -7) (i64.const 0x1_0000_0001) (f32.const 1.5) (f64.const -2.25)
          (v128.const i32x4 1 2 3 4) (ref.func $throw-local) (local.get 0)))
      (unreachable))
    (local.set $x)
    (local.set $f)
    (local.set $v)
    (i32x4.extract_lane 3 (local.get $v))
    (i32.eqz (ref.is_null (local.get $f)))
    (ref.is_null (local.get $x)))

  ;; A return_call leaves the try_table with its frame: the catch_all here never sees the
  ;; exception, the caller's try_table does.
  (func $tail-from-try (param i32)
    (block $h
      (try_table (catch_all $h) (return_call $throw-local (local.get 0))))
    (unreachable))
  (func (export "tail-leaves-try") (result i32)
    (block $h (result i32)
      (try_table (catch $local $h) (call $tail-from-try (i32.const 9)))
      (i32.const -1)))

  ;; catch_ref, then throw_ref: rethrown to the outer try_table.
  (func (export "rethrow-ref") (result i32)
    (block $outer (result i32)
      (try_table (catch $local $outer)
        (block $h (result i32 exnref)
          (try_table (catch_ref $local $h) (call $throw-local (i32.const 11)))
          (unreachable))
        (throw_ref)
        (drop))
      (i32.const -1)))

  ;; A throw inside the try_table of its own function: no runtime call, a jump.
  (func (export "local-throw") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $local $h)
        (if (local.get 0) (then (throw $local (i32.const 5)))))
      (i32.const 6)))

  ;; Many throws in a loop: each one leaves the stack where it found it.
  (func (export "loop") (param i32) (result i32)
    (local $sum i32)
    (loop $again
      (block $h (result i32)
        (try_table (catch $local $h) (call $deep (i32.const 3)))
        (i32.const 0))
      (local.set $sum (i32.add (local.get $sum)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $again (local.get 0)))
    (local.get $sum))

  ;; Traps are not exceptions.
  (func (export "trap-in-try") (result i32)
    (block $h
      (try_table (catch_all $h) (unreachable)))
    (i32.const 1))

  ;; An exception nobody catches ends the call.
  (func (export "uncaught") (call $throw-local (i32.const 1)))
)

(assert_return (invoke "deep") (i32.const 100))
(assert_return (invoke "indirect" (i32.const 1)) (i32.const 5))
(assert_return (invoke "indirect" (i32.const 0)) (i32.const 100))
(assert_return (invoke "by-ref") (i32.const 7))
(assert_return (invoke "imported-tag") (i32.const 42))
(assert_return (invoke "other-tag") (i32.const -2))
(assert_return (invoke "live-values" (i32.const 7) (i64.const 5) (f64.const 30.5)) (i64.const 1156))
(assert_return (invoke "many" (ref.extern 3))
  (i32.const -7) (i64.const 0x1_0000_0001) (f32.const 1.5) (f64.const -2.25) (i32.const 4) (i32.const 1) (i32.const 0))
(assert_return (invoke "tail-leaves-try") (i32.const 9))
(assert_return (invoke "rethrow-ref") (i32.const 11))
(assert_return (invoke "local-throw" (i32.const 1)) (i32.const 5))
(assert_return (invoke "local-throw" (i32.const 0)) (i32.const 6))
(assert_return (invoke "loop" (i32.const 1000)) (i32.const 100000))
(assert_trap (invoke "trap-in-try") "unreachable")
(assert_exception (invoke "uncaught"))
;; The instance is usable after an uncaught exception and after a trap.
(assert_return (invoke "deep") (i32.const 100))

;; A fused group: handlers that tail-call each other through a table, one of which throws; a
;; member calls normally inside a try_table.
(module
  (tag $halt (param i32))
  (type $op (func (param i32 i32) (result i32)))
  (table $ops 4 funcref)
  (elem (table $ops) (i32.const 0) func $inc $dbl $halt $guarded)
  ;; pc selects the next op: pc & 3; acc accumulates.
  (func $next (param $pc i32) (param $acc i32) (result i32)
    (return_call_indirect $ops (type $op)
      (i32.add (local.get $pc) (i32.const 1)) (local.get $acc)
      (i32.and (local.get $pc) (i32.const 3))))
  (func $inc (param $pc i32) (param $acc i32) (result i32)
    (return_call $next (local.get $pc) (i32.add (local.get $acc) (i32.const 1))))
  (func $dbl (param $pc i32) (param $acc i32) (result i32)
    (return_call $next (local.get $pc) (i32.mul (local.get $acc) (i32.const 2))))
  (func $halt (param $pc i32) (param $acc i32) (result i32)
    (if (i32.gt_u (local.get $pc) (i32.const 40)) (then (throw $halt (local.get $acc))))
    (return_call $next (local.get $pc) (local.get $acc)))
  ;; Catches what a nested run throws, and goes on with it.
  (func $guarded (param $pc i32) (param $acc i32) (result i32)
    (local $inner i32)
    (if (i32.lt_u (local.get $pc) (i32.const 8))
      (then
        (local.set $inner
          (block $h (result i32)
            (try_table (catch $halt $h) (drop (call $next (i32.const 41) (i32.const 1000))))
            (i32.const -1)))
        (local.set $acc (i32.add (local.get $acc) (local.get $inner)))))
    (return_call $next (local.get $pc) (local.get $acc)))
  (func (export "run") (result i32)
    (block $h (result i32)
      (try_table (catch $halt $h) (drop (call $next (i32.const 0) (i32.const 0))))
      (i32.const -1)))
)
;; By hand: the ops run inc, dbl, halt, guarded, ... (op pc & 3, then pc + 1). The guarded op at
;; pc 4 runs a nested chain from pc 41 (dbl: 2000, then halt throws 2000) and adds what it
;; caught: acc 2 + 2000. Then each round of four doubles and adds one; the halt reached with
;; pc 43 throws: 2052094 (a Python model of the same ops agrees).
(assert_return (invoke "run") (i32.const 2052094))
