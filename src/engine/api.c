/*
 * engine/api.c: the rest of troupe/wasm.h -- modules (decode + compile, refcounting,
 * import/export descriptions), calls into an instance with typed values, suspension and
 * resumption, host-call helpers, globals and memory accessors.
 *
 * A call runs on the called instance's execution state (trE_exec): its value stack and
 * frame stack are allocated on first use and kept for the next call.
 */
#include "engine/instance.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *troupe_wasm_valtype_name(uint8_t t) {
  switch (t) {
  case TROUPE_WASM_I32: return "i32";
  case TROUPE_WASM_I64: return "i64";
  case TROUPE_WASM_F32: return "f32";
  case TROUPE_WASM_F64: return "f64";
  case TROUPE_WASM_V128: return "v128";
  case TROUPE_WASM_FUNCREF: return "funcref";
  case TROUPE_WASM_EXTERNREF: return "externref";
  default: return "?";
  }
}

const char *troupe_wasm_trap_kind_message(troupe_wasm_trap_kind kind) {
  switch (kind) {
#define TROUPE_WASM_X_TRAP(name, msg)                                                      \
  case TROUPE_WASM_TRAP_##name:                                                            \
    return msg;
    TROUPE_WASM_TRAP_LIST(TROUPE_WASM_X_TRAP)
#undef TROUPE_WASM_X_TRAP
  }
  return "unknown trap";
}

/* ---- modules ------------------------------------------------------------------------ */

int troupe_wasm_module_new(const uint8_t *bytes, size_t len, troupe_wasm_module **out,
                           troupe_err *err) {
  if (!out || (!bytes && len))
    return troupe_err_set(err, TROUPE_E_INVAL, "module: missing bytes or out");
  *out = NULL;
  trE_module *m = NULL;
  int rc = trE_module_decode(bytes, len, &m, err);
  if (rc)
    return rc;
  rc = trE_compile_module(m, bytes, len, err);
  if (rc) {
    trE_module_free_decoded(m);
    return rc;
  }
  /* function bodies pointed into `bytes`: from here on nothing reads them */
  for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
    m->bodies[i].code = m->bodies[i].code_end = NULL;
  *out = (troupe_wasm_module *)m;
  return TROUPE_OK;
}

troupe_wasm_module *troupe_wasm_module_ref(troupe_wasm_module *pm) {
  trE_module *m = (trE_module *)pm;
  /* relaxed: taking a reference needs no ordering, the caller already holds one */
  if (m)
    atomic_fetch_add_explicit(&m->refcount, 1, memory_order_relaxed);
  return pm;
}

void troupe_wasm_module_free(troupe_wasm_module *pm) {
  trE_module *m = (trE_module *)pm;
  /* acq_rel: the last owner must see all other owners' accesses finished */
  if (m && atomic_fetch_sub_explicit(&m->refcount, 1, memory_order_acq_rel) == 1) {
    trE_warm_free(m); /* first: the helper may be preparing its memories */
    free(atomic_load_explicit(&m->import_memo, memory_order_relaxed));
    trE_compile_free(m);
    trE_module_free_decoded(m);
  }
}

size_t troupe_wasm_module_import_count(const troupe_wasm_module *pm) {
  return pm ? ((const trE_module *)pm)->nimports : 0;
}

size_t troupe_wasm_module_export_count(const troupe_wasm_module *pm) {
  return pm ? ((const trE_module *)pm)->nexports : 0;
}

static void pub_functype(const trE_functype *ft, troupe_wasm_functype *out) {
  *out = (troupe_wasm_functype){.nparams = ft->nparams, .nresults = ft->nresults,
                                .params = TRE_PARAMS(ft), .results = TRE_RESULTS(ft)};
}

static void pub_limits(const trE_limits *l, troupe_wasm_limits_desc *out) {
  *out = (troupe_wasm_limits_desc){.min = l->min, .max = l->max, .has_max = l->has_max};
}

