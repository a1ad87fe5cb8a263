/*
 * all_imports: a module that references every `troupe` import the SDK declares, once,
 * so that check_abi.sh --all can compare the SDK's declarations with docs/ABI.md as a
 * whole: each one's type, and that none is missing or extra. It is built and validated,
 * never run (the host side is tested in tests/component/).
 */
#include <troupe_guest.h> /* -I sdk/c */

TROUPE_EXPORT(touch_all) {
  char b[8];
  int64_t s = 0;
  s += troupe_abi_input_read(b, 1, 0);
  s += troupe_abi_input_subject(b, 1);
  s += troupe_abi_output(b, 0);
  s += troupe_abi_self();
  s += troupe_abi_lookup("x", 1);
  s += troupe_abi_send(1, 0, b, 0);
  s += troupe_abi_send_name("x", 1, 0, b, 0);
  s += troupe_abi_send_wait(1, 0, b, 0, 10);
  s += troupe_abi_ask(1, 0, b, 0, b, 8, 10);
  s += troupe_abi_reply_read(b, 8, 0);
  s += troupe_abi_ask_async(1, 0, b, 0, 10);
  s += troupe_abi_reply(1, b, 0);
  s += troupe_abi_publish("x", 1, b, 0);
  s += troupe_abi_subscribe("x", 1);
  s += troupe_abi_unsubscribe(1);
  s += troupe_abi_send_after(1, 0, b, 0);
  s += troupe_abi_cancel_timer(1);
  s += troupe_abi_monitor(1);
  s += troupe_abi_demonitor(1);
  s += troupe_abi_spawn("x", 1, "y", 1);
  s += troupe_abi_log(TROUPE_LEVEL_INFO, b, 0);
  s += troupe_abi_time(TROUPE_CLOCK_MONOTONIC);
  return (int32_t)s;
}
