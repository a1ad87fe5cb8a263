# Thin wrapper around CMake and ctest; see README.md. Every target installs the Debian
# packages it needs first (scripts/deps.sh: a dpkg query when all are present).
#
#   make run          the demo (examples/demo/): the example components as one
#                     application, step by step; exits non-zero if a step fails
#   make test         build (gcc, Release, -Werror) and run every test; then the tests
#                     of untrusted-input parsers under ASan+UBSan and of concurrent code
#                     under TSan (both clang builds)
#   make spec         the WebAssembly spec test suite alone
#   make fuzz         every libFuzzer target for FUZZ_SECONDS each (default 60)
#   make bench-<s>    a benchmark suite (engine, actor, component), writing build/bench/<s>.json
#   make bench-ab SUITE=<s> BASE=<old build dir> [ROUNDS=2]
#                     the suite for an old build and this one, runs alternating
#   make bench-pairs SUITE=actor|component ROWS=<groups> [PAIRS=20] [B_ENV=K=V,..]
#                    [A_ENV=..] [BASE=<old build dir>] [QUICK=1] [CONTROL=1]
#                     two variants of a driver (this build with A_ENV against B_ENV, or
#                     against BASE's) run back to back in pairs: the median of the
#                     pairs' ratios per row, for changes smaller than the VM's noise
#                     (e.g. B_ENV=BENCH_METRICS=off: what the metrics cost); CONTROL=1
#                     also runs A against itself each round: the noise floor beside it
#   make debug        a Debug build in build-debug/
#   make coverage     gcc build with gcov in build-cov/, every test, then line coverage
#                     per layer (gcovr; report in build-cov/coverage/); fails when src/
#                     as a whole is below COVERAGE_MIN percent (default 90)
#
# OFFLINE=1 (any target): no npm set-up, and the Rust and AssemblyScript guest SDKs'
# examples and tests are left out (-DTROUPE_GUEST_SDKS=OFF, said loudly); the C parts
# build and test as ever.

JOBS        ?= $(shell nproc)
BUILD       ?= build
ASAN_BUILD  ?= $(BUILD)-asan
TSAN_BUILD  ?= $(BUILD)-tsan
FUZZ_BUILD  ?= $(BUILD)-fuzz
FUZZ_SECONDS ?= 60
COV_BUILD   ?= $(BUILD)-cov
COVERAGE_MIN ?= 90
CMAKE_FLAGS ?=
OFFLINE     ?= 0
ifeq ($(OFFLINE),1)
  override CMAKE_FLAGS += -DTROUPE_GUEST_SDKS=OFF
  DEPS_ENV := OFFLINE=1
  $(info *** OFFLINE=1: the Rust and AssemblyScript SDK stages are SKIPPED (no npm, no cargo examples) ***)
else
  # an earlier OFFLINE=1 configure must not stick in the CMake cache
  override CMAKE_FLAGS += -DTROUPE_GUEST_SDKS=ON
  DEPS_ENV :=
endif
CTEST       := ctest --output-on-failure -j$(JOBS)

.PHONY: all deps build run test test-release test-asan test-tsan spec fuzz debug clean \
        bench-engine bench-actor bench-component bench-ab bench-pairs coverage

all: build

deps:
	@$(DEPS_ENV) scripts/deps.sh test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DTROUPE_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	@scripts/run-demo.sh $(BUILD)

test: test-release test-asan test-tsan
	@echo "make test: all stages passed"

test-release: build
	cd $(BUILD) && $(CTEST)

test-asan: deps
	@CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTROUPE_WERROR=ON \
	  -DTROUPE_SANITIZE=address $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(CTEST) -L asan

test-tsan: deps
	@CC=clang cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTROUPE_WERROR=ON \
	  -DTROUPE_SANITIZE=thread $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(CTEST) -L tsan

# The spec runner over every non-SIMD core file at once (a line per file, the total last;
# 27,923 commands). Exit 77 means the spec tests are absent: said loudly, stage skipped.
spec: build
	@rc=0; $(BUILD)/tests/engine/spec_runner --work $(BUILD)/spec-work --expect-total 27923 \
	  || rc=$$?; [ $$rc -eq 77 ] && rc=0; exit $$rc

fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTROUPE_FUZZ=ON \
	  -DTROUPE_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)
	@scripts/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench-engine bench-actor bench-component: build
	@$(DEPS_ENV) scripts/deps.sh bench
	@scripts/bench.sh $(BUILD) $(@:bench-%=%)

bench-ab: build
	@$(DEPS_ENV) scripts/deps.sh bench
	@[ -n "$(SUITE)" ] && [ -n "$(BASE)" ] || { echo "usage: make bench-ab SUITE=engine|actor|component BASE=<old build dir> [ROUNDS=2]" >&2; exit 2; }
	@scripts/bench-ab.sh $(SUITE) $(BASE) $(BUILD) $(or $(ROUNDS),2)

bench-pairs: build
	@$(DEPS_ENV) scripts/deps.sh bench
	@[ -n "$(SUITE)" ] && [ -n "$(ROWS)" ] || { echo "usage: make bench-pairs SUITE=actor|component ROWS=<groups> [PAIRS=20] [B_ENV=K=V,..] [A_ENV=..] [BASE=<old build dir>] [QUICK=1] [CONTROL=1]" >&2; exit 2; }
	@cmake --build $(BUILD) --target troupe-bench-$(SUITE) -j$(JOBS) >/dev/null
	@scripts/bench-pairs.py --suite $(SUITE) --rows $(ROWS) --pairs $(or $(PAIRS),20) \
	  --build $(BUILD) $(if $(BASE),--base-build $(BASE)) --a-env "$(A_ENV)" --b-env "$(B_ENV)" \
	  $(if $(QUICK),--quick) $(if $(CONTROL),--control)

# The counters are zeroed first (old .gcda removed) so the figures are this run's. The
# report is written even when a test fails; then the target fails as well.
coverage:
	@$(DEPS_ENV) scripts/deps.sh coverage
	@CC=gcc cmake -S . -B $(COV_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTROUPE_WERROR=ON \
	  -DTROUPE_COVERAGE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(COV_BUILD) -j$(JOBS)
	@find $(COV_BUILD) -name '*.gcda' -delete
	@rc=0; (cd $(COV_BUILD) && $(CTEST)) || rc=$$?; \
	  scripts/coverage.sh $(COV_BUILD) $(COVERAGE_MIN) || rc=$$?; \
	  [ $$rc -eq 0 ] || echo "make coverage: FAILED (failing tests or coverage below $(COVERAGE_MIN)%)" >&2; \
	  exit $$rc

debug: deps
	@cmake -S . -B build-debug -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-debug -j$(JOBS)

clean:
	rm -rf build build-asan build-tsan build-fuzz build-debug build-cov
