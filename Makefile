# sandhost: `make run` runs the demo on the embedded default, `make test` runs
# every test. See README.md.
GO      ?= go
BIN     := bin
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: run test build bench gobench vet fmt deps clean python-wasm python-packages plugins

run: build python-wasm python-packages
	$(BIN)/host demo

# python-wasm builds CPython for wasm32-wasi from Debian's sources (about 9
# minutes the first time, instant when ~/.cache/sandhost has this recipe).
python-wasm:
	@bash wasm/python/build.sh

# python-packages fetches the pure-Python packages of wasm/python/packages.txt
# (sympy, mpmath) from Debian and compiles their .pyc with that CPython
# (cached under ~/.cache/sandhost, keyed by the list and the CPython build).
python-packages: python-wasm
	@bash wasm/python/packages.sh

# plugins builds the example Wasm plugins (plugins/wasm/examples: Go with
# GOOS=wasip1, C with clang-19) into bin/plugins, ready for
# `host serve --plugins bin/plugins` (cached like the tests' builds).
plugins: deps
	$(GO) run ./plugins/wasm/cmd/buildplugins -out $(BIN)/plugins

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/host ./cmd/host

# deps installs what the tests need that Go does not fetch (Debian packages).
# clang-19 and lld-19 build the C example plugin (plugins/wasm); the CPython
# build installs them too, but only when its cache is cold.
deps:
	@command -v redis-server >/dev/null || { echo "installing redis-server"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@{ command -v clang-19 && command -v wasm-ld-19; } >/dev/null || { echo "installing clang-19, lld-19"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-19 lld-19 >/dev/null; }

test: deps python-wasm python-packages
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...  # -count=1: never a cached result (test/ builds bin/host itself)
	$(GO) test -count=1 -run '^$$$$' -bench . -benchtime 1x ./...  # benchmarks still run

# bench runs the benchmark harness (bench/README.md): every scenario beside
# its baselines, into bench/results/TIMESTAMP. BENCHFLAGS adds host bench's
# flags, e.g. BENCHFLAGS='--mode quick --redis redis://10.0.0.5:6379'.
bench: deps python-wasm python-packages build
	$(BIN)/host bench --mode full --out bench/results/$$(date -u +%Y%m%d-%H%M%S) $(BENCHFLAGS)

# gobench runs the Go benchmarks of every package.
gobench: deps python-wasm python-packages
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

clean:
	rm -rf $(BIN)
