/*
 * vm_programs.h: the opcode set and the bytecode programs shared by tailvm.c
 * (tail-calling handlers) and switchvm.c (one switch loop). Both VMs must
 * give bit-identical results for every program here.
 *
 * Machine model
 *   - cells are signed 64-bit integers; arithmetic wraps (two's complement).
 *   - data stack: the top of stack lives in a register ("tos"); the cells
 *     below it are stk[0 .. sp-1] (stk[sp-1] is the second item).
 *   - return stack: rstk[0 .. rsp-1], holds return addresses (CALL/RET)
 *     and loop values (TOR/FROMR/RFETCH).
 *   - memory: MEM_CELLS cells; every address is masked with MEM_MASK.
 *   - code: an array of int32 words; an instruction is its opcode word,
 *     followed by one immediate word for the opcodes marked "imm".
 *     Jump/call targets are absolute word indices into the code array.
 *   - a step counter is incremented on every instruction executed; the
 *     entry points mix it into the checksum (see vm_mix).
 *
 * Stack effects are written ( before -- after ), top of stack rightmost.
 */
#ifndef KITE_VM_PROGRAMS_H
#define KITE_VM_PROGRAMS_H

#include <stdint.h>

enum {
    OP_HALT = 0, /* ( x -- )       stop; the result is x                     */
    OP_NOP,      /* ( -- )                                                   */
    OP_PUSH,     /* imm ( -- imm )                                           */
    OP_DUP,      /* ( a -- a a )                                             */
    OP_DROP,     /* ( a -- )                                                 */
    OP_SWAP,     /* ( a b -- b a )                                           */
    OP_OVER,     /* ( a b -- a b a )                                         */
    OP_ROT,      /* ( a b c -- b c a )                                       */
    OP_NIP,      /* ( a b -- b )                                             */
    OP_TUCK,     /* ( a b -- b a b )                                         */
    OP_ADD,      /* ( a b -- a+b )                                           */
    OP_SUB,      /* ( a b -- a-b )                                           */
    OP_MUL,      /* ( a b -- a*b )                                           */
    OP_DIV,      /* ( a b -- a/b )  truncating; b==0 gives 0, b==-1 gives -a */
    OP_MOD,      /* ( a b -- a%b )  sign of a; b==0 or b==-1 gives 0         */
    OP_NEG,      /* ( a -- -a )                                              */
    OP_AND,      /* ( a b -- a&b )                                           */
    OP_OR,       /* ( a b -- a|b )                                           */
    OP_XOR,      /* ( a b -- a^b )                                           */
    OP_NOT,      /* ( a -- ~a )                                              */
    OP_SHL,      /* ( a b -- a<<(b&63) )                                     */
    OP_SHR,      /* ( a b -- a>>(b&63) )  arithmetic                         */
    OP_USHR,     /* ( a b -- a>>(b&63) )  logical                            */
    OP_EQ,       /* ( a b -- a==b )  1 or 0                                  */
    OP_LT,       /* ( a b -- a<b )   signed                                  */
    OP_GT,       /* ( a b -- a>b )   signed                                  */
    OP_EQZ,      /* ( a -- a==0 )                                            */
    OP_INC,      /* ( a -- a+1 )                                             */
    OP_DEC,      /* ( a -- a-1 )                                             */
    OP_ADDI,     /* imm ( a -- a+imm )                                       */
    OP_JMP,      /* imm ( -- )       pc = imm                                */
    OP_JZ,       /* imm ( a -- )     if a==0, pc = imm                       */
    OP_JNZ,      /* imm ( a -- )     if a!=0, pc = imm                       */
    OP_CALL,     /* imm ( -- )       push pc of next instruction on rstk,    */
                 /*                  pc = imm                                */
    OP_RET,      /* ( -- )           pc = pop rstk                           */
    OP_LOAD,     /* ( addr -- mem[addr] )                                    */
    OP_STORE,    /* ( val addr -- )  mem[addr] = val                         */
    OP_LOADI,    /* imm ( -- mem[imm] )                                      */
    OP_STOREI,   /* imm ( val -- )   mem[imm] = val                          */
    OP_TOR,      /* ( a -- )  R: ( -- a )                                    */
    OP_FROMR,    /* ( -- a )  R: ( a -- )                                    */
    OP_RFETCH,   /* ( -- a )  R: ( a -- a )                                  */
    OP_COUNT     /* number of opcodes (42); the dispatch table has 64 slots, */
                 /* the unused ones stop the VM with VM_ILLEGAL              */
};

#define VM_TABLE_SIZE 64
#define VM_ILLEGAL ((int64_t)0x7ff0deadbeef0000LL)

