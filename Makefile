# Village hall kiosk. `make run` starts the kiosk with simulated devices;
# `make test` runs every test against the real PC/SC stack (root needed
# for the per-package network + mount namespaces).
GO      ?= go
# bash with pipefail: a benchmark or test piped into tee must still fail the target.
SHELL   := /bin/bash
.SHELLFLAGS := -o pipefail -c
export CGO_ENABLED = 1
PKGS    := ./...
TESTP   ?= 2
EXEC    := $(CURDIR)/.ci/pcsc-exec
# The commit time: a kiosk clock earlier than this is certainly wrong.
BUILDTIME := $(shell git log -1 --format=%cI 2>/dev/null)
# The release number (VERSION) and the commit: 2026.12.1+ee11cf2 (images/version.sh).
VERSION_STAMP := $(shell bash images/version.sh)
LDFLAGS := -X main.buildTime=$(BUILDTIME) -X main.version=$(VERSION_STAMP)

.PHONY: all deps build run test lint bench soak vcard testpki fuzz clean deb release

all: build

deps:
	@bash .ci/deps

build: deps
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

run: deps
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/kiosk --sim --config testdata/config/kiosk-sim.toml

# The town hall's Debian package (collector, systemd unit, example
# configuration) for both architectures, in bin/deb/.
deb:
	GO="$(GO)" bash cmd/collector/packaging/build-deb.sh bin/deb "$(VERSION_STAMP)" amd64 arm64

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# cross: the arm64 board build (images/cross.sh), so a change that breaks it fails here at once.
# Every package runs once, with the race detector (RACE= for a quicker run
# without it while working): a race fails the suite like any other test.
# The per-package timeout allows for -race's slowdown on a busy machine.
RACE    ?= -race
test: deps lint cross release
	$(GO) test $(RACE) -exec $(EXEC) -p $(TESTP) -count=1 -timeout 20m $(PKGS)

# kioskctl for the technician's laptop: Windows, macOS and Linux on amd64 and
# arm64, static (no cgo), into release/ with SHA256SUMS. Without cgo the card
# reader commands are left out and say so; provisioning, journal export and
# verify, receipt preview work everywhere. make test builds them all, so a
# change that breaks one system fails there.
RELEASE_TARGETS := linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64
release:
	@rm -rf release && mkdir -p release
	@set -e; for t in $(RELEASE_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "release: kioskctl $(VERSION_STAMP) $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' \
			-o release/kioskctl-$(VERSION_STAMP)-$$os-$$arch$$ext ./cmd/kioskctl; \
	done
	@cd release && sha256sum kioskctl-* > SHA256SUMS && ls -l

# Card, screen and device benchmarks: 20 runs each, medians reported; the
# card ones again on a virtual card answering each APDU after 40 ms (a
# real card's speed), 5 runs each. The journal and sync ones drain a
# 100,000-record backlog once; the fleet one is 1,000 kiosks x 200 records
# to one collector (KIOSK_FLEET_KIOSKS, KIOSK_FLEET_RECORDS,
# KIOSK_FLEET_PARALLEL for a bigger day).
STORES     := ./cmd/collector/internal/store/boltstore ./cmd/collector/internal/store/pgstore
BENCH_SLOW := ./kiosk/journal ./cmd/collector/internal/server
bench: deps
	$(GO) test -exec $(EXEC) -p 1 -count=1 -run '^$$' -bench . -skip SlowCard -benchtime 20x $$($(GO) list $(PKGS) | grep -v -e /kiosk/journal -e /kiosk/sync -e /cmd/collector) | tee bench.txt
	$(GO) test -exec $(EXEC) -p 1 -count=1 -run '^$$' -bench SlowCard -benchtime 5x ./drivers/jpki | tee -a bench.txt
	$(GO) test -p 1 -count=1 -run '^$$' -bench Append -benchtime 500x ./kiosk/journal | tee -a bench.txt
	KIOSK_BENCH_BACKLOG=100000 $(GO) test -p 1 -count=1 -run '^$$' -bench 'Drain|Throughput' -benchtime 1x $(BENCH_SLOW) | tee -a bench.txt
	$(GO) test -p 1 -count=1 -run '^$$' -bench Fleet -benchtime 1x ./cmd/collector/internal/server | tee -a bench.txt
	# Both stores alone (no HTTPS), 1,000 kiosks; the search by reference over
	# KIOSK_BENCH_RECORDS records (100,000 here; 1000000 for the README's figure).
	$(GO) test -exec $(EXEC) -p 1 -count=1 -run '^$$' -bench FleetIngest -benchtime 1x $(STORES) | tee -a bench.txt
	KIOSK_BENCH_RECORDS=$${KIOSK_BENCH_RECORDS:-100000} $(GO) test -exec $(EXEC) -p 1 -count=1 -timeout 30m -run '^$$' -bench Lookup -benchtime 2000x $(STORES) | tee -a bench.txt

# Not part of make test: the kiosk's journal writer killed with SIGKILL 1,000
# times (KIOSK_SOAK_KILLS) while syncing through a loopback fault proxy, the
# collector killed every 100; prints lost / duplicated / released-unacked,
# which must all be 0. About 5 minutes.
soak: deps
	$(GO) test -tags soak -count=1 -timeout 60m -run '^TestSoak$$' -v ./cmd/collector

# Every parser's fuzz target, one after another, FUZZTIME each (make fuzz
# FUZZTIME=10m for a long run). One worker each: the machine is shared.
# New interesting inputs are minimised for at most 5 s so short runs fuzz.
# Seeds live in each package's testdata/fuzz/<target>; make test runs them.
FUZZTIME ?= 20s
FUZZ_TARGETS := \
	./drivers/jpki:FuzzResponses ./drivers/jpki:FuzzDERLength ./drivers/jpki:FuzzCertRead \
	./drivers/jpki/virtualcard:FuzzApplet ./drivers/pcsc/vpcd:FuzzFrames \
	./kiosk:FuzzParseConfig ./cmd/kioskctl:FuzzProvisionWrite \
	./drivers/escpos:FuzzDecode ./drivers/touch:FuzzEvents \
	./kiosk/sync:FuzzExport ./cmd/collector/internal/server:FuzzKioskBodies \
	./drivers/pcsc/vscard:FuzzFraming ./kiosk/linebreak:FuzzLines
fuzz: deps
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -parallel 1 $$pkg; \
	done

# Regenerate the fake JPKI (CA keys, CA certificates, card key pairs).
testpki:
	$(GO) run ./cmd/vcard gen-pki testdata/pki

# Voice prompts: make voice, make voice-readings (cmd/voicegen/voice.mk).
include cmd/voicegen/voice.mk

# The SD-card image (make image, make image-test, make cross) lives in images/.
-include images/image.mk

clean:
	rm -rf bin bench.txt release
