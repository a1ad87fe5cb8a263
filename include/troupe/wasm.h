/*
 * troupe/wasm.h: Troupe's WebAssembly engine, as a library of its own.
 *
 * A module is decoded, validated and compiled once into an immutable internal code
 * (troupe_wasm_module), shareable by any number of instances on any threads. An
 * instance is small (a few KiB plus its linear memory), is used by one thread at a time,
 * and can be *suspended* -- when its fuel slice runs out, or when a host function asks to
 * wait -- and later resumed exactly where it stopped, on any thread. Traps are values
 * (troupe_wasm_trap), never signals or aborts. The engine knows nothing about actors.
 *
 * Ownership: every *_new / instantiate result is freed by its matching *_free. Strings
 * returned by the engine live as long as the object they came from.
 *
 * Lifetimes across instances (store groups): instances that can exchange function
 * references -- one imports anything from another (through troupe_wasm_linker_define_
 * instance), or imports a table or a funcref/externref global that a linker defined --
 * belong to one *store group* together with that linker. troupe_wasm_instance_free and
 * troupe_wasm_linker_free release the embedder's handle at once, but the group's instances
 * are destroyed together only when every instance and linker of the group has been freed,
 * so a funcref stored into another instance's table never dangles, and nothing cycles.
 * An instance that imports only host functions, memories and numeric globals is alone:
 * freeing it destroys it immediately (the actor case). Funcrefs handed out to the
 * embedder (call results, globals, host-call arguments) are valid while their instance's
 * group lives; passing one to an instance of another group is the embedder's error.
 */
#ifndef TROUPE_WASM_H
#define TROUPE_WASM_H

#include "troupe/error.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- values -------------------------------------------------------------------- */

/* Value types, numbered as in the binary format. */
typedef enum troupe_wasm_valtype {
  TROUPE_WASM_I32 = 0x7F,
  TROUPE_WASM_I64 = 0x7E,
  TROUPE_WASM_F32 = 0x7D,
  TROUPE_WASM_F64 = 0x7C,
  TROUPE_WASM_V128 = 0x7B, /* reserved: SIMD comes later */
  TROUPE_WASM_FUNCREF = 0x70,
  TROUPE_WASM_EXTERNREF = 0x6F,
} troupe_wasm_valtype;

/* A typed value. Floats are carried as bits (f32_bits/f64_bits alias f32/f64) so that
 * NaN payloads survive a round trip. A reference is a pointer: NULL is the null
 * reference; a funcref is an opaque engine handle; an externref is the embedder's. */
typedef struct troupe_wasm_val {
  uint8_t type; /* troupe_wasm_valtype */
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    void *ref;
    uint8_t v128[16];
  } of;
} troupe_wasm_val;

#define TROUPE_WASM_VAL_I32(x) ((troupe_wasm_val){.type = TROUPE_WASM_I32, .of.i32 = (x)})
#define TROUPE_WASM_VAL_I64(x) ((troupe_wasm_val){.type = TROUPE_WASM_I64, .of.i64 = (x)})
#define TROUPE_WASM_VAL_F32(x) ((troupe_wasm_val){.type = TROUPE_WASM_F32, .of.f32 = (x)})
#define TROUPE_WASM_VAL_F64(x) ((troupe_wasm_val){.type = TROUPE_WASM_F64, .of.f64 = (x)})

/* A function type. Arrays are owned by whoever made the struct. */
typedef struct troupe_wasm_functype {
  uint32_t nparams, nresults;
  const uint8_t *params;  /* troupe_wasm_valtype each */
  const uint8_t *results; /* troupe_wasm_valtype each */
} troupe_wasm_functype;

typedef struct troupe_wasm_limits_desc {
  uint64_t min;
  uint64_t max; /* valid when has_max */
  bool has_max;
} troupe_wasm_limits_desc;

typedef enum troupe_wasm_externkind {
  TROUPE_WASM_EXTERN_FUNC = 0,
  TROUPE_WASM_EXTERN_TABLE = 1,
  TROUPE_WASM_EXTERN_MEMORY = 2,
  TROUPE_WASM_EXTERN_GLOBAL = 3,
} troupe_wasm_externkind;

