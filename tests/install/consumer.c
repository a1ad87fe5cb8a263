/*
 * tests/install/consumer.c: a program from outside the tree, built against an installed
 * libtroupe with nothing but `pkg-config troupe` (install_test.cmake builds it twice:
 * against the shared library, and with libtroupe.a and `pkg-config --static`). It
 * includes the umbrella header (every public header must be installed and compile on
 * its own) and reaches into each library a static link needs -- xxhash through
 * troupe_hash64, jansson and libcbor through the JSON<->CBOR transcoder, libm and
 * threads through the engine -- so a missing Requires.private / Libs.private entry
 * fails the static link. It prints one line per check; the script compares them.
 */
#include <troupe/troupe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * (module
 *   (func (export "hyp") (param f64 f64) (result f64)
 *     (f64.sqrt (f64.add (f64.mul (local.get 0) (local.get 0))
 *                        (f64.mul (local.get 1) (local.get 1))))))
 */
static const uint8_t hyp_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60,
    0x02, 0x7c, 0x7c, 0x01, 0x7c, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01,
    0x03, 0x68, 0x79, 0x70, 0x00, 0x00, 0x0a, 0x10, 0x01, 0x0e, 0x00, 0x20,
    0x00, 0x20, 0x00, 0xa2, 0x20, 0x01, 0x20, 0x01, 0xa2, 0xa0, 0x9f, 0x0b};

static int fail(const char *what, const troupe_err *err) {
  fprintf(stderr, "consumer: %s: %s\n", what, troupe_err_message(err));
  return 1;
}

int main(void) {
  troupe_err err;
  troupe_err_clear(&err);
  printf("version %s\n", troupe_version());
  printf("hash %s\n", troupe_hash64("troupe", 6, 0) == troupe_hash64("troupe", 6, 0) &&
                              troupe_hash64("troupe", 6, 0) != troupe_hash64("troupe", 6, 1)
                          ? "ok" : "broken");

  static const char json[] = "{\"a\":[1,2.5,\"x\"]}";
  uint8_t *cbor = NULL;
  char *back = NULL;
  size_t ncbor, nback;
  if (troupe_json_to_cbor(json, strlen(json), &cbor, &ncbor, &err) != TROUPE_OK ||
      troupe_cbor_to_json(cbor, ncbor, 0, &back, &nback, &err) != TROUPE_OK)
    return fail("json <-> cbor", &err);
  printf("json %.*s\n", (int)nback, back);
  free(cbor);
  free(back);

  troupe_wasm_module *m = NULL;
  troupe_wasm_instance *inst = NULL;
  troupe_wasm_val args[2] = {TROUPE_WASM_VAL_F64(3), TROUPE_WASM_VAL_F64(4)}, r;
  if (troupe_wasm_module_new(hyp_wasm, sizeof hyp_wasm, &m, &err) != TROUPE_OK ||
      troupe_wasm_instantiate(m, NULL, NULL, &inst, NULL, &err) != TROUPE_OK ||
      troupe_wasm_call(inst, "hyp", args, 2, &r, 1, NULL, NULL, &err) != TROUPE_OK)
    return fail("wasm", &err);
  printf("wasm hyp(3, 4) = %g\n", r.of.f64);
  troupe_wasm_instance_free(inst);
  troupe_wasm_module_free(m);

  troupe_wasi_ctx *wasi = NULL;
  if (troupe_wasi_ctx_new(NULL, &wasi, &err) != TROUPE_OK)
    return fail("wasi", &err);
  printf("wasi %s\n", troupe_wasi_exited(wasi, NULL) ? "exited" : "ready");
  troupe_wasi_ctx_free(wasi);
  return 0;
}
