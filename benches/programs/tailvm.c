/*
 * tailvm.c: a stack VM whose opcode handlers tail-call each other.
 *
 * Every handler takes the whole VM state as ten separate parameters and ends
 * with `return table[code[pc]].fn(...)` marked musttail, so dispatch is an
 * indirect tail call (Wasm: return_call_indirect; x86-64: jmp *reg).
 * Natively the handlers use clang's preserve_none convention so that all ten
 * words travel in registers; in Wasm the macro is empty.
 *
 * Exports: run (all three programs), run_fib, run_sieve.
 * The bytecode programs live in vm_programs.h, shared with switchvm.c.
 */
#include <stdint.h>
#include "vm_programs.h"

#if defined(__wasm__)
#define PRESERVE_NONE
#else
#define PRESERVE_NONE __attribute__((preserve_none))
#endif
#define MUSTTAIL __attribute__((musttail))
#define NOINLINE __attribute__((noinline))

typedef int64_t cell;
typedef struct Handler Handler;

/* The ten words of VM state, in register order. */
#define VM_PARAMS                                                             \
    const int32_t *code, intptr_t pc, cell *stk, intptr_t sp, cell tos,      \
        cell *rstk, intptr_t rsp, cell *mem, const Handler *table,           \
        int64_t count
#define VM_ARGS code, pc, stk, sp, tos, rstk, rsp, mem, table, count

typedef PRESERVE_NONE cell (*HandlerFn)(VM_PARAMS);
struct Handler {
    HandlerFn fn;
};

/* Dispatch to the instruction at pc, counting it. */
#define NEXT                                                                  \
    do {                                                                      \
        count += 1;                                                           \
        MUSTTAIL return table[code[pc]].fn(VM_ARGS);                          \
    } while (0)

#define HANDLER(name) static PRESERVE_NONE NOINLINE cell name(VM_PARAMS)

/* Pop the second item into a local and move the stack. */
#define POP2 cell b = tos; cell a = stk[--sp]
#define PUSH_TOS(v) do { stk[sp++] = tos; tos = (v); } while (0)
#define WRAP(x) ((cell)(x))
#define U(x) ((uint64_t)(x))

static int64_t vm_last_steps;

HANDLER(op_halt) {
    vm_last_steps = count;
    (void)code; (void)pc; (void)stk; (void)sp; (void)rstk; (void)rsp;
    (void)mem; (void)table;
    return tos;
}
HANDLER(op_illegal) {
    vm_last_steps = count;
    (void)code; (void)pc; (void)stk; (void)sp; (void)tos; (void)rstk;
    (void)rsp; (void)mem; (void)table;
    return VM_ILLEGAL;
}
HANDLER(op_nop) { pc += 1; NEXT; }
HANDLER(op_push) { PUSH_TOS(code[pc + 1]); pc += 2; NEXT; }
HANDLER(op_dup) { stk[sp++] = tos; pc += 1; NEXT; }
HANDLER(op_drop) { tos = stk[--sp]; pc += 1; NEXT; }
HANDLER(op_swap) { cell a = stk[sp - 1]; stk[sp - 1] = tos; tos = a; pc += 1; NEXT; }
HANDLER(op_over) { cell a = stk[sp - 1]; stk[sp++] = tos; tos = a; pc += 1; NEXT; }
HANDLER(op_rot) {
    /* ( a b c -- b c a ) */
    cell a = stk[sp - 2], b = stk[sp - 1];
    stk[sp - 2] = b; stk[sp - 1] = tos; tos = a;
    pc += 1; NEXT;
}
HANDLER(op_nip) { sp -= 1; pc += 1; NEXT; }
HANDLER(op_tuck) {
    /* ( a b -- b a b ) */
    cell a = stk[sp - 1];
    stk[sp - 1] = tos; stk[sp++] = a;
    pc += 1; NEXT;
}
HANDLER(op_add) { POP2; tos = WRAP(U(a) + U(b)); pc += 1; NEXT; }
HANDLER(op_sub) { POP2; tos = WRAP(U(a) - U(b)); pc += 1; NEXT; }
HANDLER(op_mul) { POP2; tos = WRAP(U(a) * U(b)); pc += 1; NEXT; }
HANDLER(op_div) {
    POP2;
    tos = b == 0 ? 0 : b == -1 ? WRAP(0 - U(a)) : a / b;
    pc += 1; NEXT;
}
HANDLER(op_mod) {
    POP2;
    tos = (b == 0 || b == -1) ? 0 : a % b;
    pc += 1; NEXT;
}
HANDLER(op_neg) { tos = WRAP(0 - U(tos)); pc += 1; NEXT; }
HANDLER(op_and) { POP2; tos = a & b; pc += 1; NEXT; }
HANDLER(op_or) { POP2; tos = a | b; pc += 1; NEXT; }
HANDLER(op_xor) { POP2; tos = a ^ b; pc += 1; NEXT; }
HANDLER(op_not) { tos = ~tos; pc += 1; NEXT; }
HANDLER(op_shl) { POP2; tos = WRAP(U(a) << (b & 63)); pc += 1; NEXT; }
HANDLER(op_shr) { POP2; tos = a >> (b & 63); pc += 1; NEXT; }
HANDLER(op_ushr) { POP2; tos = WRAP(U(a) >> (b & 63)); pc += 1; NEXT; }
HANDLER(op_eq) { POP2; tos = a == b; pc += 1; NEXT; }
HANDLER(op_lt) { POP2; tos = a < b; pc += 1; NEXT; }
HANDLER(op_gt) { POP2; tos = a > b; pc += 1; NEXT; }
HANDLER(op_eqz) { tos = tos == 0; pc += 1; NEXT; }
HANDLER(op_inc) { tos = WRAP(U(tos) + 1); pc += 1; NEXT; }
HANDLER(op_dec) { tos = WRAP(U(tos) - 1); pc += 1; NEXT; }
HANDLER(op_addi) { tos = WRAP(U(tos) + U((cell)code[pc + 1])); pc += 2; NEXT; }
HANDLER(op_jmp) { pc = code[pc + 1]; NEXT; }
HANDLER(op_jz) {
    cell a = tos; tos = stk[--sp];
    pc = a == 0 ? code[pc + 1] : pc + 2;
    NEXT;
}
HANDLER(op_jnz) {
    cell a = tos; tos = stk[--sp];
    pc = a != 0 ? code[pc + 1] : pc + 2;
    NEXT;
}
HANDLER(op_call) { rstk[rsp++] = pc + 2; pc = code[pc + 1]; NEXT; }
HANDLER(op_ret) { pc = (intptr_t)rstk[--rsp]; NEXT; }
HANDLER(op_load) { tos = mem[tos & MEM_MASK]; pc += 1; NEXT; }
HANDLER(op_store) {
    /* ( val addr -- ) */
    cell val = stk[sp - 1];
    mem[tos & MEM_MASK] = val;
    tos = stk[sp - 2]; sp -= 2;
    pc += 1; NEXT;
}
HANDLER(op_loadi) { PUSH_TOS(mem[code[pc + 1] & MEM_MASK]); pc += 2; NEXT; }
HANDLER(op_storei) { mem[code[pc + 1] & MEM_MASK] = tos; tos = stk[--sp]; pc += 2; NEXT; }
HANDLER(op_tor) { rstk[rsp++] = tos; tos = stk[--sp]; pc += 1; NEXT; }
HANDLER(op_fromr) { PUSH_TOS(rstk[--rsp]); pc += 1; NEXT; }
HANDLER(op_rfetch) { PUSH_TOS(rstk[rsp - 1]); pc += 1; NEXT; }

