/*
 * actor/ask.c: request/response. Each ask in flight is a record in a segmented table;
 * its correlation id is (generation << 32 | index), like an actor id, and whoever
 * completes it first (the reply, the timeout, or the target's death) wins a CAS from
 * PENDING to CLAIMED for that exact generation. So a late reply can never complete a
 * newer ask that reuses the record: it loses the CAS, is dropped and counted. A reply
 * that wins the CAS after the ask's deadline (its timeout had not run yet) completes it
 * as TIMEOUT all the same and is counted late. External threads block on a futex in the
 * record; actors get REPLY/ASK_FAILED messages.
 */
#include "actor/core.h"

#include <errno.h>
#include <sched.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>

/* A blocking asker's futex word (record.done): waiting (spinning or about to sleep),
 * sleeping on the futex, or done (the result is there). */
enum { ASK_WAITING = 0, ASK_DONE = 1, ASK_SLEEPING = 2 };
/* How long a blocking asker spins before it sleeps. A reply from a running runtime takes
 * a few microseconds, less than waking a sleeping thread here (make bench-component,
 * quiet machine: invoke_us_median 13 -> 2.7 us with a 30 us spin), but an answer that
 * waits behind another component's fuel slice takes tens of microseconds, and an asker
 * that gave up spinning just before it pays a halted vCPU's wake-up on top (~60 us on
 * this VM: echo_p99_us_with_spinner was 125 us, three slices). So the spin follows the
 * recent asks' average duration (an exponential average over the process's blocking
 * asks; a racy estimate is fine): four times the average, within [ASK_SPIN_MIN_NS,
 * ASK_SPIN_MAX_NS]; when asks take longer than the cap, spinning cannot save the
 * wake-up's share of the wait, and the asker spins only the minimum. Four, not two as
 * the supervisor's blocking calls (sup_call.c): an echo behind a spinner takes one slice
 * on average and two at p99, and 2x gave up just before those (bench-component, A/B
 * interleaved: echo_p99_us_with_spinner 97-125 us with 2x, 71-82 with 3x, 56-68 with
 * 4x). An ask that had to wake a sleeping worker yields while it spins: see below. */
#define ASK_SPIN_MIN_NS 30000u
#define ASK_SPIN_MAX_NS 200000u
static _Atomic uint64_t avg_ask_ns = ASK_SPIN_MIN_NS;

static uint64_t ask_spin_ns(void) {
  uint64_t avg = atomic_load_explicit(&avg_ask_ns, memory_order_relaxed);
  if (avg > ASK_SPIN_MAX_NS)
    return ASK_SPIN_MIN_NS;
  return avg * 4 < ASK_SPIN_MIN_NS ? ASK_SPIN_MIN_NS : TR_MIN(avg * 4, ASK_SPIN_MAX_NS);
}

/* One more ask took `took` ns: the average moves an eighth of the way. */
static void note_ask(uint64_t took) {
  uint64_t avg = atomic_load_explicit(&avg_ask_ns, memory_order_relaxed);
  avg = took > avg ? avg + (took - avg) / 8 : avg - (avg - took) / 8;
  atomic_store_explicit(&avg_ask_ns, avg, memory_order_relaxed);
}
#include <unistd.h>

static void init_ask(void *elem, uint32_t index, void *user) {
  trA_ask *r = elem;
  /* A store: a reply with a forged corr may read this word concurrently. */
  atomic_store_explicit(&r->word, (uint64_t)1 << 32 | TRA_ASK_FREE, memory_order_relaxed);
  atomic_init(&r->next_free, 0);
  atomic_init(&r->done, 0);
  r->index = index;
}

void trA_asks_init(troupe_runtime *rt) {
  trA_segtab_init(&rt->asks, sizeof(trA_ask), offsetof(trA_ask, next_free), init_ask, rt);
}

/* now + timeout_ns (saturating), *now the clock reading; UINT64_MAX (and no reading)
 * for TROUPE_INFINITY. */
static uint64_t deadline_after(uint64_t timeout_ns, uint64_t *now) {
  *now = 0;
  if (timeout_ns == TROUPE_INFINITY)
    return UINT64_MAX;
  *now = troupe_clock_mono_ns();
  return timeout_ns > UINT64_MAX - *now ? UINT64_MAX : *now + timeout_ns;
}

