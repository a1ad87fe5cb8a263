/*
 * engine/compile.c: validates each function body and compiles it, in the same single
 * pass, into the slot code of code.h (picture in docs/ENGINE.md); owns the compiled code
 * of a module. The pass's pieces (compile.h): this file drives it and hands each
 * instruction to its family (compile_ctrl.c, compile_ops.c), which validate with
 * compile_stack.c and emit through compile_emit.c and the peephole, compile_fuse.c.
 *
 * Validation follows the spec's validation algorithm (appendix): an operand stack of
 * types with an "unknown" type for stack-polymorphic code, and a control stack whose
 * frames carry a height and an unreachable flag. Alongside each operand the compiler
 * tracks where its value lives: in its home slot (nlocals + stack position), in a local
 * (local.get emits nothing), or as a constant not yet materialised. Code is emitted
 * only for reachable instructions.
 */
#include "engine/compile.h"

#include <string.h>

/* Debug, sanitizer and fuzz builds verify every function compiled (verify.c); the check
 * costs compile time, so release builds skip it. */
#ifdef TROUPE_VERIFY_CODE
enum { VERIFY = 1 };
#else
enum { VERIFY = 0 };
#endif

/* One instruction, by family. */
static int instr(trE_cc *c, uint8_t op, bool *done) {
  switch (op) {
  case 0x00: case 0x01: case 0x02: case 0x03: case 0x04: case 0x05: case 0x0B: case 0x0C:
  case 0x0D: case 0x0E: case 0x0F: case 0x10: case 0x11:
    return trE_cc_control(c, op, done);
  case 0x1A: case 0x1B: case 0x1C:
    return trE_cc_parametric(c, op);
  case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
    return trE_cc_variable(c, op);
  case 0x25: case 0x26:
    return trE_cc_table(c, op);
#define X(_, name, code, t, al) case code:
  TRE_LOADOPS(X, _)
  TRE_STOREOPS(X, _)
#undef X
  case 0x3F: case 0x40:
    return trE_cc_memory(c, op);
  case 0x41: case 0x42: case 0x43: case 0x44:
    return trE_cc_constant(c, op);
  case 0xD0: case 0xD1: case 0xD2:
    return trE_cc_reference(c, op);
  case 0xFC:
    return trE_cc_prefixed(c);
  case 0xFD:
    return trE_cc_fail(c, TROUPE_E_UNSUPPORTED,
                       "SIMD instructions (0xfd prefix) are not supported");
  default: {
    bool known;
    int rc = trE_cc_numeric(c, op, &known);
    if (known)
      return rc;
    return trE_cc_fail(c, TROUPE_E_MALFORMED, "illegal opcode 0x%02x", op);
  }
  }
}

/* ---- functions and the module ------------------------------------------------------ */

static void reset_func(trE_cc *c) {
  c->sp = c->max_height = c->csp = 0;
  c->ncode = c->nmap = 0;
  c->code = NULL, c->map = NULL;
  c->code_cap = c->map_cap = 0;
  c->nlazy = c->fuel_word = c->fuel_count = c->entry_fuel = 0;
  c->last_dst = 0;
  c->label_at = 0;
  c->set_end = 0;
  c->prev_op = c->prev2_op = TRE_OP_COUNT;
  c->oom = false;
}

static int compile_func(trE_cc *c, uint32_t defined, trE_compiled *out) {
  trE_module *m = c->m;
  uint32_t fi = m->nfunc_imports + defined;
  const trE_funcbody *b = &m->bodies[defined];
  const trE_functype *ft = trE_func_type(m, fi);
  c->func_index = fi;
  c->ft = ft;
  c->nlocals = ft->nparams + b->nlocals;
  reset_func(c);
  free(c->ltypes);
  free(c->lazy);
  c->ltypes = trB_malloc(c->nlocals ? c->nlocals : 1);
  c->lazy = trB_calloc(c->nlocals ? c->nlocals : 1, sizeof *c->lazy);
  if (!c->ltypes || !c->lazy)
    return trE_cc_fail(c, TROUPE_E_NOMEM, "out of memory");
  memcpy(c->ltypes, TRE_PARAMS(ft), ft->nparams);
  uint32_t k = ft->nparams;
  for (uint32_t g = 0; g < b->nlocal_groups; g++)
    for (uint32_t i = 0; i < b->local_groups[g].count; i++)
      c->ltypes[k++] = b->local_groups[g].type;
  c->r.p = b->code;
  c->r.end = b->code_end;
  c->cur_off = b->code_offset;
  int rc = trE_cc_push_ctrl(c, TRE_C_FUNC, 0, NULL, ft->nresults, TRE_RESULTS(ft));
  bool done = false;
  while (rc == 0 && !done) {
    if (c->r.p >= c->r.end) {
      c->cur_off = (uint32_t)(c->r.p - c->r.base);
      rc = trE_cc_fail(c, TROUPE_E_MALFORMED, "unexpected end of section or function");
      break;
    }
    c->cur_off = (uint32_t)(c->r.p - c->r.base);
    uint8_t op = *c->r.p++;
    c->fuel_count++;
    rc = instr(c, op, &done);
  }
  if (rc == 0 && c->r.p != c->r.end) {
    c->cur_off = (uint32_t)(c->r.p - c->r.base);
    rc = trE_cc_fail(c, TROUPE_E_MALFORMED, "section size mismatch: code after the function's end");
  }
  if (rc == 0 && c->oom)
    rc = trE_cc_fail(c, TROUPE_E_NOMEM, "out of memory");
  if (rc) {
    free(c->code);
    free(c->map);
    return rc;
  }
  *out = (trE_compiled){
      .code = c->code, .ncode = c->ncode, .func_index = fi, .nparams = ft->nparams,
      .nresults = ft->nresults, .nlocals = c->nlocals,
      .frame_slots = c->nlocals + c->max_height + 1, .entry_fuel = c->entry_fuel, .type = ft,
      .npcmap = c->nmap, .pcmap = c->map};
  if (VERIFY && (rc = trE_verify_func(m, out, c->dec, c->err)) != 0) {
    free(c->code);
    free(c->map);
  }
  return rc;
}