#define H(f) {f}
#define ILL {op_illegal}
static const Handler vm_table[VM_TABLE_SIZE] = {
    [OP_HALT] = H(op_halt),   [OP_NOP] = H(op_nop),     [OP_PUSH] = H(op_push),
    [OP_DUP] = H(op_dup),     [OP_DROP] = H(op_drop),   [OP_SWAP] = H(op_swap),
    [OP_OVER] = H(op_over),   [OP_ROT] = H(op_rot),     [OP_NIP] = H(op_nip),
    [OP_TUCK] = H(op_tuck),   [OP_ADD] = H(op_add),     [OP_SUB] = H(op_sub),
    [OP_MUL] = H(op_mul),     [OP_DIV] = H(op_div),     [OP_MOD] = H(op_mod),
    [OP_NEG] = H(op_neg),     [OP_AND] = H(op_and),     [OP_OR] = H(op_or),
    [OP_XOR] = H(op_xor),     [OP_NOT] = H(op_not),     [OP_SHL] = H(op_shl),
    [OP_SHR] = H(op_shr),     [OP_USHR] = H(op_ushr),   [OP_EQ] = H(op_eq),
    [OP_LT] = H(op_lt),       [OP_GT] = H(op_gt),       [OP_EQZ] = H(op_eqz),
    [OP_INC] = H(op_inc),     [OP_DEC] = H(op_dec),     [OP_ADDI] = H(op_addi),
    [OP_JMP] = H(op_jmp),     [OP_JZ] = H(op_jz),       [OP_JNZ] = H(op_jnz),
    [OP_CALL] = H(op_call),   [OP_RET] = H(op_ret),     [OP_LOAD] = H(op_load),
    [OP_STORE] = H(op_store), [OP_LOADI] = H(op_loadi), [OP_STOREI] = H(op_storei),
    [OP_TOR] = H(op_tor),     [OP_FROMR] = H(op_fromr), [OP_RFETCH] = H(op_rfetch),
    [OP_COUNT] = ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL,
    ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL,
};

static cell vm_stack[STACK_CELLS];
static cell vm_rstack[RSTACK_CELLS];
static cell vm_mem[MEM_CELLS];

static NOINLINE int64_t vm_exec(const int32_t *code) {
    /* Start the VM on a fresh state: stacks empty, tos 0, memory zeroed. */
    for (int i = 0; i < MEM_CELLS; i++) ((volatile cell *)vm_mem)[i] = 0;
    const Handler *table = vm_table;
    cell result = table[code[0]].fn(code, 0, vm_stack, 0, 0, vm_rstack, 0,
                                    vm_mem, table, 1);
    return vm_mix(result, vm_last_steps);
}

int64_t run_fib(void) { return vm_exec(prog_fib); }
int64_t run_sieve(void) { return vm_exec(prog_sieve); }
int64_t run_ops(void) { return vm_exec(prog_ops); }
int64_t run(void) {
    uint64_t a = (uint64_t)run_fib();
    uint64_t b = (uint64_t)run_sieve();
    uint64_t c = (uint64_t)run_ops();
    return (int64_t)(a ^ (b * 31) ^ (c * 961));
}
