/*
 * switchvm.c: the same stack VM as tailvm.c (same opcodes, same programs,
 * same results, same step counts), written as one function with a loop
 * around a single switch over the opcode.
 *
 * Exports: run (all three programs), run_fib, run_sieve.
 */
#include <stdint.h>
#include "vm_programs.h"

#define NOINLINE __attribute__((noinline))
typedef int64_t cell;
#define WRAP(x) ((cell)(x))
#define U(x) ((uint64_t)(x))

static cell vm_stack[STACK_CELLS];
static cell vm_rstack[RSTACK_CELLS];
static cell vm_mem[MEM_CELLS];

static NOINLINE cell vm_interp(const int32_t *code, cell *stk, cell *rstk,
                               cell *mem, int64_t *steps) {
    intptr_t pc = 0, sp = 0, rsp = 0;
    cell tos = 0;
    int64_t count = 0;
    for (;;) {
        count += 1;
        cell a, b;
        switch (code[pc]) {
        case OP_HALT: *steps = count; return tos;
        case OP_NOP: pc += 1; break;
        case OP_PUSH: stk[sp++] = tos; tos = code[pc + 1]; pc += 2; break;
        case OP_DUP: stk[sp++] = tos; pc += 1; break;
        case OP_DROP: tos = stk[--sp]; pc += 1; break;
        case OP_SWAP: a = stk[sp - 1]; stk[sp - 1] = tos; tos = a; pc += 1; break;
        case OP_OVER: a = stk[sp - 1]; stk[sp++] = tos; tos = a; pc += 1; break;
        case OP_ROT:
            a = stk[sp - 2]; b = stk[sp - 1];
            stk[sp - 2] = b; stk[sp - 1] = tos; tos = a;
            pc += 1; break;
        case OP_NIP: sp -= 1; pc += 1; break;
        case OP_TUCK:
            a = stk[sp - 1]; stk[sp - 1] = tos; stk[sp++] = a;
            pc += 1; break;
        case OP_ADD: b = tos; a = stk[--sp]; tos = WRAP(U(a) + U(b)); pc += 1; break;
        case OP_SUB: b = tos; a = stk[--sp]; tos = WRAP(U(a) - U(b)); pc += 1; break;
        case OP_MUL: b = tos; a = stk[--sp]; tos = WRAP(U(a) * U(b)); pc += 1; break;
        case OP_DIV:
            b = tos; a = stk[--sp];
            tos = b == 0 ? 0 : b == -1 ? WRAP(0 - U(a)) : a / b;
            pc += 1; break;
        case OP_MOD:
            b = tos; a = stk[--sp];
            tos = (b == 0 || b == -1) ? 0 : a % b;
            pc += 1; break;
        case OP_NEG: tos = WRAP(0 - U(tos)); pc += 1; break;
        case OP_AND: b = tos; a = stk[--sp]; tos = a & b; pc += 1; break;
        case OP_OR: b = tos; a = stk[--sp]; tos = a | b; pc += 1; break;
        case OP_XOR: b = tos; a = stk[--sp]; tos = a ^ b; pc += 1; break;
        case OP_NOT: tos = ~tos; pc += 1; break;
        case OP_SHL: b = tos; a = stk[--sp]; tos = WRAP(U(a) << (b & 63)); pc += 1; break;
        case OP_SHR: b = tos; a = stk[--sp]; tos = a >> (b & 63); pc += 1; break;
        case OP_USHR: b = tos; a = stk[--sp]; tos = WRAP(U(a) >> (b & 63)); pc += 1; break;
        case OP_EQ: b = tos; a = stk[--sp]; tos = a == b; pc += 1; break;
        case OP_LT: b = tos; a = stk[--sp]; tos = a < b; pc += 1; break;
        case OP_GT: b = tos; a = stk[--sp]; tos = a > b; pc += 1; break;
        case OP_EQZ: tos = tos == 0; pc += 1; break;
        case OP_INC: tos = WRAP(U(tos) + 1); pc += 1; break;
        case OP_DEC: tos = WRAP(U(tos) - 1); pc += 1; break;
        case OP_ADDI: tos = WRAP(U(tos) + U((cell)code[pc + 1])); pc += 2; break;
        case OP_JMP: pc = code[pc + 1]; break;
        case OP_JZ:
            a = tos; tos = stk[--sp];
            pc = a == 0 ? code[pc + 1] : pc + 2;
            break;
        case OP_JNZ:
            a = tos; tos = stk[--sp];
            pc = a != 0 ? code[pc + 1] : pc + 2;
            break;
        case OP_CALL: rstk[rsp++] = pc + 2; pc = code[pc + 1]; break;
        case OP_RET: pc = (intptr_t)rstk[--rsp]; break;
        case OP_LOAD: tos = mem[tos & MEM_MASK]; pc += 1; break;
        case OP_STORE:
            a = stk[sp - 1];
            mem[tos & MEM_MASK] = a;
            tos = stk[sp - 2]; sp -= 2;
            pc += 1; break;
        case OP_LOADI:
            stk[sp++] = tos; tos = mem[code[pc + 1] & MEM_MASK];
            pc += 2; break;
        case OP_STOREI:
            mem[code[pc + 1] & MEM_MASK] = tos; tos = stk[--sp];
            pc += 2; break;
        case OP_TOR: rstk[rsp++] = tos; tos = stk[--sp]; pc += 1; break;
        case OP_FROMR: stk[sp++] = tos; tos = rstk[--rsp]; pc += 1; break;
        case OP_RFETCH: stk[sp++] = tos; tos = rstk[rsp - 1]; pc += 1; break;
        default: *steps = count; return VM_ILLEGAL;
        }
    }
}

static NOINLINE int64_t vm_exec(const int32_t *code) {
    for (int i = 0; i < MEM_CELLS; i++) ((volatile cell *)vm_mem)[i] = 0;
    int64_t steps = 0;
    cell result = vm_interp(code, vm_stack, vm_rstack, vm_mem, &steps);
    return vm_mix(result, steps);
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