/* What an import or an export is. Wasm names are UTF-8 that may contain NUL bytes:
 * module and name are NUL-terminated for convenience, and module_len / name_len are their
 * real lengths (a name with a NUL in it is longer than strlen says). */
typedef struct troupe_wasm_extern_desc {
  const char *module; /* imports only; NULL for exports */
  const char *name;
  size_t module_len, name_len;
  troupe_wasm_externkind kind;
  troupe_wasm_functype func;          /* kind == FUNC */
  struct {
    uint8_t elem;                     /* FUNCREF or EXTERNREF */
    troupe_wasm_limits_desc limits;
  } table;                            /* kind == TABLE */
  troupe_wasm_limits_desc memory;     /* kind == MEMORY, in 64 KiB pages */
  struct {
    uint8_t type;
    bool mutable_;
  } global;                           /* kind == GLOBAL */
} troupe_wasm_extern_desc;

/* ---- traps ----------------------------------------------------------------------- */

#define TROUPE_WASM_TRAP_LIST(X)                                              \
  X(NONE, "no trap")                                                          \
  X(UNREACHABLE, "unreachable")                                               \
  X(MEMORY_OOB, "out of bounds memory access")                                \
  X(TABLE_OOB, "out of bounds table access")                                  \
  X(UNDEFINED_ELEMENT, "undefined element")                                   \
  X(UNINITIALIZED_ELEMENT, "uninitialized element")                           \
  X(INDIRECT_CALL_TYPE, "indirect call type mismatch")                        \
  X(INT_DIV_ZERO, "integer divide by zero")                                   \
  X(INT_OVERFLOW, "integer overflow")                                         \
  X(INVALID_CONVERSION, "invalid conversion to integer")                      \
  X(STACK_EXHAUSTED, "call stack exhausted")                                  \
  X(FUEL_EXHAUSTED, "fuel exhausted")                                         \
  X(HOST, "host function trapped")                                            \
  X(EXIT, "program exited")                                                   \
  X(OUT_OF_MEMORY, "out of memory")

typedef enum troupe_wasm_trap_kind {
#define TROUPE_WASM_X_TRAP(name, msg) TROUPE_WASM_TRAP_##name,
  TROUPE_WASM_TRAP_LIST(TROUPE_WASM_X_TRAP)
#undef TROUPE_WASM_X_TRAP
} troupe_wasm_trap_kind;

/* A trap as a value: what, where (function index in the module's function index space
 * -- UINT32_MAX when no function was running, e.g. a segment out of bounds during
 * instantiation -- and the byte offset of the trapping instruction from the start of the
 * module, as in validation messages), and a message. For EXIT, exit_code is the status
 * given to troupe_wasm_host_exit (proc_exit). */
typedef struct troupe_wasm_trap {
  troupe_wasm_trap_kind kind;
  uint32_t func_index;
  uint32_t code_offset;
  int32_t exit_code;
  char message[160];
} troupe_wasm_trap;

TROUPE_API const char *troupe_wasm_trap_kind_message(troupe_wasm_trap_kind kind);
/* "i32", "funcref", ... for a troupe_wasm_valtype; "?" for anything else. */
TROUPE_API const char *troupe_wasm_valtype_name(uint8_t type);

/* ---- modules --------------------------------------------------------------------- */

typedef struct troupe_wasm_module troupe_wasm_module;

/* Decode, validate and compile. On failure returns TROUPE_E_MALFORMED or TROUPE_E_INVALID
 * (or NOMEM) with err->msg naming the section, the byte offset and the reason, e.g.
 * "code section, offset 0x2a: type mismatch". The bytes are not retained. */
TROUPE_API int troupe_wasm_module_new(const uint8_t *bytes, size_t len, troupe_wasm_module **out,
                                      troupe_err *err);
/* Modules are reference counted so instances on any thread can share them. */
TROUPE_API troupe_wasm_module *troupe_wasm_module_ref(troupe_wasm_module *m);
TROUPE_API void troupe_wasm_module_free(troupe_wasm_module *m); /* drops one reference */

