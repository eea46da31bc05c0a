#!/usr/bin/env python3
"""gen_largevm.py: generates largevm.c and largeswitchvm.c.

    python3 gen_largevm.py           write the files (only those whose text changed)
    python3 gen_largevm.py --check   exit 1 if a committed file differs from what
                                     this script would write

largevm is a large tail-calling bytecode VM shaped like a real interpreter
written in Rust and compiled to wasm32 with +tail-call: 256 opcode handlers of
one type, (11 x i32) -> () in Wasm, each ending in
`return table[code[pc] & 0xff].fn(...)` (return_call_indirect), and a funcref
table of ~1,450 entries in which the handlers are interleaved with ~1,200
small functions of 12 other types (per-opcode verify/effect/format functions
in opcode descriptors, and 48 trait-object-like helper vtables).

largevm.c holds both builds: by default the tail-calling handlers; with
LARGEVM_SWITCH defined, the same opcode bodies as the cases of one switch in a
loop (a br_table in a loop in Wasm). largeswitchvm.c is that define plus an
#include of largevm.c. The bytecode programs are assembled here and written
into largevm.c as word arrays.

Standard library only; deterministic (fixed seeds, no hashing of dicts or
sets), so the output depends on this file alone.
"""
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------
# Program parameters (the hot entries take ~0.3-0.6 s natively)
# ---------------------------------------------------------------------------
FIB_N = 34
SV_N = 60000          # sieve size in bytes (flags), divisible by 8
SV_ROUNDS = 200
SV_FLAGS = 8192       # byte address of the flag array
SV_HIST = 131072      # byte address of the 16-bit gap histogram (256 entries)
OPS_ITERS = 1000
N_HELPER_IMPLS = 48   # helper vtables (9 methods each)

# ---------------------------------------------------------------------------
# Opcodes
# ---------------------------------------------------------------------------
# Operand formats: the instruction word is opcode | operand << 8.
#   n      no operand                         1 word
#   i24    IMM, signed 24-bit                 1 word
#   u24    IMMU, unsigned 24-bit              1 word
#   tgt    IMMU = jump target                 1 word
#   l      LOCA = local index                 1 word
#   ll     LOCA, LOCB = two local indices     1 word
#   li     LOCA, IMM16 (bits 16..31, signed)  1 word
#   enter  LOCA = args, LOCB = extra locals   1 word
#   lit    LOCA, IMM16; next word = target    2 words
#   lt     LOCA; next word = target           2 words
#   ti     IMMU = target; next word = imm32   2 words
#   w      next word = imm32                  2 words
#   d      next two words = imm64 (lo, hi)    3 words
#   tab    IMMU = n; n+1 target words follow  n+2 words (last target = default)
FMT_LEN = {"n": 1, "i24": 1, "u24": 1, "tgt": 1, "l": 1, "ll": 1, "li": 1,
           "enter": 1, "lit": 2, "lt": 2, "ti": 2, "w": 2, "d": 3, "tab": None}


class Op:
    def __init__(self, name, fmt, pops, pushes, body, fam, doc, sel=None):
        self.name = name
        self.fmt = fmt
        self.pops = pops
        self.pushes = pushes
        self.body = body.strip()
        self.fam = fam
        self.doc = doc
        self.sel = sel  # operand kind for u24/i24 when it matters (ops program)
        self.cid = name.replace(".", "_").replace("-", "m")
        self.num = None


OPS = []


def op(name, fmt, pops, pushes, body, fam, doc="", sel=None):
    OPS.append(Op(name, fmt, pops, pushes, body, fam, doc, sel))


# --- control --------------------------------------------------------------
op("halt", "n", 1, 0, "HALT_WITH(ST(1));", "ctl", "( x -- ) stop; the result is x")
op("nop", "n", 0, 0, "pc += 1; NEXT;", "ctl")
op("jmp", "tgt", 0, 0, "pc = (intptr_t)IMMU; NEXT;", "ctl", "pc = target")
op("jz", "tgt", 1, 0, """
int64_t v = ST(1);
sp -= 1;
pc = v == 0 ? (intptr_t)IMMU : pc + 1;
NEXT;""", "ctl", "( a -- ) jump if a == 0")
op("jnz", "tgt", 1, 0, """
int64_t v = ST(1);
sp -= 1;
pc = v != 0 ? (intptr_t)IMMU : pc + 1;
NEXT;""", "ctl", "( a -- ) jump if a != 0")
op("call", "tgt", 0, 0, """
if (rsp > LVM_RSTACK - 2) TRAP_WITH(2);
rstk[rsp] = (uint32_t)(pc + 1);
rstk[rsp + 1] = (uint32_t)fp;
rsp += 2;
pc = (intptr_t)IMMU;
NEXT;""", "ctl", "push return pc and fp on rstk; pc = target")
op("enter", "enter", 0, "m", """
intptr_t n = LOCA, m = LOCB;
if (sp + m > LVM_STACK - 64) TRAP_WITH(3);
fp = sp - n;
int64_t z = ctx->zero;
for (intptr_t i = 0; i < m; i++) stk[sp + i] = z;
sp += m;
pc += 1;
NEXT;""", "ctl", "the top n cells become locals 0..n-1; m more locals are zeroed")
op("ret", "n", 1, 0, """
if (rsp < 2) TRAP_WITH(5);
int64_t r = ST(1);
sp = fp;
stk[sp] = r;
sp += 1;
rsp -= 2;
fp = (intptr_t)rstk[rsp + 1];
pc = (intptr_t)rstk[rsp];
NEXT;""", "ctl", "drop the frame, push the result, return")
op("ret0", "n", 0, 0, """
if (rsp < 2) TRAP_WITH(5);
sp = fp;
rsp -= 2;
fp = (intptr_t)rstk[rsp + 1];
pc = (intptr_t)rstk[rsp];
NEXT;""", "ctl", "drop the frame, return nothing")
op("call.ind", "n", 1, 0, """
uint32_t t = (uint32_t)ST(1) & 0xffffff;
sp -= 1;
if (t == 0 || t >= code[0] || rsp > LVM_RSTACK - 2) TRAP_WITH(4);
rstk[rsp] = (uint32_t)(pc + 1);
rstk[rsp + 1] = (uint32_t)fp;
rsp += 2;
pc = (intptr_t)t;
NEXT;""", "ctl", "( target -- ) call")
op("trap", "n", 0, 0, "TRAP_WITH(1);", "ctl", "stop with status 1")
op("djnz.l", "lt", 0, 0, """
int64_t v = I64(U64(LOC(LOCA)) - 1);
LOC(LOCA) = v;
pc = v != 0 ? (intptr_t)code[pc + 1] : pc + 2;
NEXT;""", "ctl", "local -= 1; jump if it is not 0")
op("select", "n", 3, 1, """
int64_t c = ST(1), b = ST(2), a = ST(3);
ST(3) = c != 0 ? a : b;
sp -= 2;
pc += 1;
NEXT;""", "ctl", "( a b c -- c ? a : b )")
op("br.table", "tab", 1, 0, """
uint64_t i = U64(ST(1));
uint32_t n = IMMU;
sp -= 1;
if (i > n) i = n;
pc = (intptr_t)code[pc + 1 + (intptr_t)i];
NEXT;""", "ctl", "( i -- ) jump to target min(i, n)")

CONDS = [("eq", "a == b"), ("ne", "a != b"), ("lt", "a < b"), ("le", "a <= b"),
         ("gt", "a > b"), ("ge", "a >= b"), ("ltu", "U64(a) < U64(b)"),
         ("geu", "U64(a) >= U64(b)")]
for c, e in CONDS:
    op(f"b.{c}", "tgt", 2, 0, f"""
int64_t b = ST(1), a = ST(2);
sp -= 2;
pc = ({e}) ? (intptr_t)IMMU : pc + 1;
NEXT;""", "br", f"( a b -- ) jump if {e}")
for c, e in CONDS:
    op(f"bi.{c}", "ti", 1, 0, f"""
int64_t a = ST(1), b = (int64_t)XW1;
sp -= 1;
pc = ({e}) ? (intptr_t)IMMU : pc + 2;
NEXT;""", "br", f"( a -- ) jump if {e}, b = imm32")
for c, e in CONDS:
    op(f"bl.{c}", "lit", 0, 0, f"""
int64_t a = LOC(LOCA), b = IMM16;
pc = ({e}) ? (intptr_t)code[pc + 1] : pc + 2;
NEXT;""", "br", f"jump if {e}, a = local, b = imm16")

# --- stack ----------------------------------------------------------------
op("push.i", "i24", 0, 1, "stk[sp] = IMM; sp += 1; pc += 1; NEXT;", "stk")
op("push.w", "w", 0, 1, "stk[sp] = (int64_t)XW1; sp += 1; pc += 2; NEXT;", "stk")
op("push.d", "d", 0, 1, """
stk[sp] = I64(((uint64_t)code[pc + 2] << 32) | code[pc + 1]);
sp += 1;
pc += 3;
NEXT;""", "stk")
op("push0", "n", 0, 1, "stk[sp] = 0; sp += 1; pc += 1; NEXT;", "stk")
op("push1", "n", 0, 1, "stk[sp] = 1; sp += 1; pc += 1; NEXT;", "stk")
op("pushm1", "n", 0, 1, "stk[sp] = -1; sp += 1; pc += 1; NEXT;", "stk")
op("dup", "n", 1, 2, "stk[sp] = ST(1); sp += 1; pc += 1; NEXT;", "stk")
op("dup2", "n", 2, 4, "stk[sp] = ST(2); stk[sp + 1] = ST(1); sp += 2; pc += 1; NEXT;", "stk")
op("drop", "n", 1, 0, "sp -= 1; pc += 1; NEXT;", "stk")
op("drop2", "n", 2, 0, "sp -= 2; pc += 1; NEXT;", "stk")
op("swap", "n", 2, 2, "int64_t t = ST(1); ST(1) = ST(2); ST(2) = t; pc += 1; NEXT;", "stk")
op("over", "n", 2, 3, "stk[sp] = ST(2); sp += 1; pc += 1; NEXT;", "stk")
op("rot", "n", 3, 3, """
int64_t c = ST(1), b = ST(2), a = ST(3);
ST(3) = b; ST(2) = c; ST(1) = a;
pc += 1;
NEXT;""", "stk", "( a b c -- b c a )")
op("nrot", "n", 3, 3, """
int64_t c = ST(1), b = ST(2), a = ST(3);
ST(3) = c; ST(2) = a; ST(1) = b;
pc += 1;
NEXT;""", "stk", "( a b c -- c a b )")
op("nip", "n", 2, 1, "ST(2) = ST(1); sp -= 1; pc += 1; NEXT;", "stk")
op("tuck", "n", 2, 3, """
int64_t b = ST(1), a = ST(2);
ST(2) = b; ST(1) = a; stk[sp] = b;
sp += 1;
pc += 1;
NEXT;""", "stk", "( a b -- b a b )")
op("pick", "u24", 0, 1, "stk[sp] = stk[sp - 1 - (intptr_t)(IMMU & 7)]; sp += 1; pc += 1; NEXT;",
   "stk", "push the cell n below the top (n = imm & 7)", sel="pick")
