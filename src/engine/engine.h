/*
 * engine/engine.h: the engine layer's internal header (prefix trE_).
 *
 * Pipeline: decode.c turns the binary into a trE_module (this header's first half:
 * types, imports, functions, tables, memories, globals, exports, segments, and the byte
 * ranges of function bodies), checking everything that is not inside a function body.
 * compile.c then validates each body and compiles it to the internal code; the result is
 * stored in the same trE_module, which is immutable from then on and shared by every
 * instance (see docs/ENGINE.md for the code format and the interpreter).
 */
#ifndef TROUPE_SRC_ENGINE_H
#define TROUPE_SRC_ENGINE_H

#include "base/base.h"
#include "engine/pool.h"
#include "troupe/wasm.h"

#include <stdatomic.h>

/* ---- the decoded module (decode.c) ---------------------------------------------- */

#define TRE_PAGE_SIZE 65536u
#define TRE_MAX_PAGES 65536u  /* 4 GiB: the spec's limit for 32-bit memories */
#define TRE_MAX_LOCALS 50000u /* per function; more is rejected ("too many locals") */

/* Section ids. Non-custom sections appear at most once each, in the order type, import,
 * function, table, memory, global, export, start, element, datacount, code, data. */
enum {
  TRE_SEC_CUSTOM = 0, TRE_SEC_TYPE = 1, TRE_SEC_IMPORT = 2, TRE_SEC_FUNCTION = 3,
  TRE_SEC_TABLE = 4, TRE_SEC_MEMORY = 5, TRE_SEC_GLOBAL = 6, TRE_SEC_EXPORT = 7,
  TRE_SEC_START = 8, TRE_SEC_ELEMENT = 9, TRE_SEC_CODE = 10, TRE_SEC_DATA = 11,
  TRE_SEC_DATACOUNT = 12,
};

/* A function type: params then results in one array of troupe_wasm_valtype bytes. */
typedef struct trE_functype {
  uint32_t nparams, nresults;
  uint8_t *types; /* nparams + nresults entries */
  uint64_t hash;  /* structural hash (for fast call_indirect checks); equal types, equal hash */
} trE_functype;

#define TRE_PARAMS(ft) ((ft)->types)
#define TRE_RESULTS(ft) ((ft)->types + (ft)->nparams)

typedef struct trE_limits {
  uint64_t min, max;
  bool has_max;
} trE_limits;

typedef struct trE_tabletype {
  uint8_t elem; /* TROUPE_WASM_FUNCREF or TROUPE_WASM_EXTERNREF */
  trE_limits limits;
} trE_tabletype;

typedef struct trE_globaltype {
  uint8_t type;
  bool mut;
} trE_globaltype;

/* A constant expression (global initialisers, segment offsets, element items). In 2.0
 * it is exactly one of these instructions followed by `end` (no v128.const: the decoder
 * rejects SIMD). */
typedef enum trE_constop {
  TRE_CONST_I32, TRE_CONST_I64, TRE_CONST_F32, TRE_CONST_F64,
  TRE_CONST_REF_NULL, TRE_CONST_REF_FUNC, TRE_CONST_GLOBAL_GET,
} trE_constop;

typedef struct trE_constexpr {
  trE_constop op;
  uint8_t type;   /* the value type it produces */
  uint64_t bits;  /* I32/I64/F32/F64: the value's bits; REF_FUNC/GLOBAL_GET: the index */
} trE_constexpr;

typedef struct trE_import {
  char *module, *name;            /* NUL-terminated copies (may hold NULs, as exports) */
  uint32_t module_len, name_len;  /* their real lengths in bytes */
  troupe_wasm_externkind kind;
  union {
    uint32_t type_index; /* FUNC */
    trE_tabletype table;
    trE_limits memory;
    trE_globaltype global;
  } as;
} trE_import;

typedef struct trE_export {
  char *name;        /* NUL-terminated copy; wasm names may contain NUL, so... */
  uint32_t name_len; /* ...this is the name's real length in bytes */
  troupe_wasm_externkind kind;
  uint32_t index;
} trE_export;

typedef struct trE_global {
  trE_globaltype type;
  trE_constexpr init;
} trE_global;

typedef enum trE_segmode { TRE_SEG_ACTIVE, TRE_SEG_PASSIVE, TRE_SEG_DECLARATIVE } trE_segmode;

typedef struct trE_elem {
  trE_segmode mode;
  uint8_t elem_type;   /* FUNCREF or EXTERNREF */
  uint32_t table;      /* ACTIVE */
  trE_constexpr offset; /* ACTIVE: an i32 expression */
  uint32_t count;
  trE_constexpr *items; /* REF_FUNC, REF_NULL or GLOBAL_GET each */
} trE_elem;

