# The SD-card image, included from the top-level Makefile.
#
#   make cross       arm64 cgo build of ./cmd/... against a cached sysroot (fast; CI)
#   make image       images/out/kiosk-$(VERSION)-arm64.img.zst + .sha256 (root, ~10 min)
#   make image-test  boot the built image under qemu-system-aarch64 and check it
#   make image-goldens  the same, taking its screendumps as the new goldens
#
# VERSION defaults to images/version.sh (images/VERSION + commit); PROVISION=FILE bakes a provisioning file
# into the boot partition (otherwise the technician copies one there).
IMAGE_VERSION ?= $(shell bash images/version.sh)

.PHONY: cross image image-test image-goldens image-stamp image-deps image-clean update update-test

cross:
	@GO="$(GO)" VERSION="$(IMAGE_VERSION)" bash images/cross.sh

image-deps:
	@bash images/deps.sh image

# The prompts are rendered first (voice.mk) and copied into the root.
image: voice
	@GO="$(GO)" VERSION="$(IMAGE_VERSION)" PROVISION="$(PROVISION)" bash images/build.sh

# The signed update bundle of the last `make image` (images/update.sh):
# images/out/kiosk-$(VERSION)-arm64.kup. RELEASE_KEY=FILE for the town's key.
update:
	@GO="$(GO)" RELEASE_KEY="$(RELEASE_KEY)" bash images/update.sh

# The A/B update scenarios under qemu with the firmware stand-in
# (images/update-test.sh): USB stick, refusals, a trial that never gets
# healthy, power cuts while writing and committing.
# A full run (every scenario, the built image) records its inputs in
# .ci/update-tested, as image-test does in .ci/image-tested: .ci/run runs
# update-test (about 25 minutes) only when they changed.
update-test:
	@GO="$(GO)" bash images/update-test.sh $(IMG)
	@if [ -n "$(SCENARIOS)" ]; then echo "update-test: SCENARIOS= given: .ci/update-tested left as it is"; \
	else $(MAKE) --no-print-directory image-stamp IMG="$(IMG)" STAMP=.ci/update-tested WHAT=update-test; fi

# On success the inputs of the image and its test (images/inputs.sh: images/,
# the Go sources baked in, go.mod/go.sum, the test cards) are recorded in
# .ci/image-tested, so .ci/run skips the 15-minute image build while they
# stay the same. Only for the built image (no IMG=) and committed inputs.
# The lead commits that file after the last image-test on the final tree.
image-test:
	@bash images/image-test.sh $(IMG)
	@$(MAKE) --no-print-directory image-stamp IMG="$(IMG)"

# The same, taking this run's screendumps as the new goldens in
# images/screens/ (after a screen was redesigned: look at them, commit them).
image-goldens:
	@GOLDEN=update bash images/image-test.sh $(IMG)
	@$(MAKE) --no-print-directory image-stamp IMG="$(IMG)"

STAMP ?= .ci/image-tested
WHAT  ?= image-test
image-stamp:
	@if [ -n "$(IMG)" ]; then echo "$(WHAT): IMG= given: $(STAMP) left as it is"; \
	elif h=$$(GO="$(GO)" bash images/inputs.sh hash); then \
		printf '# make $(WHAT) passed on these inputs (images/inputs.sh hash), %s\n%s\n' "$$(git rev-parse --short HEAD)" "$$h" > $(STAMP); \
		echo "$(WHAT): recorded $$h in $(STAMP) (commit it)"; \
	else echo "$(WHAT): inputs not committed: $(STAMP) left as it is"; fi

# Keeps the cached sysroot; the base tree (1 GB) is removed.
image-clean:
	rm -rf images/out images/work/base-* images/work/base.tmp images/work/rootfs images/work/*.img images/work/bootfs images/work/selfs images/work/slots images/work/bin-arm64 images/work/utest
