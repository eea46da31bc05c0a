/* The eh library of lua_eh (eh_lib.cpp). */
#ifndef KITE_LUA_EH_LIB_H
#define KITE_LUA_EH_LIB_H

#include "lua.h"

#ifdef __cplusplus
extern "C"
#endif
    int
    luaopen_eh(lua_State *L);

#endif
