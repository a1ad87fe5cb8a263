/*
 * engine/exec.c: the storage of an instance's execution state (trE_exec, instance.h) --
 * its value stack and frame stack, allocated on the first call and grown on demand, by
 * the call driver (api.c: room for the entry function's frame) and by the interpreter
 * (interp.c: a call that does not fit). Both grow here, by one rule, and every limit
 * is enforced here: the call depth (frames) and the stack budget, the bytes of both
 * stacks together (troupe_wasm_limits.max_stack_bytes). The blocks come from and go back
 * to the recycler (pool.c), so a new instance's first call reuses a freed one's stack.
 */
#include "engine/instance.h"
#include "engine/pool.h"

/* The stack budget counts what the two stacks have allocated, not what they use: a
 * stack's capacity is what stays resident once touched, so the budget bounds the
 * memory the execution state can cost. */
size_t trE_exec_bytes(const trE_exec *ex) {
  return ex->stack_cap * sizeof(trE_slot) + (size_t)ex->frames_cap * sizeof(trE_frame);
}

/* The capacity (in elements) that holds `need`, for a stack of `cap` elements that may
 * not pass `limit` elements. Doubling from `first` keeps the copies of a deep recursion
 * linear in its depth. Where doubling would pass the limit, the stack takes what it
 * needs plus half of the room left, so that the other stack, which shares the budget,
 * keeps room to grow too, and the steps still shrink geometrically. 0 when `need` is
 * beyond the limit: "call stack exhausted", never a bigger allocation. */
static size_t stack_capacity(size_t cap, size_t need, size_t first, size_t limit) {
  if (need > limit)
    return 0;
  size_t n = cap ? cap : first;
  while (n < need)
    n *= 2; /* no overflow: need <= limit, which is far below SIZE_MAX / 2 */
  return n <= limit ? n : need + (limit - need) / 2;
}

/* A stack moves to a bigger block: pool.c's blocks (a freed instance's warm stack when
 * there is one of the size), the old content copied, the old block given back. */
static void *move_block(void *old, size_t old_bytes, size_t bytes) {
  void *p = trE_pool_stack_take(bytes);
  if (!p)
    return NULL;
  if (old_bytes)
    memcpy(p, old, old_bytes);
  trE_pool_stack_give(old, old_bytes);
  return p;
}

/* The elements of `size` bytes that fit in the budget beside `other` bytes. */
static size_t budget_elems(const trE_exec *ex, size_t other, size_t size) {
  return other < ex->max_stack_bytes ? (ex->max_stack_bytes - other) / size : 0;
}

trE_grow trE_exec_grow_stack(trE_exec *ex, size_t need) {
  size_t frames = (size_t)ex->frames_cap * sizeof(trE_frame);
  /* 128 slots first (1 KiB): most calls of a component need less, and every live
   * instance that has run keeps its stack (instance_rss_bytes in make bench-engine). */
  size_t n = stack_capacity(ex->stack_cap, need, 128,
                            budget_elems(ex, frames, sizeof(trE_slot)));
  if (n == 0)
    return TRE_GROW_LIMIT;
  if (n <= ex->stack_cap)
    return TRE_GROW_OK;
  trE_slot *s = move_block(ex->stack, ex->stack_cap * sizeof *s, n * sizeof *s);
  if (!s)
    return TRE_GROW_NOMEM;
  ex->stack = s;
  ex->stack_cap = n;
  return TRE_GROW_OK;
}

/* The frame stack's capacity never exceeds max_depth, so the call handler needs one
 * compare (nframes against frames_cap) for both the growth and the limits. */
trE_grow trE_exec_grow_frames(trE_exec *ex) {
  size_t limit = budget_elems(ex, ex->stack_cap * sizeof(trE_slot), sizeof(trE_frame));
  if (limit > ex->max_depth)
    limit = ex->max_depth;
  size_t n = stack_capacity(ex->frames_cap, (size_t)ex->frames_cap + 1, 16, limit);
  if (n == 0)
    return TRE_GROW_LIMIT;
  trE_frame *f = move_block(ex->frames, (size_t)ex->frames_cap * sizeof *f, n * sizeof *f);
  if (!f)
    return TRE_GROW_NOMEM;
  ex->frames = f;
  ex->frames_cap = (uint32_t)n;
  return TRE_GROW_OK;
}

void trE_exec_free(trE_exec *ex) {
  trE_pool_stack_give(ex->stack, ex->stack_cap * sizeof *ex->stack);
  trE_pool_stack_give(ex->frames, (size_t)ex->frames_cap * sizeof *ex->frames);
  free(ex->hostbuf); /* interp.c's scratch for host-call values */
}