#define MEM_CELLS 65536
#define MEM_MASK (MEM_CELLS - 1)
#define STACK_CELLS 4096
#define RSTACK_CELLS 4096

/* Checksum of one program run: result and number of instructions executed. */
static inline int64_t vm_mix(int64_t result, int64_t steps) {
    uint64_t h = (uint64_t)result * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)steps + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    return (int64_t)h;
}

/* ------------------------------------------------------------------------ */
/* Program 1: recursive fib.                                                */
/*   main: push FIB_N; call fib; halt                                       */
/*   fib ( n -- fib(n) ): if n < 2 return n; else fib(n-1) + fib(n-2)       */
/* ------------------------------------------------------------------------ */
#define FIB_N 35

#define FIB_FN 5   /* word index of the fib function   */
#define FIB_REC 13 /* word index of the recursive case */
static const int32_t prog_fib[] = {
    /*  0 */ OP_PUSH, FIB_N,
    /*  2 */ OP_CALL, FIB_FN,
    /*  4 */ OP_HALT,
    /* fib: ( n -- fib(n) ) */
    /*  5 */ OP_DUP,
    /*  6 */ OP_PUSH, 2,
    /*  8 */ OP_LT,
    /*  9 */ OP_JZ, FIB_REC,
    /* 11 */ OP_RET,            /* n < 2: result is n                  */
    /* 12 */ OP_NOP,            /* never reached                       */
    /* rec: ( n ) */
    /* 13 */ OP_DUP,
    /* 14 */ OP_DEC,
    /* 15 */ OP_CALL, FIB_FN,   /* n fib(n-1)                          */
    /* 17 */ OP_SWAP,           /* fib(n-1) n                          */
    /* 18 */ OP_ADDI, -2,       /* fib(n-1) n-2                        */
    /* 20 */ OP_CALL, FIB_FN,   /* fib(n-1) fib(n-2)                   */
    /* 22 */ OP_ADD,
    /* 23 */ OP_RET,
};

/* ------------------------------------------------------------------------ */
/* Program 2: sieve of Eratosthenes over mem[SV_BASE .. SV_BASE+SV_N),     */
/* repeated SV_ROUNDS times. Every round it sets the flags, crosses out     */
/* multiples, then walks the flags: count += 1 and                          */
/* hash = ((hash ^ p) * FNV_PRIME) ^ (hash >>> 29) for every prime p.       */
/* count and hash carry over between rounds. Result: hash + count.          */
/* Variables: mem[0] rounds left, mem[2] count, mem[3] hash.                */
/* ------------------------------------------------------------------------ */
#define SV_N 60000
#define SV_BASE 16
#define SV_ROUNDS 128
#define SV_FNV_LO 0x000001b3 /* FNV-1a 64-bit prime 0x100000001b3 = (1<<40) + 0x1b3 */

