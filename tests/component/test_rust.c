/*
 * tests/component/test_rust.c: the ABI is not tied to C. A component written in Rust
 * (examples/components/rust_echo.rs, Debian's rustc, no crate) answers asks from the
 * host and from a C component, and relays through the C echo component by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

static void rust_talks_to_c(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  const char *to_rust[] = {"rust"}, *to_echo[] = {"echo"};
  troupe_component_spec r = cu_spec("rust", "rust_echo"), e = cu_spec("echo", "echo"),
                        p = cu_spec("c-side", "probe");
  r.caps.send_to = (troupe_pattern_list){to_echo, 1};
  p.caps.send_to = (troupe_pattern_list){to_rust, 1};
  troupe_component_id rust = cu_spawn(&c, &r), echo = cu_spawn(&c, &e), probe = cu_spawn(&c, &p);
  assert_true(rust && echo && probe);
  /* host -> rust */
  size_t n;
  uint8_t *q = cu_json("\"hi\"", &n), *reply;
  size_t rl;
  assert_int_equal(troupe_host_ask(c.h, rust, 1, q, n, TROUPE_SEC(10), &reply, &rl, NULL), 0);
  assert_int_equal(rl, 2 + strlen("{\"rust\":\"hi\"}"));
  assert_memory_equal(reply + 2, "{\"rust\":\"hi\"}", rl - 2);
  free(reply);
  free(q);
  /* C component -> rust, through troupe.ask */
  char *out;
  assert_int_equal(cu_invoke(&c, probe, "ask_to", "\"rust\"", &out), 0);
  assert_string_equal(out, "{\"rust\":\"question\"}");
  free(out);
  /* rust -> C echo, through troupe.lookup + troupe.ask */
  assert_int_equal(cu_invoke(&c, rust, "relay", "\"via rust\"", &out), 0);
  assert_string_equal(out, "\"via rust\"");
  free(out);
  cu_host_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rust_talks_to_c),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
