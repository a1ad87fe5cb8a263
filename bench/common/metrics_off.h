/*
 * bench/common/metrics_off.h: what the actor and component suites' reports share for
 * issue #13's rule that metrics stay on -- each row measured with the metrics on and,
 * in the same run, off (the drivers' BENCH_METRICS=off: a runtime or host made with
 * no_metrics; the run scripts go on, off, off, on and the reports compare each side's
 * best run: a run on this VM is only ever made worse by noise), and the cost of having
 * them on in percent: positive when on is worse (slower, fewer per second, more
 * bytes). The goal is at most 3% on every row.
 */
#ifndef TROUPE_BENCH_METRICS_OFF_H
#define TROUPE_BENCH_METRICS_OFF_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BMO_GOAL_PCT 3.0

/* The driver's metrics switch: BENCH_METRICS=off. */
static inline bool bmo_off(void) {
  const char *v = getenv("BENCH_METRICS");
  return v && !strcmp(v, "off");
}

static inline double bmo_cost_pct(double on, double off, bool higher_better) {
  if (isnan(on) || isnan(off) || on <= 0 || off <= 0)
    return NAN;
  return higher_better ? (off - on) / off * 100.0 : (on - off) / off * 100.0;
}

/* One more run of a row: its mean and its best so far (n runs before this one). */
static inline void bmo_take(double *mean, double *best, int *n, double v, bool higher_better) {
  *mean = *n ? (*mean * *n + v) / (*n + 1) : v;
  if (!*n || (higher_better ? v > *best : v < *best))
    *best = v;
  (*n)++;
}

/* The JSON row's fields of the comparison (nothing when the row has no run off). */
static inline void bmo_json(FILE *f, double off_mean, double on_best, double off_best,
                            bool higher_better) {
  if (isnan(off_mean))
    return;
  fprintf(f, ", \"troupe_metrics_off\": %.6g", off_mean);
  double c = bmo_cost_pct(on_best, off_best, higher_better);
  if (!isnan(c))
    fprintf(f, ", \"metrics_cost_pct\": %.3g", c);
}

/* The report's section, from a table of rows whose row_def has name and higher_better. */
#define BMO_PRINT(defs, n, on_best, off_best)                                               \
  do {                                                                                     \
    const char *names_[n];                                                                 \
    bool hb_[n];                                                                           \
    for (int i_ = 0; i_ < (n); i_++) {                                                     \
      names_[i_] = (defs)[i_].name;                                                        \
      hb_[i_] = (defs)[i_].higher_better;                                                  \
    }                                                                                      \
    bmo_print(names_, hb_, (on_best), (off_best), (n));                                    \
  } while (0)

/* The section after the table: every row measured both ways, and a verdict line. */
static inline void bmo_print(const char *const *names, const bool *higher_better,
                             const double *on, const double *off, int n) {
  int both = 0, within = 0, worst = -1;
  double worst_pct = -INFINITY;
  printf("\nmetrics on vs off (each row group run on, off, off, on -- BENCH_METRICS=off --\n"
         "each side the best of its two runs, as noise only makes a run worse; cost: how\n"
         "much worse with them on, goal <= %.0f%%; tails and this VM's bimodal rows still\n"
         "move by more than that either way):\n", BMO_GOAL_PCT);
  printf("  %-32s %12s %12s %8s\n", "row", "on", "off", "cost");
  for (int i = 0; i < n; i++) {
    double c = bmo_cost_pct(on[i], off[i], higher_better[i]);
    if (isnan(c))
      continue;
    both++;
    within += c <= BMO_GOAL_PCT;
    if (c > worst_pct) {
      worst_pct = c;
      worst = i;
    }
    printf("  %-32s %12.4g %12.4g %7.1f%%\n", names[i], on[i], off[i], c);
  }
  if (both)
    printf("  %d of %d rows within %.0f%%; the largest cost: %s %.1f%%\n", within, both,
           BMO_GOAL_PCT, names[worst], worst_pct);
  else
    printf("  (no row measured both ways)\n");
}

#endif