TROUPE_API size_t troupe_wasm_module_import_count(const troupe_wasm_module *m);
TROUPE_API size_t troupe_wasm_module_export_count(const troupe_wasm_module *m);
/* Fill *out with import/export i; returns TROUPE_E_RANGE past the end. */
TROUPE_API int troupe_wasm_module_import(const troupe_wasm_module *m, size_t i,
                                         troupe_wasm_extern_desc *out);
TROUPE_API int troupe_wasm_module_export(const troupe_wasm_module *m, size_t i,
                                         troupe_wasm_extern_desc *out);

/* The code the engine compiled, as text: for people reading what the compiler made of a
 * module, and for tests that fix which fused ops a sequence becomes. Writes, for the
 * function func_index of the module's function index space (imports included), or for
 * every function with TROUPE_WASM_DUMP_ALL, a header line -- index, export names, the
 * counts of params, locals and results, frame size in slots, entry fuel, code words --
 * then one line per op: its code word, its name from the engine's op list and its
 * operands (sN a frame slot, @N a branch target's code word, "+N" a memory offset,
 * "func N" / "global N" / "table N" / "type N" / "data N" / "elem N" an index, numbers
 * immediates). An imported function gets only its header. The format follows the engine:
 * it is not stable across versions. Returns TROUPE_E_INVAL for a NULL module or stream,
 * TROUPE_E_RANGE for an index past the functions, TROUPE_E_IO when writing fails,
 * TROUPE_E_NOMEM. Reads the module only: any thread, while its instances run. */
#define TROUPE_WASM_DUMP_ALL UINT32_MAX
TROUPE_API int troupe_wasm_module_dump(const troupe_wasm_module *m, uint32_t func_index,
                                       FILE *out, troupe_err *err);

/* ---- host objects and the linker ------------------------------------------------- */

typedef struct troupe_wasm_instance troupe_wasm_instance;
typedef struct troupe_wasm_linker troupe_wasm_linker;
typedef struct troupe_wasm_hostcall troupe_wasm_hostcall; /* a host call in progress */

/* A host function. Read args, write results (types per the declared functype), return:
 *   TROUPE_OK                        -- results written, execution continues;
 *   troupe_wasm_host_trap(call, ...) -- the instance traps with kind HOST;
 *   troupe_wasm_host_exit(call, n)   -- the instance stops with trap kind EXIT, code n;
 *   troupe_wasm_host_suspend(call)   -- the instance suspends; the embedder later calls
 *                                       troupe_wasm_resume() supplying the results. */
typedef int (*troupe_wasm_host_fn)(troupe_wasm_hostcall *call, void *user, const troupe_wasm_val *args,
                                   troupe_wasm_val *results);

TROUPE_API troupe_wasm_instance *troupe_wasm_hostcall_instance(troupe_wasm_hostcall *call);

/* The calling instance's linear memory `memory` -- the instance whose code called the
 * host function -- without a copy: *data is its first byte and *size its size in bytes
 * (a memory of 0 pages gives NULL and 0). Only memory 0 exists (WebAssembly 2.0 without
 * multi-memory). The host may read and write through it.
 * Lifetime: the view is valid only until the host function returns, and only while it
 * calls nothing that may grow a memory -- troupe_wasm_call, troupe_wasm_call_at or
 * troupe_wasm_resume on any instance (the callee may grow a memory it shares with this
 * one, and a grown memory may move): after such a call, ask again. Reading or writing
 * through troupe_wasm_memory_read/_write does not move it.
 * Returns TROUPE_E_INVAL for a NULL call or out pointer, TROUPE_E_NOTFOUND when the
 * instance has no memory `memory` (then *data is NULL and *size 0). */
TROUPE_API int troupe_wasm_hostcall_memory(troupe_wasm_hostcall *call, uint32_t memory,
                                           uint8_t **data, uint64_t *size);