static void describe(const trE_module *m, troupe_wasm_externkind kind, uint32_t index,
                     troupe_wasm_extern_desc *out) {
  out->kind = kind;
  switch (kind) {
  case TROUPE_WASM_EXTERN_FUNC: pub_functype(trE_func_type(m, index), &out->func); break;
  case TROUPE_WASM_EXTERN_TABLE:
    out->table.elem = m->tables[index].elem;
    pub_limits(&m->tables[index].limits, &out->table.limits);
    break;
  case TROUPE_WASM_EXTERN_MEMORY: pub_limits(&m->memories[index], &out->memory); break;
  case TROUPE_WASM_EXTERN_GLOBAL:
    out->global.type = m->global_types[index].type;
    out->global.mutable_ = m->global_types[index].mut;
    break;
  }
}

int troupe_wasm_module_import(const troupe_wasm_module *pm, size_t i, troupe_wasm_extern_desc *out) {
  const trE_module *m = (const trE_module *)pm;
  if (!m || !out || i >= m->nimports)
    return TROUPE_E_RANGE;
  memset(out, 0, sizeof *out);
  const trE_import *im = &m->imports[i];
  /* the import's index within its own index space */
  uint32_t index = 0;
  for (size_t k = 0; k < i; k++)
    if (m->imports[k].kind == im->kind)
      index++;
  describe(m, im->kind, index, out);
  out->module = im->module;
  out->module_len = im->module_len;
  out->name = im->name;
  out->name_len = im->name_len;
  return TROUPE_OK;
}

int troupe_wasm_module_export(const troupe_wasm_module *pm, size_t i, troupe_wasm_extern_desc *out) {
  const trE_module *m = (const trE_module *)pm;
  if (!m || !out || i >= m->nexports)
    return TROUPE_E_RANGE;
  memset(out, 0, sizeof *out);
  describe(m, m->exports[i].kind, m->exports[i].index, out);
  out->name = m->exports[i].name;
  out->name_len = m->exports[i].name_len;
  return TROUPE_OK;
}

/* Export names are unique within a module (validation checks it), so a name alone finds
 * the export; the kind is checked by whoever uses it. A linear scan: callers on a hot
 * path look an export up once and keep its index. */
static const trE_export *find_export_n(const trE_module *m, const char *name, size_t len) {
  if (!m || (!name && len))
    return NULL;
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].name_len == len && (len == 0 || memcmp(m->exports[i].name, name, len) == 0))
      return &m->exports[i];
  return NULL;
}

static const trE_export *find_export(const trE_module *m, const char *name,
                                     troupe_wasm_externkind kind) {
  if (!name)
    return NULL;
  const trE_export *e = find_export_n(m, name, strlen(name));
  return e && e->kind == kind ? e : NULL;
}

int troupe_wasm_export_find(const troupe_wasm_module *pm, const char *name, size_t len,
                            uint32_t *index) {
  const trE_module *m = (const trE_module *)pm;
  const trE_export *e = find_export_n(m, name, len);
  if (index)
    *index = e ? (uint32_t)(e - m->exports) : UINT32_MAX;
  return e ? TROUPE_OK : TROUPE_E_NOTFOUND;
}

/* The export at `index` if it exists and is of `kind`. */
static const trE_export *export_at(const trE_inst *inst, uint32_t index,
                                   troupe_wasm_externkind kind) {
  if (!inst || index >= inst->mod->nexports || inst->mod->exports[index].kind != kind)
    return NULL;
  return &inst->mod->exports[index];
}

/* ---- host calls ------------------------------------------------------------------- */

troupe_wasm_instance *troupe_wasm_hostcall_instance(troupe_wasm_hostcall *call) {
  return call ? call->inst : NULL;
}

/* The view needs no bookkeeping: a memory moves only when it grows, and nothing grows
 * it while the host function runs unless the host calls into an instance (the documented
 * end of the view's life). */
int troupe_wasm_hostcall_memory(troupe_wasm_hostcall *call, uint32_t memory, uint8_t **data,
                                uint64_t *size) {
  if (!call || !data || !size)
    return TROUPE_E_INVAL;
  const trE_memory *mem = memory == 0 ? call->inst->mem : NULL;
  *data = mem ? mem->data : NULL;
  *size = mem ? mem->size : 0;
  return mem ? TROUPE_OK : TROUPE_E_NOTFOUND;
}

