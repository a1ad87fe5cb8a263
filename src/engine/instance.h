/*
 * engine/instance.h: run-time objects -- memories, tables, globals, function instances,
 * the instance itself and its execution state (the explicit frame stack that makes calls
 * non-recursive and execution resumable). instance.c builds them, interp.c runs on them,
 * api.c exposes them through troupe/wasm.h.
 */
#ifndef TROUPE_SRC_ENGINE_INSTANCE_H
#define TROUPE_SRC_ENGINE_INSTANCE_H

#include "engine/code.h"

#include <string.h>

typedef struct troupe_wasm_instance trE_inst;

/* Values crossing the API: a slot's type is known from context, a troupe_wasm_val
 * carries its own. Every crossing -- call arguments and results, host-call arguments
 * and results, resumed host results, globals -- converts through these two. Floats move
 * as bits (NaN payloads survive); i32/f32 are stored zero-extended (code.h's slot rule). */
static inline void trE_slot_to_val(trE_slot s, uint8_t type, troupe_wasm_val *v) {
  memset(v, 0, sizeof *v);
  v->type = type;
  switch (type) {
  case TROUPE_WASM_I32: v->of.i32 = s.i32; break;
  case TROUPE_WASM_I64: v->of.i64 = s.i64; break;
  case TROUPE_WASM_F32: v->of.f32_bits = s.u32; break;
  case TROUPE_WASM_F64: v->of.f64_bits = s.u64; break;
  default: v->of.ref = s.ref; break;
  }
}

static inline trE_slot trE_val_to_slot(const troupe_wasm_val *v, uint8_t type) {
  trE_slot s = {.u64 = 0};
  switch (type) {
  case TROUPE_WASM_I32: s.u64 = (uint32_t)v->of.i32; break;
  case TROUPE_WASM_I64: s.i64 = v->of.i64; break;
  case TROUPE_WASM_F32: s.u64 = v->of.f32_bits; break;
  case TROUPE_WASM_F64: s.u64 = v->of.f64_bits; break;
  default: s.ref = v->of.ref; break;
  }
  return s;
}

/* A linear memory. Shared (by import/export) between instances: reference counted; the
 * data buffer may move on grow, so the interpreter reloads base and size after calls,
 * memory.grow and host calls. The mapping comes from and returns to pool.c. */
typedef struct trE_memory {
  _Atomic uint32_t refcount; /* acq_rel on release: the last owner sees every write */
  uint8_t *data;
  uint64_t size;       /* bytes */
  size_t mapped;       /* bytes of the mapping at data (>= size; beyond size all zero) */
  uint64_t max_pages;  /* declared maximum (TRE_MAX_PAGES without one) */
  bool fresh;          /* a new mapping: nothing of it resident yet (warm.c) */
} trE_memory;

/* A table of references (funcref: trE_func *; externref: the embedder's pointer). The
 * funcrefs in it hold no reference on their instances: every instance that can store into
 * the table is in the table's store group (below), which outlives them all. */
typedef struct trE_table {
  _Atomic uint32_t refcount; /* as for memories */
  uint8_t elem;
  uint32_t size;
  uint64_t max;        /* declared maximum (UINT32_MAX without one) */
  void **elems;
} trE_table;

/* A global's storage. Defined globals live inside their instance; host globals are
 * allocated by the linker (trE_hostglobal). */
typedef struct trE_gcell {
  trE_slot val;
  uint8_t type;
  bool mut;
} trE_gcell;

typedef struct trE_hostglobal {
  _Atomic uint32_t refcount; /* as for memories */
  trE_gcell g;
} trE_hostglobal;


/* A function instance; a funcref value is a pointer to one. */
typedef struct trE_func {
  trE_inst *inst;              /* the instance whose context it runs in */
  const trE_compiled *code;    /* NULL for a host function */
  const trE_functype *type;
  troupe_wasm_host_fn host;
  void *user;
  troupe_wasm_functype pubtype; /* host: the type as the embedder sees it */
  const char *module, *name;    /* host: its linker names (messages, suspensions)... */
  size_t module_len, name_len;  /* ...and their real lengths (they may hold NULs) */
} trE_func;

/* One activation on the frame stack. ret_pc is where this activation continues when
 * its callee returns; fp is an offset so that the value stack can move when it grows. */
typedef struct trE_frame {
  const trE_compiled *fn;
  trE_inst *inst;
  const uint32_t *ret_pc;
  size_t fp;
} trE_frame;

/* Execution state: value stack (slots), frame stack, and what a suspension left behind.
 * Allocated on first call, grown on demand (exec.c). */