/* The bytes [offset, offset + len) of that memory, with the same lifetime: *ptr points at
 * the first, or is NULL on failure. TROUPE_E_RANGE when the range is not inside the
 * memory (computed without overflow; an empty range may sit at the end), and the
 * statuses above. So a host function taking a guest (pointer, length) pair checks and
 * reaches it in one call. */
TROUPE_API int troupe_wasm_hostcall_memory_range(troupe_wasm_hostcall *call, uint32_t memory,
                                                 uint64_t offset, uint64_t len, uint8_t **ptr);
TROUPE_API int troupe_wasm_host_trap(troupe_wasm_hostcall *call, const char *fmt, ...) TROUPE_PRINTF(2, 3);
TROUPE_API int troupe_wasm_host_exit(troupe_wasm_hostcall *call, int32_t code);
TROUPE_API int troupe_wasm_host_suspend(troupe_wasm_hostcall *call);

/* A linker resolves imports by (module, name), compared as exact byte strings. Definitions
 * are copied; host functions keep their user pointer. A linker may be shared by many
 * instantiations, also concurrently on several threads (it must not be modified or freed
 * meanwhile). It may be freed before the instances made with it: they keep what they use
 * (host function types and names stay allocated until the last such instance goes). */
TROUPE_API troupe_wasm_linker *troupe_wasm_linker_new(void);
TROUPE_API void troupe_wasm_linker_free(troupe_wasm_linker *l);
TROUPE_API int troupe_wasm_linker_define_func(troupe_wasm_linker *l, const char *module,
                                              const char *name, const troupe_wasm_functype *type,
                                              troupe_wasm_host_fn fn, void *user, troupe_err *err);
/* Host-made global, memory and table (the spec tests' "spectest" module needs them). */
TROUPE_API int troupe_wasm_linker_define_global(troupe_wasm_linker *l, const char *module,
                                                const char *name, troupe_wasm_val value,
                                                bool mutable_, troupe_err *err);
TROUPE_API int troupe_wasm_linker_define_memory(troupe_wasm_linker *l, const char *module,
                                                const char *name, troupe_wasm_limits_desc pages,
                                                troupe_err *err);
TROUPE_API int troupe_wasm_linker_define_table(troupe_wasm_linker *l, const char *module,
                                               const char *name, uint8_t elem,
                                               troupe_wasm_limits_desc limits, troupe_err *err);
/* Make every export of `inst` importable under module name `module` (the spec tests'
 * "register"). `inst` joins the linker's store group (see the top of this file), so it
 * may be freed before the instances linked against it: it is destroyed with the group. */
TROUPE_API int troupe_wasm_linker_define_instance(troupe_wasm_linker *l, const char *module,
                                                  troupe_wasm_instance *inst, troupe_err *err);

/* ---- instances ------------------------------------------------------------------- */

/* Per-instance limits. Zero fields take the defaults shown. Calls run on the called
 * instance's stack, so its max_call_depth and max_stack_bytes apply to the whole call
 * chain, including functions of other instances it calls. */
typedef struct troupe_wasm_limits {
  uint32_t max_memory_pages; /* memory.grow returns -1 beyond; default 65536 (4 GiB) */
  uint32_t max_table_elems;  /* table.grow returns -1 beyond; default 10,000,000 */
  uint32_t max_call_depth;   /* "call stack exhausted" beyond; default 10,000 */
  /* Fuel for the start function; 0 = unlimited. Running out fails instantiation with
   * TROUPE_E_UNINSTANTIABLE and a FUEL_EXHAUSTED trap, so that an untrusted module cannot
   * wedge the thread that instantiates it. */
  uint64_t start_fuel;
  /* The execution stack's budget in bytes; 0 = the default, 256 MiB. It counts what the
   * engine allocates for calls: the value stack (8 bytes per slot: each active frame's
   * parameters, locals and operand-stack homes) and the frame records (32 bytes per
   * active call on 64-bit hosts), both grown on demand, so an instance that never
   * recurses deeply costs a few KiB whatever its budget. A call that would need more
   * traps with STACK_EXHAUSTED ("call stack exhausted"), as beyond max_call_depth;
   * a function whose own frame does not fit traps when called. At least
   * TROUPE_WASM_MIN_STACK_BYTES: troupe_wasm_instantiate refuses a smaller non-zero value
   * with TROUPE_E_INVAL. Host-call scratch space is not counted. */
  uint64_t max_stack_bytes;
} troupe_wasm_limits;

