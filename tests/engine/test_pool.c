/*
 * tests/engine/test_pool.c: recycling of freed instances' memories and stacks (pool.c).
 * The point is warm pages, the danger is one instance seeing another's data, so: an
 * instance of one module writes a secret over all of its memory (grown, and written by
 * the host too), is freed, and an instance of another module that gets the very same
 * mapping reads zeros everywhere it can read, also after growing into the rest of the
 * mapping -- both for a memory reset with memset and for one above TRE_POOL_MEMSET_MAX,
 * given back with madvise. Only the pages written are zeroed (the rest stays untouched,
 * not resident). A recycled memory still gets its own data segment; a grow
 * inside the mapping keeps the mapping; stacks are recycled; what the pool keeps is
 * bounded. A fresh memory comes with the pages the module's first instance wrote
 * already resident (warm.c), and no others; with the prewarm helper running, one made
 * ahead with those pages written. Freed as a crash's (TROUPE_WASM_FREE_RESET_LATER) while
 * a thread runs idle work (base/idle.h), a memory waits unreset on the dirty list
 * (a plain free still resets at once): a take never gets it before it is zeroed --
 * by the idle work, or by the take itself once the class's spares are made -- and a
 * drain releases it. Across threads (TSan): test_threads.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/instance.h"
#include "engine/pool.h"
#include "base/idle.h"
#include "base/prewarm.h"
#include "troupe/wasm.h"
#include "engine/test_modules.h"

/*
 * (module
 *   (memory (export "mem") 3)
 *   (data (i32.const 100) "SECRET")
 *   (func (export "fill") (param $v i32)        ;; all of memory, then one page more
 *     (memory.fill (i32.const 0) (local.get $v) (i32.mul (memory.size) (i32.const 65536)))
 *     (drop (memory.grow (i32.const 1)))
 *     (memory.fill (i32.const 0) (local.get $v) (i32.mul (memory.size) (i32.const 65536))))
 *   (func (export "run") (param $n i32) (result i32)   ;; n + (n-1) + ... recursively
 *     (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
 *       (else (i32.add (local.get $n) (call 1 (i32.sub (local.get $n) (i32.const 1))))))))
 */
static const uint8_t writer_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f,
    0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x01, 0x05, 0x03, 0x01,
    0x00, 0x03, 0x07, 0x14, 0x03, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x04, 0x66, 0x69,
    0x6c, 0x6c, 0x00, 0x00, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x01, 0x0a, 0x3b, 0x02, 0x23,
    0x00, 0x41, 0x00, 0x20, 0x00, 0x3f, 0x00, 0x41, 0x80, 0x80, 0x04, 0x6c, 0xfc, 0x0b,
    0x00, 0x41, 0x01, 0x40, 0x00, 0x1a, 0x41, 0x00, 0x20, 0x00, 0x3f, 0x00, 0x41, 0x80,
    0x80, 0x04, 0x6c, 0xfc, 0x0b, 0x00, 0x0b, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04, 0x7f,
    0x41, 0x00, 0x05, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x01, 0x6a, 0x0b,
    0x0b, 0x0b, 0x0d, 0x01, 0x00, 0x41, 0xe4, 0x00, 0x0b, 0x06, 0x53, 0x45, 0x43, 0x52,
    0x45, 0x54};

/* Whether this kernel lets us read /proc/self/pagemap (what the pool's reset and
 * warm.c's learning go by). */
static bool have_pagemap(void) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0)
    return false;
  close(fd);
  return true;
}

static troupe_wasm_module *load_pages(const uint8_t *bytes, size_t len, uint8_t pages) {
  uint8_t copy[256];
  assert_true(len <= sizeof copy);
  assert_true(with_memory_pages(bytes, len, pages, copy));
  troupe_wasm_module *m = NULL;
  troupe_err e = {0};
  if (troupe_wasm_module_new(copy, len, &m, &e))
    fail_msg("load failed: %s", e.msg);
  return m;
}

