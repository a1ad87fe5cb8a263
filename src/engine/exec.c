/*
 * engine/exec.c: the storage of an instance's execution state (trE_exec, instance.h) --
 * its value stack and frame stack, allocated on the first call and grown on demand, by
 * the call driver (api.c: room for the entry function's frame) and by the interpreter
 * (interp.c: a call that does not fit). Both grow here, by one rule, and both limits
 * (the value stack's size, the call depth) are enforced here.
 */
#include "engine/instance.h"

/* Double from `first` until `need` fits, but never past `limit`: a stack at its limit
 * is "call stack exhausted", never a bigger allocation. 0 when `need` is beyond the
 * limit. Doubling keeps the copies of a deep recursion linear in its depth. */
static size_t stack_capacity(size_t cap, size_t need, size_t first, size_t limit) {
  if (need > limit)
    return 0;
  size_t n = cap ? cap : first;
  while (n < need)
    n *= 2; /* no overflow: n < 2 * limit */
  return n < limit ? n : limit;
}

bool trE_exec_grow_stack(trE_exec *ex, size_t need) {
  size_t n = stack_capacity(ex->stack_cap, need, 256, TRE_STACK_MAX_SLOTS);
  if (n == 0)
    return false;
  if (n <= ex->stack_cap)
    return true;
  trE_slot *s = trB_realloc_array(ex->stack, n, sizeof *s);
  if (!s)
    return false;
  ex->stack = s;
  ex->stack_cap = n;
  return true;
}

/* The frame stack's capacity never exceeds max_depth, so the call handler needs one
 * compare (nframes against frames_cap) for both the growth and the depth limit. */
bool trE_exec_grow_frames(trE_exec *ex) {
  size_t n = stack_capacity(ex->frames_cap, (size_t)ex->frames_cap + 1, 16, ex->max_depth);
  if (n == 0)
    return false;
  trE_frame *f = trB_realloc_array(ex->frames, n, sizeof *f);
  if (!f)
    return false;
  ex->frames = f;
  ex->frames_cap = (uint32_t)n;
  return true;
}

void trE_exec_free(trE_exec *ex) {
  free(ex->stack);
  free(ex->frames);
  free(ex->hostbuf); /* interp.c's scratch for host-call values */
}
