/*
 * wasm3_unity.c: wasm3's interpreter (src/, fetched by fetch.sh) compiled as one
 * translation unit, so that its op dispatch can be made musttail without
 * editing wasm3's files. Used by both builds of wasm3.c.
 *
 * Every wasm3 op ends in nextOp() / jumpOp(PC), which m3_exec_defs.h expands to
 * `return ((IM3Operation)(*_pc))(_pc + 1, ...)`. clang already makes most of
 * those tail calls, but not all: in the ops that memcpy through a local (loads,
 * stores) it emits a plain call followed by a return, which grows the stack for
 * every instruction executed. Marking the dispatch musttail makes every one of
 * them a tail call (return_call_indirect in Wasm, jmp natively), and clang
 * stops with an error if it cannot.
 */

/* Configuration (m3_config.h takes anything defined here over its defaults).
 * No formatted error messages: they need vsnprintf. Logging, tracing and
 * profiling are already off unless DEBUG is defined. */
#define d_m3VerboseErrorMessages 0

/* m3_core.c first: it defines M3_IMPLEMENT_ERROR_STRINGS before including wasm3.h. */
#include "m3_core.c"

#include "m3_exec_defs.h"
#undef nextOpDirect
#undef jumpOpDirect
#define nextOpDirect() __attribute__((musttail)) return nextOpImpl()
#define jumpOpDirect(PC) __attribute__((musttail)) return jumpOpImpl((pc_t)(PC))

#include "m3_bind.c"
#include "m3_code.c"
#include "m3_compile.c"
#include "m3_emit.c"
#include "m3_env.c"
#include "m3_exec.c"
#include "m3_function.c"
#include "m3_info.c"
#include "m3_module.c"
#include "m3_parse.c"