#define SV_ROUND 10
#define SV_INIT_LOOP 14
#define SV_INIT_DONE 31
#define SV_OUTER 34
#define SV_INNER 53
#define SV_INNER_DONE 70
#define SV_NEXT_P 71
#define SV_OUTER_DONE 74
#define SV_COUNT_LOOP 77
#define SV_COUNT_NEXT 117
#define SV_COUNT_DONE 120
#define SV_FINISH 133
static const int32_t prog_sieve[] = {
    /*   0 */ OP_PUSH, SV_ROUNDS,
    /*   2 */ OP_STOREI, 0,
    /*   4 */ OP_PUSH, 0,
    /*   6 */ OP_STOREI, 2,
    /*   8 */ OP_PUSH, 0x2545F491,     /* initial hash */
    /* round: ( hash ) */
    /*  10 */ OP_STOREI, 3,
    /* set flags[2..N) = 1 */
    /*  12 */ OP_PUSH, 2,             /* i          */
    /* init_loop: ( i ) */
    /*  14 */ OP_DUP,                 /* i i        */
    /*  15 */ OP_PUSH, SV_N,
    /*  17 */ OP_LT,
    /*  18 */ OP_JZ, SV_INIT_DONE,
    /*  20 */ OP_PUSH, 1,             /* i 1        */
    /*  22 */ OP_OVER,                /* i 1 i      */
    /*  23 */ OP_ADDI, SV_BASE,       /* i 1 i+B    */
    /*  25 */ OP_STORE,               /* i          */
    /*  26 */ OP_INC,
    /*  27 */ OP_JMP, SV_INIT_LOOP,
    /*  29 */ OP_NOP, OP_NOP,
    /* init_done: ( i ) */
    /*  31 */ OP_DROP,
    /*  32 */ OP_PUSH, 2,             /* p          */
    /* outer: ( p ) */
    /*  34 */ OP_DUP,
    /*  35 */ OP_DUP,
    /*  36 */ OP_MUL,                 /* p p*p      */
    /*  37 */ OP_PUSH, SV_N,
    /*  39 */ OP_LT,                  /* p (p*p<N)  */
    /*  40 */ OP_JZ, SV_OUTER_DONE,
    /*  42 */ OP_DUP,
    /*  43 */ OP_ADDI, SV_BASE,
    /*  45 */ OP_LOAD,                /* p flag     */
    /*  46 */ OP_JZ, SV_NEXT_P,
    /*  48 */ OP_DUP,
    /*  49 */ OP_DUP,
    /*  50 */ OP_MUL,                 /* p j=p*p    */
    /*  51 */ OP_NOP, OP_NOP,
    /* inner: ( p j ) */
    /*  53 */ OP_DUP,
    /*  54 */ OP_PUSH, SV_N,
    /*  56 */ OP_LT,
    /*  57 */ OP_JZ, SV_INNER_DONE,
    /*  59 */ OP_PUSH, 0,             /* p j 0      */
    /*  61 */ OP_OVER,                /* p j 0 j    */
    /*  62 */ OP_ADDI, SV_BASE,
    /*  64 */ OP_STORE,               /* p j        */
    /*  65 */ OP_OVER,                /* p j p      */
    /*  66 */ OP_ADD,                 /* p j+p      */
    /*  67 */ OP_JMP, SV_INNER,
    /*  69 */ OP_NOP,
    /* inner_done: ( p j ) */
    /*  70 */ OP_DROP,
    /* next_p: ( p ) */
    /*  71 */ OP_INC,
    /*  72 */ OP_JMP, SV_OUTER,
    /* outer_done: ( p ) */
    /*  74 */ OP_DROP,
    /*  75 */ OP_PUSH, 2,             /* i          */
    /* count_loop: ( i ) */
    /*  77 */ OP_DUP,
    /*  78 */ OP_PUSH, SV_N,
    /*  80 */ OP_LT,
    /*  81 */ OP_JZ, SV_COUNT_DONE,
    /*  83 */ OP_DUP,
    /*  84 */ OP_ADDI, SV_BASE,
    /*  86 */ OP_LOAD,
    /*  87 */ OP_JZ, SV_COUNT_NEXT,
    /*  89 */ OP_LOADI, 2,
    /*  91 */ OP_INC,
    /*  92 */ OP_STOREI, 2,           /* count += 1 */
    /*  94 */ OP_DUP,                 /* i i                              */
    /*  95 */ OP_LOADI, 3,            /* i i h                            */
    /*  97 */ OP_DUP,                 /* i i h h                          */
    /*  98 */ OP_TOR,                 /* i i h          R: h              */
    /*  99 */ OP_XOR,                 /* i (i^h)                          */
    /* 100 */ OP_PUSH, 1, OP_PUSH, 40, OP_SHL, /* i (i^h) 1<<40          */
    /* 105 */ OP_ADDI, SV_FNV_LO,     /* i (i^h) FNV_PRIME                */
    /* 107 */ OP_MUL,                 /* i m                              */
    /* 108 */ OP_FROMR,               /* i m h          R:                */
    /* 109 */ OP_PUSH, 29,
    /* 111 */ OP_USHR,                /* i m h>>>29                       */
    /* 112 */ OP_XOR,                 /* i h'                             */
    /* 113 */ OP_STOREI, 3,           /* i                                */
    /* 115 */ OP_NOP, OP_NOP,
    /* count_next: ( i ) */
    /* 117 */ OP_INC,
    /* 118 */ OP_JMP, SV_COUNT_LOOP,
    /* count_done: ( i ) */
    /* 120 */ OP_DROP,
    /* 121 */ OP_LOADI, 0,
    /* 123 */ OP_DEC,
    /* 124 */ OP_DUP,
    /* 125 */ OP_STOREI, 0,           /* rounds -= 1, value stays on stack */
    /* 127 */ OP_JZ, SV_FINISH,
    /* 129 */ OP_LOADI, 3,            /* hash back on the stack for round */
    /* 131 */ OP_JMP, SV_ROUND,
    /* 133 */ OP_LOADI, 3,
    /* 135 */ OP_LOADI, 2,
    /* 137 */ OP_ADD,
    /* 138 */ OP_HALT,
};