/* What compile.c owns in a module: the compiled functions and the function types as
 * the public API shows them (troupe_wasm_export_functype returns these). */
typedef struct owner {
  trE_compiled *fns;
  troupe_wasm_functype *pubtypes;
} owner;

const troupe_wasm_functype *trE_pubtype(const trE_module *m, uint32_t type_index) {
  return &((const owner *)m->code_owner)->pubtypes[type_index];
}

int trE_compile_module(trE_module *m, const uint8_t *bytes, size_t len, troupe_err *err) {
  uint32_t n = m->nfuncs - m->nfunc_imports;
  trE_compiled *fns = trB_calloc(n ? n : 1, sizeof *fns);
  trE_compiled **ptrs = trB_calloc(n ? n : 1, sizeof *ptrs);
  owner *own = trB_calloc(1, sizeof *own);
  troupe_wasm_functype *pub = trB_calloc(m->ntypes ? m->ntypes : 1, sizeof *pub);
  trE_opdecoder *dec = VERIFY ? trB_malloc(sizeof *dec) : NULL;
  if (!fns || !ptrs || !own || !pub || (VERIFY && !dec)) {
    free(dec);
    free(fns);
    free(ptrs);
    free(own);
    free(pub);
    return troupe_err_set(err, TROUPE_E_NOMEM, "code section: out of memory");
  }
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const trE_functype *ft = &m->types[i];
    pub[i] = (troupe_wasm_functype){.nparams = ft->nparams, .nresults = ft->nresults,
                                    .params = TRE_PARAMS(ft), .results = TRE_RESULTS(ft)};
  }
  own->fns = fns;
  own->pubtypes = pub;
  trE_cc c = {.m = m, .H = trE_interp_handlers(), .err = err};
  if (dec)
    trE_opdecoder_init(dec, c.H);
  c.dec = dec;
  c.r = (trE_reader){.base = bytes, .p = bytes, .end = bytes + len, .where = "code section",
                     .err = err};
  int rc = 0;
  uint32_t i;
  for (i = 0; i < n && rc == 0; i++) {
    rc = compile_func(&c, i, &fns[i]);
    ptrs[i] = &fns[i];
  }
  free(dec);
  free(c.st);
  free(c.cs);
  free(c.ltypes);
  free(c.lazy);
  m->compiled = ptrs;
  m->code_owner = own;
  if (rc) {
    /* fns[i-1] failed and owns nothing */
    for (uint32_t j = 0; j + 1 < i; j++) {
      free((void *)fns[j].code);
      free((void *)fns[j].pcmap);
    }
    free(fns);
    free(ptrs);
    free(pub);
    free(own);
    m->compiled = NULL;
    m->code_owner = NULL;
  }
  return rc;
}

void trE_compile_free(trE_module *m) {
  owner *own = m->code_owner;
  if (!own)
    return;
  for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
    free((void *)own->fns[i].code);
    free((void *)own->fns[i].pcmap);
  }
  free(own->fns);
  free(own->pubtypes);
  free(own);
  free(m->compiled);
  m->compiled = NULL;
  m->code_owner = NULL;
}

uint32_t trE_code_offset(const trE_compiled *fn, uint32_t pc) {
  uint32_t lo = 0, hi = fn->npcmap;
  if (hi == 0)
    return 0;
  while (hi - lo > 1) {
    uint32_t mid = (lo + hi) / 2;
    if (fn->pcmap[mid].pc <= pc)
      lo = mid;
    else
      hi = mid;
  }
  return fn->pcmap[lo].off;
}
