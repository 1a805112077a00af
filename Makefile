# Two entry points on a fresh Debian machine: `make demo` and `make test`.
# Each installs what is missing (scripts/bootstrap.sh), configures, builds and runs.
JOBS ?= $(shell nproc)
TREND := build/release/src/cli/trend

.PHONY: demo test bootstrap build build-native build-asan test-release test-asan bench format clean

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

demo: build
	$(TREND) run -c config/demo.yml --out build/demo-exports
	$(TREND) run --multi-period -c config/demo.yml --out build/demo-exports

test-release: build
	ctest --preset release -j $(JOBS)

test-asan: build-asan build-native
	ctest --preset asan -j $(JOBS)

test: test-release test-asan

bench: build
	bash bench/run_benchmarks.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
