#!/usr/bin/env python3
"""
scripts/bench-pairs.py: two variants of one benchmark driver measured in pairs, for
changes smaller than this VM's noise. `make bench-pairs` calls it.

Why pairs: on these machines one run of a row differs from the next by up to 10% (the
10,000-component ring), and the VM has two modes minutes long in which every cross-core
hand-off costs 3-5x more (docs/BENCH-COMPONENT.md, session 7). A comparison of each
side's median over many minutes mixes the modes in unknown shares; two runs right after
each other see the same mode. So each pair runs A and B back to back, the order
alternating (A B, B A, ...) so that neither side always goes first, and what is reported
per row is the median of the pairs' ratios A/B with a bootstrap 90% interval of that
median, and the ratios' geometric mean. The medians of each side are printed too: when
they disagree with the pairs, the noise is larger than the change.

A variant is the actor or component suite's driver (BUILD/bench/SUITE/troupe-bench-SUITE,
`measure --rows GROUPS`: "row unit value" lines) with optional environment settings,
e.g. the same build with and without BENCH_METRICS=off, or this build against an old
one (--base-build). Writes BUILD/bench/pairs-SUITE.json.

usage: bench-pairs.py --suite actor|component --rows GROUPS [--pairs N] [--build DIR]
                      [--base-build DIR] [--a-env K=V,...] [--b-env K=V,...] [--quick]
                      [--control]
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys


def parse_env(s):
    env = {}
    for kv in filter(None, (s or "").split(",")):
        if "=" not in kv:
            sys.exit(f"bench-pairs: bad environment setting '{kv}' (want KEY=VALUE)")
        k, v = kv.split("=", 1)
        env[k] = v
    return env


def driver(build, suite):
    path = os.path.join(build, "bench", suite, f"troupe-bench-{suite}")
    if not os.access(path, os.X_OK):
        sys.exit(f"bench-pairs: no driver at {path} (cmake --build {build} "
                 f"--target troupe-bench-{suite})")
    return path


def run(variant, rows, quick, timeout):
    """One run: {row: (unit, value)}. A run that fails or times out counts as missing."""
    path, extra = variant
    cmd = [path, "measure", "--rows", rows] + (["--quick"] if quick else [])
    try:
        p = subprocess.run(cmd, env={**os.environ, **extra}, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"bench-pairs: {' '.join(cmd)} timed out after {timeout} s", file=sys.stderr)
        return {}
    if p.returncode != 0:
        print(f"bench-pairs: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-2000:]}",
              file=sys.stderr)
        return {}
    out = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 3:
            try:
                out[f[0]] = (f[1], float(f[2]))
            except ValueError:
                pass
    return out


def bootstrap_median(xs, rounds=2000, seed=1):
    """A 90% interval of the median of xs, resampled (fixed seed: the same data give the
    same interval)."""
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(rounds))
    return meds[int(rounds * 0.05)], meds[int(rounds * 0.95) - 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", required=True, choices=["actor", "component"])
    ap.add_argument("--rows", required=True, help="the driver's row groups, e.g. ring,ask")
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--build", default="build")
    ap.add_argument("--base-build", help="B is this (old) build's driver instead of A's")
    ap.add_argument("--a-env", default="", help="A's environment, K=V,...")
    ap.add_argument("--b-env", default="", help="B's environment, K=V,...")
    ap.add_argument("--quick", action="store_true", help="the drivers' --quick sizes")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per run")
    ap.add_argument("--control", action="store_true",
                    help="run A twice a round and report A/A' as the noise floor")
    a = ap.parse_args()
    if a.pairs < 2:
        sys.exit("bench-pairs: --pairs must be at least 2")
    A = (driver(a.build, a.suite), parse_env(a.a_env))
    B = (driver(a.base_build or a.build, a.suite), parse_env(a.b_env))
    if A == B:
        sys.exit("bench-pairs: A and B are the same (give --b-env, --a-env or --base-build)")

    # Orders: A B alternating with B A; with the control, the six orders of A B A' in turn.
    orders = ([("a", "b", "c"), ("b", "c", "a"), ("c", "a", "b"), ("a", "c", "b"),
               ("b", "a", "c"), ("c", "b", "a")] if a.control else [("a", "b"), ("b", "a")])
    variant = {"a": A, "b": B, "c": A}
    runs, controls = [], []  # per round: (A's rows, B's rows); (A's, A''s)
    for i in range(a.pairs):
        got = {}
        for k in orders[i % len(orders)]:
            got[k] = run(variant[k], a.rows, a.quick, a.timeout)
        runs.append((got["a"], got["b"]))
        if a.control:
            controls.append((got["a"], got["c"]))
        print(f"bench-pairs: round {i + 1}/{a.pairs} done", file=sys.stderr, flush=True)

    order = []
    for ra, rb in runs:
        for k in list(ra) + list(rb):
            if k not in order:
                order.append(k)

    def compare(rounds, row):
        pairs = [(x[row][1], y[row][1]) for x, y in rounds if row in x and row in y]
        ratios = [p / q for p, q in pairs if p > 0 and q > 0]
        e = {"pairs": len(pairs)}
        if pairs:
            e["a_median"] = statistics.median(p for p, _ in pairs)
            e["b_median"] = statistics.median(q for _, q in pairs)
        if len(ratios) >= 2:
            lo, hi = bootstrap_median(ratios)
            e.update(ratio_median=statistics.median(ratios), ratio_lo90=lo, ratio_hi90=hi,
                     ratio_geomean=math.exp(statistics.mean(math.log(r) for r in ratios)))
        return e

    table = []
    for row in order:
        unit = next((r[row][0] for rr in runs for r in rr if row in r), "")
        entry = {"name": row, "unit": unit, **compare(runs, row)}
        if a.control:
            entry["control"] = compare(controls, row)
        table.append(entry)

    def pct(r):
        return f"{(r - 1) * 100:+.2f}%"
    print(f"{'row':<34} {'unit':<7} {'pairs':>5} {'A median':>11} {'B median':>11} "
          f"{'A/B (pairs)':>12} {'90% interval':>19} {'geomean':>9}")
    def line(name, unit, e):
        if "ratio_median" not in e:
            print(f"{name:<34} {unit:<7} {e['pairs']:>5}   (too few pairs)")
            return
        print(f"{name:<34} {unit:<7} {e['pairs']:>5} {e['a_median']:>11.4g} "
              f"{e['b_median']:>11.4g} {pct(e['ratio_median']):>12} "
              f"{pct(e['ratio_lo90']) + '..' + pct(e['ratio_hi90']):>19} "
              f"{pct(e['ratio_geomean']):>9}")
    for e in table:
        line(e["name"], e["unit"], e)
        if a.control:
            line("  control: A/A'", "", e["control"])
    print(f"A: {A[0]} {a.a_env or '(no environment added)'}")
    print(f"B: {B[0]} {a.b_env or '(no environment added)'}")
    print("A/B: the median of the pairs' ratios; above 0 means A's figure is higher (for "
          "times A is slower, for rates faster)")
    if a.control:
        print("control: A against itself in the same rounds (B median column: A'); a change "
              "smaller than the control's is noise")
    out = os.path.join(a.build, "bench", f"pairs-{a.suite}.json")
    with open(out, "w") as f:
        json.dump({"suite": a.suite, "rows_groups": a.rows, "control": a.control, "a": {"driver": A[0], "env": A[1]},
                   "b": {"driver": B[0], "env": B[1]}, "rows": table}, f, indent=1)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
