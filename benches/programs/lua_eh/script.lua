-- Lua errors, thrown and caught every way the interpreter can, for a Wasm build
-- whose longjmp is a Wasm exception. One line (or a few) per case; everything
-- is deterministic: no addresses (tables and functions are never printed
-- directly), no time, no iteration over hash tables. Error positions are
-- "script:LINE:", the lines of this file.

local function show(v)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" or t == "nil" then
    return tostring(v)
  elseif t == "table" then
    local mt = getmetatable(v)
    if mt and mt.__tostring then return "table<" .. tostring(v) .. ">" end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do
      local x = v[k]
      if x == nil then x = v[tonumber(k)] end
      parts[#parts + 1] = k .. "=" .. (type(x) == "table" and "{...}" or tostring(x))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  else
    return t
  end
end

local function case(name, ...)
  local out = {}
  for i = 1, select("#", ...) do out[i] = show((select(i, ...))) end
  print(string.format("%-28s %s", name, table.concat(out, " | ")))
end

print("lua_eh: " .. _VERSION)

-- 1. error() with strings, levels, tables, nil and other values --------------
case("string", pcall(error, "plain"))
case("string level 1", pcall(function() error("lvl1") end))
case("string level 2", pcall(function()
  local function inner() error("lvl2", 2) end
  inner()
end))
case("string level 0", pcall(function() error("lvl0", 0) end))
case("table", pcall(error, {code = 42, msg = "tbl"}))
case("nil", pcall(error, nil))
case("no argument", pcall(error))
case("number", pcall(error, 3.5))
case("integer", pcall(error, 7))
case("boolean", pcall(error, false))
case("function value", (function()
  local ok, e = pcall(error, print)
  return ok, type(e), e == print
end)())

local E = setmetatable({}, {__tostring = function(self) return "E(" .. self.code .. ")" end})
E.__index = E
local function newE(code) return setmetatable({code = code}, getmetatable(E)) end
case("__tostring object", (function()
  local ok, e = pcall(error, newE(17))
  return ok, tostring(e), e.code
end)())
case("format of error object", (function()
  local _, e = pcall(error, newE(99))
  return string.format("[%s]", tostring(e))
end)())

-- 2. pcall / xpcall ---------------------------------------------------------
case("pcall ok", pcall(function(a, b) return a + b, a * b end, 6, 7))
case("pcall non-function", pcall(42))
case("xpcall handler", xpcall(function() error("boom") end,
  function(m) return "handled: " .. m end))
case("xpcall args", xpcall(function(a, b) return a .. b end, print, "x", "y"))
case("xpcall table error", xpcall(function() error({n = 5}) end,
  function(e) return e.n * 10 end))
case("xpcall handler errors", xpcall(function() error("first") end,
  function(m) error("second") end))
case("xpcall handler error obj", xpcall(function() error("a") end,
  function(m) error({}) end))
case("traceback handler", (function()
  local ok, tb = xpcall(function() local x = nil; return x.y end, debug.traceback)
  -- Only the first line: the rest names C functions and levels, which are stable
  -- but long.
  return ok, (tb:match("^[^\n]*"))
end)())
case("nested pcall", pcall(function()
  local ok, e = pcall(error, "inner")
  error("outer after " .. tostring(ok) .. " " .. e, 0)
end))
case("pcall returns many", pcall(function() return 1, 2, 3, nil, 5 end))
case("rethrow same table", (function()
  local obj = {tag = "same"}
  local ok, e = pcall(function()
    local ok2, e2 = pcall(error, obj)
    error(e2)
  end)
  return ok, e == obj, e.tag
end)())

-- 3. runtime errors ---------------------------------------------------------
case("arith on nil", pcall(function() local a; return a + 1 end))
case("arith on table", pcall(function() return {} * 2 end))
case("concat nil", pcall(function() local s; return "x" .. s end))
case("index nil local", pcall(function() local t; return t.field end))
case("index nil field", pcall(function() local t = {}; return t.a.b end))
case("newindex nil", pcall(function() local t; t.x = 1 end))
case("call nil global", pcall(function() return undefined_function(1) end))
case("call nil field", pcall(function() local t = {}; t.method() end))
case("call number", pcall(function() local n = 5; n() end))
case("compare", pcall(function() return {} < {} end))
case("compare mixed", pcall(function() return 1 < "2" end))
case("integer div by zero", pcall(function() return 1 // 0 end))
case("integer mod by zero", pcall(function() return 1 % 0 end))
case("float div by zero", pcall(function() return 1 / 0, -1 / 0 end))
case("bad string->int", pcall(function() return "abc" | 1 end))
case("float->int", pcall(function() return 1.5 | 1 end))
case("string arith coercion", pcall(function() return "10" + 5, "3" * "4" end))
case("length of nil", pcall(function() local x; return #x end))
case("bad argument", pcall(string.rep))
case("bad argument type", pcall(string.sub, {}, 1))
case("bad self", pcall(function() return ("x"):rep({}) end))
case("tostring nil concat", pcall(function() return table.concat({1, {}, 3}) end))
case("setmetatable protected", pcall(setmetatable,
  setmetatable({}, {__metatable = "locked"}), {}))
case("for initial value", pcall(function() for i = "a", 2 do end end))
case("for step zero", pcall(function() for i = 1, 2, 0 do end end))

-- 4. errors from metamethods ------------------------------------------------
local mt = {
  __index = function(t, k) error("no field " .. k) end,
  __newindex = function(t, k, v) error({field = k, value = v}) end,
  __add = function(a, b) error("cannot add", 2) end,
  __call = function(self, x) if x < 0 then error("negative call") end return x * 2 end,
  __eq = function(a, b) error("eq refused") end,
  __lt = function(a, b) error("lt refused") end,
  __len = function(a) error("len refused") end,
  __concat = function(a, b) error("concat refused") end,
  __unm = function(a) return -a.v end,
  __close = function() end,
}
local obj = setmetatable({v = 3}, mt)
local obj2 = setmetatable({v = 4}, mt)
case("__index error", pcall(function() return obj.missing end))
case("__newindex error", pcall(function() obj.newkey = 5 end))
case("__add error level 2", pcall(function() return obj + 1 end))
case("__call ok", pcall(obj, 21))
case("__call error", pcall(obj, -1))
case("__eq error", pcall(function() return obj == obj2 end))
case("__lt error", pcall(function() return obj < obj2 end))
case("__len error", pcall(function() return #obj end))
case("__concat error", pcall(function() return obj .. "s" end))
case("__unm ok", pcall(function() return -obj end))
case("__index chain", pcall(function()
  local base = setmetatable({}, {__index = function(_, k)
    if k == "deep" then error("deep index " .. k) end
    return k
  end})
  local mid = setmetatable({}, {__index = base})
  local top = setmetatable({}, {__index = mid})
  return top.shallow, top.deep
end))
case("__tostring error", pcall(tostring, setmetatable({}, {__tostring = function() error("ts") end})))
case("__tostring non-string", pcall(tostring, setmetatable({}, {__tostring = function() return 1 end})))

-- 5. deep recursion: thrown far down, caught at various depths ---------------
local function dive(n, at)
  if n == 0 then error({depth = at}) end
  return dive(n - 1, at) + 1 -- not a tail call: every level keeps its frame
end
for _, d in ipairs({1, 10, 50, 100, 200}) do
  local ok, e = pcall(dive, d, d)
  case("dive " .. d, ok, e.depth)
end

-- Caught half-way: each level with a pcall catches, adds itself and rethrows.
local function relay(n)
  if n == 0 then error(0) end
  if n % 25 == 0 then
    local ok, e = pcall(relay, n - 1)
    error(e + n, 0)
  end
  return relay(n - 1) + 0
end
for _, d in ipairs({24, 25, 100, 150}) do case("relay " .. d, pcall(relay, d)) end

-- The same through C frames: table.sort's comparator and string.gsub's
-- replacement function call back into Lua, which throws across the C function.
local function through_c(n)
  if n == 0 then error("bottom of C recursion") end
  local r
  local s = string.gsub("a", "a", function() r = through_c(n - 1) end)
  return r
end
case("through gsub x30", pcall(through_c, 30))
case("sort comparator error", pcall(table.sort, {3, 1, 2}, function(a, b) error("cmp " .. a .. b) end))
case("invalid order function", pcall(table.sort, {5, 3, 8, 1, 9, 2, 7, 4, 6, 0, 11, 13, 12},
  function(a, b) return true end))

-- Lua stack overflow (an error raised by the interpreter itself) and C stack
-- overflow (too many nested C calls), both caught.
local function forever(n) return 1 + forever(n + 1) end
case("stack overflow", (function()
  local ok, e = pcall(forever, 1)
  return ok, (string.gsub(e, "^.-(stack overflow).*$", "%1"))
end)())
case("C stack overflow", (function()
  local t = setmetatable({}, {__index = function(t, k) return t[k + 1] end})
  local ok, e = pcall(function() return t[1] end)
  return ok, (string.match(tostring(e), "stack overflow") ~= nil)
end)())
case("after overflows", pcall(dive, 20, 20) == false)

-- 6. coroutines -------------------------------------------------------------
local co = coroutine.create(function(a)
  local b = coroutine.yield(a + 1)
  error("co error " .. b)
end)
case("resume 1", coroutine.resume(co, 1))
case("resume 2", coroutine.resume(co, 10))
case("status dead", coroutine.status(co))
case("resume dead", coroutine.resume(co))
case("wrap error", pcall(coroutine.wrap(function() error("wrapped") end)))
case("wrap table error", (function()
  local ok, e = pcall(coroutine.wrap(function() error({w = 1}) end))
  return ok, e.w
end)())
case("yield outside", pcall(coroutine.yield, 1))
case("pcall inside co", coroutine.resume(coroutine.create(function()
  local ok, e = pcall(error, "in co")
  coroutine.yield(ok, e)
  return "done"
end)))
-- A yield across pcall (continuations), then an error after the resume, caught
-- by that same pcall.
local yc = coroutine.create(function()
  local ok, e = pcall(function()
    local v = coroutine.yield("yielded inside pcall")
    error("after resume " .. v)
  end)
  return "pcall caught: " .. tostring(ok) .. " " .. e
end)
case("yield across pcall 1", coroutine.resume(yc))
case("yield across pcall 2", coroutine.resume(yc, "v2"))
-- Nested coroutines, the inner error propagating through wrap.
case("nested wrap", pcall(coroutine.wrap(function()
  local inner = coroutine.wrap(function() coroutine.yield(1); error("inner co") end)
  local a = inner()
  local b = inner()
  return a, b
end)))
-- A generator that fails part-way.
case("generator", (function()
  local gen = coroutine.wrap(function()
    for i = 1, 5 do
      if i == 4 then error("gen stop at " .. i, 0) end
      coroutine.yield(i)
    end
  end)
  local got = {}
  local ok, e = pcall(function() while true do got[#got + 1] = gen() end end)
  return table.concat(got, ","), ok, e
end)())
case("coroutine.close", (function()
  local c = coroutine.create(function()
    local x <close> = setmetatable({}, {__close = function() error("close err", 0) end})
    coroutine.yield()
  end)
  coroutine.resume(c)
  return coroutine.close(c)
end)())
case("isyieldable", coroutine.isyieldable())

-- 7. to-be-closed variables while unwinding ---------------------------------
local log = {}
local function closer(name)
  return setmetatable({}, {__close = function(_, err)
    log[#log + 1] = name .. ":" .. tostring(err)
  end})
end
case("close on error", pcall(function()
  local a <close> = closer("a")
  local b <close> = closer("b")
  error("unwinding", 0)
end), table.concat(log, " "))
log = {}
case("close error replaces", pcall(function()
  local a <close> = setmetatable({}, {__close = function() error("from close", 0) end})
  error("original", 0)
end))
case("close normal exit", pcall(function()
  local a <close> = closer("n")
  return "ret"
end), table.concat(log, " "))

-- 7b. C++ destructors while unwinding (eh, eh_lib.cpp): each guard frame logs
-- when it goes out of scope, at a return or while an error passes through it.
-- with_log(...) is its arguments and then the log (pcall's results are cut to
-- one where another argument follows).
local function with_log(...)
  local t = table.pack(...)
  t[t.n + 1] = eh.log()
  return table.unpack(t, 1, t.n + 1)
end
case("guards, no error", with_log(eh.guarded(3, function(x) return x * 2 end, 21)))
case("guards on error", with_log(pcall(eh.guarded, 5, function() error("deep", 0) end)))
case("guards, table error", (function()
  local ok, e = pcall(eh.guarded, 4, function() error({n = 4}) end)
  return ok, e.n, eh.log()
end)())
case("scoped ok", with_log(eh.scoped(function(a) return a end, "v")))
case("scoped error", with_log(pcall(eh.scoped, function() local t; return t.x end)))
case("nested guards", with_log(pcall(eh.guarded, 2, function()
  local ok, e = pcall(eh.guarded, 3, function() error("inner", 0) end)
  error("outer after " .. e .. " [" .. eh.log() .. "]", 0)
end)))
case("guards in coroutine", (function()
  local co = coroutine.wrap(function()
    eh.guarded(3, function() error("in co", 0) end)
  end)
  local ok, e = pcall(co)
  return ok, e, eh.log()
end)())
case("yield across guards", (function()
  local co = coroutine.create(function()
    eh.guarded(2, function() coroutine.yield(1) end)
  end)
  local ok, e = coroutine.resume(co)
  return ok, e, eh.log()
end)())
case("guards + close", with_log(pcall(eh.guarded, 2, function()
  local c <close> = setmetatable({}, {__close = function(_, err) eh.scoped(function() end) end})
  error("with close", 0)
end)))
case("200 guard frames", (function()
  local ok, e = pcall(eh.guarded, 200, function() error("bottom", 0) end)
  local log = eh.log()
  return ok, e, #log, log:sub(1, 11), log:sub(-11)
end)())
case("guarded bad depth", with_log(pcall(eh.guarded, 0, print)))

-- 8. load: syntax errors are thrown by the parser ---------------------------
case("syntax error", load("x = = 1", "=chunk"))
case("unfinished string", load("x = 'abc", "=chunk"))
case("bad goto", load("goto nowhere", "=chunk"))
case("runtime in loaded", pcall(load("local t = nil; return t[1]", "=loaded")))
case("load ok", pcall(load("return 6 * 7")))
case("load reader error", pcall(load, function() error("reader failed") end))
case("string.format bad", pcall(string.format, "%d", "x"))
case("string.format %q", string.format("%q", "a\nb\0c\"d"))
case("tostring(nil)", tostring(nil), tostring(1e300 * 1e10), tostring(-0.0))

-- 9. ordinary work, so the output is not only errors --------------------------
math.randomseed(42)
local nums = {}
for i = 1, 200 do nums[i] = math.random(1, 1000) end
table.sort(nums)
local sum = 0
for _, v in ipairs(nums) do sum = sum + v end
case("sort", nums[1], nums[100], nums[200], sum)
local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do words[#words + 1] = w end
table.sort(words, function(a, b) return #a < #b or (#a == #b and a < b) end)
case("words", table.concat(words, " "))
case("string ops", ("Hello"):upper(), ("abc"):rep(3, "-"), ("hello world"):find("o w"),
  ("%d items"):format(12), ("x=1, y=2"):gsub("(%w+)=(%w+)", "%2=%1"))
case("utf8", utf8.char(72, 228, 8364, 128512), utf8.len("häé€"), pcall(utf8.codepoint, "\xff"))
case("math", math.floor(-3.5), math.ceil(2.1), math.max(3, 9, 4), math.tointeger(8.0),
  string.format("%.6f", math.pi), math.type(1), math.type(1.0), 7 // 2, 7.0 // 2, 2^10)
case("integer overflow wraps", math.maxinteger + 1 == math.mininteger, math.mininteger // -1)
local fib = {1, 1}
for i = 3, 60 do fib[i] = fib[i - 1] + fib[i - 2] end
case("fib 60", fib[60])
local counts = {}
for c in ("mississippi"):gmatch(".") do counts[c] = (counts[c] or 0) + 1 end
case("letter counts", counts)

-- 10. many errors in a loop: a checksum over thousands of throws and catches --
local function thrower(i)
  if i % 3 == 0 then error(i) end
  if i % 3 == 1 then error({i = i}) end
  local t = nil
  return t[i] -- a runtime error, message built by the interpreter
end
local total, msgs = 0, 0
for i = 1, 3000 do
  local ok, e = pcall(thrower, i)
  if type(e) == "number" then total = total + e
  elseif type(e) == "table" then total = total + 2 * e.i
  else msgs = msgs + #e end
end
case("3000 throws", total, msgs)
local depth_total = 0
for i = 1, 300 do
  local ok, e = pcall(dive, i % 40, i)
  depth_total = depth_total + e.depth
end
case("300 deep throws", depth_total)
local cototal = 0
for i = 1, 200 do
  local c = coroutine.create(function(k)
    coroutine.yield(k)
    error(k * 2)
  end)
  local _, y = coroutine.resume(c, i)
  local _, e = coroutine.resume(c)
  cototal = cototal + y + e
end
case("200 coroutines", cototal)

local glen = 0
for i = 1, 500 do
  local ok, e = pcall(eh.guarded, 1 + i % 7, error, i)
  glen = glen + e + #eh.log()
end
case("500 guarded throws", glen)

print("lua_eh: done")
