;; Alias regions: a store to one kind of memory leaves values loaded from another in registers.
;; Each function loads the same thing twice with a store in between; only in `same_memory` may
;; the store change what the second load reads.
(module
  (memory 1)
  (table $t 1 funcref)
  (global $g (mut i32) (i32.const 0))
  (func $global_across_memory (export "global_across_memory") (param $p i32) (result i32)
    global.get $g
    (i32.store (local.get $p) (i32.const 1))
    global.get $g
    i32.add)
  (func $memory_across_global (export "memory_across_global") (param $p i32) (result i32)
    (i32.load (local.get $p))
    (global.set $g (i32.const 1))
    (i32.load (local.get $p))
    i32.add)
  (func $memory_across_table (export "memory_across_table") (param $p i32) (result i32)
    (i32.load (local.get $p))
    (table.set $t (i32.const 0) (ref.null func))
    (i32.load (local.get $p))
    i32.add)
  (func $same_memory (export "same_memory") (param $p i32) (param $q i32) (result i32)
    (i32.load (local.get $p))
    (i32.store (local.get $q) (i32.const 1))
    (i32.load (local.get $p))
    i32.add))