op("swap2", "n", 4, 4, """
int64_t d = ST(1), c = ST(2), b = ST(3), a = ST(4);
ST(4) = c; ST(3) = d; ST(2) = a; ST(1) = b;
pc += 1;
NEXT;""", "stk", "( a b c d -- c d a b )")

# --- locals ---------------------------------------------------------------
op("get.l", "l", 0, 1, "stk[sp] = LOC(LOCA); sp += 1; pc += 1; NEXT;", "loc")
op("set.l", "l", 1, 0, "LOC(LOCA) = ST(1); sp -= 1; pc += 1; NEXT;", "loc")
op("tee.l", "l", 1, 1, "LOC(LOCA) = ST(1); pc += 1; NEXT;", "loc")
for k in range(4):
    op(f"get.l{k}", "n", 0, 1, f"stk[sp] = LOC({k}); sp += 1; pc += 1; NEXT;", "loc")
for k in range(4):
    op(f"set.l{k}", "n", 1, 0, f"LOC({k}) = ST(1); sp -= 1; pc += 1; NEXT;", "loc")
op("inc.l", "l", 0, 0, "LOC(LOCA) = I64(U64(LOC(LOCA)) + 1); pc += 1; NEXT;", "loc")
op("dec.l", "l", 0, 0, "LOC(LOCA) = I64(U64(LOC(LOCA)) - 1); pc += 1; NEXT;", "loc")
op("addi.l", "li", 0, 0, "LOC(LOCA) = I64(U64(LOC(LOCA)) + U64((int64_t)IMM16)); pc += 1; NEXT;", "loc")
op("get.l2x", "ll", 0, 2, """
stk[sp] = LOC(LOCA);
stk[sp + 1] = LOC(LOCB);
sp += 2;
pc += 1;
NEXT;""", "loc", "push local a, local b")
for nm, e in [("add", "I64(U64(x) + U64(y))"), ("sub", "I64(U64(x) - U64(y))"),
              ("mul", "I64(U64(x) * U64(y))"), ("xor", "x ^ y"), ("lt", "(int64_t)(x < y)")]:
    op(f"{nm}.ll", "ll", 0, 1, f"""
int64_t x = LOC(LOCA), y = LOC(LOCB);
stk[sp] = {e};
sp += 1;
pc += 1;
NEXT;""", "loc", f"push local a {nm} local b")
for nm, e in [("add", "I64(U64(x) + U64(y))"), ("sub", "I64(U64(x) - U64(y))"), ("xor", "x ^ y")]:
    op(f"{nm}.ls", "l", 1, 0, f"""
int64_t x = LOC(LOCA), y = ST(1);
LOC(LOCA) = {e};
sp -= 1;
pc += 1;
NEXT;""", "loc", f"( v -- ) local = local {nm} v")
op("mov.ll", "ll", 0, 0, "LOC(LOCA) = LOC(LOCB); pc += 1; NEXT;", "loc", "local a = local b")

# --- globals and VM context ------------------------------------------------
op("gget", "u24", 0, 1, "stk[sp] = GL(IMMU); sp += 1; pc += 1; NEXT;", "glob", "push global (imm & 15)", sel="glob")
op("gset", "u24", 1, 0, "GL(IMMU) = ST(1); sp -= 1; pc += 1; NEXT;", "glob", sel="globw")
op("gadd", "u24", 1, 0, "GL(IMMU) = I64(U64(GL(IMMU)) + U64(ST(1))); sp -= 1; pc += 1; NEXT;", "glob", sel="globw")
op("gxor", "u24", 1, 0, "GL(IMMU) ^= ST(1); sp -= 1; pc += 1; NEXT;", "glob", sel="globw")
op("pushf", "n", 0, 1, "stk[sp] = (int64_t)ctx->flags; sp += 1; pc += 1; NEXT;", "glob", "push the flags of the last add/sub")
op("clrf", "n", 0, 0, "ctx->flags = 0; pc += 1; NEXT;", "glob")
op("acc.add", "n", 1, 0, "ctx->acc = I64(U64(ctx->acc) + U64(ST(1))); sp -= 1; pc += 1; NEXT;", "glob")
op("acc.get", "n", 0, 1, "stk[sp] = ctx->acc; sp += 1; pc += 1; NEXT;", "glob")
op("steps", "n", 0, 1, "stk[sp] = (int64_t)count; sp += 1; pc += 1; NEXT;", "glob", "push the instruction count")

# --- binary arithmetic -----------------------------------------------------
# The add/sub family keeps x86-like flags (carry, overflow, zero, sign) in the
# context and counts signed overflows: these are the handlers with the most
# live temporaries.
ADD_FLAGS = """
uint64_t r = U64(a) + U64(b);
uint32_t cf = r < U64(a);
uint32_t of = (uint32_t)(((U64(a) ^ r) & (U64(b) ^ r)) >> 63);
ctx->flags = cf | (of << 1) | ((uint32_t)(r == 0) << 2) | ((uint32_t)(r >> 63) << 3);
ctx->ovf += of;"""
SUB_FLAGS = """
uint64_t r = U64(a) - U64(b);
uint32_t cf = U64(a) < U64(b);
uint32_t of = (uint32_t)(((U64(a) ^ U64(b)) & (U64(a) ^ r)) >> 63);
ctx->flags = cf | (of << 1) | ((uint32_t)(r == 0) << 2) | ((uint32_t)(r >> 63) << 3);
ctx->ovf += of;"""
op("add", "n", 2, 1, f"int64_t b = ST(1), a = ST(2);{ADD_FLAGS}\nST(2) = I64(r);\nsp -= 1;\npc += 1;\nNEXT;",
   "alu", "( a b -- a+b ) sets flags")
op("sub", "n", 2, 1, f"int64_t b = ST(1), a = ST(2);{SUB_FLAGS}\nST(2) = I64(r);\nsp -= 1;\npc += 1;\nNEXT;",
   "alu", "( a b -- a-b ) sets flags")
op("adc", "n", 2, 1, """
int64_t b = ST(1), a = ST(2);
uint64_t c = ctx->flags & 1;
uint64_t t = U64(a) + U64(b);
uint64_t r = t + c;
uint32_t cf = (uint32_t)(t < U64(a)) | (uint32_t)(r < t);
uint32_t of = (uint32_t)(((U64(a) ^ r) & (U64(b) ^ r)) >> 63);
ctx->flags = cf | (of << 1) | ((uint32_t)(r == 0) << 2) | ((uint32_t)(r >> 63) << 3);
ctx->ovf += of;
ST(2) = I64(r);
sp -= 1;
pc += 1;
NEXT;""", "alu", "( a b -- a+b+carry ) sets flags")
op("sbb", "n", 2, 1, """
int64_t b = ST(1), a = ST(2);
uint64_t c = ctx->flags & 1;
uint64_t t = U64(a) - U64(b);
uint64_t r = t - c;
uint32_t cf = (uint32_t)(U64(a) < U64(b)) | (uint32_t)(t < c);
uint32_t of = (uint32_t)(((U64(a) ^ U64(b)) & (U64(a) ^ r)) >> 63);
ctx->flags = cf | (of << 1) | ((uint32_t)(r == 0) << 2) | ((uint32_t)(r >> 63) << 3);
ctx->ovf += of;
ST(2) = I64(r);
sp -= 1;
pc += 1;
NEXT;""", "alu", "( a b -- a-b-carry ) sets flags")
BINOPS = [
    ("mul", "I64(U64(a) * U64(b))"),
    ("mulhu", "I64(lvm_mulhu(U64(a), U64(b)))"),  # see lvm_mulhu
    ("divs", "b == 0 ? 0 : b == -1 ? I64(0 - U64(a)) : a / b"),
    ("divu", "b == 0 ? 0 : I64(U64(a) / U64(b))"),
    ("rems", "(b == 0 || b == -1) ? 0 : a % b"),
    ("remu", "b == 0 ? 0 : I64(U64(a) % U64(b))"),
    ("and", "a & b"), ("or", "a | b"), ("xor", "a ^ b"), ("andn", "a & ~b"),
    ("shl", "I64(U64(a) << (b & 63))"),
    ("shrs", "a >> (b & 63)"),
    ("shru", "I64(U64(a) >> (b & 63))"),
    ("rotl", "I64(lvm_rotl(U64(a), (uint32_t)b))"),
    ("rotr", "I64(lvm_rotl(U64(a), (uint32_t)(64 - (b & 63))))"),
    ("min", "a < b ? a : b"), ("max", "a > b ? a : b"),
    ("minu", "U64(a) < U64(b) ? a : b"), ("maxu", "U64(a) > U64(b) ? a : b"),
]
for nm, e in BINOPS:
    op(nm, "n", 2, 1, f"int64_t b = ST(1), a = ST(2);\nST(2) = {e};\nsp -= 1;\npc += 1;\nNEXT;", "alu", f"( a b -- {e} )")