#define TROUPE_WASM_MIN_STACK_BYTES 4096u

/* Instantiate: resolve and type-check imports (TROUPE_E_UNLINKABLE with a clear message:
 * which import, what was expected, what was found), allocate memories/tables/globals,
 * apply active segments, run the start function. A trap during that returns
 * TROUPE_E_UNINSTANTIABLE with the trap in *trap (if non-NULL) and its message in err. */
TROUPE_API int troupe_wasm_instantiate(troupe_wasm_module *m, const troupe_wasm_linker *l,
                                       const troupe_wasm_limits *limits,
                                       troupe_wasm_instance **out, troupe_wasm_trap *trap,
                                       troupe_err *err);
/* Releases the embedder's handle: the instance is destroyed now if it is alone, else with
 * its store group. Not while a call into it is running (from one of its host functions). */
TROUPE_API void troupe_wasm_instance_free(troupe_wasm_instance *inst);
/* The same, for a teardown on the path of something waiting for it -- a crashed
 * component, whose restart comes next: with TROUPE_WASM_FREE_RESET_LATER the zeroing of
 * its linear memory (2-3 us here) is left to a thread with nothing else to do, when one
 * exists (a runtime's idle worker), or else to the next instance that needs a memory of
 * that size. Not for an orderly stop: there the zeroing costs the stop, where it would
 * otherwise cost the next spawn. A memory another instance still shares is freed with
 * it, later, and zeroed then. */
#define TROUPE_WASM_FREE_RESET_LATER 1u
TROUPE_API void troupe_wasm_instance_free_ex(troupe_wasm_instance *inst, unsigned flags);
TROUPE_API const troupe_wasm_module *troupe_wasm_instance_module(const troupe_wasm_instance *inst);
TROUPE_API void troupe_wasm_instance_set_user(troupe_wasm_instance *inst, void *user);
TROUPE_API void *troupe_wasm_instance_user(const troupe_wasm_instance *inst);

/* How a call runs. fuel == 0 means unlimited. When the fuel runs out the instance either
 * suspends (the call returns TROUPE_E_SUSPENDED and troupe_wasm_resume continues it) or,
 * with trap_on_fuel_out, traps with kind FUEL_EXHAUSTED. (troupe_wasm_instance_interrupt
 * suspends it too, either way.) */
typedef struct troupe_wasm_call_opts {
  uint64_t fuel;
  bool trap_on_fuel_out;
} troupe_wasm_call_opts;

/* Call an exported function by name (a C string: see troupe_wasm_export_find for names
 * holding NULs, and for calls without a name lookup). args must match the parameter types
 * (a funcref argument must come from the same store group); results must have room for
 * the function's results. Returns TROUPE_OK; TROUPE_E_TRAP (*trap filled;
 * kind EXIT when a host function called troupe_wasm_host_exit; kind FUEL_EXHAUSTED with
 * trap_on_fuel_out; STACK_EXHAUSTED beyond max_call_depth or max_stack_bytes);
 * TROUPE_E_SUSPENDED (see troupe_wasm_instance_state); TROUPE_E_NOTFOUND (no such
 * exported function); TROUPE_E_INVAL (argument count or types wrong, args or results
 * missing, nresults too small); TROUPE_E_STATE (the instance is suspended in another call,
 * or running: a host function calling back into its own instance). opts may be NULL
 * (unlimited fuel). */
TROUPE_API int troupe_wasm_call(troupe_wasm_instance *inst, const char *export_name,
                                const troupe_wasm_val *args, size_t nargs, troupe_wasm_val *results,
                                size_t nresults, const troupe_wasm_call_opts *opts,
                                troupe_wasm_trap *trap, troupe_err *err);
