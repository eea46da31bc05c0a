/* A Lua 5.4 interpreter as a WASI command that runs one script embedded in the
 * binary (script.lua, as the byte array of gen/script_lua.h) and prints with
 * Lua's print (stdout). Only the libraries that need no files, processes or
 * clock are opened: base, coroutine, table, string, math, utf8 and debug (no
 * io, os or package), so the module imports little beyond fd_write; and eh
 * (eh_lib.cpp), C++ frames with destructors for errors to unwind.
 *
 * Every Lua error is a longjmp (luaD_throw), which clang lowers to a Wasm throw
 * of __c_longjmp; every protected call (pcall, coroutine.resume, the parser) is
 * a setjmp, lowered to a try_table (or legacy try/catch) around its calls.
 *
 * Exit status: 0 when the script ran to its end, 1 on an uncaught error (its
 * message is printed to stdout with an "uncaught: " prefix). */
#include <stdio.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "eh_lib.h"
#include "gen/script_lua.h"

static const luaL_Reg libs[] = {
    {LUA_GNAME, luaopen_base},        {LUA_COLIBNAME, luaopen_coroutine},
    {LUA_TABLIBNAME, luaopen_table},  {LUA_STRLIBNAME, luaopen_string},
    {LUA_MATHLIBNAME, luaopen_math},  {LUA_UTF8LIBNAME, luaopen_utf8},
    {LUA_DBLIBNAME, luaopen_debug},   {"eh", luaopen_eh},
    {NULL, NULL},
};

int main(void) {
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        printf("uncaught: cannot create the Lua state\n");
        return 1;
    }
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    int status = luaL_loadbufferx(L, (const char *)script_lua, sizeof script_lua, "=script", "t");
    if (status == LUA_OK)
        status = lua_pcall(L, 0, 0, 0);
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        printf("uncaught: %s\n", msg ? msg : "(error object is not a string)");
    }
    lua_close(L);
    fflush(stdout);
    return status == LUA_OK ? 0 : 1;
}
