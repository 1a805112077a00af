# Two entry points on a fresh Debian machine: `make demo` and `make test`.
# Each installs what is missing (scripts/bootstrap.sh), configures, builds and runs.
JOBS ?= $(shell nproc)
TREND := build/release/src/cli/trend

.PHONY: demo test test-identical bootstrap build build-native build-asan build-fuzz test-release test-asan test-fuzz fuzz bench format clean

# Seconds per fuzz target: `make fuzz` (default 10 minutes each), and the smoke run in `make test`.
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 30

bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# Only the command, with -march=native: the identical_builds test compares its output.
build-native: bootstrap
	@cmake --preset native >/dev/null
	@cmake --build --preset native -j $(JOBS)

build-asan: bootstrap
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

# The libFuzzer targets (tests/fuzz), with clang: only they and the libraries they use.
build-fuzz: bootstrap
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

demo: build
	$(TREND) run -c config/demo.yml --out build/demo-exports
	$(TREND) run --multi-period -c config/demo.yml --out build/demo-exports
	PYTHONPATH=build/release/python /usr/bin/python3 -c 'import trend_engine; print(trend_engine.run("config/demo.yml"))'

test-release: build
	ctest --preset release -j $(JOBS)

test-asan: build-asan
	ctest --preset asan -j $(JOBS)

# Each fuzz target for 30 s from its seed corpus: a crash, a sanitizer report or a hang fails.
test-fuzz: build-fuzz
	bash tests/fuzz/run_fuzzers.sh build/fuzz $(FUZZ_SMOKE_SECONDS) $(JOBS)

fuzz: build-fuzz
	bash tests/fuzz/run_fuzzers.sh build/fuzz $(FUZZ_SECONDS) $(JOBS)

test: test-release test-asan test-fuzz

# The same byte-for-byte check with a third build, -march=native (another full build, so not
# part of `make test`): release, native and ASan must write identical documents.
test-identical: build build-native build-asan
	bash tests/cli/identical_builds_test.sh . build/release/src/cli/trend \
	  build/native/src/cli/trend build/asan/src/cli/trend

bench: build
	bash bench/run_benchmarks.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