/* ------------------------------------------------------------------------ */
/* Program 3 (small, runs inside run() only): exercises every opcode.       */
/* For k = OPS_ITERS down to 1 it folds k into an accumulator through a     */
/* subroutine that uses all arithmetic, logic, compare and stack opcodes.   */
/* ------------------------------------------------------------------------ */
#define OPS_ITERS 5000
#define OPS_LOOP 6
#define OPS_SUB 40
static const int32_t prog_ops[] = {
    /*  0 */ OP_PUSH, 0x1234567,     /* acc                                 */
    /*  2 */ OP_PUSH, OPS_ITERS,     /* acc k                               */
    /*  4 */ OP_NOP, OP_NOP,
    /* loop: ( acc k ) */
    /*  6 */ OP_TUCK,                /* k acc k                             */
    /*  7 */ OP_CALL, OPS_SUB,       /* k acc'                              */
    /*  9 */ OP_SWAP,                /* acc' k                              */
    /* 10 */ OP_DEC,                 /* acc' k-1                            */
    /* 11 */ OP_DUP,
    /* 12 */ OP_EQZ,
    /* 13 */ OP_JZ, OPS_LOOP,        /* acc' k-1                            */
    /* 15 */ OP_DROP,                /* acc                                 */
    /* 16 */ OP_DUP, OP_STOREI, 100, /* mem[100] = acc                      */
    /* 19 */ OP_PUSH, 100, OP_LOAD,  /* acc acc                             */
    /* 22 */ OP_EQ,                  /* 1                                   */
    /* 23 */ OP_LOADI, 100,          /* 1 acc                               */
    /* 25 */ OP_ADD,                 /* acc+1                               */
    /* 26 */ OP_PUSH, 0, OP_JNZ, 0,  /* not taken                           */
    /* 30 */ OP_JMP, 34,
    /* 32 */ OP_HALT, OP_HALT,       /* skipped                             */
    /* 34 */ OP_HALT,
    /* 35 */ OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP,
    /* sub: ( acc k -- acc' ), called as ( K acc k ) with K = k below   */
    /* 40 */ OP_DUP, OP_TOR,         /* K acc k          R: ret k           */
    /* 42 */ OP_OVER,                /* K acc k acc                         */
    /* 43 */ OP_PUSH, 7, OP_SHL,     /* K acc k acc<<7                      */
    /* 46 */ OP_XOR,                 /* K acc k^(acc<<7)                    */
    /* 47 */ OP_ADD,                 /* K a = acc + (k ^ (acc<<7))          */
    /* 48 */ OP_DUP, OP_PUSH, 13, OP_SHR, /* K a a>>13                      */
    /* 52 */ OP_XOR,                 /* K b                                 */
    /* 53 */ OP_DUP, OP_PUSH, 1000003, OP_MUL, /* K b b*1000003             */
    /* 57 */ OP_SWAP, OP_PUSH, 97, OP_MOD, /* K b*M (b%97)                   */
    /* 61 */ OP_SUB,                 /* K c                                 */
    /* 62 */ OP_RFETCH,              /* K c k                               */
    /* 63 */ OP_PUSH, 3, OP_DIV,     /* K c k/3                             */
    /* 66 */ OP_NEG, OP_NOT,         /* K c ~(-(k/3)) = k/3 - 1             */
    /* 68 */ OP_PUSH, 0x5a, OP_AND,  /* K c (k/3-1)&0x5a                    */
    /* 71 */ OP_OR,                  /* K d                                 */
    /* 72 */ OP_DUP, OP_PUSH, 0xffffff, OP_AND, /* K d d&0xffffff           */
    /* 76 */ OP_PUSH, 0x800000, OP_GT, /* K d (lo>0x800000)                 */
    /* 79 */ OP_ADD,                 /* K e                                 */
    /* 80 */ OP_DUP, OP_PUSH, 0, OP_LT, /* K e n=(e<0)                      */
    /* 84 */ OP_FROMR,               /* K e n k          R: ret             */
    /* 85 */ OP_ROT,                 /* K n k e                             */
    /* 86 */ OP_ROT,                 /* K k e n                             */
    /* 87 */ OP_ADD,                 /* K k e+n                             */
    /* 88 */ OP_NIP,                 /* K f                                 */
    /* 89 */ OP_DUP, OP_PUSH, 33, OP_USHR, OP_ADD, /* K f+(f>>>33)          */
    /* 94 */ OP_INC,
    /* 95 */ OP_PUSH, 5, OP_PUSH, -7, OP_DIV, OP_ADD,   /* + (5 / -7) = 0    */
    /*101 */ OP_PUSH, -9, OP_PUSH, 4, OP_MOD, OP_ADD,   /* + (-9 % 4) = -1   */
    /*107 */ OP_RET,                 /* K acc'                              */
};

#endif