typedef struct trE_data {
  trE_segmode mode;      /* ACTIVE or PASSIVE */
  uint32_t memory;
  trE_constexpr offset;
  uint32_t len;
  uint8_t *bytes;        /* owned copy */
} trE_data;

/* A function defined in the module (not imported). Locals are compressed as in the
 * binary: nlocal_groups (count, type) pairs; body_* point into the input bytes and are
 * only valid while trE_module_decode's input is alive (compile.c runs in that window). */
typedef struct trE_localgroup {
  uint32_t count;
  uint8_t type;
} trE_localgroup;

typedef struct trE_funcbody {
  uint32_t nlocal_groups;
  trE_localgroup *local_groups;
  uint32_t nlocals;          /* total declared locals (params excluded) */
  const uint8_t *code;       /* first instruction */
  const uint8_t *code_end;   /* end of the body: its last byte must be the function's
                              * final `end` (compile.c checks that no instruction
                              * follows the outermost `end` and none is missing) */
  uint32_t code_offset;      /* offset of `code` in the module bytes (for error messages and traps) */
} trE_funcbody;

struct trE_compiled; /* compile.c: the internal code of one function */

typedef struct trE_module {
  _Atomic uint32_t refcount; /* acq_rel on release so the last owner sees every write */

  uint32_t ntypes;
  trE_functype *types;

  uint32_t nimports;
  trE_import *imports;

  /* Index spaces: imports first, then the module's own definitions. */
  uint32_t nfuncs, nfunc_imports;
  uint32_t *func_types;      /* type index of every function (imports included) */
  trE_funcbody *bodies;      /* nfuncs - nfunc_imports entries */

  uint32_t ntables, ntable_imports;
  trE_tabletype *tables;     /* every table (imports included) */

  uint32_t nmemories, nmemory_imports;
  trE_limits *memories;      /* every memory (imports included) */

  uint32_t nglobals, nglobal_imports;
  trE_globaltype *global_types; /* every global (imports included) */
  trE_global *globals;       /* nglobals - nglobal_imports defined globals */

  uint32_t nexports;
  trE_export *exports;

  bool has_start;
  uint32_t start;

  uint32_t nelems;
  trE_elem *elems;

  uint32_t ndatas;
  trE_data *datas;
  bool has_datacount;
  uint32_t datacount;

  /* Functions referenced outside function bodies (exports, element segments, global
   * initialisers): ref.func in a body may name only these ("undeclared function
   * reference"). Bitmap over the function index space. */
  uint8_t *declared_funcs;

  /* compile.c fills this: one compiled function per defined function. */
  struct trE_compiled **compiled;
  void *code_owner; /* compile.c's private storage (freed by trE_compile_free) */

  /* warm.c: the runs of OS pages of memory 0 its first instance had written when its
   * first call completed, published once (written, then warm_state TRE_WARM_KNOWN with
   * release) for the fresh memories of later instances to fault in, one system call per
   * run. */
  _Atomic int warm_state;
  uint32_t nwarm;
  trE_page_run warm[TRE_WARM_RUNS];
  /* warm.c: memories made ahead for its instances by the prewarm helper, once the pages
   * above are known; made at the first instance that could use one, freed with it. */
  _Atomic(struct trE_reserve *) reserve;
  /* instance.c: what the imports resolved to in the first linker that linked them all,
   * published once (release), freed with the module. Instances linked by that same
   * linker state skip the search by name (a scan of every definition per import). */
  _Atomic(struct trE_import_memo *) import_memo;
} trE_module;

/* Decode the binary and check everything outside function bodies. On failure returns
 * TROUPE_E_MALFORMED / TROUPE_E_INVALID / TROUPE_E_NOMEM with a message naming the
 * section, the byte offset and the reason, in the spec's words where it has them
 * ("unexpected end", "integer too large", "length out of bounds", "malformed section
 * id", "unknown type", ...). *out is a module with refcount 1 whose bodies point into
 * `bytes`. */
int trE_module_decode(const uint8_t *bytes, size_t len, trE_module **out, troupe_err *err);
/* Free what decode allocated (not the compiled code). */
void trE_module_free_decoded(trE_module *m);

/* Compile every body of m (validating it); fills m->compiled / m->code_owner. Errors as
 * for decode, with the function index and the offset of the offending instruction. */
int trE_compile_module(trE_module *m, const uint8_t *bytes, size_t len, troupe_err *err);
void trE_compile_free(trE_module *m);

/* A function type lookup that never fails on a decoded module. */
static inline const trE_functype *trE_func_type(const trE_module *m, uint32_t func_index) {
  return &m->types[m->func_types[func_index]];
}

/* Structural equality of function types. */
bool trE_functype_equal(const trE_functype *a, const trE_functype *b);

#endif