# --- arithmetic with an immediate -------------------------------------------
op("addi", "i24", 1, 1, f"int64_t a = ST(1), b = IMM;{ADD_FLAGS}\nST(1) = I64(r);\npc += 1;\nNEXT;",
   "alui", "( a -- a+imm ) sets flags")
op("subi", "i24", 1, 1, f"int64_t a = ST(1), b = IMM;{SUB_FLAGS}\nST(1) = I64(r);\npc += 1;\nNEXT;",
   "alui", "( a -- a-imm ) sets flags")
IMMOPS = [
    ("muli", "I64(U64(a) * U64(b))"),
    ("andi", "a & b"), ("ori", "a | b"), ("xori", "a ^ b"),
    ("shli", "I64(U64(a) << (b & 63))"),
    ("shrsi", "a >> (b & 63)"),
    ("shrui", "I64(U64(a) >> (b & 63))"),
    ("rotli", "I64(lvm_rotl(U64(a), (uint32_t)b))"),
    ("rotri", "I64(lvm_rotl(U64(a), (uint32_t)(64 - (b & 63))))"),
    ("divsi", "b == 0 ? 0 : b == -1 ? I64(0 - U64(a)) : a / b"),
    ("remui", "b == 0 ? 0 : I64(U64(a) % U64(b))"),
    ("mini", "a < b ? a : b"), ("maxi", "a > b ? a : b"),
]
for nm, e in IMMOPS:
    op(nm, "i24", 1, 1, f"int64_t a = ST(1), b = IMM;\nST(1) = {e};\npc += 1;\nNEXT;", "alui", f"( a -- {e} ), b = imm")

# --- comparisons --------------------------------------------------------------
for nm, e in [("eq", "a == b"), ("ne", "a != b"), ("lt", "a < b"), ("le", "a <= b"),
              ("gt", "a > b"), ("ge", "a >= b"), ("ltu", "U64(a) < U64(b)"),
              ("leu", "U64(a) <= U64(b)"), ("gtu", "U64(a) > U64(b)"), ("geu", "U64(a) >= U64(b)")]:
    op(nm, "n", 2, 1, f"int64_t b = ST(1), a = ST(2);\nST(2) = (int64_t)({e});\nsp -= 1;\npc += 1;\nNEXT;", "cmp", f"( a b -- {e} )")
op("cmp3", "n", 2, 1, "int64_t b = ST(1), a = ST(2);\nST(2) = (int64_t)(a > b) - (int64_t)(a < b);\nsp -= 1;\npc += 1;\nNEXT;", "cmp", "( a b -- -1/0/1 )")
UNOPS = [
    ("eqz", "(int64_t)(a == 0)"), ("nez", "(int64_t)(a != 0)"),
    ("neg", "I64(0 - U64(a))"), ("not", "~a"),
    ("abs", "a < 0 ? I64(0 - U64(a)) : a"),
    ("clz", "a == 0 ? 64 : (int64_t)__builtin_clzll(U64(a))"),
    ("ctz", "a == 0 ? 64 : (int64_t)__builtin_ctzll(U64(a))"),
    ("popcnt", "(int64_t)__builtin_popcountll(U64(a))"),
    ("sext8", "(int64_t)(int8_t)a"), ("sext16", "(int64_t)(int16_t)a"), ("sext32", "(int64_t)(int32_t)a"),
    ("zext8", "a & 0xff"), ("zext16", "a & 0xffff"), ("zext32", "a & 0xffffffffLL"),
    ("bswap", "I64(__builtin_bswap64(U64(a)))"),
    ("inc", "I64(U64(a) + 1)"), ("dec", "I64(U64(a) - 1)"),
    ("bool", "(int64_t)(a != 0)"),
]
for nm, e in UNOPS:
    op(nm, "n", 1, 1, f"int64_t a = ST(1);\nST(1) = {e};\npc += 1;\nNEXT;", "un" if nm not in ("eqz", "nez") else "cmp", f"( a -- {e} )")

# --- memory: four addressing modes x seven loads and four stores --------------
LOADS = [("8s", 1), ("8u", 1), ("16s", 2), ("16u", 2), ("32s", 4), ("32u", 4), ("64", 8)]
STORES = [("8", 1), ("16", 2), ("32", 4), ("64", 8)]
for w, n in LOADS:
    op(f"ld{w}", "n", 1, 1, f"ST(1) = lvm_ld{w}(mem, LVM_BA(ST(1)));\npc += 1;\nNEXT;", "mem", "( addr -- v )")
    op(f"ld{w}.o", "i24", 1, 1, f"ST(1) = lvm_ld{w}(mem, LVM_BA(U64(ST(1)) + U64((int64_t)IMM)));\npc += 1;\nNEXT;",
       "mem", "( addr -- v ) at addr + imm", sel="memoff")
    op(f"ld{w}.g", "u24", 0, 1, f"stk[sp] = lvm_ld{w}(mem, LVM_BA(IMMU));\nsp += 1;\npc += 1;\nNEXT;",
       "mem", "( -- v ) at imm", sel="memabs")
    op(f"ld{w}.x", "n", 2, 1, f"""
int64_t i = ST(1), base = ST(2);
ST(2) = lvm_ld{w}(mem, LVM_BA(U64(base) + U64(i) * {n}));
sp -= 1;
pc += 1;
NEXT;""", "mem", f"( base i -- v ) at base + i*{n}")
for w, n in STORES:
    op(f"st{w}", "n", 2, 0, f"lvm_st{w}(mem, LVM_BA(ST(1)), ST(2));\nsp -= 2;\npc += 1;\nNEXT;", "mem", "( v addr -- )")
    op(f"st{w}.o", "i24", 2, 0, f"lvm_st{w}(mem, LVM_BA(U64(ST(1)) + U64((int64_t)IMM)), ST(2));\nsp -= 2;\npc += 1;\nNEXT;",
       "mem", "( v addr -- ) at addr + imm", sel="memoff")
    op(f"st{w}.g", "u24", 1, 0, f"lvm_st{w}(mem, LVM_BA(IMMU), ST(1));\nsp -= 1;\npc += 1;\nNEXT;",
       "mem", "( v -- ) at imm", sel="memabs")
    op(f"st{w}.x", "n", 3, 0, f"""
int64_t i = ST(1), base = ST(2), v = ST(3);
lvm_st{w}(mem, LVM_BA(U64(base) + U64(i) * {n}), v);
sp -= 3;
pc += 1;
NEXT;""", "mem", f"( v base i -- ) at base + i*{n}")

# --- calls of helpers through trait-object-like vtables -----------------------
HV = "ctx->helpers[IMMU & 63]"
op("callh.bin", "u24", 2, 1, f"int64_t b = ST(1), a = ST(2);\nST(2) = {HV}->bin(a, b);\nsp -= 1;\npc += 1;\nNEXT;",
   "call", "( a b -- helper[k].bin(a, b) )", sel="help")
op("callh.binx", "n", 3, 1, """
int64_t k = ST(1), b = ST(2), a = ST(3);
ST(3) = ctx->helpers[k & 63]->bin(a, b);
sp -= 2;
pc += 1;
NEXT;""", "call", "( a b k -- helper[k].bin(a, b) )")
op("callh.un", "u24", 1, 1, f"ST(1) = {HV}->un(ST(1));\npc += 1;\nNEXT;", "call", "( a -- helper[k].un(a) )", sel="help")
op("callh.unx", "n", 2, 1, """
int64_t k = ST(1), a = ST(2);
ST(2) = ctx->helpers[k & 63]->un(a);
sp -= 1;
pc += 1;
NEXT;""", "call", "( a k -- helper[k].un(a) )")
op("callh.tern", "u24", 3, 1, f"""
int64_t c = ST(1), b = ST(2), a = ST(3);
ST(3) = {HV}->tern(a, b, c);
sp -= 2;
pc += 1;
NEXT;""", "call", "( a b c -- helper[k].tern(a, b, c) )", sel="help")
op("callh.sink", "u24", 1, 0, f"{HV}->sink(ctx, ST(1));\nsp -= 1;\npc += 1;\nNEXT;", "call", "( v -- ) helper[k].sink(ctx, v)", sel="help")
op("callh.f64", "u24", 2, 1, f"""
double r = {HV}->f64((double)(ST(2) & 0xfffff), (double)(ST(1) & 0xfffff));
ST(2) = (int64_t)r;
sp -= 1;
pc += 1;
NEXT;""", "call", "( a b -- (i64) helper[k].f64(a & 0xfffff, b & 0xfffff) )", sel="help")
op("callh.bits", "u24", 1, 1, """
uint32_t k = IMMU;
ST(1) = ctx->helpers[k & 63]->bits(ST(1), (int32_t)((k >> 6) & 63), (int32_t)((k >> 12) & 31));
pc += 1;
NEXT;""", "call", "( a -- helper[k].bits(a, lo, width) ), imm = k | lo << 6 | width << 12", sel="bits")
op("callh.mem", "u24", 2, 1, f"""
int64_t seed = ST(1), addr = ST(2);
ST(2) = {HV}->memred(mem, (uint32_t)addr, seed);
sp -= 1;
pc += 1;
NEXT;""", "call", "( addr seed -- helper[k].memred(mem, addr, seed) )", sel="help")
op("callh.hash4", "u24", 4, 1, f"""
uint32_t d = (uint32_t)ST(1), c = (uint32_t)ST(2), b = (uint32_t)ST(3), a = (uint32_t)ST(4);
ST(4) = (int64_t){HV}->hash4(a, b, c, d);
sp -= 3;
pc += 1;
NEXT;""", "call", "( a b c d -- helper[k].hash4(a, b, c, d) )", sel="help")
op("callh.drop", "u24", 0, 0, f"{HV}->drop(ctx);\npc += 1;\nNEXT;", "call", "helper[k].drop(ctx)", sel="help")
op("meta.eff", "n", 1, 1, """
int64_t w = ST(1);
ST(1) = (int64_t)lvm_ops[w & 0xff]->effect((uint32_t)w);
pc += 1;
NEXT;""", "call", "( w -- descriptor[w & 0xff].effect(w) )")
op("meta.len", "n", 1, 1, """
uint32_t p = 1 + (uint32_t)(U64(ST(1)) % (code[0] - 1));
ST(1) = (int64_t)lvm_ops[code[p] & 0xff]->verify(code, p);
pc += 1;
NEXT;""", "call", "( p -- length of the instruction at p, or -1 )")