static trA_ask *ask_new(troupe_runtime *rt, uint64_t deadline, bool blocking, uint64_t *corr) {
  uint32_t idx;
  if (trA_segtab_alloc(&rt->asks, &idx))
    return NULL;
  trA_ask *r = trA_segtab_get(&rt->asks, idx);
  uint32_t gen = TRA_GEN(atomic_load_explicit(&r->word, memory_order_relaxed));
  r->blocking = blocking; /* before PENDING: whoever claims the record reads it */
  r->asker = 0;
  r->timer = NULL;
  r->status = 0;
  r->reply_from = 0;
  r->reply_data = NULL;
  r->reply_len = 0;
  r->deadline = deadline;
  atomic_store_explicit(&r->done, 0, memory_order_relaxed);
  /* Release: the fields above are visible to the CAS winner (acquire). */
  atomic_store_explicit(&r->word, (uint64_t)gen << 32 | TRA_ASK_PENDING, memory_order_release);
  *corr = TRA_ID(idx, gen);
  return r;
}

static void ask_free(troupe_runtime *rt, trA_ask *r) {
  uint32_t gen = TRA_GEN(atomic_load_explicit(&r->word, memory_order_relaxed));
  uint32_t ngen = gen + 1 ? gen + 1 : 1;
  /* Release: a new owner sees the reset record (the free stack orders it too). */
  atomic_store_explicit(&r->word, (uint64_t)ngen << 32 | TRA_ASK_FREE, memory_order_release);
  trA_segtab_free(&rt->asks, r->index);
}

/* Win the right to complete `corr`. */
static trA_ask *ask_claim(troupe_runtime *rt, uint64_t corr) {
  if (TRA_ID_IDX(corr) >= trA_segtab_used(&rt->asks))
    return NULL;
  trA_ask *r = trA_segtab_get(&rt->asks, TRA_ID_IDX(corr));
  if (!r)
    return NULL;
  uint64_t expect = (uint64_t)TRA_ID_GEN(corr) << 32 | TRA_ASK_PENDING;
  /* acq_rel: acquire the asker's setup; release our claim to the loser's view. */
  if (!atomic_compare_exchange_strong_explicit(&r->word, &expect,
                                               (uint64_t)TRA_ID_GEN(corr) << 32 | TRA_ASK_CLAIMED,
                                               memory_order_acq_rel, memory_order_relaxed))
    return NULL;
  return r;
}

bool trA_ask_pending(troupe_runtime *rt, uint64_t corr) {
  if (TRA_ID_IDX(corr) >= trA_segtab_used(&rt->asks))
    return false;
  trA_ask *r = trA_segtab_get(&rt->asks, TRA_ID_IDX(corr));
  /* Relaxed: a hint; completion itself is decided by the CAS in ask_claim. */
  return r && atomic_load_explicit(&r->word, memory_order_relaxed) ==
                  ((uint64_t)TRA_ID_GEN(corr) << 32 | TRA_ASK_PENDING);
}

/* Remember an ask the handler kept unanswered, so the asker learns NOT_RUNNING if this
 * actor dies first (like a gen_server:call monitoring its callee). Answered entries are
 * pruned when the list would grow. */
void trA_hold_ask(troupe_actor *a, uint64_t corr) {
  trA_ext *x = trA_ext_get(a);
  if (!x)
    return; /* out of memory: the asker falls back on its timeout */
  if (x->nheld == x->capheld) {
    uint32_t j = 0;
    for (uint32_t i = 0; i < x->nheld; i++)
      if (trA_ask_pending(a->rt, x->held[i]))
        x->held[j++] = x->held[i];
    x->nheld = j;
    if (x->nheld * 2 >= x->capheld) {
      uint32_t ncap = x->capheld ? x->capheld * 2 : 4;
      uint64_t *nv = trB_realloc_array(x->held, ncap, sizeof *nv);
      if (!nv)
        return;
      x->held = nv;
      x->capheld = ncap;
    }
  }
  x->held[x->nheld++] = corr;
}


/*
 * Is it past the ask's deadline? A reply on a worker is checked against the worker's
 * cached clock when that settles it (already past, or more than TRA_REPLY_FRESH_NS
 * ahead: the cached clock is only a few handler calls old, see sched.c), otherwise
 * against a fresh reading (which refreshes the cache). So replies to asks with long
 * timeouts, answered well in time (the common case, the ask benchmark), cost no clock
 * read; the price is that a reply made over a second after its worker last read the
 * clock (a handler that ran that long) could be taken as on time.
 */
#define TRA_REPLY_FRESH_NS TROUPE_SEC(1)

