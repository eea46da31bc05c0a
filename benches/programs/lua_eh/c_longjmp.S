# The Wasm tag that clang's setjmp/longjmp lowering throws and catches
# (-mllvm -wasm-enable-sjlj): one i32, the address of the {env, val} pair that
# __wasm_longjmp (sjlj_rt.c) throws. Every object that throws or catches it
# refers to __c_longjmp; one object has to define it (newer wasi-libc does, in
# its setjmp library; Debian's 2022 wasi-libc has none).
	.globl	__c_longjmp
	.tagtype	__c_longjmp i32
__c_longjmp:
