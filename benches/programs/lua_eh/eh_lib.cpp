// The eh library of lua_eh: C++ frames with destructors that a Lua error unwinds.
//
// A Lua error is a longjmp (lua_error -> luaD_throw), which in the Wasm builds is a throw of
// __c_longjmp. The C++ frames here hold objects with destructors, so clang
// (-fwasm-exceptions) wraps their calls in cleanup handlers: try_table (catch_all_ref) ...
// throw_ref in lua_eh.wasm, try ... catch_all ... rethrow in lua_eh_legacy.wasm. The error
// passes through them, each running its destructors and throwing the exception on. (There is no
// C++ catch and no C++ throw here: no C++ runtime is needed.)
//
// The destructors append to a log that the script prints (eh.log()), so a runtime that loses the
// exception, runs a cleanup twice or in the wrong order prints something else. Natively the same
// order comes from building Lua as C++ (its errors are then C++ exceptions: build.sh's native
// check); a plain C longjmp would skip the destructors.
//
//   eh.guarded(n, f, ...)  recurses n C++ frames deep, each holding a Guard, then calls
//                          f(...) (unprotected: an error unwinds the n frames). Returns f's
//                          first result and n.
//   eh.scoped(f, ...)      one frame with two Guards in nested scopes around a call of f.
//   eh.log()               the log since the last call, then clears it.

#ifndef LUA_CORE_CXX
extern "C" {
#endif
#include "lauxlib.h"
#include "lua.h"
#ifndef LUA_CORE_CXX
}
#endif
#include "eh_lib.h"

#include <string.h>

namespace {

char log_buf[4096];
size_t log_len;

void log_append(const char *s) {
    size_t n = strlen(s);
    if (log_len + n + 1 < sizeof log_buf) {
        if (log_len > 0)
            log_buf[log_len++] = ' ';
        memcpy(log_buf + log_len, s, n);
        log_len += n;
    }
}

// Appends "<name><n>" when it goes out of scope: at a normal return or during unwinding.
class Guard {
  public:
    Guard(char name, int n) : name_(name), n_(n) {}
    ~Guard() {
        char s[16];
        int i = 0;
        s[i++] = name_;
        char digits[12];
        int d = 0;
        unsigned v = static_cast<unsigned>(n_);
        do {
            digits[d++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (d > 0)
            s[i++] = digits[--d];
        s[i] = '\0';
        log_append(s);
    }
    Guard(const Guard &) = delete;
    Guard &operator=(const Guard &) = delete;

  private:
    char name_;
    int n_;
};

// Calls the function at index f with the arguments above it; leaves its first result.
void call_f(lua_State *L, int f) {
    int nargs = lua_gettop(L) - f;
    lua_pushvalue(L, f);
    for (int i = 1; i <= nargs; i++)
        lua_pushvalue(L, f + i);
    lua_call(L, nargs, 1);
}

__attribute__((noinline)) void descend(lua_State *L, int n) {
    Guard g('g', n);
    if (n <= 1)
        call_f(L, 2);
    else
        descend(L, n - 1);
}

int guarded(lua_State *L) {
    int n = static_cast<int>(luaL_checkinteger(L, 1));
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_argcheck(L, n >= 1 && n <= 200, 1, "depth out of range");
    descend(L, n);
    lua_pushinteger(L, n);
    return 2;
}

int scoped(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    Guard outer('o', 1);
    {
        Guard inner('i', 2);
        call_f(L, 1);
    }
    log_append("s");  // only when f returned
    return 1;
}

int log_get(lua_State *L) {
    lua_pushlstring(L, log_buf, log_len);
    log_len = 0;
    return 1;
}

const luaL_Reg funcs[] = {
    {"guarded", guarded},
    {"scoped", scoped},
    {"log", log_get},
    {nullptr, nullptr},
};

} // namespace

int luaopen_eh(lua_State *L) {
    luaL_newlib(L, funcs);
    return 1;
}