# --- specialised immediates (superinstructions a compiler would emit) ---------
for k in [1, 2, 4, 8, 16, -1, -2, -8]:
    nm = f"add.k{k}" if k >= 0 else f"add.km{-k}"
    op(nm, "n", 1, 1, f"int64_t a = ST(1), b = {k};{ADD_FLAGS}\nST(1) = I64(r);\npc += 1;\nNEXT;",
       "spec", f"( a -- a{k:+d} ) sets flags")
for k in [3, 5, 7, 9, 10, 31]:
    op(f"mul.k{k}", "n", 1, 1, f"int64_t a = ST(1);\nST(1) = I64(U64(a) * {k});\npc += 1;\nNEXT;", "spec", f"( a -- a*{k} )")
for k in [1, 2, 3, 4, 8]:
    op(f"shl.k{k}", "n", 1, 1, f"int64_t a = ST(1);\nST(1) = I64(U64(a) << {k});\npc += 1;\nNEXT;", "spec", f"( a -- a<<{k} )")
for k in [1, 2, 4, 8, 16, 29]:
    op(f"shru.k{k}", "n", 1, 1, f"int64_t a = ST(1);\nST(1) = I64(U64(a) >> {k});\npc += 1;\nNEXT;", "spec", f"( a -- a>>>{k} )")
_xr = random.Random(0x1a46e5)
for k in range(8):
    c = _xr.getrandbits(64) | 1
    op(f"xor.k{k}", "n", 1, 1, f"int64_t a = ST(1);\nST(1) = I64(U64(a) ^ 0x{c:016x}ULL);\npc += 1;\nNEXT;", "spec",
       f"( a -- a ^ 0x{c:016x} )")
for nm, m in [("ff", 0xff), ("ffff", 0xffff), ("ffffffff", 0xffffffff),
              ("7f", 0x7fffffffffffffff), ("55", 0x5555555555555555)]:
    op(f"and.k{nm}", "n", 1, 1, f"int64_t a = ST(1);\nST(1) = I64(U64(a) & 0x{m:x}ULL);\npc += 1;\nNEXT;", "spec",
       f"( a -- a & 0x{m:x} )")
for k in [5, 7, 13, 17, 27]:
    op(f"rotl.k{k}", "n", 1, 1, f"int64_t a = ST(1);\nST(1) = I64(lvm_rotl(U64(a), {k}));\npc += 1;\nNEXT;", "spec",
       f"( a -- rotl(a, {k}) )")

assert len(OPS) == 256, len(OPS)
for i, o in enumerate(OPS):
    o.num = i
OPN = {o.name: o for o in OPS}
assert len(OPN) == 256
for o in OPS:
    b = o.body.rstrip()
    assert b.endswith("NEXT;") or b.endswith(");") and ("HALT_WITH" in b or "TRAP_WITH" in b), o.name


def op_len_c(o):
    """C expression for the instruction length, given word w."""
    if o.fmt == "tab":
        return "((w >> 8) + 2)"
    return str(FMT_LEN[o.fmt])


# ---------------------------------------------------------------------------
# Helper vtables: N_HELPER_IMPLS "impls" of one trait with 9 methods
# ---------------------------------------------------------------------------
def c64(x):
    return f"0x{x & 0xffffffffffffffff:016x}ULL"


def gen_helpers():
    rng = random.Random(0x5eed0001)
    out = []
    for i in range(N_HELPER_IMPLS):
        k1 = rng.getrandbits(64) | 1
        k2 = rng.getrandbits(64)
        r1 = rng.randrange(1, 63)
        r2 = rng.randrange(1, 63)
        s = i & 15
        m = {}
        m["drop"] = (f"static void lvm_h{i}_drop(void *p) {{\n"
                     f"    VmCtx *c = (VmCtx *)p;\n"
                     f"    c->scratch[{s}] = I64(U64(c->scratch[{s}]) * {c64(k1)} + {i + 1});\n}}")
        t = rng.randrange(5)
        e = ["(U64(a) + U64(b)) ^ {k}", "(U64(a) ^ U64(b)) * {k}", "lvm_rotl(U64(a), {r}) + U64(b)",
             "(U64(a) - U64(b)) ^ (U64(b) >> {r})", "(U64(a) & U64(b)) | ((U64(a) ^ {k}) & ~U64(b))"][t]
        m["bin"] = (f"static int64_t lvm_h{i}_bin(int64_t a, int64_t b) {{\n"
                    f"    return I64({e.format(k=c64(k1), r=r1)});\n}}")
        t = rng.randrange(4)
        e = ["(U64(x) ^ (U64(x) >> {r})) * {k}", "lvm_rotl(U64(x), {r}) ^ {k}", "U64(x) * {k} + {k2}",
             "~U64(x) + (U64(x) << {r})"][t]
        m["un"] = (f"static int64_t lvm_h{i}_un(int64_t x) {{\n"
                   f"    return I64({e.format(k=c64(k1), k2=c64(k2), r=r2)});\n}}")
        t = rng.randrange(3)
        e = ["U64(a) * U64(b) + (U64(c) ^ {k})", "(U64(a) & U64(c)) | (U64(b) & ~U64(c))",
             "U64(a) + lvm_rotl(U64(b), {r}) - U64(c)"][t]
        m["tern"] = (f"static int64_t lvm_h{i}_tern(int64_t a, int64_t b, int64_t c) {{\n"
                     f"    return I64({e.format(k=c64(k2), r=r1)});\n}}")
        m["sink"] = (f"static void lvm_h{i}_sink(VmCtx *c, int64_t v) {{\n"
                     f"    uint64_t h = U64(c->sink[{i & 7}]) ^ U64(v);\n"
                     f"    c->sink[{i & 7}] = I64(lvm_rotl(h, {r1}) * {c64(k1)});\n}}")
        c1, c2 = rng.choice([0.25, 0.5, 0.75, 1.5, 2.0, 3.0]), rng.choice([0.125, 0.5, 1.0, 1.25, 2.5])
        t = rng.randrange(3)
        e = [f"x * {c1} + y * {c2}", f"(x - y) * {c1} + {float(i)}", f"x * {c2} - y * {c1} + 0.5"][t]
        m["f64"] = (f"static double lvm_h{i}_f64(double x, double y) {{\n"
                    f"    return {e};\n}}")
        t = rng.randrange(3)
        e = ["(U64(x) >> (lo & 63)) & ((1ULL << ((w & 31) + 1)) - 1)",
             "U64(x) ^ (({k} & ((1ULL << ((w & 31) + 1)) - 1)) << (lo & 31))",
             "lvm_rotl(U64(x), (uint32_t)lo) + (uint64_t)(uint32_t)w * {k}"][t]
        m["bits"] = (f"static int64_t lvm_h{i}_bits(int64_t x, int32_t lo, int32_t w) {{\n"
                     f"    return I64({e.format(k=c64(k2))});\n}}")
        st = rng.choice([1, 3, 8, 17])
        m["memred"] = (f"static int64_t lvm_h{i}_memred(const int64_t *m, uint32_t addr, int64_t seed) {{\n"
                       f"    uint64_t h = U64(seed) ^ {c64(k2)};\n"
                       f"    h = (h ^ U64(m[(addr) & LVM_MEM_MASK])) * {c64(k1)};\n"
                       f"    h = (h ^ U64(m[(addr + {st}) & LVM_MEM_MASK])) * {c64(k1)};\n"
                       f"    h = (h ^ U64(m[(addr + {2 * st}) & LVM_MEM_MASK])) * {c64(k1)};\n"
                       f"    return I64(h ^ (h >> {r2}));\n}}")
        ka, kb = rng.getrandbits(32) | 1, rng.getrandbits(32) | 1
        m["hash4"] = (f"static uint32_t lvm_h{i}_hash4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {{\n"
                      f"    uint32_t h = a * 0x{ka:08x}u ^ b;\n"
                      f"    h = (h << {r1 & 31 or 1}) | (h >> {32 - (r1 & 31 or 1)});\n"
                      f"    h = h * 0x{kb:08x}u ^ c;\n"
                      f"    return (h ^ (h >> 15)) * 0x{ka:08x}u + d;\n}}")
        size, align = rng.choice([(8, 8), (16, 8), (24, 8), (4, 4), (12, 4), (0, 1)])
        out.append((i, m, size, align))
    return out


HELPER_METHODS = ["drop", "bin", "un", "tern", "sink", "f64", "bits", "memred", "hash4"]

# ---------------------------------------------------------------------------
# Per-opcode descriptor functions: verify, effect, fmt
# ---------------------------------------------------------------------------
FMT_KIND = {"n": 0, "i24": 1, "u24": 2, "tgt": 3, "l": 4, "ll": 5, "li": 6, "enter": 7,
            "lit": 6, "lt": 4, "ti": 3, "w": 8, "d": 8, "tab": 9}


