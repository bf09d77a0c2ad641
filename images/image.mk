# The SD-card image, included from the top-level Makefile.
#
#   make cross       arm64 cgo build of ./cmd/... against a cached sysroot (fast; CI)
#   make image       images/out/kiosk-$(VERSION)-arm64.img.zst + .sha256 (root, ~10 min)
#   make image-test  boot the built image under qemu-system-aarch64 and check it
#
# VERSION defaults to `git describe`; PROVISION=FILE bakes a provisioning file
# into the boot partition (otherwise the technician copies one there).
IMAGE_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: cross image image-test image-deps image-clean

cross:
	@GO="$(GO)" VERSION="$(IMAGE_VERSION)" bash images/cross.sh

image-deps:
	@bash images/deps.sh image

image:
	@GO="$(GO)" VERSION="$(IMAGE_VERSION)" PROVISION="$(PROVISION)" bash images/build.sh

# On success the images/ tree that passed is recorded in .ci/image-tested, so
# .ci/run can tell whether a submission changed images/ since (commit it).
image-test:
	@bash images/image-test.sh $(IMG)
	@if [ -z "$(IMG)" ] && git diff --quiet HEAD -- images && [ -z "$$(git ls-files --others --exclude-standard images)" ]; then \
		echo "tree $$(git rev-parse HEAD:images)" > .ci/image-tested; echo "image-test: recorded the images/ tree in .ci/image-tested"; fi

# Keeps the cached sysroot; the base tree (1 GB) is removed.
image-clean:
	rm -rf images/out images/work/base-* images/work/base.tmp images/work/rootfs images/work/*.img images/work/bootfs images/work/bin-arm64