static bool past_deadline(troupe_runtime *rt, uint64_t deadline) {
  if (deadline == UINT64_MAX)
    return false;
  uint64_t *now = trA_cached_clock(rt); /* a worker's, or an outside thread's own turn's */
  if (!now)
    return troupe_clock_mono_ns() > deadline;
  if (*now > deadline)
    return true;
  if (deadline - *now > TRA_REPLY_FRESH_NS)
    return false;
  *now = troupe_clock_mono_ns();
  return *now > deadline;
}

static int ask_complete_rc(troupe_runtime *rt, uint64_t corr, int status, troupe_actor_id from,
                           const void *data, size_t len, bool late_counts) {
  trA_ask *r = ask_claim(rt, corr);
  if (!r) {
    if (late_counts)
      TRA_COUNT(rt, late_replies, 1);
    return TROUPE_E_TIMEOUT;
  }
  /* The claim's acquire made the record ours, deadline included. A reply past the
   * deadline is the timeout that has not fired yet: the asker learns TIMEOUT now, the
   * replier gets TIMEOUT, the reply is counted late and its bytes dropped. */
  int rc = TROUPE_OK;
  if (status == TROUPE_OK && past_deadline(rt, r->deadline)) {
    TRA_COUNT(rt, late_replies, 1);
    status = rc = TROUPE_E_TIMEOUT;
    from = 0; /* as from the timer: the asker cannot tell the two apart */
    len = 0;
  }
  if (status == TROUPE_OK)
    TRA_COUNT(rt, replies, 1);
  else if (status == TROUPE_E_TIMEOUT)
    TRA_COUNT(rt, ask_timeouts, 1);
  else
    TRA_COUNT(rt, ask_failed, 1);
  if (r->blocking) {
    if (status == TROUPE_OK && len) {
      r->reply_data = trB_memdup(data, len);
      if (!r->reply_data)
        status = TROUPE_E_NOMEM;
    }
    r->reply_len = r->reply_data ? len : 0;
    r->reply_from = from;
    r->status = status;
    /* acq_rel exchange: its release half publishes the result to the waiter's acquire
     * load; the old value says whether the waiter went to sleep (ASK_SLEEPING) or is
     * still spinning (ASK_WAITING), in which case no wake-up syscall is needed. */
    if (atomic_exchange_explicit(&r->done, ASK_DONE, memory_order_acq_rel) == ASK_SLEEPING)
      syscall(SYS_futex, (uint32_t *)(void *)&r->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return rc; /* the waiter frees the record */
  }
  troupe_actor_id asker = r->asker;
  troupe_timer *t = r->timer;
  r->timer = NULL;
  ask_free(rt, r);
  if (t)
    trA_timer_cancel(t);
  trA_msg *m = trA_msg_new(rt, status == TROUPE_OK ? len : 0);
  if (!m)
    return TROUPE_E_NOMEM;
  if (status == TROUPE_OK && len)
    memcpy(m->data, data, len);
  m->kind = status == TROUPE_OK ? TROUPE_MSG_REPLY : TROUPE_MSG_ASK_FAILED;
  m->status = status;
  m->from = from;
  m->corr = corr;
  trA_deliver(rt, asker, m, true); /* the asker may be gone: then it is just rejected */
  return rc;
}

void trA_ask_complete(troupe_runtime *rt, uint64_t corr, int status, troupe_actor_id from,
                      const void *data, size_t len, bool late_counts) {
  (void)ask_complete_rc(rt, corr, status, from, data, len, late_counts);
}

int troupe_reply(troupe_runtime *rt, troupe_actor_id from, uint64_t corr, const void *data,
                 size_t len) {
  if (!rt || (len && !data))
    return TROUPE_E_INVAL;
  return ask_complete_rc(rt, corr, TROUPE_OK, from, data, len, true);
}

void troupe_reply_free(troupe_reply_msg *r) {
  if (!r)
    return;
  free(r->data);
  r->data = NULL;
  r->len = 0;
}

static trA_msg *ask_msg(troupe_runtime *rt, troupe_actor_id from, uint64_t corr, uint32_t tag,
                        const void *data, size_t len) {
  trA_msg *m = trA_msg_new(rt, len);
  if (!m)
    return NULL;
  if (len)
    memcpy(m->data, data, len);
  m->kind = TROUPE_MSG_ASK;
  m->from = from;
  m->corr = corr;
  m->tag = tag;
  return m;
}

int troupe_ask(troupe_runtime *rt, troupe_actor_id to, uint32_t tag, const void *data,
               size_t len, uint64_t timeout_ns, troupe_reply_msg *reply, troupe_err *err) {
  return troupe_ask_ex(rt, to, tag, data, len, timeout_ns, 0, reply, err);
}

int troupe_ask_ex(troupe_runtime *rt, troupe_actor_id to, uint32_t tag, const void *data,
                  size_t len, uint64_t timeout_ns, unsigned flags, troupe_reply_msg *reply,
                  troupe_err *err) {
  if (!rt || !reply || (len && !data) || (flags & ~(unsigned)TROUPE_ASK_RUN_HERE))
    return troupe_err_set(err, TROUPE_E_INVAL, "ask: bad arguments");
  if (trA_on_worker(rt))
    return troupe_err_set(err, TROUPE_E_STATE, "ask: blocking ask on a worker; use troupe_ask_async");
  reply->from = 0;
  reply->data = NULL;
  reply->len = 0;
  uint64_t corr, now, deadline = deadline_after(timeout_ns, &now);
  trA_ask *r = ask_new(rt, deadline, true, &corr);
  if (!r)
    return troupe_err_set(err, TROUPE_E_NOMEM, "ask: out of memory");
  /* Between publishing the record and looking the target up: pairs with stop's fence
   * before it fails what is still pending (runtime.c, fail_pending_asks). */
  atomic_thread_fence(memory_order_seq_cst);
  trA_msg *m = ask_msg(rt, 0, corr, tag, data, len);
  if (m)
    m->ts = now; /* the deadline's reading (0 without one: the push reads the clock) */
  troupe_actor *run = NULL;
  trA_wake_defer(rt);
  int rc = !m                                 ? TROUPE_E_NOMEM
           : (flags & TROUPE_ASK_RUN_HERE)    ? trA_deliver_take(rt, to, m, &run)
                                              : trA_deliver(rt, to, m, false);
  bool woke;
  bool owed = trA_wake_undefer(&woke);
  if (rc) {
    if (owed)
      trA_wake(rt, false);
    ask_free(rt, r);
    return troupe_err_set(err, rc, "ask: %s", troupe_strerror(rc));
  }
  TRA_COUNT(rt, asks, 1);
  /* The question found the actor idle and this thread took its turn: run it here. An
   * answer given in it needs no spin and teaches the spin nothing (note_ask). */
  if (run) {
    trA_run_inline(rt, run, now ? now : troupe_clock_mono_ns());
    if (atomic_load_explicit(&r->done, memory_order_acquire) == ASK_DONE)
      goto answered;
  }
  bool claimed = false;
  /* Spin first (ask_spin_ns): an answer from a running runtime usually comes sooner
   * than a sleeping thread wakes, and the completer then skips its wake-up syscall. The
   * wake-up the delivery owes (core.h) is paid only if no answer came within the grace
   * period. Acquire: pairs with the completer's exchange. */
  uint64_t t0 = troupe_clock_mono_ns(), spin_end = t0 + ask_spin_ns();
  for (unsigned spin = 1; atomic_load_explicit(&r->done, memory_order_acquire) != ASK_DONE;
       spin++) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    /* This ask woke a sleeping worker: the kernel may have queued it on this very CPU
     * (wake-affine placement), where it would wait for the spin to end. Let it run:
     * echo_p99_us_idle (asks after pauses, one worker) 167-182 -> 99-104 us, A/B; the
     * median 28 -> 30.5 us (the yields' syscalls). */
    if (woke && (spin & 63) == 0)
      sched_yield();
    if ((spin & (owed ? 15 : 127)) == 0) {
      uint64_t t = troupe_clock_mono_ns();
      if (owed && t - t0 >= TRA_WAKE_GRACE_NS) {
        owed = false;
        trA_wake(rt, false);
      }
      if (t >= spin_end)
        break;
    }
  }
  if (owed && atomic_load_explicit(&r->done, memory_order_acquire) != ASK_DONE)
    trA_wake(rt, true); /* about to sleep: somebody must run the question, even if a
                         * counted spinner was preempted (a forced wake-up) */
  while (atomic_load_explicit(&r->done, memory_order_acquire) != ASK_DONE) {
    struct timespec ts, *tp = NULL;
    if (!claimed && deadline != UINT64_MAX) {
      now = troupe_clock_mono_ns();
      if (now >= deadline) {
        uint64_t expect = (uint64_t)TRA_ID_GEN(corr) << 32 | TRA_ASK_PENDING;
        if (atomic_compare_exchange_strong_explicit(
                &r->word, &expect, (uint64_t)TRA_ID_GEN(corr) << 32 | TRA_ASK_CLAIMED,
                memory_order_acq_rel, memory_order_relaxed)) {
          TRA_COUNT(rt, ask_timeouts, 1);
          ask_free(rt, r);
          return troupe_err_set(err, TROUPE_E_TIMEOUT, "ask: no reply in time");
        }
        claimed = true; /* a completer won: its result is moments away */
        continue;
      }
      uint64_t left = deadline - now;
      ts.tv_sec = (time_t)(left / 1000000000u);
      ts.tv_nsec = (long)(left % 1000000000u);
      tp = &ts;
    }
    /* Say we sleep before sleeping: a completer that exchanges after this CAS sees
     * ASK_SLEEPING and wakes us; one that came first leaves ASK_DONE, the CAS fails
     * (acquire: the result is visible) and we do not sleep. The futex wait re-checks the
     * word, so a wake between the CAS and the wait is not lost. */
    uint32_t expect = ASK_WAITING;
    if (!atomic_compare_exchange_strong_explicit(&r->done, &expect, ASK_SLEEPING,
                                                 memory_order_acq_rel, memory_order_acquire) &&
        expect == ASK_DONE)
      break;
    syscall(SYS_futex, (uint32_t *)(void *)&r->done, FUTEX_WAIT_PRIVATE, ASK_SLEEPING, tp, NULL,
            0);
  }
  /* Capped: one ask that waited seconds must not keep the spin at its minimum for the
   * next hundred. */
  note_ask(TR_MIN(troupe_clock_mono_ns() - t0, (uint64_t)TROUPE_MS(1)));
answered:
  rc = r->status;
  if (rc == TROUPE_OK) {
    reply->from = r->reply_from;
    reply->data = r->reply_data;
    reply->len = r->reply_len;
    r->reply_data = NULL;
  }
  ask_free(rt, r);
  if (rc)
    return troupe_err_set(err, rc, "ask: %s", troupe_strerror(rc));
  return TROUPE_OK;
}