def verify_fn(o):
    L = []
    L.append(f"static int32_t lvm_verify_{o.cid}(const uint32_t *code, uint32_t pc) {{")
    L.append("    uint32_t w = code[pc];")
    L.append(f"    if ((w & 0xff) != {o.num}) return -1;")
    if o.fmt == "tab":
        L.append("    uint32_t n = w >> 8;")
        L.append("    if (n > 64 || pc + n + 2 > code[0]) return -1;")
        L.append("    for (uint32_t i = 0; i <= n; i++)")
        L.append("        if (code[pc + 1 + i] == 0 || code[pc + 1 + i] >= code[0]) return -2;")
        L.append("    return (int32_t)(n + 2);")
    else:
        n = FMT_LEN[o.fmt]
        if n > 1:
            L.append(f"    if (pc + {n} > code[0]) return -1;")
        if o.fmt in ("tgt", "ti"):
            L.append("    if ((w >> 8) == 0 || (w >> 8) >= code[0]) return -2;")
        if o.fmt in ("lit", "lt"):
            L.append("    if (code[pc + 1] == 0 || code[pc + 1] >= code[0]) return -2;")
        if o.fmt in ("l", "ll", "li", "lit", "lt"):
            L.append("    if (((w >> 8) & 0xff) >= LVM_MAX_LOCALS) return -3;")
        if o.fmt == "ll":
            L.append("    if (((w >> 16) & 0xff) >= LVM_MAX_LOCALS) return -3;")
        if o.fmt == "enter":
            L.append("    if (((w >> 8) & 0xff) + ((w >> 16) & 0xff) > LVM_MAX_LOCALS) return -3;")
        L.append(f"    return {n};")
    L.append("}")
    return "\n".join(L)


FAMS = ["ctl", "br", "stk", "loc", "glob", "alu", "alui", "cmp", "un", "mem", "call", "spec"]


def effect_fn(o):
    pushes = "((w >> 16) & 0xff)" if o.pushes == "m" else str(o.pushes)
    return (f"static uint32_t lvm_effect_{o.cid}(uint32_t w) {{\n"
            f"    return {o.pops}u | ((uint32_t){pushes} << 4) | ((uint32_t){op_len_c(o)} << 8)"
            f" | ({o.num}u << 16) | ({FAMS.index(o.fam)}u << 24);\n}}")


def fmt_fn(o):
    kind = FMT_KIND[o.fmt]
    val = {0: "0", 1: "(int64_t)((int32_t)w >> 8)", 2: "(int64_t)(w >> 8)", 3: "(int64_t)(w >> 8)",
           4: "(int64_t)((w >> 8) & 0xff)", 5: "(int64_t)(((w >> 8) & 0xff) * 1000 + ((w >> 16) & 0xff))",
           6: "(int64_t)(((w >> 8) & 0xff) * 100000 + ((int32_t)w >> 16))",
           7: "(int64_t)(((w >> 8) & 0xff) * 1000 + ((w >> 16) & 0xff))", 8: "0", 9: "(int64_t)(w >> 8)"}[kind]
    return (f"static int32_t lvm_fmt_{o.cid}(char *buf, uint32_t w, uint32_t cap) {{\n"
            f"    return lvm_fmt_emit(buf, cap, \"{o.name}\", {kind}, {val});\n}}")


# ---------------------------------------------------------------------------
# Assembler
# ---------------------------------------------------------------------------
class Asm:
    def __init__(self, name):
        self.name = name
        self.words = [0]          # word 0: program length (header)
        self.labels = {}
        self.fix = []             # (word index, label, kind)
        self.insns = []           # (pc, text, label list)
        self.pending = []

    def L(self, lab):
        assert lab not in self.labels, lab
        self.labels[lab] = len(self.words)
        self.pending.append(lab)

    def __call__(self, name, *args):
        o = OPN[name]
        pc = len(self.words)
        w = [o.num]
        text = name + (" " + ", ".join(str(a) for a in args) if args else "")

        def tgt(lab, idx, shift):
            self.fix.append((pc + idx, lab, shift))

        f = o.fmt
        if f == "n":
            assert not args, name
        elif f == "i24":
            (v,) = args
            assert -(1 << 23) <= v < (1 << 23), (name, v)
            w[0] |= (v & 0xffffff) << 8
        elif f == "u24":
            (v,) = args
            assert 0 <= v < (1 << 24)
            w[0] |= v << 8
        elif f == "tgt":
            (lab,) = args
            tgt(lab, 0, 8)
        elif f == "l":
            (l,) = args
            assert 0 <= l < 32
            w[0] |= l << 8
        elif f in ("ll", "enter"):
            a, b = args
            assert 0 <= a < 32 and 0 <= b < 32
            w[0] |= a << 8 | b << 16
        elif f == "li":
            l, i = args
            assert 0 <= l < 32 and -32768 <= i < 32768
            w[0] |= l << 8 | (i & 0xffff) << 16
        elif f == "lit":
            l, i, lab = args
            assert 0 <= l < 32 and -32768 <= i < 32768
            w[0] |= l << 8 | (i & 0xffff) << 16
            w.append(0)
            tgt(lab, 1, 0)
        elif f == "lt":
            l, lab = args
            w[0] |= l << 8
            w.append(0)
            tgt(lab, 1, 0)
        elif f == "ti":
            lab, imm = args
            assert -(1 << 31) <= imm < (1 << 31)
            tgt(lab, 0, 8)
            w.append(imm & 0xffffffff)
        elif f == "w":
            (imm,) = args
            assert -(1 << 31) <= imm < (1 << 32)
            w.append(imm & 0xffffffff)
        elif f == "d":
            (imm,) = args
            imm &= 0xffffffffffffffff
            w += [imm & 0xffffffff, imm >> 32]
        elif f == "tab":
            labs = args
            w[0] |= (len(labs) - 1) << 8
            for j, lab in enumerate(labs):
                w.append(0)
                tgt(lab, 1 + j, 0)
        self.words += w
        self.insns.append((pc, text, self.pending))
        self.pending = []

    def finish(self):
        assert not self.pending
        for idx, lab, shift in self.fix:
            t = self.labels[lab]
            self.words[idx] |= t << shift
        self.words[0] = len(self.words)
        return self

    def c_array(self, cname, doc):
        out = [f"/* {doc} */", f"static const uint32_t {cname}[{len(self.words)}] = {{",
               f"    /*     0 */ {len(self.words)}u, /* length in words */"]
        ends = [p for p, _, _ in self.insns[1:]] + [len(self.words)]
        for (pc, text, labs), end in zip(self.insns, ends):
            for lab in labs:
                out.append(f"    /* {lab}: */")
            ws = ", ".join(f"0x{x:08x}u" for x in self.words[pc:end])
            out.append(f"    /* {pc:5d} */ {ws}, /* {text} */")
        out.append("};")
        return "\n".join(out)


