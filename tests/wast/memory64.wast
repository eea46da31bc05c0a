;; Memories addressed with i64 (memory64): kite checks every access against the length, since a
;; 64-bit index reaches past any reservation. An index that differs from a valid one only above
;; bit 31 must trap (a truncation to 32 bits would not), an index plus offset that overflows 64
;; bits must trap, and the bulk operations take i64 addresses, also between a 64-bit and a
;; 32-bit memory.
(module
  (memory $m64 i64 1 2)
  (memory $m32 1)
  (data (memory $m64) (i64.const 8) "\01\02\03\04")
  (func (export "load") (param i64) (result i32) (i32.load8_u $m64 (local.get 0)))
  (func (export "load_far") (param i64) (result i64) (i64.load $m64 offset=0xffff_ffff_ffff_fff0 (local.get 0)))
  (func (export "size") (result i64) (memory.size $m64))
  (func (export "grow") (param i64) (result i64) (memory.grow $m64 (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill $m64 (local.get 0) (local.get 1) (local.get 2)))
  ;; 64-bit destination, 32-bit source: the length is an i32.
  (func (export "copy_in") (param i64 i32 i32) (memory.copy $m64 $m32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "poke32") (param i32 i32) (i32.store8 $m32 (local.get 0) (local.get 1))))

(assert_return (invoke "load" (i64.const 8)) (i32.const 1))
(assert_return (invoke "load" (i64.const 11)) (i32.const 4))
(assert_trap (invoke "load" (i64.const 0x1_0000_0008)) "out of bounds memory access")
(assert_trap (invoke "load" (i64.const 0x8000_0000_0000_0008)) "out of bounds memory access")
(assert_trap (invoke "load" (i64.const 65536)) "out of bounds memory access")
(assert_trap (invoke "load_far" (i64.const 0x20)) "out of bounds memory access")
(assert_trap (invoke "load_far" (i64.const 0)) "out of bounds memory access")
(assert_return (invoke "size") (i64.const 1))
(assert_return (invoke "grow" (i64.const 1)) (i64.const 1))
(assert_return (invoke "size") (i64.const 2))
(assert_return (invoke "grow" (i64.const 1)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 0x1_0000_0000)) (i64.const -1))
(assert_return (invoke "load" (i64.const 131071)) (i32.const 0))
(assert_trap (invoke "load" (i64.const 131072)) "out of bounds memory access")
(assert_return (invoke "fill" (i64.const 131070) (i32.const 7) (i64.const 2)))
(assert_return (invoke "load" (i64.const 131071)) (i32.const 7))
(assert_trap (invoke "fill" (i64.const 131070) (i32.const 7) (i64.const 3)) "out of bounds memory access")
(assert_trap (invoke "fill" (i64.const 0x1_0000_0000) (i32.const 7) (i64.const 0)) "out of bounds memory access")
(assert_return (invoke "poke32" (i32.const 5) (i32.const 9)))
(assert_return (invoke "copy_in" (i64.const 100000) (i32.const 4) (i32.const 2)))
(assert_return (invoke "load" (i64.const 100001)) (i32.const 9))
(assert_trap (invoke "copy_in" (i64.const 131071) (i32.const 0) (i32.const 2)) "out of bounds memory access")

;; A memory of one address type does not satisfy an import of the other.
(module (memory (export "m64") i64 1))
(register "m64")
(assert_unlinkable (module (import "m64" "m64" (memory 1))) "incompatible import type")

;; Tables addressed with i64 are not supported yet: a clear refusal, not a crash.
(assert_invalid (module (table i64 1 funcref)) "unsupported")
