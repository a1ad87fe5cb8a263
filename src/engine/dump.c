/*
 * engine/dump.c: troupe_wasm_module_dump -- a module's compiled code as text, one line
 * per op, named and laid out by the op list (ops.h, read back through ops.c). `troupe
 * wasm dump` prints it; the golden tests (tests/engine/dump/) compare it with checked-in
 * files to fix which ops chosen instruction sequences compile to.
 */
#include "engine/code.h"

#include <stdlib.h>

/* A wasm name, quoted, with anything but printable ASCII escaped. */
static void put_name(FILE *out, const char *s, size_t len) {
  fputs(" \"", out);
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\')
      fprintf(out, "\\x%02x", ch);
    else
      fputc(ch, out);
  }
  fputc('"', out);
}

/* The header of function fi: its names, then what its frame holds. */
static void put_header(FILE *out, const trE_module *m, uint32_t fi) {
  fprintf(out, "func %u", fi);
  if (fi < m->nfunc_imports) {
    for (uint32_t i = 0, k = 0; i < m->nimports; i++) {
      const trE_import *im = &m->imports[i];
      if (im->kind == TROUPE_WASM_EXTERN_FUNC && k++ == fi) {
        put_name(out, im->module, im->module_len);
        put_name(out, im->name, im->name_len);
      }
    }
    fputs(": imported\n", out);
    return;
  }
  for (uint32_t i = 0; i < m->nexports; i++) {
    const trE_export *ex = &m->exports[i];
    if (ex->kind == TROUPE_WASM_EXTERN_FUNC && ex->index == fi)
      put_name(out, ex->name, ex->name_len);
  }
  const trE_compiled *fn = m->compiled[fi - m->nfunc_imports];
  fprintf(out, ": params %u, locals %u, results %u, frame %u, entry fuel %u, %u word%s\n",
          fn->nparams, fn->nlocals - fn->nparams, fn->nresults, fn->frame_slots,
          fn->entry_fuel, fn->ncode, fn->ncode == 1 ? "" : "s");
}

/* A branch target: the code word the operand at word w points to. */
static void put_target(FILE *out, const trE_compiled *fn, uint32_t w, const char *pfx) {
  fprintf(out, "%s%lld", pfx, (long long)w + (int32_t)fn->code[w]);
}

/* The operands of the op at word `at`, by its layout (ops.h). */
static void put_operands(FILE *out, const trE_compiled *fn, uint32_t at, const char *l) {
  const uint32_t *w = fn->code + at + 1;
  for (uint32_t i = 0; l[i]; i++) {
    switch (l[i]) {
    case 'd': case 's': case 'a':
      fprintf(out, " s%u", w[i]);
      break;
    case 'i':
      fprintf(out, " %d", (int32_t)w[i]);
      break;
    case 'u':
      fprintf(out, " %u", w[i]);
      break;
    case 'o':
      fprintf(out, " +%u", w[i]);
      break;
    case 'l':
      fprintf(out, " 0x%016llx", (unsigned long long)w[i + 1] << 32 | w[i]);
      break;
    case 'h': /* printed with its 'l' */
      break;
    case 'r': case 'b':
      put_target(out, fn, at + 1 + i, " @");
      break;
    case 't': /* the targets, the default last */
      fputs(" [", out);
      for (uint32_t k = 0; k <= w[i]; k++)
        put_target(out, fn, at + 2 + i + k, k == 0 ? "@" : " @");
      fputc(']', out);
      break;
    default:
      fprintf(out, " %s %u", trE_index_kind(l[i]), w[i]);
      break;
    }
  }
}

static void put_code(FILE *out, const trE_compiled *fn, const trE_opdecoder *d) {
  for (uint32_t at = 0; at < fn->ncode;) {
    trE_opcode op = trE_op_decode(d, fn->code[at]);
    uint32_t n = trE_op_words(op, fn->code, at, fn->ncode);
    if (n == 0) { /* not code this engine compiled: say so and stop */
      fprintf(out, "%6u  ? 0x%08x\n", at, fn->code[at]);
      return;
    }
    const char *l = trE_op_layout(op);
    fprintf(out, *l ? "%6u  %-20s" : "%6u  %s", at, trE_op_name(op));
    put_operands(out, fn, at, l);
    fputc('\n', out);
    at += n;
  }
}

int troupe_wasm_module_dump(const troupe_wasm_module *pm, uint32_t func_index, FILE *out,
                            troupe_err *err) {
  const trE_module *m = (const trE_module *)pm;
  if (!m || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "dump: no module or no stream");
  bool all = func_index == TROUPE_WASM_DUMP_ALL;
  if (!all && func_index >= m->nfuncs)
    return troupe_err_set(err, TROUPE_E_RANGE, "dump: no function %u (the module has %u)",
                          func_index, m->nfuncs);
  trE_opdecoder *d = trB_malloc(sizeof *d);
  if (!d)
    return troupe_err_set(err, TROUPE_E_NOMEM, "dump: out of memory");
  trE_opdecoder_init(d, trE_interp_handlers());
  for (uint32_t fi = all ? 0 : func_index; fi < (all ? m->nfuncs : func_index + 1); fi++) {
    if (all && fi)
      fputc('\n', out);
    put_header(out, m, fi);
    if (fi >= m->nfunc_imports)
      put_code(out, m->compiled[fi - m->nfunc_imports], d);
  }
  free(d);
  if (fflush(out) != 0 || ferror(out))
    return troupe_err_set(err, TROUPE_E_IO, "dump: cannot write the output");
  return TROUPE_OK;
}