typedef struct trE_exec {
  trE_slot *stack;
  size_t stack_cap;    /* slots */
  trE_frame *frames;
  uint32_t nframes, frames_cap;
  const uint32_t *pc;  /* where to continue (suspended) */
  /* Fuel (interp.c's FUEL_OUT): the call stops at a charge point once spent >= budget.
   * Only the running thread writes fuel_spent; troupe_wasm_instance_interrupt stores 0
   * into the budget and sets `interrupt` from any thread. */
  int64_t fuel_spent;
  _Atomic int64_t fuel_budget;
  int64_t fuel_limit;     /* the budget this call was given (fuel_budget may hold a 0) */
  _Atomic bool interrupt; /* requested, not yet reported (it outlives calls) */
  bool trap_on_fuel;
  troupe_wasm_state state;
  bool running;
  const trE_func *entry;      /* the exported function being called */
  const trE_func *susp_host;  /* SUSPENDED_HOST: the host function */
  size_t susp_argbase;        /* ... and where its results go */
  troupe_wasm_trap trap;
  troupe_wasm_val *hostbuf;   /* scratch for host call arguments and results */
  uint32_t hostbuf_cap;
  uint32_t max_depth;         /* the limits of the call running (its instance's) */
  size_t max_stack_bytes;
} trE_exec;

/* What a host function asked for through troupe_wasm_host_* (api.c); the interpreter
 * acts on it when the function returns. RETURN is the zero value: a function that asks
 * for nothing and returns TROUPE_OK has written its results. */
typedef enum trE_hostaction {
  TRE_HOST_RETURN = 0,
  TRE_HOST_TRAP = 1,    /* trap kind HOST with `message` */
  TRE_HOST_EXIT = 2,    /* trap kind EXIT with `exit_code` */
  TRE_HOST_SUSPEND = 3, /* SUSPENDED_HOST until troupe_wasm_resume */
} trE_hostaction;

/* A host call in progress (troupe_wasm_hostcall). */
struct troupe_wasm_hostcall {
  trE_inst *inst;
  const trE_func *fn;
  trE_hostaction action;
  int32_t exit_code;
  char message[128];
};

/* Something an instance holds a reference on and releases when freed. */
typedef enum trE_holdkind { TRE_HOLD_MEMORY, TRE_HOLD_TABLE, TRE_HOLD_HOSTGLOBAL } trE_holdkind;

typedef struct trE_hold {
  trE_holdkind kind;
  void *p;
} trE_hold;

/* A store group: instances (and linkers) that may hold references to each other's
 * functions -- through shared tables, globals or imports. No instance of a group is
 * destroyed until the embedder has freed every instance and linker in it, so a funcref
 * never outlives its instance and no reference counts form cycles. Groups are made lazily
 * (an instance importing only host functions and memories has none: freeing it destroys it
 * at once) and merged by union-find; all of it is guarded by one engine-wide mutex, which
 * the group-less path never takes. */
typedef struct trE_group trE_group;
struct trE_group {
  trE_group *parent;     /* the group this one was merged into, or NULL for a root */
  trE_group *absorbed;   /* root: groups merged into it (freed with it) */
  trE_group *next;       /* link in a root's absorbed list */
  uint32_t handles;      /* root: instances and linkers not yet freed by the embedder */
  uint32_t nmembers, cap;
  trE_inst **members;    /* root: every instance to destroy when handles reaches 0 */
};

struct troupe_wasm_instance {
  trE_group *group;       /* NULL: alone (freeing the instance destroys it) */
  struct troupe_wasm_linker *linker; /* a reference on the linker its host functions come from */
  trE_module *mod;
  trE_func **funcs;       /* the function index space */
  trE_memory *mem;        /* memory 0, or NULL */
  trE_table **tables;
  trE_gcell **globals;   /* the global index space */
  uint8_t *dropped;       /* bitmap: elem segments, then data segments */
  uint64_t max_pages;     /* limits */
  uint32_t max_table, max_depth;
  size_t max_stack_bytes;
  void *user;
  bool warm_learn;        /* warm.c: its first completed call teaches the module */
  trE_exec ex;
  uint32_t nholds;
  trE_hold *holds;        /* in the instance's own allocation, as the arrays above */
  size_t alloc_bytes;     /* that allocation's size, for trB_slab_free */
  trE_func *own_funcs;    /* defined functions, then host import wrappers */
  trE_gcell *own_globals;
};

/* One linker definition: a host object, or an export of a registered instance. */
typedef struct trE_ldef {
  char *module, *name;
  size_t module_len, name_len;
  troupe_wasm_externkind kind;
  trE_inst *from; /* an instance's export (its group is the linker's), or NULL for host objects */
  trE_func *func; /* FUNC from an instance */
  /* host function */
  trE_functype ft;
  troupe_wasm_host_fn fn;
  void *user;
  trE_memory *mem;
  trE_table *table;
  trE_gcell *global;    /* the cell (inside `from`, or hostg) */
  trE_hostglobal *hostg;
} trE_ldef;