/* The type of an exported function (NULL if there is none by that name). */
TROUPE_API const troupe_wasm_functype *troupe_wasm_export_functype(const troupe_wasm_instance *inst,
                                                                    const char *export_name);

/* Exports by handle. troupe_wasm_export_find looks up the export named by the `len` bytes
 * at `name` (which may contain NULs) and stores its index in the module's export list in
 * *index (UINT32_MAX if not found; returns TROUPE_E_NOTFOUND). The index is valid for
 * every instance of that module, so an embedder looks a name up once and then calls by
 * index with no per-call lookup. The *_at forms behave like their by-name counterparts;
 * an index past the end or of another kind gives TROUPE_E_NOTFOUND (NULL for the type). */
TROUPE_API int troupe_wasm_export_find(const troupe_wasm_module *m, const char *name, size_t len,
                                       uint32_t *index);
TROUPE_API int troupe_wasm_call_at(troupe_wasm_instance *inst, uint32_t export_index,
                                   const troupe_wasm_val *args, size_t nargs,
                                   troupe_wasm_val *results, size_t nresults,
                                   const troupe_wasm_call_opts *opts, troupe_wasm_trap *trap,
                                   troupe_err *err);
TROUPE_API const troupe_wasm_functype *troupe_wasm_export_functype_at(
    const troupe_wasm_instance *inst, uint32_t export_index);
/* The name of export export_index (the module's own copy, NUL-terminated, living as long
 * as the module; *len, if non-NULL, its length, which counts any NULs inside), or NULL
 * past the end. Cheaper than troupe_wasm_module_export when the name is all one needs
 * (a component's invocation names its job by it). */
TROUPE_API const char *troupe_wasm_export_name_at(const troupe_wasm_module *m,
                                                  uint32_t export_index, size_t *len);

typedef enum troupe_wasm_state {
  TROUPE_WASM_IDLE = 0,        /* no call in progress */
  TROUPE_WASM_SUSPENDED_FUEL,  /* fuel ran out; resume with more fuel */
  TROUPE_WASM_SUSPENDED_HOST,  /* a host function suspended; resume with its results */
  TROUPE_WASM_SUSPENDED_INTERRUPT, /* troupe_wasm_instance_interrupt stopped it */
} troupe_wasm_state;

TROUPE_API troupe_wasm_state troupe_wasm_instance_state(const troupe_wasm_instance *inst);

/* Stop the call running on `inst`, from any thread (the one running it included, e.g. a
 * host function). The call stops at its next fuel check -- a loop's back-edge or a
 * call: every endless execution passes them infinitely often -- suspended exactly as
 * when its fuel runs out, but in state TROUPE_WASM_SUSPENDED_INTERRUPT (also with
 * trap_on_fuel_out): troupe_wasm_call / troupe_wasm_resume returns TROUPE_E_SUSPENDED
 * on the thread that runs it. The embedder then resumes it (troupe_wasm_resume with
 * fresh fuel options: it continues exactly where it stopped, results as if never
 * interrupted; a resume re-runs the check it stopped at, so an interrupt requested before
 * the resume stops it there again) or abandons it (troupe_wasm_abort) and may free it.
 * A host function in progress is not interrupted: the call stops at the first check
 * after it returns. An interrupt that finds no call running, or whose call ends before
 * its next check, stays pending: the next call or resume on `inst` stops at its first
 * check. It stops what runs on `inst`'s execution state -- calls into `inst`, including
 * the functions of other instances they call -- not another instance's call that runs
 * one of `inst`'s functions as an import. `inst` must not be freed meanwhile (the caller
 * ensures it). Cheap: two atomic stores; the running call pays nothing for it (its fuel
 * check is the existing one). */
TROUPE_API void troupe_wasm_instance_interrupt(troupe_wasm_instance *inst);
/* Freed instances' linear memories and stack blocks are kept warm for the next
 * instantiations (a cache per thread, up to about 1.25 MiB, over one shared depot of at
 * most 80 MiB). This gives back what the calling thread's cache and the depot hold, to
 * the system: for an embedder that is done with the engine for a while (a host that
 * stopped all its components). Other threads' caches are theirs (each is handed to the
 * depot when its thread exits). Any thread, any time. */