static void ask_timeout(troupe_runtime *rt, void *arg) {
  trA_ask_complete(rt, (uint64_t)(uintptr_t)arg, TROUPE_E_TIMEOUT, 0, NULL, 0, false);
}

/* The timer was cancelled (the ask completed: this loses the CAS, a no-op) or the
 * runtime stopped before it fired (this completes the ask as STOPPED, so every ask is
 * accounted for). */
static void ask_timer_dropped(troupe_runtime *rt, void *arg) {
  trA_ask_complete(rt, (uint64_t)(uintptr_t)arg, TROUPE_E_STOPPED, 0, NULL, 0, false);
}

int troupe_ask_async(troupe_actor *self, troupe_actor_id to, uint32_t tag, const void *data,
                     size_t len, uint64_t timeout_ns, uint64_t *corr, troupe_err *err) {
  if (!self || !corr || (len && !data))
    return troupe_err_set(err, TROUPE_E_INVAL, "ask_async: bad arguments");
  if (trA_current_actor() != self)
    return troupe_err_set(err, TROUPE_E_STATE, "ask_async: not called by the running actor");
  troupe_runtime *rt = self->rt;
  troupe_actor_id me = trA_self_id(self);
  uint64_t c, now, deadline = deadline_after(timeout_ns, &now);
  trA_ask *r = ask_new(rt, deadline, false, &c);
  if (!r)
    return troupe_err_set(err, TROUPE_E_NOMEM, "ask_async: out of memory");
  r->asker = me;
  if (timeout_ns != TROUPE_INFINITY) {
    /* The record's timer field is written (through &r->timer) before the timer is in a
     * heap, and a worker that fires it took the heap's lock after that (or is this
     * one), so whoever completes the ask finds the field set, even when a short
     * timeout fires on another worker before this handler returns. The same deadline
     * as the record's. */
    int trc = trA_timer_start_at(rt, now, deadline, ask_timeout, ask_timer_dropped,
                                 (void *)(uintptr_t)c, true, &r->timer);
    if (trc) {
      ask_free(rt, r);
      return troupe_err_set(err, trc, "ask_async: %s", troupe_strerror(trc));
    }
  }
  trA_msg *m = ask_msg(rt, me, c, tag, data, len);
  int rc = m ? trA_deliver(rt, to, m, false) : TROUPE_E_NOMEM;
  if (rc) {
    /* Not sent: take the record back (nobody else knows the corr). */
    if (ask_claim(rt, c)) {
      troupe_timer *t = r->timer;
      r->timer = NULL;
      ask_free(rt, r);
      if (t)
        trA_timer_cancel(t);
    }
    return troupe_err_set(err, rc, "ask_async: %s", troupe_strerror(rc));
  }
  TRA_COUNT(rt, asks, 1);
  *corr = c;
  return TROUPE_OK;
}