/* The linker (linker.c). Definitions are allocated one by one so that instances may point at a host function's
 * type and names while the linker grows; an instance using them holds a reference on the
 * linker, so they stay valid after the embedder frees it. */
struct troupe_wasm_linker {
  _Atomic uint32_t refcount; /* the embedder's handle plus one per instance; acq_rel */
  trE_ldef **defs;
  uint32_t ndefs, cap;
  /* Which state of which linker this is: a number no other linker, and no other set of
   * this one's definitions, ever had (a new one at every define). A module's import memo
   * (instance.c) is valid for the stamp it was made with. */
  uint64_t stamp;
  trE_group *group; /* made when the linker first holds a table, reference global or instance */
};

/* The stack budget without a limit (troupe_wasm_limits.max_stack_bytes = 0). */
#define TRE_STACK_DEFAULT_BYTES ((size_t)256 << 20)

/* exec.c: the stacks of ex grow (by doubling, within their limits: ex->max_depth frames,
 * ex->max_stack_bytes for both stacks together) to hold `need` slots / one more frame.
 * LIMIT and NOMEM change nothing; the interpreter reports either as "call stack
 * exhausted". trE_exec_bytes is what both stacks have allocated (what the budget
 * counts); trE_exec_free releases ex's storage. */
typedef enum trE_grow { TRE_GROW_OK, TRE_GROW_LIMIT, TRE_GROW_NOMEM } trE_grow;
trE_grow trE_exec_grow_stack(trE_exec *ex, size_t need);
trE_grow trE_exec_grow_frames(trE_exec *ex);
size_t trE_exec_bytes(const trE_exec *ex);
void trE_exec_free(trE_exec *ex);

/* interp.c: run ex from its current state (ex->pc and the top frame) until the entry
 * frame returns (TROUPE_OK), a trap (TROUPE_E_TRAP, ex->trap) or a suspension
 * (TROUPE_E_SUSPENDED). With `enter`, first call `enter` with its args already in
 * stack slots 0.. . */
int trE_interp_run(trE_exec *ex, const trE_func *enter);

/* api.c: run the start function f of a fresh instance. */
int trE_start(trE_inst *inst, const trE_func *f, uint64_t fuel, troupe_wasm_trap *trap);

/* instance.c: shared objects (linker.c makes host ones) and instance destruction. */
/* for_mod: the module whose memory 0 this is (its prepared memories may serve), or NULL. */
trE_memory *trE_memory_new(uint64_t min_pages, uint64_t max_pages, trE_module *for_mod);
void trE_memory_release(trE_memory *mem);
trE_table *trE_table_new(uint8_t elem, uint64_t min, uint64_t max);
void trE_table_release(trE_table *t);
void trE_hostglobal_release(trE_hostglobal *g);
void trE_inst_destroy(trE_inst *inst);

/* linker.c: import resolution (the latest definition of exactly that module and name),
 * linker references held by instances using host functions, store groups. */
const trE_ldef *trE_linker_lookup(const troupe_wasm_linker *l, const trE_import *im);
void trE_linker_ref(const troupe_wasm_linker *l);
void trE_linker_release(troupe_wasm_linker *l);
/* warm.c: fresh linear memory faulted in ahead of the guest's first touches. */
enum { TRE_WARM_UNKNOWN = 0, TRE_WARM_LEARNING = 1, TRE_WARM_KNOWN = 2 };
/* At instantiation, memory 0 just made: if it is fresh, fault in the pages the module's
 * earlier instances touched (known), or mark the instance to learn them (unknown). */
void trE_warm_instance(trE_inst *inst);
/* After the instance's first completed call (finish, when warm_learn is set). */
void trE_warm_learn(trE_inst *inst);
/* A mapping of `map` bytes made ahead for an instance of m by the prewarm helper
 * (base/prewarm.h): all zero, its known pages written; NULL when none is ready (and the
 * helper, if one runs, is asked for more). trE_warm_free: m is being freed. */
uint8_t *trE_warm_take(trE_module *m, size_t map);
void trE_warm_free(trE_module *m);

bool trE_group_join(const troupe_wasm_linker *l, trE_inst *inst);
void trE_group_drop(trE_group *g);

/* instance.c helpers shared with the interpreter. */
int trE_memory_grow(trE_inst *inst, trE_memory *mem, uint32_t delta, uint32_t *old_pages);
int trE_table_grow(trE_inst *inst, trE_table *t, uint32_t delta, void *init, uint32_t *old);
bool trE_elem_dropped(const trE_inst *inst, uint32_t seg);
bool trE_data_dropped(const trE_inst *inst, uint32_t seg);
void trE_drop_elem(trE_inst *inst, uint32_t seg);
void trE_drop_data(trE_inst *inst, uint32_t seg);
/* The value of element segment item i (a funcref or externref), for table.init. */
void *trE_elem_item(trE_inst *inst, const trE_elem *e, uint32_t i);

#endif