TROUPE_API void troupe_wasm_pool_trim(void);

/* Fuel spent by the latest troupe_wasm_call / _call_at / _resume on `inst` (each
 * starts counting from 0 with its own options), read after it returned: how much of its
 * budget a call that completed used, for an embedder that accounts fuel across the
 * slices of one long computation. It may exceed the budget by the cost of the last
 * instruction block charged. Self only: the thread that ran the call (not while a call
 * runs). 0 for a NULL instance. */
TROUPE_API uint64_t troupe_wasm_instance_fuel_spent(const troupe_wasm_instance *inst);
/* For SUSPENDED_HOST: which host function waits and what to supply when resuming.
 * troupe_wasm_suspended_host fills *out as troupe_wasm_module_import does for an import:
 * kind FUNC, module and name (NUL-terminated, with their real lengths: they may hold
 * NULs) and the type in out->func, all valid as long as the instance. It returns
 * TROUPE_E_STATE (and clears *out) unless the instance is SUSPENDED_HOST, TROUPE_E_INVAL
 * for a NULL instance or out. troupe_wasm_suspended_host_type is the type alone (NULL
 * unless SUSPENDED_HOST). */
TROUPE_API int troupe_wasm_suspended_host(const troupe_wasm_instance *inst,
                                          troupe_wasm_extern_desc *out);
TROUPE_API const troupe_wasm_functype *troupe_wasm_suspended_host_type(const troupe_wasm_instance *inst);

/* Continue a suspended call. host_results supplies the suspended host function's results
 * (ignored for SUSPENDED_FUEL and SUSPENDED_INTERRUPT). Returns like troupe_wasm_call, filling the original call's
 * results (TROUPE_E_INVAL if results has no room for them or host_results do not match;
 * the suspension then stays), TROUPE_E_STATE if nothing is suspended. Abandon a suspended
 * call with troupe_wasm_abort (a no-op when idle or running). */
TROUPE_API int troupe_wasm_resume(troupe_wasm_instance *inst, const troupe_wasm_val *host_results,
                                  size_t nhost_results, troupe_wasm_val *results, size_t nresults,
                                  const troupe_wasm_call_opts *opts, troupe_wasm_trap *trap,
                                  troupe_err *err);
TROUPE_API void troupe_wasm_abort(troupe_wasm_instance *inst);

/* Globals by export name. set fails with TROUPE_E_STATE on an immutable global and
 * TROUPE_E_INVAL on a type mismatch; both give TROUPE_E_NOTFOUND for no global export of
 * that name and TROUPE_E_INVAL for a NULL instance or out. */
TROUPE_API int troupe_wasm_global_get(const troupe_wasm_instance *inst, const char *export_name,
                                      troupe_wasm_val *out);
TROUPE_API int troupe_wasm_global_set(troupe_wasm_instance *inst, const char *export_name,
                                      troupe_wasm_val value);
TROUPE_API int troupe_wasm_global_get_at(const troupe_wasm_instance *inst, uint32_t export_index,
                                         troupe_wasm_val *out);
TROUPE_API int troupe_wasm_global_set_at(troupe_wasm_instance *inst, uint32_t export_index,
                                         troupe_wasm_val value);

/* Linear memory 0, through bounds-checked accessors (TROUPE_E_RANGE when [offset,
 * offset+len) is outside it, computed without overflow; TROUPE_E_NOTFOUND when there is no
 * memory; TROUPE_E_INVAL for a NULL buffer with len > 0). */
TROUPE_API uint64_t troupe_wasm_memory_size(const troupe_wasm_instance *inst); /* bytes */
TROUPE_API int troupe_wasm_memory_read(const troupe_wasm_instance *inst, uint64_t offset, void *dst,
                                       size_t len);
TROUPE_API int troupe_wasm_memory_write(troupe_wasm_instance *inst, uint64_t offset, const void *src,
                                        size_t len);

#ifdef __cplusplus
}
#endif
#endif
