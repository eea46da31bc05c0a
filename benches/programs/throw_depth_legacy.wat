;; throw_depth_legacy.wat: throw_depth.wat with the handler in the legacy encoding (try/catch),
;; for runtimes that implement only that (node 20). Same functions, same checksum.
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
      ;; Flat, not folded: the wat crate reads legacy try/catch only in this form.
      try (result i32)
        local.get $i
        call $d1  ;; never returns normally
      catch $e    ;; leaves the payload
      end
      local.set $payload
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $payload))))
      (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (global.get $iterations))))
    (local.get $sum)))
