/*
 * langs.c: the echo example in each guest language, side by side -- C
 * (examples/components/echo.c over sdk/c), Rust (examples/components/rust/echo over
 * sdk/rust) and AssemblyScript (examples/components/assemblyscript/echo over
 * sdk/assemblyscript) -- read from the build's components folder (TBC_COMPONENTS_DIR).
 * All three answer an ASK with its own payload. Per language L (c, rust, as):
 *
 *   lang_L_echo_module_bytes          the .wasm file's size
 *   lang_L_echo_spawn_us_median       troupe_host_spawn until Ready, each timed, from a
 *                                     fresh host (module cached after the first); the
 *                                     components stay alive, as in the spawn row
 *   lang_L_echo_ask_rtt_us_median     the worker guest's ask_loop (C) asking that echo,
 *                                     timed in the asker: only the echo's language changes
 *
 * A language whose module is missing (its toolchain not installed: make test OFFLINE=1)
 * is said on stderr and has no rows; the report then shows it as not measured.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#ifndef TBC_COMPONENTS_DIR
#error "TBC_COMPONENTS_DIR must name the build's components folder"
#endif

typedef struct lang {
  const char *key, *file;
} lang;

static const lang langs[] = {
    {"c", "echo.wasm"}, {"rust", "rust_sdk_echo.wasm"}, {"as", "as_echo.wasm"}};

static void one_lang(const tbc_cfg *cfg, const lang *l) {
  char path[1024], row[96], module[32];
  snprintf(path, sizeof path, "%s/%s", TBC_COMPONENTS_DIR, l->file);
  size_t len;
  uint8_t *bytes = tbc_read_path(path, &len, false);
  if (!bytes) {
    fprintf(stderr, "  langs: %s: no %s (not built): no rows for it\n", l->key, path);
    return;
  }
  snprintf(row, sizeof row, "lang_%s_echo_module_bytes", l->key);
  tbc_emit(cfg, row, "bytes", (double)len);

  tbc_host th;
  tbc_host_new(&th, 0);
  troupe_err err = {0};
  snprintf(module, sizeof module, "%s_echo", l->key);
  int rc = troupe_store_mem_add(th.store, module, "1", bytes, len, NULL, &err);
  free(bytes);
  if (rc)
    tbc_die("store add", rc, &err);

  uint32_t n = cfg->spawn_n / 10, warm = 20;
  double *us = malloc(n * sizeof *us);
  char name[32];
  for (uint32_t i = 0; i < warm + n; i++) {
    snprintf(name, sizeof name, "e%u", i);
    uint64_t t0 = troupe_clock_mono_ns();
    tbc_spawn(&th, name, module, NULL, 0, &err, true);
    if (i >= warm)
      us[i - warm] = (double)(troupe_clock_mono_ns() - t0) / 1e3;
  }
  snprintf(row, sizeof row, "lang_%s_echo_spawn_us_median", l->key);
  tbc_emit(cfg, row, "us", tbc_percentile(us, n, 0.5));
  free(us);

  /* The asker asks e0, the first echo spawned. */
  troupe_component_id asker = tbc_spawn(&th, "asker", "worker", "TARGET=e0", 0, &err, true);
  size_t cap = 3 * (size_t)cfg->rtt_n, k = 0;
  double *rtt = malloc(cap * sizeof *rtt);
  for (uint32_t run = 0; run < 4; run++) {
    uint8_t a[16];
    size_t al = tbc_cbor_uint(a, run == 0 ? cfg->rtt_n / 4 : cfg->rtt_n), rl, nv;
    char *res = tbc_invoke(&th, asker, "ask_loop", a, al, &rl);
    double *v = tbc_json_numbers(res, rl, &nv);
    for (size_t i = 0; run && i < nv && k < cap; i++)
      rtt[k++] = v[i] / 1e3;
    free(v);
    free(res);
  }
  snprintf(row, sizeof row, "lang_%s_echo_ask_rtt_us_median", l->key);
  tbc_emit(cfg, row, "us", tbc_percentile(rtt, k, 0.5));
  free(rtt);
  tbc_host_free(&th);
}

void tbc_langs_rows(const tbc_cfg *cfg) {
  for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
    one_lang(cfg, &langs[i]);
}
