/* Minimal <assert.h> for the freestanding wasm32 build of wasm3. */
#undef assert
#ifdef NDEBUG
#define assert(x) ((void)0)
#else
#define assert(x) ((x) ? (void)0 : __builtin_trap())
#endif
