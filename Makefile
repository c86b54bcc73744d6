# Ringway developer entry points. `make test` is the README's test command and what CI runs.

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CARGO ?= cargo

.PHONY: test deps plugins build unit conformance bench-smoke run bench fuzz clippy

## Everything a clean clone needs, then every test: unit, integration (real binary on loopback),
## torture corpus over UDP and TCP, SIPp conformance.
test: deps plugins build unit conformance bench-smoke

## SIPp (Debian package sip-tester) for the conformance runner; baresip (baresip-core), a real
## UA that tests/tests/registrar.rs registers with Ringway.
deps:
	@command -v sipp >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq sip-tester; }
	@command -v baresip >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq baresip-core; }

## The example and test plugins (plugins/, its own workspace) as components, into
## RINGWAY_PLUGIN_DIR; the dialplan tests and benches find them there and fail (never pass)
## without them. The Rust plugins are built for wasm32-unknown-unknown and each core module is
## made a component by ringway-c-tool (plugins/c-tool): no WASI imports at all, which makes a
## decision ~1.5 us cheaper than the same plugin built for wasm32-wasip2 (which rustc makes a
## component itself, with the ~20 WASI functions Rust's std links). lcr is also built for
## wasm32-wasip2 (lcr_wasip2.wasm), to keep that kind of component tested.
PLUGIN_TARGET := $(CURDIR)/plugins/target
export RINGWAY_PLUGIN_DIR := $(PLUGIN_TARGET)/components
## The C plugin (plugins/blocklist-c) needs clang, wasm-ld (lld) and wasi-libc from Debian, and
## ringway-c-tool for its bindings.
C_TOOL := $(PLUGIN_TARGET)/release/ringway-c-tool
C_BUILD := $(PLUGIN_TARGET)/c
C_FLAGS := --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror -nostartfiles -nodefaultlibs \
	-Wl,--no-entry -Wl,--strip-all
CORE_MODULES := $(PLUGIN_TARGET)/wasm32-unknown-unknown/release
plugins:
	rustup target add wasm32-unknown-unknown wasm32-wasip2
	cd plugins && $(CARGO) build --release --target wasm32-unknown-unknown --target-dir $(PLUGIN_TARGET)
	cd plugins && $(CARGO) build --release --target wasm32-wasip2 --target-dir $(PLUGIN_TARGET) -p lcr
	@{ command -v clang && command -v wasm-ld && test -f /usr/lib/wasm32-wasi/libc.a; } >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq clang lld wasi-libc; }
	$(CARGO) build --release --manifest-path plugins/c-tool/Cargo.toml --target-dir $(PLUGIN_TARGET)
	mkdir -p $(RINGWAY_PLUGIN_DIR)
	for core in $(CORE_MODULES)/*.wasm; do \
		$(C_TOOL) component $$core $(RINGWAY_PLUGIN_DIR)/$$(basename $$core) || exit 1; done
	cp $(PLUGIN_TARGET)/wasm32-wasip2/release/lcr.wasm $(RINGWAY_PLUGIN_DIR)/lcr_wasip2.wasm
	$(C_TOOL) bindings sdk/wit $(C_BUILD)
	clang $(C_FLAGS) -I$(C_BUILD) -o $(C_BUILD)/blocklist.wasm plugins/blocklist-c/blocklist.c \
		$(C_BUILD)/router.c $(C_BUILD)/router_component_type.o -lc
	$(C_TOOL) component $(C_BUILD)/blocklist.wasm $(RINGWAY_PLUGIN_DIR)/blocklist_c.wasm

build:
	$(CARGO) build --workspace --bins

unit: build plugins
	$(CARGO) test --workspace

conformance: build
	$(CARGO) run --quiet -p ringway-conformance

## The load benchmark's harness on a few hundred calls, so that it cannot rot (the full run is
## `conformance/bench/run`, a benchmark, not a test).
bench-smoke:
	conformance/bench/run --smoke --json $${TMPDIR:-/tmp}/ringway-bench-smoke.json

## The daemon on its embedded default config (UDP and TCP on 127.0.0.1:5060).
run:
	$(CARGO) run --release --bin ringway -- run

## Criterion microbenchmarks: the message layer, and plugin decisions (lcr).
bench: plugins
	$(CARGO) bench -p ringway --bench message
	$(CARGO) bench -p ringway-dialplan --bench plugin

## Coverage-guided fuzzing (needs a nightly toolchain and `cargo install cargo-fuzz`);
## FUZZ_TARGET=parse|transaction, FUZZ_SECONDS bounds the run. New inputs go to a scratch dir;
## crashers land in server/fuzz/artifacts/ and are replayed by `make test` from then on.
FUZZ_TARGET ?= parse
FUZZ_SECONDS ?= 300
fuzz:
	mkdir -p /tmp/ringway-fuzz-$(FUZZ_TARGET)
	cd server/fuzz && $(CARGO) +nightly fuzz run $(FUZZ_TARGET) /tmp/ringway-fuzz-$(FUZZ_TARGET) corpus/$(FUZZ_TARGET) -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
