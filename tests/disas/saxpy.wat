;; A vector kernel: y[i] = a * x[i] + y[i] over n floats, four at a time (n a multiple of 4),
;; as clang -O3 -msimd128 writes it. The golden test pins its loop on both targets.
(module
  (memory 1)
  (func $saxpy (export "saxpy") (param $a f32) (param $x i32) (param $y i32) (param $n i32)
    (local $scale v128) (local $end i32)
    (local.set $scale (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (v128.store (local.get $y)
          (f32x4.add (f32x4.mul (local.get $scale) (v128.load (local.get $x)))
                     (v128.load (local.get $y))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $x) (local.get $end)))))))
