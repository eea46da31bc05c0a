;; Legacy exception handling (try, catch, catch_all, rethrow, delegate), which toolchains still
;; emit. Flat syntax: the text format parser knows no folded form of it.

(module
  (tag $a (param i32))
  (tag $b (param i32))
  (func $throw-a (param i32) (throw $a (local.get 0)))
  (func $throw-b (param i32) (throw $b (local.get 0)))

  (func (export "catch-a") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $throw-a
      i32.const -1
    catch $b
      drop
      i32.const -2
    catch $a
      i32.const 1000
      i32.add
    end)

  (func (export "catch-all") (result i32)
    try (result i32)
      i32.const 1
      call $throw-b
      i32.const -1
    catch $a
      drop
      i32.const -2
    catch_all
      i32.const 3
    end)

  ;; A catch body is outside its try: a throw there goes outward.
  (func (export "throw-in-catch") (result i32)
    try (result i32)
      try (result i32)
        i32.const 1
        call $throw-a
        i32.const -1
      catch $a
        i32.const 10
        i32.add
        call $throw-b
        i32.const -3
      end
    catch $b
    end)

  (func (export "rethrow") (result i32)
    try (result i32)
      try (result i32)
        i32.const 4
        call $throw-a
        i32.const -1
      catch $a
        drop
        rethrow 0
      end
    catch $a
      i32.const 2
      i32.mul
    end)

  ;; rethrow names an outer catch from inside an inner one.
  (func (export "rethrow-outer") (result i32)
    try (result i32)
      try (result i32)
        i32.const 5
        call $throw-a
        i32.const -1
      catch $a
        drop
        try (result i32)
          i32.const 6
          call $throw-b
          i32.const -1
        catch $b
          drop
          rethrow 1
        end
      end
    catch $a
    catch $b
      i32.const -5
      i32.add
    end)

  ;; delegate 1 from inside a plain block: to the enclosing try's clauses.
  (func (export "delegate") (result i32)
    try (result i32)
      block (result i32)
        try (result i32)
          i32.const 6
          call $throw-b
          i32.const -1
        delegate 1
      end
    catch $b
      i32.const 100
      i32.add
    end)

  ;; delegate to the function's own label: to the caller.
  (func $delegate-out (result i32)
    try (result i32)
      i32.const 8
      call $throw-a
      i32.const -1
    delegate 0)
  (func (export "delegate-out") (result i32)
    try (result i32)
      call $delegate-out
    catch $a
    end)

  ;; A try whose clauses all miss passes the exception on.
  (func (export "miss") (result i32)
    try (result i32)
      try (result i32)
        i32.const 9
        call $throw-b
        i32.const -1
      catch $a
      end
    catch $b
      i32.const 3
      i32.mul
    end)

  ;; A throw inside try in the same function: a jump.
  (func (export "local") (param i32) (result i32)
    try (result i32)
      local.get 0
      if
        i32.const 12
        throw $a
      end
      i32.const 13
    catch $a
    end)
)
(assert_return (invoke "catch-a" (i32.const 5)) (i32.const 1005))
(assert_return (invoke "catch-all") (i32.const 3))
(assert_return (invoke "throw-in-catch") (i32.const 11))
(assert_return (invoke "rethrow") (i32.const 8))
(assert_return (invoke "rethrow-outer") (i32.const 5))
(assert_return (invoke "delegate") (i32.const 106))
(assert_return (invoke "delegate-out") (i32.const 8))
(assert_return (invoke "miss") (i32.const 27))
(assert_return (invoke "local" (i32.const 1)) (i32.const 12))
(assert_return (invoke "local" (i32.const 0)) (i32.const 13))
