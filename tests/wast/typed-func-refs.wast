;; Typed function references where the conventions decide something: an interpreter whose
;; handlers dispatch with `return_call_ref` (fetched from a table and from a global), `call_ref`
;; to another instance's function, null references, and `call_indirect` whose expected type is
;; open to subtypes (the runtime's slow path) or equal across modules only iso-recursively.

(module $lib
  (type $binop (func (param i32 i32) (result i32)))
  (func $sub (export "sub") (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (global (export "sub_ref") (ref $binop) (ref.func $sub))
)
(register "lib" $lib)

(module
  (type $binop (func (param i32 i32) (result i32)))
  ;; A handler: program counter, accumulator, step count.
  (type $handler (func (param i32 i32 i32) (result i32)))
  (import "lib" "sub_ref" (global $sub (ref $binop)))
  (table $ops 4 (ref null $handler))
  (global $halt_ref (mut (ref null $handler)) (ref.null $handler))
  (memory 1)
  ;; Bytecode: opcode bytes, run from 0. 0 = add 3, 1 = double, 2 = halt (through the global),
  ;; 3 = call lib's sub through a reference (acc - 1).
  (data (i32.const 0) "\00\01\03\00\01\02")
  (elem declare func $add3 $double $via_global $call_sub $halt)

  (func $dispatch (param $pc i32) (param $acc i32) (param $steps i32) (result i32)
    (return_call_ref $handler
      (local.get $pc) (local.get $acc) (i32.add (local.get $steps) (i32.const 1))
      (table.get $ops (i32.load8_u (local.get $pc)))))
  (func $add3 (type $handler)
    (return_call $dispatch
      (i32.add (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 3)) (local.get 2)))
  (func $double (type $handler)
    (return_call $dispatch
      (i32.add (local.get 0) (i32.const 1)) (i32.shl (local.get 1) (i32.const 1)) (local.get 2)))
  (func $call_sub (type $handler)
    (return_call $dispatch
      (i32.add (local.get 0) (i32.const 1))
      (call_ref $binop (local.get 1) (i32.const 1) (global.get $sub))
      (local.get 2)))
  (func $halt (type $handler)
    ;; acc * 100 + steps
    (i32.add (i32.mul (local.get 1) (i32.const 100)) (local.get 2)))
  (func $via_global (type $handler)
    (return_call_ref $handler (local.get 0) (local.get 1) (local.get 2)
      (ref.as_non_null (global.get $halt_ref))))
  (func (export "init")
    (table.set $ops (i32.const 0) (ref.func $add3))
    (table.set $ops (i32.const 1) (ref.func $double))
    (table.set $ops (i32.const 2) (ref.func $via_global))
    (table.set $ops (i32.const 3) (ref.func $call_sub))
    (global.set $halt_ref (ref.func $halt)))
  (func (export "run") (result i32) (call $dispatch (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "clear_halt") (global.set $halt_ref (ref.null $handler)))
  (func (export "call_null") (result i32)
    (call_ref $binop (i32.const 1) (i32.const 2) (ref.null $binop)))
  (func (export "tail_null") (result i32)
    (return_call_ref $binop (i32.const 1) (i32.const 2) (ref.null $binop)))
  (func (export "on_null") (param i32) (result i32)
    (block $null
      (return (call_ref $binop (i32.const 7) (i32.const 2)
        (br_on_null $null
          (select (result (ref null $binop)) (global.get $sub) (ref.null $binop) (local.get 0))))))
    (i32.const -1))
)

(assert_trap (invoke "run") "null function reference")
(invoke "init")
;; ops 0 1 3 0 1 2: ((0 + 3) * 2 - 1 + 3) * 2 = 16, then halt; six dispatches: 16 * 100 + 6.
(assert_return (invoke "run") (i32.const 1606))
(assert_return (invoke "run") (i32.const 1606))
(invoke "clear_halt")
(assert_trap (invoke "run") "null reference")
(assert_trap (invoke "call_null") "null function reference")
(assert_trap (invoke "tail_null") "null function reference")
(assert_return (invoke "on_null" (i32.const 1)) (i32.const 5))
(assert_return (invoke "on_null" (i32.const 0)) (i32.const -1))

;; Subtyping: a call_indirect whose type is open to subtypes accepts a function of a subtype,
;; declared in another module; a function of an unrelated type of the same shape traps.
(module $types
  (type $base (sub (func (result i32))))
  (type $derived (sub $base (func (result i32))))
  ;; Declared before use: an inline `(result i32)` would name $base, the first type of that
  ;; shape.
  (type $plain (func (result i32)))
  (func (export "derived") (type $derived) (i32.const 42))
  (func (export "unrelated") (type $plain) (i32.const 7))
)
(register "types" $types)
(module
  (type $base (sub (func (result i32))))
  (type $derived (sub $base (func (result i32))))
  (type $plain (func (result i32)))
  (import "types" "derived" (func $derived (type $derived)))
  (import "types" "unrelated" (func $unrelated (type $plain)))
  (table funcref (elem $derived $unrelated))
  (func (export "as_base") (param i32) (result i32) (call_indirect (type $base) (local.get 0)))
  (func (export "as_derived") (param i32) (result i32) (call_indirect (type $derived) (local.get 0)))
)
(assert_return (invoke "as_base" (i32.const 0)) (i32.const 42))
(assert_return (invoke "as_derived" (i32.const 0)) (i32.const 42))
(assert_trap (invoke "as_base" (i32.const 1)) "indirect call type mismatch")
(assert_trap (invoke "as_derived" (i32.const 1)) "indirect call type mismatch")

;; An import of the supertype accepts a function of the subtype; the reverse does not link.
(module
  (type $base (sub (func (result i32))))
  (import "types" "derived" (func (type $base)))
)
(assert_unlinkable
  (module
    (type $base (sub (func (result i32))))
    (type $derived (sub $base (func (result i32))))
    (import "types" "unrelated" (func (type $derived))))
  "incompatible import type")

;; Iso-recursive equality across modules: the same recursion group in another module is the
;; same types; a group of another shape is not, even with an equal function type in it.
(module $rec
  (rec (type $f (func (param (ref null $g)))) (type $g (func (param (ref null $f)))))
  (func (export "f") (type $f))
)
(register "rec" $rec)
(module
  (rec (type $f (func (param (ref null $g)))) (type $g (func (param (ref null $f)))))
  (rec (type $other (func (param (ref null $other)))))
  (import "rec" "f" (func $imported (type $f)))
  (table funcref (elem $imported))
  (func (export "same") (call_indirect (type $f) (ref.null $g) (i32.const 0)))
  (func (export "other") (call_indirect (type $other) (ref.null $other) (i32.const 0)))
)
(assert_return (invoke "same"))
(assert_trap (invoke "other") "indirect call type mismatch")
