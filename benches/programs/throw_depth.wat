;; throw_depth.wat: what a thrown exception costs when it is caught 10 frames up (exception
;; handling: tag, throw, try_table). throw_depth_legacy.wat is the same with try/catch.
;;
;; run: [] -> [i64] calls $d1 ITERATIONS times, each time inside a handler. $d1 .. $d9 each call
;; the next with their argument + 1 and add their argument to its result (not a tail call, so
;; every frame stays on the stack); $d10 throws $e with 3 * its argument, so the exception
;; unwinds the 10 frames $d10 .. $d1 to run's handler, which adds the payload to the checksum.
;; Iteration i throws 3 * (i + 9): run returns the sum of 3 * (i + 9) over i < ITERATIONS,
;; 1500025500000 for 1,000,000 iterations (main.rs has the number).
(module
  (tag $e (param i32))
  (global $iterations i32 (i32.const 1000000))
  (func $d1 (param $x i32) (result i32)
    (i32.add (call $d2 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d2 (param $x i32) (result i32)
    (i32.add (call $d3 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d3 (param $x i32) (result i32)
    (i32.add (call $d4 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d4 (param $x i32) (result i32)
    (i32.add (call $d5 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d5 (param $x i32) (result i32)
    (i32.add (call $d6 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d6 (param $x i32) (result i32)
    (i32.add (call $d7 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d7 (param $x i32) (result i32)
    (i32.add (call $d8 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d8 (param $x i32) (result i32)
    (i32.add (call $d9 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d9 (param $x i32) (result i32)
    (i32.add (call $d10 (i32.add (local.get $x) (i32.const 1))) (local.get $x)))
  (func $d10 (param $x i32) (result i32)
    (throw $e (i32.mul (local.get $x) (i32.const 3))))
  (func (export "run") (result i64)
    (local $i i32) (local $payload i32) (local $sum i64)
    (loop $next
      (local.set $payload
        (block $caught (result i32)
          (try_table (catch $e $caught)
            (drop (call $d1 (local.get $i))))
          (unreachable)))  ;; $d1 never returns normally
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $payload))))
      (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (global.get $iterations))))
    (local.get $sum)))