int troupe_wasm_hostcall_memory_range(troupe_wasm_hostcall *call, uint32_t memory,
                                      uint64_t offset, uint64_t len, uint8_t **ptr) {
  if (!ptr)
    return TROUPE_E_INVAL;
  *ptr = NULL;
  uint8_t *data;
  uint64_t size;
  int rc = troupe_wasm_hostcall_memory(call, memory, &data, &size);
  if (rc)
    return rc;
  if (offset > size || len > size - offset)
    return TROUPE_E_RANGE;
  *ptr = data + offset;
  return TROUPE_OK;
}

int troupe_wasm_host_trap(troupe_wasm_hostcall *call, const char *fmt, ...) {
  if (call) {
    call->action = TRE_HOST_TRAP;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->message, sizeof call->message, fmt ? fmt : "host trap", ap);
    va_end(ap);
  }
  return TROUPE_E_TRAP;
}

int troupe_wasm_host_exit(troupe_wasm_hostcall *call, int32_t code) {
  if (call) {
    call->action = TRE_HOST_EXIT;
    call->exit_code = code;
  }
  return TROUPE_E_EXIT;
}

int troupe_wasm_host_suspend(troupe_wasm_hostcall *call) {
  if (call)
    call->action = TRE_HOST_SUSPEND;
  return TROUPE_E_SUSPENDED;
}

/* ---- calls --------------------------------------------------------------------------- */

/* A call's fuel: spent from 0 against the budget (unlimited: a budget never reached).
 * A pending interrupt survives it: the interrupter stores its flag, then 0 into the
 * budget; this stores the budget, then reads the flag. All four are seq_cst, so in their
 * single order either this read sees the flag (and zeroes the budget itself) or the
 * interrupter's 0 comes after this budget and wins. */
static void set_fuel(trE_exec *ex, const troupe_wasm_call_opts *opts) {
  int64_t budget = INT64_MAX;
  if (opts && opts->fuel)
    budget = opts->fuel > INT64_MAX ? INT64_MAX : (int64_t)opts->fuel;
  ex->fuel_spent = 0;
  ex->fuel_limit = budget;
  atomic_store_explicit(&ex->fuel_budget, budget, memory_order_seq_cst);
  if (atomic_load_explicit(&ex->interrupt, memory_order_seq_cst))
    atomic_store_explicit(&ex->fuel_budget, 0, memory_order_seq_cst);
  ex->trap_on_fuel = opts && opts->trap_on_fuel_out;
}

/* A stop for fuel with fuel left: troupe_wasm_instance_interrupt stores its flag, then 0
 * into the budget, and between the two the flag can be consumed (the call stopped for
 * it, or set_fuel saw it) and the next call start with its own budget, which that late
 * 0 then overwrites. Spent under the call's limit, a fuel suspension (or, with
 * trap_on_fuel_out, the FUEL_EXHAUSTED trap) is that stale 0: the budget goes back and
 * the caller runs the call on from ex->pc (the op there has not run), as a resume
 * would. Here, not in the interpreter: its dispatch loop's code stays as it was. The
 * flag is read after the store, as in set_fuel: a racing interrupt is either seen (its
 * 0 stored again: the run stops at once and reports it) or stores its 0 after ours.
 * Each interrupt leaves at most one stale 0. */
static bool stale_stop(trE_exec *ex, int rc) {
  bool fuel = (rc == TROUPE_E_SUSPENDED && ex->state == TROUPE_WASM_SUSPENDED_FUEL) ||
              (rc == TROUPE_E_TRAP && ex->trap.kind == TROUPE_WASM_TRAP_FUEL_EXHAUSTED);
  if (TR_LIKELY(!fuel) || ex->fuel_spent >= ex->fuel_limit)
    return false;
  atomic_store_explicit(&ex->fuel_budget, ex->fuel_limit, memory_order_seq_cst);
  if (atomic_load_explicit(&ex->interrupt, memory_order_seq_cst))
    atomic_store_explicit(&ex->fuel_budget, 0, memory_order_seq_cst);
  ex->state = TROUPE_WASM_IDLE;
  return true;
}