static troupe_wasm_instance *instance(troupe_wasm_module *m) {
  troupe_wasm_instance *inst = NULL;
  troupe_err e = {0};
  if (troupe_wasm_instantiate(m, NULL, NULL, &inst, NULL, &e))
    fail_msg("instantiate failed: %s", e.msg);
  return inst;
}

static int32_t call0(troupe_wasm_instance *inst, const char *name) {
  troupe_wasm_val r;
  assert_int_equal(troupe_wasm_call(inst, name, NULL, 0, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  return r.of.i32;
}

static void call1(troupe_wasm_instance *inst, const char *name, int32_t v) {
  troupe_wasm_val a = TROUPE_WASM_VAL_I32(v);
  assert_int_equal(troupe_wasm_call(inst, name, &a, 1, NULL, 0, NULL, NULL, NULL), TROUPE_OK);
}

/* Each test starts from an empty pool, so "the next memory of this class is the one
 * just freed" holds. */
static int drain(void **state) {
  (void)state;
  trE_pool_drain();
  return 0;
}

/* A writer with `pages` pages fills all of its memory (grown by one page) with 0xAB and
 * the host writes the last byte; then it is freed. A reader of another module with as
 * many pages gets the same mapping and reads zeros everywhere, before and after growing
 * by one page into the rest of it. */
static void secret_does_not_leak(uint8_t pages) {
  troupe_wasm_module *wm = load_pages(writer_wasm, sizeof writer_wasm, pages);
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, pages);
  troupe_wasm_instance *a = instance(wm);
  call1(a, "fill", 0xAB);
  uint64_t size = troupe_wasm_memory_size(a);
  assert_int_equal(size, (uint64_t)(pages + 1) * 65536);
  assert_int_equal(troupe_wasm_memory_write(a, size - 1, "\x5a", 1), TROUPE_OK);
  const uint8_t *mapping = a->mem->data;
  assert_true(a->mem->mapped >= size); /* a class of 4 or 8 pages: grown in place */
  troupe_wasm_instance_free(a);

  troupe_wasm_instance *b = instance(rm);
  assert_ptr_equal(b->mem->data, mapping); /* recycled: this is what the test is about */
  assert_int_equal(call0(b, "nonzero"), 0);
  assert_int_equal(call0(b, "grow"), pages);
  assert_ptr_equal(b->mem->data, mapping); /* the grow stayed inside the mapping */
  assert_int_equal(troupe_wasm_memory_size(b), size);
  assert_int_equal(call0(b, "nonzero"), 0); /* the page A grew into is zero too */
  troupe_wasm_instance_free(b);
  troupe_wasm_module_free(wm);
  troupe_wasm_module_free(rm);
}

static void test_small_memory_is_zeroed(void **state) {
  (void)state;
  /* 3 + 1 pages: 256 KiB, reset with memset */
  assert_true(4 * 65536 <= TRE_POOL_MEMSET_MAX);
  secret_does_not_leak(3);
}

static void test_large_memory_is_zeroed(void **state) {
  (void)state;
  /* 7 + 1 pages: 512 KiB, over the memset limit: given back with madvise */
  assert_true(8 * 65536 > TRE_POOL_MEMSET_MAX);
  secret_does_not_leak(7);
}

/* Resident pages of the `bytes` at p. */
static size_t resident_pages(const uint8_t *p, size_t bytes) {
  unsigned char v[64];
  size_t n = bytes / 4096, count = 0;
  assert_true(n <= sizeof v);
  assert_int_equal(mincore((void *)(uintptr_t)p, bytes, v), 0);
  for (size_t i = 0; i < n; i++)
    count += v[i] & 1;
  return count;
}

static void test_reset_touches_only_written_pages(void **state) {
  (void)state;
  if (!have_pagemap())
    skip(); /* without pagemap the pool zeroes (and so keeps) the whole memory */
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, 1);
  troupe_wasm_instance *a = instance(rm);
  assert_int_equal(troupe_wasm_memory_write(a, 5000, "x", 1), TROUPE_OK); /* page 1 */
  const uint8_t *mapping = a->mem->data;
  assert_int_equal(resident_pages(mapping, 65536), 1);
  troupe_wasm_instance_free(a);
  /* cached: page 1 zeroed in place, page 0 holds the cache's link, nothing else made
   * resident (zeroing all 64 KiB would have made 16 pages of it so) */
  assert_int_equal(resident_pages(mapping, 65536), 2);
  troupe_wasm_instance *b = instance(rm);
  assert_ptr_equal(b->mem->data, mapping);
  assert_int_equal(call0(b, "nonzero"), 0); /* reads fault in only the zero page */
  troupe_wasm_instance_free(b);
  troupe_wasm_module_free(rm);
}

