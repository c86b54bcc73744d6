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

## The example and test plugins (plugins/, its own workspace) as wasm32-wasip2 components, into
## PLUGIN_TARGET; the dialplan tests and benches find them through RINGWAY_PLUGIN_DIR and fail
## (never pass) without them.
PLUGIN_TARGET := $(CURDIR)/plugins/target
export RINGWAY_PLUGIN_DIR := $(PLUGIN_TARGET)/wasm32-wasip2/release
## The C plugin (plugins/blocklist-c) needs clang, wasm-ld (lld) and wasi-libc from Debian, and
## ringway-c-tool (plugins/c-tool) for its bindings and to make the linked module a component.
C_TOOL := $(PLUGIN_TARGET)/release/ringway-c-tool
C_BUILD := $(PLUGIN_TARGET)/c
C_FLAGS := --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror -nostartfiles -nodefaultlibs \
	-Wl,--no-entry -Wl,--strip-all
plugins:
	rustup target add wasm32-wasip2
	cd plugins && $(CARGO) build --release --target wasm32-wasip2 --target-dir $(PLUGIN_TARGET)
	@{ command -v clang && command -v wasm-ld && test -f /usr/lib/wasm32-wasi/libc.a; } >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq clang lld wasi-libc; }
	$(CARGO) build --release --manifest-path plugins/c-tool/Cargo.toml --target-dir $(PLUGIN_TARGET)
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