void troupe_wasm_instance_interrupt(troupe_wasm_instance *inst) {
  if (!inst)
    return;
  atomic_store_explicit(&inst->ex.interrupt, true, memory_order_seq_cst);
  atomic_store_explicit(&inst->ex.fuel_budget, 0, memory_order_seq_cst);
}

uint64_t troupe_wasm_instance_fuel_spent(const troupe_wasm_instance *inst) {
  if (!inst || inst->ex.fuel_spent < 0)
    return 0;
  return (uint64_t)inst->ex.fuel_spent;
}

static void reset_exec(trE_exec *ex) {
  ex->nframes = 0;
  ex->pc = NULL;
  ex->state = TROUPE_WASM_IDLE;
  ex->susp_host = NULL;
}

/* After trE_interp_run: results out, or the trap, or the suspension stays. */
static int finish(trE_inst *inst, int rc, troupe_wasm_val *results, size_t nresults,
                  troupe_wasm_trap *trap, troupe_err *err) {
  trE_exec *ex = &inst->ex;
  ex->running = false;
  if (rc == TROUPE_OK) {
    const trE_functype *ft = ex->entry->type;
    for (uint32_t i = 0; i < ft->nresults && i < nresults; i++)
      trE_slot_to_val(ex->stack[i], TRE_RESULTS(ft)[i], &results[i]);
    reset_exec(ex);
    if (TR_UNLIKELY(inst->warm_learn))
      trE_warm_learn(inst);
    return TROUPE_OK;
  }
  if (rc == TROUPE_E_SUSPENDED) {
    /* the hot path of fuel-sliced scheduling: no formatting */
    if (err) {
      static const char *const msgs[] = {
          [TROUPE_WASM_SUSPENDED_FUEL] = "execution suspended (fuel)",
          [TROUPE_WASM_SUSPENDED_HOST] = "execution suspended (host)",
          [TROUPE_WASM_SUSPENDED_INTERRUPT] = "execution suspended (interrupt)"};
      err->code = TROUPE_E_SUSPENDED;
      memcpy(err->msg, msgs[ex->state], strlen(msgs[ex->state]) + 1);
    }
    return TROUPE_E_SUSPENDED;
  }
  if (trap)
    *trap = ex->trap;
  reset_exec(ex);
  if (err) { /* "trap in function F at offset 0xO: message", on a crash's path */
    err->code = TROUPE_E_TRAP;
    trB_sb m = trB_sb_init(err->msg, sizeof err->msg);
    trB_sb_str(&m, "trap in function ");
    trB_sb_u64(&m, ex->trap.func_index);
    trB_sb_str(&m, " at offset 0x");
    trB_sb_hex(&m, ex->trap.code_offset);
    trB_sb_str(&m, ": ");
    trB_sb_str(&m, ex->trap.message);
  }
  return TROUPE_E_TRAP;
}

/* The entry function's frame alone does not fit in the instance's stack budget: the
 * call traps as a deeper one would, before anything runs. */
static int entry_too_big(const trE_func *f, size_t slots, size_t budget,
                         troupe_wasm_trap *trap, troupe_err *err) {
  troupe_wasm_trap t = {.kind = TROUPE_WASM_TRAP_STACK_EXHAUSTED,
                        .func_index = f->code ? f->code->func_index : UINT32_MAX};
  snprintf(t.message, sizeof t.message, "%s: the entry frame needs %zu bytes, the stack "
           "limit is %zu", troupe_wasm_trap_kind_message(t.kind), slots * sizeof(trE_slot),
           budget);
  if (trap)
    *trap = t;
  return troupe_err_set(err, TROUPE_E_TRAP, "trap in function %u at offset 0x0: %s",
                        t.func_index, t.message);
}