# ---------------------------------------------------------------------------
# Bytecode programs
# ---------------------------------------------------------------------------
def prog_fib():
    """fib(FIB_N) by naive recursion, each call with a frame of 3 locals. The
    return path of every non-leaf call dispatches on n & 7 (br.table) to one
    of eight bookkeeping blocks using different opcode families, so the hot
    loop runs ~45 distinct opcodes."""
    a = Asm("fib")
    a("enter", 0, 2)
    a("push.w", 0x2545F491); a("gset", 0)
    a("push.w", 0x1234567); a("gset", 1)
    a("push.i", FIB_N)
    a("call", "fib")
    # result = fib(N) + (G0 ^ G1) * 3 + sum of G2..G9
    a("gget", 0); a("gget", 1); a("xor"); a("mul.k3"); a("add")
    for g in range(2, 10):
        a("gget", g); a("add")
    a("halt")

    a.L("fib")                      # ( n -- fib(n) ) l0 = n, l1, l2
    a("enter", 1, 2)
    a("bl.lt", 0, 2, "leaf")
    a("get.l0"); a("add.km1"); a("call", "fib"); a("set.l1")
    a("get.l0"); a("add.km2"); a("call", "fib"); a("set.l2")
    a("add.ll", 1, 2)               # r
    a("get.l0"); a("andi", 7)
    a("br.table", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7")
    a.L("k0")                       # G0 = rotl(G0 ^ r, 13) * 31
    a("dup"); a("gget", 0); a("xor"); a("rotl.k13"); a("mul.k31"); a("gset", 0)
    a("ret")
    a.L("k1")                       # G1 = helper[5].bin(r, G1)
    a("dup"); a("gget", 1); a("callh.bin", 5); a("gset", 1)
    a("ret")
    a.L("k2")                       # mem32[256 + 4n] ^= r
    a("dup"); a("get.l0"); a("shl.k2"); a("ld32u.o", 256); a("xor")
    a("get.l0"); a("shl.k2"); a("st32.o", 256)
    a("ret")
    a.L("k3")                       # G3 += r; G4 ^= flags
    a("dup"); a("gget", 3); a("add"); a("gset", 3); a("pushf"); a("gxor", 4)
    a("ret")
    a.L("k4")                       # G5 = maxu(r, G5) via select
    a("dup"); a("gget", 5); a("over"); a("over"); a("gtu"); a("select"); a("gset", 5)
    a("ret")
    a.L("k5")                       # G6 -= sext16(r); l1 ^= r >> 3
    a("dup"); a("sext16"); a("gget", 6); a("swap"); a("sub"); a("gset", 6)
    a("dup"); a("shru.k1"); a("shru.k2"); a("xor.ls", 1)
    a("ret")
    a.L("k6")                       # G7 ^= helper[n].un(r)
    a("dup"); a("get.l0"); a("callh.unx"); a("gxor", 7)
    a("ret")
    a.L("k7")                       # G8 += clz(bswap r) + ctz(r); mem64 log
    a("dup"); a("bswap"); a("clz"); a("gadd", 8)
    a("dup"); a("ctz"); a("gadd", 8)
    a("dup"); a("get.l0"); a("and.kff"); a("push.w", 4096); a("swap"); a("st64.x")
    a("ret")
    a.L("leaf")                     # n < 2: G9 += n + 1, return n
    a("get.l0"); a("dup"); a("inc"); a("gadd", 9)
    a("ret")
    return a.finish()


def prog_sieve():
    """SV_ROUNDS rounds of a byte-flag sieve of Eratosthenes over SV_N
    numbers, then per round: count primes, hash them, a 16-bit histogram of
    prime gaps, and a popcount pass over the flags 8 bytes at a time. Locals:
    l0 rounds left, l1 i, l2 p, l3 j, l4 N, l5 last prime, l6 gap, l7 sum."""
    a = Asm("sieve")
    F, H, N = SV_FLAGS, SV_HIST, SV_N
    a("enter", 0, 8)
    a("push.w", SV_ROUNDS); a("set.l", 0)
    a("push.w", N); a("set.l", 4)
    a("push.w", 0x2545F491); a("gset", 1)
    a.L("round")
    a("push0"); a("set.l", 1)
    a.L("init")                     # flags[8i .. 8i+8) = 1, one st64 each
    a("push.d", 0x0101010101010101); a("push.w", F); a("get.l", 1); a("st64.x")
    a("inc.l", 1)
    a("get.l", 1); a("push.w", N // 8); a("b.lt", "init")
    a("push0"); a("push.w", F); a("st16")       # flags[0], flags[1] = 0
    a("push.i", 2); a("set.l2")
    a.L("outer")                    # for p while p*p < N
    a("get.l2"); a("dup"); a("mul"); a("get.l", 4); a("b.ge", "count0")
    a("get.l2"); a("ld8u.o", F); a("jz", "next_p")
    a("get.l2"); a("dup"); a("mul"); a("set.l3")
    a.L("inner")                    # for j = p*p; j < N; j += p: flags[j] = 0
    a("push0"); a("get.l3"); a("st8.o", F)
    a("get.l2"); a("add.ls", 3)
    a("get.l3"); a("get.l", 4); a("b.lt", "inner")
    a.L("next_p")
    a("inc.l", 2); a("jmp", "outer")
    a.L("count0")
    a("push.i", 2); a("set.l", 1); a("push0"); a("set.l", 5)
    a.L("count")                    # for i in 2..N: if flags[i]
    a("push.w", F); a("get.l", 1); a("ld8u.x"); a("jz", "cnext")
    a("gget", 0); a("inc"); a("gset", 0)                     # count += 1
    a("sub.ll", 1, 5); a("and.kff"); a("set.l", 6)           # gap
    a("push.w", H); a("get.l", 6); a("ld16u.x"); a("inc")
    a("push.w", H); a("get.l", 6); a("st16.x")               # hist[gap] += 1
    a("mov.ll", 5, 1)
    a("gget", 1); a("get.l", 1); a("xor"); a("callh.un", 11)  # hash
    a("rotl.k27"); a("xor.k3"); a("gset", 1)
    a.L("cnext")
    a("inc.l", 1)
    a("lt.ll", 1, 4); a("jnz", "count")
    a("push0"); a("set.l", 1); a("push0"); a("set.l", 7)
    a.L("pcnt")                     # l7 = popcount of all flags
    a("push.w", F); a("get.l", 1); a("ld64.x"); a("popcnt"); a("add.ls", 7)
    a("inc.l", 1); a("bl.lt", 1, N // 8, "pcnt")
    a("get.l", 7); a("gxor", 2); a("gget", 2); a("rotl.k5"); a("gset", 2)
    a("djnz.l", 0, "round")
    a("push0"); a("set.l", 1); a("push0"); a("set.l", 7)
    a.L("hsum")                     # l7 = sum hist[i] * (i + 1)
    a("push.w", H); a("get.l", 1); a("ld16u.x"); a("get.l", 1); a("inc"); a("mul"); a("add.ls", 7)
    a("inc.l", 1); a("bl.lt", 1, 256, "hsum")
    a("gget", 0); a("gget", 1); a("add"); a("gget", 2); a("xor"); a("get.l", 7); a("add")
    a("halt")
    return a.finish()


def prog_ops():
    """Every opcode in a loop of OPS_ITERS iterations (halt and trap outside
    it). Each generic opcode gets inputs derived from global 0 and its outputs
    are folded back into global 0."""
    rng = random.Random(0x0b5c0de)
    a = Asm("ops")
    a("enter", 0, 9)                # l8: iterations left; the opcodes under test use l0..l7
    a("push.w", OPS_ITERS); a("set.l", 8)
    a("push.w", 0x13579BDF); a("gset", 0)
    for l in range(1, 8):
        a("push.w", rng.getrandbits(32)); a("set.l", l)
    a.L("loop")
    uid = [0]

    def lab(s):
        uid[0] += 1
        return f"{s}{uid[0]}"

    def inputs(n):
        for _ in range(n):
            a("gget", 0); a("push.w", rng.getrandbits(31)); a("xor")
            a("rotl.k7"); a("gget", 0); a("add.k1"); a("gset", 0)

    def fold(n):
        for _ in range(n):
            a("gxor", 0)
        a("gget", 0); a("mul.k31"); a("rotl.k17"); a("gset", 0)

    def branch_tail(taken):
        join = lab("join")
        a("push.i", 1); a("gxor", 1); a("jmp", join)
        a.L(taken)
        a("push.i", 2); a("gadd", 1)
        a.L(join)

    def operand(o):
        f = o.fmt
        if f in ("i24",):
            if o.sel == "memoff":
                return (rng.randrange(-4000, 4000),)
            return (rng.choice([1, -1, 3, 7, 63, 64, 100, -100, 12345, -77, 1 << 20, -(1 << 22)]),)
        if f == "u24":
            s = o.sel
            if s == "glob":
                return (rng.randrange(16),)
            if s == "globw":
                return (rng.randrange(3, 16),)
            if s == "memabs":
                return (rng.randrange(0, 1 << 19),)
            if s == "help":
                return (rng.randrange(64),)
            if s == "bits":
                return (rng.randrange(1 << 17),)
            if s == "pick":
                return (rng.randrange(4),)
            raise AssertionError(o.name)
        if f == "l":
            return (rng.randrange(1, 8),)
        if f == "ll":
            return (rng.randrange(1, 8), rng.randrange(1, 8))
        if f == "li":
            return (rng.randrange(1, 8), rng.randrange(-1000, 1000))
        if f == "w":
            return (rng.getrandbits(32),)
        if f == "d":
            return (rng.getrandbits(64),)
        assert f == "n", o.name
        return ()

    for o in OPS:
        n = o.name
        if n in ("halt", "trap", "enter", "ret", "ret0"):
            continue            # halt below, trap in prog_trap, the rest in the subroutines
        if n == "jmp":
            t = lab("j")
            a("jmp", t); a("trap"); a.L(t)
        elif n in ("jz", "jnz"):
            t = lab("t")
            inputs(1); a("and.kff")
            a(n, t); branch_tail(t)
        elif n == "call":
            inputs(2); a("call", "sub2"); fold(1)
        elif n == "call.ind":
            a("push.w", 0)          # the immediate is patched to the address of sub0
            a.fix.append((len(a.words) - 1, "sub0", 0))
            a("call.ind")
        elif n == "djnz.l":
            t = lab("d")
            a("push.i", 3); a("set.l", 3)
            a.L(t)
            a("gget", 0); a("inc"); a("gset", 0)
            a("djnz.l", 3, t)
        elif n == "br.table":
            ts = [lab("bt") for _ in range(4)]
            join = lab("btj")
            inputs(1); a("and.kff"); a("shru.k1"); a("andi", 7)
            a("br.table", *ts)
            for j, t in enumerate(ts):
                a.L(t)
                a("push.i", j + 1); a("gadd", 1); a("jmp", join)
            a.L(join)
        elif o.fam == "br":
            t = lab("t")
            if n.startswith("b."):
                inputs(2)
                a(n, t)
            elif n.startswith("bi."):
                inputs(1)
                a(n, t, rng.getrandbits(31) - (1 << 30))
            else:
                a("gget", 0); a("set.l", 5)
                a(n, 5, rng.randrange(-30000, 30000), t)
            branch_tail(t)
        else:
            ins = o.pops
            outs = o.pushes
            inputs(ins)
            a(n, *operand(o))
            fold(outs)
    a("djnz.l", 8, "loop")
    a("gget", 0)
    a("halt")
    a.L("sub2")                     # ( a b -- a - b ) with 1 extra local
    a("enter", 2, 1); a("get.l0"); a("get.l1"); a("sub"); a("set.l2")
    a("get.l2"); a("gxor", 3); a("get.l2"); a("ret")
    a.L("sub0")
    a("enter", 0, 0); a("push.i", 1); a("gadd", 3); a("ret0")
    return a.finish()


def prog_trap():
    a = Asm("trap")
    a("push.i", 7)
    a("trap")
    return a.finish()


# ---------------------------------------------------------------------------
# C output
# ---------------------------------------------------------------------------
def indent(text, n):
    pad = " " * n
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def gen_c():
    helpers = gen_helpers()
    progs = [("lvm_prog_fib", prog_fib(), f"fib({FIB_N}) by recursion, with bookkeeping in every call"),
             ("lvm_prog_sieve", prog_sieve(), f"{SV_ROUNDS} rounds of a byte sieve over {SV_N} numbers"),
             ("lvm_prog_ops", prog_ops(), f"every opcode, {OPS_ITERS} iterations"),
             ("lvm_prog_trap", prog_trap(), "stops with the trap opcode")]
    o = []
    w = o.append
    w("""/*
 * largevm.c: GENERATED by gen_largevm.py; do not edit (edit the generator).
 *
 * A large tail-calling bytecode VM shaped like an interpreter written in Rust
 * and compiled to wasm32 with +tail-call: 256 opcode handlers of one type,
 * (11 x i32) -> () in Wasm, each ending in
 *     [[musttail]] return table[code[pc] & 0xff].fn(...all 11 words...);
 * (an i32.load of the opcode, an i32.load of the handler from the dispatch
 * table in linear memory, return_call_indirect). The funcref table interleaves
 * the handlers with ~1,200 functions of 12 other types: the verify, effect and
 * fmt functions in each opcode's descriptor, and 48 helper vtables with nine
 * methods each (like Rust trait objects), some called by the callh.* and
 * meta.* opcodes.
 *
 * Built with LARGEVM_SWITCH defined (largeswitchvm.c), the same opcode bodies
 * are the cases of one switch in a loop instead.
 *
 * Exports: run, run_fib, run_sieve, run_ops (each () -> i64).
 */
#include <stdint.h>

#if defined(__wasm__) || defined(LARGEVM_SWITCH)
#define PRESERVE_NONE
#else
#define PRESERVE_NONE __attribute__((preserve_none))
#endif
#define MUSTTAIL __attribute__((musttail))
#define NOINLINE __attribute__((noinline))

#define LVM_MEM_CELLS 65536
#define LVM_MEM_MASK (LVM_MEM_CELLS - 1)
#define LVM_MEM_BYTE_MASK (LVM_MEM_CELLS * 8 - 1)
#define LVM_STACK 8192
#define LVM_RSTACK 8192
#define LVM_MAX_LOCALS 32
#define LVM_ILLEGAL ((int64_t)0x7ff0deadbeef0000LL)

#define U64(x) ((uint64_t)(x))
#define I64(x) ((int64_t)(x))

typedef struct VmCtx VmCtx;

/* The helper "trait": 9 methods of 9 different Wasm types. */
typedef void (*DropFn)(void *);
typedef int64_t (*BinFn)(int64_t, int64_t);
typedef int64_t (*UnFn)(int64_t);
typedef int64_t (*TernFn)(int64_t, int64_t, int64_t);
typedef void (*SinkFn)(VmCtx *, int64_t);
typedef double (*F64Fn)(double, double);
typedef int64_t (*BitsFn)(int64_t, int32_t, int32_t);
typedef int64_t (*MemFn)(const int64_t *, uint32_t, int64_t);
typedef uint32_t (*Hash4Fn)(uint32_t, uint32_t, uint32_t, uint32_t);
typedef struct HelperVt {
    DropFn drop;
    uint32_t size, align;
    BinFn bin;
    UnFn un;
    TernFn tern;
    SinkFn sink;
    F64Fn f64;
    BitsFn bits;
    MemFn memred;
    Hash4Fn hash4;
} HelperVt;

/* Per-opcode descriptor functions: 3 more Wasm types. */
typedef int32_t (*VerifyFn)(const uint32_t *code, uint32_t pc);
typedef uint32_t (*EffectFn)(uint32_t word);
typedef int32_t (*FmtFn)(char *buf, uint32_t word, uint32_t cap);

struct VmCtx {
    int64_t result;
    uint32_t steps, status;
    uint32_t flags, ovf;
    int64_t zero;
    int64_t acc;
    int64_t globals[16];
    int64_t sink[8];
    int64_t scratch[16];
    const HelperVt *const *helpers;
};

#ifndef LARGEVM_SWITCH
typedef struct Handler Handler;
/* The eleven words of VM state, in parameter order. */
#define VM_PARAMS                                                              \\
    const uint32_t *code, intptr_t pc, int64_t *stk, intptr_t sp,             \\
        uint32_t *rstk, intptr_t rsp, int64_t *mem, const Handler *table,      \\
        intptr_t fp, uint32_t count, VmCtx *ctx
#define VM_ARGS code, pc, stk, sp, rstk, rsp, mem, table, fp, count, ctx
typedef PRESERVE_NONE void (*HandlerFn)(VM_PARAMS);
struct Handler {
    HandlerFn fn;
};
#endif

typedef struct OpDesc {
    const char *name;
#ifndef LARGEVM_SWITCH
    Handler run;
#endif
    VerifyFn verify;
    EffectFn effect;
    FmtFn fmt;
} OpDesc;
#ifndef LARGEVM_SWITCH
#define DESC_RUN(h) {h},
#else
#define DESC_RUN(h)
#endif

static inline uint64_t lvm_rotl(uint64_t x, uint32_t r) {
    r &= 63;
    return (x << r) | (x >> ((64 - r) & 63));
}
/* High 64 bits of a*b without the carry out of the low half. (The exact
 * version is an idiom LLVM turns into a 128-bit multiply: a libcall in wasm32.) */
static inline uint64_t lvm_mulhu(uint64_t a, uint64_t b) {
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    return ah * bh + ((al * bh) >> 32) + ((ah * bl) >> 32);
}
""")
    # forward declarations
    w("/* ---- forward declarations ---------------------------------------------- */")
    w("#ifndef LARGEVM_SWITCH")
    for op_ in OPS:
        w(f"static PRESERVE_NONE void op_{op_.cid}(VM_PARAMS);")
    w("#endif")
    for op_ in OPS:
        w(f"static int32_t lvm_verify_{op_.cid}(const uint32_t *, uint32_t);"
          f" static uint32_t lvm_effect_{op_.cid}(uint32_t);"
          f" static int32_t lvm_fmt_{op_.cid}(char *, uint32_t, uint32_t);")
    sigs = {"drop": "void {n}(void *);", "bin": "int64_t {n}(int64_t, int64_t);",
            "un": "int64_t {n}(int64_t);", "tern": "int64_t {n}(int64_t, int64_t, int64_t);",
            "sink": "void {n}(VmCtx *, int64_t);", "f64": "double {n}(double, double);",
            "bits": "int64_t {n}(int64_t, int32_t, int32_t);",
            "memred": "int64_t {n}(const int64_t *, uint32_t, int64_t);",
            "hash4": "uint32_t {n}(uint32_t, uint32_t, uint32_t, uint32_t);"}
    for i, m, _, _ in helpers:
        w(" ".join("static " + sigs[k].format(n=f"lvm_h{i}_{k}") for k in HELPER_METHODS))

    # data: descriptors interleaved with helper vtables
    w("""
/* ---- descriptors and vtables ----------------------------------------------
 * External linkage and defined before any function, so that clang emits them
 * in this order and wasm-ld, which gives table slots to address-taken
 * functions in the order it meets them, interleaves the handlers (one per
 * descriptor) with the descriptor functions and the vtable methods. */""")
    groups = 32
    per = 256 // groups
    vt_after = {}
    for v in range(N_HELPER_IMPLS):
        vt_after.setdefault(v * groups // N_HELPER_IMPLS, []).append(v)
    for g in range(groups):
        for op_ in OPS[g * per:(g + 1) * per]:
            w(f"const OpDesc lvm_desc_{op_.cid} = {{\"{op_.name}\", DESC_RUN(op_{op_.cid}) "
              f"lvm_verify_{op_.cid}, lvm_effect_{op_.cid}, lvm_fmt_{op_.cid}}};")
        for v in vt_after.get(g, []):
            _, m, size, align = helpers[v]
            fields = ", ".join(
                [f"lvm_h{v}_drop", str(size), str(align)] + [f"lvm_h{v}_{k}" for k in HELPER_METHODS[1:]])
            w(f"const HelperVt lvm_vt{v} = {{{fields}}};")
    w("")
    w("const OpDesc *const lvm_ops[256] = {")
    for i in range(0, 256, 4):
        w("    " + " ".join(f"&lvm_desc_{x.cid}," for x in OPS[i:i + 4]))
    w("};")
    w("const HelperVt *const lvm_helpers[64] = {")
    for i in range(0, 64, 8):
        w("    " + " ".join(f"&lvm_vt{j % N_HELPER_IMPLS}," for j in range(i, i + 8)))
    w("};")
    w("#ifndef LARGEVM_SWITCH")
    w("const Handler lvm_dispatch[256] = {")
    for i in range(0, 256, 4):
        w("    " + " ".join(f"{{op_{x.cid}}}," for x in OPS[i:i + 4]))
    w("};")
    w("#endif")

    # programs
    w("\n/* ---- bytecode programs (word 0: length; execution starts at word 1) ------ */")
    for cname, prog, doc in progs:
        w(prog.c_array(cname, doc))
        w("")

    # helper methods
    w("/* ---- helper methods ------------------------------------------------------ */")
    for i, m, _, _ in helpers:
        for k in HELPER_METHODS:
            w(m[k])
    # descriptor functions
    w("""
/* ---- descriptor functions -------------------------------------------------- */
/* Writes name and operand to buf (NUL-terminated, at most cap bytes); returns
 * the length. kind 0: no operand; otherwise a decimal number. */
static NOINLINE int32_t lvm_fmt_emit(char *buf, uint32_t cap, const char *name, int32_t kind, int64_t v) {
    uint32_t n = 0;
    while (*name && n + 1 < cap) buf[n++] = *name++;
    if (kind != 0 && n + 24 < cap) {
        char tmp[24];
        uint32_t k = 0;
        uint64_t u = v < 0 ? 0 - U64(v) : U64(v);
        buf[n++] = kind == 4 || kind == 5 ? 'l' : kind == 3 || kind == 9 ? '@' : ' ';
        if (v < 0) buf[n++] = '-';
        do {
            tmp[k++] = (char)('0' + u % 10);
            u /= 10;
        } while (u != 0);
        while (k > 0) buf[n++] = tmp[--k];
    }
    buf[n] = 0;
    return (int32_t)n;
}""")
    for op_ in OPS:
        w(verify_fn(op_))
        w(effect_fn(op_))
        w(fmt_fn(op_))

    # memory access helpers and body macros
    w("""
/* ---- opcode bodies: shared by both builds ------------------------------------
 * State: code, pc, stk, sp, rstk, rsp, mem, table, fp, count, ctx.
 * ST(1) is the top of the data stack, LOC(i) local i of the current frame. */
#define OPW (code[pc])
#define IMM ((int32_t)code[pc] >> 8)
#define IMMU (code[pc] >> 8)
#define LOCA ((code[pc] >> 8) & 0xff)
#define LOCB ((code[pc] >> 16) & 0xff)
#define IMM16 ((int32_t)code[pc] >> 16)
#define XW1 ((int32_t)code[pc + 1])
#define ST(i) stk[sp - (i)]
#define LOC(i) stk[fp + (intptr_t)(i)]
#define GL(i) ctx->globals[(i) & 15]
#define LVM_BA(x) ((uint32_t)(U64(x) & LVM_MEM_BYTE_MASK))
#define HALT_WITH(v)                                                          \\
    do {                                                                      \\
        ctx->result = (v);                                                    \\
        ctx->steps = count;                                                   \\
        return;                                                               \\
    } while (0)
#define TRAP_WITH(s)                                                          \\
    do {                                                                      \\
        ctx->status = (s);                                                    \\
        HALT_WITH(LVM_ILLEGAL);                                               \\
    } while (0)
""")
    for wd, n in LOADS:
        bits = {"8": 8, "16": 16, "32": 32, "64": 64}[wd.rstrip("su")]
        sgn = "int" if wd.endswith("s") or wd == "64" else "uint"
        w(f"static inline int64_t lvm_ld{wd}(const int64_t *m, uint32_t a) {{\n"
          f"    {sgn}{bits}_t v;\n    __builtin_memcpy(&v, (const char *)m + a, {n});\n    return (int64_t)v;\n}}")
    for wd, n in STORES:
        w(f"static inline void lvm_st{wd}(int64_t *m, uint32_t a, int64_t v) {{\n"
          f"    uint{wd}_t x = (uint{wd}_t)v;\n    __builtin_memcpy((char *)m + a, &x, {n});\n}}")

    # tail-call build
    w("""
#ifndef LARGEVM_SWITCH
/* ---- tail-calling handlers --------------------------------------------------- */
#define NEXT                                                                  \\
    do {                                                                      \\
        count += 1;                                                           \\
        MUSTTAIL return table[code[pc] & 0xff].fn(VM_ARGS);                   \\
    } while (0)
#define HANDLER(name) static PRESERVE_NONE NOINLINE void name(VM_PARAMS)
""")
    for op_ in OPS:
        w(f"/* {op_.num}: {op_.name} {op_.doc} */")
        w(f"HANDLER(op_{op_.cid}) {{")
        w(indent(op_.body, 4))
        w("}")
    w("""
static NOINLINE void lvm_engine(const uint32_t *code, int64_t *stk, uint32_t *rstk, int64_t *mem, VmCtx *ctx) {
    const Handler *table = lvm_dispatch;
    table[code[1] & 0xff].fn(code, 1, stk, 0, rstk, 0, mem, table, 0, 1, ctx);
}
#undef NEXT
#else
/* ---- switch build ------------------------------------------------------------ */
#ifndef LVM_TRACE_OP
#define LVM_TRACE_OP(op)
#endif
#define NEXT continue
static NOINLINE void lvm_engine(const uint32_t *code, int64_t *stk, uint32_t *rstk, int64_t *mem, VmCtx *ctx) {
    intptr_t pc = 1, sp = 0, rsp = 0, fp = 0;
    uint32_t count = 0;
    for (;;) {
        count += 1;
        LVM_TRACE_OP(code[pc] & 0xff);
        switch (code[pc] & 0xff) {""")
    for op_ in OPS:
        w(f"        case {op_.num}: {{ /* {op_.name} */")
        w(indent(op_.body, 12))
        w("        }")
    w("""        }
    }
}
#undef NEXT
#endif

/* ---- running a program ------------------------------------------------------- */
static int64_t lvm_stack[LVM_STACK];
static uint32_t lvm_rstack[LVM_RSTACK];
static int64_t lvm_mem[LVM_MEM_CELLS + 1];
static VmCtx lvm_ctx;
static char lvm_text[64];

static inline int64_t lvm_mix(int64_t result, int64_t steps) {
    uint64_t h = (uint64_t)result * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)steps + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    return (int64_t)h;
}

/* Walks the program with the descriptors: every instruction must verify.
 * Returns a hash of the stack effects, or -1. */
static NOINLINE int64_t lvm_verify(const uint32_t *code) {
    uint64_t h = 0;
    uint32_t pc = 1;
    while (pc < code[0]) {
        const OpDesc *d = lvm_ops[code[pc] & 0xff];
        int32_t len = d->verify(code, pc);
        if (len <= 0) return -1;
        h = h * 31 + d->effect(code[pc]);
        pc += (uint32_t)len;
    }
    return pc == code[0] ? (int64_t)(h >> 1) : -1;
}

/* FNV-1a of the program's disassembly (the descriptors' fmt functions). */
static NOINLINE uint64_t lvm_disasm_hash(const uint32_t *code) {
    uint64_t h = 0xcbf29ce484222325ULL;
    uint32_t pc = 1;
    while (pc < code[0]) {
        const OpDesc *d = lvm_ops[code[pc] & 0xff];
        int32_t n = d->fmt(lvm_text, code[pc], sizeof lvm_text);
        for (int32_t i = 0; i < n; i++) h = (h ^ (uint8_t)lvm_text[i]) * 0x100000001b3ULL;
        h = (h ^ '\\n') * 0x100000001b3ULL;
        int32_t len = d->verify(code, pc);
        if (len <= 0) return h ^ 1;
        pc += (uint32_t)len;
    }
    return h;
}

static uint64_t lvm_ctx_hash(const VmCtx *c) {
    uint64_t h = (uint64_t)c->flags | (uint64_t)c->ovf << 32;
    h = h * 0x100000001b3ULL ^ U64(c->acc);
    for (int i = 0; i < 16; i++) h = lvm_rotl(h, 9) * 0x9E3779B97F4A7C15ULL ^ U64(c->globals[i]);
    for (int i = 0; i < 8; i++) h = lvm_rotl(h, 9) * 0x9E3779B97F4A7C15ULL ^ U64(c->sink[i]);
    for (int i = 0; i < 16; i++) h = lvm_rotl(h, 9) * 0x9E3779B97F4A7C15ULL ^ U64(c->scratch[i]);
    return h;
}

static NOINLINE int64_t lvm_exec(const uint32_t *code) {
    /* A fresh VM: memory, stacks and context zeroed (volatile: no memset). */
    VmCtx *ctx = &lvm_ctx;
    for (int i = 0; i < LVM_MEM_CELLS + 1; i++) ((volatile int64_t *)lvm_mem)[i] = 0;
    for (int i = 0; i < LVM_STACK; i++) ((volatile int64_t *)lvm_stack)[i] = 0;
    for (int i = 0; i < LVM_RSTACK; i++) ((volatile uint32_t *)lvm_rstack)[i] = 0;
    for (int i = 0; i < 16; i++) {
        ((volatile int64_t *)ctx->globals)[i] = 0;
        ((volatile int64_t *)ctx->scratch)[i] = 0;
    }
    for (int i = 0; i < 8; i++) ((volatile int64_t *)ctx->sink)[i] = 0;
    ctx->result = 0;
    ctx->steps = 0;
    ctx->status = 0;
    ctx->flags = 0;
    ctx->ovf = 0;
    ctx->zero = 0;
    ctx->acc = 0;
    ctx->helpers = lvm_helpers;
    if (lvm_verify(code) < 0) return LVM_ILLEGAL;
    lvm_engine(code, lvm_stack, lvm_rstack, lvm_mem, ctx);
    return lvm_mix(ctx->result, (int64_t)ctx->steps);
}

int64_t run_fib(void) { return lvm_exec(lvm_prog_fib); }
int64_t run_sieve(void) { return lvm_exec(lvm_prog_sieve); }
int64_t run_ops(void) {
    uint64_t a = (uint64_t)lvm_exec(lvm_prog_ops);
    uint64_t s = lvm_ctx_hash(&lvm_ctx);
    uint64_t v = (uint64_t)lvm_verify(lvm_prog_ops);
    uint64_t d = lvm_disasm_hash(lvm_prog_ops);
    uint64_t t = (uint64_t)lvm_exec(lvm_prog_trap) ^ lvm_ctx.status;
    return (int64_t)(a ^ (s * 3) ^ (v * 5) ^ (d * 7) ^ (t * 11));
}
int64_t run(void) {
    uint64_t a = (uint64_t)run_fib();
    uint64_t b = (uint64_t)run_sieve();
    uint64_t c = (uint64_t)run_ops();
    return (int64_t)(a ^ (b * 31) ^ (c * 961));
}""")
    return "\n".join(o) + "\n", progs


SWITCH_C = """/*
 * largeswitchvm.c: GENERATED by gen_largevm.py; do not edit.
 *
 * The switch build of largevm.c: the same opcodes, descriptors, helpers and
 * bytecode programs, and the same results and instruction counts, with the
 * opcode bodies as the cases of one switch in a loop (a br_table in a loop in
 * Wasm) instead of tail-calling handlers.
 */
#define LARGEVM_SWITCH 1
#include "largevm.c"
"""


def main():
    check = "--check" in sys.argv[1:]
    text, _ = gen_c()
    files = {"largevm.c": text, "largeswitchvm.c": SWITCH_C}
    stale = []
    for name, content in files.items():
        path = os.path.join(HERE, name)
        try:
            old = open(path).read()
        except FileNotFoundError:
            old = None
        if old != content:
            stale.append(name)
            if not check:
                with open(path, "w") as f:
                    f.write(content)
                print(f"gen_largevm.py: wrote {name}")
    if check and stale:
        sys.exit(f"gen_largevm.py: out of date: {', '.join(stale)} (run gen_largevm.py)")


if __name__ == "__main__":
    main()