static void test_recycled_memory_gets_its_data(void **state) {
  (void)state;
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, 3);
  troupe_wasm_module *wm = load_pages(writer_wasm, sizeof writer_wasm, 3);
  troupe_wasm_instance *r = instance(rm);
  call1(r, "fill", 0x11);
  const uint8_t *mapping = r->mem->data;
  troupe_wasm_instance_free(r);
  troupe_wasm_instance *w = instance(wm);
  assert_ptr_equal(w->mem->data, mapping);
  char buf[108];
  assert_int_equal(troupe_wasm_memory_read(w, 0, buf, sizeof buf), TROUPE_OK);
  static const char zeros[100] = {0};
  assert_memory_equal(buf, zeros, 100);
  assert_memory_equal(buf + 100, "SECRET\0\0", 8);
  troupe_wasm_instance_free(w);
  troupe_wasm_module_free(rm);
  troupe_wasm_module_free(wm);
}

static void test_stacks_are_recycled(void **state) {
  (void)state;
  troupe_wasm_module *wm = load_pages(writer_wasm, sizeof writer_wasm, 1);
  /* a first call allocates the two stacks' first blocks; freed, the next instance's
   * first call gets exactly those */
  troupe_wasm_instance *a = instance(wm);
  troupe_wasm_val n = TROUPE_WASM_VAL_I32(1), r;
  assert_int_equal(troupe_wasm_call(a, "run", &n, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  trE_slot *stack = a->ex.stack;
  trE_frame *frames = a->ex.frames;
  troupe_wasm_instance_free(a);
  troupe_wasm_instance *b = instance(wm);
  assert_int_equal(troupe_wasm_call(b, "run", &n, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  assert_ptr_equal(b->ex.stack, stack);
  assert_ptr_equal(b->ex.frames, frames);
  /* deep enough to grow both stacks many times, through blocks freed by others and
   * still holding their values: the interpreter writes every slot it reads */
  n = TROUPE_WASM_VAL_I32(3000);
  assert_int_equal(troupe_wasm_call(b, "run", &n, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  assert_int_equal(r.of.i32, 3000 * 3001 / 2);
  troupe_wasm_instance_free(b);
  troupe_wasm_instance *c = instance(wm);
  assert_int_equal(troupe_wasm_call(c, "run", &n, 1, &r, 1, NULL, NULL, NULL), TROUPE_OK);
  assert_int_equal(r.of.i32, 3000 * 3001 / 2);
  troupe_wasm_instance_free(c);
  assert_true(trE_pool_cached_bytes() > 0);
  troupe_wasm_module_free(wm);
}

static void test_what_is_kept_is_bounded(void **state) {
  (void)state;
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, 1);
  enum { N = 200 };
  troupe_wasm_instance *insts[N];
  for (int i = 0; i < N; i++)
    insts[i] = instance(rm);
  for (int i = 0; i < N; i++)
    troupe_wasm_instance_free(insts[i]);
  /* 200 x 64 KiB freed: a thread keeps at most 1 MiB of memories (plus a few stack
   * blocks: none here, nothing was called), the rest went to the depot */
  assert_true(trE_pool_cached_bytes() <= ((size_t)1 << 20));
  assert_true(trE_pool_depot_bytes() >= (size_t)(N - 16) * 65536);
  /* ... and comes back from there */
  for (int i = 0; i < N; i++)
    insts[i] = instance(rm);
  assert_int_equal(trE_pool_depot_bytes(), 0);
  for (int i = 0; i < N; i++) {
    assert_int_equal(call0(insts[i], "nonzero"), 0);
    troupe_wasm_instance_free(insts[i]);
  }
  trE_pool_drain();
  assert_int_equal(trE_pool_cached_bytes(), 0);
  assert_int_equal(trE_pool_depot_bytes(), 0);
  /* the depot's bound: 64 MiB of memories; 1,100 freed 64 KiB memories (69 MiB) do
   * not all stay */
  troupe_wasm_instance **many = calloc(1100, sizeof *many);
  assert_non_null(many);
  for (int i = 0; i < 1100; i++)
    many[i] = instance(rm);
  for (int i = 0; i < 1100; i++)
    troupe_wasm_instance_free(many[i]);
  assert_true(trE_pool_depot_bytes() <= ((size_t)64 << 20));
  assert_true(trE_pool_depot_bytes() >= ((size_t)63 << 20));
  free(many);
  trE_pool_drain();
  troupe_wasm_module_free(rm);
}

/* warm.c: the first instance's first completed call teaches the module which pages it
 * wrote (pages only read do not count: they map the zero page); a later instance whose
 * memory is fresh has exactly those resident before it runs, and reads zeros there. */
static void test_fresh_memory_gets_the_written_pages(void **state) {
  (void)state;
  if (!have_pagemap())
    skip(); /* nothing to learn from: fresh memories stay as they are */
  /* 5 wasm pages: 80 OS pages, written at 1-2, 9 and 70 (past the first 256 KiB, as a
   * Rust guest's data sits above its 1 MiB stack) */
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, 5);
  troupe_wasm_instance *a = instance(rm);
  assert_true(a->mem->fresh);
  assert_true(a->warm_learn);
  assert_int_equal(resident_pages(a->mem->data, 65536), 0);
  assert_int_equal(troupe_wasm_memory_write(a, 1 * 4096 + 7, "x", 1), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_write(a, 2 * 4096 + 9, "x", 1), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_write(a, 9 * 4096, "y", 1), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_write(a, 70 * 4096 + 100, "z", 1), TROUPE_OK);
  assert_int_not_equal(call0(a, "nonzero"), 0); /* reads every page: 80 present */
  assert_false(a->warm_learn);
  trE_module *m = a->mod;
  assert_int_equal(atomic_load(&m->warm_state), TRE_WARM_KNOWN);
  static const trE_page_run want[] = {{1, 2}, {9, 1}, {70, 1}};
  assert_int_equal(m->nwarm, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(m->warm[i].first, want[i].first);
    assert_int_equal(m->warm[i].count, want[i].count);
  }

  troupe_wasm_instance *b = instance(rm); /* a is alive and the pool drained: fresh */
  assert_true(b->mem->fresh);
  assert_false(b->warm_learn);
  unsigned char v[80];
  assert_int_equal(mincore(b->mem->data, 80 * 4096, v), 0);
  for (int i = 0; i < 80; i++)
    assert_int_equal(v[i] & 1, i == 1 || i == 2 || i == 9 || i == 70);
  assert_int_equal(call0(b, "nonzero"), 0);
  troupe_wasm_instance_free(b);
  troupe_wasm_instance_free(a);

  troupe_wasm_instance *c = instance(rm); /* a recycled memory: left as it is */
  assert_false(c->mem->fresh);
  assert_int_equal(call0(c, "nonzero"), 0);
  troupe_wasm_instance_free(c);
  troupe_wasm_module_free(rm);
}

/* More runs of written pages than the module keeps: the first TRE_WARM_RUNS, in address
 * order; the rest fault as before. */
static void test_warm_runs_are_bounded(void **state) {
  (void)state;
  if (!have_pagemap())
    skip();
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, 2);
  troupe_wasm_instance *a = instance(rm);
  for (int i = 0; i < 10; i++) /* pages 0, 2, ..., 18: ten runs of one */
    assert_int_equal(troupe_wasm_memory_write(a, (uint64_t)i * 2 * 4096, "w", 1), TROUPE_OK);
  call0(a, "nonzero");
  trE_module *m = a->mod;
  assert_int_equal(m->nwarm, TRE_WARM_RUNS);
  for (int i = 0; i < TRE_WARM_RUNS; i++) {
    assert_int_equal(m->warm[i].first, (uint32_t)i * 2);
    assert_int_equal(m->warm[i].count, 1);
  }
  troupe_wasm_instance_free(a);
  troupe_wasm_module_free(rm);
}

/* warm.c's reserve: with the prewarm helper running, once a module's pages are known,
 * its fresh memories come made ahead -- mapped on the helper, exactly the known pages
 * written (resident), all zero -- and the instances using them are as any other. */
static void test_prepared_memories(void **state) {
  (void)state;
  if (!have_pagemap())
    skip();
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, 5);
  troupe_wasm_instance *a = instance(rm);
  assert_int_equal(troupe_wasm_memory_write(a, 1 * 4096 + 7, "x", 1), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_write(a, 9 * 4096, "y", 1), TROUPE_OK);
  call0(a, "nonzero"); /* learns pages 1 and 9 */
  assert_int_equal(trB_prewarm_start(), 0);
  enum { MAX = 400 };
  troupe_wasm_instance *live[MAX];
  int n = 0, prepared = -1;
  /* Kept alive, so nothing is recycled: a memory that is not fresh was prepared. The
   * first ones find the reserve empty and ask the helper for more. */
  for (; n < MAX && prepared < 0; n++) {
    live[n] = instance(rm);
    if (!live[n]->mem->fresh)
      prepared = n;
    else
      usleep(10000);
  }
  assert_true(prepared >= 0);
  troupe_wasm_instance *p = live[prepared];
  unsigned char v[80];
  assert_int_equal(mincore(p->mem->data, 80 * 4096, v), 0);
  for (int i = 0; i < 80; i++)
    assert_int_equal(v[i] & 1, i == 1 || i == 9);
  assert_int_equal(call0(p, "nonzero"), 0);
  assert_int_equal(troupe_wasm_memory_write(p, 9 * 4096 + 1, "q", 1), TROUPE_OK);
  for (int i = 0; i < n; i++)
    troupe_wasm_instance_free(live[i]);
  troupe_wasm_instance_free(a);
  trB_prewarm_stop();
  trE_pool_drain();
  troupe_wasm_module_free(rm); /* and with it what its reserve still holds */
}

/* The writer of secret_does_not_leak with 3 pages (grown to 4: the 256 KiB class) fills
 * its memory with 0xAB and is freed as a crashed component's is (its memory may wait
 * unreset): the mapping it had. */
static const uint8_t *leave_secret(troupe_wasm_module *wm) {
  troupe_wasm_instance *a = instance(wm);
  call1(a, "fill", 0xAB);
  const uint8_t *mapping = a->mem->data;
  troupe_wasm_instance_free_ex(a, TROUPE_WASM_FREE_RESET_LATER);
  return mapping;
}

/* A reader of the same class: all zero, also after growing into the rest. */
static troupe_wasm_instance *clean_reader(troupe_wasm_module *rm) {
  troupe_wasm_instance *b = instance(rm);
  assert_int_equal(call0(b, "nonzero"), 0);
  assert_int_equal(call0(b, "grow"), 3);
  assert_int_equal(call0(b, "nonzero"), 0);
  return b;
}

static void test_dirty_memory_reset_by_idle_work(void **state) {
  (void)state;
  troupe_wasm_module *wm = load_pages(writer_wasm, sizeof writer_wasm, 3);
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, 3);
  trB_idle_runner_enter(); /* this thread plays the idle worker */
  const uint8_t *mapping = leave_secret(wm);
  /* not in this thread's cache (which holds the call's stack blocks)... */
  assert_true(trE_pool_cached_bytes() < (256 << 10));
  assert_int_equal(trE_pool_depot_bytes(), 256 << 10); /* ...but counted in the depot */
  /* nothing clean: the class's first spare is a fresh mapping, not the dirty one */
  troupe_wasm_instance *b = clean_reader(rm);
  assert_ptr_not_equal(b->mem->data, mapping);
  /* the idle work resets it, once */
  assert_true(trB_idle_run());
  assert_false(trB_idle_run());
  /* now it is clean and the next take gets it */
  troupe_wasm_instance *c = clean_reader(rm);
  assert_ptr_equal(c->mem->data, mapping);
  troupe_wasm_instance_free_ex(b, TROUPE_WASM_FREE_RESET_LATER);
  troupe_wasm_instance_free_ex(c, TROUPE_WASM_FREE_RESET_LATER);
  assert_true(trB_idle_run());
  assert_true(trB_idle_run());
  assert_false(trB_idle_run());
  /* a plain free (an orderly stop) resets at once, runner or not */
  troupe_wasm_instance_free(instance(wm));
  assert_false(trB_idle_run());
  trB_idle_runner_leave();
  /* without a runner a freed memory is reset at once, into this thread's cache */
  size_t cached = trE_pool_cached_bytes();
  troupe_wasm_instance_free_ex(instance(wm), TROUPE_WASM_FREE_RESET_LATER);
  assert_false(trB_idle_run());
  assert_int_equal(trE_pool_cached_bytes(), cached); /* taken from here, back here */
  assert_int_equal(trE_pool_depot_bytes(), 0);
  trE_pool_drain();
  assert_int_equal(trE_pool_depot_bytes(), 0);
  troupe_wasm_module_free(wm);
  troupe_wasm_module_free(rm);
}

static void test_dirty_memory_reset_by_the_take(void **state) {
  (void)state;
  troupe_wasm_module *wm = load_pages(writer_wasm, sizeof writer_wasm, 3);
  troupe_wasm_module *rm = load_pages(reader_wasm, sizeof reader_wasm, 3);
  trB_idle_runner_enter(); /* a runner that never comes round */
  /* two spares: each take that finds only dirty memories maps a fresh one */
  const uint8_t *m1 = leave_secret(wm);
  const uint8_t *m2 = leave_secret(wm);
  const uint8_t *m3 = leave_secret(wm);
  assert_true(m1 != m2 && m2 != m3 && m1 != m3);
  /* the spares are spent: the take resets the last dirty one itself */
  troupe_wasm_instance *b = clean_reader(rm);
  assert_ptr_equal(b->mem->data, m3);
  troupe_wasm_instance *c = clean_reader(rm);
  assert_ptr_equal(c->mem->data, m2);
  troupe_wasm_instance_free(b);
  troupe_wasm_instance_free(c);
  /* a drain releases what waits unreset too */
  assert_true(trE_pool_depot_bytes() > 0);
  trE_pool_drain();
  assert_int_equal(trE_pool_depot_bytes(), 0);
  assert_false(trB_idle_run());
  trB_idle_runner_leave();
  troupe_wasm_module_free(wm);
  troupe_wasm_module_free(rm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_small_memory_is_zeroed, drain),
      cmocka_unit_test_setup(test_large_memory_is_zeroed, drain),
      cmocka_unit_test_setup(test_reset_touches_only_written_pages, drain),
      cmocka_unit_test_setup(test_recycled_memory_gets_its_data, drain),
      cmocka_unit_test_setup(test_stacks_are_recycled, drain),
      cmocka_unit_test_setup(test_what_is_kept_is_bounded, drain),
      cmocka_unit_test_setup(test_fresh_memory_gets_the_written_pages, drain),
      cmocka_unit_test_setup(test_warm_runs_are_bounded, drain),
      cmocka_unit_test_setup(test_prepared_memories, drain),
      cmocka_unit_test_setup(test_dirty_memory_reset_by_idle_work, drain),
      cmocka_unit_test_setup(test_dirty_memory_reset_by_the_take, drain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