static int start_call(trE_inst *inst, const trE_func *f, const troupe_wasm_val *args,
                      size_t nargs, troupe_wasm_val *results, size_t nresults,
                      const troupe_wasm_call_opts *opts, troupe_wasm_trap *trap,
                      troupe_err *err) {
  trE_exec *ex = &inst->ex;
  const trE_functype *ft = f->type;
  if (ex->running || ex->state != TROUPE_WASM_IDLE)
    return troupe_err_set(err, TROUPE_E_STATE, "call: the instance is busy or suspended");
  if (nargs != ft->nparams || (ft->nparams && !args) || nresults < ft->nresults ||
      (ft->nresults && !results))
    return troupe_err_set(err, TROUPE_E_INVAL, "call: expected %u arguments and room for %u "
                          "results", ft->nparams, ft->nresults);
  for (uint32_t i = 0; i < ft->nparams; i++)
    if (args[i].type != TRE_PARAMS(ft)[i])
      return troupe_err_set(err, TROUPE_E_INVAL, "call: argument %u is %s, expected %s", i,
                            troupe_wasm_valtype_name(args[i].type),
                            troupe_wasm_valtype_name(TRE_PARAMS(ft)[i]));
  ex->max_depth = inst->max_depth;
  ex->max_stack_bytes = inst->max_stack_bytes;
  size_t need = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
  if (f->code && f->code->frame_slots > need)
    need = f->code->frame_slots;
  if (need + 1 > ex->stack_cap) {
    trE_grow g = trE_exec_grow_stack(ex, need + 1);
    if (g == TRE_GROW_NOMEM)
      return troupe_err_set(err, TROUPE_E_NOMEM, "call: out of memory for the stack");
    if (g == TRE_GROW_LIMIT)
      return entry_too_big(f, need + 1, ex->max_stack_bytes, trap, err);
  }
  for (uint32_t i = 0; i < ft->nparams; i++)
    ex->stack[i] = trE_val_to_slot(&args[i], TRE_PARAMS(ft)[i]);
  set_fuel(ex, opts);
  ex->entry = f;
  ex->nframes = 0;
  ex->running = true;
  int rc = trE_interp_run(ex, f);
  while (TR_UNLIKELY(stale_stop(ex, rc)))
    rc = trE_interp_run(ex, NULL);
  return finish(inst, rc, results, nresults, trap, err);
}

int trE_start(trE_inst *inst, const trE_func *f, uint64_t fuel, troupe_wasm_trap *trap) {
  /* out of fuel in start is a trap, not a suspension: instantiation cannot be resumed */
  const troupe_wasm_call_opts opts = {.fuel = fuel, .trap_on_fuel_out = true};
  int rc = start_call(inst, f, NULL, 0, NULL, 0, &opts, trap, NULL);
  if (rc == TROUPE_E_SUSPENDED) {
    troupe_wasm_abort(inst);
    if (trap) {
      memset(trap, 0, sizeof *trap);
      trap->kind = TROUPE_WASM_TRAP_HOST;
      snprintf(trap->message, sizeof trap->message, "the start function cannot suspend");
    }
  }
  return rc;
}

int troupe_wasm_call(troupe_wasm_instance *inst, const char *export_name,
                     const troupe_wasm_val *args, size_t nargs, troupe_wasm_val *results,
                     size_t nresults, const troupe_wasm_call_opts *opts, troupe_wasm_trap *trap,
                     troupe_err *err) {
  if (!inst)
    return troupe_err_set(err, TROUPE_E_INVAL, "call: no instance");
  const trE_export *e = find_export(inst->mod, export_name, TROUPE_WASM_EXTERN_FUNC);
  if (!e)
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "call: no exported function \"%s\"",
                          export_name ? export_name : "(null)");
  return start_call(inst, inst->funcs[e->index], args, nargs, results, nresults, opts, trap,
                    err);
}

int troupe_wasm_call_at(troupe_wasm_instance *inst, uint32_t export_index,
                        const troupe_wasm_val *args, size_t nargs, troupe_wasm_val *results,
                        size_t nresults, const troupe_wasm_call_opts *opts,
                        troupe_wasm_trap *trap, troupe_err *err) {
  const trE_export *e = export_at(inst, export_index, TROUPE_WASM_EXTERN_FUNC);
  if (!e)
    return troupe_err_set(err, inst ? TROUPE_E_NOTFOUND : TROUPE_E_INVAL,
                          "call: export %u is not a function of this instance", export_index);
  return start_call(inst, inst->funcs[e->index], args, nargs, results, nresults, opts, trap,
                    err);
}

