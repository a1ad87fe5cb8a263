/*
 * tests/component/test_run_here.c: the host's calls into a component run on the caller's
 * thread when the component is idle (TROUPE_ASK_RUN_HERE, docs/ACTORS.md "Run here").
 * With the only worker held by another actor, an idle component still answers: only the
 * calling thread can have run it. Many threads invoking and asking one counter while
 * another floods it with messages:
 * every update counted exactly once (an instance run by two threads at once would lose
 * some, or worse), every answer a count the counter really had; and a crash in a call
 * run here is the caller's error and a restart, as through a worker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

#include <stdatomic.h>

#define CALLERS 4
#define CALLS 400
#define SENDS 800

typedef struct caller {
  cu_host *c;
  troupe_component_id id;
  int seed;
  int bad;        /* an error, or a count that went down for this thread */
} caller;

/* An ask with a JSON payload; *out the reply's text (NUL-terminated) or the error. */
static int ask_json(cu_host *c, troupe_component_id id, const char *json, char **out) {
  size_t qlen;
  uint8_t *q = cu_json(json, &qlen), *r = NULL;
  size_t rlen = 0;
  troupe_err err;
  int rc = troupe_host_ask(c->h, id, 1, q, qlen, TROUPE_SEC(20), &r, &rlen, &err);
  free(q);
  *out = rc ? strdup(err.msg) : strndup((const char *)r, rlen);
  free(r);
  return rc;
}

static void *call_thread(void *arg) {
  caller *k = arg;
  long long last = 0;
  for (int i = 0; i < CALLS; i++) {
    char *out = NULL;
    /* every third call an ask ({"count":N}), the others invocations of add 1 */
    bool ask = (i + k->seed) % 3 == 0;
    int rc = ask ? ask_json(k->c, k->id, "1", &out) : cu_invoke(k->c, k->id, "add", "1", &out);
    const char *num = out ? strpbrk(out, "0123456789") : NULL;
    long long v = num ? strtoll(num, NULL, 10) : -1;
    if (rc || v < last)
      k->bad++;
    last = v;
    free(out);
  }
  return NULL;
}

typedef struct sender {
  cu_host *c;
  troupe_component_id id;
  int bad;
} sender;

static void *send_thread(void *arg) {
  sender *s = arg;
  for (int i = 0; i < SENDS; i++)
    while (cu_send_json(s->c, s->id, "1") != 0) {
      s->bad++; /* a full mailbox is not expected at the default bound */
      cu_sleep_ms(1);
    }
  return NULL;
}

/* The counter's count ({"count":N} from `get`), or -1. */
static long long count_of(cu_host *c, troupe_component_id id) {
  char *out = NULL;
  long long v = -1;
  if (cu_invoke(c, id, "get", NULL, &out) == 0 && strncmp(out, "{\"count\":", 9) == 0)
    v = strtoll(out + 9, NULL, 10);
  free(out);
  return v;
}

static void counts_every_update_once(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("count", "counter");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  caller k[CALLERS];
  pthread_t t[CALLERS + 1];
  sender snd = {&c, id, 0};
  for (int i = 0; i < CALLERS; i++) {
    k[i] = (caller){&c, id, i, 0};
    assert_int_equal(pthread_create(&t[i], NULL, call_thread, &k[i]), 0);
  }
  assert_int_equal(pthread_create(&t[CALLERS], NULL, send_thread, &snd), 0);
  for (int i = 0; i <= CALLERS; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < CALLERS; i++)
    assert_int_equal(k[i].bad, 0);
  assert_int_equal(snd.bad, 0);
  /* the adds (two of every three calls) and the messages, each once */
  long long adds = 0;
  for (int i = 0; i < CALLERS; i++)
    for (int j = 0; j < CALLS; j++)
      adds += (j + k[i].seed) % 3 != 0;
  long long want = adds + SENDS;
  assert_true(CU_WAIT(count_of(&c, id) == want));
  cu_host_free(&c);
}

static bool answers_ping(cu_host *c, troupe_component_id id) {
  char *out = NULL;
  bool ok = ask_json(c, id, "\"ping\"", &out) == 0 && strstr(out, "pong") != NULL;
  free(out);
  return ok;
}

/* A trap in a call run on this thread: the caller gets the trap as its error, the
 * component restarts and answers the next call. */
static void crash_here_restarts(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("crash", "crasher");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  char *out = NULL;
  int rc = cu_invoke(&c, id, "crash", NULL, &out);
  assert_int_equal(rc, TROUPE_E_TRAP);
  assert_non_null(strstr(out, "unreachable"));
  free(out);
  assert_true(CU_WAIT(cu_state(&c, id) == TROUPE_COMPONENT_READY && answers_ping(&c, id)));
  troupe_component_info info;
  assert_int_equal(troupe_host_info(c.h, id, &info, NULL), 0);
  assert_int_equal(info.restarts, 1);
  troupe_component_info_clear(&info);
  cu_host_free(&c);
}

/* A plain actor that holds its worker until told to let go. */
static _Atomic int holding, let_go;
static int hold_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self, (void)m, (void)err;
  atomic_store(&holding, 1);
  while (!atomic_load(&let_go))
    cu_sleep_ms(1);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour hold_b = {"hold", NULL, hold_handle, NULL};

static void answers_with_the_worker_held(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 1), 0);
  troupe_component_spec s = cu_spec("count", "counter");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  troupe_runtime *rt = troupe_host_runtime(c.h);
  troupe_actor_id holder;
  assert_int_equal(troupe_spawn(rt, NULL, &hold_b, NULL, NULL, &holder, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, holder, "x", 1), 0);
  assert_true(CU_WAIT(atomic_load(&holding)));
  for (int i = 1; i <= 20; i++) {
    char *out = NULL;
    assert_int_equal(cu_invoke(&c, id, "add", "1", &out), 0);
    char want[32];
    snprintf(want, sizeof want, "{\"count\":%d}", i);
    assert_string_equal(out, want);
    free(out);
  }
  atomic_store(&let_go, 1);
  cu_host_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(answers_with_the_worker_held),
      cmocka_unit_test(counts_every_update_once),
      cmocka_unit_test(crash_here_restarts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