const troupe_wasm_functype *troupe_wasm_export_functype_at(const troupe_wasm_instance *inst,
                                                           uint32_t export_index) {
  const trE_export *e = export_at(inst, export_index, TROUPE_WASM_EXTERN_FUNC);
  return e ? trE_pubtype(inst->mod, inst->mod->func_types[e->index]) : NULL;
}

const char *troupe_wasm_export_name_at(const troupe_wasm_module *pm, uint32_t export_index,
                                      size_t *len) {
  const trE_module *m = (const trE_module *)pm;
  if (!m || export_index >= m->nexports)
    return NULL;
  if (len)
    *len = m->exports[export_index].name_len;
  return m->exports[export_index].name;
}

const troupe_wasm_functype *troupe_wasm_export_functype(const troupe_wasm_instance *inst,
                                                        const char *export_name) {
  if (!inst)
    return NULL;
  const trE_export *e = find_export(inst->mod, export_name, TROUPE_WASM_EXTERN_FUNC);
  if (!e)
    return NULL;
  return trE_pubtype(inst->mod, inst->mod->func_types[e->index]);
}

troupe_wasm_state troupe_wasm_instance_state(const troupe_wasm_instance *inst) {
  return inst ? inst->ex.state : TROUPE_WASM_IDLE;
}

const troupe_wasm_functype *troupe_wasm_suspended_host_type(const troupe_wasm_instance *inst) {
  if (!inst || inst->ex.state != TROUPE_WASM_SUSPENDED_HOST)
    return NULL;
  return &inst->ex.susp_host->pubtype;
}

int troupe_wasm_suspended_host(const troupe_wasm_instance *inst, troupe_wasm_extern_desc *out) {
  if (!inst || !out)
    return TROUPE_E_INVAL;
  memset(out, 0, sizeof *out);
  if (inst->ex.state != TROUPE_WASM_SUSPENDED_HOST)
    return TROUPE_E_STATE;
  const trE_func *f = inst->ex.susp_host;
  out->kind = TROUPE_WASM_EXTERN_FUNC;
  out->module = f->module;
  out->module_len = f->module_len;
  out->name = f->name;
  out->name_len = f->name_len;
  out->func = f->pubtype;
  return TROUPE_OK;
}

int troupe_wasm_resume(troupe_wasm_instance *inst, const troupe_wasm_val *host_results,
                       size_t nhost_results, troupe_wasm_val *results, size_t nresults,
                       const troupe_wasm_call_opts *opts, troupe_wasm_trap *trap,
                       troupe_err *err) {
  if (!inst)
    return troupe_err_set(err, TROUPE_E_INVAL, "resume: no instance");
  trE_exec *ex = &inst->ex;
  if (ex->running || ex->state == TROUPE_WASM_IDLE)
    return troupe_err_set(err, TROUPE_E_STATE, "resume: nothing is suspended");
  if (nresults < ex->entry->type->nresults || (ex->entry->type->nresults && !results))
    return troupe_err_set(err, TROUPE_E_INVAL, "resume: room for %u results needed",
                          ex->entry->type->nresults);
  if (ex->state == TROUPE_WASM_SUSPENDED_HOST) {
    const trE_functype *ft = ex->susp_host->type;
    if (nhost_results != ft->nresults || (ft->nresults && !host_results))
      return troupe_err_set(err, TROUPE_E_INVAL, "resume: expected %u host results",
                            ft->nresults);
    for (uint32_t i = 0; i < ft->nresults; i++) {
      if (host_results[i].type != TRE_RESULTS(ft)[i])
        return troupe_err_set(err, TROUPE_E_INVAL, "resume: host result %u has the wrong type",
                              i);
    }
    for (uint32_t i = 0; i < ft->nresults; i++)
      ex->stack[ex->susp_argbase + i] = trE_val_to_slot(&host_results[i], TRE_RESULTS(ft)[i]);
  }
  bool host = ex->state == TROUPE_WASM_SUSPENDED_HOST;
  ex->state = TROUPE_WASM_IDLE;
  ex->susp_host = NULL;
  set_fuel(ex, opts);
  ex->running = true;
  if (host && ex->nframes == 0) /* the exported function itself was the host function */
    return finish(inst, TROUPE_OK, results, nresults, trap, err);
  int rc = trE_interp_run(ex, NULL);
  while (TR_UNLIKELY(stale_stop(ex, rc)))
    rc = trE_interp_run(ex, NULL);
  return finish(inst, rc, results, nresults, trap, err);
}

void troupe_wasm_abort(troupe_wasm_instance *inst) {
  if (inst && !inst->ex.running)
    reset_exec(&inst->ex);
}

/* ---- instance accessors ---------------------------------------------------------------- */

const troupe_wasm_module *troupe_wasm_instance_module(const troupe_wasm_instance *inst) {
  return inst ? (const troupe_wasm_module *)inst->mod : NULL;
}

void troupe_wasm_instance_set_user(troupe_wasm_instance *inst, void *user) {
  if (inst)
    inst->user = user;
}

void *troupe_wasm_instance_user(const troupe_wasm_instance *inst) {
  return inst ? inst->user : NULL;
}

static int global_get(const troupe_wasm_instance *inst, const trE_export *e,
                      troupe_wasm_val *out) {
  if (!e)
    return TROUPE_E_NOTFOUND;
  const trE_gcell *g = inst->globals[e->index];
  trE_slot_to_val(g->val, g->type, out);
  return TROUPE_OK;
}

int troupe_wasm_global_get(const troupe_wasm_instance *inst, const char *export_name,
                           troupe_wasm_val *out) {
  if (!inst || !out)
    return TROUPE_E_INVAL;
  return global_get(inst, find_export(inst->mod, export_name, TROUPE_WASM_EXTERN_GLOBAL), out);
}

int troupe_wasm_global_get_at(const troupe_wasm_instance *inst, uint32_t export_index,
                              troupe_wasm_val *out) {
  if (!inst || !out)
    return TROUPE_E_INVAL;
  return global_get(inst, export_at(inst, export_index, TROUPE_WASM_EXTERN_GLOBAL), out);
}

static int global_set(troupe_wasm_instance *inst, const trE_export *e, troupe_wasm_val value) {
  if (!e)
    return TROUPE_E_NOTFOUND;
  trE_gcell *g = inst->globals[e->index];
  if (!g->mut)
    return TROUPE_E_STATE;
  if (value.type != g->type)
    return TROUPE_E_INVAL;
  g->val = trE_val_to_slot(&value, g->type);
  return TROUPE_OK;
}

int troupe_wasm_global_set(troupe_wasm_instance *inst, const char *export_name,
                           troupe_wasm_val value) {
  if (!inst)
    return TROUPE_E_INVAL;
  return global_set(inst, find_export(inst->mod, export_name, TROUPE_WASM_EXTERN_GLOBAL), value);
}

int troupe_wasm_global_set_at(troupe_wasm_instance *inst, uint32_t export_index,
                              troupe_wasm_val value) {
  if (!inst)
    return TROUPE_E_INVAL;
  return global_set(inst, export_at(inst, export_index, TROUPE_WASM_EXTERN_GLOBAL), value);
}

uint64_t troupe_wasm_memory_size(const troupe_wasm_instance *inst) {
  return inst && inst->mem ? inst->mem->size : 0;
}

int troupe_wasm_memory_read(const troupe_wasm_instance *inst, uint64_t offset, void *dst,
                            size_t len) {
  if (!inst || !inst->mem)
    return TROUPE_E_NOTFOUND;
  if (offset > inst->mem->size || len > inst->mem->size - offset)
    return TROUPE_E_RANGE;
  if (len && !dst)
    return TROUPE_E_INVAL;
  if (len)
    memcpy(dst, inst->mem->data + offset, len);
  return TROUPE_OK;
}

int troupe_wasm_memory_write(troupe_wasm_instance *inst, uint64_t offset, const void *src,
                             size_t len) {
  if (!inst || !inst->mem)
    return TROUPE_E_NOTFOUND;
  if (offset > inst->mem->size || len > inst->mem->size - offset)
    return TROUPE_E_RANGE;
  if (len && !src)
    return TROUPE_E_INVAL;
  if (len)
    memcpy(inst->mem->data + offset, src, len);
  return TROUPE_OK;
}
